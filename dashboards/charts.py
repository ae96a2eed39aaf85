"""Plotly figures onto pages without inline JavaScript or a CDN.

A figure becomes an empty `<div data-figure=ID>` and its JSON in a `<script
type="application/json" id=ID>` block, which browsers never execute; `static/js/charts.js` calls
`Plotly.newPlot` on each. plotly.js itself is the vendored copy in `static/vendor/plotly/`
(the pinned `plotly` package's own bundle). So a Content-Security-Policy of `script-src 'self'`
holds, and nothing is fetched from another host at run time (docs/design.md, invariants).
"""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup
from plotly.graph_objects import Figure

# JSON inside a <script> element ends at the first "</"; escaping <, > and & keeps any label
# (a product name, say) from closing the element or opening markup.
_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def figure_json(fig: Figure) -> str:
    """The figure as JSON safe to place inside a script element."""
    return str(fig.to_json(validate=False)).translate(_UNSAFE)


def render(fig: Figure, element_id: str, label: str) -> Markup:
    """The figure's container and its data block; `label` names the chart for screen readers."""
    data_id = f"{element_id}-data"
    return Markup(
        '<div class="chart" id="{id}" data-figure="{data}" role="img" aria-label="{label}"></div>'
        '<script type="application/json" id="{data}">{json}</script>'
    ).format(id=element_id, data=data_id, label=label, json=Markup(figure_json(fig)))


def scripts() -> Markup:
    """The script tags a page with charts needs (plotly.js, then the drawing code)."""
    return Markup("").join(
        Markup('<script src="{}" defer></script>').format(url_for("dashboards.static", filename=f))
        for f in ("vendor/plotly/plotly.min.js", "js/charts.js")
    )
