"""The bilingual Excel template: download pre-filled, fill in Excel or LibreOffice, upload back.

Layout per section sheet: row 1 holds the field keys (hidden; parsing relies on them, not on the
labels), row 2 the bilingual labels, data from row 3. A "Lists" sheet holds the codes the
drop-downs offer. The same file round-trips: what is downloaded uploads unchanged.

One module because the template's download and its upload are one format: the sheets, the
hidden key row, the drop-down lists and unit checks written here are exactly what the upload
reads back.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from datetime import date
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import ParseError

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.display_labels import unit_label
from footprint_platform.errors import Problem, UploadRejected
from footprint_platform.models import RATING_FIELDS, Evidence, Organization, Product, Submission
from footprint_platform.rules import load_rules
from footprint_platform.sections import (
    BASIS_LABELS,
    INSTRUMENT_LABELS,
    PROVENANCE_LABELS,
    SECTIONS,
    Section,
)
from footprint_platform.services.catalogue.factors import factor_by_code
from footprint_platform.services.intake import completeness
from footprint_platform.services.intake.activity import CARBON_FIELDS
from footprint_platform.services.intake.xlsx_package import check_package
from supply_graph.units import conversion_factor

GUIDE = "Guide 说明"
LISTS = "Lists 代码"
MAX_ROWS = 500
PRODUCT_SEPARATOR = " | "
_HEADER_FILL = PatternFill("solid", fgColor="DDEBE7")


def sheet_title(section: Section) -> str:
    """A sheet name in both languages, e.g. '电力 Electricity'."""
    with force_locale("zh"):
        zh = str(section.title)
    with force_locale("en"):
        en = str(section.title)
    return f"{zh} {en}"[:31]


def _both(text: Any) -> str:
    with force_locale("zh"):
        zh = str(text)
    with force_locale("en"):
        en = str(text)
    return zh if zh == en else f"{zh}\n{en}"


def _unit_both(code: str) -> str:
    """A unit in both languages where they differ (件 / piece), else its symbol."""
    with force_locale("zh"):
        zh = unit_label(code)
    with force_locale("en"):
        en = unit_label(code)
    return zh if zh == en else f"{zh} / {en}"


def product_label(product: Product) -> str:
    """A product as the drop-down offers it: part number and its maker in English and Chinese
    (upload resolves it by the part number and either name; older files name only one)."""
    org = product.organization
    names = [org.name_en, *([org.name_zh] if org.name_zh and org.name_zh != org.name_en else [])]
    return PRODUCT_SEPARATOR.join([product.part_number, *names])


def _product_meaning(product: Product) -> str:
    """What the Lists sheet says of a product: its name in both languages and its unit."""
    name = product.name_en
    if product.name_zh and product.name_zh != product.name_en:
        name = f"{product.name_zh} / {product.name_en}"
    return f"{name} ({product.declared_unit})"


# -- download ----------------------------------------------------------------------------------


def build_template(session: Session, sub: Submission) -> bytes:
    """The workbook for one submission, pre-filled with its current rows."""
    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE
    _write_guide(guide, sub)
    lists = _write_lists(wb.create_sheet(LISTS), session, sub)
    factors = factor_by_code(session, sub.factor_release_id)
    for section in SECTIONS:
        _write_section(wb.create_sheet(sheet_title(section)), section, sub, lists, factors)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_guide(ws: Any, sub: Submission) -> None:
    """Column A the bilingual label a person reads, B the value, C (hidden) the field key the
    upload reads (files made before the labels had the key in A, and still upload)."""
    rows = [
        (_both(_l("Tanlian data submission")), ""),
        ("submission_id", sub.id),
        ("part_number", sub.product.part_number),
        (
            _both(_l("Product")),
            sub.product.name_en + (f" / {sub.product.name_zh}" if sub.product.name_zh else ""),
        ),
        (_both(_l("Declared unit")), _unit_both(sub.product.declared_unit)),
        (_both(_l("Period")), f"{sub.period_start} – {sub.period_end}"),
        (_both(_l("Version")), sub.version),
        ("dqr", float(sub.dqr) if sub.dqr is not None else None),
        *((f, float(v) if (v := getattr(sub, f)) is not None else None) for f in RATING_FIELDS),
        (
            "production_volume",
            float(sub.production_volume) if sub.production_volume is not None else None,
        ),
        ("mass_balance_reason", sub.mass_balance_reason or ""),
        ("exclusions", completeness.exclusions_as_text(sub.exclusions)),
        *((f, float(v) if (v := getattr(sub, f)) is not None else None) for f in CARBON_FIELDS),
        ("", ""),
        (
            _both(_l("How to fill this file")),
            _both(
                _l(
                    "Enter every quantity per one declared unit of the product. "
                    "One row per input, on the sheet of its kind. "
                    "Choose units, factor codes and suppliers' products from the "
                    "drop-down lists (their meaning is on the Lists sheet). "
                    "Do not rename sheets or change row 1. "
                    "Upload the file back on the submission page; an upload is all or "
                    "nothing, and every problem is reported with its sheet, row and column."
                )
            ),
        ),
        (
            _both(_l("Overall data quality")),
            _both(
                _l(
                    "Fill the three ratings above (dqr_technological, dqr_temporal, "
                    "dqr_geographical): 1 (best) to 5, the defaults of every row without its "
                    "own; 'dqr' is their mean, and given alone counts for all three. On each "
                    "sheet of your own activity, say where each figure comes from "
                    "(provenance): only measured and calculated figures count as primary data."
                )
            ),
        ),
        (
            _both(_l("Mass balance and cut-off")),
            _both(
                _l(
                    "'mass_balance_reason': only if your material inputs per kg of product lie "
                    "outside the range your rule states; your verifier must accept it. "
                    "'exclusions': one per line, what is left out; its estimated share of the "
                    "footprint in percent."
                )
            ),
        ),
    ]
    for r, (key, value) in enumerate(rows, start=1):
        label = _both(GUIDE_LABELS[key]) if key in GUIDE_LABELS else key
        ws.cell(r, 1, label).font = Font(bold=True)
        ws.cell(r, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(r, 2, value).alignment = Alignment(wrap_text=True, vertical="top")
        if key in GUIDE_LABELS:
            ws.cell(r, 3, key)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].hidden = True


# The guide's fields as a person reads them (the key beside each, hidden, is what is parsed).
GUIDE_LABELS: dict[str, Any] = {
    "submission_id": _l("Submission number"),
    "part_number": _l("Part number"),
    "dqr": _l("Data quality (1–5)"),
    "dqr_technological": _l("Technological representativeness (1–5)"),
    "dqr_temporal": _l("Temporal representativeness (1–5)"),
    "dqr_geographical": _l("Geographical representativeness (1–5)"),
    "production_volume": _l("Production in the period (declared units)"),
    "mass_balance_reason": _l("Reason for a mass balance outside the rule's range"),
    "exclusions": _l("Inputs left out under the cut-off"),
}


def _write_lists(ws: Any, session: Session, sub: Submission) -> dict[str, str]:
    """Code lists for the drop-downs; returns a range reference per list name."""
    factors = factor_by_code(session, sub.factor_release_id)
    products = session.scalars(
        select(Product).where(Product.id != sub.product_id).order_by(Product.part_number)
    ).all()
    evidence = session.scalars(
        select(Evidence).where(Evidence.organization_id == sub.organization_id)
    ).all()
    stages = load_rules()[sub.rule_code].stages
    columns: dict[str, list[tuple[str, str]]] = {
        "factor": [(f.code, f"{f.name_zh} / {f.name_en} ({f.unit})") for f in factors.values()],
        "product": [(product_label(p), _product_meaning(p)) for p in products],
        "stage": [(s.code, f"{s.zh} / {s.en}") for s in stages],
        "instrument": [(k, _both(v).replace("\n", " / ")) for k, v in INSTRUMENT_LABELS.items()],
        "basis": [(k, _both(v).replace("\n", " / ")) for k, v in BASIS_LABELS.items()],
        "evidence": [(str(e.id), e.filename) for e in evidence],
        # last, so the lists of workbooks made before it stay where they were
        "recycled": [
            (f.code, f"{f.name_zh} / {f.name_en} ({f.unit})")
            for f in factors.values()
            if f.category == "material"
        ],
        "provenance": [(k, _both(v).replace("\n", " / ")) for k, v in PROVENANCE_LABELS.items()],
    }
    refs = {}
    for k, (name, values) in enumerate(columns.items()):
        col = 2 * k + 1
        ws.cell(1, col, name).font = Font(bold=True)
        ws.cell(1, col + 1, "meaning / 含义").font = Font(bold=True)
        for r, (code, meaning) in enumerate(values, start=2):
            ws.cell(r, col, code)
            ws.cell(r, col + 1, meaning)
        letter = get_column_letter(col)
        refs[name] = f"'{LISTS}'!${letter}$2:${letter}${max(len(values) + 1, 2)}"
        ws.column_dimensions[letter].width = 30
        ws.column_dimensions[get_column_letter(col + 1)].width = 40
    return refs


def _write_section(
    ws: Any, section: Section, sub: Submission, lists: dict[str, str], factors: dict[str, Any]
) -> None:
    for c, column in enumerate(section.columns, start=1):
        ws.cell(1, c, column.name)
        label = ws.cell(2, c, _both(column.label) + (" *" if column.required else ""))
        label.font = Font(bold=True)
        label.fill = _HEADER_FILL
        label.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(c)].width = 24
        if column.kind == "unit":
            continue  # per row, below: a row's own factor or product narrows its units
        source = lists.get(column.kind)
        if source:
            rng = f"{get_column_letter(c)}3:{get_column_letter(c)}{MAX_ROWS + 2}"
            ws.add_data_validation(_list_check(source, rng))
    ws.row_dimensions[1].hidden = True
    ws.row_dimensions[2].height = 45
    ws.freeze_panes = "A3"
    rows = [i for i in sub.inputs if i.kind is section.kind]
    for r, item in enumerate(rows, start=3):
        for c, column in enumerate(section.columns, start=1):
            ws.cell(r, c, _cell_value(item, column.name))
    _unit_checks(ws, section, rows, factors)


def _list_check(source: str, cells: str) -> DataValidation:
    """A drop-down that refuses a value not in its list (Excel and LibreOffice stop the entry
    with the message below; the upload checks again)."""
    check = DataValidation(
        type="list",
        formula1=source,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="不在列表中 Not in the list"[:32],
        error=_both(_l("Choose a value from the drop-down list.")).replace("\n", " / ")[:255],
    )
    for cell_range in cells.split():
        check.add(cell_range)
    return check


def allowed_units(section: Section, item: Any, factors: dict[str, Any]) -> tuple[str, ...]:
    """The units a row may use: the section's, narrowed to those that convert to the unit of
    the row's factor or linked product when it has one (what the upload's validation asks)."""
    target = None
    if getattr(item, "factor_code", None) and item.factor_code in factors:
        target = factors[item.factor_code].unit
    elif getattr(item, "linked_product", None) is not None:
        target = item.linked_product.declared_unit
    if target is None or section.kind.value == "transport":
        return section.units
    narrowed = tuple(u for u in section.units if conversion_factor(u, target) is not None)
    return narrowed or section.units


def _unit_checks(ws: Any, section: Section, rows: list[Any], factors: dict[str, Any]) -> None:
    """List validation of the unit column: each filled row with the units its factor or
    product allows, the empty rows below with the section's units."""
    names = [c.name for c in section.columns]
    if "unit" not in names:
        return
    letter = get_column_letter(names.index("unit") + 1)
    by_units: dict[tuple[str, ...], list[str]] = {}
    for r, item in enumerate(rows, start=3):
        by_units.setdefault(allowed_units(section, item, factors), []).append(f"{letter}{r}")
    first_blank = len(rows) + 3
    if first_blank <= MAX_ROWS + 2:
        by_units.setdefault(section.units, []).append(
            f"{letter}{first_blank}:{letter}{MAX_ROWS + 2}"
        )
    for units, cells in by_units.items():
        ws.add_data_validation(_list_check('"' + ",".join(units) + '"', " ".join(cells)))


