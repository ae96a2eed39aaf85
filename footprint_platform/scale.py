"""A synthetic battery and vehicle industry of N products, for scale tests and benchmarks:
`flask demo load --scale N [--seed S]`.

Tiers follow bench/generate.py (mines -> refineries -> precursors -> cathodes -> cells ->
modules -> packs -> vehicles), over the categories of config/reference/product_categories.toml.
Every consumer buys each linked material from 1-3 competing suppliers of the tier below, so
upstream is shared (realistic fan-in); the rest of its data is electricity, fuels, generic
materials and transport on codes of the seed factor release. Every supplier has agreed to its
customers' links (a share per linked product and customer), so every link counts in the
roll-up. Quantities are plausible per
declared unit but illustrative: this is not any company's data, and every name says "Synthetic".

Everything is drawn from one seeded generator, so a seed gives the same rows and the same
submission content hashes in any empty database. The rows go in with bulk inserts (bulk.py: COPY
on PostgreSQL, one executemany elsewhere), not through the ORM, and are hashed as the very dicts
inserted (fingerprint.content_hash_of), so 100k products load in seconds; they skip the per-row
validation of services/intake/activity.py, which the generator's shapes satisfy (a test checks that
a sample passes `check_rows`). It refuses a database that already has organizations, so it is
never mixed with the ordinary demo.

One module because the synthetic industry's tier table, its generator and its loader are read
together when a benchmark's figures are questioned; nothing else imports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from footprint_platform.bulk import (
    analyze,
    bulk_insert,
    next_ids,
    no_cycle_collection,
    sync_sequences,
)
from footprint_platform.models import (
    FootprintShare,
    MemberRole,
    Organization,
    OrganizationRole,
    Product,
    Site,
    Submission,
    SubmissionInput,
    utcnow,
)
from footprint_platform.policy import SYSTEM, Actor
from footprint_platform.reference import load_reference
from footprint_platform.rules import rule_for_category
from footprint_platform.services.catalogue import audit
from footprint_platform.services.catalogue.factors import load_seed
from footprint_platform.services.intake.activity import implied_provenance
from footprint_platform.services.intake.fingerprint import content_hash_of

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
DIESEL = "fuel.diesel.combustion.per_kg"
COAL = "fuel.coal.bituminous.combustion.per_kg"
GAS = "fuel.natural_gas.combustion.cn"
TRUCK = "transport.truck.heavy"
GRID = "elec.cn.cfp.2023"  # the rules' grid factor for Chinese sites


@dataclass(frozen=True)
class Tier:
    """One kind of producer: its category, share of N, declared unit and inputs per unit.
    `links`: (supplier category, low, high) in the supplier's declared unit, split over 1-3
    suppliers; `generic`: (factor code, low, high, unit); `kwh` and `fuel`: energy per unit."""

    category: str
    share: float
    unit: str
    links: tuple[tuple[str, float, float], ...] = ()
    generic: tuple[tuple[str, float, float, str], ...] = ()
    kwh: tuple[float, float] | None = None
    fuel: tuple[str, float, float, str] | None = None
    country: str = "CN"
    chemistry: str | None = None
    coproduct: bool = False
    waste: bool = False
    unsubmitted: float = 0.0  # share left without data (on the category's generic factor)


CELL = (
    ("anode_graphite", 1.0, 1.2),
    ("electrolyte", 1.0, 1.4),
    ("separator", 0.12, 0.18),
    ("aluminium_foil", 0.25, 0.35),
    ("copper_foil", 0.5, 0.7),
    ("cell_casing", 0.4, 0.6),
)
TIERS = (
    Tier("ore_lithium", 0.04, "kg", fuel=(DIESEL, 0.005, 0.015, "kg"), country="AU"),
    Tier("ore_nickel", 0.04, "kg", fuel=(DIESEL, 0.02, 0.06, "kg"), country="ID"),
    Tier("ore_cobalt", 0.02, "kg", fuel=(DIESEL, 0.02, 0.05, "kg"), country="CD"),
    Tier(
        "lithium_carbonate",
        0.05,
        "kg",
        links=(("ore_lithium", 6.5, 8.5),),
        kwh=(5, 8),
        fuel=(COAL, 1.5, 3, "kg"),
        unsubmitted=0.05,
    ),
    Tier(
        "lithium_hydroxide",
        0.05,
        "kg",
        links=(("ore_lithium", 6.5, 8.0),),
        kwh=(6, 9),
        fuel=(COAL, 1.5, 3, "kg"),
        unsubmitted=0.05,
    ),
    Tier(
        "nickel_sulfate",
        0.06,
        "kg",
        links=(("ore_nickel", 0.5, 0.7),),
        kwh=(1, 3),
        fuel=(COAL, 0.3, 0.6, "kg"),
        unsubmitted=0.05,
    ),
    Tier(
        "cobalt_sulfate",
        0.03,
        "kg",
        links=(("ore_cobalt", 0.4, 0.6),),
        kwh=(2, 4),
        coproduct=True,
        unsubmitted=0.05,
    ),
    Tier("manganese_sulfate", 0.02, "kg", kwh=(1, 2), fuel=(COAL, 0.2, 0.5, "kg")),
    Tier("iron_phosphate", 0.03, "kg", kwh=(2, 4), fuel=(GAS, 0.1, 0.3, "m^3")),
    Tier(
        "precursor_ncm",
        0.06,
        "kg",
        links=(
            ("nickel_sulfate", 1.5, 1.8),
            ("cobalt_sulfate", 0.2, 0.3),
            ("manganese_sulfate", 0.2, 0.3),
        ),
        kwh=(3, 6),
    ),
    Tier(
        "cathode_ncm",
        0.06,
        "kg",
        links=(("precursor_ncm", 0.95, 1.05), ("lithium_hydroxide", 0.45, 0.5)),
        kwh=(8, 14),
    ),
    Tier(
        "cathode_lfp",
        0.04,
        "kg",
        links=(("iron_phosphate", 0.95, 1.0), ("lithium_carbonate", 0.23, 0.26)),
        kwh=(5, 9),
    ),
    Tier(
        "anode_graphite",
        0.05,
        "kg",
        generic=(("mat.graphite.synthetic.cn", 1.05, 1.15, "kg"),),
        kwh=(2, 5),
    ),
    Tier("lipf6", 0.02, "kg", links=(("lithium_carbonate", 0.25, 0.3),), kwh=(5, 10)),
    Tier("electrolyte", 0.04, "kg", links=(("lipf6", 0.12, 0.15),), kwh=(0.5, 1.5)),
    Tier("separator", 0.03, "kg", generic=(("mat.pp.primary.gb", 1.1, 1.3, "kg"),), kwh=(3, 6)),
    Tier(
        "aluminium_foil",
        0.03,
        "kg",
        generic=(("mat.aluminium.primary.cn", 1.02, 1.06, "kg"),),
        kwh=(1.5, 2.5),
    ),
    Tier(
        "copper_foil",
        0.03,
        "kg",
        generic=(("mat.copper.cathode.glo", 1.02, 1.05, "kg"),),
        kwh=(6, 10),
    ),
    Tier(
        "cell_casing",
        0.03,
        "kg",
        generic=(("mat.aluminium.primary.cn", 1.05, 1.1, "kg"),),
        kwh=(1, 2),
    ),
    Tier(
        "other_component",
        0.08,
        "kg",
        generic=(("mat.steel.crude.glo", 1.05, 1.2, "kg"),),
        kwh=(0.5, 2),
    ),
    Tier(
        "battery_cell",
        0.04,
        "kWh",
        links=(("cathode_ncm", 1.4, 1.8), *CELL),
        kwh=(30, 60),
        chemistry="NMC811",
    ),
    Tier(
        "battery_cell",
        0.02,
        "kWh",
        links=(("cathode_lfp", 2.0, 2.4), *CELL),
        kwh=(30, 60),
        chemistry="LFP",
    ),
    Tier(
        "battery_module",
        0.05,
        "kWh",
        links=(("battery_cell", 1.0, 1.02), ("other_component", 0.3, 0.6)),
        kwh=(1, 3),
    ),
    Tier(
        "battery_pack",
        0.05,
        "kWh",
        links=(("battery_module", 1.0, 1.02), ("other_component", 1.0, 2.0)),
        kwh=(2, 5),
        waste=True,
    ),
    Tier(
        "vehicle_bev",
        0.06,
        "piece",
        links=(("battery_pack", 50, 100), ("other_component", 1100, 1500)),
        generic=(("mat.aluminium.primary.cn", 150, 250, "kg"),),
        kwh=(800, 1500),
        waste=True,
    ),
    Tier(
        "vehicle_phev",
        0.02,
        "piece",
        links=(("battery_pack", 15, 25), ("other_component", 1300, 1600)),
        generic=(("mat.aluminium.primary.cn", 120, 200, "kg"),),
        kwh=(900, 1600),
        waste=True,
    ),
)
# What a battery's lifetime energy is counted with (EU 2023/1542 functional unit, the
# power-battery rule's [lifetime]), as the demo chain states them (config/demo/supply_chain.toml):
# a passenger car (M1), a warranty of 8 years or 160 000 km (the longer durability term of UN
# GTR No. 22), the usable energy at the beginning of life 95 % of the rated capacity. SYNTHETIC
# DATA: one rated kWh per declared kWh, so the lifetime energy per declared unit is the demo's.
BATTERY_FIELDS: dict[str, Any] = {
    "capacity_kwh": Decimal("1"),
    "usable_energy_kwh": Decimal("0.95"),
    "vehicle_category": "M1",
    "service_life_years": 8,
    "warranty_km": 160000,
}


def _battery_fields(category: str) -> dict[str, Any]:
    """The functional-unit columns of a synthetic product: a battery's (BATTERY_FIELDS), so its
    declarations can be made as the demo's are; None for every other product."""
    found = load_reference().categories.get(category)
    if found is not None and found.is_battery:
        return dict(BATTERY_FIELDS)
    return {k: None for k in BATTERY_FIELDS}


