"""Every chart's numbers add up to the footprint it explains, on the demo chain and on small
graphs built to exercise "other", loops and credits; labels follow the reader's language."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import force_locale
from plotly.graph_objects import Figure
from sqlalchemy import select

import supply_graph
from dashboards import figures
from footprint_platform.extensions import db
from footprint_platform.models import Product
from footprint_platform.services.graph import breakdowns
from footprint_platform.services.graph.breakdowns import Explanation
from tests.platform.demo_ids import admin_actor
from tests.supply_graph.conftest import make_graph

pytestmark = pytest.mark.postgres
REL = 1e-9
# the vehicle (its pack and cells upstream), the cell, an ore
PRODUCTS = {
    "JH-S7-LR": "analyst@jinghai-motors.example",
    "DT-P811-150": "admin@dongtai-cells.example",
    "MB-MHP-39": "data@mbnickel.example",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)


def labels(product: str = "Product") -> figures.Labels:
    return figures.Labels(
        product=product,
        unit="kWh",
        categories={"cell": "Cell", "dataset": "Generic datasets"},
        stages={"raw_material": "Raw materials", "production": "Production"},
    )


@pytest.fixture
def explained(demo_app: Flask) -> Iterator[dict[str, Explanation]]:
    with demo_app.test_request_context(), force_locale("en"):
        out = {}
        for part, email in PRODUCTS.items():
            product = db.session.scalar(select(Product).where(Product.part_number == part))
            out[part] = breakdowns.explain_latest(db.session, admin_actor(email), product.id)
        yield out


def unwrapped(trace: object) -> list[str]:
    """The Sankey's node labels as text (the figure breaks long ones with <br>)."""
    labels = trace.node.label  # type: ignore[attr-defined]
    return [label.replace("<br>", " ").replace("\u00a0", " ") for label in labels]


def sankey_into(fig: Figure, label: str) -> float:
    trace = fig.data[0]
    target = unwrapped(trace).index(label)
    return sum(v for t, v in zip(trace.link.target, trace.link.value, strict=True) if t == target)


def treemap_parts(fig: Figure) -> tuple[float, float, float]:
    """(root, Σ tiers, Σ leaves) of a tier → category treemap."""
    t = fig.data[0]
    root = t.values[0]
    tiers = sum(v for v, p in zip(t.values, t.parents, strict=True) if p == "all")
    leaves = sum(v for v, p in zip(t.values, t.parents, strict=True) if p.startswith("t"))
    return root, tiers, leaves


@pytest.mark.parametrize("part", list(PRODUCTS))
def test_demo_charts_add_up_to_the_stored_footprint(
    part: str, explained: dict[str, Explanation]
) -> None:
    e = explained[part]
    assert e.latest is not None and e.parts is not None and e.consistent
    stored = float(e.latest.result.total)
    name = e.product.name_en
    wf = figures.stage_waterfall(
        e.latest.result.by_stage, ("raw_material", "production"), stored, labels(name)
    )
    bars = wf.data[0]
    assert close(
        sum(y for y, m in zip(bars.y, bars.measure, strict=True) if m == "relative"), stored
    )
    assert bars.measure[-1] == "total" and close(bars.y[-1], stored)
    sankey = figures.chain_sankey(e.parts, labels(name))
    assert close(sankey_into(sankey, name), stored)
    root, tiers, leaves = treemap_parts(figures.contribution_treemap(e.parts, labels(name)))
    assert close(root, stored) and close(tiers, stored) and close(leaves, stored)


def test_the_sankey_runs_left_to_right_with_each_loop_once(
    explained: dict[str, Explanation],
) -> None:
    e = explained["JH-S7-LR"]
    assert e.parts is not None
    trace = figures.chain_sankey(e.parts, labels("SUV")).data[0]
    x = trace.node.x
    pairs = list(zip(trace.link.source, trace.link.target, strict=True))
    assert all(x[s] < x[t] for s, t in pairs), "every flow runs towards the product"
    assert len(set(pairs)) == len(pairs)
    loops = [label for label in trace.node.label if label.startswith("Closed loop")]
    # the recycler's scrap enters burden-free: no loop in the demo (loops: test_explain)
    assert loops == []
    # the page follows enough nodes that nothing of the demo chain is left in "other"
    assert "Other inputs (smaller flows)" not in unwrapped(trace)
    assert e.parts.sankey.other == 0


