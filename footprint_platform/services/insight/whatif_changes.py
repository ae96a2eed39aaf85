"""A what-if spec as engine changes on the period's graph: the product's own rows read once,
then a swap of provider, a grid region, a green share under a contractual instrument or a recycled
share, each touching only the product's own node and input edges.

One module because the four kinds of change share the product's own rows as read once (`Own`)
and the plan they add to; each kind is a short function beside the others."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform import visibility
from footprint_platform.models import (
    PRIMARY_PROVENANCE,
    EmissionFactor,
    InputKind,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.reference import load_reference
from footprint_platform.rules import AccountingRule, rule_version
from footprint_platform.services.graph.chain import (
    PENDING,
    product_node,
)
from footprint_platform.services.insight.whatif_specs import (
    GREEN_SHARE,
    GRID_REGION,
    RECYCLED,
    SWAP,
    fraction,
    refuse,
)
from footprint_platform.services.intake.activity import GRID
from supply_graph.circular import CFF, CUT_OFF, input_weights
from supply_graph.scenario import Change, ReplaceProvider, SetAmount
from supply_graph.units import conversion_factor

# The instrument a green share is modelled with (one the rules accept, config/rules/*.toml).
GREEN_INSTRUMENT = "ppa"


# A recycled material dataset carries one of these segments in its code (mat.<material>.…).
RECYCLED_MARKS = frozenset({"recycled", "secondary"})


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
class Own:
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
    # the suppliers' products as the scenario has them: `linked` loses a swapped-out product
    # (kept in `replaced`) and gains the one bought instead (in `swapped_in`); `original`
    # holds the products the data links, so a later swap knows which edge it moves
    replaced: dict[int, Product] = field(default_factory=dict)
    swapped_in: set[int] = field(default_factory=set)
    original: set[int] = field(default_factory=set)


@dataclass
class Plan:
    edges: list[Change] = field(default_factory=list)
    leaves: list[tuple[str, str, str, float]] = field(default_factory=list)
    swaps: list[tuple[Product, Product]] = field(default_factory=list)  # (supplier, competitor)
    described: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_own(session: Session, product: Product, period: tuple[date, date] | None) -> Own:
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
    own = Own(sub, rule_version(sub.rule_code, sub.rule_version), factors, [], {}, {})
    for row in session.scalars(
        select(SubmissionInput).where(SubmissionInput.submission_id == sub.id)
    ):
        _read_row(own, row)
    own.original = set(own.linked)
    return own


def _read_row(own: Own, row: SubmissionInput) -> None:
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


def _weights(own: Own, code: str, share: float) -> tuple[float, float]:
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


def translate(
    session: Session, product: Product, own: Own, spec: dict[str, Any], plan: Plan
) -> None:
    {SWAP: _swap, GRID_REGION: _grid, GREEN_SHARE: _green, RECYCLED: _recycled}[spec["kind"]](
        session, product, own, spec, plan
    )


def _swap(session: Session, product: Product, own: Own, spec: dict[str, Any], plan: Plan) -> None:
    """Buy the competitor instead of a supplier's product as the scenario has it so far: one
    the data links, or one an earlier swap brought in (that swap's edge moves on again)."""
    supplier = own.linked.get(spec["supplier"])
    if supplier is None and spec["supplier"] in own.replaced:
        raise refuse("supplier", _l("This supplier is already replaced in this scenario."))
    if supplier is None:
        raise refuse("supplier", _l("Not a supplier's product linked in this product's data."))
    competitor = session.get(Product, spec["competitor"])
    if competitor is None:
        raise refuse("competitor", _l("Unknown product."))
    if competitor.id in (product.id, supplier.id):
        raise refuse("competitor", _l("Choose a product other than this one and the supplier's."))
    if competitor.id in own.replaced:
        raise refuse(
            "competitor",
            _l("This scenario already replaces this product: remove that change instead."),
        )
    _check_kind(supplier, competitor)
    plan.swaps.append((supplier, competitor))
    node = product_node(product.id)
    for old in _provider_nodes(session, product, own, supplier):
        plan.edges.append(ReplaceProvider(node, old, product_node(competitor.id)))
    del own.linked[supplier.id]
    own.replaced[supplier.id] = supplier
    own.linked[competitor.id] = competitor
    own.swapped_in.add(competitor.id)
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


def _check_kind(supplier: Product, competitor: Product) -> None:
    """The competitor replaces the supplier's product only as the same kind, in a unit that
    converts."""
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


def _provider_nodes(session: Session, product: Product, own: Own, supplier: Product) -> list[str]:
    """The graph nodes the product buys the supplier's product from in the scenario so far: its
    own link's (a link awaiting its maker's consent is valued by its pending leaf,
    relations/consent.py), and the product's node where an earlier swap brought it in (the
    engine applies the changes in order, so that edge holds what was moved to it)."""
    nodes = []
    if supplier.id in own.original:
        consented = supplier.organization_id == product.organization_id or (
            supplier.id in visibility.for_organization(session, product.organization_id).shared
        )
        nodes.append(product_node(supplier.id) if consented else f"{PENDING}{supplier.id}")
    if supplier.id in own.swapped_in and product_node(supplier.id) not in nodes:
        nodes.append(product_node(supplier.id))
    return nodes


def _grid(session: Session, product: Product, own: Own, spec: dict[str, Any], plan: Plan) -> None:
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


def _green(session: Session, product: Product, own: Own, spec: dict[str, Any], plan: Plan) -> None:
    grid = [p for p in own.power if p.instrument == GRID and p.kwh > 0]
    if not grid:
        raise refuse("share", _l("This product's data has no grid electricity to replace."))
    share = fraction(spec)
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


def _green_td(own: Own, region: str) -> float:
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


def _green_factor(own: Own, country: str, source: str) -> EmissionFactor:
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
    session: Session, product: Product, own: Own, spec: dict[str, Any], plan: Plan
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
    share = fraction(spec)
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


def _add(own: Own, stage: str, value: float, primary: bool) -> None:
    own.direct[stage] = own.direct.get(stage, 0.0) + value
    if primary:
        own.primary_delta += value
