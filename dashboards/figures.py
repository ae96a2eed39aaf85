"""Plotly figures of a product's footprint, from the engine's explanation and the stored result.

Pure functions: numbers and labels in, a `plotly.graph_objects.Figure` out; nothing reads the
database or the request (the caller passes labels in the reader's language; the few fixed words
go through gettext). Each figure's numbers add up to the footprint it explains, which
tests/dashboards/test_figures.py checks to 1e-9 relative:

- stage waterfall: the stored result's stages, then the total bar;
- chain Sankey: the engine's Sankey (supply_graph.explain: each loop one node, everything not
  shown in one "other" source) with its nodes grouped by tier and category, so no supplier is
  named, and the generic datasets drawn beside each group that buys them; the links into the
  product plus its own production are its footprint;
- treemap: contributions by tier, then category.

The Sankey, the treemap and the quality table (services/graph/breakdowns.py) count a generic
dataset several makers buy the same way: `supply_graph.Contributions.parts`, one part beside
each buyer, one tier below it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from flask_babel import gettext as _

from supply_graph import Contributions
from supply_graph.explain import OTHER

KG = "kg CO2e"

EXTERNAL = "external"  # the roll-up's category of partners' footprints imported over PACT
FONT = 'system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'
POSITIVE, NEGATIVE, TOTAL = "#2f7d6d", "#b5523b", "#33475b"
PALETTE = (
    "#2f7d6d",
    "#4e79a7",
    "#f28e2b",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def per_unit(unit: str) -> str:
    """A figure's unit as every number on a page carries it: kg CO2e per declared unit."""
    return f"{KG} / {unit}"


@dataclass(frozen=True)
class Labels:
    """What the figures call things, in the reader's language."""

    product: str  # the product's name (its maker is the reader)
    unit: str  # the declared unit
    categories: Mapping[str, str]  # category code -> label; unknown codes are shown as codes
    stages: Mapping[str, str]  # stage code -> label

    def category(self, code: str) -> str:
        if code == EXTERNAL and code not in self.categories:
            return str(_("External footprints (PACT)"))  # partners' footprints taken in
        return self.categories.get(code, code)

    def tier(self, tier: int) -> str:
        return str(_("Own production") if tier == 0 else _("Tier %(n)d", n=tier))

    def tiers(self, first: int, last: int) -> str:
        """A group whose members sit at several tiers."""
        return str(_("Tiers %(first)d–%(last)d", first=first, last=last))

    def group(self, tier: int, category: str, bought_for: str | None) -> str:
        """A group of `Contributions.parts` without its tier: its category, or the generic
        datasets bought for the group one tier down (the product itself at tier 1)."""
        if bought_for is None:
            return self.category(category)
        what = self.product if tier == 1 else self.category(bought_for)
        return str(_("Generic datasets bought for %(what)s", what=what))


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "font": {"family": FONT, "size": 13},
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10, "autoexpand": True},
        # the empty template: plotly's default one adds ~6 kB to every figure
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "template": "none",
        **extra,
    }


def stage_waterfall(
    by_stage: Mapping[str, float], stage_order: Sequence[str], total: float, labels: Labels
) -> go.Figure:
    """Stages in the rule's order (then any other stage with a value), and the total bar;
    Σ stage bars = `total`, the stored footprint."""
    codes = [s for s in stage_order if s in by_stage] + [
        s for s in by_stage if s not in stage_order and by_stage[s]
    ]
    values = [float(by_stage[s]) for s in codes]
    shown = [*values, float(total)]
    fig = go.Figure(
        go.Waterfall(
            x=[_wrap(labels.stages.get(s, s)) for s in codes] + [_("Total")],
            y=shown,
            measure=["relative"] * len(codes) + ["total"],
            text=[f"{v:,.2f}" for v in shown],
            textposition="outside",
            increasing={"marker": {"color": POSITIVE}},
            decreasing={"marker": {"color": NEGATIVE}},
            totals={"marker": {"color": TOTAL}},
            connector={"line": {"color": "#9aa9ad"}},
            hovertemplate="%{x}: %{y:,.3f} " + per_unit(labels.unit) + "<extra></extra>",
        )
    )
    fig.update_layout(
        _layout(
            _("By life-cycle stage (%(unit)s per %(declared)s)", unit=KG, declared=labels.unit),
            showlegend=False,
            xaxis={"automargin": True, "tickangle": 0},
            yaxis={
                "title": {"text": KG},
                "automargin": True,
                "gridcolor": "#e3e9ea",
                "zerolinecolor": "#9aa9ad",
            },
            meta={"total": float(total)},
        )
    )
    return fig


def _wrap(label: str, width: int = 14) -> str:
    """Break a long axis label between words (plotly does not), so it needs no slant."""
    lines: list[str] = []
    for word in label.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


@dataclass(frozen=True)
class _Group:
    key: tuple[Any, ...]
    label: str
    column: int
    detail: str = ""  # shown on hover: what a loop is made of
    name: str = ""  # what it is, without its tier (for the datasets it buys)