PRODUCTS_PER_ORG = (4, 13)  # each organization makes 4-12 products of one tier at one site


@dataclass
class Industry:
    """The rows to insert, keyed by table name, in insertion order, plus the hashes."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    hashes: list[str] = field(default_factory=list)


def tier_sizes(n: int) -> list[int]:
    """Products per tier: at least 2 each, the rest of N in other_component."""
    sizes = [max(2, int(t.share * n)) for t in TIERS]
    spare = [t.category for t in TIERS].index("other_component")
    sizes[spare] = max(2, sizes[spare] + n - sum(sizes))
    return sizes


def build_industry(n: int, seed: int, first_ids: dict[str, int], release_id: int) -> Industry:
    """All rows for N products; ids start at `first_ids[table]` (the database assigns none)."""
    rng = np.random.default_rng(seed)
    out = Industry({k: [] for k in ("organization", "organization_role", "site", "product")})
    provinces = sorted(load_reference().provinces)
    now = utcnow()
    pool: dict[str, list[tuple[int, str]]] = {}  # category -> [(product id, unit)]
    ids = dict(first_ids)
    products: list[tuple[int, int, Tier]] = []  # (product id, organization id, tier)
    for tier, size in zip(TIERS, tier_sizes(n), strict=True):
        made = 0
        while made < size:
            count = min(size - made, int(rng.integers(*PRODUCTS_PER_ORG)))
            org, site = ids["organization"], ids["site"]
            ids["organization"] += 1
            ids["site"] += 1
            province = provinces[int(rng.integers(len(provinces)))]
            china = tier.country == "CN"
            out.rows["organization"].append(
                {
                    "id": org,
                    "name_en": f"Synthetic {tier.category} maker {org:06d}",
                    "name_zh": None,
                    "country": tier.country,
                    "created_at": now,
                    "version": 1,
                }
            )
            roles = ["supplier"] if not tier.category.startswith("vehicle") else ["buyer"]
            if tier.links and "buyer" not in roles:
                roles.append("buyer")
            out.rows["organization_role"] += [{"organization_id": org, "role": r} for r in roles]
            out.rows["site"].append(
                {
                    "id": site,
                    "organization_id": org,
                    "name": f"Plant {site:06d}",
                    "country": tier.country,
                    "province": province if china else None,
                    "city": None,
                    "grid_region": load_reference().grids_for(province)[0]
                    if china
                    else tier.country,
                    "created_at": now,
                    "version": 1,
                }
            )
            for _ in range(count):
                pid = ids["product"]
                ids["product"] += 1
                out.rows["product"].append(
                    {
                        "id": pid,
                        "organization_id": org,
                        "site_id": site,
                        "name_en": f"Synthetic {tier.category.replace('_', ' ')} {pid}",
                        "name_zh": None,
                        "part_number": f"SYN-{pid:07d}",
                        "category": tier.category,
                        "declared_unit": tier.unit,
                        "description": None,
                        "chemistry": tier.chemistry,
                        "mass_kg": None,
                        **_battery_fields(tier.category),
                        "created_at": now,
                        "version": 1,
                    }
                )
                pool.setdefault(tier.category, []).append((pid, tier.unit))
                products.append((pid, org, tier))
            made += count
    regions = {s["organization_id"]: s["grid_region"] for s in out.rows["site"]}
    out.rows["submission"], out.rows["submission_input"] = [], []
    rank: dict[str, int] = {}
    for pid, org, tier in products:
        k = rank[tier.category] = rank.get(tier.category, -1) + 1
        if tier.unsubmitted and k % round(1 / tier.unsubmitted) == 7:  # every 20th, 8th first
            continue
        inputs = list(_inputs(rng, tier, pool, regions[org]))
        rule = rule_for_category(tier.category)
        sub = {
            "id": ids["submission"],
            "organization_id": org,
            "product_id": pid,
            "period_start": PERIOD[0],
            "period_end": PERIOD[1],
            "version": 1,
            "status": "submitted",
            "rule_code": rule.code,
            "rule_version": rule.version,
            "factor_release_id": release_id,
            "production_volume": None,
            "dqr": (dqr := Decimal(int(rng.integers(15, 41))) / 10),
            "dqr_technological": dqr,
            "dqr_temporal": dqr,
            "dqr_geographical": dqr,
            "notes": None,
            "channel": "cli",
            "created_at": now,
            "submitted_at": now,
            "lock_version": 1,
        }
        ids["submission"] += 1
        for position, row in enumerate(inputs, start=1):
            row.update(id=ids["submission_input"], submission_id=sub["id"], position=position)
            ids["submission_input"] += 1
        sub["content_hash"] = digest = _hash(sub, inputs)
        out.hashes.append(digest)
        out.rows["submission"].append(sub)
        out.rows["submission_input"] += inputs
    out.rows["footprint_share"] = _consents(
        products, out.rows["submission"], out.rows["submission_input"], ids, now
    )
    return out


def _consents(
    products: list[tuple[int, int, Tier]],
    submissions: list[dict[str, Any]],
    inputs: list[dict[str, Any]],
    ids: dict[str, int],
    now: Any,
) -> list[dict[str, Any]]:
    """A share of each linked product with each customer organization linking it: the
    suppliers' consent, without which a link is valued with a secondary dataset."""
    maker = {pid: org for pid, org, _t in products}
    submission_org = {sub["id"]: sub["organization_id"] for sub in submissions}
    pairs: dict[tuple[int, int], None] = {}
    for row in inputs:
        linked = row["linked_product_id"]
        if linked is None:
            continue
        org = submission_org[row["submission_id"]]
        if maker[linked] != org:
            pairs.setdefault((linked, org), None)
    out = []
    for linked, org in pairs:
        out.append(
            {
                "id": ids["footprint_share"],
                "organization_id": maker[linked],
                "product_id": linked,
                "buyer_id": org,
                "created_by_id": None,
                "created_at": now,
                "revoked_at": None,
            }
        )
        ids["footprint_share"] += 1
    return out


