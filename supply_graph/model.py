"""The supply graph: nodes with direct emissions by stage, edges with amounts, held as arrays.

A graph of a million nodes must not hold a million Python objects, so `SupplyGraph` stores
columns (numpy arrays) and builds its id index and sparse matrix on first use. `Node` and `Edge`
are the friendly record form the platform and the tests use to build small graphs.

One module because the graph's arrays and their validation are one data structure; its friendly
record form (`Node`, `Edge`) builds exactly those arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import cast

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from supply_graph.errors import (
    DuplicateNode,
    GraphFormatError,
    InvalidValue,
    NegativeAmount,
    UnitMismatch,
    UnknownNode,
    UnknownStage,
)
from supply_graph.units import conversion_factor, is_unit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_STAGE = "total"
ALLOCATION_BASES = ("mass", "energy", "economic", "other")


@dataclass(frozen=True)
class Allocation:
    """Share of a multi-output process's burden that falls on this product (0 < share <= 1).

    The node's direct emissions and its input amounts are stated for the whole process per
    declared unit of this product; the footprint is f_j = share_j (e_j + sum_i A[i, j] f_i).
    """

    basis: str
    share: float


@dataclass(frozen=True)
class Node:
    """One product or factor dataset: kg CO2e per declared `unit` from the node itself."""

    id: str
    unit: str
    direct: Mapping[str, float] | float = 0.0
    # Share (0..1) of the node's own emissions that come from primary data: True is 1.
    primary: bool | float = False
    dqr: float | None = None
    category: str | None = None
    allocation: Allocation | None = None
    # Technological, temporal and geographical ratings (PACT v3 `dqi`, each 1..5); when given
    # they replace `dqr`, which is then their mean.
    dqi: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Edge:
    """`amount` of `provider` (in `unit`, default its declared unit) per one unit of `consumer`."""

    provider: str
    consumer: str
    amount: float
    unit: str | None = None


@dataclass(frozen=True, eq=False)
class SupplyGraph:
    """A validated supply graph in columnar form (build it with `from_records` or `from_columns`).

    `amount[k]` is already in the provider's declared unit, so the technosphere matrix is
    A[provider[k], consumer[k]] += amount[k] (times the consumer's allocation share).
    """

    ids: npt.NDArray[np.str_]
    stages: tuple[str, ...]
    unit_names: tuple[str, ...]
    unit_code: IntArray
    direct: FloatArray  # (n, stages)
    primary: FloatArray  # share (0..1) of each node's own emissions from primary data
    dqr: FloatArray  # NaN where a node has no rating
    category_names: tuple[str, ...]
    category_code: IntArray  # -1 where a node has no category
    provider: IntArray
    consumer: IntArray
    amount: FloatArray
    allocations: Mapping[int, Allocation] = field(default_factory=dict)
    # (n, 3) technological, temporal, geographical ratings; None: each is the node's `dqr`
    ratings: FloatArray | None = None

    @cached_property
    def dqi(self) -> FloatArray:
        """(n, 3) technological, temporal and geographical ratings (NaN where unrated): the
        graph's own, else each node's single `dqr` in all three."""
        if self.ratings is not None:
            return self.ratings
        return np.repeat(self.dqr[:, None], 3, axis=1)

    @property
    def n_nodes(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.provider.shape[0])

    @cached_property
    def index(self) -> dict[str, int]:
        """Node id -> row number, built on first lookup."""
        return dict(zip(self.ids.tolist(), range(self.n_nodes), strict=True))

    def node_index(self, node_id: str) -> int:
        try:
            return self.index[node_id]
        except KeyError:
            raise UnknownNode(node_id) from None

    def unit_of(self, node_id: str) -> str:
        return self.unit_names[int(self.unit_code[self.node_index(node_id)])]

    @cached_property
    def allocation_share(self) -> FloatArray:
        share = np.ones(self.n_nodes)
        for i, alloc in self.allocations.items():
            share[i] = alloc.share
        return share

    @cached_property
    def effective_direct(self) -> FloatArray:
        """e_j after allocation: share_j * direct_j, shape (n, stages)."""
        if not self.allocations:
            return self.direct
        return self.direct * self.allocation_share[:, None]

    @cached_property
    def technosphere(self) -> sp.csr_matrix:
        """A (n x n, CSR): A[i, j] = amount of i per declared unit of j; duplicates add."""
        data = self.amount * self.allocation_share[self.consumer]
        n = self.n_nodes
        return sp.csr_matrix((data, (self.provider, self.consumer)), shape=(n, n))

    def relisted(self, node_order: IntArray, edge_order: IntArray | None = None) -> SupplyGraph:
        """The same graph with its nodes listed in `node_order` (row i becomes node
        node_order[i]) and its edges in `edge_order`: every footprint stays the same per id,
        only the rows move (benchmarks and tests use it to list a chain in another order)."""
        node_order = np.asarray(node_order, dtype=np.int64)
        if (
            node_order.shape != (self.n_nodes,)
            or not (np.bincount(node_order, minlength=self.n_nodes) == 1).all()
        ):
            raise ValueError("node_order must list every node exactly once")
        edges = np.arange(self.n_edges) if edge_order is None else np.asarray(edge_order)
        position = np.empty(self.n_nodes, dtype=np.int64)
        position[node_order] = np.arange(self.n_nodes, dtype=np.int64)
        return replace(
            self,
            ids=self.ids[node_order],
            unit_code=self.unit_code[node_order],
            direct=np.ascontiguousarray(self.direct[node_order]),
            primary=self.primary[node_order],
            dqr=self.dqr[node_order],
            ratings=None if self.ratings is None else self.ratings[node_order],
            category_code=self.category_code[node_order],
            provider=position[self.provider[edges]],
            consumer=position[self.consumer[edges]],
            amount=self.amount[edges],
            allocations={int(position[i]): a for i, a in self.allocations.items()},
        )

    def edge_label(self, k: int) -> str:
        """An edge in domain words: '#3 li2co3@a -> cell@c (0.62 kg)'."""
        unit = self.unit_names[int(self.unit_code[self.provider[k]])]
        return (
            f"#{k} {self.ids[self.provider[k]]} -> {self.ids[self.consumer[k]]} "
            f"({self.amount[k]:g} {unit})"
        )

    @classmethod
    def from_records(
        cls, nodes: Iterable[Node], edges: Iterable[Edge], stages: Sequence[str] | None = None
    ) -> SupplyGraph:
        """Build and validate a graph from `Node` and `Edge` records."""
        node_list = list(nodes)
        edge_list = list(edges)
        stage_names = tuple(stages) if stages else (DEFAULT_STAGE,)
        directs = [n.direct for n in node_list]
        allocations = {i: n.allocation for i, n in enumerate(node_list) if n.allocation}
        rated = any(n.dqi is not None for n in node_list)
        ratings = (
            [n.dqi if n.dqi is not None else (n.dqr, n.dqr, n.dqr) for n in node_list]
            if rated
            else None
        )
        return cls.from_columns(
            ids=[n.id for n in node_list],
            units=[n.unit for n in node_list],
            direct=direct_matrix(directs, stage_names, [n.id for n in node_list]),
            stages=stage_names,
            primary=[float(n.primary) for n in node_list],
            dqr=[n.dqr for n in node_list],
            ratings=ratings,
            categories=[n.category for n in node_list],
            allocations=allocations,
            edge_from=[e.provider for e in edge_list],
            edge_to=[e.consumer for e in edge_list],
            edge_amount=[e.amount for e in edge_list],
            edge_unit=[e.unit for e in edge_list],
        )

    @classmethod
    def from_columns(
        cls,
        *,
        ids: Sequence[str],
        units: Sequence[str],
        direct: FloatArray,
        stages: Sequence[str],
        primary: Sequence[bool | float] | BoolArray | FloatArray,
        dqr: Sequence[float | None] | FloatArray,
        categories: Sequence[str | None],
        edge_from: Sequence[str],
        edge_to: Sequence[str],
        edge_amount: Sequence[float] | FloatArray,
        edge_unit: Sequence[str | None],
        allocations: Mapping[int, Allocation] | None = None,
        ratings: Sequence[Sequence[float | None]] | FloatArray | None = None,
    ) -> SupplyGraph:
        """Validate columns (ids, units, values) and convert every edge amount to its provider's
        declared unit; errors name the node or edge at fault."""
        index = dict(zip(ids, range(len(ids)), strict=True))

        def endpoints() -> tuple[IntArray, IntArray]:
            return (
                _lookup(index, edge_from, "edge provider"),
                _lookup(index, edge_to, "edge consumer"),
            )

        if len(index) != len(ids):
            _unique_index(ids)
        return cls.from_encoded(
            ids=ids,
            units=encode_strings(units),
            direct=direct,
            stages=stages,
            primary=primary,
            dqr=np.array([np.nan if d is None else d for d in dqr], dtype=np.float64),
            categories=encode_strings(categories),
            endpoints=endpoints,
            edge_amount=edge_amount,
            edge_units=encode_strings(edge_unit),
            allocations=allocations,
            ratings=None if ratings is None else _ratings(ratings, len(ids)),
        )

    @classmethod
    def from_encoded(
        cls,
        *,
        ids: Sequence[str],
        units: tuple[tuple[str, ...], IntArray],
        direct: FloatArray,
        stages: Sequence[str],
        primary: Sequence[bool | float] | BoolArray | FloatArray,
        dqr: FloatArray,
        categories: tuple[tuple[str | None, ...], IntArray],
        endpoints: Callable[[], tuple[IntArray, IntArray]],
        edge_amount: Sequence[float] | FloatArray,
        edge_units: tuple[tuple[str | None, ...], IntArray],
        allocations: Mapping[int, Allocation] | None = None,
        ids_array: npt.NDArray[np.str_] | None = None,
        ratings: FloatArray | None = None,
    ) -> SupplyGraph:
        """`from_columns` for a loader that has checked its ids are distinct, dictionary-encoded
        its strings and looks up its edges itself (`endpoints()` gives provider and consumer
        rows or raises `UnknownNode`): the same checks after that, in the same order, so the
        same first error."""
        unit_names, unit_code = units
        for name in unit_names:
            if not is_unit(name):
                node = ids[int(np.flatnonzero(unit_code == unit_names.index(name))[0])]
                raise InvalidValue(f"node {node!r}: declared unit {name!r} is not a unit")
        ids_arr = np.asarray(ids, dtype=np.str_) if ids_array is None else ids_array
        direct_arr = np.ascontiguousarray(direct, dtype=np.float64).reshape(len(ids), len(stages))
        primary_arr = np.asarray(primary, dtype=np.float64)
        _check_node_values(ids_arr, direct_arr, dqr, primary_arr, ratings)
        provider, consumer = endpoints()
        amount = np.asarray(edge_amount, dtype=np.float64)
        bad = np.flatnonzero(~(amount >= 0) | ~np.isfinite(amount))
        if bad.size:
            k = int(bad[0])
            label = f"#{k} {ids[provider[k]]} -> {ids[consumer[k]]}"
            raise NegativeAmount(label, float(amount[k]))
        factor = _edge_factors(
            edge_units, unit_names, unit_code[provider], ids, provider, consumer, amount
        )
        allocs = dict(allocations or {})
        _check_allocations(allocs, ids)
        return cls(
            ids=ids_arr,
            stages=tuple(stages),
            unit_names=unit_names,
            unit_code=unit_code,
            direct=direct_arr,
            primary=primary_arr,
            dqr=dqr if ratings is None else _mean_rating(ratings),
            category_names=cast(tuple[str, ...], categories[0]),
            category_code=categories[1],
            provider=provider,
            consumer=consumer,
            amount=amount * factor,
            allocations=allocs,
            ratings=ratings,
        )


def _ratings(ratings: Sequence[Sequence[float | None]] | FloatArray, n: int) -> FloatArray:
    """(n, 3) float ratings, NaN for None."""
    if isinstance(ratings, np.ndarray):
        return np.asarray(ratings, dtype=np.float64).reshape(n, 3)
    out = np.array(
        [[np.nan if v is None else v for v in r] for r in ratings], dtype=np.float64
    ).reshape(n, 3)
    return out


def _mean_rating(ratings: FloatArray) -> FloatArray:
    """The single rating derived from the three: their mean, NaN unless all three are set."""
    mean: FloatArray = ratings.mean(axis=1)
    return mean


def direct_matrix(
    directs: Sequence[Mapping[str, float] | float], stages: Sequence[str], ids: Sequence[str]
) -> FloatArray:
    """Direct emissions as an (n, stages) array; a plain number goes to the only stage."""
    out = np.zeros((len(directs), len(stages)))
    column = {s: c for c, s in enumerate(stages)}
    for i, d in enumerate(directs):
        if isinstance(d, Mapping):
            for stage, value in d.items():
                if stage not in column:
                    raise UnknownStage(ids[i], stage)
                out[i, column[stage]] = value
        elif len(stages) == 1:
            out[i, 0] = d
        else:
            raise GraphFormatError(f"node {ids[i]!r}: direct must map stage names to numbers")
    return out


def _unique_index(ids: Sequence[str]) -> dict[str, int]:
    index = dict(zip(ids, range(len(ids)), strict=True))
    if len(index) != len(ids):
        seen: set[str] = set()
        for node_id in ids:
            if node_id in seen:
                raise DuplicateNode(node_id)
            seen.add(node_id)
    return index


def encode_strings(values: Sequence[str | None]) -> tuple[tuple[str, ...], IntArray]:
    """Dictionary-encode strings: (names, codes) with code -1 for None (C-speed dict passes);
    the encoding `SupplyGraph.from_encoded` takes."""
    distinct = dict.fromkeys(values)
    names = tuple(v for v in distinct if v is not None)
    code: dict[str | None, int] = {name: k for k, name in enumerate(names)}
    code[None] = -1
    codes = np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=len(values))
    return names, codes


def _lookup(index: Mapping[str, int], names: Sequence[str], role: str) -> IntArray:
    try:
        return np.fromiter(map(index.__getitem__, names), dtype=np.int64, count=len(names))
    except KeyError as exc:
        k = list(names).index(exc.args[0])
        raise UnknownNode(str(exc.args[0]), f"{role} of edge #{k}") from None


def _check_node_values(
    ids: npt.NDArray[np.str_],
    direct: FloatArray,
    dqr: FloatArray,
    primary: FloatArray,
    ratings: FloatArray | None = None,
) -> None:
    bad = np.flatnonzero(~np.isfinite(direct).all(axis=1))
    if bad.size:
        raise InvalidValue(f"node {ids[bad[0]]!r}: direct emissions must be finite numbers")
    bad = np.flatnonzero(~np.isnan(dqr) & ~((dqr >= 1) & (dqr <= 5)))
    if bad.size:
        raise InvalidValue(f"node {ids[bad[0]]!r}: dqr {dqr[bad[0]]!r} is outside 1..5")
    bad = np.flatnonzero(~((primary >= 0) & (primary <= 1)))
    if bad.size:
        raise InvalidValue(f"node {ids[bad[0]]!r}: primary share {primary[bad[0]]!r} not in 0..1")
    if ratings is not None:
        bad = np.flatnonzero((~np.isnan(ratings) & ~((ratings >= 1) & (ratings <= 5))).any(1))
        if bad.size:
            raise InvalidValue(f"node {ids[bad[0]]!r}: a rating is outside 1..5")


def _check_allocations(allocations: Mapping[int, Allocation], ids: Sequence[str]) -> None:
    for i, alloc in allocations.items():
        if not 0 < alloc.share <= 1 or alloc.basis not in ALLOCATION_BASES:
            raise InvalidValue(
                f"node {ids[i]!r}: allocation needs a share in (0, 1] and a basis in "
                f"{ALLOCATION_BASES}, got {alloc.share!r} by {alloc.basis!r}"
            )


def _edge_factors(
    edge_units: tuple[tuple[str | None, ...], IntArray],
    unit_names: tuple[str, ...],
    provider_unit: IntArray,
    ids: Sequence[str],
    provider: IntArray,
    consumer: IntArray,
    amount: FloatArray,
) -> FloatArray:
    """Per-edge factor into the provider's unit, pint called once per distinct (unit, unit)."""
    names, code = edge_units
    if not names:
        return np.ones(code.shape[0])
    # each edge's (edge unit + 1, provider unit) cell as one flat index: one pass to find the
    # pairs used, one gather of the factors (two-dimensional fancy indexing costs twice that)
    width = len(unit_names)
    cell = code * width
    cell += width
    cell += provider_unit
    used = (np.bincount(cell, minlength=(len(names) + 1) * width) > 0).reshape(-1, width)
    table = np.ones(used.shape)
    for src, dst in np.argwhere(used[1:]).tolist():  # in (edge unit, provider unit) order
        f = conversion_factor(str(names[src]), unit_names[dst])
        if f is None:
            k = int(np.flatnonzero((code == src) & (provider_unit == dst))[0])
            edge = f"#{k} {ids[provider[k]]} -> {ids[consumer[k]]} ({amount[k]:g} {names[src]})"
            raise UnitMismatch(edge, str(names[src]), unit_names[dst])
        table[src + 1, dst] = f
    per_edge: FloatArray = np.take(table.ravel(), cell)
    return per_edge
