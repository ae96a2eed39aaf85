"""The optional compiled kernel (`_sweep.c`): a topological order and the forward substitution of
a graph listed in any node order, in the graph's own numbering (the order first, so that a loop
is known before any right-hand side is built; then the sweep), and the quality right-hand sides
and shares of `quality`, each in one pass over the rows.

numpy gives the same numbers bit for bit (`solve.topological_order`, `solve.lower_triangle`,
`solve.sweep`), but needs a counting sort for Kahn's structure, one numpy step per level, a
second counting sort to renumber Aᵀ and gathers into the order and back: a cold roll-up of a
randomly listed 100k-node chain took ~37 ms CPU that way and ~20–22 ms with the kernel
(bench/RESULTS.md, "Ninth round"). `make install` builds the kernel with the system's C
compiler; without it (no compiler, another platform) `available()` is False and callers take
the numpy path.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from supply_graph.model import FloatArray, IntArray

Index = npt.NDArray[np.integer[Any]]

LIBRARY = Path(__file__).with_name("_sweep.so")
_LIMIT = 2**31 - 1  # the kernel's int32 row pointers and indices


def _load() -> Any:
    """The kernel, or None when it is not built, cannot load here, or lacks a function (a
    library left from another version)."""
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    try:
        lib = ctypes.CDLL(str(LIBRARY))
        lib.sg_order_new.argtypes = [i64, i64, ptr, ptr, ptr]
        lib.sg_order_new.restype = ptr
        lib.sg_order_placed.argtypes = [ptr, ptr]
        lib.sg_order_placed.restype = i64
        lib.sg_sweep.argtypes = [ptr, ptr, i64, ptr, i64]
        lib.sg_sweep.restype = None
        lib.sg_order_free.argtypes = [ptr]
        lib.sg_order_free.restype = None
        lib.sg_fill_quality.argtypes = [i64, ptr, ptr, ptr, i64, i64, ptr, i64]
        lib.sg_fill_quality.restype = None
        lib.sg_quality_shares.argtypes = [i64, ptr, ptr, i64, i64, ptr, ptr]
        lib.sg_quality_shares.restype = None
    except (OSError, AttributeError):
        return None
    return lib


KERNEL = _load()


def available(n: int = 0, nnz: int = 0) -> bool:
    """Whether the kernel is loaded and the graph's counts fit its 32-bit indices."""
    return KERNEL is not None and max(n, nnz) < _LIMIT


class Order:
    """A graph's edges grouped by consumer and a topological order of its nodes, held by the
    kernel for as long as the `ordered` block that made it runs."""

    def __init__(self, handle: int, n: int, weighted: bool) -> None:
        self._handle: int | None = handle
        self.n, self.weighted = n, weighted
        self.placed = int(KERNEL.sg_order_placed(handle, None))

    def _live(self) -> int:
        """The kernel's handle, refused once the `ordered` block has freed it (the C side
        would read freed memory)."""
        if self._handle is None:
            raise ValueError("the order was freed when its `ordered` block ended")
        return self._handle

    @property
    def has_loop(self) -> bool:
        """The search met a provider still on its path: no topological order exists."""
        return self.placed < self.n

    def nodes(self) -> IntArray:
        """The order itself (a graph without loops)."""
        out = np.empty(self.placed, dtype=np.int32)
        KERNEL.sg_order_placed(self._live(), out.ctypes.data)
        return out.astype(np.int64)

    def sweep(self, f: npt.NDArray[np.float64], g: npt.NDArray[np.float64]) -> None:
        """f ← (I − Aᵀ)⁻¹ f and g ← (I − Aᵀ)⁻¹ g in place (n × k each, C-contiguous float64,
        rows in graph order); the order must have been made with the amounts and be loop-free."""
        for block in (f, g):
            if block.dtype != np.float64 or not block.flags.c_contiguous or block.ndim != 2:
                raise ValueError("each block must be a C-contiguous float64 (n, k) array")
            if block.shape[0] != self.n:
                raise ValueError("each block must have one row per node")
        if self.has_loop:
            raise ValueError("a graph with a loop has no topological order to sweep in")
        if not self.weighted:  # the kernel holds no amounts to multiply by
            raise ValueError("the order was made without the amounts a sweep needs")
        KERNEL.sg_sweep(self._live(), f.ctypes.data, f.shape[1], g.ctypes.data, g.shape[1])


