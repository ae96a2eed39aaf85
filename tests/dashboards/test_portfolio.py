"""The portfolio, coverage and supplier dashboards: what they show, that their charts add up, that
their filters filter, and that nothing on them names another organization beyond the direct
suppliers and products shared with the reader (docs/design.md "Who may see what")."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from dashboards import coverage_figures
from footprint_platform.extensions import db
from footprint_platform.models import DataRequest, Product, Submission, SubmissionStatus
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.insight import coverage, supplier_view
from footprint_platform.services.insight.portfolio import Point, Row
from footprint_platform.services.intake import submissions
from footprint_platform.services.intake.activity import FIELDS
from tests.conftest import Session
from tests.dashboards.test_product_view import _outsiders
from tests.platform.demo_ids import admin_actor

pytestmark = pytest.mark.postgres
OEM = "analyst@jinghai-motors.example"
CELLS = "admin@dongtai-cells.example"
PACKS = "admin@huadong-pack.example"
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
NEXT = (date(2026, 1, 1), date(2026, 12, 31))


def _product(part: str) -> Product:
    return db.session.scalar(select(Product).where(Product.part_number == part))


def _ids(app: Flask, part: str) -> tuple[int, int]:
    with app.app_context():
        p = _product(part)
        return p.id, p.organization_id


def _resubmit(
    part: str,
    email: str,
    period: tuple[date, date],
    extra: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> None:
    """Submit the product's 2025 inputs again for `period` (plus `extra` rows), as the draft
    copied them: a 2025 certificate's claim is not carried into another period (its kWh wait
    for the grid factor submission chooses), so the rows are read from the draft."""
    product, actor = _product(part), admin_actor(email)
    current = db.session.scalar(
        select(Submission).where(
            Submission.product_id == product.id, Submission.status == SubmissionStatus.SUBMITTED
        )
    )
    draft = submissions.start_draft(db.session, actor, product.id, *period)
    rows = [
        {**{f: getattr(i, f) for f in FIELDS}, "kind": i.kind.value, "quantity": i.quantity}
        for i in draft.inputs
    ]
    submissions.save_draft(db.session, actor, draft.id, {"dqr": current.dqr}, rows + list(extra))
    workflow.submit(db.session, actor, draft.id)


def _generic_lithium(app: Flask) -> int:
    """A lithium carbonate of Lanhu's without data (on its category's generic dataset), which
    Dongtai's cell now uses, with Lanhu's consent: tier 1 for the cell maker, tier 3 for the
    OEM's vehicle."""
    with app.app_context():
        lithium = admin_actor("data@lanhu-lithium.example")
        org = _product("LH-LC-99.5").organization_id
        site = _product("LH-LC-99.5").site_id
        made = catalog.create_product(
            db.session,
            lithium,
            org,
            {
                "part_number": "LH-LC-SECRET",
                "name_en": "Hidden grade lithium carbonate",
                "category": "lithium_carbonate",
                "declared_unit": "kg",
                "site_id": site,
            },
        )
        link = {
            "kind": "material",
            "description": "Lithium carbonate additive",
            "quantity": Decimal("0.5"),
            "unit": "kg",
            "linked_product_id": made.id,
        }
        cells = _product("DT-P811-150").organization_id
        workflow.share(db.session, lithium, made.id, cells)  # Lanhu agrees to the link
        _resubmit("DT-P811-150", CELLS, PERIOD, [link])
        return made.id


def _text(html: str) -> str:
    """The page without its chart data blocks (their labels are checked separately)."""
    return re.sub(r"<script.*?</script>", "", html, flags=re.S)


# ---- the portfolio -------------------------------------------------------------------------


def test_the_portfolio_shows_each_product_with_its_figures(demo_app: Flask, auth: Session) -> None:
    vehicle, org = _ids(demo_app, "JH-S7-LR")
    auth.login(OEM)
    auth.post("/language/en")
    html = auth.client.get(f"/dashboard/orgs/{org}/portfolio").get_data(as_text=True)
    row = re.search(rf'<tr data-product="{vehicle}">(.*?)</tr>', html, re.S)
    assert row, "the vehicle has a row"
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))
    assert "kg CO2e / piece" in cells and "Published" in cells and "Verified" in cells
    assert re.search(r"\b[A-G]\b", cells), "a performance class"
    assert "%" in cells and "2025-01-01" in cells
    assert f'href="/dashboard/products/{vehicle}/coverage?period=2025-01-01:2025-12-31"' in (
        row.group(1)
    )
    assert 'id="chart-primary"' in html


