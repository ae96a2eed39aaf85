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


def factorize(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """(distinct values in first-seen order, each value's index among them), None included."""
    names = list(dict.fromkeys(values))
    index = {v: k for k, v in enumerate(names)}
    return names, np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))


def _floats(values: Sequence[Any]) -> np.ndarray:
    """Numbers as float64, None as NaN."""
    return np.array(values, dtype=np.float64).reshape(len(values))


class InputColumns:
    """The rows sorted as the graph reads them (`order[k]` is the k-th row's index in the
    input), each column that decides what a row becomes, and its product row (`me`)."""

    def __init__(self, rows: Sequence[Sequence[Any]], by_sub: Mapping[int, int]) -> None:
        self.rows = rows
        cols = list(zip(*rows, strict=True))
        me = np.fromiter(map(by_sub.__getitem__, cols[SUB]), dtype=np.int64, count=len(rows))
        self.order = np.lexsort((_floats(cols[POSITION]), me))
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
        self.r_share = _floats(cols[R_SHARE])[self.order]
        self.has_external = self._present(cols[EXTERNAL])
        self.has_r_code = self._present(cols[R_CODE])
        self.has_r_unit = self._present(cols[R_UNIT])
        self.has_r_value = self._present(cols[R_VALUE])
        prov_names, prov = factorize(cols[PROVENANCE])
        counted = np.array([p is None or p in PRIMARY_PROVENANCE for p in prov_names])
        self.counted = counted[prov][self.order]  # None: rows from before migration 0029
        self.ratings = np.column_stack(
            [_floats(cols[k]) for k in range(RATINGS, RATINGS + 3)]
        ).reshape(len(rows), 3)[self.order]
        self.rated = ~np.isnan(self.ratings).any(axis=1)

    def _codes(self, values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
        names, codes = factorize(values)
        return names, codes[self.order]

    def _present(self, values: Sequence[Any]) -> np.ndarray:
        return np.fromiter(map(_not_none, values), dtype=bool, count=len(values))[self.order]

    def row(self, k: int) -> Sequence[Any]:
        """The k-th row (in graph order) as read."""
        return self.rows[int(self.order[k])]

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


def _not_none(value: Any) -> bool:
    return value is not None
