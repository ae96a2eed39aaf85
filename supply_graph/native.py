"""The optional compiled kernel (`_sweep.c`): a topological order and the forward substitution of
a graph listed in any node order, in one call and in the graph's own numbering.

numpy gives the same numbers bit for bit (`solve.topological_order`, `solve.lower_triangle`,
`solve.sweep`), but needs a counting sort for Kahn's structure, one numpy step per level, a
second counting sort to renumber Aᵀ and gathers into the order and back: a cold roll-up of a
randomly listed 100k-node chain took ~37 ms CPU that way and ~21 ms with the kernel
(bench/RESULTS.md, "Ninth round"). `make install` builds the kernel with the system's C
compiler; without it (no compiler, another platform) `available()` is False and callers take
the numpy path.
"""

from __future__ import annotations

import ctypes
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
        lib.sg_topological_order.argtypes = [i64, i64, ptr, ptr, ptr]
        lib.sg_topological_order.restype = i64
        lib.sg_solve_any_order.argtypes = [i64, i64, ptr, ptr, ptr, ptr, i64, ptr, i64]
        lib.sg_solve_any_order.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return lib


KERNEL = _load()


def available(n: int = 0, nnz: int = 0) -> bool:
    """Whether the kernel is loaded and the graph's counts fit its 32-bit indices."""
    return KERNEL is not None and max(n, nnz) < _LIMIT


def _edges(provider: Index, consumer: Index) -> tuple[IntArray, IntArray]:
    as64 = np.ascontiguousarray  # no copy for the int64 columns graphs are made of
    return as64(provider, dtype=np.int64), as64(consumer, dtype=np.int64)


def topological_order(n: int, provider: Index, consumer: Index) -> IntArray | None:
    """Nodes in an order where every edge runs forwards, or None when the graph has a loop."""
    provider, consumer = _edges(provider, consumer)
    order = np.empty(n, dtype=np.int32)
    placed: int = KERNEL.sg_topological_order(
        n, provider.shape[0], provider.ctypes.data, consumer.ctypes.data, order.ctypes.data
    )
    if placed < 0:
        raise MemoryError("supply_graph kernel: no memory for the edges grouped by consumer")
    return order.astype(np.int64) if placed == n else None


def solve_any_order(
    provider: Index, consumer: Index, amount: FloatArray, *blocks: npt.NDArray[np.float64]
) -> bool:
    """blocks[0] and blocks[1] (n × k each, C-contiguous float64, rows in graph order) ←
    (I − Aᵀ)⁻¹ themselves, with A[provider[e], consumer[e]] += amount[e]. False when the graph
    has a loop (found before any sweep: the blocks are left as they were)."""
    provider, consumer = _edges(provider, consumer)
    amount = np.ascontiguousarray(amount, dtype=np.float64)
    f, g = blocks
    for block in blocks:
        if block.dtype != np.float64 or not block.flags.c_contiguous or block.ndim != 2:
            raise ValueError("each block must be a C-contiguous float64 (n, k) array")
    status: int = KERNEL.sg_solve_any_order(
        f.shape[0],
        provider.shape[0],
        provider.ctypes.data,
        consumer.ctypes.data,
        amount.ctypes.data,
        f.ctypes.data,
        f.shape[1],
        g.ctypes.data,
        g.shape[1],
    )
    if status < 0:
        raise MemoryError("supply_graph kernel: no memory for the edges grouped by consumer")
    return status == 0