def test_the_portfolio_filters_by_category_chemistry_and_period(
    demo_app: Flask, auth: Session
) -> None:
    with demo_app.app_context():
        _resubmit("HD-PK-811-78", PACKS, NEXT)  # the NCM pack, again for 2026
    nmc, org = _ids(demo_app, "HD-PK-811-78")
    lfp, _org = _ids(demo_app, "HD-PK-LFP-60")
    auth.login(PACKS)
    base = f"/dashboard/orgs/{org}/portfolio"

    def rows(query: str) -> set[int]:
        html = auth.client.get(base + query).get_data(as_text=True)
        return {int(p) for p in re.findall(r'<tr data-product="(\d+)">', html)}

    assert rows("") == {nmc}  # the default: the latest complete period, 2026 (carried upstream)
    assert rows("?period=2025-01-01/2025-12-31&category=battery_pack") == {nmc, lfp}
    assert rows("?category=vehicle_bev") == set()
    assert rows("?period=2025-01-01/2025-12-31&chemistry=LFP") == {lfp}
    assert rows("?period=2026-01-01/2026-12-31") == {nmc}
    assert rows("?period=2025-01-01/2025-12-31") == {nmc, lfp}
    assert auth.client.get(base + "?period=2025-13-01/2025-12-31").status_code == 422
    assert auth.client.get(base + "?category=nonsense").status_code == 422


def test_the_trend_holds_the_newest_result_of_every_period(demo_app: Flask, auth: Session) -> None:
    with demo_app.app_context():
        _resubmit("HD-PK-811-78", PACKS, NEXT)
        from footprint_platform.services.insight import portfolio

        pack = _product("HD-PK-811-78")
        found = portfolio.portfolio(db.session, admin_actor(PACKS), pack.organization_id)
        row = next(r for r in found.rows if r.product.id == pack.id)
        assert [p.period for p in row.trend] == [PERIOD, NEXT]
        # 2026's inputs upstream have no 2026 data: their 2025 data is carried forward, so 2026
        # is complete and the default; the carried part says so
        assert row.current is not None and row.current.period == NEXT
        assert row.current.carried_share > 0
        newer = portfolio.portfolio(
            db.session, admin_actor(PACKS), pack.organization_id, period=NEXT
        )
        assert next(r for r in newer.rows if r.product.id == pack.id).current.period == NEXT
    auth.login(PACKS)
    html = auth.client.get(f"/dashboard/orgs/{pack.organization_id}/portfolio").get_data(
        as_text=True
    )
    assert html.count('<svg class="sparkline"') == 1  # only the pack with two periods


# ---- coverage --------------------------------------------------------------------------------


def test_coverage_parts_add_up_to_the_stored_footprint(demo_app: Flask) -> None:
    _generic_lithium(demo_app)
    with demo_app.test_request_context(), force_locale("en"):
        for part, email in (("JH-S7-LR", OEM), ("DT-P811-150", CELLS), ("HD-PK-LFP-60", PACKS)):
            product = _product(part)
            c = coverage.coverage(db.session, admin_actor(email), product.id)
            stored = float(c.explanation.latest.result.total)
            assert math.isclose(sum(c.parts.values()), stored, rel_tol=1e-9, abs_tol=1e-9)
            share = float(c.explanation.latest.result.primary_data_share)
            assert abs(c.primary_share - share) < 1e-6  # stored with six decimals
            # the gaps are exactly the suppliers' generic part
            gaps = sum(g.contribution for g in c.gaps)
            assert math.isclose(gaps, c.parts["suppliers_generic"], rel_tol=1e-9, abs_tol=1e-12)
            fig = coverage_figures.composition(c.parts, {}, product.declared_unit)
            assert math.isclose(sum(t.x[0] for t in fig.data), stored, rel_tol=1e-9)
            assert [g.contribution for g in c.gaps if g.basis == "generic"] == sorted(
                (g.contribution for g in c.gaps if g.basis == "generic"), reverse=True
            )


