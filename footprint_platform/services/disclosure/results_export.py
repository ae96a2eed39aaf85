"""An organization's results of one period as a table for analysis tools (CSV and Parquet).

One row per product of the organization with a result in the period: its newest result, the
figures its members see on the portfolio and each product's dashboard, nothing more (no
supplier is named, no upstream figure). Like the portfolio, a result of basis "missing" (no
data and no dataset: zero) is no footprint and is left out. Stage columns are the union of the
stages in the rows, in kg CO2e per declared unit; a row's stages add up to its total. The PACT
data-quality ratings (`dqi_technological`, `dqi_temporal`, `dqi_geographical`, 1 best to 5)
follow `dqr`, their mean. Read from stored results in one query over the organization's own
products.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.csv_cells import safe_cell
from footprint_platform.models import Product, ProductResult, RollupRun
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.queries import newest_result_ids

DQI_PREFIX = "dqi_"
FIXED: list[tuple[str, pa.DataType]] = [
    ("product_id", pa.int32()),
    ("part_number", pa.string()),
    ("product_name_en", pa.string()),
    ("product_name_zh", pa.string()),
    ("category", pa.string()),
    ("chemistry", pa.string()),
    ("declared_unit", pa.string()),
    ("period_start", pa.date32()),
    ("period_end", pa.date32()),
    ("run_id", pa.int32()),
    ("basis", pa.string()),
    ("upstream_missing", pa.bool_()),
    ("total_kg_co2e", pa.float64()),
    ("primary_data_share", pa.float64()),
    ("dqr", pa.float64()),
    # PACT v3.0.3 dqi: technological, temporal, geographical ratings (1 best to 5), each
    # weighted by emissions contribution over the chain; dqr is their mean. Empty where unrated.
    *((DQI_PREFIX + k, pa.float64()) for k in ("technological", "temporal", "geographical")),
]
STAGE_PREFIX = "stage_"


@dataclass(frozen=True)
class Table:
    """Typed columns: `schema` names each column and its Arrow type, `rows` hold plain values."""

    schema: pa.Schema
    rows: list[dict[str, Any]]
    organization_id: int
    period: tuple[date, date]


def period_results(
    session: Session, actor: Actor | None, organization_id: int, start: date, end: date
) -> Table:
    authorize(actor, Action.EXPORT_RESULTS, organization_id)
    own = select(Product.id).where(Product.organization_id == organization_id)
    newest = newest_result_ids(
        ProductResult.product_id.in_(own),
        RollupRun.period_start == start,
        RollupRun.period_end == end,
    )
    found = session.execute(
        select(ProductResult, Product)
        .join(Product, Product.id == ProductResult.product_id)
        .where(ProductResult.id.in_(newest), ProductResult.basis != "missing")
        .order_by(Product.part_number, Product.id)
    ).all()
    stages = sorted({s for r, _ in found for s in r.by_stage})
    rows = [_row(r, p, start, end, stages) for r, p in found]
    schema = pa.schema(
        [*FIXED, *((STAGE_PREFIX + s, pa.float64()) for s in stages)],
        metadata={
            "tanlian.organization_id": str(organization_id),
            "tanlian.period": _key(start, end),
        },
    )
    return Table(schema, rows, organization_id, (start, end))


def _row(r: ProductResult, p: Product, start: date, end: date, stages: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "product_id": p.id,
        "part_number": p.part_number,
        "product_name_en": p.name_en,
        "product_name_zh": p.name_zh,
        "category": p.category,
        "chemistry": p.chemistry,
        "declared_unit": p.declared_unit,
        "period_start": start,
        "period_end": end,
        "run_id": r.run_id,
        "basis": r.basis,
        "upstream_missing": bool(r.upstream_missing),
        "total_kg_co2e": float(r.total),
        "primary_data_share": float(r.primary_data_share),
        "dqr": float(r.dqr) if r.dqr is not None else None,
        **{
            DQI_PREFIX + k: float(v) if (v := (r.dqi or {}).get(k)) is not None else None
            for k in ("technological", "temporal", "geographical")
        },
    }
    for s in stages:
        value = r.by_stage.get(s)
        row[STAGE_PREFIX + s] = float(value) if value is not None else None
    return row


def _key(start: date, end: date) -> str:
    return f"{start.isoformat()}/{end.isoformat()}"


def filename(table: Table, suffix: str) -> str:
    start, end = table.period
    return f"results-{table.organization_id}-{start.isoformat()}-{end.isoformat()}.{suffix}"


def as_csv(table: Table) -> bytes:
    """UTF-8 CSV with a header row; text cells a spreadsheet would run as a formula are
    neutralised as in every other export."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.schema.names)
    for row in table.rows:
        writer.writerow([safe_cell(_text(row[name])) for name in table.schema.names])
    return out.getvalue().encode("utf-8")


def _text(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form: the Parquet file's exact double
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def as_parquet(table: Table) -> bytes:
    """Parquet with typed columns (dates, integers, doubles, booleans) and the organization and
    period in the file's metadata."""
    arrow = pa.Table.from_pylist(table.rows, schema=table.schema)
    out = io.BytesIO()
    pq.write_table(arrow, out)
    return out.getvalue()
