"""The battery passport's carbon-footprint submodel (IDTA 02035-3 1.0) as AAS JSON: valid against
the AAS metamodel's JSON schema, shaped as the published template says (kinds, idShorts, semantic
ids, value types, cardinalities, listed values), the same numbers as the declaration, offered
beside the Battery Pass file and refused where the Battery Pass is."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.services.disclosure.batterypass import NO_CLASS, Lifetime
from footprint_platform.services.pact import battery_aas

pytestmark = pytest.mark.postgres
TEMPLATE = CONFIG_DIR / "schemas" / "idta-02035-3-1.0" / "ProductCarbonFootprint-template.json"
CAR_8_YEARS = Lifetime("M1", Decimal(8))  # 60 cycles a year (rule power_battery), 8 years
# The demo pack (config/demo/supply_chain.toml): 74.1 kWh usable of 78 rated, M1, 8 years:
# lifetime energy per kWh of rated capacity, as its declaration pins it
PACK_ENERGY_PER_KWH = Decimal("74.1") * 60 * 8 / Decimal(78)
STUDY = "https://tanlian.example/d/x"
COMPARED = ("modelType", "semanticId", "valueType", "typeValueListElement", "valueTypeListElement")
CARDINALITIES = {
    "One": (1, 1),
    "ZeroToOne": (0, 1),
    "ZeroToMany": (0, None),
    "OneToMany": (1, None),
}


def _template() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TEMPLATE.read_text("utf-8"))
    return data


def _value_lists(template: dict[str, Any]) -> dict[str, list[str]]:
    """Allowed values by concept id and by idShort, from the template's concept descriptions."""
    lists: dict[str, list[str]] = {}
    for cd in template["conceptDescriptions"]:
        for spec in cd.get("embeddedDataSpecifications", []):
            pairs = spec["dataSpecificationContent"].get("valueList", {}).get("valueReferencePairs")
            if pairs:
                lists[cd["id"]] = lists[cd["idShort"]] = [p["value"] for p in pairs]
    return lists


def _card(element: dict[str, Any]) -> tuple[int, int | None]:
    for q in element.get("qualifiers", []):
        if q["type"] == "SMT/Cardinality":
            return CARDINALITIES[q["value"]]
    return (0, None)


def _check(
    found: list[dict[str, Any]], wanted: list[dict[str, Any]], lists: Any, at: str
) -> list[str]:
    """Every way the instance elements `found` differ from the template elements `wanted`."""
    by_name = {w["idShort"]: w for w in wanted}
    problems = [
        f"{at}.{e.get('idShort')}: not in the template"
        for e in found
        if e.get("idShort") not in by_name
    ]
    for name, w in by_name.items():
        matches = [e for e in found if e.get("idShort") == name]
        low, high = _card(w)
        if len(matches) < low or (high is not None and len(matches) > high):
            problems.append(f"{at}.{name}: {len(matches)} found, template allows {low}..{high}")
        for e in matches:
            problems += _check_element(e, w, lists, f"{at}.{name}")
    return problems


def _check_element(e: dict[str, Any], w: dict[str, Any], lists: Any, at: str) -> list[str]:
    problems = [f"{at}: {key} differs" for key in COMPARED if e.get(key) != w.get(key)]
    if w["modelType"] == "SubmodelElementCollection":
        problems += _check(e.get("value", []), w["value"], lists, at)
    elif w["modelType"] == "SubmodelElementList":
        if e.get("semanticIdListElement") != w.get("semanticIdListElement"):
            problems.append(f"{at}: semanticIdListElement differs")
        if not e.get("value"):
            problems.append(f"{at}: empty list")
        for i, item in enumerate(e.get("value", [])):
            problems += _check_element(item, w["value"][0], lists, f"{at}[{i}]")
            if item.get("idShort") != w["value"][0]["idShort"]:
                problems.append(f"{at}[{i}]: idShort differs")
    elif w["modelType"] == "Property":
        allowed = lists.get(w["semanticId"]["keys"][0]["value"]) or lists.get(w["idShort"])
        if not e.get("value"):
            problems.append(f"{at}: no value")
        elif allowed and e["value"] not in allowed:
            problems.append(f"{at}: {e['value']!r} is not in the template's value list")
    return problems


def template_problems(env: dict[str, Any]) -> list[str]:
    """How the environment's carbon-footprint submodel differs from the IDTA template."""
    template = _template()
    wanted = template["submodels"][0]
    (submodel,) = env["submodels"]
    problems = [
        f"submodel: {key} differs"
        for key in ("idShort", "semanticId", "supplementalSemanticIds")
        if submodel.get(key) != wanted.get(key)
    ]
    if submodel["kind"] != "Instance":
        problems.append("submodel: not an instance")
    return problems + _check(
        submodel["submodelElements"], wanted["submodelElements"], _value_lists(template), "sm"
    )


