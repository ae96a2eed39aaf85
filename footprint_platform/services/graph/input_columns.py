"""A period's input rows as columns, in the order the graph takes them (product row, then input
position), with the masks that sort them into what each becomes: an edge from a supplier's
product or its pending leaf, an edge from a dataset's leaf, the supplier's own emissions, or a
row the per-row code in `edges` handles (scrap, co-products, imported footprints, recycled
content and end of life, anything that would raise). Built once per graph with C-speed passes
over the ~700k rows of a 100k-product period instead of a Python function call per row
(bench/RESULTS.md, "Ninth round")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from footprint_platform.models import PRIMARY_PROVENANCE

# positions in an input row (rows.py `_INPUT_COLUMNS`)
SUB, POSITION, KIND, STAGE, QTY, UNIT, CODE, LINKED, EXTERNAL, KM = range(10)
F_UNIT, F_VALUE, R_SHARE, R_CODE, R_UNIT, R_VALUE = 12, 13, 14, 15, 16, 17
PROVENANCE, RATINGS = 20, 21
# the columns every row is read with (rows.COMMON_COLUMNS); the others are NULL in most rows
COMMON: tuple[int, ...] = (SUB, POSITION, KIND, STAGE, QTY, UNIT, CODE, LINKED, KM, F_UNIT)
COMMON += (F_VALUE, PROVENANCE, RATINGS, RATINGS + 1, RATINGS + 2)


def factorize(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """(distinct values in first-seen order, each value's index among them), None included."""
    names = list(dict.fromkeys(values))
    index = {v: k for k, v in enumerate(names)}
    return names, np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))


def _floats(values: Sequence[Any]) -> np.ndarray:
    """Numbers as float64, None as NaN (a column of None, as the rows' ratings mostly are,
    without converting each)."""
    if values.count(None) == len(values):
        return np.full(len(values), np.nan)
    return np.array(values, dtype=np.float64).reshape(len(values))


