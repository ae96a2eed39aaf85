"""One submission, two declarations: the demo pack declared under China's rule
(power_battery_cn: GB/T 24067-2024 with MIIT notice 551) and the EU's (power_battery_eu:
Regulation (EU) 2023/1542 Art. 7 with the JRC CFB-EV rules), from the same pins; each
difference of the comparison named by the rule clause that causes it, checked against the
figures computed here from the rows themselves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, EmissionFactor, Product, Submission
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.rules import load_rules, rule_for_category, rules_for_category
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import factors
from footprint_platform.services.disclosure import (
    batterypass,
    declarations,
    jurisdictions,
    publication,
)
from footprint_platform.services.intake import evidence, instruments, submissions
from footprint_platform.services.intake.activity import FIELDS
from footprint_platform.services.pact import footprint as pact
from tests.platform.demo_ids import admin_actor, org_id

pytestmark = pytest.mark.postgres  # the content hash and the totals as each database stores them

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
PACK, PACK_MAKER = "HD-PK-811-78", "admin@huadong-pack.example"
OPERATOR = "operator@tanlian.example"
VERIFIER = "verifier@qingyuan-verify.example"
PACT_OPTIONS = pact.Options(
    issuer_domain="tanlian.example", extension_schema_url="https://tanlian.example/s.json"
)
RELEASE = CONFIG_DIR / "factors" / "seed-2026.1.csv"
CERTIFIED_KWH = Decimal("5")  # per kWh of pack: the pack plant's own wind power, certified
RECYCLED, R2 = Decimal("0.3"), Decimal("0.9")  # the housing's recycled content, EoL share
HOUSING_KG = Decimal("1.8")
EOL_ROW = {
    "kind": "waste",
    "stage": "end_of_life",
    "description": "Aluminium housing at end of life",
    "quantity": str(HOUSING_KG),
    "unit": "kg",
    "factor_code": "waste.metals.landfill.gb",
    "recycled_share": str(R2),
    "recycled_factor_code": "mat.aluminium.recycled.cn",
    "provenance": "estimated",
}


def _product(part: str) -> Product:
    return db.session.scalar(select(Product).where(Product.part_number == part))


def _rows(draft: Any) -> list[dict[str, Any]]:
    return [
        {f: getattr(i, f) for f in FIELDS if getattr(i, f, None) is not None}
        | {"kind": i.kind.value}
        for i in draft.inputs
    ]


def _factor(release_id: int, code: str) -> float:
    return float(
        db.session.scalar(
            select(EmissionFactor.value).where(
                EmissionFactor.release_id == release_id, EmissionFactor.code == code
            )
        )
    )


def _pack_with_certificate_and_end_of_life() -> tuple[Product, Submission]:
    """The demo pack's 2025 data again, with its plant's certified wind kWh (a registered
    green certificate) and its housing's recycled content and end of life."""
    factors.publish_release(
        db.session,
        admin_actor(OPERATOR),
        "2026.9",
        "test: with recycled aluminium",
        RELEASE.read_bytes(),
    )
    pack = _product(PACK)
    actor = admin_actor(PACK_MAKER)
    proof = evidence.add_evidence(
        db.session, actor, pack.organization_id, "gec.pdf", b"%PDF-1.4 test certificate"
    )
    record = instruments.register(
        db.session,
        actor,
        pack.organization_id,
        {
            "certificate_id": "TEST-GEC-PACK-2025",
            "kind": "green_certificate",
            "issuer": "test issuer",
            "generation": "wind",
            "volume_kwh": "1000000000",
            "vintage_start": "2025-01-01",
            "vintage_end": "2025-12-31",
            "site_id": pack.site_id,
            "evidence_id": proof.id,
        },
    )
    draft = submissions.start_draft(db.session, actor, pack.id, *PERIOD)
    rows = _rows(draft)
    (alu,) = [r for r in rows if r.get("description") == "Aluminium housing and busbars"]
    alu |= {"recycled_share": str(RECYCLED), "recycled_factor_code": "mat.aluminium.recycled.cn"}
    certified = {
        "kind": "electricity",
        "stage": "production",
        "description": "Pack assembly, wind power (green certificate)",
        "quantity": str(CERTIFIED_KWH),
        "unit": "kWh",
        "instrument": "green_certificate",
        "certificate_id": record.certificate_id,
        "evidence_id": proof.id,
        "provenance": "measured",
    }
    header = {"dqr": 2, "production_volume": "100000"}  # kWh of packs: 500 000 kWh certified
    submissions.save_draft(db.session, actor, draft.id, header, [*rows, certified, EOL_ROW])
    return pack, workflow.submit(db.session, actor, draft.id)


