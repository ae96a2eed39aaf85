"""The audit log's details as a person reads them: each key by its label in the reader's
language, each value in its display form, and nothing named that the reader's organization may
not see (another organization's product it neither makes, is shown nor links; a person outside
it; another organization's unpublished declaration)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select

from footprint_platform import visibility
from footprint_platform.extensions import db
from footprint_platform.models import (
    AuditEvent,
    Membership,
    Product,
    User,
)
from footprint_platform.policy import SYSTEM
from footprint_platform.services.catalogue import audit
from footprint_platform.services.disclosure import declarations
from footprint_platform.services.insight import audit_view
from tests.conftest import Session
from tests.platform.demo_ids import LITHIUM, PACK, admin_actor, org_id

OWN_PART = "HD-PK-811-78"
RAW = re.compile(r"\b[a-z]+_[a-z_]+=|\b(?:product_id|period|role|version)=")


def _hidden(pack: int) -> dict[str, Any]:
    """What the pack maker may not see named: a product of another maker it neither makes,
    is shown nor links, a person who is not its member, another maker's unpublished
    declaration."""
    products = db.session.scalars(select(Product).where(Product.organization_id != pack)).all()
    nameable = visibility.for_organization(db.session, pack).nameable(p.id for p in products)
    product = next(p for p in products if p.id not in nameable)
    members = select(Membership.user_id).where(Membership.organization_id == pack)
    person = db.session.scalar(select(User).where(User.id.not_in(members)).limit(1))
    lithium = org_id(LITHIUM)
    made = db.session.scalar(select(Product.id).where(Product.organization_id == lithium))
    declaration = declarations.declare(
        db.session,
        admin_actor("data@lanhu-lithium.example"),
        made,
        date(2025, 1, 1),
        date(2025, 12, 31),
        "Test: a draft the pack maker may not see",
    )
    return {
        "product": product.id,
        "declaration": declaration.id,
        "person": person.id,
        "secrets": [product.part_number, product.name_en, product.name_zh, person.display_name],
    }


def _event(pack: int, action: str, details: dict[str, Any]) -> AuditEvent:
    event = audit.record(
        db.session, SYSTEM, action, object_type="none", organization_id=pack, details=details
    )
    db.session.flush()
    return event


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (
            "en",
            {
                "period": ("Period", "2025"),
                "role": ("Role", "Editor"),
                "status": ("Status", "Submitted"),
                "version": ("Version", "3"),
                "channel": ("Channel", "Command line"),
                "country": ("Country", "Germany"),
                "unknown_key": ("Unknown key", "7"),
            },
        ),
        (
            "zh",
            {
                "period": ("期间", "2025"),
                "role": ("角色", "编辑者"),
                "status": ("状态", "已提交"),
                "version": ("版本", "3"),
                "channel": ("渠道", "命令行"),
                "country": ("国家/地区", "德国"),
                "unknown_key": ("Unknown key", "7"),
            },
        ),
    ],
)
def test_details_read_in_the_readers_language(
    demo_app: Flask, locale: str, words: dict[str, tuple[str, str]]
) -> None:
    with demo_app.test_request_context(), force_locale(locale):
        pack = org_id(PACK)
        own = db.session.scalar(select(Product).where(Product.part_number == OWN_PART))
        member = db.session.scalar(
            select(User).join(Membership).where(Membership.organization_id == pack).limit(1)
        )
        event = _event(
            pack,
            "submission.draft",
            {
                "period": "2025-01-01/2025-12-31",
                "role": "editor",
                "status": "submitted",
                "version": 3,
                "channel": "cli",
                "country": "DE",
                "unknown_key": 7,
                "product_id": own.id,
                "user_id": member.id,
                "site_id": str(own.site_id),  # a changed field's value is stored as text
            },
        )
        details = {d.key: d for d in audit_view.describe(db.session, pack, [event])[event.id]}
        own_name = f"{OWN_PART} · {own.display_name(locale)}"
        member_name, site_name = member.display_name, own.site.name
        db.session.rollback()
    assert {k: (d.label, d.value) for k, d in details.items() if k in words} == words
    # a product the reader makes: by its part number and its name in the reader's language
    assert details["product_id"].value == own_name
    assert details["user_id"].value == member_name  # a member of the reader's organization
    assert details["site_id"].value == site_name
    # an unknown key is still shown, humanised and marked as not translated
    assert details["unknown_key"].english and not details["period"].english


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_details_never_name_what_the_reader_may_not_see(demo_app: Flask, locale: str) -> None:
    with demo_app.test_request_context(), force_locale(locale):
        pack = org_id(PACK)
        hidden = _hidden(pack)
        event = _event(
            pack,
            "link_request.cancel",
            {
                "product_id": hidden["product"],
                "user_id": hidden["person"],
                "declaration_id": hidden["declaration"],
            },
        )
        shown = audit_view.describe(db.session, pack, [event])[event.id]
        db.session.rollback()
    text = " ".join(f"{d.label} {d.value}" for d in shown)
    for secret in hidden["secrets"]:
        assert secret and secret not in text
    assert not re.search(r"\d", text)  # no record's id either
    values = {d.key: d.value for d in shown}
    if locale == "zh":
        assert values["product_id"] == "其他企业的产品"
        assert values["user_id"] == "本企业以外的人员"
    else:
        assert values["product_id"] == "another organization's product"
        assert values["declaration_id"] == "another organization's declaration"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_audit_page_shows_labels_and_display_values_not_keys(
    demo_app: Flask, lang: str
) -> None:
    """The demo's own log, read by the pack maker's administrator: no `key=value`, each
    detail labelled, the period as a year, its products named; a hidden product of an event
    written into its log stays unnamed on the page too."""
    with demo_app.app_context():
        pack = org_id(PACK)
        hidden = _hidden(pack)
        _event(
            pack, "link_request.cancel", {"product_id": hidden["product"], "status": "cancelled"}
        )
        db.session.commit()
    session = Session(demo_app.test_client())
    session.login("admin@huadong-pack.example")
    page = session.client.get(f"/orgs/{pack}/audit", headers={"Accept-Language": lang})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    cells = re.findall(r'<td data-label="[^"]*" class="details">(.*?)</td>', html, re.S)
    assert cells and not [c for c in cells if RAW.search(re.sub(r"<[^>]+>", " ", c))]
    period, product = ("期间", "产品") if lang == "zh" else ("Period", "Product")
    assert f'<div data-key="period"><dt>{period}</dt><dd>2025</dd></div>' in html
    assert f"<dt>{product}</dt><dd>{OWN_PART} · " in html
    part_number, name_en = hidden["secrets"][:2]
    assert part_number not in html and name_en not in html


def test_the_audit_csv_says_what_the_page_says_in_both_languages(demo_app: Flask) -> None:
    """One row per event, codes for programs and the action and details as read in English
    and Chinese; a hidden product's name and the stored details (their ids) are not in it."""
    import csv
    import io

    with demo_app.app_context():
        pack = org_id(PACK)
        hidden = _hidden(pack)
        _event(
            pack, "link_request.cancel", {"product_id": hidden["product"], "status": "cancelled"}
        )
        db.session.commit()
        count = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.organization_id == pack)
        )
    session = Session(demo_app.test_client())
    session.login("admin@huadong-pack.example")
    response = session.client.get(f"/orgs/{pack}/audit.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the mark Excel needs to read UTF-8
    body = response.data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == count
    draft = next(r for r in rows if r["action"] == "submission.draft")
    assert draft["action_en"] == "Data submission · draft started"
    assert draft["action_zh"] == "数据提交 · 已开始草稿"
    assert "Period: 2025" in draft["details_en"] and "期间：2025" in draft["details_zh"]
    cancel = rows[0]  # newest first
    assert cancel["details_en"] == "Product: another organization's product; Status: Cancelled"
    part_number, name_en = hidden["secrets"][:2]
    assert part_number not in body and name_en not in body and "product_id" not in body
    draft_object = next(r for r in rows if r["object_type"] in ("Product", "Submission"))
    assert draft_object["object_id"] == ""  # a product: named by the rule, never by its id
    assert draft_object["object_en"].startswith(("Product · ", "Data submission · "))
    assert draft_object["object_zh"].startswith(("产品 · ", "数据提交 · "))


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_an_events_object_is_named_under_the_same_rule(demo_app: Flask, locale: str) -> None:
    """The Object column: the reader's own product by part number and name, a product it may
    not name by its kind only (no id), any other record by its kind and number."""
    with demo_app.test_request_context(), force_locale(locale):
        pack = org_id(PACK)
        hidden = _hidden(pack)
        own = db.session.scalar(select(Product).where(Product.part_number == OWN_PART))
        assert own is not None
        made = [
            audit.record(db.session, SYSTEM, "product.update", own, organization_id=pack),
            audit.record(
                db.session,
                SYSTEM,
                "product.update",
                db.session.get(Product, hidden["product"]),
                organization_id=pack,
            ),
            audit.record(
                db.session,
                SYSTEM,
                "request.create",
                object_type="DataRequest",
                organization_id=pack,
            ),
        ]
        made[2].object_id = "41"
        db.session.flush()
        named = audit_view.objects(db.session, pack, made)
        db.session.rollback()
    kind = "产品" if locale == "zh" else "Product"
    assert named[made[0].id].startswith(f"{kind} · {OWN_PART} · ")
    assert named[made[1].id] == (
        f"{kind} · 其他企业的产品" if locale == "zh" else f"{kind} · another organization's product"
    )
    assert str(hidden["product"]) not in named[made[1].id]
    assert named[made[2].id] == ("数据请求 41" if locale == "zh" else "Data request 41")
