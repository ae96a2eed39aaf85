"""Figures of the public pages, from stored figures only: a published declaration's own stage
breakdown (the numbers pinned in it, never the graph re-solved), and the industry overview's
spread per group. Pure: numbers and labels in, a plotly figure out; tests/dashboards check that
each figure shows exactly the numbers it stands for.

The industry boxes are drawn from each group's five numbers (lowest, quartiles, highest) — the
ones the table beside them prints — never from the declarations' own figures, so the page carries
no single company's number, and only groups of at least `PUBLIC_MIN_GROUP` appear at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from flask_babel import gettext as _

from dashboards.figures import FONT, KG, NEGATIVE, POSITIVE, TOTAL, _layout, _wrap
from footprint_platform.public_queries import Group

# Room per box or bar and for the axis and title (px): a chart grows with what it shows.
BOX_HEIGHT, BAR_HEIGHT, FRAME_HEIGHT = 56, 52, 130


def declaration_stages(
    by_stage: Mapping[str, str | float],
    stage_order: Sequence[str],
    total: float,
    stage_labels: Mapping[str, str],
    declared_unit: str,
) -> go.Figure:
    """The declaration's stored stages as a waterfall lying on its side (stage names stay
    readable on a phone), then the total bar: the stage bars add up to the declared total (the
    declaration stores both; nothing is recomputed)."""
    codes = [s for s in stage_order if s in by_stage]
    codes += [s for s in by_stage if s not in stage_order and float(by_stage[s])]
    values = [float(by_stage[s]) for s in codes]
    shown = [*values, float(total)]
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            y=[_wrap(stage_labels.get(s, s), 18) for s in codes] + [_("Total")],
            x=shown,
            measure=["relative"] * len(codes) + ["total"],
            text=[f"{v:,.2f}" for v in shown],
            textposition="outside",
            cliponaxis=False,
            increasing={"marker": {"color": POSITIVE}},
            decreasing={"marker": {"color": NEGATIVE}},
            totals={"marker": {"color": TOTAL}},
            connector={"line": {"color": "#9aa9ad"}},
            hovertemplate="%{y}: %{x:,.3f} " + f"{KG} / {declared_unit}" + "<extra></extra>",
        )
    )
    unit = f"{KG} / {declared_unit}"
    fig.update_layout(
        _layout(
            _("Footprint by life-cycle stage") + f"<br><sub>{unit}</sub>",
            showlegend=False,
            height=FRAME_HEIGHT + BAR_HEIGHT * len(shown),
            xaxis={
                "title": {"text": KG},
                "automargin": True,
                "gridcolor": "#e3e9ea",
                "zerolinecolor": "#9aa9ad",
            },
            yaxis={"automargin": True, "autorange": "reversed"},
            margin={"l": 10, "r": 40, "t": 60, "b": 10, "autoexpand": True},
            meta={"total": float(total)},
        )
    )
    return fig


def group_boxes(groups: Sequence[Group], names: Sequence[str], unit: str) -> go.Figure | None:
    """One box per shown group (`names` in the same order as `groups`, in the reader's
    language), whiskers at the lowest and highest figure; None when no group is shown."""
    shown = [(g, f"{n} (n={g.count})") for g, n in zip(groups, names, strict=True) if g.shown]
    if not shown:
        return None
    fig = go.Figure(
        go.Box(
            y=[label for _g, label in shown],
            lowerfence=[g.low for g, _l in shown],
            q1=[g.q1 for g, _l in shown],
            median=[g.median for g, _l in shown],
            q3=[g.q3 for g, _l in shown],
            upperfence=[g.high for g, _l in shown],
            orientation="h",
            boxpoints=False,
            fillcolor="#d8ebe6",
            line={"color": POSITIVE},
            hoverlabel={"font": {"family": FONT}},
            name="",
        )
    )
    fig.update_layout(
        _layout(
            unit,
            showlegend=False,
            height=FRAME_HEIGHT + BOX_HEIGHT * len(shown),
            xaxis={
                "automargin": True,
                "gridcolor": "#e3e9ea",
                "zerolinecolor": "#9aa9ad",
                "rangemode": "tozero",
            },
            yaxis={"automargin": True, "autorange": "reversed", "linecolor": TOTAL},
            meta={"groups": len(shown)},
        )
    )
    return fig