def test_the_rules_a_battery_may_be_declared_under() -> None:
    """The category's default stays the power-battery rule; China's and the EU's are chosen
    by name, and each states its electricity policy and end of life from its sources."""
    assert rule_for_category("battery_pack").code == "power_battery"
    codes = [r.code for r in rules_for_category("battery_pack")]
    assert codes == ["power_battery", "power_battery_cn", "power_battery_eu"]
    assert [r.code for r in rules_for_category("cathode")] == ["material"]
    cn, eu = load_rules()["power_battery_cn"], load_rules()["power_battery_eu"]
    assert (cn.jurisdiction, eu.jurisdiction) == ("CN", "EU")
    assert (cn.end_of_life.method, eu.end_of_life.method) == ("cut_off", "cff")
    assert (cn.electricity.policy, eu.electricity.policy) == ("green_certificates", "grid_mix_only")
    assert "551" in cn.raw["stage_model"]["source"]
    assert "2023/1542" in eu.raw["stage_model"]["source"]


def test_the_two_totals_differ_by_electricity_and_end_of_life(demo_app: Flask) -> None:
    """Under the EU rule the certified kWh take the grid factor and the aluminium's recycled
    content and end of life follow the CFF; under China's the certificate counts and the
    cut-off applies. Each part is computed here from the rows and the release's factors."""
    with demo_app.app_context():
        pack, sub = _pack_with_certificate_and_end_of_life()
        actor = admin_actor(PACK_MAKER)
        c = jurisdictions.compare(db.session, actor, pack.id, *PERIOD)
        release = sub.factor_release_id
        (row,) = [i for i in sub.inputs if i.instrument == "green_certificate"]
        grid = _factor(release, "elec.cn.cfp.2024")  # the 2025 period's grid factor
        wind = _factor(release, str(row.factor_code))
        td = _factor(release, str(row.td_factor_code))
        electricity = float(CERTIFIED_KWH) * (grid - wind - td)
        total = c.line("total")
        (elec_cause,) = [x for x in total.causes if x.clause.startswith("[electricity]")]
        assert elec_cause.effect == pytest.approx(electricity, rel=1e-9)
        primary = _factor(release, "mat.aluminium.primary.cn")
        recycled = _factor(release, "mat.aluminium.recycled.cn")
        landfill = _factor(release, "waste.metals.landfill.gb")
        h, r1, r2, a = float(HOUSING_KG), float(RECYCLED), float(R2), 0.2
        # CFF (A = 0.2, Q = 1) minus the cut-off, input side and end of life
        input_side = h * (r1 * (1 - a) * primary + r1 * a * recycled - r1 * recycled)
        end_of_life = (1 - a) * r2 * h * (recycled - primary)
        (eol_cause,) = [x for x in total.causes if x.clause.startswith("[end_of_life]")]
        assert eol_cause.effect == pytest.approx(input_side + end_of_life, rel=1e-6)
        assert c.total_b - c.total_a == pytest.approx(electricity + input_side + end_of_life)
        assert landfill > 0  # the disposal of the 10 % not recycled is in both


def _verify_and_publish(d: Declaration) -> None:
    """The demo verifier verifies the declaration; its maker publishes it."""
    owner = admin_actor(PACK_MAKER)
    verifier = admin_actor(VERIFIER)
    asked = publication.request_verification(
        db.session, owner, d.id, org_id("Qingyuan Carbon Verification Co.")
    )
    publication.decide(
        db.session,
        verifier,
        asked.id,
        "verified",
        "Test verification: rows checked against the plant's records.",
        list(publication.stated_reasons(db.session, d)),
        publication.Statement(
            standard="ISO 14067:2018",
            assurance="limited",
            materiality_percent="5",
            scope="the declared pack and its pinned inputs",
            statement_date="2026-01-15",
        ),
    )
    publication.publish(db.session, owner, d.id)