def _declaration(part: str) -> Declaration:
    return db.session.scalar(select(Declaration).join(Product).where(Product.part_number == part))


def _entries(env: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for entry in env["submodels"][0]["submodelElements"][0]["value"]:
        props = {e["idShort"]: e for e in entry["value"]}
        out.append(
            {
                "value": Decimal(props["PcfCO2eq"]["value"]),
                "unit": props["ReferenceImpactUnitForCalculation"]["value"],
                "phases": [p["value"] for p in props["LifeCyclePhases"]["value"]],
                "class": props["PerformanceClass"]["value"],
                "study": props["WebLinkToPublicCarbonFootprintStudy"]["value"][0]["value"],
            }
        )
    return out


def test_a_pack_is_valid_aas_json_shaped_as_the_template(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _declaration("HD-PK-811-78")
        env = battery_aas.environment(d, STUDY, CAR_8_YEARS, "tanlian.example")
        total, capacity = d.total, d.product.capacity_kwh
        code = d.product.battery_code
    assert json_schemas.problems("aas", env) == []
    assert template_problems(env) == []
    entries = _entries(env)
    headline, *stages, whole = entries
    assert headline["unit"] == "kWh" and len(headline["phases"]) == 4
    assert headline["value"] == pytest.approx(total / PACK_ENERGY_PER_KWH, abs=Decimal("1e-6"))
    assert [s["phases"] for s in stages] == [[p] for p in headline["phases"]]
    assert sum(s["value"] for s in stages) == pytest.approx(headline["value"], abs=Decimal("1e-5"))
    assert whole["unit"] == "piece" and whole["value"] == pytest.approx(total * capacity)
    assert {e["class"] for e in entries} == {NO_CLASS} and {e["study"] for e in entries} == {STUDY}
    shell = env["assetAdministrationShells"][0]
    assert {"name": "tractionBatteryCode", "value": code} in shell["assetInformation"][
        "specificAssetIds"
    ]
    assert shell["submodels"][0]["keys"][0]["value"] == env["submodels"][0]["id"]


def test_the_checks_catch_what_the_template_forbids(demo_app: Flask) -> None:
    with demo_app.app_context():
        env = battery_aas.environment(
            _declaration("HD-PK-811-78"), STUDY, CAR_8_YEARS, "tanlian.example"
        )
    entry = env["submodels"][0]["submodelElements"][0]["value"][0]["value"]
    broken = copy.deepcopy(env)
    first = broken["submodels"][0]["submodelElements"][0]["value"][0]["value"]
    first[:] = [e for e in first if e["idShort"] != "PerformanceClass"]
    first[4]["value"][0]["value"] = "A3 - making it"
    first.append({**entry[1], "idShort": "Extra"})
    assert template_problems(broken) == [
        "sm.ProductCarbonFootprints[0].Extra: not in the template",
        "sm.ProductCarbonFootprints[0].LifeCyclePhases[0]: 'A3 - making it' is not in the "
        "template's value list",
        "sm.ProductCarbonFootprints[0].PerformanceClass: 0 found, template allows 1..1",
    ]
    unserialisable = copy.deepcopy(env)
    unserialisable["submodels"][0]["submodelElements"][0]["value"][0]["value"][1]["value"] = 1.5
    assert json_schemas.problems("aas", unserialisable)


def test_it_is_refused_where_the_battery_pass_is(demo_app: Flask) -> None:
    with demo_app.app_context():
        legacy = _declaration("HD-PK-811-78")
        legacy.functional_unit = None  # in memory: made before the functional unit was pinned
        with pytest.raises(InvalidInput) as err:
            battery_aas.environment(legacy, STUDY, None, "t.example")
        assert "lifetime" in err.value.errors
        db.session.rollback()
        with pytest.raises(InvalidInput) as err:
            battery_aas.environment(_declaration("JH-S7-LR"), STUDY, CAR_8_YEARS, "t.example")
        assert "category" in err.value.errors


def test_the_public_page_offers_it_beside_the_battery_pass(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = db.session.scalar(
            select(Declaration)
            .join(Product)
            .where(Product.part_number == "HD-PK-811-78", Declaration.published_at.is_not(None))
        )
        public_id = d.public_id
    client = demo_app.test_client()
    page = client.get(f"/d/{public_id}", headers={"Accept-Language": "en"}).get_data(True)
    assert f"/d/{public_id}.aas.json" in page and f"/d/{public_id}.batterypass.json" in page
    assert "IDTA 02035-3" in client.get(f"/d/{public_id}").get_data(True)
    response = client.get(f"/d/{public_id}.aas.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".aas.json")
    env = response.get_json()
    assert json_schemas.problems("aas", env) == [] and template_problems(env) == []
    base = demo_app.config["PUBLIC_BASE_URL"].rstrip("/")  # never the request's host
    assert env["submodels"][0]["id"].startswith(f"{base}/d/{public_id}")
