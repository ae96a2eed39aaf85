"""A per-process cache of product breakdowns, keyed by run and product.

A run's stored results never change, and its breakdown is recomputed from the run's pins, so
the breakdown of (run, product) is fixed once computed; only its inputs' catalogue labels could
drift (a product's category edited), which the next run picks up. Explaining a vehicle of the
100k-product demo rebuilds and solves the period's graph (bench/RESULTS.md, "Product view"):
without the cache every view of the dashboard and its coverage page would pay for that again.

The key also names the database and the run's start time, so that a process that sees several
databases (tests, benchmarks) never mixes their runs up.

Bounded by the number of upstream nodes held, not by entries: one breakdown of a large chain
weighs as much as many small ones. Least recently used first out; thread-safe (the web server
is threaded); computing happens outside the lock, so two first views may both compute.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

# Upstream nodes kept over all cached breakdowns: ~200 bytes each, so about 100 MB at most.
MAX_NODES = 500_000


class Sized(Protocol):
    @property
    def size(self) -> int: ...


T = TypeVar("T", bound=Sized)

_lock = threading.Lock()
_entries: OrderedDict[Hashable, Sized] = OrderedDict()
_held = [0]  # nodes held


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """The value under `key`, computed on first use."""
    with _lock:
        found = _entries.get(key)
        if found is not None:
            _entries.move_to_end(key)
            return found  # type: ignore[return-value]
    value = compute()
    with _lock:
        if key not in _entries:
            _entries[key] = value
            _held[0] += value.size
            while _held[0] > MAX_NODES and len(_entries) > 1:
                _, old = _entries.popitem(last=False)
                _held[0] -= old.size
    return value


def clear() -> None:
    """Forget everything (tests, benchmarks)."""
    with _lock:
        _entries.clear()
        _held[0] = 0


def held() -> tuple[int, int]:
    """(entries, nodes) currently cached."""
    with _lock:
        return len(_entries), _held[0]