def test_the_sankey_draws_generic_datasets_beside_each_buyer(
    explained: dict[str, Explanation],
) -> None:
    """A dataset several makers buy (primary aluminium: the SUV, its pack, the foil, the cell
    casing) is one box per buyer, one column upstream of it, named for it, with no tier of its
    own; the largest source into the SUV is its pack, then the datasets it buys itself."""
    e = explained["JH-S7-LR"]
    assert e.parts is not None
    trace = figures.chain_sankey(e.parts, labels("SUV")).data[0]
    names, x = unwrapped(trace), trace.node.x
    bought = [i for i, n in enumerate(names) if n.startswith("Generic datasets bought for")]
    assert len(bought) >= 3
    for i in bought:
        targets = {t for s, t in zip(trace.link.source, trace.link.target, strict=True) if s == i}
        assert len(targets) == 1
        (t,) = targets
        assert names[i].removeprefix("Generic datasets bought for ") in names[t]
        assert x[i] < x[t] and " · Tier" not in names[i]
    product = names.index("SUV")
    into = {
        names[s]: v
        for s, t, v in zip(trace.link.source, trace.link.target, trace.link.value, strict=True)
        if t == product
    }
    ranked = sorted(into, key=into.__getitem__, reverse=True)
    assert ranked[:2] == [
        "battery_pack · Tier 1",
        "Generic datasets bought for SUV",
    ]  # codes: test labels


def test_other_gathers_what_is_not_shown() -> None:
    """A fan of ten suppliers shown through three Sankey nodes: "other" carries the rest and
    the product's inflows still add up to its footprint."""
    n = 10
    graph = make_graph(
        [1.0] + [float(i + 1) for i in range(n)],
        [(f"n{i + 1}", "n0", 1.0 + i / 10) for i in range(n)],
        categories={f"n{i}": "cell" for i in range(n + 1)},
    )
    result = supply_graph.rollup(graph)
    parts = supply_graph.contributions(graph, result, "n0", sankey_nodes=3)
    fig = figures.chain_sankey(parts, labels("P"))
    assert "Other inputs (smaller flows)" in unwrapped(fig.data[0])
    assert close(sankey_into(fig, "P"), result["n0"].total)
    assert close(fig.layout.meta["other"], parts.sankey.other) and parts.sankey.other > 0


def test_a_small_chain_has_no_other_node() -> None:
    graph = make_graph([2.0, 3.0], [("n1", "n0", 2.0)], categories={"n0": "cell", "n1": "cell"})
    parts = supply_graph.contributions(graph, supply_graph.rollup(graph), "n0")
    trace = figures.chain_sankey(parts, labels("P")).data[0]
    assert "Other inputs (smaller flows)" not in unwrapped(trace)
    assert close(sankey_into(figures.chain_sankey(parts, labels("P")), "P"), 8.0)


def test_a_credit_is_reported_beside_the_treemap() -> None:
    """A negative contribution cannot be a tile: tiles + credits = footprint."""
    graph = make_graph(
        [5.0, 4.0, -1.5], [("n1", "n0", 1.0), ("n2", "n0", 2.0)], categories={"n2": "cell"}
    )
    parts = supply_graph.contributions(graph, supply_graph.rollup(graph), "n0")
    fig = figures.contribution_treemap(parts, labels())
    root, _tiers, leaves = treemap_parts(fig)
    assert close(fig.layout.meta["credits"], -3.0)
    assert close(leaves + fig.layout.meta["credits"], parts.total) and close(root, leaves)
    assert "credits" in fig.layout.title.text


def test_quality_groups_add_up_to_the_stored_ratings(explained: dict[str, Explanation]) -> None:
    for e in explained.values():
        assert e.parts is not None and e.latest is not None
        r = e.latest.result
        primary = sum(g.contribution * g.primary_share for g in e.quality)
        assert math.isclose(primary / e.parts.total, float(r.primary_data_share), abs_tol=1e-6)
        rated = sum(g.contribution for g in e.quality if g.dqr is not None)
        assert r.dqr is not None
        assert math.isclose(sum(g.impact for g in e.quality) / rated, float(r.dqr), abs_tol=0.005)
        assert [g.impact for g in e.quality] == sorted((g.impact for g in e.quality), reverse=True)


def test_labels_follow_the_language(demo_app: Flask, explained: dict[str, Explanation]) -> None:
    e = explained["JH-S7-LR"]
    assert e.parts is not None and e.latest is not None
    by_stage = e.latest.result.by_stage
    for locale, expect_cjk in (("en", False), ("zh", True)):
        with demo_app.test_request_context(), force_locale(locale):
            made = [
                figures.stage_waterfall(by_stage, (), float(e.latest.result.total), labels("SUV")),
                figures.chain_sankey(e.parts, labels("SUV")),
                figures.contribution_treemap(e.parts, labels("SUV")),
            ]
        for fig in made:
            assert bool(CJK.search(fig.layout.title.text)) is expect_cjk
        sankey, treemap = made[1].data[0], made[2].data[0]
        assert bool(CJK.search(" ".join(sankey.node.label))) is expect_cjk  # tiers, other, loop
        assert bool(CJK.search(" ".join(treemap.labels))) is expect_cjk


