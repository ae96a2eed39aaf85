"""The Catena-X PCF exchange (CX-0136 3.0.0): a shared published footprint in PCF data model
9.0.0 and 10.0.0, valid against the published schemas; version negotiation (none asked: 9.0.0;
one we cannot serve: 422); the BPNL among the company ids and required for 10.0.0; the PACT
partner's credentials and shares decide what is read; the organization's BPNL checked."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, Organization, Product
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.pact import catenax
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor, org_id
from tests.platform.test_pact_host import OWNER, _bearer, _declaration, _token

pytestmark = pytest.mark.postgres
BPNL = "BPNL00000000ZJEL"  # the demo electrolyte maker's


def _schema_problems(version: str, body: Any) -> list[str]:
    return json_schemas.problems(f"catenax-pcf-{version}", body)


@pytest.fixture
def cx(demo_app: Flask) -> Any:
    client = demo_app.test_client()
    token = _token(client)

    def get(path: str, **kw: Any) -> Any:
        return client.get(path, headers=_bearer(token), **kw)

    return get


def _public_id(app: Flask, part: str) -> str:
    with app.app_context():
        return str(_declaration(part).public_id)


def test_the_published_samples_pass_their_schemas_and_fail_the_other() -> None:
    """The vendored schemas tell the two versions apart, so a pass below means something."""
    samples = {
        v: json.loads((CONFIG_DIR / "schemas" / f"catenax-pcf-{v}" / "Pcf.json").read_text())
        for v in catenax.VERSIONS
    }
    assert _schema_problems("9.0.0", samples["9.0.0"]) == []
    assert _schema_problems("10.0.0", samples["10.0.0"]) == []
    assert _schema_problems("9.0.0", samples["10.0.0"])
    assert _schema_problems("10.0.0", samples["9.0.0"])


@pytest.mark.parametrize("version", catenax.VERSIONS)
def test_a_shared_footprint_is_served_valid_in_each_version(
    demo_app: Flask, cx: Any, version: str
) -> None:
    public_id = _public_id(demo_app, "ZJ-EL-NCM")
    response = cx(f"/catenax/pcf/{public_id}?dataModelVersion={version}")
    assert response.status_code == 200, response.get_json()
    assert f'profile="urn:samm:io.catenax.pcf:{version}#Pcf"' in response.headers["Content-Type"]
    body = response.get_json()
    assert _schema_problems(version, body) == []
    scope = body["scopeOfPcfForm"][0]
    assert scope["specVersion"] == f"urn:io.catenax.pcf:datamodel:version:{version}"
    company = body["companyAndProductInformation"][0]["companyInformation"][0]
    assert company["companyIds"][0] == f"urn:{BPNL}"
    info = body["pcfAssessmentAndMethodology"][0]["pcfAssessmentInformation"][0]
    assert info["idAndVersion"][0]["id"] == public_id
    assert info["geography"][0]["geographyRegionOrSubregion"] == "Eastern Asia"
    with demo_app.app_context():
        d = _declaration("ZJ-EL-NCM")
        total = d.total
        distribution = Decimal(str(d.by_stage.get("distribution", "0")))
    stages = body["productLifeCycleStagesAndEmissions"][0]
    production = stages["productionStage"][0]["pcfExcludingBiogenicUptake"]
    moved = stages["distributionStage"][0]["distributionStagePcfExcludingBiogenicUptake"]
    assert production + moved == pytest.approx(float(total), rel=1e-9)
    assert moved == pytest.approx(float(distribution), rel=1e-9)


def test_without_a_version_the_answer_is_the_legacy_9_0_0(demo_app: Flask, cx: Any) -> None:
    body = cx(f"/catenax/pcf/{_public_id(demo_app, 'ZJ-EL-LFP')}").get_json()
    assert body["scopeOfPcfForm"][0]["specVersion"].endswith(":9.0.0")
    assert _schema_problems("9.0.0", body) == []
    for asked in ("10", "10.x.x", "urn:samm:io.catenax.pcf:10.0.0#Pcf"):
        assert catenax.negotiate(asked) == "10.0.0"


@pytest.mark.parametrize("asked", ["8.0.0", "11.0.0", "ten"])
def test_a_version_it_cannot_serve_is_422(demo_app: Flask, cx: Any, asked: str) -> None:
    response = cx(f"/catenax/pcf/{_public_id(demo_app, 'ZJ-EL-NCM')}?dataModelVersion={asked}")
    assert response.status_code == 422
    assert response.get_json()["code"] == "UnprocessableEntity"
    assert "9.0.0, 10.0.0" in response.get_json()["message"]


def test_10_0_0_needs_the_bpnl_and_9_0_0_does_not(demo_app: Flask, cx: Any) -> None:
    public_id = _public_id(demo_app, "ZJ-EL-NCM")
    with demo_app.app_context():
        owner = db.session.scalar(select(Organization).where(Organization.name_en == OWNER))
        owner.bpnl = None
        db.session.commit()
    refused = cx(f"/catenax/pcf/{public_id}?dataModelVersion=10.0.0")
    assert refused.status_code == 422 and "BPNL" in refused.get_json()["message"]
    legacy = cx(f"/catenax/pcf/{public_id}?dataModelVersion=9.0.0").get_json()
    ids = legacy["companyAndProductInformation"][0]["companyInformation"][0]["companyIds"]
    assert not any("BPNL" in i for i in ids) and _schema_problems("9.0.0", legacy) == []
    assert "No BPNL is recorded" in legacy["general"][0]["comment"]


def test_only_what_the_owner_shared_with_the_partner_is_read(demo_app: Flask, cx: Any) -> None:
    other = _public_id(demo_app, "DT-P811-150")  # published by the cell maker, not shared
    response = cx(f"/catenax/pcf/{other}?dataModelVersion=10.0.0")
    assert response.status_code == 403 and response.get_json()["code"] == "AccessDenied"
    assert cx("/catenax/pcf/not-a-uuid").status_code == 400
    client = demo_app.test_client()
    shared = _public_id(demo_app, "ZJ-EL-NCM")
    assert client.get(f"/catenax/pcf/{shared}").status_code == 401
    people = Session(demo_app.test_client())
    people.login("data@zhujiang-electrolyte.example")
    assert people.client.get(f"/catenax/pcf/{shared}").status_code == 401
    with demo_app.app_context():
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pact.get_denied")
        ).all()


def test_an_organizations_bpnl_is_checked_and_unique(demo_app: Flask) -> None:
    with demo_app.app_context():
        admin = admin_actor("data@zhujiang-electrolyte.example")
        owner = org_id(OWNER)
        for wrong in ("BPNL123", "bpnl00000000zjel", "BPNS00000000ZJEL"):
            with pytest.raises(InvalidInput):
                catalog.update_organization(
                    db.session, admin, owner, _parsed({"name_en": OWNER, "bpnl": wrong})
                )
        cell_admin = admin_actor("admin@huadong-pack.example")
        pack_org = db.session.scalar(
            select(Product.organization_id).where(Product.part_number == "HD-PK-811-78")
        )
        with pytest.raises(InvalidInput) as err:
            catalog.update_organization(
                db.session,
                cell_admin,
                pack_org,
                {"name_en": "Huadong Battery Systems", "bpnl": BPNL},
            )
        assert "bpnl" in err.value.errors
        db.session.rollback()
        assert db.session.get(Organization, owner).bpnl == BPNL


def _parsed(data: dict[str, str]) -> dict[str, Any]:
    from footprint_platform.schemas import OrganizationUpdateSchema, parse

    return parse(OrganizationUpdateSchema(), data)


def test_the_profile_form_takes_a_bpnl_and_explains_a_wrong_one(demo_app: Flask) -> None:
    session = Session(demo_app.test_client())
    session.login("data@zhujiang-electrolyte.example")
    with demo_app.app_context():
        owner = org_id(OWNER)
    wrong = session.post(f"/orgs/{owner}/edit", {"name_en": OWNER, "bpnl": "BPNL12"})
    assert wrong.status_code == 422
    assert "BPNL 由“BPNL”加 12 位大写字母或数字组成" in wrong.get_data(as_text=True)
    assert 'id="bpnl-error"' in wrong.get_data(as_text=True)
    right = session.post(f"/orgs/{owner}/edit", {"name_en": OWNER, "bpnl": "BPNL0000000ZJEL2"})
    assert right.status_code == 302
    with demo_app.app_context():
        assert db.session.get(Organization, owner).bpnl == "BPNL0000000ZJEL2"
