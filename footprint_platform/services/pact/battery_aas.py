"""The battery passport's carbon-footprint submodel (IDTA 02035-3, Digital Battery Passport –
Part 3: Product Carbon Footprint 1.0) of a battery declaration, as an Asset Administration Shell
environment in the AAS JSON serialization (metamodel 3.0): one shell naming the battery type and
the submodel.

The submodel follows the published template (config/schemas/idta-02035-3-1.0/): a list of
ProductCarbonFootprint collections, each a value for one reference unit and a set of life-cycle
phases. The passport's headline figure is per kWh of the total energy the battery provides over
its service life (the same functional unit and the same refusals as the Battery Pass export), so
the first entry is the total per kWh of lifetime energy over all phases; one entry per stage
follows (DIN DKE SPEC 99100's phase for each of the Regulation's stages, as the template's
explanation maps them), and, where the battery's capacity is known, the absolute footprint of one
whole battery. Values are xs:decimal strings rounded to 6 decimals, from the pinned declaration.
The template has no element for data quality (PACT `dqi`) or carbon content, so neither is
written here (the PACT and Catena-X exports carry them).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from footprint_platform.errors import InvalidInput
from footprint_platform.models import Declaration
from footprint_platform.rules import load_rules
from footprint_platform.services.disclosure import batterypass
from footprint_platform.services.pact import footprint as pact

TEMPLATE_ID = (
    "https://admin-shell.io/idta/SubmodelTemplate/DigitalBatteryPassport/CarbonFootprint/1/0"
)
_IDTA = "https://admin-shell.io/idta/CarbonFootprint"
_BATTERY_SAMM = "urn:samm:io.admin-shell.idta.batterypass.carbon_footprint:1.0.0"

# Our stage codes -> the template's LifeCyclePhase values (DIN DKE SPEC 99100 6.3.4-6.3.6).
PHASES = {
    "raw_material": "A1 - raw material supply (and upstream production)",
    "production": "A3 - production",
    "distribution": "A4 - transport to final destination",
    "end_of_life": "C3 - recycling, waste treatment",
}
# The declaring rules rest on ISO 14067 (GB/T 24067 adopts it; EU 2023/1542 builds on it).
CALCULATION_METHOD = "ISO 14067"
PLACES = Decimal("0.000001")


def _ref(value: str, kind: str = "GlobalReference") -> dict[str, Any]:
    return {"type": "ExternalReference", "keys": [{"type": kind, "value": value}]}


def _property(id_short: str, semantic_id: str, value_type: str, value: str) -> dict[str, Any]:
    return {
        "modelType": "Property",
        "idShort": id_short,
        "semanticId": _ref(semantic_id),
        "valueType": value_type,
        "value": value,
    }


def _list(
    id_short: str, semantic_id: str, items: list[dict[str, Any]], **element: Any
) -> dict[str, Any]:
    """A SubmodelElementList; `element` gives typeValueListElement and the like."""
    body: dict[str, Any] = {
        "modelType": "SubmodelElementList",
        "idShort": id_short,
        "semanticId": _ref(semantic_id),
        "orderRelevant": False,
        **element,
        "value": items,
    }
    return body


def _decimal(value: Decimal) -> str:
    return format(value.quantize(PLACES), "f")


def _footprint(
    value: Decimal, unit: str, phases: list[str], grade: str, study_url: str
) -> dict[str, Any]:
    """One ProductCarbonFootprint collection: kg CO2e per `unit` over `phases`."""
    return {
        "modelType": "SubmodelElementCollection",
        "idShort": "ProductCarbonFootprint",
        "semanticId": _ref(f"{_IDTA}/ProductCarbonFootprint/1/0"),
        "value": [
            _list(
                "PcfCalculationMethods",
                f"{_IDTA}/PcfCalculationMethods/1/0",
                [
                    _property(
                        "PcfCalculationMethod",
                        "0173-1#02-ABG854#003",
                        "xs:string",
                        CALCULATION_METHOD,
                    )
                ],
                semanticIdListElement=_ref("0173-1#02-ABG854#003"),
                typeValueListElement="Property",
                valueTypeListElement="xs:string",
            ),
            _property("PcfCO2eq", "0173-1#02-ABG855#003", "xs:decimal", _decimal(value)),
            _property(
                "ReferenceImpactUnitForCalculation", "0173-1#02-ABG856#003", "xs:string", unit
            ),
            _property("QuantityOfMeasureForCalculation", "0173-1#02-ABG857#003", "xs:double", "1"),
            _list(
                "LifeCyclePhases",
                f"{_IDTA}/LifeCyclePhases/1/0",
                [
                    _property("LifeCyclePhase", "0173-1#02-ABG858#004", "xs:string", p)
                    for p in phases
                ],
                semanticIdListElement=_ref("0173-1#02-ABG858#004"),
                typeValueListElement="Property",
                valueTypeListElement="xs:string",
            ),
            _property("PerformanceClass", f"{_BATTERY_SAMM}#performanceClass", "xs:string", grade),
            _list(
                "WebLinkToPublicCarbonFootprintStudy",
                f"{_BATTERY_SAMM}#webLinkToPublicCarbonFootprintStudy",
                [
                    _property(
                        "DocumentIdentifier",
                        "urn:samm:io.admin-shell.idta.handover_documentation:2.0.0#DocumentIdentifier",
                        "xs:string",
                        study_url,
                    )
                ],
                typeValueListElement="Property",
                valueTypeListElement="xs:string",
            ),
        ],
    }


def footprints(d: Declaration, study_url: str, life: batterypass.Lifetime | None) -> list[Any]:
    """The submodel's ProductCarbonFootprint entries: total, each stage, absolute."""
    if not batterypass.is_battery(d):
        msg = str(_l("Only batteries have a battery passport."))
        raise InvalidInput(msg, {"category": [msg]})
    rule = load_rules()[d.rule_code]
    unknown = [s for s in rule.stage_codes if s not in PHASES]
    if unknown:
        msg = str(_l("No battery passport phase for: %(stages)s.", stages=", ".join(unknown)))
        raise InvalidInput(msg, {"stage": [msg]})
    energy = batterypass.lifetime_energy(d, rule, life)
    grade = batterypass.performance_class(d)
    phases = [PHASES[code] for code in rule.stage_codes]
    entries = [_footprint(d.total / energy, "kWh", phases, grade, study_url)]
    for code in rule.stage_codes:
        stage = Decimal(str(d.by_stage.get(code, "0"))) / energy
        entries.append(_footprint(stage, "kWh", [PHASES[code]], grade, study_url))
    absolute = batterypass.absolute_footprint(d)
    if absolute is not None:
        entries.append(_footprint(absolute, "piece", phases, grade, study_url))
    return entries


