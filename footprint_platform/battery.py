"""A battery's footprint per kWh: of rated capacity, and of the energy it delivers over its life.

EU 2023/1542 Art. 7 declares per kWh of total lifetime energy; the draft delegated act (April
2024, as reported in docs/specs/battery-pcf.md) sets E_total = usable energy at the beginning of
life × full-equivalent cycles per year × service life in years, cycles per year by vehicle
category in the accounting rule (`[lifetime]`), service life = the warranty in years (a warranty
by distance converted to years, the shorter applying). A declaration under such a rule pins its
`FunctionalUnit`, so its declared figure (per kWh of lifetime energy) never follows a later
change of the product. The figure per kWh of rated capacity is shown beside it, each with its
name, never one for the other. Declarations made before the functional unit was pinned are read
as they were shown then: rated capacity standing in for usable energy, from the product.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from footprint_platform.errors import InvalidInput
from footprint_platform.models import Declaration, Product
from footprint_platform.reference import load_reference
from footprint_platform.rules import AccountingRule, load_rules


@dataclass(frozen=True)
class PerKwh:
    per_kwh_capacity: Decimal | None  # kg CO2e per kWh of rated capacity
    per_kwh_lifetime: Decimal | None  # kg CO2e per kWh of total lifetime energy
    lifetime_energy_kwh: Decimal | None  # rated capacity × cycles per year × service years
    cycles_per_year: int | None
    service_life_years: Decimal | int | None
    usable_energy_kwh: Decimal | None = None  # pinned declarations: one battery's, at start


def cycles_per_year(rule: AccountingRule) -> dict[str, int]:
    """Full-equivalent cycles per year by vehicle category, as the rule gives them."""
    return {k: int(v) for k, v in rule.raw.get("lifetime", {}).get("cycles_per_year", {}).items()}


def vehicle_categories() -> list[str]:
    """Every vehicle category some rule gives cycles for (choices on the product form)."""
    seen: dict[str, None] = {}
    for rule in load_rules().values():
        seen.update(dict.fromkeys(cycles_per_year(rule)))
    return list(seen)


def per_unit_to_per_kwh(product: Product, per_unit: Decimal) -> Decimal | None:
    """kg CO2e per declared unit → per kWh of rated capacity (None without a capacity)."""
    unit, capacity = product.declared_unit, product.capacity_kwh
    if unit == "kWh":
        return per_unit
    if not capacity:
        return None
    if unit == "piece":
        return per_unit / capacity
    if unit == "kg" and product.mass_kg:
        return per_unit * product.mass_kg / capacity
    return None


def per_kwh(product: Product, rule: AccountingRule, per_unit: Decimal) -> PerKwh | None:
    """Both per-kWh figures of a battery's declared footprint; None for what is not a battery
    (no capacity). The lifetime figure needs the vehicle category and the service life."""
    capacity_based = per_unit_to_per_kwh(product, per_unit)
    if capacity_based is None:
        return None
    cycles = cycles_per_year(rule).get(product.vehicle_category or "")
    years = product.service_life_years
    if not cycles or not years or not product.capacity_kwh:
        return PerKwh(capacity_based, None, None, cycles, years)
    # per kWh of capacity → per kWh delivered: the whole life delivers cycles × years kWh per kWh
    delivered = Decimal(cycles * years)
    return PerKwh(
        capacity_based,
        capacity_based / delivered,
        product.capacity_kwh * delivered,
        cycles,
        years,
    )


@dataclass(frozen=True)
class FunctionalUnit:
    """A battery's total lifetime energy as its rule defines it, pinned on its declaration."""

    usable_energy_kwh: Decimal  # one battery, at the beginning of life
    rated_capacity_kwh: Decimal
    vehicle_category: str
    cycles_per_year: int
    service_life_years: Decimal  # from the warranty: years, or km / km a year, the shorter
    warranty_years: int | None
    warranty_km: int | None
    lifetime_energy_kwh: Decimal  # E_total of one battery
    energy_per_declared_unit: Decimal  # kWh of lifetime energy per declared unit
    rule: str  # "code version" of the rule that gave the cycles

    def as_json(self) -> dict[str, Any]:
        return {
            "usable_energy_kwh": str(self.usable_energy_kwh),
            "rated_capacity_kwh": str(self.rated_capacity_kwh),
            "vehicle_category": self.vehicle_category,
            "cycles_per_year": self.cycles_per_year,
            "service_life_years": str(self.service_life_years),
            "warranty_years": self.warranty_years,
            "warranty_km": self.warranty_km,
            "lifetime_energy_kwh": str(self.lifetime_energy_kwh),
            "energy_per_declared_unit": str(self.energy_per_declared_unit),
            "rule": self.rule,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FunctionalUnit:
        return cls(
            usable_energy_kwh=Decimal(data["usable_energy_kwh"]),
            rated_capacity_kwh=Decimal(data["rated_capacity_kwh"]),
            vehicle_category=str(data["vehicle_category"]),
            cycles_per_year=int(data["cycles_per_year"]),
            service_life_years=Decimal(data["service_life_years"]),
            warranty_years=data.get("warranty_years"),
            warranty_km=data.get("warranty_km"),
            lifetime_energy_kwh=Decimal(data["lifetime_energy_kwh"]),
            energy_per_declared_unit=Decimal(data["energy_per_declared_unit"]),
            rule=str(data["rule"]),
        )


def needs_functional_unit(product: Product, rule: AccountingRule) -> bool:
    """A battery under a rule that defines lifetime energy (`[lifetime]`) is declared per kWh
    of it."""
    category = load_reference().categories.get(product.category)
    return bool(category and category.is_battery and "lifetime" in rule.raw)


def km_per_year(rule: AccountingRule) -> dict[str, Decimal]:
    """Yearly distance by vehicle category to turn a warranty in km into years, where the
    rule states one (none is stated until a source gives it)."""
    table = rule.raw.get("lifetime", {}).get("km_per_year", {})
    return {k: Decimal(str(v)) for k, v in table.items()}


def functional_unit_missing(product: Product, rule: AccountingRule) -> list[str]:
    """What the product lacks for its lifetime energy under `rule`, each named for people."""
    missing = []
    if not product.usable_energy_kwh:
        missing.append(str(_l("usable energy at the beginning of life (kWh)")))
    if not product.capacity_kwh:
        missing.append(str(_l("rated capacity (kWh)")))
    if product.vehicle_category not in cycles_per_year(rule):
        missing.append(str(_l("vehicle category the rule gives cycles a year for")))
    by_km = product.warranty_km and product.vehicle_category in km_per_year(rule)
    if not product.service_life_years and not by_km:
        if product.warranty_km:
            missing.append(
                str(_l("warranty in years (the rule states no yearly distance to convert km)"))
            )
        else:
            missing.append(str(_l("warranty (years)")))
    if product.declared_unit == "kg" and not product.mass_kg:
        missing.append(str(_l("mass (kg)")))
    return missing


def functional_unit(product: Product, rule: AccountingRule) -> FunctionalUnit:
    """The battery's functional unit under `rule`; InvalidInput naming what is missing."""
    missing = functional_unit_missing(product, rule)
    if missing:
        msg = str(
            _l(
                "A battery is declared per kWh of total lifetime energy (%(rule)s); record on "
                "the product: %(missing)s.",
                rule=f"{rule.code} {rule.version}",
                missing=", ".join(missing),
            )
        )
        raise InvalidInput(msg, {"product_id": [msg]})
    assert product.usable_energy_kwh and product.capacity_kwh and product.vehicle_category
    cycles = cycles_per_year(rule)[product.vehicle_category]
    years_options = []
    if product.service_life_years:
        years_options.append(Decimal(product.service_life_years))
    per_year = km_per_year(rule).get(product.vehicle_category)
    if product.warranty_km and per_year:
        years_options.append(Decimal(product.warranty_km) / per_year)
    years = min(years_options)  # the shorter of the warranty's terms
    energy = product.usable_energy_kwh * cycles * years
    per_unit = {
        "kWh": energy / product.capacity_kwh,  # per kWh of rated capacity
        "piece": energy,
        "kg": energy / product.mass_kg if product.mass_kg else None,
    }.get(product.declared_unit)
    if per_unit is None:
        msg = str(_l("A battery's declared unit must be kWh, piece or kg."))
        raise InvalidInput(msg, {"product_id": [msg]})
    return FunctionalUnit(
        usable_energy_kwh=product.usable_energy_kwh,
        rated_capacity_kwh=product.capacity_kwh,
        vehicle_category=product.vehicle_category,
        cycles_per_year=cycles,
        service_life_years=years,
        warranty_years=product.service_life_years,
        warranty_km=product.warranty_km,
        lifetime_energy_kwh=energy,
        energy_per_declared_unit=per_unit,
        rule=f"{rule.code} {rule.version}",
    )


def declared_per_kwh(d: Declaration) -> PerKwh | None:
    """Both per-kWh figures of a declaration: from its pinned functional unit, else (made
    before it was pinned) from the product as `per_kwh` computes them."""
    if d.functional_unit is None:
        rule = load_rules().get(d.rule_code)
        return None if rule is None else per_kwh(d.product, rule, d.total)
    fu = FunctionalUnit.from_json(d.functional_unit)
    per_lifetime = d.total / fu.energy_per_declared_unit
    return PerKwh(
        per_lifetime * fu.lifetime_energy_kwh / fu.rated_capacity_kwh,  # pinned, not live
        per_lifetime,
        fu.lifetime_energy_kwh,
        fu.cycles_per_year,
        fu.service_life_years,
        fu.usable_energy_kwh,
    )