def chain_sankey(parts: Contributions, labels: Labels) -> go.Figure:
    """The chain as flows of embodied emissions, upstream on the left, the product on the right.

    The engine's Sankey nodes (each loop one node) are grouped by column and category. A node's
    column is its longest path to the product, so every link runs left to right even where a
    node supplies several tiers, and groups never form a cycle. The product's own production
    is one more source into it, and "other" gathers every flow from nodes not shown, so the
    links into the product add up to its footprint.
    """
    sankey = parts.sankey
    product = next(n for n in sankey.nodes if parts.product in n.members)
    datasets = {n.key for n in sankey.nodes if n.key in parts.bought_by}
    column = _columns(
        product.key, [(f.source, f.target) for f in sankey.flows if f.source not in datasets]
    )
    groups = _groups(parts, product.key, column, labels)
    own_label = _("Own production and the loop") if len(product.members) > 1 else None
    groups["own"] = _Group(("own",), own_label or _("Own production"), 1)
    links: dict[tuple[tuple[Any, ...], tuple[Any, ...]], float] = {}
    made: dict[tuple[Any, ...], _Group] = {}
    for source, target, value in [
        *((f.source, f.target, f.value) for f in sankey.flows if f.source != OTHER),
        ("own", product.key, product.direct),
    ]:
        if source in datasets:
            continue  # drawn below, split between its buyers as every figure splits it
        src, into = groups[source], groups[target]
        made[src.key] = src
        links[(src.key, into.key)] = links.get((src.key, into.key), 0.0) + value
    _add_datasets(parts, datasets, groups, labels, links, made)
    top = max((g.column for g in made.values()), default=0) + 1
    made[(OTHER,)] = _Group((OTHER,), _("Other inputs (smaller flows)"), top)
    for f in sankey.flows:
        if f.source == OTHER:
            pair = ((OTHER,), groups[f.target].key)
            links[pair] = links.get(pair, 0.0) + f.value
    links = {pair: v for pair, v in links.items() if v}
    used = {k for pair in links for k in pair} | {("product",)}
    every = {g.key: g for g in [*groups.values(), *made.values()]}
    nodes = {k: g for k, g in every.items() if k in used}
    order = sorted(nodes.values(), key=lambda g: (-g.column, g.label))
    index = {g.key: i for i, g in enumerate(order)}
    x, y = _positions(order)
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.2f",
            valuesuffix=" " + per_unit(labels.unit),
            node={
                "label": [_wrap(g.label, 26) for g in order],
                "customdata": [g.detail or g.label for g in order],
                "hovertemplate": "%{customdata}<br>%{value}<extra></extra>",
                "x": x,
                "y": y,
                "pad": 14,
                "thickness": 16,
                "color": [_colour(g) for g in order],
                "line": {"width": 0},
            },
            link={
                "source": [index[s] for s, _t in links],
                "target": [index[t] for _s, t in links],
                "value": list(links.values()),
                "color": "rgba(47, 125, 109, 0.25)",
            },
        )
    )
    title = _("Along the chain (%(unit)s per %(declared)s)", unit=KG, declared=labels.unit)
    fig.update_layout(_layout(title, meta={"total": parts.total, "other": sankey.other}))
    return fig


def _add_datasets(
    parts: Contributions,
    datasets: set[str],
    groups: Mapping[str, _Group],
    labels: Labels,
    links: dict[tuple[tuple[Any, ...], tuple[Any, ...]], float],
    made: dict[tuple[Any, ...], _Group],
) -> None:
    """A dataset several makers buy drawn beside each group buying it, one column upstream of
    it, with the part `Contributions.parts` gives that buyer (the same the treemap and the
    quality table count), not as one box at the deepest of its buyers' places."""
    member = {m: n.key for n in parts.sankey.nodes for m in n.members}
    for dataset in datasets:
        for p in parts.bought_by[dataset]:
            into = groups[member[p.buyer]]
            key = ("datasets", *into.key, p.tier, p.category)
            label = labels.group(p.tier + 1, DATASET, p.category)
            made[key] = _Group(key, label, into.column + 1)
            links[(key, into.key)] = links.get((key, into.key), 0.0) + p.contribution


DATASET = "dataset"  # the category of the factor leaves: inputs bought as generic datasets