class InputColumns:
    """The rows sorted as the graph reads them (`order[k]` is the k-th row's index in the
    input: `common` rows first, then `rows`), each column that decides what a row becomes, and
    its product row (`me`). `common` (rows.Inputs): columns by position in an input row, the
    uncommon ones absent (None in every such row)."""

    def __init__(
        self,
        rows: Sequence[Sequence[Any]],
        by_sub: Mapping[int, int],
        common: Mapping[int, Sequence[Any]] | None = None,
        kept: np.ndarray | None = None,
    ) -> None:
        self.rows, self.common = rows, dict(common or {})
        self.n_common = len(self.common[SUB]) if self.common else 0
        width = RATINGS + 3
        rest = list(zip(*rows, strict=True)) if rows else [()] * width
        cols = {k: self._joined(k, rest[k]) for k in COMMON}
        m = len(cols[SUB])
        me = _product_rows(by_sub, cols[SUB], self.n_common)
        order = np.lexsort((_floats(cols[POSITION]), me))
        if kept is not None:  # the common rows not kept, left out (rows are all kept)
            keep = np.concatenate([kept, np.ones(m - self.n_common, dtype=bool)])
            order = order[keep[order]]
        self.order = order
        self.me = me[self.order]
        self.kind_names, self.kind = self._codes(cols[KIND])
        self.stage_names, self.stage = self._codes(cols[STAGE])
        self.unit_names, self.unit = self._codes(cols[UNIT])
        self.code_names, self.code = self._codes(cols[CODE])
        self.f_unit_names, self.f_unit = self._codes(cols[F_UNIT])
        self.qty = _floats(cols[QTY])[self.order]
        self.linked = _floats(cols[LINKED])[self.order]
        self.km = _floats(cols[KM])[self.order]
        self.f_value = _floats(cols[F_VALUE])[self.order]
        # the uncommon columns: read only in `rows`
        self.r_share = self._sorted(
            np.concatenate([np.full(self.n_common, np.nan), _floats(rest[R_SHARE])])
        )
        self.has_external = self._present(rest[EXTERNAL])
        self.has_r_code = self._present(rest[R_CODE])
        self.has_r_unit = self._present(rest[R_UNIT])
        self.has_r_value = self._present(rest[R_VALUE])
        prov_names, prov = factorize(cols[PROVENANCE])
        counted = np.array([p is None or p in PRIMARY_PROVENANCE for p in prov_names])
        self.counted = counted[prov][self.order]  # None: rows from before migration 0029
        self.ratings = np.column_stack(
            [_floats(cols[k]) for k in range(RATINGS, RATINGS + 3)]
        ).reshape(m, 3)[self.order]
        self.rated = ~np.isnan(self.ratings).any(axis=1)

    def _joined(self, k: int, rest: Sequence[Any]) -> Sequence[Any]:
        """Column k (a common one) of the common rows, then of `rows`."""
        return [*self.common[k], *rest] if self.n_common else rest

    def _sorted(self, values: np.ndarray) -> np.ndarray:
        return values[self.order]

    def _codes(self, values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
        names, codes = factorize(values)
        return names, codes[self.order]

    def _present(self, rest: Sequence[Any]) -> np.ndarray:
        """Whether an uncommon column holds a value (never in the common rows)."""
        found = np.zeros(self.n_common + len(rest), dtype=bool)
        found[self.n_common :] = np.fromiter(map(_not_none, rest), dtype=bool, count=len(rest))
        return found[self.order]

    def row(self, k: int) -> Sequence[Any]:
        """The k-th row (in graph order) as read, None in a common row's uncommon columns."""
        i = int(self.order[k])
        if i >= self.n_common:
            return self.rows[i - self.n_common]
        return tuple(self.common[c][i] if c in self.common else None for c in range(RATINGS + 3))

    def is_kind(self, kind: str) -> np.ndarray:
        return self._is(self.kind_names, self.kind, kind)

    def is_none(self, names: list[Any], codes: np.ndarray) -> np.ndarray:
        return self._is(names, codes, None)

    @staticmethod
    def _is(names: list[Any], codes: np.ndarray, value: Any) -> np.ndarray:
        return codes == names.index(value) if value in names else np.zeros(len(codes), bool)

    def factors(
        self, wanted: np.ndarray, to_t: np.ndarray, convert: Callable[[str, str], float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each wanted row's conversion factor from its unit to its factor's unit (to tonnes
        where `to_t`: transport by distance), one `convert` per distinct pair; and which rows'
        pairs do not convert (left to the per-row code, which reports them in order)."""
        width = len(self.f_unit_names) + 1  # the last column: tonnes
        pair = self.unit[wanted] * width + np.where(to_t[wanted], width - 1, self.f_unit[wanted])
        pairs, which = np.unique(pair, return_inverse=True)
        table, refused = np.ones(len(pairs)), np.zeros(len(pairs), dtype=bool)
        for k, p in enumerate(pairs.tolist()):
            unit = self.unit_names[p // width]
            target = "t" if p % width == width - 1 else self.f_unit_names[p % width]
            try:
                table[k] = convert(unit, target)
            except (ValueError, TypeError):
                refused[k] = True
        factor, bad = np.ones(len(self.me)), np.zeros(len(self.me), dtype=bool)
        factor[wanted], bad[wanted] = table[which], refused[which]
        return factor, bad


def _product_rows(by_sub: Mapping[int, int], subs: Sequence[Any], n_common: int) -> np.ndarray:
    """Each row's product row by its submission; -1 for a common row of a submission not in
    `by_sub` (one not kept)."""
    me = np.full(len(subs), -1, dtype=np.int64)
    if n_common:
        keys = np.fromiter(by_sub, dtype=np.int64, count=len(by_sub))
        values = np.fromiter(by_sub.values(), dtype=np.int64, count=len(by_sub))
        order = np.argsort(keys)
        keys, values = keys[order], values[order]
        sub = np.array(subs[:n_common], dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, sub), max(len(keys) - 1, 0))
        found = keys[at] == sub if len(keys) else np.zeros(n_common, dtype=bool)
        me[:n_common][found] = values[at[found]]
    rest = subs[n_common:]
    me[n_common:] = np.fromiter(map(by_sub.__getitem__, rest), dtype=np.int64, count=len(rest))
    return me


def _not_none(value: Any) -> bool:
    return value is not None
