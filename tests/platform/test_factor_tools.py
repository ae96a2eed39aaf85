"""The operator's factor tools: the current release downloads in the upload's columns and
uploads back without a change; the diff names datasets, their % change and what they would
reach; publishing needs a confirmation the server checks; the factor list pages, sorts,
filters and exports what it shows."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from footprint_platform.extensions import db
from footprint_platform.models import EmissionFactor, FactorRelease
from footprint_platform.services.catalogue import factor_tools, factors
from tests.conftest import Session

pytestmark = pytest.mark.postgres
OPERATOR = "operator@tanlian.example"
CHANGED = "mat.aluminium.primary.cn"


def _operator(app: Flask) -> Session:
    session = Session(app.test_client())
    assert session.login(OPERATOR).status_code == 302
    return session


def _upload(session: Session, data: bytes, **form: str) -> str:
    response = session.post(
        "/operator/factors",
        {"file": (io.BytesIO(data), "release.csv"), **form},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def _payload(html: str) -> str:
    return html.split('name="payload" value="', 1)[1].split('"', 1)[0]


def _current_csv(session: Session) -> bytes:
    response = session.client.get("/operator/factors/current.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return bytes(response.data)


def test_the_downloaded_release_uploads_back_with_no_change(demo_app: Flask) -> None:
    session = _operator(demo_app)
    data = _current_csv(session)
    header = next(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert tuple(header) == factors.COLUMNS
    with demo_app.app_context():
        latest = factors.latest_release(db.session)
        diff = factors.diff_release(db.session, latest, factors.read_release(data))
        count = db.session.scalar(
            select(func.count()).where(EmissionFactor.release_id == latest.id)
        )
    assert (diff.added, diff.removed, diff.changed) == ([], [], [])
    assert len(data.decode("utf-8").strip().splitlines()) == count + 1
    # no stored number comes out with its ten stored decimals
    assert not re.search(r"\.\d*0,", data.decode("utf-8"))
    html = _upload(session, data)
    assert re.search(rf"{count:d}\D+0\D+0\D+0\D", html.split('id="diff-summary">', 1)[1])
    assert 'id="impact-none"' in html


def _with_value_times(data: bytes, code: str, factor: Decimal) -> tuple[bytes, Decimal]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    row = next(r for r in rows if r["code"] == code)
    old = Decimal(row["value"])
    row["value"] = str(old * factor)
    row["range_high"] = (
        str(max(Decimal(row["range_high"] or 0), old * factor)) if row["range_high"] else ""
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=factors.COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8"), old


def test_the_diff_names_the_change_its_percent_and_what_it_would_reach(demo_app: Flask) -> None:
    session = _operator(demo_app)
    data, _old = _with_value_times(_current_csv(session), CHANGED, Decimal("1.1"))
    html = _upload(session, data)
    row = html.split(f'data-code="{CHANGED}"', 1)[1].split("</tr>", 1)[0]
    with demo_app.app_context():
        name = db.session.scalar(
            select(EmissionFactor.name_zh).where(EmissionFactor.code == CHANGED)
        )
        diff = factors.diff_release(
            db.session, factors.latest_release(db.session), factors.read_release(data)
        )
        impact = factor_tools.impact(db.session, diff)
        parts = [a.product.part_number for a in impact.products]
    assert name in row and "+10.0 %" in row  # the test client reads the default, Chinese
    assert "range" not in row
    assert parts, "the demo uses primary aluminium"
    section = html.split('id="diff-impact"', 1)[1].split("</section>", 1)[0]
    assert "将影响以下产品的新声明和新结果" in section
    for part in parts:
        assert part in section
    assert 'id="cancel"' in html and 'href="/operator/factors"' in html


def test_the_impact_names_products_using_a_code_and_declarations_containing_them(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        latest = factors.latest_release(db.session)
        rows = factors.read_release(factor_tools.release_csv(db.session, latest).encode())
        kept = [r for r in rows if r["code"] != CHANGED]
        impact = factor_tools.impact(db.session, factors.diff_release(db.session, latest, kept))
        assert impact.products and all(CHANGED in a.codes for a in impact.products)
        ids = {str(a.product.id) for a in impact.products}
        for d in impact.declarations:
            assert ids & set(d.pinned)
        none = factor_tools.impact(db.session, factors.diff_release(db.session, latest, rows))
        assert (none.products, none.declarations) == ([], [])


def test_publishing_without_the_confirmation_publishes_nothing(demo_app: Flask) -> None:
    session = _operator(demo_app)
    data, _old = _with_value_times(_current_csv(session), CHANGED, Decimal("1.1"))
    payload = _payload(_upload(session, data))
    form = {"payload": payload, "confirm": "1", "version": "2026.7", "title": "t"}
    refused = session.post("/operator/factors", form)
    assert refused.status_code == 422
    assert 'id="confirmed-error"' in refused.get_data(as_text=True)
    with demo_app.app_context():
        assert (
            db.session.scalar(select(FactorRelease).where(FactorRelease.version == "2026.7"))
            is None
        )
    done = session.post("/operator/factors", {**form, "confirmed": "1"})
    assert done.status_code == 302
    with demo_app.app_context():
        assert factors.latest_release(db.session).version == "2026.7"


def _codes(html: str) -> list[str]:
    table = html.split('id="factor-table"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td class="identifier"><code>([^<]+)</code>', table)


def test_the_factor_list_pages_sorts_filters_and_exports(demo_app: Flask) -> None:
    session = _operator(demo_app)
    with demo_app.app_context():
        latest = factors.latest_release(db.session)
        everything = db.session.scalars(
            select(EmissionFactor).where(EmissionFactor.release_id == latest.id)
        ).all()
    assert len(everything) > factor_tools.PAGE_SIZE
    first = session.client.get("/factors?sort=value&dir=desc").get_data(as_text=True)
    second = session.client.get("/factors?sort=value&dir=desc&page=2").get_data(as_text=True)
    by_value = sorted(everything, key=lambda f: (-f.value, f.code))
    assert _codes(first) == [f.code for f in by_value[: factor_tools.PAGE_SIZE]]
    assert _codes(second)[0] == by_value[factor_tools.PAGE_SIZE].code
    assert 'rel="next"' in first and 'aria-sort="descending"' in first

    query = "category=electricity&series=co2_emission&geography=CN-E&q=2022"
    html = session.client.get(f"/factors?{query}").get_data(as_text=True)
    expected = sorted(
        f.code
        for f in everything
        if (f.category, f.series, f.geography) == ("electricity", "co2_emission", "CN-E")
        and "2022" in f.code + f.name_en + f.name_zh
    )
    assert expected and sorted(_codes(html)) == expected

    export = session.client.get(f"/factors/{latest.version}/export.csv?{query}")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert export.data.startswith(b"\xef\xbb\xbf")  # the mark Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert sorted(r["code"] for r in rows) == expected
    assert f"/factors/{latest.version}/export.csv?" in html

    bad = session.client.get("/factors?sort=drop_table")
    assert bad.status_code in (400, 422)


def test_numbers_read_without_the_ten_stored_decimals() -> None:
    """Forms and files show a stored value exactly, pages to sensible significant digits."""
    from footprint_platform.number_format import exact_text, significant

    assert exact_text(Decimal("0.0500000000")) == "0.05"
    assert exact_text(Decimal("130.4200000000")) == "130.42"
    assert exact_text(Decimal("1E+1")) == "10" and exact_text(Decimal("0E-10")) == "0"
    assert exact_text("1.50") == "1.50"  # what a person typed stays as typed
    assert exact_text(None) == ""
    assert significant(Decimal("130.4212345678")) == Decimal("130.4")
    assert significant(Decimal("0.0046150000")) == Decimal("0.004615")
    assert significant(Decimal("12345.6")) == Decimal("12346")
    assert significant(Decimal("15.9470000000"), 6) == Decimal("15.947")
    for stored in (Decimal("0.5810000000"), Decimal("2.2000000000"), Decimal("17.5417")):
        assert Decimal(exact_text(stored)) == stored  # never a changed value


def test_a_refused_version_keeps_the_checked_changes_on_screen(demo_app: Flask) -> None:
    session = _operator(demo_app)
    data, _old = _with_value_times(_current_csv(session), CHANGED, Decimal("1.1"))
    payload = _payload(_upload(session, data))
    form = {"payload": payload, "confirm": "1", "version": "26.x", "confirmed": "1"}
    refused = session.post("/operator/factors", form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="version-error"' in html
    assert f'data-code="{CHANGED}"' in html and _payload(html) == payload
    broken = session.post("/operator/factors", {**form, "payload": "%%%"})
    assert broken.status_code == 422
    with demo_app.app_context():
        assert factors.latest_release(db.session).version == factors.SEED_VERSION