def _columns(product: str, flows: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest number of links from each shown node to the product (the flows form a DAG:
    loops are single nodes); "other" is placed separately."""
    column = {product: 0}
    inner = [(s, t) for s, t in flows if s != OTHER]
    for _round in range(len(inner) + 1):
        changed = False
        for s, t in inner:
            if t in column and column.get(s, -1) < column[t] + 1:
                column[s] = column[t] + 1
                changed = True
        if not changed:
            break
    return column


def _groups(
    parts: Contributions, product_key: str, column: Mapping[str, int], labels: Labels
) -> dict[str, _Group]:
    """Each engine Sankey node's group: the product, a loop, or (column, category). A group is
    placed by its column (so every link runs left to right) but labelled with the engine's
    tier of its members (edges from the product) — the tier the treemap and the quality table
    give the same category, so the figures agree."""
    category = {n.id: n.category for n in parts.by_node}
    tier_of = {n.id: n.tier for n in parts.by_node}
    groups = {}
    for node in parts.sankey.nodes:
        place = column.get(node.key, 0)
        cats = sorted({category.get(m, "") for m in node.members})
        tiers = sorted({tier_of[m] for m in node.members if m in tier_of}) or [place]
        tier = labels.tier(tiers[0]) if len(tiers) == 1 else labels.tiers(tiers[0], tiers[-1])
        tier = tier.replace(" ", "\u00a0")  # "Tier 4" kept on one line where a label wraps
        loop = "、".join(labels.category(c) for c in cats)
        detail = _("Closed loop: %(parts)s", parts=loop) if len(node.members) > 1 else ""
        if node.key == product_key:
            groups[node.key] = _Group(("product",), labels.product, 0, detail, labels.product)
        elif detail:  # a loop is named by what it is made of, not only as "closed loop"
            name = _("%(parts)s (closed loop)", parts=loop)
            key = (place, "loop", *cats)
            groups[node.key] = _Group(key, name + " · " + tier, place, detail, name)
        else:
            name = labels.category(cats[0])
            groups[node.key] = _Group((place, cats[0]), name + " · " + tier, place, "", name)
    return groups


def _positions(order: Sequence[_Group]) -> tuple[list[float], list[float]]:
    """x by column over the columns in use (upstream left), y spread evenly within a column."""
    by_column: dict[int, list[_Group]] = {}
    for g in order:
        by_column.setdefault(g.column, []).append(g)
    span = max(by_column)
    x, y = [], []
    for g in order:
        peers = by_column[g.column]
        x.append(0.001 + 0.998 * (1 - g.column / span) if span else 0.5)
        y.append((peers.index(g) + 0.5) / len(peers))
    return x, y


def _colour(g: _Group) -> str:
    if g.key == ("product",):
        return TOTAL
    if g.key == (OTHER,):
        return "#bab0ac"
    return PALETTE[sum(map(ord, str(g.key[1:]))) % len(PALETTE)]


def _order(group: tuple[int, str, str | None]) -> tuple[int, str, str]:
    """Tiers in order, then categories, then the group a dataset part was bought for."""
    tier, category, bought_for = group
    return (tier, category, bought_for or "")


def _leaf_id(tier: int, category: str, bought_for: str | None) -> str:
    return f"t{tier}/{category}" + (f"@{bought_for}" if bought_for is not None else "")


def contribution_treemap(parts: Contributions, labels: Labels) -> go.Figure:
    """Contributions by tier, then category (`Contributions.parts`: a generic dataset beside
    each group buying it, as the Sankey and the quality table count it); the leaves add up to
    the footprint. A negative contribution (a credit) cannot be an area: it is left out of the
    tiles and reported as `credits` in the figure's meta and title, so tiles + credits =
    footprint."""
    leaves: dict[tuple[int, str, str | None], float] = {}
    for part in parts.parts():
        leaves[part.group] = leaves.get(part.group, 0.0) + part.contribution
    credits = sum(v for v in leaves.values() if v < 0)
    positive = {k: v for k, v in sorted(leaves.items(), key=lambda kv: _order(kv[0])) if v > 0}
    tiers: dict[int, float] = {}
    for (tier, _c, _b), v in positive.items():
        tiers[tier] = tiers.get(tier, 0.0) + v
    ids = ["all"] + [f"t{t}" for t in tiers] + [_leaf_id(*k) for k in positive]
    names = (
        [labels.product] + [labels.tier(t) for t in tiers] + [labels.group(*k) for k in positive]
    )
    parents = [""] + ["all"] * len(tiers) + [f"t{t}" for t, _c, _b in positive]
    values = [sum(tiers.values()), *tiers.values(), *positive.values()]
    title = _("By tier and category (%(unit)s per %(declared)s)", unit=KG, declared=labels.unit)
    if credits:
        title += " · " + _("credits %(value)s not shown", value=f"{credits:,.2f}")
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=names,
            parents=parents,
            values=values,
            branchvalues="total",
            sort=False,  # tiers in order (own production, tier 1, tier 2 …), not by size
            texttemplate="%{label}<br>%{value:,.1f} (%{percentRoot:.1%})",
            hovertemplate="%{label}: %{value:,.3f} " + per_unit(labels.unit) + "<extra></extra>",
            marker={"colorscale": [[0, "#dfeeea"], [1, POSITIVE]], "colors": values},
        )
    )
    fig.update_layout(_layout(title, meta={"total": parts.total, "credits": credits}))
    # Labels readable or not drawn: a tile too small for 11 px text shows its value on hover.
    fig.update_layout(uniformtext={"minsize": 11, "mode": "hide"})
    return fig
