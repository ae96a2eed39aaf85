"""Plotly figures and sparklines of the portfolio and coverage pages (pure: numbers and labels in,
a figure out). Each figure adds up to what it explains, which tests/dashboards/test_portfolio.py
checks:

- primary-data shares: one bar per product, primary + secondary = 100 %;
- composition: the footprint split by where its numbers come from; the segments add up to it;
- gaps: the secondary upstream products ranked, the rest in "other"; the bars add up to the
  suppliers' generic part of the composition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import plotly.graph_objects as go
from flask_babel import gettext as _
from markupsafe import Markup

from dashboards.figures import KG, NEGATIVE, POSITIVE, TOTAL, _layout

GREY = "#bab0ac"
PART_COLOURS = {
    "own_primary": TOTAL,
    "suppliers_primary": POSITIVE,
    "own_generic": "#edc948",
    "suppliers_generic": "#f28e2b",
    "datasets": GREY,
}
GAP_BARS = 10  # the largest gaps drawn; the rest are one "other" bar


def primary_shares(rows: Sequence[tuple[str, float]]) -> go.Figure:
    """(product label, primary-data share 0-1) per product: primary and secondary, in %."""
    labels = [label for label, _s in rows]
    primary = [100.0 * s for _l, s in rows]
    secondary = [100.0 - p for p in primary]
    fig = go.Figure(
        [
            go.Bar(
                name=_("Primary data"),
                y=labels,
                x=primary,
                orientation="h",
                marker={"color": POSITIVE},
                hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
            ),
            go.Bar(
                name=_("Secondary data"),
                y=labels,
                x=secondary,
                orientation="h",
                marker={"color": GREY},
                hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        _layout(
            _("Primary-data share of each footprint (%)"),
            barmode="stack",
            height=max(180, 60 + 36 * len(rows)),
            xaxis={"range": [0, 100], "ticksuffix": " %", "gridcolor": "#e3e9ea"},
            yaxis={"automargin": True, "autorange": "reversed"},
            legend={"orientation": "h", "y": -0.15},
        )
    )
    return fig


def composition(parts: Mapping[str, float], names: Mapping[str, str], unit: str) -> go.Figure:
    """One stacked bar: the footprint by where its numbers come from (coverage.PARTS);
    a negative part (a credit) stacks below zero, so the bar's net length is the footprint."""
    shown = [(k, v) for k, v in parts.items() if v]
    total = sum(parts.values())
    fig = go.Figure(
        [
            go.Bar(
                name=names.get(k, k),
                x=[v],
                y=[""],
                orientation="h",
                marker={"color": PART_COLOURS.get(k, NEGATIVE)},
                hovertemplate=f"{names.get(k, k)}: %{{x:,.2f}} {KG} / {unit}"
                + (f" ({100 * v / total:.1f} %)" if total else "")
                + "<extra></extra>",
            )
            for k, v in shown
        ]
    )
    title = _(
        "Where the footprint's numbers come from (%(unit)s per %(declared)s)",
        unit=KG,
        declared=unit,
    )
    fig.update_layout(
        _layout(
            title,
            barmode="relative",
            height=220,
            xaxis={"gridcolor": "#e3e9ea"},
            legend={"orientation": "h", "y": -0.3},
            meta={"total": total},
        )
    )
    return fig


@dataclass(frozen=True)
class GapBar:
    label: str
    contribution: float


def gaps(bars: Sequence[GapBar], unit: str) -> go.Figure:
    """The largest secondary parts, then one "other" bar with the rest; Σ bars = Σ gaps."""
    shown = list(bars[:GAP_BARS])
    rest = sum(b.contribution for b in bars[GAP_BARS:])
    if len(bars) > GAP_BARS:
        shown.append(GapBar(_("Other secondary inputs"), rest))
    fig = go.Figure(
        go.Bar(
            y=[b.label for b in shown],
            x=[b.contribution for b in shown],
            orientation="h",
            marker={"color": "#f28e2b"},
            hovertemplate="%{y}: %{x:,.3f} " + f"{KG} / {unit}" + "<extra></extra>",
        )
    )
    title = _(
        "Secondary data upstream, largest first (%(unit)s per %(declared)s)", unit=KG, declared=unit
    )
    fig.update_layout(
        _layout(
            title,
            height=max(200, 70 + 30 * len(shown)),
            xaxis={"title": {"text": KG}, "gridcolor": "#e3e9ea"},
            yaxis={"automargin": True, "autorange": "reversed"},
            meta={"total": sum(b.contribution for b in bars)},
        )
    )
    return fig


def sparkline(
    values: Sequence[Decimal | float], label: str, width: int = 96, height: int = 24
) -> Markup:
    """A tiny inline SVG line of a product's totals across periods (oldest first): no script,
    so it needs no chart library and keeps the page light. One value: a dot."""
    numbers = [float(v) for v in values]
    if not numbers:
        return Markup("")
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = (width - 4) / max(len(numbers) - 1, 1)
    points = [
        (2 + i * step, height - 2 - (height - 4) * (v - low) / span if high > low else height / 2)
        for i, v in enumerate(numbers)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last = points[-1]
    return Markup(
        '<svg class="sparkline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="{label}"><polyline points="{path}" fill="none" stroke="{c}" '
        'stroke-width="1.5"/><circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{c}"/></svg>'
    ).format(w=width, h=height, label=label, path=path, c=TOTAL, x=last[0], y=last[1])