def test_the_gap_chart_gathers_the_rest_in_other(demo_app: Flask) -> None:
    bars = [coverage_figures.GapBar(f"g{i}", float(i + 1)) for i in range(15)]
    with demo_app.test_request_context(), force_locale("en"):
        fig = coverage_figures.gaps(bars, "kWh")
    x = list(fig.data[0].x)
    assert len(x) == coverage_figures.GAP_BARS + 1
    assert math.isclose(sum(x), sum(b.contribution for b in bars))
    assert fig.layout.meta["total"] == sum(b.contribution for b in bars)


def test_primary_shares_make_a_hundred_per_product(demo_app: Flask) -> None:
    with demo_app.test_request_context(), force_locale("en"):
        fig = coverage_figures.primary_shares([("A", 0.443), ("B", 1.0), ("C", 0.0)])
    primary, secondary = fig.data
    assert [p + s for p, s in zip(primary.x, secondary.x, strict=True)] == [100.0] * 3


def test_deeper_tiers_are_grouped_and_direct_suppliers_named(demo_app: Flask) -> None:
    hidden = _generic_lithium(demo_app)
    with demo_app.test_request_context():
        car = coverage.coverage(db.session, admin_actor(OEM), _product("JH-S7-LR").id)
        deep = [g for g in car.gaps if g.category == "lithium_carbonate" and g.basis == "generic"]
        assert deep and all(g.product is None and g.tier == 3 for g in deep)
        assert {s.product.part_number for s in car.suppliers} == {"HD-PK-811-78"}
        assert car.suppliers[0].share is not None  # the pack maker agreed to the link
        cell = coverage.coverage(db.session, admin_actor(CELLS), _product("DT-P811-150").id)
        named = [g for g in cell.gaps if g.product is not None]
        assert [g.product.id for g in named] == [hidden] and named[0].tier == 1
        assert named[0].share > 0 and named[0].state is None


def test_a_shared_product_is_named_with_its_share(demo_app: Flask) -> None:
    with demo_app.test_request_context():
        cell = _product("DT-P811-150")
        oem_org = _product("JH-S7-LR").organization_id
        workflow.share(db.session, admin_actor(CELLS), cell.id, oem_org)
        car = coverage.coverage(db.session, admin_actor(OEM), _product("JH-S7-LR").id)
        shared = next(s for s in car.suppliers if s.product.id == cell.id)
        assert shared.tier == 2 and shared.share is not None and 0 < shared.share < 1


