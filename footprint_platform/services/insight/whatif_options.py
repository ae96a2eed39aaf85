"""What the what-if forms may offer, and what the organization may know: swap candidates
whose figure it may see (footprint_platform/visibility.py), regions, green sources and recycled
datasets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

import supply_graph
from footprint_platform import visibility
from footprint_platform.models import (
    Declaration,
    EmissionFactor,
    Product,
)
from footprint_platform.reference import country_names, load_reference
from footprint_platform.services.graph.chain import (
    ChainGraph,
    product_node,
)
from footprint_platform.services.insight.whatif_changes import (
    RECYCLED_MARKS,
    Own,
    recycled_dataset,
)
from footprint_platform.services.insight.whatif_specs import GREEN_SOURCES, refuse
from footprint_platform.services.intake.activity import GRID
from supply_graph.units import conversion_factor


@dataclass(frozen=True)
class MaterialOption:
    key: str  # code@stage
    factor: EmissionFactor
    recycled: EmissionFactor | None
    recycled_share: float


@dataclass(frozen=True)
class GridChoice:
    """A place the rule gives its own grid factor: China (one national factor for every
    regional grid under these rules) or a country with a factor in the release."""

    region: str
    factor: EmissionFactor
    current: bool  # the factor the product's grid rows have now


@dataclass(frozen=True)
class Options:
    """What the forms may offer: only the organization's own data and figures it may know."""

    suppliers: list[Product]
    competitors: dict[int, list[Product]]  # supplier id -> known products it may be swapped for
    materials: list[MaterialOption]  # only those the release has a recycled dataset for
    green_sources: list[str]
    region: str  # the site's current grid region
    release: str = ""  # the factor release the submission is on
    without_recycled: tuple[EmissionFactor, ...] = ()  # materials with no recycled dataset
    grids: tuple[GridChoice, ...] = ()
    has_grid_power: bool = False

    @property
    def grid_changes(self) -> bool:
        """Whether some choice gives the product's grid rows another factor than now."""
        return self.has_grid_power and any(not g.current for g in self.grids)


def known_figure(
    session: Session,
    organization_id: int,
    product: Product,
    base: supply_graph.RollupResult,
    rule: visibility.Visibility | None = None,
) -> bool:
    """May the organization know this product's current footprint (footprint_platform/
    visibility.py: its own, shared with it, or a published declaration that is still the
    current figure)? The same answer whatever else is true of the product, so a refusal says
    no more than that. `rule`: the organization's, when the caller asks for many products."""
    current = base[product_node(product.id)]
    figure = (float(current.total), {k: float(v) for k, v in current.by_stage.items()})
    rule = rule or visibility.for_organization(session, organization_id)
    return rule.may_see_figure(product.id, figure)


def check_known(
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


def form_options(
    session: Session,
    product: Product,
    own: Own,
    chain: ChainGraph,
    base: supply_graph.RollupResult,
) -> Options:
    suppliers, competitors = swap_options(session, product, own, chain, base)
    materials, without = _materials(own)
    region = product.site.grid_region
    sources = [
        s
        for s in GREEN_SOURCES
        if any(re.match(rf"^elec\.{region.split('-')[0].lower()}\.{s}\.", c) for c in own.factors)
    ]
    return Options(
        suppliers,
        competitors,
        materials,
        sources,
        region,
        own.submission.factor_release.version,
        without,
        grid_choices(own, region),
        any(p.instrument == GRID and p.kwh > 0 for p in own.power),
    )


def swap_options(
    session: Session,
    product: Product,
    own: Own,
    chain: ChainGraph,
    base: supply_graph.RollupResult,
) -> tuple[list[Product], dict[int, list[Product]]]:
    """The suppliers' products a swap may replace, as `own` has them (after a scenario's swaps:
    the product bought instead, not the one it replaced), and for each the known products of
    its kind in a unit that converts, in the period's chain. A product the scenario already
    replaces is not offered back: removing that change does it."""
    suppliers = sorted(own.linked.values(), key=lambda p: p.part_number)
    rule = visibility.for_organization(session, product.organization_id)  # one for the pool
    pool = _candidate_pool(rule, {p.category for p in suppliers})
    known = {
        c.id
        for c in pool
        if c.id != product.id
        and c.id not in own.replaced
        and product_node(c.id) in chain.graph.index
        and known_figure(session, product.organization_id, c, base, rule)
    }
    competitors = {
        s.id: [
            c
            for c in pool
            if c.id in known
            and c.category == s.category
            and c.id != s.id
            and conversion_factor(s.declared_unit, c.declared_unit) is not None
        ]
        for s in suppliers
    }
    return suppliers, competitors


def _materials(own: Own) -> tuple[list[MaterialOption], tuple[EmissionFactor, ...]]:
    """The materials whose recycled share can move (the release has a recycled dataset and
    the rule the parameters its formula needs), and the others, to say why they are not."""
    offered, without = [], []
    for (code, stage), amount in sorted(own.materials.items()):
        if RECYCLED_MARKS & set(code.split(".")):
            continue
        recycled = recycled_dataset(own.factors, code)
        eol = own.rule.end_of_life
        if recycled is None or (eol.is_cff and eol.for_dataset(code) is None):
            if own.factors[code] not in without:
                without.append(own.factors[code])
            continue
        total, of_which = own.physical.get((code, stage), [amount, 0.0])
        share = of_which / total if total else 0.0
        offered.append(MaterialOption(f"{code}@{stage}", own.factors[code], recycled, share))
    return offered, tuple(without)


def grid_choices(own: Own, region: str) -> tuple[GridChoice, ...]:
    """Every grid factor the rule distinguishes in the release: one per factor, China first
    (its regional grids share the national factor unless the rule lists China as regional),
    then each country the release has a factor for. The rest of the world would get no factor,
    so it is not offered."""
    policy, year = own.rule.electricity, own.submission.period_end.year
    now = {p.code for p in own.power if p.instrument == GRID}
    china = ["CN", *load_reference().grid_regions]
    places = china + sorted(c for c in country_names("en") if c != "CN")
    seen: dict[str, GridChoice] = {}
    for place in places:
        code = policy.grid_code(own.factors, place, year)
        if code is None or code in seen or code not in own.factors:
            continue
        seen[code] = GridChoice(place, own.factors[code], code in now)
    return tuple(seen.values())


def _candidate_pool(rule: visibility.Visibility, categories: set[str]) -> list[Product]:
    """Products a swap could use: the organization's own, those shared with it and those with a
    published declaration, in the categories of its suppliers (the rest is filtered after)."""
    if not categories:
        return []
    session, organization_id, shared = rule.session, rule.organization_id, rule.shared
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
