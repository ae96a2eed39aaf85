"""Node ids -> rows for millions of edge endpoints at once, as numpy arrays.

A dict lookup per endpoint costs several dependent cache misses (table, entry, key, value) in a
table far larger than the cache: ~0.3 µs each, seconds for a 1M-node graph's 10M endpoints.
Here the ids' own `hash()` values go into an open-addressing table (linear probing, at most
half full) held in two numpy arrays, so a whole slice of endpoints is probed by vectorised
gathers whose misses overlap. A hash match is then confirmed by comparing the strings (one
vectorised comparison against the ids array), so a name that is not an id can never be taken
for one whose hash it happens to share.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


class IdTable:
    """Rows of `ids` by name; `None` from `build` when two ids share a hash (duplicates)."""

    def __init__(self, ids: npt.NDArray[np.str_], slots: IntArray) -> None:
        """`slots`: (size + n, 2), a hash and its row side by side (one cache line per probe),
        row -1 where free."""
        self.ids, self.slots = ids, slots
        self.mask = np.int64(slots.shape[0] - ids.shape[0] - 1)
        # one character wider than the longest id: a longer name, cut to this width, is still
        # longer than every id, so it cannot compare equal to one; a given width spares numpy
        # its pass over the names for their longest (5x faster at a million names)
        self.wide = np.dtype(f"U{ids.dtype.itemsize // 4 + 1}")

    @classmethod
    def build(cls, ids: npt.NDArray[np.str_], hashes: IntArray) -> IdTable | None:
        """Place every id at the first free slot from `hash & mask` on (slots past the end
        instead of wrapping round: at most n of them)."""
        n = hashes.shape[0]
        size = 1 << max(1, int(2 * n - 1).bit_length())
        home = hashes & np.int64(size - 1)
        ordered = np.sort(hashes)
        if (ordered[1:] == ordered[:-1]).any():
            return None
        order = np.argsort(home, kind="stable")
        start = home[order]
        step = np.arange(n, dtype=np.int64)
        slot = np.maximum.accumulate(start - step) + step if n else step
        slots = np.zeros((size + n, 2), dtype=np.int64)
        slots[:, 1] = -1
        slots[slot, 0], slots[slot, 1] = hashes[order], order
        return cls(ids, slots)

    def find(self, names: Sequence[str]) -> IntArray:
        """Row of each name, -1 where the name is not an id."""
        out = self.probe(np.fromiter(map(hash, names), np.int64, len(names)))
        if self.ids.shape[0]:
            same = self.ids[np.maximum(out, 0)] == np.array(names, dtype=self.wide)
            out[~same] = -1
        return out

    def probe(self, wanted: IntArray) -> IntArray:
        """Row of the id with each hash, -1 where none has it: not yet confirmed that the name
        hashed is that id (`find` compares the strings; `edgescan` the bytes)."""
        out = np.full(wanted.shape[0], -1, dtype=np.int64)
        todo = np.arange(wanted.shape[0])
        slot = wanted & self.mask
        while todo.size:
            probe = np.take(self.slots, slot, axis=0)
            row = probe[:, 1]
            hit = probe[:, 0] == wanted[todo]
            found = hit & (row >= 0)
            out[todo[found]] = row[found]
            going = ~hit & (row >= 0)
            todo, slot = todo[going], slot[going] + 1
        return out
