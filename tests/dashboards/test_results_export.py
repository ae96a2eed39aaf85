"""The results of a period as CSV and Parquet for analysis tools: the organization's own products
only, the same figures as the stored results, for its members only, and safe to open in a
spreadsheet."""

from __future__ import annotations

import csv
import io
import math

import pyarrow.parquet as pq
import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Product, ProductResult
from footprint_platform.services.catalogue import catalog
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor

PACKS = "admin@huadong-pack.example"
PERIOD = "2025-01-01/2025-12-31"


def _org(app: Flask) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(Product.organization_id).where(Product.part_number == "HD-PK-811-78")
            )
        )


def _get(app: Flask, email: str | None, path: str) -> tuple[int, bytes]:
    session = Session(app.test_client())
    if email:
        session.login(email)
    response = session.client.get(path)
    return response.status_code, response.get_data()


@pytest.mark.postgres
def test_csv_and_parquet_hold_the_stored_results_of_the_own_products(demo_app: Flask) -> None:
    org = _org(demo_app)
    status, body = _get(demo_app, PACKS, f"/dashboard/orgs/{org}/results.csv?period={PERIOD}")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    status, parquet = _get(
        demo_app, PACKS, f"/dashboard/orgs/{org}/results.parquet?period={PERIOD}"
    )
    assert status == 200
    table = pq.read_table(io.BytesIO(parquet))
    assert table.schema.metadata[b"tanlian.period"] == PERIOD.encode()
    records = table.to_pylist()
    assert [r["part_number"] for r in records] == [r["part_number"] for r in rows]
    with demo_app.app_context():
        own = {
            p.id for p in db.session.scalars(select(Product).where(Product.organization_id == org))
        }
        for record, row in zip(records, rows, strict=True):
            assert record["product_id"] in own
            stored = db.session.get(
                ProductResult,
                db.session.scalar(
                    select(ProductResult.id).where(
                        ProductResult.product_id == record["product_id"],
                        ProductResult.run_id == record["run_id"],
                    )
                ),
            )
            assert record["total_kg_co2e"] == float(stored.total)
            assert float(row["total_kg_co2e"]) == record["total_kg_co2e"]
            stages = [v for k, v in record.items() if k.startswith("stage_") and v is not None]
            assert math.isclose(sum(stages), record["total_kg_co2e"], rel_tol=1e-9)
            # PACT dqi beside dqr: the stored contribution-weighted ratings, in both files
            assert stored.dqi, "the demo's results are rated"
            for k in ("technological", "temporal", "geographical"):
                assert record[f"dqi_{k}"] == float(stored.dqi[k])
                assert float(row[f"dqi_{k}"]) == record[f"dqi_{k}"]
    assert len(records) == len(own)


def test_other_organizations_and_strangers_get_nothing(demo_app: Flask) -> None:
    org = _org(demo_app)
    path = f"/dashboard/orgs/{org}/results.parquet?period={PERIOD}"
    assert _get(demo_app, "analyst@jinghai-motors.example", path)[0] == 403  # its buyer
    assert _get(demo_app, "analyst@huadong-pack.example", path)[0] == 200  # a viewer member
    assert _get(demo_app, None, path)[0] == 302  # to sign in


def test_the_period_is_required_and_checked(demo_app: Flask) -> None:
    org = _org(demo_app)
    assert _get(demo_app, PACKS, f"/dashboard/orgs/{org}/results.csv")[0] == 422
    assert _get(demo_app, PACKS, f"/dashboard/orgs/{org}/results.csv?period=2025")[0] == 422


def test_text_a_spreadsheet_would_run_is_neutralised(demo_app: Flask) -> None:
    org = _org(demo_app)
    with demo_app.app_context():
        product = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-811-78"))
        catalog.update_product(
            db.session,
            admin_actor(PACKS),
            product.id,
            {"name_en": '=HYPERLINK("http://evil.example")', "version": product.version},
        )
    status, body = _get(demo_app, PACKS, f"/dashboard/orgs/{org}/results.csv?period={PERIOD}")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    names = [r["product_name_en"] for r in rows]
    assert '\'=HYPERLINK("http://evil.example")' in names
