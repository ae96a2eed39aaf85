"""The Excel template: it round-trips, and every bad upload is refused whole, naming the
sheet, row and column, with nothing written."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Submission, SubmissionInput
from tests.conftest import Session
from tests.platform.demo_ids import Ids

MATERIALS = "材料 Materials"
ELECTRICITY = "电力 Electricity"


@pytest.fixture
def session(prepared_app: Flask) -> Session:
    s = Session(prepared_app.test_client())
    s.login("admin@huadong-pack.example")
    return s


def _download(session: Session, sub_id: int) -> Any:
    response = session.client.get(f"/submissions/{sub_id}/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def _upload(session: Session, sub_id: int, data: bytes) -> Any:
    return session.post(
        f"/submissions/{sub_id}/upload",
        {"file": (io.BytesIO(data), "filled.xlsx")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )


def _save(wb: Any) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _fill(wb: Any) -> Any:
    """A supplier fills the draft in Excel: overall rating, electricity, cells, steel."""
    guide = wb["Guide 说明"]
    for row in guide.iter_rows(min_row=1, max_col=3):
        if row[2].value == "dqr":  # column C (hidden) holds the key the upload reads
            row[1].value = 2
    # description, quantity, unit, supply, certificate id, factor, grid region, evidence, rating
    wb[ELECTRICITY].append([None, 2.2, "kWh", "grid", None, None, None, None, 2])
    wb[MATERIALS].append(["Cells", 1, "kWh", "BS-LFP-280 | Bashu LFP Power", None, None, 2])
    wb[MATERIALS].append(["Steel", 0.8, "kg", None, "mat.steel.crude.glo", None, 3])
    return wb


def _inputs(app: Flask, sub_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(
            select(SubmissionInput)
            .where(SubmissionInput.submission_id == sub_id)
            .order_by(SubmissionInput.position)
        )
        return [(r.kind.value, str(r.quantity.normalize()), r.unit) for r in rows]


def test_the_template_is_bilingual_with_lists_and_pre_filled(session: Session, ids: Ids) -> None:
    wb = _download(session, ids.submitted)
    assert wb.sheetnames[:2] == ["Guide 说明", "Lists 代码"]
    assert ELECTRICITY in wb.sheetnames and MATERIALS in wb.sheetnames
    header = [c.value for c in wb[MATERIALS][2]]
    assert "数量" in header[1] and "Quantity" in header[1]
    assert wb[MATERIALS].data_validations.dataValidation, "drop-down lists"
    assert wb[MATERIALS]["A3"].value  # the submitted version's rows are in the file


def test_a_filled_template_uploads_and_the_same_file_round_trips(
    session: Session, prepared_app: Flask, ids: Ids
) -> None:
    response = _upload(session, ids.draft, _save(_fill(_download(session, ids.draft))))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    first = _inputs(prepared_app, ids.draft)
    assert first == [
        ("electricity", "2.2", "kWh"),
        ("material", "1", "kWh"),
        ("material", "0.8", "kg"),
    ]
    again = _download(session, ids.draft)  # download what was saved, upload it unchanged
    assert _upload(session, ids.draft, _save(again)).status_code == 302
    assert _inputs(prepared_app, ids.draft) == first
    with prepared_app.app_context():
        sub = db.session.get(Submission, ids.draft)
        assert sub.channel == "excel" and sub.dqr == 2


def _bad(mutate: Callable[[Any], None]) -> Callable[[Any], None]:
    return mutate


CASES = {
    "bad unit": (
        _bad(lambda wb: wb[MATERIALS].append(["X", 1, "kgg", None, "mat.steel.crude.glo"])),
        (MATERIALS, 5, "unit"),
    ),
    "unknown factor code": (
        _bad(lambda wb: wb[MATERIALS].append(["X", 1, "kg", None, "mat.kryptonite"])),
        (MATERIALS, 5, "factor_code"),
    ),
    "negative quantity": (
        _bad(lambda wb: wb[MATERIALS].append(["X", -2, "kg", None, "mat.steel.crude.glo"])),
        (MATERIALS, 5, "quantity"),
    ),
    "missing quantity": (
        _bad(lambda wb: wb[MATERIALS].append(["X", None, "kg", None, "mat.steel.crude.glo"])),
        (MATERIALS, 5, "quantity"),
    ),
    "unknown linked product": (
        _bad(lambda wb: wb[MATERIALS].append(["X", 1, "kg", "NOPE-1 | Nobody Ltd"])),
        (MATERIALS, 5, "linked_product_id"),
    ),
    "renamed sheet": (
        _bad(lambda wb: setattr(wb[MATERIALS], "title", "Materials")),
        (MATERIALS, None, None),
    ),
    "changed key row": (
        _bad(lambda wb: setattr(wb[MATERIALS]["A1"], "value", "desc")),
        (MATERIALS, 1, None),
    ),
}


LABELS = {
    "quantity": "Quantity per declared unit",
    "unit": "Unit",
    "factor_code": "Factor dataset",
    "linked_product_id": "Supplier's product",
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_workbook_names_sheet_row_column_and_writes_nothing(
    session: Session, prepared_app: Flask, ids: Ids, case: str
) -> None:
    mutate, (sheet, row, column) = CASES[case]
    wb = _fill(_download(session, ids.draft))
    mutate(wb)
    response = _upload(session, ids.draft, _save(wb))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved" in html and sheet in html
    if row:
        assert f"row {row}" in html
    if column:  # named by the label the form shows, never by the field's code
        assert escape(LABELS[column]) in html and f"· {column}" not in html
    assert _inputs(prepared_app, ids.draft) == []


def test_a_file_of_another_submission_is_refused(
    session: Session, prepared_app: Flask, ids: Ids
) -> None:
    other = _save(_download(session, ids.submitted))
    response = _upload(session, ids.draft, other)
    assert response.status_code == 422
    assert "belongs to another submission" in response.get_data(as_text=True)
    assert _inputs(prepared_app, ids.draft) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"PK\x03\x04" + b"\x00" * (2 * 1024 * 1024 + 10), "larger than 2 MB"),
        (b"name,quantity\nsteel,1\n", "not an Excel workbook"),
    ],
)
def test_oversized_and_foreign_files_are_refused(
    session: Session, prepared_app: Flask, ids: Ids, data: bytes, words: str
) -> None:
    response = _upload(session, ids.draft, data)
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert _inputs(prepared_app, ids.draft) == []


def test_a_zip_bomb_dressed_as_xlsx_is_refused_before_unpacking(
    session: Session, prepared_app: Flask, ids: Ids
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (40 * 1024 * 1024))
    assert len(buffer.getvalue()) < 2 * 1024 * 1024
    response = _upload(session, ids.draft, buffer.getvalue())
    assert response.status_code == 422
    assert "unpacks to more than 30 MB" in response.get_data(as_text=True)


def test_the_reason_and_the_exclusions_go_in_by_the_workbook_and_the_form(
    session: Session, prepared_app: Flask, ids: Ids
) -> None:
    """The mass-balance reason and the exclusions are header fields of every way in: the
    workbook's guide sheet (pre-filled, read back) and the form's general step."""
    wb = _fill(_download(session, ids.draft))
    for row in wb["Guide 说明"].iter_rows(min_row=1, max_col=3):
        if row[2].value == "mass_balance_reason":
            row[1].value = "Housing bought pre-assembled."
        if row[2].value == "exclusions":
            row[1].value = "Labels; 0.3\nThermal pads; 0.5"
    assert _upload(session, ids.draft, _save(wb)).status_code == 302
    with prepared_app.app_context():
        sub = db.session.get(Submission, ids.draft)
        assert sub.mass_balance_reason == "Housing bought pre-assembled."
        assert sub.exclusions == [
            {"what": "Labels", "percent": "0.3"},
            {"what": "Thermal pads", "percent": "0.5"},
        ]
        lock = sub.lock_version
    again = _download(session, ids.draft)
    guide = {r[2]: r[1] for r in again["Guide 说明"].iter_rows(max_col=3, values_only=True)}
    assert guide["exclusions"] == "Labels; 0.3\nThermal pads; 0.5"
    form = {
        "lock_version": lock,
        "dqr": "2",
        "mass_balance_reason": "Checked again.",
        "exclusions": "Labels; 0.4",
    }
    assert session.post(f"/submissions/{ids.draft}/general", form).status_code == 302
    with prepared_app.app_context():
        sub = db.session.get(Submission, ids.draft)
        assert sub.mass_balance_reason == "Checked again."
        assert sub.exclusions == [{"what": "Labels", "percent": "0.4"}]


def test_the_guide_and_the_product_list_read_in_chinese_and_english(
    session: Session, ids: Ids
) -> None:
    wb = _download(session, ids.draft)
    guide = {r[2]: r[0] for r in wb["Guide 说明"].iter_rows(max_col=3, values_only=True) if r[2]}
    assert set(guide) >= {"submission_id", "part_number", "dqr", "production_volume"}
    for key, label in guide.items():
        zh, _, en = str(label).partition("\n")
        assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]", en), key
        assert key not in label
    assert wb["Guide 说明"].column_dimensions["C"].hidden
    lists = wb["Lists 代码"]
    column = next(c for c in lists[1] if c.value == "product").column
    products = [
        (lists.cell(r, column).value, lists.cell(r, column + 1).value)
        for r in range(2, lists.max_row + 1)
        if lists.cell(r, column).value
    ]
    cells = next(p for p in products if p[0].startswith("BS-LFP-280 |"))
    assert re.search(r"[\u4e00-\u9fff]", cells[0]) and "Bashu" in cells[0]
    assert re.search(r"[\u4e00-\u9fff]", cells[1]) and re.search(r"[A-Za-z]{3}", cells[1])


def _unit_checks(ws: Any) -> dict[str, tuple[str, Any]]:
    """Each unit cell of a sheet (column C) → its list and whether a wrong entry is stopped."""
    out = {}
    for check in ws.data_validations.dataValidation:
        for rng in check.sqref.ranges:
            if rng.min_col == rng.max_col == 3:
                for row in range(rng.min_row, rng.max_row + 1):
                    out[f"C{row}"] = (check.formula1, check)
    return out


def test_excel_blocks_a_unit_the_row_cannot_use(
    session: Session, prepared_app: Flask, ids: Ids
) -> None:
    """The unit column is a list validation that stops a wrong entry: a row with a factor may
    only use units that convert to the factor's unit; empty rows the section's units."""
    assert (
        _upload(session, ids.draft, _save(_fill(_download(session, ids.draft)))).status_code == 302
    )
    wb = _download(session, ids.draft)
    ws = wb[MATERIALS]
    assert [c.value for c in ws[1]][2] == "unit"
    checks = _unit_checks(ws)
    steel = next(r for r in range(3, 10) if ws.cell(r, 5).value == "mat.steel.crude.glo")
    formula, check = checks[f"C{steel}"]
    units = formula.strip('"').split(",")
    assert "kg" in units and "t" in units and "kWh" not in units and "m^2" not in units
    assert check.showErrorMessage and check.errorStyle == "stop" and check.error
    blank, _ = checks["C40"]
    assert set(blank.strip('"').split(",")) > set(units)
    assert {c.showErrorMessage for f, c in checks.values()} == {True}


def test_a_workbook_made_before_the_bilingual_guide_still_uploads(
    session: Session, prepared_app: Flask, ids: Ids
) -> None:
    """Files handed out earlier have the field keys in column A and nothing in C."""
    wb = _fill(_download(session, ids.draft))
    for row in wb["Guide 说明"].iter_rows(min_row=1, max_col=3):
        if row[2].value:
            row[0].value, row[2].value = row[2].value, None
    assert wb[MATERIALS]["D3"].value == "BS-LFP-280 | Bashu LFP Power"  # old label: one name
    assert _upload(session, ids.draft, _save(wb)).status_code == 302
    with prepared_app.app_context():
        assert db.session.get(Submission, ids.draft).dqr == 2
    assert _inputs(prepared_app, ids.draft)[1] == ("material", "1", "kWh")


def test_carbon_content_goes_in_by_the_workbook_and_the_form(
    session: Session, prepared_app: Flask, ids: Ids
) -> None:
    """A material's carbon content is a column of the materials sheet (last, so earlier
    workbooks keep theirs); the product's own is a header field of the guide sheet and of the
    form's general step."""
    wb = _fill(_download(session, ids.draft))
    header = [c.value for c in wb[MATERIALS][1]]
    row: list[Any] = [None] * len(header)
    row[:5] = ["Polyethylene part", 0.2, "kg", None, "mat.hdpe.primary.gb"]
    row[header.index("carbon_fossil")] = 0.5
    row[header.index("carbon_biogenic")] = 0
    wb[MATERIALS].append(row)
    for guide_row in wb["Guide 说明"].iter_rows(min_row=1, max_col=2):
        if guide_row[0].value == "carbon_fossil":
            guide_row[1].value = 1.2
    assert _upload(session, ids.draft, _save(wb)).status_code == 302
    with prepared_app.app_context():
        sub = db.session.get(Submission, ids.draft)
        assert sub.carbon_fossil == Decimal("1.2") and sub.carbon_biogenic is None
        part = next(i for i in sub.inputs if i.description == "Polyethylene part")
        assert (part.carbon_fossil, part.carbon_biogenic) == (Decimal("0.5"), 0)
        assert all(i.carbon_fossil is None for i in sub.inputs if i is not part)
        lock = sub.lock_version
    form = {"lock_version": lock, "dqr": "2", "carbon_fossil": "0.9", "carbon_biogenic": "0"}
    assert session.post(f"/submissions/{ids.draft}/general", form).status_code == 302
    with prepared_app.app_context():
        sub = db.session.get(Submission, ids.draft)
        assert (sub.carbon_fossil, sub.carbon_biogenic) == (Decimal("0.9"), 0)
        lock = sub.lock_version
    refused = session.post(
        f"/submissions/{ids.draft}/general",
        {"lock_version": lock, "dqr": "2", "carbon_fossil": "-1"},
    )
    assert refused.status_code == 422  # shown again with the problem
    with prepared_app.app_context():
        assert db.session.get(Submission, ids.draft).carbon_fossil == Decimal("0.9")
