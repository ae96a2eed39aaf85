"""The carbon-footprint part of the Battery Pass data model (aspect
`io.BatteryPass.CarbonFootprint` 1.2.0) for a declared battery.

The Battery Regulation's functional unit is one kWh of the total energy the battery provides
over its service life (docs/specs/battery-pcf.md): E_total = capacity (kWh) x full-equivalent
cycles per year x service years. Cycles per year depend on the vehicle category (the rule's
`[lifetime]` table); the service life is the battery's warranty in years. Neither the vehicle
category and the warranty are recorded on the battery product; without them the export is
refused, never guessed. Values are JSON numbers, as the aspect's schema
says (unlike PACT's decimal strings), rounded to 6 decimals.

The aspect has no field for data quality (PACT `dqi`) or carbon content: its model is the
footprint, its stages, the performance class, the study's link and the absolute footprint. They
are not added as properties the model does not define; the linked study (the public declaration
page) and the PACT and Catena-X exports carry them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from footprint_platform.classes import pinned_class
from footprint_platform.errors import InvalidInput
from footprint_platform.models import Declaration
from footprint_platform.reference import load_reference
from footprint_platform.rules import AccountingRule, load_rules

# Our stage codes (config/rules/power_battery.toml) -> the aspect's LifecycleStage values.
STAGES = {
    "raw_material": "RawMaterialExtraction",
    "production": "MainProduction",
    "distribution": "Distribution",
    "end_of_life": "Recycling",
}
PLACES = Decimal("0.000001")
NO_CLASS = "none: no official performance class scale adopted yet"


@dataclass(frozen=True)
class Lifetime:
    """The battery's use as the Regulation's functional unit needs it."""

    vehicle_category: str  # M1, N1, L, M2, ... as in the rule's cycles_per_year table
    service_years: Decimal  # the warranty, in years


def lifetime_for(d: Declaration) -> Lifetime | None:
    """The battery's vehicle category and warranty, as its product records them; None when
    either is missing, and the export then says what is missing."""
    if d.functional_unit is not None:  # pinned when declared
        return Lifetime(
            d.functional_unit["vehicle_category"], Decimal(d.functional_unit["service_life_years"])
        )
    product = d.product
    if not product.vehicle_category or not product.service_life_years:
        return None
    return Lifetime(product.vehicle_category, Decimal(product.service_life_years))


def _refuse(msg: str, field: str = "lifetime") -> InvalidInput:
    return InvalidInput(msg, {field: [msg]})


def is_battery(d: Declaration) -> bool:
    category = load_reference().categories.get(d.product.category)
    return bool(category and category.is_battery)


def lifetime_energy(d: Declaration, rule: AccountingRule, life: Lifetime | None) -> Decimal:
    """kWh delivered over the service life per one declared unit of the declaration: as its
    pinned functional unit says (usable energy × cycles × years), else, for a declaration made
    before it was pinned, from the product with rated capacity standing in for usable energy."""
    if d.functional_unit is not None:
        return Decimal(d.functional_unit["energy_per_declared_unit"])
    cycles_table = rule.raw.get("lifetime", {}).get("cycles_per_year", {})
    if life is None:
        raise _refuse(
            str(
                _l(
                    "Per kWh of lifetime energy needs the battery's vehicle category and "
                    "warranty in years: record them on the product."
                )
            )
        )
    if life.vehicle_category not in cycles_table:
        raise _refuse(
            str(
                _l(
                    "The rule %(rule)s gives no cycles per year for vehicle category %(cat)s.",
                    rule=f"{rule.code} {rule.version}",
                    cat=life.vehicle_category,
                )
            )
        )
    if life.service_years <= 0:
        raise _refuse(str(_l("The service life must be more than zero years.")))
    per_kwh = Decimal(str(cycles_table[life.vehicle_category])) * life.service_years
    if d.declared_unit == "kWh":
        return per_kwh
    capacity = d.product.capacity_kwh
    if d.declared_unit == "piece" and capacity:
        return per_kwh * capacity
    raise _refuse(
        str(_l("The battery's capacity in kWh is needed for its lifetime energy.")), "capacity_kwh"
    )


def _number(value: Decimal) -> float:
    return float(value.quantize(PLACES))


def battery_pass(d: Declaration, study_url: str, life: Lifetime | None) -> dict[str, Any]:
    """The aspect's JSON for a battery declaration; refused for any other product."""
    if not is_battery(d):
        raise _refuse(str(_l("Only batteries have a Battery Pass.")), "category")
    rule = load_rules()[d.rule_code]
    unknown = [s for s in rule.stage_codes if s not in STAGES]
    if unknown:
        raise _refuse(
            str(_l("No Battery Pass stage for: %(stages)s.", stages=", ".join(unknown))), "stage"
        )
    energy = lifetime_energy(d, rule, life)
    stages = [
        {
            "lifecycleStage": STAGES[code],
            "carbonFootprint": _number(Decimal(str(d.by_stage.get(code, "0"))) / energy),
        }
        for code in rule.stage_codes
    ]
    body: dict[str, Any] = {
        "batteryCarbonFootprint": _number(d.total / energy),
        "carbonFootprintPerLifecycleStage": stages,
        "carbonFootprintPerformanceClass": performance_class(d),
        "carbonFootprintStudy": study_url,
    }
    absolute = absolute_footprint(d)
    if absolute is not None:
        body["absoluteCarbonFootprint"] = _number(absolute)
    return body


def performance_class(d: Declaration) -> str:
    """The class only from an official scale: ours are illustrative and per kWh of capacity,
    not the Regulation's classes per kWh of lifetime energy."""
    grade = pinned_class(
        d.product.category, d.performance_class, d.class_scale_version, d.product.chemistry
    )
    if grade is None or grade.illustrative:
        return NO_CLASS
    return grade.grade


def absolute_footprint(d: Declaration) -> Decimal | None:
    """kg CO2e for one whole battery, where its capacity is known (per-kWh declarations)."""
    if d.declared_unit == "piece":
        return d.total
    capacity = (
        Decimal(d.functional_unit["rated_capacity_kwh"])
        if d.functional_unit is not None
        else d.product.capacity_kwh
    )
    if d.declared_unit == "kWh" and capacity:
        return d.total * capacity
    return None