def _q(rng: np.random.Generator, low: float, high: float) -> Decimal:
    """A quantity with 4 decimals: exact in Numeric(24, 10) and through a float on SQLite."""
    return Decimal(f"{rng.uniform(low, high):.4f}")


def _row(kind: str, stage: str, quantity: Decimal, unit: str, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": kind,
        "stage": stage,
        "description": None,
        "quantity": quantity,
        "unit": unit,
        "factor_code": None,
        "linked_product_id": None,
        "external_footprint_id": None,
        "grid_region": None,
        "instrument": None,
        "distance_km": None,
        "allocation_basis": None,
        "allocation_share": None,
        "evidence_id": None,
        "dqr": None,
        "dqr_technological": None,
        "dqr_temporal": None,
        "dqr_geographical": None,
        # as services/intake/activity.py stores it: the makers' own activity measured, a material
        # valued by a dataset secondary, a link none
        "provenance": None,
    }
    row.update(extra)
    row["provenance"] = implied_provenance(
        kind, row["factor_code"], row["linked_product_id"], row["external_footprint_id"]
    )
    return row


def _inputs(
    rng: np.random.Generator, tier: Tier, pool: dict[str, list[tuple[int, str]]], region: str
) -> Iterator[dict[str, Any]]:
    """One product's activity rows per declared unit, shaped as services/intake/activity.py stores
    them (grid electricity with its region and factor filled in, transport as mass x km)."""
    for category, low, high in tier.links:
        suppliers = pool[category]
        picks = int(rng.integers(1, 4))
        total = float(rng.uniform(low, high))
        weights = rng.dirichlet(np.ones(picks))
        for k in range(picks):
            pid, unit = suppliers[int(rng.integers(len(suppliers)))]
            amount = total * float(weights[k])
            # some buyers write grams (small amounts only: SQLite keeps NUMERIC as a double,
            # and 10 decimals of a value above ~1e5 would not read back as written)
            if unit == "kg" and amount < 50 and rng.random() < 0.1:
                amount, unit = amount * 1000, "g"
            yield _row(
                "material",
                "raw_material",
                Decimal(f"{amount:.4f}"),
                unit,
                description=category.replace("_", " "),
                linked_product_id=pid,
            )
    for code, low, high, unit in tier.generic:
        yield _row("material", "raw_material", _q(rng, low, high), unit, factor_code=code)
    if tier.kwh:
        in_mj = rng.random() < 0.1
        quantity = _q(rng, *tier.kwh) * (Decimal("3.6") if in_mj else 1)
        yield _row(
            "electricity",
            "production",
            quantity,
            "MJ" if in_mj else "kWh",
            factor_code=GRID,
            grid_region=region,
            instrument="grid",
        )
    if tier.fuel:
        code, low, high, unit = tier.fuel
        yield _row("fuel", "production", _q(rng, low, high), unit, factor_code=code)
    if tier.coproduct and rng.random() < 0.3:
        yield _row(
            "coproduct",
            "production",
            _q(rng, 0.1, 0.4),
            "kg",
            description="Copper cathode (co-product)",
            allocation_basis="mass",
            allocation_share=Decimal(f"{rng.uniform(0.1, 0.3):.6f}"),
        )
    if tier.waste:
        yield _row(
            "waste",
            "end_of_life",
            _q(rng, 0.01, 0.05),
            "t",
            factor_code="waste.metals.landfill.gb",
        )
    carried = "kg" if tier.unit != "piece" else "t"
    yield _row(
        "transport",
        "raw_material",
        _q(rng, 1, 3),
        carried,
        factor_code=TRUCK,
        distance_km=Decimal(int(rng.integers(100, 2000))),
    )


