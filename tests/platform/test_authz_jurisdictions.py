"""Who may see and do what with China's and the EU's declarations side by side: the owner's
page (its members; only editors get the forms), declaring under a named rule on the page and
over the API (editors and write tokens only, an inapplicable rule refused), and the public
page (everyone, once both declarations are published from the same inputs; nobody before)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product, TokenScope
from footprint_platform.services.catalogue import accounts
from footprint_platform.services.disclosure import declarations
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor, org_id
from tests.platform.test_jurisdictions import (
    PACK,
    PACK_MAKER,
    PERIOD,
    _pack_with_certificate_and_end_of_life,
    _verify_and_publish,
)

pytestmark = pytest.mark.postgres

VIEWER = "analyst@huadong-pack.example"
OTHER = "data@lanhu-lithium.example"
BUYER = "analyst@jinghai-motors.example"


def _pack_declaration() -> Declaration:
    pack = db.session.scalar(select(Product).where(Product.part_number == PACK))
    return db.session.scalar(
        select(Declaration).where(Declaration.product_id == pack.id).order_by(Declaration.id)
    )


def _form(d: Declaration, rule: str) -> dict[str, Any]:
    return {
        "product_id": d.product_id,
        "period_start": str(d.period_start),
        "period_end": str(d.period_end),
        "rule_code": rule,
    }


def test_the_owners_page_is_for_its_members_and_says_why_in_both_languages(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        d = _pack_declaration()
        path = f"/declarations/{d.id}/jurisdictions"
    anonymous = demo_app.test_client().get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for email in (OTHER, BUYER):
        outsider = Session(demo_app.test_client())
        outsider.login(email)
        assert outsider.client.get(path).status_code == 404
    viewer = Session(demo_app.test_client())
    viewer.login(VIEWER)
    page = viewer.client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="side-by-side"' in html and 'id="line-total"' in html
    assert "Declare under this rule" not in html  # a viewer makes no declaration
    admin = Session(demo_app.test_client())
    admin.login(PACK_MAKER)
    html = admin.client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html.count("Declare under this rule") == 2
    assert "[end_of_life] method" in html and "Commission Recommendation (EU) 2021/2279" in html
    zh = admin.client.get(path, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "中国与欧盟对照" in zh and "两项规则下相同" in zh and "电池制造" in zh
    shown = admin.client.get(f"/declarations/{d.id}", headers={"Accept-Language": "en"})
    assert f"/declarations/{d.id}/jurisdictions" in shown.get_data(as_text=True)


def test_declaring_under_a_named_rule_needs_an_editor(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _pack_declaration()
        org = d.organization_id
    viewer = Session(demo_app.test_client())
    viewer.login(VIEWER)
    assert viewer.post(f"/orgs/{org}/declarations", _form(d, "power_battery_eu")).status_code == 403
    admin = Session(demo_app.test_client())
    admin.login(PACK_MAKER)
    refused = admin.post(f"/orgs/{org}/declarations", _form(d, "vehicle"))
    assert refused.status_code == 422
    made = admin.post(f"/orgs/{org}/declarations", _form(d, "power_battery_eu"))
    assert made.status_code == 302
    with demo_app.app_context():
        newest = db.session.scalar(
            select(Declaration)
            .where(Declaration.organization_id == org)
            .order_by(Declaration.id.desc())
        )
        assert newest.rule_code == "power_battery_eu"
        assert made.headers["Location"].endswith(f"/declarations/{newest.id}")


def test_declaring_under_a_named_rule_over_the_api(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _pack_declaration()
        org = d.organization_id
        admin = admin_actor(PACK_MAKER)
        _, write = accounts.create_api_token(db.session, admin, org, "w", TokenScope.WRITE)
        _, read = accounts.create_api_token(db.session, admin, org, "r", TokenScope.READ)
        other_org = org_id("Lanhu Lithium Refining")
        other_admin = admin_actor(OTHER)
        _, other = accounts.create_api_token(
            db.session, other_admin, other_org, "o", TokenScope.WRITE
        )
        body = {**_form(d, "power_battery_cn"), "reason": None}
    client = demo_app.test_client()
    url = f"/api/v1/organizations/{org}/declarations"

    def post(secret: str | None, json: dict[str, Any]) -> Any:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return client.post(url, headers=headers, json=json)

    assert post(None, body).status_code == 401
    assert post(read, body).status_code == 403
    assert post(other, body).status_code in (403, 404)
    assert post(write, {**body, "rule_code": "material"}).status_code == 422
    made = post(write, body)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["rule_code"] == "power_battery_cn"


def test_the_public_page_shows_both_only_once_both_are_published(demo_app: Flask) -> None:
    with demo_app.app_context():
        pack, _ = _pack_with_certificate_and_end_of_life()
        actor = admin_actor(PACK_MAKER)
        cn = declarations.declare(db.session, actor, pack.id, *PERIOD, None, "power_battery_cn")
        eu = declarations.declare(db.session, actor, pack.id, *PERIOD, None, "power_battery_eu")
        _verify_and_publish(cn)
        cn_id, eu_id = cn.public_id, eu.public_id
    anonymous = demo_app.test_client()
    # the EU declaration is a draft: no public page, whichever public id is asked
    assert anonymous.get(f"/d/{cn_id}/jurisdictions").status_code == 404
    assert anonymous.get(f"/d/{eu_id}/jurisdictions").status_code == 404
    with demo_app.app_context():
        _verify_and_publish(db.session.get(Declaration, eu.id))
    for public_id in (cn_id, eu_id):
        page = anonymous.get(f"/d/{public_id}/jurisdictions", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'id="line-total"' in html and "[electricity] policy, instruments" in html
    zh = anonymous.get(f"/d/{cn_id}/jurisdictions", headers={"Accept-Language": "zh-CN"})
    assert "中国与欧盟对照" in zh.get_data(as_text=True)
    declared = anonymous.get(f"/d/{cn_id}", headers={"Accept-Language": "en"})
    assert f"/d/{cn_id}/jurisdictions" in declared.get_data(as_text=True)


def test_a_declaration_names_the_version_it_replaces_under_its_rule(demo_app: Flask) -> None:
    """Versions are numbered per product and period across rules: an EU draft replacing the
    EU draft before it names that one's number, not the number just below its own."""
    with demo_app.app_context():
        d = _pack_declaration()
        actor = admin_actor(PACK_MAKER)
        args = (d.product_id, d.period_start, d.period_end)
        eu = declarations.declare(db.session, actor, *args, None, "power_battery_eu")
        declarations.declare(db.session, actor, *args, None, "power_battery_cn")
        again = declarations.declare(db.session, actor, *args, "again", "power_battery_eu")
        assert again.version == eu.version + 2 and again.preceding_id == eu.id
        path, before = f"/declarations/{again.id}", f"/declarations/{eu.id}"
    admin = Session(demo_app.test_client())
    admin.login(PACK_MAKER)
    html = admin.client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'href="{before}">v{eu.version}</a>' in html
