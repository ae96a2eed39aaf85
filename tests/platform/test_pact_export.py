"""PACT v3 exports of declarations: schema-valid, decimals as strings, the lifecycle (preceding
ids, Deprecated), the reference period, units, and nothing confidential; and the import side."""

from __future__ import annotations

import copy
import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, Declaration, Organization, Product, Submission
from footprint_platform.services.disclosure import declarations, publication
from footprint_platform.services.pact import footprint as pact
from footprint_platform.services.pact.parse import parse_product_footprint
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor, org_id
from tests.platform.statement import STATEMENT

pytestmark = pytest.mark.postgres
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
VERIFIER = "Qingyuan Carbon Verification Co."
OPTIONS = pact.Options("tanlian.example", "https://x.example/s.json")


def _declaration(part: str) -> Declaration:
    return db.session.scalar(
        select(Declaration)
        .join(Product)
        .where(Product.part_number == part)
        .order_by(Declaration.version.desc())
        .limit(1)
    )


def _published_ids(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Declaration.public_id).where(Declaration.published_at.isnot(None))
            )
        )


def _numbers_anywhere(value: Any, path: str = "") -> list[str]:
    """Paths of JSON numbers (int or float) in a value; booleans are not numbers here."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _numbers_anywhere(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _numbers_anywhere(v, f"{path}[{i}]")]
    return []


def test_every_published_demo_declaration_exports_a_valid_footprint(demo_app: Flask) -> None:
    client = demo_app.test_client()
    ids = _published_ids(demo_app)
    assert len(ids) == 5
    for public_id in ids:
        response = client.get(f"/d/{public_id}.pact.json")
        assert response.status_code == 200 and response.mimetype == "application/json"
        pf = response.get_json()
        assert json_schemas.problems("pact", pf) == []
        assert pf["id"] == public_id and pf["specVersion"] == "3.0.3"
        extension = pf["extensions"][0]
        assert json_schemas.problems("tanlian-declaration", extension["data"]) == []
        # the extension's schema is served where the footprint says
        schema_path = extension["dataSchema"].split("://", 1)[1].split("/", 1)[1]
        assert client.get("/" + schema_path).status_code == 200
        # decimals are strings everywhere in pcf (PACT), never JSON numbers
        assert _numbers_anywhere(pf["pcf"]) == []
        assert _numbers_anywhere(pf) == [
            ".extensions[0].data.declarationVersion",
            ".extensions[0].data.carbonContent.unknownInputs",  # a count, as the version
        ]


def test_the_footprint_carries_the_declaration_s_numbers(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _declaration("HD-PK-811-78")
        pf = pact.product_footprint(db.session, d, OPTIONS)
        pcf = pf["pcf"]
        assert Decimal(pcf["pcfExcludingBiogenicUptake"]) == d.total.normalize()
        assert pcf["pcfIncludingBiogenicUptake"] == pcf["pcfExcludingBiogenicUptake"]
        assert pcf["declaredUnitOfMeasurement"] == "kilowatt hour"
        assert pcf["declaredUnitAmount"] == "1"
        assert Decimal(pcf["primaryDataShare"]) == (d.primary_data_share * 100).normalize()
        assert pcf["verification"]["providerName"] == VERIFIER
        stages = pf["extensions"][0]["data"]["stages"]
        assert sum(Decimal(s["kgCO2ePerDeclaredUnit"]) for s in stages) == pytest.approx(
            d.total, rel=Decimal("1e-9")
        )
        # the pack's site is in Jiangsu: the ISO 3166-2 subdivision, and only that
        assert pcf["geographyCountrySubdivision"] == f"CN-{d.product.site.province}"
        assert "geographyCountry" not in pcf
        org = d.product.organization
        assert pf["companyIds"] == [f"urn:pact:tanlian.example:company-id:{org.id}"]
        assert "AR6" in pcf["ipccCharacterizationFactors"]
        # the three ratings as stored with the declaration, their mean its single rating
        assert pcf["dqi"]["temporalDQR"] == pact.decimal_string(d.dqi["temporal"])
        mean = sum(Decimal(v) for v in pcf["dqi"].values()) / 3
        assert mean == pytest.approx(d.dqr, abs=Decimal("0.01"))


def test_the_reference_period_end_is_exclusive(demo_app: Flask) -> None:
    with demo_app.app_context():
        pf = pact.product_footprint(db.session, _declaration("JH-S7-LR"), OPTIONS)
    assert pf["pcf"]["referencePeriodStart"] == "2025-01-01T00:00:00Z"
    assert pf["pcf"]["referencePeriodEnd"] == "2026-01-01T00:00:00Z"  # our last day: 2025-12-31
    assert pf["validityPeriodStart"] == "2026-01-01T00:00:00Z"
    assert pf["validityPeriodEnd"] == "2029-01-01T00:00:00Z"


def test_a_redeclaration_names_its_published_predecessor_which_is_deprecated_once_replaced(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        owner = admin_actor("admin@huadong-pack.example")
        v1 = _declaration("HD-PK-811-78")
        v2 = declarations.declare(db.session, owner, v1.product_id, *PERIOD, "New meter data")
        first = pact.product_footprint(db.session, v2, OPTIONS)
        assert first["precedingPfIds"] == [v1.public_id]
        assert "Replaces version 1: New meter data." in first["comment"]
        assert "Draft, not published" in first["comment"]
        assert pact.product_footprint(db.session, v1, OPTIONS)["status"] == "Active"
        # a third version while the second is a draft: the draft was never shared, not named
        v3 = declarations.declare(db.session, owner, v1.product_id, *PERIOD, "Again")
        assert pact.product_footprint(db.session, v3, OPTIONS)["precedingPfIds"] == [v1.public_id]
        asked = publication.request_verification(db.session, owner, v3.id, org_id(VERIFIER))
        verifier = admin_actor("verifier@qingyuan-verify.example")
        accepted = list(publication.stated_reasons(db.session, v3))
        publication.decide(db.session, verifier, asked.id, "verified", "ok", accepted, STATEMENT)
        publication.publish(db.session, owner, v3.id)
        assert pact.product_footprint(db.session, v1, OPTIONS)["status"] == "Deprecated"
        assert pact.product_footprint(db.session, v2, OPTIONS)["status"] == "Deprecated"
        assert pact.product_footprint(db.session, v3, OPTIONS)["status"] == "Active"
        publication.withdraw(db.session, owner, v3.id)
        assert pact.product_footprint(db.session, v3, OPTIONS)["status"] == "Deprecated"


def test_a_platform_made_change_reason_is_not_quoted(demo_app: Flask) -> None:
    """The platform's own reasons name the upstream part that changed: who supplies whom is not
    for the footprint's readers."""
    with demo_app.app_context():
        v1 = _declaration("JH-S7-LR")
        d = declarations.declare(
            db.session, admin_actor("analyst@jinghai-motors.example"), v1.product_id, *PERIOD, "x"
        )
        d.created_by_id, d.change_reason = None, "Upstream data changed: DT-P811-150 v2"
        pf = pact.product_footprint(db.session, d, OPTIONS)
        db.session.rollback()
    assert "DT-P811-150" not in json.dumps(pf)
    assert "recomputed after upstream data changed" in pf["comment"]


