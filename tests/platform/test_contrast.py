"""Colour contrast of our stylesheet, computed from its own values (WCAG 2.1 relative luminance):
text and links at least 4.5:1 against the backgrounds they sit on (1.4.3), the focus ring at
least 3:1 (1.4.11). A colour changed in tanlian.css is checked here without a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).parents[2] / "footprint_platform" / "static" / "css" / "tanlian.css"
TEXT, NON_TEXT = 4.5, 3.0


def rules(css: str) -> dict[str, dict[str, str]]:
    """Selector → its declarations from the top-level rules, later ones overriding earlier ones
    as the cascade does (@media blocks left out: they change sizes, not colours)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    found: dict[str, dict[str, str]] = {}
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        decls = dict(
            (k.strip(), v.strip())
            for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d)
        )
        for one in selector.split(","):
            found.setdefault(" ".join(one.split()), {}).update(decls)
    return found


STYLE = rules(CSS.read_text(encoding="utf-8"))
VARIABLES = {k: v for k, v in STYLE[":root"].items() if k.startswith("--")}


def colour(value: str) -> str:
    """A colour value as #rrggbb: variables resolved, the first colour of a shorthand taken."""
    value = re.sub(r"var\((--[\w-]+)\)", lambda m: VARIABLES[m.group(1)], value)
    found = re.search(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", value)
    assert found, f"no colour in {value!r}"
    hex6 = found.group(1) if len(found.group(1)) == 6 else "".join(c * 2 for c in found.group(1))
    return "#" + hex6.lower()


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def style(selector: str, prop: str) -> str:
    return colour(STYLE[selector][prop])


PAGE = style("body", "background")
WHITE = "#ffffff"  # the header, tables and cards
HEADER_CELL = style("th", "background")
# (what, foreground, background): each text colour on every background it is used on
PAIRS = [
    ("body text", style("body", "color"), PAGE),
    ("body text in tables and cards", style("body", "color"), WHITE),
    ("body text in table headers", style("body", "color"), HEADER_CELL),
    ("links", style("a", "color"), PAGE),
    ("links in tables, cards, the header", style("a", "color"), WHITE),
    ("links in table headers", style("a", "color"), HEADER_CELL),
    ("link-styled buttons (language switch)", style("button.link", "color"), WHITE),
    ("the brand's latin name", style(".brand span", "color"), WHITE),
    ("muted text and hints", style(".muted", "color"), PAGE),
    ("muted text in cards", style(".muted", "color"), WHITE),
    ("fact names", style(".facts dt", "color"), PAGE),
    ("the footer", style(".foot", "color"), PAGE),
    ("a heading's small part", style("h1 small", "color"), PAGE),
    ("tags", style("body", "color"), style(".tag", "background")),
    ("buttons", style("button", "color"), style("button", "background")),
    ("danger buttons", style("button", "color"), style("button.danger", "background")),
    ("error messages", style(".error", "color"), PAGE),
    ("info messages", style(".flash", "color"), style(".flash", "background")),
    ("success messages", style(".flash.success", "color"), style(".flash.success", "background")),
    ("error banners", style(".flash.error", "color"), style(".flash.error", "background")),
    ("autosave status", style(".autosave", "color"), style(".autosave", "background")),
    ("autosave saved", style(".autosave[data-state=saved]", "color"), WHITE),
    ("autosave refused", style(".autosave[data-state=error]", "color"), WHITE),
    (
        "overdue requests",
        style(".request-overdue", "color"),
        style(".request-overdue", "background"),
    ),
]


@pytest.mark.parametrize(("what", "fg", "bg"), PAIRS, ids=[p[0] for p in PAIRS])
def test_text_colours_reach_4_5_to_1(what: str, fg: str, bg: str) -> None:
    assert ratio(fg, bg) >= TEXT, f"{what}: {fg} on {bg} is {ratio(fg, bg):.2f}:1"


@pytest.mark.parametrize("bg", [PAGE, WHITE, HEADER_CELL])
def test_the_focus_ring_stands_out_3_to_1(bg: str) -> None:
    ring = style("a:focus", "outline")
    assert ratio(ring, bg) >= NON_TEXT


def test_the_formula_matches_wcag_reference_values() -> None:
    """Black on white is 21:1; the WCAG example #767676 on white is just above 4.5:1."""
    assert ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert ratio("#777777", "#ffffff") < TEXT
    assert colour("var(--brand)") == VARIABLES["--brand"] and colour("#FFF") == WHITE
