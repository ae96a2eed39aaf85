"""The public pages' figures: a declaration's stage chart adds up to its declared total and is
made from the stored declaration alone; the industry overview draws a box only for groups big
enough to show, from the same five numbers its table prints and no company's own figure."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import event, select

from dashboards import public_figures
from footprint_platform.extensions import db
from footprint_platform.models import Declaration
from footprint_platform.public_queries import _group, industry_overview
from footprint_platform.rules import load_rules

pytestmark = pytest.mark.postgres
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}
# What the graph is built and solved from: a public page never reads them.
GRAPH_TABLES = ("submission_input", "product_result", "rollup_snapshot", "rollup_run")


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _published() -> list[Declaration]:
    return list(
        db.session.scalars(select(Declaration).where(Declaration.published_at.is_not(None)))
    )


def _figure(page: str, element_id: str) -> dict[str, Any]:
    """The figure a page hands to plotly.js, read back from its JSON data block."""
    found = re.search(
        rf'<script type="application/json" id="{element_id}-data">(.*?)</script>', page
    )
    assert found, f"no {element_id} on the page"
    return dict(json.loads(found.group(1)))


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql.lower())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_each_declarations_stage_chart_adds_up_to_its_declared_total(demo_app: Flask) -> None:
    with demo_app.test_request_context(), force_locale("en"):
        published = _published()
        assert len(published) >= 3
        for d in published:
            rule = load_rules()[d.rule_code]
            labels = {s.code: s.label("en") for s in rule.stages}
            fig = public_figures.declaration_stages(
                d.by_stage, rule.stage_codes, float(d.total), labels, d.declared_unit
            )
            bars = fig.data[0]
            stages = [x for x, m in zip(bars.x, bars.measure, strict=True) if m == "relative"]
            assert close(sum(stages), float(d.total)), d.product.part_number
            assert bars.measure[-1] == "total" and close(bars.x[-1], float(d.total))
            stored = [float(v) for v in d.by_stage.values()]
            assert sorted(x for x in stages if x) == sorted(v for v in stored if v)
            names = [str(y).replace("<br>", " ") for y in bars.y]
            ruled = [labels[s] for s in rule.stage_codes if s in d.by_stage]
            assert names[: len(ruled)] == ruled and names[-1] == "Total"


def test_the_public_page_draws_the_stored_stages_without_touching_the_graph(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        d = next(x for x in _published() if x.product.part_number == "HD-PK-811-78")
        public_id, total = d.public_id, float(d.total)
        stored = {k: float(v) for k, v in d.by_stage.items()}
    client = demo_app.test_client()
    with demo_app.app_context(), statements() as seen:
        page = client.get(f"/d/{public_id}", headers=EN).get_data(as_text=True)
    assert seen, "the listener saw the page's queries"
    read = [t for t in GRAPH_TABLES for sql in seen if re.search(rf"\b{t}\b", sql)]
    assert read == [], "a public page renders from the stored declaration only"
    fig = _figure(page, "chart-stages")
    trace = fig["data"][0]
    relative = [x for x, m in zip(trace["x"], trace["measure"], strict=True) if m == "relative"]
    assert close(sum(relative), total) and close(trace["x"][-1], total)
    assert sorted(relative) == sorted(stored.values())  # the declaration's own numbers
    assert "plotly.min.js" in page and "js/charts.js" in page
    zh = client.get(f"/d/{public_id}", headers=ZH).get_data(as_text=True)
    assert "生命周期阶段" in json.dumps(_figure(zh, "chart-stages"), ensure_ascii=False)


def test_a_box_per_shown_group_from_its_five_numbers_only() -> None:
    shown = _group(("battery_pack", "NMC811"), [80.0, 91.0, 97.0, 104.0, 113.0, 120.0], 5)
    hidden = _group(("battery_pack", "LFP"), [70.0, 75.0], 5)
    fig = public_figures.group_boxes([hidden, shown], ["LFP pack", "NMC pack"], "kg/kWh")
    assert fig is not None
    (box,) = fig.data
    assert list(box.y) == ["NMC pack (n=6)"]
    assert (box.lowerfence[0], box.upperfence[0]) == (80.0, 120.0)
    assert (box.q1[0], box.median[0], box.q3[0]) == (shown.q1, shown.median, shown.q3)
    assert shown.q1 is not None and shown.q1 < shown.median < shown.q3  # type: ignore[operator]
    text = fig.to_json()
    for own_figure in (91.0, 97.0, 104.0, 113.0, 70.0, 75.0):
        assert not re.search(rf"\b{own_figure}\b", text), "no declaration's own number"
    assert "LFP pack" not in text
    assert public_figures.group_boxes([hidden], ["LFP pack"], "kg/kWh") is None


def test_the_industry_page_draws_boxes_only_for_groups_of_the_minimum(demo_app: Flask) -> None:
    """The demo's groups are all below five: no chart. With a minimum of one (a private
    installation) each group gets its box, with the table's numbers."""
    client = demo_app.test_client()
    page = client.get("/industry", headers=EN).get_data(as_text=True)
    assert "data-figure" not in page and "plotly.min.js" not in page
    minimum = demo_app.config["PUBLIC_MIN_GROUP"]
    assert minimum == 5
    demo_app.config["PUBLIC_MIN_GROUP"] = 1
    try:
        page = client.get("/industry", headers=EN).get_data(as_text=True)
        with demo_app.app_context():
            o = industry_overview(db.session, 1)
    finally:
        demo_app.config["PUBLIC_MIN_GROUP"] = minimum
    for element_id, groups in (
        ("chart-chemistry", o.batteries_by_chemistry),
        ("chart-region", o.batteries_by_region),
        ("chart-segment", o.vehicles_by_segment),
    ):
        (box,) = _figure(page, element_id)["data"]
        assert len(box["y"]) == len(groups) and all(g.shown for g in groups)
        assert box["median"] == [g.median for g in groups]
        assert box["lowerfence"] == [g.low for g in groups]
        assert box["upperfence"] == [g.high for g in groups]
    assert "Battery pack · NMC 811 (n=1)" in page  # the taxonomy's name of the chemistry
