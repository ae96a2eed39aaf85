"""Reading a partner's PACT v3 ProductFootprint into plain values (the import of partners'
footprints builds on this). The JSON must pass our PACT schema (config/schemas/pact-3.0.3) and
the rules the schema cannot say: a v3 spec version, a reference period that ends after it starts,
a validity period inside the one PACT allows. Every problem names its JSON path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from footprint_platform import json_schemas
from footprint_platform.errors import InvalidInput

# PACT declaredUnitOfMeasurement -> our unit (pint notation); None where we have no such unit.
UNITS: dict[str, str | None] = {
    "liter": "L",
    "kilogram": "kg",
    "cubic meter": "m^3",
    "kilowatt hour": "kWh",
    "megajoule": "MJ",
    "ton kilometer": "t*km",
    "square meter": "m^2",
    "piece": "piece",
    "hour": "h",
    "megabit second": None,
}
VALIDITY_YEARS = 3


@dataclass(frozen=True)
class Incoming:
    """What Tanlian keeps of a partner's footprint, per ONE of our units (`unit`)."""

    id: str
    spec_version: str
    status: str
    created: datetime
    company_name: str
    company_ids: tuple[str, ...]
    product_ids: tuple[str, ...]
    product_name: str
    product_description: str
    preceding_ids: tuple[str, ...]
    pact_unit: str
    unit: str | None
    declared_amount: Decimal
    per_unit_excluding_biogenic: Decimal
    per_unit_including_biogenic: Decimal
    fossil_per_unit: Decimal
    reference_start: datetime
    reference_end: datetime  # exclusive, as PACT has it
    geography: str | None
    gwp: tuple[str, ...]
    standards: tuple[str, ...]
    primary_data_share: Decimal | None  # percent
    dqi: dict[str, Decimal] | None
    verified_by: str | None
    valid_from: datetime
    valid_until: datetime  # exclusive

    @property
    def reference_last_day(self) -> date:
        """Our inclusive period end: the day before PACT's exclusive end."""
        return (self.reference_end - timedelta(microseconds=1)).date()


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _plus_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _refuse(problems: list[str]) -> InvalidInput:
    msg = str(_l("Not a valid PACT v3 ProductFootprint: %(first)s", first=problems[0]))
    return InvalidInput(msg, {"product_footprint": problems})


def _semantic_problems(pf: dict[str, Any]) -> list[str]:
    pcf = pf["pcf"]
    found = []
    if not pf["specVersion"].startswith("3."):
        found.append(f"specVersion: {pf['specVersion']} is not a v3 version")
    start, end = _time(pcf["referencePeriodStart"]), _time(pcf["referencePeriodEnd"])
    if end <= start:
        found.append("pcf.referencePeriodEnd: not after referencePeriodStart")
    if "validityPeriodStart" in pf and _time(pf["validityPeriodStart"]) < end:
        found.append("validityPeriodStart: before pcf.referencePeriodEnd")
    if "validityPeriodEnd" in pf and _time(pf["validityPeriodEnd"]) > _plus_years(
        end, VALIDITY_YEARS
    ):
        found.append("validityPeriodEnd: more than 3 years after pcf.referencePeriodEnd")
    return found


def parse_product_footprint(pf: Any) -> Incoming:
    """Check and read one ProductFootprint (already decoded from JSON)."""
    problems = json_schemas.problems("pact", pf)
    if not problems:
        problems = _semantic_problems(pf)
    if problems:
        raise _refuse(problems)
    pcf = pf["pcf"]
    amount = Decimal(pcf["declaredUnitAmount"])
    end = _time(pcf["referencePeriodEnd"])
    dqi = pcf.get("dqi")
    return Incoming(
        id=pf["id"].lower(),
        spec_version=pf["specVersion"],
        status=pf["status"],
        created=_time(pf["created"]),
        company_name=pf["companyName"],
        company_ids=tuple(pf["companyIds"]),
        product_ids=tuple(pf["productIds"]),
        product_name=pf["productNameCompany"],
        product_description=pf["productDescription"],
        preceding_ids=tuple(i.lower() for i in pf.get("precedingPfIds", [])),
        pact_unit=pcf["declaredUnitOfMeasurement"],
        unit=UNITS[pcf["declaredUnitOfMeasurement"]],
        declared_amount=amount,
        per_unit_excluding_biogenic=Decimal(pcf["pcfExcludingBiogenicUptake"]) / amount,
        per_unit_including_biogenic=Decimal(pcf["pcfIncludingBiogenicUptake"]) / amount,
        fossil_per_unit=Decimal(pcf["fossilGhgEmissions"]) / amount,
        reference_start=_time(pcf["referencePeriodStart"]),
        reference_end=end,
        geography=pcf.get("geographyCountrySubdivision")
        or pcf.get("geographyCountry")
        or pcf.get("geographyRegionOrSubregion"),
        gwp=tuple(pcf["ipccCharacterizationFactors"]),
        standards=tuple(pcf["crossSectoralStandards"]),
        primary_data_share=Decimal(pcf["primaryDataShare"]) if "primaryDataShare" in pcf else None,
        dqi={k: Decimal(v) for k, v in dqi.items()} if dqi else None,
        verified_by=(pcf.get("verification") or {}).get("providerName"),
        valid_from=_time(pf["validityPeriodStart"]) if "validityPeriodStart" in pf else end,
        valid_until=_time(pf["validityPeriodEnd"])
        if "validityPeriodEnd" in pf
        else _plus_years(end, VALIDITY_YEARS),
    )
