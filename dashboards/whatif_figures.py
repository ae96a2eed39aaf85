"""The figure of what-if scenarios: one stacked bar per scenario (the current footprint first),
its segments the life-cycle stages, so every bar adds up to its scenario's total (a credit
stacks below zero). Pure: numbers and labels in, a plotly figure out; tests/dashboards check
the sums to 1e-9."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from flask_babel import gettext as _

from dashboards.figures import KG, PALETTE, TOTAL, _layout


@dataclass(frozen=True)
class Column:
    """One bar: a scenario's name, its footprint by stage and its total."""

    name: str
    by_stage: Mapping[str, float]
    total: float


def scenario_bars(
    columns: Sequence[Column],
    stage_order: Sequence[str],
    stage_labels: Mapping[str, str],
    declared_unit: str,
) -> go.Figure:
    """Stages stacked per scenario, in the rule's order; the total marked above each bar."""
    names = [c.name for c in columns]
    stages = [s for s in stage_order if any(c.by_stage.get(s) for c in columns)]
    stages += [s for c in columns for s in c.by_stage if s not in stages and c.by_stage[s]]
    stages = list(dict.fromkeys(stages))
    fig = go.Figure()
    for k, stage in enumerate(stages):
        label = stage_labels.get(stage, stage)
        fig.add_trace(
            go.Bar(
                x=names,
                y=[float(c.by_stage.get(stage, 0.0)) for c in columns],
                name=label,
                marker={"color": PALETTE[k % len(PALETTE)]},
                hovertemplate=f"{label}: %{{y:,.3f}} {KG} / {declared_unit}<extra></extra>",
            )
        )
    totals = [float(c.total) for c in columns]
    fig.add_trace(
        go.Scatter(
            x=names,
            y=totals,
            mode="markers+text",
            name=_("Total"),
            text=[f"{t:,.2f}" for t in totals],
            textposition="top center",
            cliponaxis=False,
            marker={"color": TOTAL, "symbol": "line-ew-open", "size": 28, "line": {"width": 3}},
            hovertemplate=_("Total") + ": %{y:,.3f} " + KG + "<extra></extra>",
        )
    )
    title = _("By life-cycle stage (%(unit)s per %(declared)s)", unit=KG, declared=declared_unit)
    fig.update_layout(
        _layout(
            title,
            barmode="relative",
            legend={"orientation": "h", "y": -0.15},
            xaxis={"automargin": True},
            yaxis={"title": {"text": KG}, "automargin": True, "gridcolor": "#e3e9ea"},
            meta={"totals": totals},
        )
    )
    return fig
