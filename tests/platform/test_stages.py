"""Stages relative to the declared product (rule `[stage_model]`): on the demo, the NCM811
pack's main production is the own emissions of the cell and pack plants upstream of it,
computed here straight from the pinned submissions' rows with numpy, not through the engine
nor footprint_platform.stages; every export shows the same split, and it adds up."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import (
    Declaration,
    EmissionFactor,
    Product,
    Submission,
    SubmissionInput,
)
from footprint_platform.rules import load_rules, rule_version
from footprint_platform.services.disclosure import declarations, exports
from footprint_platform.services.disclosure.batterypass import STAGES as BATTERY_PASS_STAGES
from footprint_platform.services.pact import footprint as pact

pytestmark = pytest.mark.postgres
BATTERY = {"battery_cell", "battery_module", "battery_pack"}
# the demo's rows are entered in the units of their factor or the linked product, or in kg
# with a factor per t (transport): nothing else is converted here
TO = {("kg", "t"): Decimal("0.001")}


def _convert(unit: str, target: str) -> Decimal:
    return Decimal(1) if unit == target else TO[(unit, target)]


def _pack() -> Declaration:
    return db.session.scalar(
        select(Declaration)
        .join(Product)
        .where(Product.part_number == "HD-PK-811-78")
        .order_by(Declaration.version.desc())
    )


def _independent_split(d: Declaration) -> tuple[float, float, float]:
    """(main production, the pack's own distribution, total) from the pinned rows: each
    product's own emissions b (its non-material rows × their factor), the linked amounts A
    (scaled by the consumer's allocation share), x = (I − A)⁻¹ δ_pack, main = Σ over
    cell/module/pack plants x_i b_i less the pack's own distribution rows."""
    pins = {int(p): v[0] for p, v in d.pinned.items()}
    products = sorted(pins)
    row = {p: k for k, p in enumerate(products)}
    n = len(products)
    own = np.zeros(n)
    amount = np.zeros((n, n))
    found = db.session.execute(
        select(Product.id, Product.category, Product.declared_unit).where(Product.id.in_(products))
    ).all()
    category = {p: c for p, c, _ in found}
    unit_of = {p: u for p, _, u in found}
    pack_distribution = Decimal(0)
    for product_id, sub_id in pins.items():
        sub = db.session.get(Submission, sub_id)
        rows = db.session.scalars(
            select(SubmissionInput).where(SubmissionInput.submission_id == sub_id)
        ).all()
        share = Decimal(1) - sum(
            (r.allocation_share or Decimal(0)) for r in rows if r.kind == "coproduct"
        )
        for r in rows:
            if r.kind == "coproduct":
                continue
            if r.linked_product_id is not None:
                qty = r.quantity * _convert(r.unit, unit_of[r.linked_product_id])
                amount[row[r.linked_product_id], row[product_id]] += float(qty * share)
                continue
            assert r.external_footprint_id is None  # the demo imports nothing into this chain
            if r.kind == "material":
                continue  # a generic dataset: bought, not the plant's own
            factor = db.session.scalar(
                select(EmissionFactor).where(
                    EmissionFactor.release_id == sub.factor_release_id,
                    EmissionFactor.code == r.factor_code,
                )
            )
            qty = r.quantity * _convert(r.unit, "t" if factor.unit == "t*km" else factor.unit)
            if r.distance_km is not None and factor.unit == "t*km":
                qty *= r.distance_km
            kg = qty * factor.value * share
            own[row[product_id]] += float(kg)
            if product_id == d.product_id and r.stage == "distribution":
                pack_distribution += kg
    demand = np.zeros(n)
    demand[row[d.product_id]] = 1.0
    x = np.linalg.solve(np.eye(n) - amount, demand)
    plants = np.array([category[p] in BATTERY for p in products])
    main = float((x * own)[plants].sum()) - float(pack_distribution)
    return main, float(pack_distribution), float(d.total)


def test_main_production_is_the_cell_and_pack_plants_own_emissions(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _pack()
        main, distribution, total = _independent_split(d)
        stages = {k: float(v) for k, v in d.by_stage.items()}
        rule = rule_version(d.rule_code, d.rule_version)
    assert rule.stage_model is not None and rule.version == load_rules()["power_battery"].version
    assert stages["production"] == pytest.approx(main, rel=1e-9)
    assert stages["distribution"] == pytest.approx(distribution, rel=1e-9)
    assert sum(stages.values()) == pytest.approx(total, rel=1e-12)
    # the kiln fuel of the refineries is no longer "production" of the pack: well under half
    assert 0.1 < stages["production"] / total < 0.5
    assert stages["raw_material"] == pytest.approx(total - main - distribution, rel=1e-9)


def test_verify_reproduces_a_declaration_of_each_rule_version(demo_app: Flask) -> None:
    """A declaration pinned to rule 1.0 (stages as labelled) still verifies under 1.0's
    behaviour; relabelled 1.1 with its 1.0 numbers, it does not (the split changed)."""
    with demo_app.app_context():
        d = _pack()
        assert declarations.verify(db.session, [d]) == []
        legacy = Declaration(**{c.key: getattr(d, c.key) for c in Declaration.__table__.c})
        legacy.id, legacy.public_id = None, "legacy-test"
        legacy.rule_version = "1.0"
        chain_stages = _labelled_stages(d)
        legacy.by_stage = {k: repr(v) for k, v in chain_stages.items()}
        legacy.content_hash = declarations.declaration_hash(legacy)
        assert declarations.verify(db.session, [legacy]) == []
        wrong = Declaration(**{c.key: getattr(legacy, c.key) for c in Declaration.__table__.c})
        wrong.rule_version = d.rule_version
        wrong.content_hash = declarations.declaration_hash(wrong)
        problems = declarations.verify(db.session, [wrong])
        db.session.rollback()
    assert len(problems) == 1 and "differs" in problems[0].reason


def _labelled_stages(d: Declaration) -> dict[str, float]:
    """The engine's stage columns (each maker's labels carried up): rule 1.0's split."""
    from footprint_platform.services.graph.build import pinned_upstream_graph
    from footprint_platform.services.graph.chain import product_node, rollup_isolating

    pins = {int(p): v[0] for p, v in d.pinned.items()}
    chain = pinned_upstream_graph(
        db.session, d.product_id, d.period_start, d.period_end, pins, d.fallback_release_id, None
    )
    return rollup_isolating(chain).result[product_node(d.product_id)].by_stage


def test_every_export_shows_the_declared_split(demo_app: Flask) -> None:
    """CSV, PACT (our extension's stages) and Battery Pass show d.by_stage, each adding up."""
    with demo_app.app_context():
        d = _pack()
        stages = {k: Decimal(str(v)) for k, v in d.by_stage.items()}
        table = list(csv.reader(io.StringIO(exports.declaration_csv(d, ""))))
        body = pact.product_footprint(
            db.session, d, pact.Options("tanlian.example", "https://tanlian.example/s.json")
        )
    header, *lines = table
    col_stage, col_value = header.index("stage"), header.index("kg_co2e_per_unit")
    csv_stages = {r[col_stage]: Decimal(r[col_value]) for r in lines}
    assert csv_stages["production"] == stages["production"]
    ext = [e["data"] for e in body.get("extensions", []) if "stages" in e.get("data", {})]
    assert ext, "our PACT extension carries the stages"
    by_code = {s["code"]: Decimal(s["kgCO2ePerDeclaredUnit"]) for s in ext[0]["stages"]}
    assert by_code["production"] == pytest.approx(stages["production"], rel=Decimal("1e-9"))
    assert BATTERY_PASS_STAGES["production"] == "MainProduction"
