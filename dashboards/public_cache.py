"""The public declaration page's content (title and main block), rendered once and kept in
process memory while nothing it shows has changed: the page a QR code on a label opens must
stay fast under load (bench/load.py, figures in bench/RESULTS.md).

The key is the declaration, the language, the host (the label's address may name it) and a
stamp of everything the content reads that can change after publishing
(`public_queries.page_stamp`, three small column queries): the declaration's status,
withdrawal and publication; its product, organization and site rows; the published versions of
the same product and period; its latest verification and the verifier's names. The
declaration's figures themselves never change once published. The rule, classes and factor
releases are files or immutable rows. So a hit shows exactly what a fresh render would. The
layout around the content (language switch with its CSRF token, who is signed in, the nonce)
is rendered per request as on every page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app
from markupsafe import Markup

MAX_ENTRIES = 2048  # ~10 KiB each: at most ~20 MiB per process
SEPARATOR = "<!--tanlian:content-->"  # between title and content in public/_bare.html

EXTENSION = "tanlian_public_cache"


class _Kept:
    """One application's kept pages, least recently used first."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[Any, ...], tuple[Markup, Markup]] = OrderedDict()
        self.lock = threading.Lock()


def _kept() -> _Kept:
    kept = current_app.extensions.get(EXTENSION)
    if kept is None:
        kept = current_app.extensions.setdefault(EXTENSION, _Kept())
    return kept  # type: ignore[no-any-return]


def content(key: tuple[Any, ...], render: Callable[[], str]) -> tuple[Markup, Markup]:
    """(title, content) for the key: kept, or `render()`ed (public/_bare.html's output) and
    kept. The key carries the settings the content reads (the label's base address)."""
    kept = _kept()
    key = (*key, current_app.config.get("PUBLIC_BASE_URL") or "")
    with kept.lock:
        hit = kept.entries.get(key)
        if hit is not None:
            kept.entries.move_to_end(key)
            return hit
    title, _, body = render().partition(SEPARATOR)
    entry = (Markup(title.strip()), Markup(body))
    with kept.lock:
        kept.entries[key] = entry
        while len(kept.entries) > MAX_ENTRIES:
            kept.entries.popitem(last=False)
    return entry


def clear() -> None:
    kept = _kept()
    with kept.lock:
        kept.entries.clear()