@contextmanager
def ordered(
    n: int, provider: Index, consumer: Index, amount: FloatArray | None = None
) -> Iterator[Order]:
    """The kernel's `Order` of a graph (with its amounts, for `Order.sweep`), freed on exit."""
    as64 = np.ascontiguousarray  # no copy for the int64 columns graphs are made of
    provider, consumer = as64(provider, dtype=np.int64), as64(consumer, dtype=np.int64)
    values = None if amount is None else as64(amount, dtype=np.float64)
    handle = KERNEL.sg_order_new(
        n,
        provider.shape[0],
        provider.ctypes.data,
        consumer.ctypes.data,
        None if values is None else values.ctypes.data,
    )
    if not handle:
        raise MemoryError("supply_graph kernel: no memory for the edges grouped by consumer")
    order = Order(handle, n, values is not None)
    try:
        yield order
    finally:
        KERNEL.sg_order_free(handle)
        order._handle = None


def fill_quality(
    out: FloatArray, own: FloatArray, primary: FloatArray, ratings: FloatArray
) -> bool:
    """`quality._fill_quality` in one pass over the rows (the same products); False, with `out`
    untouched, when there is no kernel or a block's rows are not laid out for it (columns side
    by side: float64 with a unit column stride, as the views of a wider block are)."""
    so, sr = _row_stride(out), _row_stride(ratings)
    if KERNEL is None or so is None or sr is None or out.shape[1] != ratings.shape[1] + 2:
        return False
    own = np.ascontiguousarray(own, dtype=np.float64)
    primary = np.ascontiguousarray(primary, dtype=np.float64)
    n, r = out.shape[0], ratings.shape[1]
    if own.shape != (n,) or primary.shape != (n,) or ratings.shape[0] != n:
        raise ValueError("own, primary and ratings must have one row per row of out")
    KERNEL.sg_fill_quality(
        n, own.ctypes.data, primary.ctypes.data, ratings.ctypes.data, r, sr, out.ctypes.data, so
    )
    return True


def quality_shares(total: FloatArray, solved: FloatArray) -> tuple[FloatArray, FloatArray] | None:
    """`quality.quality_from_solution`'s share and ratings (n, r) in one pass over the rows (the
    same divisions); None when there is no kernel or `solved` is not laid out for it."""
    ss = _row_stride(solved)
    if KERNEL is None or ss is None:
        return None
    total = np.ascontiguousarray(total, dtype=np.float64)
    n, r = solved.shape[0], solved.shape[1] - 2
    if total.shape != (n,) or r < 0:
        raise ValueError("total must have one value per solved row, and solved two columns")
    share, rated = np.empty(n), np.empty((n, r))
    KERNEL.sg_quality_shares(
        n, total.ctypes.data, solved.ctypes.data, r, ss, share.ctypes.data, rated.ctypes.data
    )
    return share, rated


def _row_stride(x: FloatArray) -> int | None:
    """The distance between x's rows in float64s, or None unless x is a float64 (n, k) block
    with side-by-side columns."""
    if x.dtype != np.float64 or x.ndim != 2:
        return None
    row, column = x.strides
    if (column != 8 and x.shape[1] > 1) or row < 8 * x.shape[1] or row % 8:
        return None
    return row // 8


def topological_order(n: int, provider: Index, consumer: Index) -> IntArray | None:
    """Nodes in an order where every edge runs forwards, or None when the graph has a loop."""
    with ordered(n, provider, consumer) as order:
        return None if order.has_loop else order.nodes()