def test_the_request_status_of_a_supplier(demo_app: Flask) -> None:
    """Huadong asked Bashu for the LFP cells' data (pending, due in 30 days)."""
    with demo_app.test_request_context():
        pack = _product("HD-PK-LFP-60")
        asked = db.session.scalar(
            select(DataRequest).where(DataRequest.part_number == "BS-LFP-280")
        )
        now = coverage.coverage(db.session, admin_actor(PACKS), pack.id)
        later = coverage.coverage(
            db.session, admin_actor(PACKS), pack.id, today=asked.due_date + timedelta(days=1)
        )
        [cells] = [s for s in now.suppliers if s.product.part_number == "BS-LFP-280"]
        assert (cells.state, cells.basis, cells.request.id) == ("pending", "missing", asked.id)
        assert [s.state for s in later.suppliers] == ["overdue"]
        assert [g.basis for g in now.gaps] == ["missing"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_coverage_names_nobody_beyond_the_direct_suppliers(
    demo_app: Flask, auth: Session, lang: str
) -> None:
    _generic_lithium(demo_app)
    vehicle, org = _ids(demo_app, "JH-S7-LR")
    with demo_app.app_context():
        pack = _product("HD-PK-811-78")
        known = {pack.part_number, pack.name_en, pack.name_zh}
        known |= {pack.organization.name_en, pack.organization.name_zh}
    auth.login(OEM)
    auth.post(f"/language/{lang}")
    html = auth.client.get(f"/dashboard/products/{vehicle}/coverage").get_data(as_text=True)
    assert 'id="chart-coverage"' in html and 'id="chart-gaps"' in html
    leaked = [n for n in _outsiders(demo_app, org) if n in html and n not in known]
    assert leaked == []
    assert "LH-LC-SECRET" not in html and "product:" not in html
    assert pack.part_number in html  # the direct supplier is named
    link = re.search(r'class="request-data" href="([^"]+)"', html)
    assert link and "part_number=HD-PK-811-78" in link.group(1).replace("&amp;", "&")


def test_the_request_link_fills_in_the_inbox_form(demo_app: Flask, auth: Session) -> None:
    _vehicle, org = _ids(demo_app, "JH-S7-LR")
    supplier = _ids(demo_app, "HD-PK-811-78")[1]
    auth.login(OEM)
    html = auth.client.get(
        f"/orgs/{org}/requests?supplier_id={supplier}&part_number=HD-PK-811-78"
        "&period_start=2025-01-01&period_end=2025-12-31"
    ).get_data(as_text=True)
    assert 'value="HD-PK-811-78"' in html
    assert f'<option value="{supplier}" selected>' in html


# ---- the supplier dashboard --------------------------------------------------------------------


def test_the_supplier_sees_how_many_customer_products_use_each_product(
    demo_app: Flask, auth: Session
) -> None:
    nmc, org = _ids(demo_app, "HD-PK-811-78")
    lfp, _org = _ids(demo_app, "HD-PK-LFP-60")
    with demo_app.app_context():
        assert supplier_view.customer_counts(db.session, org, [nmc, lfp]) == {nmc: 1, lfp: 1}
        cell = _product("DT-P811-150")
        # the cell is used by Huadong's pack and Wanjiang's (its scrap reaches the recycler
        # burden-free, so the recycler is no customer)
        assert supplier_view.customer_counts(db.session, cell.organization_id, [cell.id]) == {
            cell.id: 2
        }
        customers = [
            n
            for part in ("JH-S7-LR", "LN-E3")
            for n in (
                _product(part).part_number,
                _product(part).name_en,
                _product(part).organization.name_en,
                _product(part).organization.name_zh,
            )
        ]
    auth.login(PACKS)
    for lang in ("en", "zh"):
        auth.post(f"/language/{lang}")
        html = auth.client.get(f"/dashboard/orgs/{org}/supplier").get_data(as_text=True)
        assert 'data-customers="1"' in html
        assert [n for n in customers if n and n in html] == []
        assert 'data-count="overdue">1<' in html  # Lingnan's request is overdue in the demo


def _row(total: str) -> Row:
    product = Product(id=1, category="battery_pack", declared_unit="kWh", part_number="X")
    point = Point(PERIOD, Decimal(total), Decimal("0.5"), None, "submitted")
    return Row(product, point, None, None, None, (point,))


def test_the_category_position_needs_a_group_of_five() -> None:
    four = [(10 + i, float(v)) for i, v in enumerate((80, 100, 120, 140))]
    assert not supplier_view.position(_row("90"), four, 5).shown
    assert supplier_view.position(_row("90"), four, 5).count == 4
    five = [*four, (20, 160.0)]
    p = supplier_view.position(_row("90"), five, 5)
    assert p.shown and p.count == 5 and not p.published
    assert p.percentile == 20.0 and p.quartile == 1 and p.median == 120.0
    # its own published declaration is one of the five, not a sixth
    mine = [*four, (1, 150.0)]
    p = supplier_view.position(_row("150"), mine, 5)
    assert p.shown and p.published and p.count == 5 and p.quartile == 4


def test_the_category_position_on_the_page(demo_app: Flask, auth: Session) -> None:
    _pack, org = _ids(demo_app, "HD-PK-811-78")
    auth.login(PACKS)
    html = auth.client.get(f"/dashboard/orgs/{org}/supplier").get_data(as_text=True)
    assert "data-percentile" not in html and 'data-hidden-group="1"' in html
    demo_app.config["PUBLIC_MIN_GROUP"] = 1  # one published pack declaration in the demo
    try:
        html = auth.client.get(f"/dashboard/orgs/{org}/supplier").get_data(as_text=True)
    finally:
        demo_app.config["PUBLIC_MIN_GROUP"] = 5
    assert 'data-percentile="50"' in html


# ---- the explanation's graph and cache -------------------------------------------------------


def test_the_snapshot_explains_a_run_only_where_nothing_upstream_changed(demo_app: Flask) -> None:
    """After the foil maker resubmits, the vehicle (downstream) has a new result from the new
    run and the sedan (not downstream) keeps its result from an older run: both explained
    from the snapshot graph; the vehicle's older run has the foil upstream changed, so it is
    explained from its pinned rows — and every breakdown matches its stored total."""
    from footprint_platform.models import ProductResult
    from footprint_platform.services.graph import breakdowns, explain_cache, results

    with demo_app.app_context():
        car, sedan = _product("JH-S7-LR"), _product("LN-E3")
        first = results.latest_results(db.session, car.organization_id)[car.id]
        _resubmit("JN-AL-12", "data@jiangnan-foil.example", PERIOD)
        newest = results.latest_results(db.session, car.organization_id)[car.id]
        kept = results.latest_results(db.session, sedan.organization_id)[sedan.id]
        assert newest.run.id > first.run.id and kept.run.id < newest.run.id
        assert breakdowns._snapshot_of(db.session, newest.run, car.id) is not None
        assert breakdowns._snapshot_of(db.session, kept.run, sedan.id) is not None
        assert breakdowns._snapshot_of(db.session, first.run, car.id) is None
        old = db.session.get(ProductResult, first.result.id)
        again = breakdowns.breakdown(db.session, first.run, car.id, float(old.total))
        assert again.consistent and math.isclose(again.parts.total, float(old.total))
        explain_cache.clear()
        for product, email in ((car, OEM), (sedan, "analyst@lingnan-auto.example")):
            e = breakdowns.explain_latest(db.session, admin_actor(email), product.id)
            assert e.consistent
            assert breakdowns.explain_latest(db.session, admin_actor(email), product.id).parts is (
                e.parts
            ), "the second explanation comes from the cache"


def test_the_newest_submission_column_speaks_of_the_period_shown(demo_app: Flask) -> None:
    """The cathode maker has a 2025 version and a 2026 version of its cathode: the supplier
    dashboard of 2025 lists the 2025 version beside the 2025 figures, that of 2026 the 2026
    one (before, the column showed the newest of any period whatever period was chosen)."""
    cathode, org = _ids(demo_app, "MJ-NCM811-S")
    with demo_app.app_context():
        _resubmit("MJ-NCM811-S", "data@minjiang-cathode.example", NEXT)
        workflow.run_pending(db.session, *NEXT)
        actor = admin_actor("data@minjiang-cathode.example")
        for period in (PERIOD, NEXT):
            board = supplier_view.dashboard(db.session, actor, org, 3, period=period)
            assert board.period == period
            (mine,) = [m for m in board.products if m.row.product.id == cathode]
            assert mine.submission is not None
            assert (mine.submission.period_start, mine.submission.period_end) == period


def test_the_portfolio_sorts_where_supplier_data_would_help_most(
    demo_app: Flask, auth: Session
) -> None:
    """The orders the portfolio offers, each on its stored figures: part number, footprint
    within each category, primary-data share lowest first, data quality worst first; a
    product without a figure goes last; an unknown order is refused."""
    from footprint_platform.services.insight import portfolio as service
    from tests.platform.demo_ids import admin_actor

    _nmc, org = _ids(demo_app, "HD-PK-811-78")
    period = (date(2025, 1, 1), date(2025, 12, 31))
    with demo_app.app_context():
        actor = admin_actor(PACKS)
        found = {
            sort: service.portfolio(db.session, actor, org, period=period, sort=sort).rows
            for sort in ("product", "footprint", "primary", "rating")
        }
    parts = [r.product.part_number for r in found["product"]]
    assert parts == sorted(parts) and len(parts) >= 2
    shares = [r.current.primary_data_share for r in found["primary"] if r.current]
    assert shares == sorted(shares)
    ratings = [r.current.dqr for r in found["rating"] if r.current and r.current.dqr is not None]
    assert ratings == sorted(ratings, reverse=True)
    for category in {r.product.category for r in found["footprint"]}:
        totals = [r.current.total for r in found["footprint"] if r.product.category == category]
        assert totals == sorted(totals)
    auth.login(PACKS)
    base = f"/dashboard/orgs/{org}/portfolio?period=2025-01-01/2025-12-31"
    html = auth.client.get(base + "&sort=primary").get_data(as_text=True)
    shown = [int(p) for p in re.findall(r'<tr data-product="(\d+)">', html)]
    assert shown == [r.product.id for r in found["primary"]]
    assert 'option value="primary" selected' in html
    assert auth.client.get(base + "&sort=cheapest").status_code == 422
