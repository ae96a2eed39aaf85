"""Accessibility in a real browser (Debian's chromium), checked on every public page in both
languages and on the main signed-in pages: the document language, one <h1>, labelled controls,
text alternatives, the viewport meta, keyboard access to the navigation and the language
switch; and, 375 px wide as on a phone, no sideways scrolling of the public pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from footprint_platform.models import (
    Declaration,
    Organization,
    Product,
    Submission,
    Verification,
)
from tests.browser.accessibility import audit, keyboard_reaches_navigation, reflows
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
PACK_ADMIN = "admin@huadong-pack.example"
VERIFIER = "verifier@qingyuan-verify.example"
PHONE = {"width": 375, "height": 812}


def _public_pages(server: LiveServer) -> list[str]:
    public_id = server.query(
        select(Declaration.public_id)
        .join(Product, Product.id == Declaration.product_id)
        .where(Product.part_number == "HD-PK-811-78", Declaration.published_at.is_not(None))
        .limit(1)
    )
    return [
        "/",
        "/d/",
        f"/d/{public_id}",
        "/industry",
        "/methodology/rules/power_battery",
        "/methodology/factors/2025.1",
        "/login",
        "/password/forgot",
    ]


def _check(tab: Any, paths: list[str], locale: str, keyboard: bool = True) -> list[str]:
    problems: list[str] = []
    for path in paths:
        page = tab.go(path, f"{locale}{path}")
        problems += audit(page, locale)
        if keyboard:
            problems += keyboard_reaches_navigation(page)
    return problems


def test_the_public_pages_are_accessible_in_both_languages(
    visit: Any, live_server: LiveServer
) -> None:
    tab = visit()
    pages = _public_pages(live_server)
    problems = _check(tab, pages, "en")
    tab.language("zh", "switched-to-zh")
    problems += _check(tab, pages, "zh")
    assert problems == [], "\n".join(problems)


def test_the_public_pages_fit_a_phone(visit: Any, live_server: LiveServer) -> None:
    tab = visit("phone")
    tab.page.set_viewport_size(PHONE)
    live_server.app.config["PUBLIC_MIN_GROUP"] = 1  # draw the industry boxes too
    problems: list[str] = []
    for locale in ("en", "zh"):
        if locale == "zh":
            tab.language("zh", "phone-zh")
        for path in _public_pages(live_server):
            page = tab.go(path, f"phone-{locale}{path}")
            problems += reflows(page)
            problems += audit(page, locale)
    assert problems == [], "\n".join(problems)
    page = tab.go("/industry", "phone-industry-boxes")
    assert page.locator("#chart-chemistry[data-drawn='true'] .boxlayer path").count() > 0


def test_the_checks_find_what_they_look_for(visit: Any) -> None:
    """Each check fires on a page made to fail it."""
    page = visit().page
    page.set_viewport_size(PHONE)
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body>'
        '<h1>One</h1><h1>Two</h1><label for="x">Name</label><input id="x">'
        '<input id="y" name="unlabelled"><select name="bare"></select><button></button>'
        '<img src="data:,"><div role="img"></div><p id="x"></p>'
        '<pre style="width: 900px">wide</pre></body></html>'
    )
    found = " | ".join(audit(page, "zh"))
    for expected in (
        '<html lang="en">, expected "zh-Hans"',
        "2 <h1> elements",
        "no viewport meta",
        "input[name=unlabelled] without a label",
        "select[name=bare] without a label",
        "button  without a name",
        "without alt",
        "role=img  without a label",
        "duplicate ids: x",
    ):
        assert expected in found
    assert "input[name=?]" not in found  # the labelled one
    assert reflows(page) and "Tab never reaches the main navigation" in " ".join(
        keyboard_reaches_navigation(page, presses=5)
    )


def test_the_main_signed_in_pages_are_accessible(visit: Any, live_server: LiveServer) -> None:
    q = live_server.query
    pack_org = q(select(Organization.id).where(Organization.name_en == "Huadong Battery Systems"))
    pack = q(select(Product.id).where(Product.part_number == "HD-PK-811-78"))
    declaration = q(select(Declaration.id).where(Declaration.product_id == pack).limit(1))
    submission = q(select(Submission.id).where(Submission.product_id == pack).limit(1))
    owner = visit("owner")
    owner.login(PACK_ADMIN)
    pages = [
        "/dashboard/",
        f"/orgs/{pack_org}/",
        f"/orgs/{pack_org}/products",
        f"/orgs/{pack_org}/products/new",
        f"/orgs/{pack_org}/sites",
        f"/orgs/{pack_org}/submissions",
        f"/submissions/{submission}/energy",
        f"/submissions/{submission}/history",
        f"/orgs/{pack_org}/declarations",
        f"/declarations/{declaration}",
        f"/orgs/{pack_org}/requests",
        f"/orgs/{pack_org}/suppliers",
        f"/orgs/{pack_org}/shares",
        f"/orgs/{pack_org}/members",
        f"/dashboard/products/{pack}",
        f"/dashboard/products/{pack}/coverage",
        f"/dashboard/products/{pack}/whatif",
        f"/dashboard/orgs/{pack_org}/portfolio",
        f"/dashboard/orgs/{pack_org}/supplier",
        "/catalogue",
        "/factors",
        "/tasks",
        "/account/notifications",
    ]
    problems = _check(owner, pages, "en")
    owner.language("zh", "owner-zh")
    problems += _check(owner, pages[:10], "zh", keyboard=False)

    verifier_org = q(
        select(Organization.id).where(Organization.name_en == "Qingyuan Carbon Verification Co.")
    )
    assignment = q(select(Verification.id).where(Verification.verifier_id == verifier_org))
    verifier = visit("verifier")
    verifier.login(VERIFIER)
    problems += _check(
        verifier, [f"/orgs/{verifier_org}/verifications", f"/verifications/{assignment}"], "en"
    )
    assert problems == [], "\n".join(problems)
