"""Automated accessibility checks on a page in the browser, after what WCAG 2.1 asks of us:
the document's language (3.1.1), one top heading and named controls (1.3.1, 4.1.2), text
alternatives for images (1.1.1), a viewport for phones and no sideways scrolling at 320-375 px
(1.4.10 reflow), and the main navigation and language switch reachable by keyboard (2.1.1).

Colour contrast is checked apart from the browser, from the stylesheet's own values
(tests/platform/test_contrast.py)."""

from __future__ import annotations

from typing import Any

# Runs in the page; returns the problems found, [] when none.
_AUDIT = """
(expectedLang) => {
  const problems = [];
  const text = (el) => (el.textContent || '').replace(/\\s+/g, ' ').trim();
  const lang = document.documentElement.getAttribute('lang');
  if (lang !== expectedLang) problems.push(`<html lang="${lang}">, expected "${expectedLang}"`);
  const h1 = document.querySelectorAll('h1');
  if (h1.length !== 1) problems.push(`${h1.length} <h1> elements`);
  else if (!text(h1[0])) problems.push('an empty <h1>');
  const viewport = document.querySelector('meta[name=viewport]');
  if (!viewport || !/width=device-width/.test(viewport.content)) problems.push('no viewport meta');
  if (!document.title.trim()) problems.push('no <title>');
  const byIds = (ids) => (ids || '').split(/\\s+/).filter(Boolean)
    .map((id) => document.getElementById(id)).filter(Boolean).map(text).join(' ').trim();
  const named = (el) => (el.getAttribute('aria-label') || '').trim()
    || byIds(el.getAttribute('aria-labelledby'))
    || (el.title || '').trim();
  const buttons = ['submit', 'button', 'reset', 'image'];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const what = `${el.tagName.toLowerCase()}[name=${el.name || '?'}]`;
    if (buttons.includes(el.type)) {
      if (!(el.value || '').trim() && !named(el) && !(el.alt || '').trim())
        problems.push(`${what} button without a name`);
      continue;
    }
    const labelled = [...(el.labels || [])].some((l) => text(l)) || named(el);
    if (!labelled) problems.push(`${what} without a label`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    const imgAlt = [...el.querySelectorAll('img[alt]')].map((i) => i.alt.trim()).join('');
    if (!text(el) && !named(el) && !imgAlt) problems.push(`${el.tagName.toLowerCase()} `
      + `${el.getAttribute('href') || ''} without a name`);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt'))
      problems.push(`<img src="${img.getAttribute('src')}"> without alt`);
  }
  for (const el of document.querySelectorAll('[role=img]')) {
    if (!named(el)) problems.push(`role=img ${el.id} without a label`);
  }
  const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length) problems.push(`duplicate ids: ${[...new Set(twice)].join(', ')}`);
  return problems;
}
"""

# The element that has the keyboard focus, described so a test can tell what it is.
_FOCUSED = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  return {
    nav: !!el.closest('header nav'),
    language: !!el.closest("form[action^='/language/']"),
    tag: el.tagName.toLowerCase(),
    text: (el.textContent || '').trim().slice(0, 40),
    outline: getComputedStyle(el).outlineStyle,
  };
}
"""


def expected_lang(locale: str) -> str:
    return "zh-Hans" if locale.startswith("zh") else "en"


def audit(page: Any, locale: str) -> list[str]:
    """Problems of the page as it is now (see the module's docstring), prefixed by its URL."""
    found = page.evaluate(_AUDIT, expected_lang(locale))
    return [f"{page.url}: {p}" for p in found]


def keyboard_reaches_navigation(page: Any, presses: int = 30) -> list[str]:
    """Tab from the top of the page: the main navigation and the language switch must take the
    focus, visibly (an outline), within `presses` presses."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    page.evaluate("() => window.scrollTo(0, 0)")
    seen: list[dict[str, Any]] = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused:
            seen.append(focused)
        if any(f["nav"] for f in seen) and any(f["language"] for f in seen):
            break
    problems = []
    for kind, what in (("nav", "the main navigation"), ("language", "the language switch")):
        reached = [f for f in seen if f[kind]]
        if not reached:
            problems.append(f"{page.url}: Tab never reaches {what}")
        elif reached[0]["outline"] in ("none", ""):
            problems.append(f"{page.url}: {what} takes the focus without a visible outline")
    return problems


def reflows(page: Any) -> list[str]:
    """No sideways scrolling of the page at its current (phone) width."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if widths[0] > widths[1]:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('main *')]
                 .filter((el) => el.getBoundingClientRect().right > limit + 1)
                 .slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.className ? '.'
                   + String(el.className).split(' ')[0] : '') + ' '
                   + Math.round(el.getBoundingClientRect().right))""",
            widths[1],
        )
        return [f"{page.url}: {widths[0]} px wide at {widths[1]} px: {wide}"]
    return []