def _cell_value(item: Any, field: str) -> Any:
    if field == "linked_product_id":
        return product_label(item.linked_product) if item.linked_product else None
    value = getattr(item, field)
    return float(value) if isinstance(value, Decimal) else value


# -- upload ------------------------------------------------------------------------------------


def read_upload(
    session: Session, sub: Submission, data: bytes
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(header, rows) from an uploaded workbook for this submission, or UploadRejected naming
    every problem of the file's shape. The rows still go through the one validation."""
    check_package(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _not_a_workbook(exc) from exc
    problems: list[Problem] = []
    try:  # read-only sheets are parsed while they are read
        header = _read_guide(wb, sub, problems)
        rows: list[dict[str, Any]] = []
        for section in SECTIONS:
            rows += _read_section(session, wb, section, problems)
    except (ParseError, zipfile.BadZipFile, zlib.error) as exc:
        raise _not_a_workbook(exc) from exc
    if problems:
        raise UploadRejected(str(_l("Nothing was saved; correct the file.")), problems)
    return header, rows


def _not_a_workbook(exc: Exception) -> UploadRejected:
    message = str(_l("This is not an Excel workbook (.xlsx)."))
    return UploadRejected(message, [Problem("—", None, None, None, f"{message} {str(exc)[:200]}")])


def _read_guide(wb: Any, sub: Submission, problems: list[Problem]) -> dict[str, Any]:
    if GUIDE not in wb.sheetnames:
        problems.append(
            Problem(
                GUIDE,
                None,
                None,
                None,
                str(_l("Sheet missing: use the template of this submission.")),
            )
        )
        return {}
    values = {
        str(r[2] if len(r) > 2 and r[2] else r[0]): r[1]
        for r in wb[GUIDE].iter_rows(min_row=1, max_col=3, values_only=True)
        if r and (r[0] is not None or (len(r) > 2 and r[2]))
    }
    if (
        str(values.get("submission_id")) != str(sub.id)
        or str(values.get("part_number")) != sub.product.part_number
    ):
        problems.append(
            Problem(
                GUIDE,
                2,
                "submission_id",
                str(values.get("submission_id")),
                str(_l("This file belongs to another submission or product.")),
            )
        )
    header = {
        f: values.get(f) for f in ("dqr", "production_volume", *RATING_FIELDS, *CARBON_FIELDS)
    }
    out = {k: _decimal_or_none(v, GUIDE, k, problems) for k, v in header.items()}
    out["mass_balance_reason"] = str(values.get("mass_balance_reason") or "") or None
    out["exclusions"] = completeness.exclusions_from_text(str(values.get("exclusions") or ""))
    return out


def _decimal_or_none(value: Any, sheet: str, field: str, problems: list[Problem]) -> Any:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        problems.append(Problem(sheet, None, field, str(value), str(_l("Enter a number."))))
        return None


def _read_section(
    session: Session, wb: Any, section: Section, problems: list[Problem]
) -> list[dict[str, Any]]:
    title = sheet_title(section)
    if title not in wb.sheetnames:
        problems.append(
            Problem(
                title,
                None,
                None,
                None,
                str(_l("Sheet missing or renamed: use the template of this submission.")),
            )
        )
        return []
    ws = wb[title]
    keys = [c for c in next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())]
    expected = [c.name for c in section.columns]
    given = [k for k in keys if k]
    # a workbook made before columns were appended at the end has their prefix: still read
    if len(given) < len(expected) and given == expected[: len(given)] and given:
        expected = given
    if given != expected:
        problems.append(
            Problem(
                title,
                1,
                None,
                None,
                str(_l("The first row was changed: use the template of this submission.")),
            )
        )
        return []
    rows = []
    for r, values in enumerate(
        ws.iter_rows(min_row=3, max_col=len(expected), values_only=True), start=3
    ):
        if r > MAX_ROWS + 2:
            problems.append(Problem(title, r, None, None, str(_l("Too many rows."))))
            break
        row = {k: _plain(v) for k, v in zip(expected, values, strict=False)}
        if not any(v not in (None, "") for v in row.values()):
            continue
        if row.get("linked_product_id"):
            row["linked_product_id"] = _resolve_product(
                session, row["linked_product_id"], title, r, problems
            )
        rows.append({"kind": section.code, "_row": r, **row})
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value.strip() if isinstance(value, str) else value


def _resolve_product(
    session: Session, label: str, sheet: str, row: int, problems: list[Problem]
) -> int | None:
    part, *orgs = (p.strip() for p in str(label).split(PRODUCT_SEPARATOR.strip()))
    stmt = select(Product.id).join(Organization).where(Product.part_number == part)
    if orgs:
        stmt = stmt.where(Organization.name_en.in_(orgs) | Organization.name_zh.in_(orgs))
    found = session.scalars(stmt).all()
    if len(found) != 1:
        problems.append(
            Problem(
                sheet,
                row,
                "linked_product_id",
                str(label),
                str(_l("Unknown product: choose one from the list (part number | supplier).")),
            )
        )
        return None
    return int(found[0])