def _asset_ids(d: Declaration) -> list[dict[str, str]]:
    """How partners know the battery type: our part number, its GB/T 34014 code, and the
    maker's Catena-X BPNL where it has one."""
    product = d.product
    ids = [{"name": "manufacturerPartId", "value": product.part_number}]
    if product.battery_code:
        ids.append({"name": "tractionBatteryCode", "value": product.battery_code})
    if product.organization.bpnl:
        ids.append({"name": "manufacturerId", "value": product.organization.bpnl})
    return ids


def environment(
    d: Declaration, study_url: str, life: batterypass.Lifetime | None, issuer_domain: str
) -> dict[str, Any]:
    """The AAS environment: the battery type's shell and its carbon-footprint submodel."""
    submodel_id = f"{study_url}#submodel-carbon-footprint"
    submodel = {
        "modelType": "Submodel",
        "id": submodel_id,
        "idShort": "CarbonFootprint",
        "kind": "Instance",
        "administration": {"version": "1", "revision": "0", "templateId": TEMPLATE_ID},
        "semanticId": _ref(f"{_IDTA}/CarbonFootprint/1/0"),
        "supplementalSemanticIds": [_ref(f"{_BATTERY_SAMM}#CarbonFootprintBattery")],
        "submodelElements": [
            _list(
                "ProductCarbonFootprints",
                f"{_IDTA}/ProductCarbonFootprints/1/0",
                footprints(d, study_url, life),
                semanticIdListElement=_ref(f"{_IDTA}/ProductCarbonFootprint/1/0"),
                typeValueListElement="SubmodelElementCollection",
            )
        ],
    }
    shell = {
        "modelType": "AssetAdministrationShell",
        "id": f"{study_url}#aas",
        "idShort": "BatteryCarbonFootprint",
        "assetInformation": {
            "assetKind": "Type",
            "globalAssetId": pact.urn(issuer_domain, "product-id", d.product_id),
            "specificAssetIds": _asset_ids(d),
        },
        "submodels": [
            {"type": "ModelReference", "keys": [{"type": "Submodel", "value": submodel_id}]}
        ],
    }
    return {"assetAdministrationShells": [shell], "submodels": [submodel]}
