"""Chinese and English: the switch, complete catalogues, locale formats."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Session
from tests.platform.demo_ids import Ids

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "footprint_platform/translations/zh/LC_MESSAGES/messages.po"


def test_chinese_is_the_default_and_english_follows_the_browser(client: FlaskClient) -> None:
    assert "登录" in client.get("/login").get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Sign in" in english.get_data(as_text=True)


def test_the_language_switch_sticks_for_the_session(auth: Session) -> None:
    response = auth.post("/language/en", {"next": "/login"})
    assert response.headers["Location"] == "/login"
    page = auth.client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert 'lang="en"' in page.get_data(as_text=True)
    assert "Forgot your password?" in page.get_data(as_text=True)


def test_every_string_in_the_code_has_a_chinese_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalogue = read_po(PO.open("rb"))
    assert not catalogue.fuzzy, "a fuzzy catalogue is skipped by `pybabel compile`"
    translated = {m.id for m in catalogue if m.id and m.string and "fuzzy" not in m.flags}
    assert wanted - translated == set(), "run `make translations-update` and translate"


def test_dates_follow_the_locale_and_the_display_timezone(auth: Session) -> None:
    """Stored in UTC; shown in Asia/Shanghai (UTC+8), in the reader's date format."""
    auth.login("admin@huadong-pack.example")
    members = f"/orgs/{_pack_id(auth)}/members"
    zh = auth.client.get(members).get_data(as_text=True)
    auth.post("/language/en", {"next": "/"})
    en = auth.client.get(members).get_data(as_text=True)
    assert re.search(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}", zh)  # zh short: 2026/11/25 22:35
    assert re.search(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\s?[AP]M", en)  # en: 11/25/26, 10:35 PM


def _pack_id(auth: Session) -> int:
    from tests.platform.demo_ids import PACK, org_id

    with auth.client.application.app_context():
        return org_id(PACK)


def test_a_signed_in_persons_language_is_remembered_on_the_next_sign_in(auth: Session) -> None:
    auth.login("admin@huadong-pack.example")
    auth.post("/language/en", {"next": "/"})
    auth.logout()
    auth.client.delete_cookie("session")
    auth.login("admin@huadong-pack.example")
    page = auth.client.get("/dashboard/", headers={"Accept-Language": "zh-CN"})
    assert "Overview" in page.get_data(as_text=True)


def test_page_titles_are_plain_text(prepared_app: Flask, ids: Ids) -> None:
    """A <title> holds text only: markup there means a template block went astray."""
    session = Session(prepared_app.test_client())
    session.login("admin@huadong-pack.example")
    for path in (
        f"/declarations/{ids.declaration}",
        f"/orgs/{ids.org}/declarations",
        f"/submissions/{ids.draft}/review",
        f"/orgs/{ids.org}/requests",
        "/factors",
        f"/d/{ids.public_id}",
        f"/orgs/{ids.org}/products",
        "/dashboard/",
    ):
        html = session.client.get(path).get_data(as_text=True)
        title = html.split("<title>", 1)[1].split("</title>", 1)[0]
        assert "<" not in title, path


@pytest.mark.parametrize(
    ("lang", "taiwan", "hong_kong"),
    [("zh-CN", "中国台湾", "中国香港"), ("en", "Taiwan, Province of China", "Hong Kong, China")],
)
def test_the_country_list_is_the_national_standards_in_both_languages(
    demo_app: Flask, auth: Session, lang: str, taiwan: str, hong_kong: str
) -> None:
    """Sites pick their country from GB/T 2659.1's list (ISO 3166-1 codes), never CLDR's test
    locales or groupings, with the standard's names."""
    from sqlalchemy import select

    from footprint_platform.extensions import db
    from footprint_platform.models import Organization

    with demo_app.app_context():
        org = db.session.scalar(
            select(Organization.id).where(Organization.name_en.like("Huadong%"))
        )
    auth.login("admin@huadong-pack.example")
    page = auth.client.get(f"/orgs/{org}/sites/new", headers={"Accept-Language": lang}).get_data(
        as_text=True
    )
    select = re.search(r'<select[^>]*name="country".*?</select>', page, re.S)
    assert select, "no country list"
    options = dict(re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]+)</option>', select[0]))
    assert len(options) == 249
    assert not {"XA", "XB", "XK", "ZZ", "EU", "EZ", "UN", "QO", "AC", "IC"} & options.keys()
    assert options["TW"] == taiwan and options["HK"] == hong_kong
    assert "Pseudo" not in page and "伪" not in page
