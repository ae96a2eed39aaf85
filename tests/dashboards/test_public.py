"""Public disclosure: the list, the industry overview (groups of five or more only), the QR
code of the label, the methodology pages."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Declaration, DeclarationStatus, Product
from footprint_platform.public_queries import Group, _group, industry_overview
from footprint_platform.services.pact.footprint import valid_until

EN = {"Accept-Language": "en"}


def _published() -> list[Declaration]:
    return list(
        db.session.scalars(select(Declaration).where(Declaration.published_at.is_not(None)))
    )


def test_the_list_finds_published_declarations_only(demo_app: Flask) -> None:
    with demo_app.app_context():
        published = {d.product.part_number for d in _published()}
        drafts = {
            d.product.part_number
            for d in db.session.scalars(
                select(Declaration).where(Declaration.published_at.is_(None))
            )
        }
    client = demo_app.test_client()
    page = client.get("/d/", headers=EN).get_data(as_text=True)
    assert published and all(part in page for part in published)
    assert all(part not in page for part in drafts - published)
    found = client.get("/d/?q=s7", headers=EN).get_data(as_text=True)
    assert "JH-S7-LR" in found and "HD-PK-811-78" not in found
    by_company = client.get("/d/?q=huadong", headers=EN).get_data(as_text=True)
    assert "HD-PK-811-78" in by_company and "JH-S7-LR" not in by_company
    assert client.get("/d/?category=nonsense").status_code == 422


def test_a_withdrawn_declaration_leaves_the_current_list_but_not_the_record(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        d = db.session.scalar(
            select(Declaration).join(Product).where(Product.part_number == "JH-S7-LR")
        )
        from footprint_platform.models import utcnow

        d.withdrawn_at = utcnow()
        db.session.commit()
    client = demo_app.test_client()
    assert "JH-S7-LR" not in client.get("/d/").get_data(as_text=True)
    assert "JH-S7-LR" in client.get("/d/?include_past=true").get_data(as_text=True)


def test_the_qr_code_encodes_the_public_address(demo_app: Flask) -> None:
    """The label's code opens the light landing page at a stable address under
    PUBLIC_BASE_URL (short: a smaller symbol); the full page is one link from it."""
    with demo_app.app_context():
        public_id = _published()[0].public_id
    before = demo_app.config["PUBLIC_BASE_URL"]
    demo_app.config["PUBLIC_BASE_URL"] = "https://tanlian.example.cn"
    try:
        client = demo_app.test_client()
        svg = client.get(f"/d/{public_id}/qr.svg")
        page = client.get(f"/d/{public_id}", headers=EN).get_data(as_text=True)
    finally:
        demo_app.config["PUBLIC_BASE_URL"] = before
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<?xml")
    assert f"https://tanlian.example.cn/q/{public_id}" in page
    assert f"/d/{public_id}/qr.svg" in page
    landing = client.get(f"/q/{public_id}", headers=EN).get_data(as_text=True)
    assert f'href="/d/{public_id}"' in landing and "<script" not in landing
    import io

    import segno

    expected = io.BytesIO()  # the same symbol, made from the address the label must carry
    segno.make(f"https://tanlian.example.cn/q/{public_id}", error="m").save(
        expected, kind="svg", scale=4, border=2
    )
    assert svg.data == expected.getvalue()


def test_the_public_page_names_its_methodology_and_validity(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = next(x for x in _published() if x.product.part_number == "HD-PK-811-78")
        public_id, until = d.public_id, valid_until(d)
    client = demo_app.test_client()
    page = client.get(f"/d/{public_id}", headers=EN).get_data(as_text=True)
    assert "/methodology/rules/power_battery" in page
    assert "/methodology/factors/2025.1" in page
    assert str(until) in page and until == date(2028, 12, 31)
    rule = client.get("/methodology/rules/power_battery", headers=EN).get_data(as_text=True)
    assert "Regulation (EU) 2023/1542" in rule and "cathode" in rule
    # the electricity policy and its sources, as the rule file states them
    assert "JRC hierarchy" in rule and "elec.{geo}.cfp.{year}" in rule and "262" in rule
    release = client.get("/methodology/factors/2025.1", headers=EN).get_data(as_text=True)
    assert "MEE" in release or "生态环境部" in release
    assert "0.6205" not in release  # sources, not values
    assert client.get("/methodology/rules/nonsense").status_code == 404


# What a working note looks like: a path in our files, a reminder to ourselves, a doubled word.
WORKING_NOTES = ("shared/", ".csv", " - check", "grid grid", "config/")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_methodology_pages_show_the_public_only_reviewed_text(
    demo_app: Flask, lang: str
) -> None:
    """The factor release's sources and the rules are cited as publications (publisher, title,
    table, year), never as our files or notes to ourselves."""
    client = demo_app.test_client()
    pages = ["/methodology/factors/2025.1", "/methodology/factors/latest"]
    pages += [f"/methodology/rules/{code}" for code in ("power_battery", "vehicle", "material")]
    for url in pages:
        response = client.get(url, headers={"Accept-Language": lang})
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert [n for n in WORKING_NOTES if n in page] == [], url


def test_groups_below_five_show_nothing_but_their_existence() -> None:
    small = _group(("battery_pack", "LFP"), [80.0, 90.0, 100.0, 110.0], 5)
    assert not small.shown and small.median is None and small.values == ()
    big = _group(("battery_pack", "LFP"), [80.0, 90.0, 100.0, 110.0, 120.0], 5)
    assert big.shown and (big.low, big.median, big.high) == (80.0, 100.0, 120.0)
    assert (big.q1, big.q3) == (90.0, 110.0)


def test_the_overview_hides_every_demo_group_of_fewer_than_five(demo_app: Flask) -> None:
    """The demo publishes two packs and a vehicle: every group is too small to show."""
    with demo_app.app_context():
        o = industry_overview(db.session, 5)
        groups: list[Group] = [
            *o.batteries_by_chemistry,
            *o.batteries_by_region,
            *o.vehicles_by_segment,
            *o.classes,
        ]
        assert groups and not any(g.shown for g in groups)
        nmc = next(g for g in o.batteries_by_chemistry if g.label == ("battery_pack", "NMC811"))
        assert nmc.count == 1
        shown = industry_overview(db.session, 1)
        nmc_one = next(
            g for g in shown.batteries_by_chemistry if g.label == ("battery_pack", "NMC811")
        )
        pack = _published_pack()
        assert nmc_one.median == pytest.approx(float(Decimal(pack.total)))
    page = demo_app.test_client().get("/industry", headers=EN).get_data(as_text=True)
    assert "1 published declaration; figures are shown from 5." in page
    assert f"{float(pack.total):.1f}" not in page


def _published_pack() -> Declaration | None:
    """The demo's NMC811 pack declaration in force (the one group member of the industry page
    the tests below follow)."""
    return db.session.scalar(
        select(Declaration)
        .join(Product)
        .where(
            Product.part_number == "HD-PK-811-78",
            Declaration.status == DeclarationStatus.PUBLISHED,
        )
    )


def _row(page: str, name: str) -> str:
    """The table row of the group named `name` on the industry page."""
    match = re.search(
        rf'<tr class="\w+"><th scope="row" class="group-name">{re.escape(name)}</th>.*?</tr>',
        page,
        re.S,
    )
    assert match, f"no group row {name!r}"
    return match.group(0)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_small_group_says_how_many_it_holds_and_lists_its_published_declarations(
    demo_app: Flask, lang: str
) -> None:
    """At demo scale every group is below five: each says how many published declarations it
    holds and from how many figures are shown, names its region in the reader's language
    (never a code), lists its declarations (public already) and links to the public list;
    no figure of a group, nothing unpublished."""
    from footprint_platform.reference import load_reference

    with demo_app.app_context():
        pack = _published_pack()
        unpublished = set(db.session.scalars(select(Product.part_number))) - {
            d.product.part_number for d in _published()
        }
        public_id, total, province = pack.public_id, float(pack.total), pack.product.site.province
    ref = load_reference()
    page = demo_app.test_client().get("/industry", headers={"Accept-Language": lang})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    pack_name = ref.categories["battery_pack"].label(lang)
    chemistry = ref.chemistries["NMC811"][lang]
    row = _row(text, f"{pack_name} · {chemistry}")
    said = (
        "已发布声明 1 份;达到 5 份后显示数值。"
        if lang == "zh"
        else ("1 published declaration; figures are shown from 5.")
    )
    assert said in row and f'href="/d/{public_id}"' in row
    assert 'href="/d/?category=battery_pack&amp;chemistry=NMC811"' in row
    region = _row(text, f"{pack_name} · {ref.provinces[province].label(lang)}")
    assert f'href="/d/{public_id}"' in region
    assert f"CN-{province}" not in text and f"{total:.1f}" not in text
    assert unpublished and not any(part in text for part in unpublished)
    assert 'id="none-shown"' in text


def test_only_groups_below_the_minimum_list_their_declarations(demo_app: Flask) -> None:
    """A group with its figures shown lists nobody (its spread stands for them); class
    counts never list (how many declarations hold a class is a distribution)."""
    with demo_app.app_context():
        small = industry_overview(db.session, 5)
        full = industry_overview(db.session, 1)
        current = [
            d
            for d in _published()
            if d.status == DeclarationStatus.PUBLISHED and d.withdrawn_at is None
        ]
    assert all(g.listed and len(g.listed) == g.count for g in small.batteries_by_chemistry)
    assert all(g.shown and not g.listed for g in full.batteries_by_chemistry)
    assert small.classes and not any(g.listed for g in small.classes)
    assert small.published == len(current) > 0


def test_the_public_list_downloads_as_csv_in_the_order_chosen(demo_app: Flask) -> None:
    """`/d.csv` is the list as the page shows it (same search, filters and order), every
    figure as stored: a row per current published declaration, nothing unpublished, cells
    that a spreadsheet would run as a formula neutralised."""
    import csv
    import io

    client = demo_app.test_client()
    got = client.get("/d.csv?sort=product")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert got.data.startswith(b"\xef\xbb\xbf")  # the mark Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(got.data.decode("utf-8-sig"))))
    with demo_app.app_context():
        current = db.session.scalars(
            select(Declaration).where(
                Declaration.status == DeclarationStatus.PUBLISHED,
                Declaration.withdrawn_at.is_(None),
            )
        ).all()
        stored = {d.public_id: d.total for d in current}
    assert {r["public_id"] for r in rows} == set(stored)
    assert all(
        Decimal(r["total_kg_co2e_per_declared_unit"]) == stored[r["public_id"]] for r in rows
    )
    parts = [r["part_number"] for r in rows]
    assert parts == sorted(parts)
    assert all(r["url"].endswith("/d/" + r["public_id"]) for r in rows)
    battery = [r for r in rows if r["kg_co2e_per_kwh_lifetime_energy"]]
    assert battery and all(r["kg_co2e_per_kwh_capacity"] for r in battery)
    by_footprint = list(
        csv.DictReader(io.StringIO(client.get("/d.csv?sort=footprint").data.decode("utf-8-sig")))
    )
    for category in {r["category"] for r in by_footprint}:
        totals = [
            Decimal(r["total_kg_co2e_per_declared_unit"])
            for r in by_footprint
            if r["category"] == category
        ]
        assert totals == sorted(totals)
    assert client.get("/d.csv?sort=cheapest").status_code in (400, 422)
    page = client.get("/d/?sort=company").get_data(as_text=True)
    assert 'option value="company" selected' in page and "/d.csv?sort=company" in page
