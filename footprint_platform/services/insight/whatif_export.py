"""A what-if comparison as a file (CSV or Excel): the baseline beside one or more scenarios,
one row per line the page shows (each life-cycle stage, the total, and what it is made of: the
primary-data, carried-forward and fallback shares), headers in the reader's language.

Built only from what `whatif.evaluate` returns to the page, so the file says no more than the
page: the product's own figures before and after, and the changes as the page describes them.
A supplier's figure the organization may not know never reaches it (the evaluation refuses a
swap that would tell one, `whatif_options.check_known`). Text cells a spreadsheet would run as a
formula are neutralised as in every other export (`csv_cells.safe_cell`); the CSV starts with a
UTF-8 byte-order mark so Excel reads its Chinese as UTF-8.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from footprint_platform.csv_cells import for_spreadsheets, safe_cell
from footprint_platform.display_labels import unit_label
from footprint_platform.models import Product
from footprint_platform.policy import Actor
from footprint_platform.services.insight import whatif, whatif_saved
from footprint_platform.services.insight.whatif import Figures, Outcome

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FILL = PatternFill("solid", fgColor="DDEBE7")

# The file's columns, in the reader's language; a row fills them in this order.
HEADER = (
    _l("Product"),
    _l("Part number"),
    _l("Period start"),
    _l("Period end"),
    _l("Scenario"),
    _l("Line"),
    _l("Now"),
    _l("In the scenario"),
    _l("Change from now"),
    _l("Change from now, per cent"),
    _l("Unit"),
    _l("Changes in the scenario"),
)


@dataclass(frozen=True)
class Column:
    """One scenario beside the baseline: its name and its evaluation."""

    name: str
    outcome: Outcome


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    rows: list[list[Any]]
    filename: str  # without its suffix


def export(
    session: Session,
    actor: Actor,
    product_id: int,
    period: tuple[date, date] | None,
    changes: Sequence[Mapping[str, Any]],
    chosen: Sequence[int],
    this_scenario: str,
    stage_labels: Mapping[str, str],
    locale: str,
) -> Sheet:
    """The comparison as a file has it: the chosen saved scenarios as the comparison page
    evaluates them (those the engine refuses are left out, as on the page's table), else the
    page's own scenario (`changes`) under `this_scenario`; authorized and refused as the
    pages are."""
    if chosen:
        first, compared = whatif_saved.compare(session, actor, product_id, period, chosen)
        columns = [Column(c.scenario.name, c.outcome) for c in compared if c.outcome]
    else:
        first = whatif.evaluate(session, actor, product_id, changes, period)
        columns = [Column(this_scenario, first)]
    return comparison(first.product, first.period, columns, stage_labels, locale)


def comparison(
    product: Product,
    period: tuple[date, date],
    columns: Sequence[Column],
    stage_labels: Mapping[str, str],
    locale: str,
) -> Sheet:
    """Rows of every scenario in turn, as the page's table has them: each stage of the rule
    (then any other the scenario gives a value), the total and the shares it is made of, each
    with its change."""
    rows: list[list[Any]] = []
    unit = f"kg CO2e / {unit_label(product.declared_unit)}"
    for column in columns:
        o = column.outcome
        base = o.base
        common = [
            product.display_name(locale),
            product.part_number,
            o.period[0].isoformat(),
            o.period[1].isoformat(),
            column.name,
        ]
        changes = ("；" if locale.startswith("zh") else "; ").join(o.described)
        now, then = base.by_stage, o.scenario.by_stage
        for code in [*now, *(c for c in then if c not in now)]:
            values = _numbers(now.get(code, 0.0), then.get(code, 0.0))
            line = stage_labels.get(code, code)
            rows.append([*common, line, *values, unit, changes])
        total = _numbers(base.total, o.scenario.total)
        rows.append([*common, str(_l("Total")), *total, unit, changes])
        # what the total is made of, as the page says it: shares in per cent, their change in
        # points (in per cent of itself it would read as a second share)
        for label, now_share, then_share in _made_of(base, o.scenario):
            points = [*_numbers(now_share, then_share)[:3], None]
            rows.append([*common, label, *points, "%", changes])
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", product.part_number).strip("-") or str(product.id)
    stem = f"whatif-{name}-{period[0].isoformat()}-{period[1].isoformat()}"
    return Sheet([str(h) for h in HEADER], rows, stem)


def _made_of(base: Figures, scenario: Figures) -> list[tuple[str, float, float]]:
    """The shares of the total the page shows (primary data, carried forward, fallback), in
    per cent, now and in the scenario."""
    return [
        (str(label), 100 * getattr(base, name), 100 * getattr(scenario, name))
        for label, name in (
            (_l("Primary data share"), "primary_data_share"),
            (_l("Carried forward from an earlier period"), "carried_share"),
            (_l("Fallback datasets for missing data"), "fallback_share"),
        )
    ]


def _numbers(now: float, then: float) -> list[Any]:
    """A line's value now and in the scenario, the change and the change in per cent of now
    (empty where now is zero)."""
    change = then - now
    return [now, then, change, 100 * change / now if now else None]


def as_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark (Excel otherwise reads it in the system's code page);
    numbers in their shortest exact form."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in sheet.header])
    for row in sheet.rows:
        writer.writerow([repr(v) if isinstance(v, float) else safe_cell(v) for v in row])
    return for_spreadsheets(out.getvalue())


def as_xlsx(sheet: Sheet) -> bytes:
    """One worksheet: the header row bold and frozen, numbers as numbers, text neutralised."""
    wb = Workbook()
    ws = wb.active
    ws.title = "What if"
    ws.append([safe_cell(h) for h in sheet.header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for row in sheet.rows:
        ws.append([v if v is None or isinstance(v, float) else safe_cell(v) for v in row])
    ws.freeze_panes = "A2"
    for k, header in enumerate(sheet.header, start=1):
        ws.column_dimensions[get_column_letter(k)].width = max(12, min(40, len(header) + 4))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