@pytest.mark.parametrize(
    ("unit", "pact_unit", "amount"),
    [("kg", "kilogram", "1"), ("t", "kilogram", "1000"), ("kWh", "kilowatt hour", "1")],
)
def test_units_map_exactly(unit: str, pact_unit: str, amount: str) -> None:
    assert pact.declared_unit(unit) == (pact_unit, amount)


@pytest.mark.parametrize("unit", ["GJ", "t*km", "lb", ""])
def test_a_unit_without_a_pact_equivalent_is_refused(unit: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        pact.declared_unit(unit)
    assert set(caught.value.errors) == {"declared_unit"}


def test_a_tonne_is_declared_as_1000_kilogram(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _declaration("HD-PK-811-78")
        d.declared_unit = "t"  # in memory only: the numbers scale with the declared amount
        pcf = pact.product_footprint(db.session, d, OPTIONS)["pcf"]
        total = d.total
        d.declared_unit = "GJ"
        with pytest.raises(InvalidInput):
            pact.product_footprint(db.session, d, OPTIONS)
        db.session.rollback()
    # one declared unit is one tonne either way: the numbers stay per tonne
    assert (pcf["declaredUnitAmount"], pcf["productMassPerDeclaredUnit"]) == ("1000", "1000")
    assert Decimal(pcf["pcfExcludingBiogenicUptake"]) == total.normalize()


def test_an_unknown_mass_is_said_to_be_unknown(demo_app: Flask) -> None:
    """PACT's "0" means a mass that does not matter; an unknown one is said in the comment."""
    with demo_app.app_context():
        d = _declaration("HD-PK-811-78")
        d.declared_unit = "piece"  # in memory only
        d.product.mass_kg = Decimal("412.5")
        known = pact.product_footprint(db.session, d, OPTIONS)
        d.product.mass_kg = None
        unknown = pact.product_footprint(db.session, d, OPTIONS)
        db.session.rollback()
    assert known["pcf"]["productMassPerDeclaredUnit"] == "412.5"
    assert "mass per declared unit is not known" not in known["comment"]
    assert unknown["pcf"]["productMassPerDeclaredUnit"] == "0"
    assert "mass per declared unit is not known" in unknown["comment"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1E-5"), "0.00001"),
        ("1.2300", "1.23"),
        (Decimal("-0.0"), "0"),
        (12.5, "12.5"),
        (Decimal("1E+3"), "1000"),
    ],
)
def test_decimals_are_written_without_exponent_or_trailing_zeros(value: Any, text: str) -> None:
    assert pact.decimal_string(value) == text


def _confidential(d: Declaration) -> set[str]:
    """What the chain behind a declaration knows and its exports must not say: other companies'
    names (the verifier's excepted), upstream part numbers, the pinned submissions' input
    descriptions and notes; less what the declaring company says of itself anyway."""
    own = d.product.organization
    public = " ".join(
        x or "" for x in (own.name_en, own.name_zh, d.product.name_en, d.product.description)
    )
    verifier = org_id(VERIFIER)
    names = {
        n
        for o in db.session.scalars(select(Organization))
        if o.id not in (own.id, verifier)
        for n in (o.name_en, o.name_zh)
        if n
    }
    pins = [pin[0] for pin in d.pinned.values()]
    subs = db.session.scalars(select(Submission).where(Submission.id.in_(pins))).all()
    parts = {s.product.part_number for s in subs if s.product_id != d.product_id}
    texts = {i.description for s in subs for i in s.inputs if i.description} | {
        s.notes for s in subs if s.notes
    }
    return {s for s in names | parts | texts if s not in public}


def test_no_export_carries_confidential_input_data(demo_app: Flask) -> None:
    client = demo_app.test_client()
    with demo_app.app_context():
        published = [
            (d.public_id, _confidential(d))
            for d in db.session.scalars(
                select(Declaration).where(Declaration.published_at.isnot(None))
            )
        ]
    assert len(published) == 5 and all(len(secrets) > 10 for _, secrets in published)
    for public_id, secrets in published:
        for suffix in (".pact.json", ".csv"):
            body = client.get(f"/d/{public_id}{suffix}").get_data(as_text=True)
            leaked = sorted(s for s in secrets if s in body)
            assert leaked == [], f"{suffix}: {leaked}"


def test_the_owner_and_the_verifier_export_a_draft_and_the_verifier_s_read_is_logged(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        owner = admin_actor("admin@huadong-pack.example")
        v1 = _declaration("HD-PK-811-78")
        draft = declarations.declare(db.session, owner, v1.product_id, *PERIOD, "Review")
        publication.request_verification(db.session, owner, draft.id, org_id(VERIFIER))
        draft_id, public_id, verifier_id = draft.id, draft.public_id, org_id(VERIFIER)
    assert demo_app.test_client().get(f"/d/{public_id}.pact.json").status_code == 404
    for email in ("admin@huadong-pack.example", "verifier@qingyuan-verify.example"):
        session = Session(demo_app.test_client())
        session.login(email)
        response = session.client.get(f"/declarations/{draft_id}/export/pact")
        assert response.status_code == 200, email
        assert json_schemas.problems("pact", response.get_json()) == []
        assert session.client.get(f"/declarations/{draft_id}/export/csv").status_code == 200
        assert session.client.get(f"/declarations/{draft_id}/export/xml").status_code == 404
    with demo_app.app_context():
        logged = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "declaration.export")
        ).all()
    # the verifier's two downloads (PACT, CSV) are logged; the owner's own are not
    assert [(e.object_id, e.details["verifier_id"]) for e in logged] == [
        (str(draft_id), verifier_id)
    ] * 2


