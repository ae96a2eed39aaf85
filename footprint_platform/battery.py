"""A battery's footprint per kWh: of rated capacity, and of the energy it delivers over its life.

EU 2023/1542 Art. 7 declares per kWh of total lifetime energy; the draft delegated act (April
2024, as reported in docs/specs/battery-pcf.md) sets E_total = usable energy × full-equivalent
cycles per year × service life in years, cycles per year by vehicle category in the accounting
rule, service life = the warranty in years. Rated capacity stands in for usable energy at the
beginning of life (labelled as such wherever it is shown). The two figures differ by cycles ×
years, so each is always shown with its name, never one for the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from footprint_platform.models import Product
from footprint_platform.rules import AccountingRule, load_rules


@dataclass(frozen=True)
class PerKwh:
    per_kwh_capacity: Decimal | None  # kg CO2e per kWh of rated capacity
    per_kwh_lifetime: Decimal | None  # kg CO2e per kWh of total lifetime energy
    lifetime_energy_kwh: Decimal | None  # rated capacity × cycles per year × service years
    cycles_per_year: int | None
    service_life_years: int | None


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
