"""The light page a label's QR code opens (`/q/<public id>`): the declaration's key figures as
text and its stored stages as inline SVG bars, with no script at all, so a phone on a slow
network shows it at once; the full page (`/d/<public id>`, with its interactive chart and files)
is one link away. Pure: stored numbers and labels in, bar geometry out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The bars' own coordinates (each SVG scales to the width of the screen).
WIDTH, ROW = 320, 28


@dataclass(frozen=True)
class Bar:
    """One stage: its label, stored value, share of the total, and the bar's place."""

    code: str
    label: str
    value: float
    share: float
    y: int
    width: float
    credit: bool


def stage_bars(
    by_stage: Mapping[str, str | float],
    stage_order: Sequence[str],
    total: float,
    labels: Mapping[str, str],
) -> list[Bar]:
    """A bar per stage with a non-zero stored value, in the rule's order; widths are relative
    to the largest magnitude so a credit (a negative end-of-life value) shows as a bar too."""
    codes = [s for s in stage_order if s in by_stage]
    codes += [s for s in by_stage if s not in stage_order]
    values = [(c, float(by_stage[c])) for c in codes if float(by_stage[c])]
    largest = max((abs(v) for _, v in values), default=0.0) or 1.0
    return [
        Bar(
            code=c,
            label=labels.get(c, c),
            value=v,
            share=(v / total * 100) if total else 0.0,
            y=i * ROW,
            width=round(abs(v) / largest * WIDTH, 1),
            credit=v < 0,
        )
        for i, (c, v) in enumerate(values)
    ]