def test_one_submission_declared_under_both_rules(demo_app: Flask) -> None:
    """The pack maker declares its pack under China's rule and under the EU's from the same
    submission: both pin the same inputs, each total is the comparison's, each verifies by
    recomputing, and neither replaces the other (drafts or published)."""
    with demo_app.app_context():
        pack, _ = _pack_with_certificate_and_end_of_life()
        actor = admin_actor(PACK_MAKER)
        c = jurisdictions.compare(db.session, actor, pack.id, *PERIOD)
        cn = declarations.declare(db.session, actor, pack.id, *PERIOD, None, "power_battery_cn")
        eu = declarations.declare(db.session, actor, pack.id, *PERIOD, None, "power_battery_eu")
        assert (cn.rule_code, eu.rule_code) == ("power_battery_cn", "power_battery_eu")
        assert (cn.rule_version, eu.rule_version) == ("1.0", "1.0")
        assert cn.pinned == eu.pinned
        assert eu.version == cn.version + 1  # numbered per product and period
        assert float(cn.total) == pytest.approx(c.total_a, rel=1e-10)  # stored to 1e-10
        assert float(eu.total) == pytest.approx(c.total_b, rel=1e-10)
        assert float(eu.total) != pytest.approx(float(cn.total), rel=1e-6)
        # each stored stage split adds up to its total
        for d in (cn, eu):
            assert sum(float(v) for v in d.by_stage.values()) == pytest.approx(float(d.total))
        # the declared figure per kWh of lifetime energy uses each rule's functional unit
        assert cn.functional_unit["rule"] == "power_battery_cn 1.0"
        assert eu.functional_unit["rule"] == "power_battery_eu 1.0"
        assert declarations.verify(db.session, [cn, eu]) == []
        # a new draft under the EU rule replaces the EU draft only
        eu2 = declarations.declare(db.session, actor, pack.id, *PERIOD, "again", "power_battery_eu")
        db.session.refresh(cn)
        db.session.refresh(eu)
        assert (cn.status.value, eu.status.value) == ("draft", "superseded")
        assert eu2.preceding_id == eu.id and float(eu2.total) == float(eu.total)
        _verify_and_publish(cn)
        _verify_and_publish(eu2)
        db.session.refresh(cn)
        assert (cn.status.value, eu2.status.value) == ("published", "published")
        assert declarations.verify(db.session, [cn, eu2]) == []
        # each export states its own rule and figure, and validates
        per_lifetime = c.line("per_kwh_lifetime")
        for d, figure in ((cn, per_lifetime.a), (eu2, per_lifetime.b)):
            body = batterypass.battery_pass(d, "https://t.example/d/x", batterypass.lifetime_for(d))
            assert json_schemas.problems("batterypass", body) == []
            assert body["batteryCarbonFootprint"] == pytest.approx(figure, abs=1e-6)  # 6 places
            pf = pact.product_footprint(db.session, d, PACT_OPTIONS)
            assert json_schemas.problems("pact", pf) == []
            (rules,) = pf["pcf"]["productOrSectorSpecificRules"]
            assert rules["ruleNames"] == [
                f"{load_rules()[d.rule_code].name_en} ({d.rule_code} 1.0)"
            ]


def test_recomputing_gives_the_same_numbers(demo_app: Flask) -> None:
    """Two comparisons of the same pins agree to the last bit, and a declaration's own
    comparison equals the one of the newest result it was made from."""
    with demo_app.app_context():
        pack, _ = _pack_with_certificate_and_end_of_life()
        actor = admin_actor(PACK_MAKER)
        first = jurisdictions.compare(db.session, actor, pack.id, *PERIOD)
        again = jurisdictions.compare(db.session, actor, pack.id, *PERIOD)
        d = declarations.declare(db.session, actor, pack.id, *PERIOD, None, "power_battery_eu")
        pinned = jurisdictions.compare_declaration(db.session, d)
        for other in (again, pinned):
            assert [(x.key, x.a, x.b) for x in other.lines] == [
                (x.key, x.a, x.b) for x in first.lines
            ]