# --- reading a partner's footprint ---------------------------------------------------------


def _exported(app: Flask) -> dict[str, Any]:
    with app.app_context():
        return pact.product_footprint(db.session, _declaration("HD-PK-811-78"), OPTIONS)


def test_an_exported_footprint_reads_back_to_the_same_values(demo_app: Flask) -> None:
    pf = _exported(demo_app)
    got = parse_product_footprint(pf)
    assert got.id == pf["id"] and got.unit == "kWh" and got.declared_amount == 1
    assert got.per_unit_excluding_biogenic == Decimal(pf["pcf"]["pcfExcludingBiogenicUptake"])
    assert got.reference_last_day == date(2025, 12, 31)
    assert got.verified_by == VERIFIER and got.geography.startswith("CN-")


def test_a_footprint_per_1000_kg_reads_per_kg() -> None:
    pf = json.loads((Path(__file__).parent / "data" / "pact_minimal.json").read_text("utf-8"))
    pf["pcf"]["declaredUnitAmount"] = "1000"
    pf["pcf"]["pcfExcludingBiogenicUptake"] = "2500"
    got = parse_product_footprint(pf)
    assert got.unit == "kg" and got.per_unit_excluding_biogenic == Decimal("2.5")


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            lambda pf: pf["pcf"].update(pcfExcludingBiogenicUptake=61.5),
            "pcfExcludingBiogenicUptake",
        ),
        (lambda pf: pf["pcf"].update(fossilGhgEmissions="-1"), "fossilGhgEmissions"),
        (lambda pf: pf.pop("companyIds"), "companyIds"),
        (lambda pf: pf.update(productIds=["CELL-811"]), "productIds[0]"),
        (lambda pf: pf.update(id="not-a-uuid"), "id"),
        (lambda pf: pf.update(created="2026-03-02 09:00"), "created"),
        (
            lambda pf: pf["pcf"].update(geographyCountry="DE", geographyCountrySubdivision="DE-BW"),
            "pcf",
        ),
        (lambda pf: pf.update(specVersion="2.3.0"), "specVersion"),
        (
            lambda pf: pf["pcf"].update(referencePeriodEnd="2024-06-01T00:00:00Z"),
            "referencePeriodEnd",
        ),
        (lambda pf: pf.update(validityPeriodEnd="2030-01-02T00:00:00Z"), "validityPeriodEnd"),
        (lambda pf: pf.update(precedingPfIds=[]), "precedingPfIds"),
    ],
)
def test_an_invalid_footprint_is_refused_naming_where(change: Any, complaint: str) -> None:
    pf = json.loads((Path(__file__).parent / "data" / "pact_minimal.json").read_text("utf-8"))
    assert parse_product_footprint(copy.deepcopy(pf)).company_name == "Example Cells"
    change(pf)
    with pytest.raises(InvalidInput) as caught:
        parse_product_footprint(pf)
    assert any(complaint in p for p in caught.value.errors["product_footprint"])


def _official_schema(openapi_path: str) -> dict[str, Any]:
    """The official components as a JSON Schema, built in memory (nothing stored: see
    config/schemas/pact-3.0.3/README.md)."""
    import yaml

    spec = yaml.safe_load(Path(openapi_path).read_text("utf-8"))
    text = json.dumps(spec["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": "#/$defs/ProductFootprint",
        "$defs": json.loads(text),
    }


@pytest.mark.skipif(
    not os.environ.get("TANLIAN_PACT_OPENAPI"),
    reason="set TANLIAN_PACT_OPENAPI to a local copy of PACT spec/v3/openapi.yaml",
)
def test_the_exports_also_pass_the_official_openapi_schema(demo_app: Flask) -> None:
    import jsonschema

    # OpenAPI 3.0 schema objects are not all valid JSON Schema documents (e.g. a string
    # `examples`), so the validator is built without checking the schema itself.
    official = jsonschema.Draft202012Validator(_official_schema(os.environ["TANLIAN_PACT_OPENAPI"]))
    client = demo_app.test_client()
    for public_id in _published_ids(demo_app):
        official.validate(client.get(f"/d/{public_id}.pact.json").get_json())