def test_partners_footprints_are_labelled_external() -> None:
    """The roll-up's "external" category (footprints imported over PACT) has its own label in
    every figure, unless the caller names it."""
    labels = figures.Labels(product="P", unit="kWh", categories={}, stages={})
    assert labels.category("external") != "external"
    named = figures.Labels(product="P", unit="kWh", categories={"external": "X"}, stages={})
    assert named.category("external") == "X"


def test_the_sankey_and_the_treemap_give_a_category_the_same_tier(
    explained: dict[str, Explanation],
) -> None:
    """One tier definition for every figure: the Sankey places a group by its longest path but
    names the engine's tier, the one the treemap (and the quality table) use. Lithium hydroxide
    was "Tier 3" in one and tier 4 in the other."""
    e = explained["JH-S7-LR"]
    assert e.parts is not None
    names = labels("SUV")
    treemap = figures.contribution_treemap(e.parts, names).data[0]
    in_treemap: dict[str, set[str]] = {}
    for ident, label in zip(treemap.ids, treemap.labels, strict=True):
        if "/" in ident:
            tier = ident.split("/")[0].removeprefix("t")
            in_treemap.setdefault(label, set()).add(names.tier(int(tier)))
    sankey = figures.chain_sankey(e.parts, names).data[0]
    checked = 0
    for label in unwrapped(sankey):
        if " · " not in label:
            continue
        category, tier = label.rsplit(" · ", 1)
        if category in in_treemap and "–" not in tier:
            assert tier in in_treemap[category], (category, tier, in_treemap[category])
            checked += 1
    assert checked >= 5, "the chain's categories were compared"


def test_treemap_labels_are_readable_or_hidden(explained: dict[str, Explanation]) -> None:
    e = explained["JH-S7-LR"]
    assert e.parts is not None
    fig = figures.contribution_treemap(e.parts, labels("SUV"))
    assert fig.layout.uniformtext.minsize >= 11 and fig.layout.uniformtext.mode == "hide"
    tiers = [i for i, p in zip(fig.data[0].ids, fig.data[0].parents, strict=True) if p == "all"]
    assert tiers == sorted(tiers, key=lambda t: int(t[1:])) and fig.data[0].sort is False


def _dataset_groups_in_sankey(trace: object, prefix: str) -> dict[tuple[str, int], float]:
    """(box label, its buyer's tier) → amount drawn from each "datasets bought for" box."""
    names = unwrapped(trace)
    out: dict[tuple[str, int], float] = {}
    link = trace.link  # type: ignore[attr-defined]
    for s, t, v in zip(link.source, link.target, link.value, strict=True):
        if names[s].startswith(prefix):
            tier = names[t].rsplit(" · Tier ", 1)[1] if " · Tier " in names[t] else "0"
            key = (names[s], int(tier))
            out[key] = out.get(key, 0.0) + v
    return out


def test_a_shared_dataset_counts_the_same_in_the_sankey_treemap_and_quality_table(
    explained: dict[str, Explanation],
) -> None:
    """Primary aluminium is bought by the SUV, its pack, the foil and the cell casing: each of
    the three figures counts the generic datasets bought for each group with the same amount
    (one attribution, `Contributions.parts`), and together they are every dataset's
    contribution."""
    for part, e in explained.items():
        assert e.parts is not None and e.parts.sankey.other == 0
        names = labels(e.product.name_en)
        prefix = "Generic datasets bought for"
        sankey = _dataset_groups_in_sankey(figures.chain_sankey(e.parts, names).data[0], prefix)
        treemap = figures.contribution_treemap(e.parts, names).data[0]
        in_treemap = {
            (label, int(ident.split("/")[0][1:]) - 1): value
            for ident, label, value in zip(treemap.ids, treemap.labels, treemap.values, strict=True)
            if label.startswith(prefix)
        }
        in_table = {
            (names.group(g.tier, g.category, g.bought_for), g.tier - 1): g.contribution
            for g in e.quality
            if g.bought_for is not None
        }
        assert sankey.keys() == in_treemap.keys() == in_table.keys(), part
        for key, value in sankey.items():
            assert close(value, in_treemap[key]) and close(value, in_table[key]), (part, key)
        datasets = sum(n.contribution for n in e.parts.by_node if n.category == "dataset")
        assert close(sum(sankey.values()), datasets), part
    shared = [
        n
        for n in explained["JH-S7-LR"].parts.by_node  # type: ignore[union-attr]
        if len(explained["JH-S7-LR"].parts.bought_by.get(n.id, ())) > 1  # type: ignore[union-attr]
    ]
    assert shared, "the demo chain has a dataset several groups buy"