def test_each_difference_names_its_cause(demo_app: Flask) -> None:
    """Every line that differs names at least one clause of the rules with each rule's
    statement and source; the parts of a figure's difference add up to it; a line that is
    the same under both names none."""
    with demo_app.app_context():
        pack, _ = _pack_with_certificate_and_end_of_life()
        c = jurisdictions.compare(db.session, admin_actor(PACK_MAKER), pack.id, *PERIOD)
        assert c.differences
        for line in c.lines:
            if not line.differs:
                assert line.causes == (), line.key
                continue
            assert line.causes, line.key
            for cause in line.causes:
                assert cause.clause and (cause.a != cause.b or cause.effect is not None)
                assert cause.source_a or cause.source_b, (line.key, cause.clause)
            parts = [x.effect for x in line.causes if x.effect is not None]
            if line.difference is not None and parts and line.key != "electricity_kwh":
                assert sum(parts) == pytest.approx(line.difference, rel=1e-9, abs=1e-12)
        keys = {line.key for line in c.differences}
        assert {"total", "electricity", "end_of_life", "stage:production"} <= keys
        assert {"stage:end_of_life", "per_kwh_lifetime", "electricity_kwh"} <= keys
        assert c.line("gwp").differs is False  # both AR6
        assert c.line("electricity_kwh").b == pytest.approx(float(CERTIFIED_KWH))
        assert c.line("electricity_kwh").a == 0  # the certificate counts under China's
        # the stage named differently by each rule says so, from the two rules' sources
        (names,) = [x for x in c.line("stage:production").causes if x.clause.startswith("[[")]
        assert "电池制造" in names.a and "Main product production" in names.b


def test_a_rule_that_does_not_apply_is_refused(demo_app: Flask) -> None:
    with demo_app.app_context():
        pack = _product(PACK)
        actor = admin_actor(PACK_MAKER)
        with pytest.raises(InvalidInput) as refused:
            declarations.declare(db.session, actor, pack.id, *PERIOD, None, "vehicle")
        assert "rule_code" in refused.value.errors
        assert jurisdictions.jurisdiction_rules("cathode_ncm") is None  # materials: one rule


def test_new_upstream_data_redeclares_under_each_rule(demo_app: Flask) -> None:
    """The foil maker submits a new version: the pack's China and EU drafts each get a new
    draft under their own rule, computed as that rule states, and both verify."""
    with demo_app.app_context():
        pack, _ = _pack_with_certificate_and_end_of_life()
        actor = admin_actor(PACK_MAKER)
        cn = declarations.declare(db.session, actor, pack.id, *PERIOD, None, "power_battery_cn")
        eu = declarations.declare(db.session, actor, pack.id, *PERIOD, None, "power_battery_eu")
        foil = _product("JN-AL-12")
        supplier = admin_actor("data@jiangnan-foil.example")
        draft = submissions.start_draft(db.session, supplier, foil.id, *PERIOD)
        rows = [
            {
                "kind": i.kind.value,
                "quantity": i.quantity * 2,
                "unit": i.unit,
                "factor_code": i.factor_code,
                "provenance": i.provenance,
            }
            for i in draft.inputs
        ]
        submissions.save_draft(db.session, supplier, draft.id, {"dqr": 2}, rows)
        workflow.submit(db.session, supplier, draft.id)
        fresh = {
            d.rule_code: d
            for d in db.session.scalars(
                select(Declaration).where(
                    Declaration.product_id == pack.id, Declaration.preceding_id.is_not(None)
                )
            )
        }
        assert fresh["power_battery_cn"].preceding_id == cn.id
        assert fresh["power_battery_eu"].preceding_id == eu.id
        c = jurisdictions.compare_declaration(db.session, fresh["power_battery_eu"])
        assert float(fresh["power_battery_cn"].total) == pytest.approx(c.total_a, rel=1e-10)
        assert float(fresh["power_battery_eu"].total) == pytest.approx(c.total_b, rel=1e-10)
        assert float(fresh["power_battery_eu"].total) > float(eu.total)  # twice the foil
        assert declarations.verify(db.session, list(fresh.values())) == []