def _hash(sub: dict[str, Any], inputs: list[dict[str, Any]]) -> str:
    """The submission's content hash, by the same canonical form as a submitted one, from the
    very dicts that are inserted."""
    return content_hash_of(sub, inputs)


TABLES: tuple[Table, ...] = (
    Organization.__table__,  # type: ignore[assignment]
    OrganizationRole.__table__,  # type: ignore[assignment]
    Site.__table__,  # type: ignore[assignment]
    Product.__table__,  # type: ignore[assignment]
    Submission.__table__,  # type: ignore[assignment]
    SubmissionInput.__table__,  # type: ignore[assignment]
    FootprintShare.__table__,  # type: ignore[assignment]
)


def load_scale(session: Session, n: int, seed: int = 2024) -> dict[str, int]:
    """Load the synthetic industry into an empty database (the seed release is published if
    missing); returns rows written per table. Refuses a database with organizations."""
    if n < len(TIERS) * 2:
        raise ValueError(f"the synthetic industry needs at least {len(TIERS) * 2} products")
    if session.scalar(select(func.count()).select_from(Organization)):
        raise ValueError("the database already has organizations; --scale needs an empty one")
    release = load_seed(session)
    release_id = release.id if release is not None else _seed_release_id(session)
    # a million new dicts, Decimals and tuples, none in a cycle: the cyclic collector would
    # rescan them all again and again (bench/RESULTS.md, "Loading the 100k industry")
    with no_cycle_collection():
        industry = build_industry(n, seed, next_ids(session, TABLES), release_id)
        for table in TABLES:
            bulk_insert(session, table, industry.rows[table.name])
    sync_sequences(session, TABLES)
    counts = {t.name: len(industry.rows[t.name]) for t in TABLES}
    audit.record(
        session,
        SYSTEM,
        "demo.scale",
        object_type="Demo",
        details={"products": n, "seed": seed, **counts},
    )
    session.commit()
    analyze(session, TABLES)
    session.commit()
    return counts


def _seed_release_id(session: Session) -> int:
    from footprint_platform.services.catalogue.factors import latest_release

    return latest_release(session).id


def maker_admin(product: Product) -> Actor:
    """The synthetic organizations have no people: an admin actor of the product's maker, for
    benchmarks and tests that act for it through the ordinary services."""
    org = product.organization_id
    return Actor(
        user_id=None,
        roles={org: MemberRole.ADMIN},
        org_roles={org: frozenset(product.organization.roles)},
        channel="cli",
    )
