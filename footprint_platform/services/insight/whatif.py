"""What-if scenarios: changes to one of the organization's own products, evaluated by the engine.

A scenario is a list of plain change specs (dicts, as a form or saved JSON gives them):

- `swap`: buy a linked supplier's product from a competitor instead (`ReplaceProvider`);
- `grid_region`: move the product's site; its grid electricity gets the factor the accounting
  rule picks for the new region (China's rules pick the national factor for every Chinese
  region, so that move changes nothing, and the outcome says why);
- `green_share`: part of its grid electricity bought as wind or solar power under a contractual
  instrument, with the factor release's carbon-footprint factor for that source;
- `recycled`: the recycled share of a material bought as a generic dataset, moved between the
  primary dataset and a recycled dataset of the same factor release.

Each becomes `supply_graph` changes on the period's graph, evaluated against the base plan by
`evaluate_scenario` (Woodbury; the graph is never copied). Every change touches only the
product's own node and its own input edges, so no supplier's inputs are read or shown. A swap
uses a figure only where the organization may know it (docs/design.md "Who may see what"): its own
products, products shared with it, and products whose newest published declaration is their
current figure. That holds for the supplier swapped out as well: the effect of removing it
would otherwise tell its current figure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

import supply_graph
from footprint_platform import stages, visibility
from footprint_platform.errors import InvalidInput, NotFound
from footprint_platform.models import (
    PRIMARY_PROVENANCE,
    Declaration,
    EmissionFactor,
    InputKind,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.reference import load_reference
from footprint_platform.rules import AccountingRule, rule_version
from footprint_platform.services.graph.build import chain_graph
from footprint_platform.services.graph.chain import (
    PENDING,
    ChainGraph,
    product_node,
    rollup_isolating,
)
from footprint_platform.services.intake.activity import GRID
from supply_graph.circular import CFF, CUT_OFF, input_weights
from supply_graph.scenario import Change, ReplaceProvider, Scenario, SetAmount, SetDirect
from supply_graph.units import conversion_factor

SWAP, GRID_REGION, GREEN_SHARE, RECYCLED = "swap", "grid_region", "green_share", "recycled"
KINDS = (SWAP, GRID_REGION, GREEN_SHARE, RECYCLED)
# Renewable sources a green share may name: the code segment of their electricity factors in
# the factor release (elec.<country>.<source>.cfp.<year>: MEE/NBS/NEA 2023 factors, see the
# seed release's sources).
GREEN_SOURCES = ("wind", "pv")
# The instrument a green share is modelled with (one the rules accept, config/rules/*.toml).
GREEN_INSTRUMENT = "ppa"
# A recycled material dataset carries one of these segments in its code (mat.<material>.…).
RECYCLED_MARKS = frozenset({"recycled", "secondary"})


@dataclass(frozen=True)
class Figures:
    """A footprint per declared unit: by stage (the rule's stages, in order), total, and the
    share resting on primary data."""

    by_stage: dict[str, float]
    total: float
    primary_data_share: float


@dataclass
class _Power:
    """One own electricity row being changed: kWh per declared unit and its factor."""

    stage: str
    kwh: float
    region: str
    instrument: str
    code: str
    value: float
    primary: bool = True  # the row's provenance counts as primary data (as the roll-up's)


@dataclass
class _Own:
    """The product's own data in the current submission, as the scenario changes it."""

    submission: Submission
    rule: AccountingRule
    factors: dict[str, EmissionFactor]
    power: list[_Power]
    materials: dict[tuple[str, str], float]  # (code, stage) -> amount in the factor's unit
    linked: dict[int, Product]
    direct: dict[str, float] = field(default_factory=dict)  # stage -> change of own emissions
    primary_delta: float = 0.0  # of which on rows whose provenance is primary
    # (virgin code, stage) -> [physical amount in the virgin dataset's unit, of which recycled]:
    # what the recycled-content lever moves; the graph's amounts follow the rule's formula
    physical: dict[tuple[str, str], list[float]] = field(default_factory=dict)


@dataclass
class _Plan:
    edges: list[Change] = field(default_factory=list)
    leaves: list[tuple[str, str, str, float]] = field(default_factory=list)
    swaps: list[tuple[Product, Product]] = field(default_factory=list)  # (supplier, competitor)
    described: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MaterialOption:
    key: str  # code@stage
    factor: EmissionFactor
    recycled: EmissionFactor | None
    recycled_share: float


@dataclass(frozen=True)
class Options:
    """What the forms may offer: only the organization's own data and figures it may know."""

    suppliers: list[Product]
    competitors: dict[int, list[Product]]  # supplier id -> known products it may be swapped for
    materials: list[MaterialOption]
    green_sources: list[str]
    region: str  # the site's current grid region


@dataclass(frozen=True)
class Outcome:
    product: Product
    period: tuple[date, date]
    specs: tuple[dict[str, Any], ...]
    described: tuple[str, ...]
    notes: tuple[str, ...]
    base: Figures
    scenario: Figures
    options: Options

    @property
    def delta(self) -> float:
        return self.scenario.total - self.base.total


def refuse(name: str, reason: Any) -> InvalidInput:
    return InvalidInput(str(reason), {name: [str(reason)]})


def evaluate(
    session: Session,
    actor: Actor | None,
    product_id: int,
    specs: Sequence[Mapping[str, Any]],
    period: tuple[date, date] | None = None,
) -> Outcome:
    """The product's footprint under the changes, beside its current one, from one graph build
    and one solve with the base plan. Raises InvalidInput naming the field of a refused change."""
    (outcome,) = evaluate_many(session, actor, product_id, [specs], period)
    if isinstance(outcome, InvalidInput):
        raise outcome
    return outcome


def evaluate_many(
    session: Session,
    actor: Actor | None,
    product_id: int,
    scenarios: Sequence[Sequence[Mapping[str, Any]]],
    period: tuple[date, date] | None = None,
) -> list[Outcome | InvalidInput]:
    """Several scenarios against one graph build and one base plan (to compare them); a refused
    scenario gives its refusal in its place."""
    product = _product(session, actor, product_id)
    own = _own(session, product, period)
    start, end = own.submission.period_start, own.submission.period_end
    period = (start, end)
    translated: list[tuple[_Own, _Plan, list[dict[str, Any]]] | InvalidInput] = []
    for specs in scenarios:
        try:
            translated.append(_translate_all(session, product, period, specs))
        except InvalidInput as refused:
            translated.append(refused)
    leaves = [leaf for t in translated if not isinstance(t, InvalidInput) for leaf in t[1].leaves]
    chain = chain_graph(session, start, end, extra_leaves=list(dict.fromkeys(leaves)))
    try:
        solver = supply_graph.build_plan(chain.graph.technosphere, chain.graph.ids)
    except supply_graph.SingularLoop:  # a bad loop in the period: isolated, as in a recompute
        chain.graph = rollup_isolating(chain).graph
        solver = supply_graph.build_plan(chain.graph.technosphere, chain.graph.ids)
    # the rules' boundary columns, so every column shows its stages as the product's rule does
    members = stages.boundary_members(chain.graph, chain.own_data())
    base = supply_graph.rollup(chain.graph, solver, boundaries=members)
    options = _options(session, product, own, chain, base)
    out: list[Outcome | InvalidInput] = []
    for t in translated:
        try:
            if isinstance(t, InvalidInput):
                raise t
            out.append(_outcome(session, product, chain, solver, base, members, options, *t))
        except InvalidInput as refused:
            out.append(refused)
    return out


def _primary_share(
    graph: supply_graph.SupplyGraph, i: int, own: _Own, new: dict[str, float]
) -> float | None:
    """The node's primary share of its changed own emissions, as the roll-up weighs its rows
    (Edges.own_quality): the primary part moves with the changed rows whose provenance is
    primary. None where the new own emissions are zero (the share of nothing is kept)."""
    before = float(graph.direct[i].sum())
    after = sum(new.values())
    if after <= 0:
        return None
    part = float(graph.primary[i]) * before + own.primary_delta
    return min(max(part / after, 0.0), 1.0)


def _translate_all(
    session: Session,
    product: Product,
    period: tuple[date, date],
    specs: Sequence[Mapping[str, Any]],
) -> tuple[_Own, _Plan, list[dict[str, Any]]]:
    own = _own(session, product, period)
    parsed = [parse_spec(s) for s in specs]
    plan = _Plan()
    for spec in parsed:
        _translate(session, product, own, spec, plan)
    return own, plan, parsed


def _outcome(
    session: Session,
    product: Product,
    chain: ChainGraph,
    solver: supply_graph.SolverPlan,
    base: supply_graph.RollupResult,
    members: np.ndarray,
    options: Options,
    own: _Own,
    plan: _Plan,
    parsed: list[dict[str, Any]],
) -> Outcome:
    for supplier, competitor in plan.swaps:
        _check_known(session, product.organization_id, supplier, "supplier", base)
        _check_known(session, product.organization_id, competitor, "competitor", base)
    changes = list(plan.edges)
    node = product_node(product.id)
    changed = chain.graph  # the graph as the scenario has it, for its stage split
    if any(own.direct.values()):
        i = chain.graph.node_index(node)
        row = chain.graph.direct[i]
        new = {s: float(row[k]) + own.direct.get(s, 0.0) for k, s in enumerate(chain.graph.stages)}
        changes.append(SetDirect(node, new, _primary_share(chain.graph, i, own, new)))
        direct = chain.graph.direct.copy()
        direct[i] = [new[s] for s in chain.graph.stages]
        changed = replace(chain.graph, direct=direct)
    result = supply_graph.evaluate_scenario(chain.graph, Scenario(changes), solver, members)
    return Outcome(
        product,
        (own.submission.period_start, own.submission.period_end),
        tuple(parsed),
        tuple(plan.described),
        tuple(plan.notes),
        _figures(base, chain.graph, node, own.rule),
        _figures(result, changed, node, own.rule),
        options,
    )


def _product(session: Session, actor: Actor | None, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(str(_l("No such product.")))
    authorize(actor, Action.VIEW_RESULTS, product.organization_id)
    return product


def periods(session: Session, product_id: int) -> list[tuple[date, date]]:
    """Periods with submitted data for the product, newest first (call after authorizing)."""
    rows = session.execute(
        select(Submission.period_start, Submission.period_end)
        .where(Submission.product_id == product_id, Submission.status == SubmissionStatus.SUBMITTED)
        .order_by(Submission.period_end.desc(), Submission.period_start.desc())
    ).all()
    return [(r[0], r[1]) for r in rows]


def _own(session: Session, product: Product, period: tuple[date, date] | None) -> _Own:
    """The product's current submission for the period (else its newest), read for the changes."""
    stmt = select(Submission).where(
        Submission.product_id == product.id, Submission.status == SubmissionStatus.SUBMITTED
    )
    if period is not None:
        stmt = stmt.where(Submission.period_start == period[0], Submission.period_end == period[1])
    sub = session.scalars(stmt.order_by(Submission.period_end.desc()).limit(1)).first()
    if sub is None:
        raise refuse("period", _l("This product has no submitted data for the period."))
    factors = {
        f.code: f
        for f in session.scalars(
            select(EmissionFactor).where(EmissionFactor.release_id == sub.factor_release_id)
        )
    }
    own = _Own(sub, rule_version(sub.rule_code, sub.rule_version), factors, [], {}, {})
    for row in session.scalars(
        select(SubmissionInput).where(SubmissionInput.submission_id == sub.id)
    ):
        _read_row(own, row)
    return own


def _read_row(own: _Own, row: SubmissionInput) -> None:
    """Own rows the changes act on: electricity, unlinked materials, linked suppliers. Amounts
    as the graph build computes them (float quantity × unit conversion)."""
    factor = own.factors.get(row.factor_code or "")
    if row.kind is InputKind.ELECTRICITY and factor is not None:
        kwh = float(row.quantity) * _convert(row.unit, "kWh")
        region = row.grid_region or ""
        instrument = row.instrument or GRID
        td = own.factors.get(row.td_factor_code or "")  # T&D the rule added to an instrument
        value = float(factor.value) + (float(td.value) if td else 0.0)
        primary = row.provenance is None or row.provenance in PRIMARY_PROVENANCE
        own.power.append(_Power(row.stage, kwh, region, instrument, factor.code, value, primary))
    elif row.kind is InputKind.MATERIAL and row.linked_product is not None:
        own.linked[row.linked_product.id] = row.linked_product
    elif row.kind is InputKind.MATERIAL and factor is not None:
        key = (factor.code, row.stage)
        amount = float(row.quantity) * _convert(row.unit, factor.unit)
        recycled = own.factors.get(row.recycled_factor_code or "")
        share = float(row.recycled_share or 0.0) if recycled is not None else 0.0
        physical = own.physical.setdefault(key, [0.0, 0.0])
        physical[0] += amount
        physical[1] += amount * share
        if not share or recycled is None:
            own.materials[key] = own.materials.get(key, 0.0) + amount
            return
        w_virgin, w_recycled = _weights(own, factor.code, share)
        r_key = (recycled.code, row.stage)
        k = _convert(factor.unit, recycled.unit)
        own.materials[key] = own.materials.get(key, 0.0) + amount * w_virgin
        own.materials[r_key] = own.materials.get(r_key, 0.0) + amount * k * w_recycled


def _weights(own: _Own, code: str, share: float) -> tuple[float, float]:
    """The virgin and recycled datasets' weights for a recycled share, as the product's rule
    states its approach (the CFF where it gives the material's parameters, else cut-off), as
    the roll-up builds them (services/graph/edges.py)."""
    eol = own.rule.end_of_life
    params = eol.for_dataset(code)
    if eol.is_cff and params is not None:
        return input_weights(CFF, share, params.parameters)
    return input_weights(CUT_OFF, share, None)


def _convert(unit: str, target: str) -> float:
    k = conversion_factor(unit, target)
    if k is None:
        raise ValueError(f"{unit} does not convert to {target}")
    return float(k)


# --- specs -----------------------------------------------------------------------------------


def parse_spec(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A change spec checked for its shape (kind, fields, numbers in range); what the fields
    refer to is checked against the data when the spec is translated."""
    kind = str(raw.get("kind") or "")
    if kind not in KINDS:
        raise refuse("kind", _l("Unknown kind of change."))
    if kind == SWAP:
        return {
            "kind": kind,
            "supplier": _int(raw, "supplier", _l("Choose the supplier's product to replace.")),
            "competitor": _int(raw, "competitor", _l("Choose the product to buy instead.")),
        }
    if kind == GRID_REGION:
        region = str(raw.get("region") or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{2}(-[A-Z]{1,3})?", region):
            raise refuse("region", _l("Choose a grid region or a country."))
        return {"kind": kind, "region": region}
    if kind == GREEN_SHARE:
        source = str(raw.get("source") or "")
        if source not in GREEN_SOURCES:
            raise refuse("source", _l("Choose wind or solar power."))
        return {"kind": kind, "source": source, "share": _percent(raw, exclusive_zero=True)}
    material = str(raw.get("material") or "")
    if "@" not in material:
        raise refuse("material", _l("Choose one of the materials in your data."))
    return {"kind": kind, "material": material, "share": _percent(raw, exclusive_zero=False)}


def _int(raw: Mapping[str, Any], name: str, reason: Any) -> int:
    value = str(raw.get(name) or "").strip()
    if not value.isdigit():
        raise refuse(name, reason)
    return int(value)


def _percent(raw: Mapping[str, Any], exclusive_zero: bool) -> str:
    """A percentage 0–100 (kept as its decimal text, so a saved spec reads as it was typed)."""
    try:
        value = Decimal(str(raw.get("share") or "").strip().replace(",", "."))
    except InvalidOperation:
        value = Decimal("NaN")
    in_range = value.is_finite() and (value > 0 if exclusive_zero else value >= 0) and value <= 100
    if not in_range:
        reason = (
            _l("Enter a percentage above 0 and at most 100.")
            if exclusive_zero
            else _l("Enter a percentage from 0 to 100.")
        )
        raise refuse("share", reason)
    return format(value.normalize(), "f")


def _fraction(spec: Mapping[str, Any]) -> float:
    return float(Decimal(spec["share"]) / 100)


# --- translation into engine changes ---------------------------------------------------------


def _translate(
    session: Session, product: Product, own: _Own, spec: dict[str, Any], plan: _Plan
) -> None:
    {SWAP: _swap, GRID_REGION: _grid, GREEN_SHARE: _green, RECYCLED: _recycled}[spec["kind"]](
        session, product, own, spec, plan
    )


def _swap(session: Session, product: Product, own: _Own, spec: dict[str, Any], plan: _Plan) -> None:
    supplier = own.linked.get(spec["supplier"])
    if supplier is None:
        raise refuse("supplier", _l("Not a supplier's product linked in this product's data."))
    if any(s.id == supplier.id for s, _c in plan.swaps):
        raise refuse("supplier", _l("This supplier is already replaced in this scenario."))
    competitor = session.get(Product, spec["competitor"])
    if competitor is None:
        raise refuse("competitor", _l("Unknown product."))
    if competitor.id in (product.id, supplier.id):
        raise refuse("competitor", _l("Choose a product other than this one and the supplier's."))
    if competitor.category != supplier.category:
        raise refuse(
            "competitor",
            _l(
                "Not the same kind of product as the one it replaces (%(category)s).",
                category=load_reference().categories[supplier.category].label(_locale()),
            ),
        )
    if conversion_factor(supplier.declared_unit, competitor.declared_unit) is None:
        raise refuse(
            "competitor",
            _l(
                "Its declared unit (%(unit)s) does not convert to the replaced "
                "product's (%(old)s).",
                unit=competitor.declared_unit,
                old=supplier.declared_unit,
            ),
        )
    plan.swaps.append((supplier, competitor))
    node = product_node(product.id)
    consented = supplier.organization_id == product.organization_id or (
        supplier.id in visibility.for_organization(session, product.organization_id).shared
    )
    # a link awaiting its maker's consent is valued by its pending leaf (catalogue/consent.py)
    old = product_node(supplier.id) if consented else f"{PENDING}{supplier.id}"
    plan.edges.append(ReplaceProvider(node, old, product_node(competitor.id)))
    plan.described.append(
        str(
            _l(
                "Buy %(competitor)s (%(maker)s) instead of %(supplier)s",
                competitor=_name(competitor),
                maker=competitor.organization.display_name(_locale()),
                supplier=_name(supplier),
            )
        )
    )


def _grid(session: Session, product: Product, own: _Own, spec: dict[str, Any], plan: _Plan) -> None:
    region = spec["region"]
    year = own.submission.period_end.year
    code = own.rule.electricity.grid_code(own.factors, region, year)
    new = own.factors.get(code or "")
    if new is None:
        raise refuse(
            "region",
            _l(
                "The accounting rule has no grid factor for %(region)s in factor release "
                "%(release)s.",
                region=region,
                release=own.submission.factor_release.version,
            ),
        )
    picked = [
        p
        for p in own.power
        if p.instrument == GRID
        and p.code
        in {own.rule.electricity.grid_code(own.factors, p.region, y) for y in (year, None)}
    ]
    for p in picked:
        _add(own, p.stage, p.kwh * (float(new.value) - p.value), p.primary)
        p.region, p.code, p.value = region, new.code, float(new.value)
    plan.described.append(str(_l("Move the site to the grid region %(region)s", region=region)))
    if not picked:
        plan.notes.append(
            str(
                _l(
                    "This product's data has no grid electricity at the rule's factor: "
                    "moving the site changes nothing."
                )
            )
        )
    elif region.startswith("CN") and all(p.code == new.code for p in picked):
        plan.notes.append(
            str(
                _l(
                    "The accounting rule uses China's national carbon-footprint factor (%(code)s) "
                    "for every Chinese grid region, so moving the site within China does not "
                    "change the footprint.",
                    code=new.code,
                )
            )
        )


def _green(
    session: Session, product: Product, own: _Own, spec: dict[str, Any], plan: _Plan
) -> None:
    grid = [p for p in own.power if p.instrument == GRID and p.kwh > 0]
    if not grid:
        raise refuse("share", _l("This product's data has no grid electricity to replace."))
    share = _fraction(spec)
    for p in grid:
        factor = _green_factor(own, p.region.split("-")[0], spec["source"])
        value = float(factor.value) + _green_td(own, p.region)
        moved = p.kwh * share
        _add(own, p.stage, moved * (value - p.value), p.primary)
        p.kwh -= moved
        own.power.append(
            _Power(p.stage, moved, p.region, GREEN_INSTRUMENT, factor.code, value, p.primary)
        )
    plan.described.append(
        str(
            _l(
                "Buy %(share)s %% of the grid electricity as %(source)s power",
                share=spec["share"],
                source=source_label(spec["source"]),
            )
        )
    )
    plan.notes.append(
        str(_l("A contractual instrument counts only with its evidence (certificate or contract)."))
    )


def _green_td(own: _Own, region: str) -> float:
    """The transmission and distribution factor the rule adds to the green share's kWh (a PPA
    delivers over the grid), 0 where the rule adds none; refused where the release lacks it."""
    policy = own.rule.electricity
    if policy.pinned or GREEN_INSTRUMENT not in policy.td_applies_to:
        return 0.0
    code = policy.td_code(own.factors, region, own.submission.period_end.year)
    if code is None:
        raise refuse(
            "source",
            _l(
                "Factor release %(release)s has no transmission and distribution factor for "
                "%(country)s.",
                release=own.submission.factor_release.version,
                country=region.split("-")[0] or "—",
            ),
        )
    return float(own.factors[code].value)


def source_label(source: str) -> str:
    return str({"wind": _l("wind"), "pv": _l("solar")}[source])


def _green_factor(own: _Own, country: str, source: str) -> EmissionFactor:
    pattern = re.compile(rf"^elec\.{re.escape(country.lower())}\.{source}\.")
    found = sorted(
        (
            f
            for f in own.factors.values()
            if pattern.match(f.code) and f.series == own.rule.grid_series and f.unit == "kWh"
        ),
        key=lambda f: (-f.reference_year, f.code),
    )
    if not found:
        raise refuse(
            "source",
            _l(
                "Factor release %(release)s has no %(source)s electricity factor of the rule's "
                "series for %(country)s.",
                release=own.submission.factor_release.version,
                source=source_label(source),
                country=country or "—",
            ),
        )
    return found[0]


def recycled_dataset(factors: Mapping[str, EmissionFactor], code: str) -> EmissionFactor | None:
    """The release's recycled dataset of the material a primary dataset code names
    (mat.<material>.… with a `recycled` or `secondary` segment and a convertible unit)."""
    parts = code.split(".")
    primary = factors.get(code)
    if len(parts) < 2 or primary is None or RECYCLED_MARKS & set(parts):
        return None
    stem = f"{parts[0]}.{parts[1]}."
    candidates = sorted(
        (
            f
            for c, f in factors.items()
            if c.startswith(stem)
            and RECYCLED_MARKS & set(c.split("."))
            and f.category == primary.category
            and conversion_factor(primary.unit, f.unit) is not None
        ),
        key=lambda f: f.code,
    )
    return candidates[0] if candidates else None


def _recycled(
    session: Session, product: Product, own: _Own, spec: dict[str, Any], plan: _Plan
) -> None:
    code, _sep, stage = spec["material"].partition("@")
    if (code, stage) not in own.materials:
        raise refuse("material", _l("Choose one of the materials in your data."))
    primary = own.factors[code]
    recycled = recycled_dataset(own.factors, code)
    if recycled is None:
        raise refuse(
            "material",
            _l(
                "Factor release %(release)s has no recycled dataset for %(code)s.",
                release=own.submission.factor_release.version,
                code=code,
            ),
        )
    if own.rule.end_of_life.is_cff and own.rule.end_of_life.for_dataset(code) is None:
        raise refuse(
            "material",
            _l(
                "The rule %(rule)s gives no Circular Footprint Formula parameters for %(code)s.",
                rule=own.rule.code,
                code=code,
            ),
        )
    k = _convert(primary.unit, recycled.unit)
    r_key = (recycled.code, stage)
    total = own.physical.get((code, stage), [own.materials[(code, stage)], 0.0])[0]
    share = _fraction(spec)
    w_virgin, w_recycled = _weights(own, code, share)
    own.materials[(code, stage)] = total * w_virgin
    own.materials[r_key] = total * k * w_recycled
    own.physical[(code, stage)] = [total, total * share]
    node = product_node(product.id)
    plan.leaves.append((recycled.code, stage, recycled.unit, float(recycled.value)))
    plan.edges.append(SetAmount(f"factor:{code}@{stage}", node, own.materials[(code, stage)]))
    plan.edges.append(SetAmount(f"factor:{recycled.code}@{stage}", node, own.materials[r_key]))
    plan.described.append(
        str(
            _l(
                "Recycled content of %(material)s: %(share)s %% (%(dataset)s)",
                material=primary.name_zh if _locale().startswith("zh") else primary.name_en,
                share=spec["share"],
                dataset=recycled.code,
            )
        )
    )


def _locale() -> str:
    return str(get_locale() or "en")


def _name(product: Product) -> str:
    return product.display_name(_locale())


def _add(own: _Own, stage: str, value: float, primary: bool) -> None:
    own.direct[stage] = own.direct.get(stage, 0.0) + value
    if primary:
        own.primary_delta += value


# --- what the organization may know ----------------------------------------------------------


def known_figure(
    session: Session, organization_id: int, product: Product, base: supply_graph.RollupResult
) -> bool:
    """May the organization know this product's current footprint (footprint_platform/
    visibility.py: its own, shared with it, or a published declaration that is still the
    current figure)? The same answer whatever else is true of the product, so a refusal says
    no more than that."""
    current = base[product_node(product.id)]
    figure = (float(current.total), {k: float(v) for k, v in current.by_stage.items()})
    return visibility.for_organization(session, organization_id).may_see_figure(product.id, figure)


def _check_known(
    session: Session,
    organization_id: int,
    product: Product,
    name: str,
    base: supply_graph.RollupResult,
) -> None:
    if known_figure(session, organization_id, product, base):
        return
    if name == "competitor":
        raise refuse(
            "competitor",
            _l(
                "This product's footprint is neither published nor shared with you, so it "
                "cannot be used: ask its maker to share it."
            ),
        )
    raise refuse(
        "supplier",
        _l(
            "Your supplier's current footprint for this period is neither shared with you nor "
            "published; the effect of replacing it would reveal it. Ask the supplier to share it."
        ),
    )


def _figures(
    result: supply_graph.RollupResult,
    graph: supply_graph.SupplyGraph,
    node: str,
    rule: AccountingRule,
) -> Figures:
    """The product's figures under `result`, its stages relative to its rule (as stored
    results and declarations show them)."""
    r = result[node]
    split = stages.split_one(rule, graph, result, node)
    by_stage = {s: float(split.get(s, 0.0)) for s in rule.stage_codes}
    by_stage.update({s: v for s, v in split.items() if s not in by_stage and v})
    share = float(r.primary_data_share)
    return Figures(by_stage, float(r.total), 0.0 if np.isnan(share) else share)


# --- options for the forms -------------------------------------------------------------------


def _options(
    session: Session,
    product: Product,
    own: _Own,
    chain: ChainGraph,
    base: supply_graph.RollupResult,
) -> Options:
    suppliers = sorted(own.linked.values(), key=lambda p: p.part_number)
    pool = _candidate_pool(session, product.organization_id, {p.category for p in suppliers})
    competitors = {
        s.id: [
            c
            for c in pool
            if c.category == s.category
            and c.id not in (s.id, product.id)
            and conversion_factor(s.declared_unit, c.declared_unit) is not None
            and product_node(c.id) in chain.graph.index
            and known_figure(session, product.organization_id, c, base)
        ]
        for s in suppliers
    }
    materials = []
    for (code, stage), amount in sorted(own.materials.items()):
        if RECYCLED_MARKS & set(code.split(".")):
            continue
        recycled = recycled_dataset(own.factors, code)
        total, of_which = own.physical.get((code, stage), [amount, 0.0])
        share = of_which / total if total else 0.0
        materials.append(MaterialOption(f"{code}@{stage}", own.factors[code], recycled, share))
    region = product.site.grid_region
    sources = [
        s
        for s in GREEN_SOURCES
        if any(re.match(rf"^elec\.{region.split('-')[0].lower()}\.{s}\.", c) for c in own.factors)
    ]
    return Options(suppliers, competitors, materials, sources, region)


def _candidate_pool(session: Session, organization_id: int, categories: set[str]) -> list[Product]:
    """Products a swap could use: the organization's own, those shared with it and those with a
    published declaration, in the categories of its suppliers (the rest is filtered after)."""
    if not categories:
        return []
    shared = visibility.for_organization(session, organization_id).shared
    published = select(Declaration.product_id).where(
        Declaration.published_at.is_not(None), Declaration.withdrawn_at.is_(None)
    )
    return list(
        session.scalars(
            select(Product)
            .where(
                Product.category.in_(categories),
                (Product.organization_id == organization_id)
                | Product.id.in_(shared)
                | Product.id.in_(published),
            )
            .order_by(Product.part_number)
        )
    )


def regions(locale: str) -> list[tuple[str, str]]:
    """Grid regions a site may move to: China's regional grids (reference data), for the form."""
    ref = load_reference()
    return [
        (code, r["zh"] if locale.startswith("zh") else r["en"])
        for code, r in ref.grid_regions.items()
    ]
