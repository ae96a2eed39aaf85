"""Input rows to engine edges and leaves: unit conversion to the declared unit, factor leaves by
stage, links to suppliers' products (or their pending leaf until consent), external footprints,
electricity with its instruments and T&D losses, recycled content, each with its origin.

The common rows (a link, a material bought as a dataset, the supplier's own activity) become
edges and emissions column by column (`input_columns`); the rare ones (scrap, co-products,
imported footprints, recycled content, end of life, and any row that is refused) go through the
per-row code below. Both give each edge, leaf request and emission its place in row order, so
the graph is the one a row-by-row pass makes: the same edges in the same order, leaves numbered
by first use, the same sums in the same order.

One module because the per-row rules and their column form must stay side by side: each branch
of `_row` has its vectorised twin in `add_inputs`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from footprint_platform.models import (
    PRIMARY_PROVENANCE,
)
from footprint_platform.rules import DECLARED_UNDER, EndOfLife
from footprint_platform.services.graph.chain import PENDING
from footprint_platform.services.graph.circular import (
    Circular,
    end_of_life_declared,
    end_of_life_of,
)
from footprint_platform.services.graph.fallbacks import (
    GENERIC_DQR,
    generic_value,
    worst_dqr,
)
from footprint_platform.services.graph.input_columns import InputColumns
from footprint_platform.services.graph.parties import Consent
from footprint_platform.services.graph.rows import ExternalLeaf, Inputs, Ratings
from supply_graph import (
    Allocation,
)
from supply_graph.circular import CFF, CUT_OFF, input_weights
from supply_graph.units import conversion_factor

DATASET = "dataset"  # the category of a factor leaf (an input entered as a generic dataset)


@dataclass
class _Batch:
    """What one `add_inputs` call collects before it is put in row order: edges (between
    product rows, or leaf references -(k+1) into `keys`), leaf requests (the first of each key
    makes the leaf), direct emissions and the supplier's own rows, each with its place
    `order` = 4 × (row's rank) + (its rank within the row)."""

    keys: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[int, str, Callable[[], dict[str, Any]]]] = field(default_factory=list)
    edges: list[tuple[Any, ...]] = field(
        default_factory=list
    )  # arrays: order, from, to, amount, unit
    direct: list[tuple[Any, ...]] = field(default_factory=list)  # arrays: order, row, column, value
    own: list[tuple[Any, ...]] = field(default_factory=list)  # order, row, value, primary?, ratings
    one_edges: list[tuple[int, int, int, float, str | None]] = field(default_factory=list)
    one_direct: list[tuple[int, int, int, float]] = field(default_factory=list)
    one_own: list[tuple[int, int, float, bool, Ratings | None]] = field(default_factory=list)

    def ref(self, order: int, key: str, make: Callable[[], dict[str, Any]]) -> int:
        """A leaf by key (made from the earliest request when the edges are placed)."""
        k = self.keys.setdefault(key, len(self.keys))
        self.requests.append((order, key, make))
        return -(k + 1)


def _rows_as_columns(one: Sequence[tuple[Any, ...]], last_as_objects: bool) -> tuple[Any, ...]:
    """Single rows as column arrays; the last column as Python objects (units) if asked."""
    columns = list(zip(*one, strict=True))
    last = np.empty(len(one), dtype=object) if last_as_objects else None
    if last is not None:
        last[:] = columns[-1]
    return (*(np.array(x) for x in columns[:-1]), np.array(columns[-1]) if last is None else last)


def _nodes(refs: np.ndarray, leaves: np.ndarray) -> np.ndarray:
    """Node rows: product rows as they are, leaf references -(k+1) as the k-th leaf's row."""
    out = refs.astype(np.int64)
    leaf = out < 0
    out[leaf] = leaves[-out[leaf] - 1]
    return out


def _in_order(
    parts: list[tuple[Any, ...]], one: Sequence[tuple[Any, ...]], last_as_objects: bool = False
) -> tuple[np.ndarray, ...] | None:
    """Column parts and single rows (the first column: the place in row order) concatenated
    and sorted by place (stable); None if there are none."""
    if one:
        parts = [*parts, _rows_as_columns(one, last_as_objects)]
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return None
    cols = [np.concatenate(x) for x in zip(*parts, strict=True)]
    k = np.argsort(cols[0], kind="stable")
    return tuple(col[k] for col in cols)


class Edges:
    """Input rows turned into edges, generic-dataset leaves, direct emissions and allocations,
    in product order then input position (so sums and leaf numbering are stable)."""

    def __init__(self, stage_names: tuple[str, ...], known_leaves: Sequence[str] = ()) -> None:
        """`known_leaves`: the leaves of a stored graph being patched (new ones follow them)."""
        self.stage_column = {s: c for c, s in enumerate(stage_names)}
        self.known = len(known_leaves)
        self.leaf_ids: list[str] = []  # new leaves only
        self.leaf_units: list[str] = []
        self.leaf_values: list[list[tuple[int, float]]] = []  # (stage column, value) each
        self.leaf_primary: list[float] = []
        self.leaf_dqr: list[float] = []
        self.leaf_ratings: list[Ratings] = []
        # the supplier's own activity rows, as columns: product row, kg CO2e, primary?, and
        # the row's three ratings (NaN where the row has none: the submission's then)
        self.own: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.leaf_category: list[str] = []
        self.leaf_index: dict[str, int] = {leaf: k for k, leaf in enumerate(known_leaves)}
        # the edges (node rows; amount in `unit`, None: the provider's), made in `add_inputs`
        self.provider = np.zeros(0, dtype=np.int64)
        self.consumer = np.zeros(0, dtype=np.int64)
        self.amount = np.zeros(0, dtype=np.float64)
        self.unit = np.empty(0, dtype=object)
        self.allocations: dict[int, Allocation] = {}

    def leaf_ratings_array(self) -> np.ndarray:
        return np.array(self.leaf_ratings, dtype=np.float64).reshape(len(self.leaf_ids), 3)

    def own_quality(self, primary: np.ndarray, ratings: np.ndarray) -> None:
        """Each product row's primary share and three ratings from its own activity rows,
        weighted by their emissions: primary[i] = Σ e of rows whose provenance is primary
        (measured, calculated from measured) / Σ e; ratings[i] = Σ e·r / Σ e with each row's
        own ratings, else the submission's defaults already in `ratings[i]`. A product whose
        own rows emit nothing keeps what it has (the share of nothing does not matter)."""
        if not self.own or not sum(len(o[0]) for o in self.own):
            return
        rows = np.concatenate([o[0] for o in self.own])
        value = np.concatenate([o[1] for o in self.own])
        is_primary = np.concatenate([o[2] for o in self.own]).astype(np.float64)
        own_rated = np.concatenate([o[3] for o in self.own])
        rated = ratings[rows].copy()
        has_own = ~np.isnan(own_rated).any(axis=1)
        rated[has_own] = own_rated[has_own]
        n = primary.shape[0]
        total = np.bincount(rows, value, minlength=n)
        part = np.bincount(rows, value * is_primary, minlength=n)
        has = ~np.isnan(rated).any(axis=1)
        weight = np.bincount(rows, value * has, minlength=n)
        emitting = total > 0
        primary[emitting] = part[emitting] / total[emitting]
        weighted = weight > 0
        for c in range(3):
            sums = np.bincount(
                rows, np.where(has, value * np.nan_to_num(rated[:, c]), 0), minlength=n
            )
            ratings[weighted, c] = sums[weighted] / weight[weighted]

    def leaf_direct(self) -> np.ndarray:
        out = np.zeros((len(self.leaf_ids), len(self.stage_column)))
        for k, values in enumerate(self.leaf_values):
            for column, value in values:
                out[k, column] += value
        return out

    def add_inputs(
        self,
        rows: Sequence[Sequence[Any]] | Inputs,
        by_sub: Mapping[int, int],
        position: Mapping[int, int],
        direct: np.ndarray,
        externals: Mapping[int, ExternalLeaf] | None,
        consent: Consent,
        product_ids: Sequence[int],
    ) -> None:
        """Edges, leaves and allocations of the rows' products; their direct emissions are
        added into `direct` (rows by product position). `externals`: the imported footprints
        the rows name (external_leaves); a link without `consent` is an edge from the linked
        product's pending leaf (`product_ids[row]` is the product of a row)."""
        if isinstance(rows, Inputs):
            c = InputColumns(rows.rows, by_sub, rows.common, rows.kept)
        else:
            c = InputColumns(rows, by_sub)
        if not len(c.me):
            return
        n = len(position)
        b = _Batch()
        convert = converter()
        material, coproduct = c.is_kind("material"), c.is_kind("coproduct")
        has_link = ~np.isnan(c.linked)
        scrap = (
            material
            & (c.r_share == 1.0)
            & c.is_none(c.code_names, c.code)
            & ~c.has_r_code
            & ~has_link
            & ~c.has_external
        )
        link = ~scrap & ~coproduct & has_link
        valued = ~scrap & ~coproduct & ~has_link & ~c.has_external
        valued &= ~c.is_none(c.f_unit_names, c.f_unit)
        stage_col = np.array([self.stage_column.get(s, -1) for s in c.stage_names], np.int64)
        valued &= stage_col[c.stage] >= 0
        by_distance = c.is_kind("transport") & ~np.isnan(c.km)
        factor, refused = c.factors(valued, by_distance, convert)
        valued &= ~refused
        has_r_share = ~np.isnan(c.r_share)
        recycled = material & (c.r_share != 0) & has_r_share & c.has_r_unit & c.has_r_value
        as_leaf = valued & material & ~recycled
        own = valued & ~material & ~(c.is_kind("waste") & has_r_share)
        amount = c.qty * factor
        amount[by_distance] *= c.km[by_distance]
        self._links(b, c, link, n, position, consent, product_ids)
        self._dataset_edges(b, c, as_leaf, amount)
        order = 4 * np.flatnonzero(own)
        value = amount[own] * c.f_value[own]
        b.direct.append((order, c.me[own], stage_col[c.stage[own]], value))
        rated = np.where(c.rated[own, None], c.ratings[own], np.nan)
        b.own.append((order, c.me[own], value, c.counted[own], rated))
        coproducts: dict[int, tuple[Decimal, str]] = {}
        # looked up once: a row-by-row check would cost the cold roll-up ~0.1 µs a row
        eol_of = end_of_life_of if DECLARED_UNDER.get() is None else end_of_life_declared
        rest = np.flatnonzero(~(scrap | link | as_leaf | own))
        for k in rest.tolist():
            args = (c.row(k), int(c.me[k]), n, position, externals, consent, product_ids)
            self._row(b, 4 * k, *args, convert, eol_of, coproducts)
        self._place(b, n, direct)
        for me, (total, basis) in coproducts.items():
            if total:
                self.allocations[me] = Allocation(basis, float(1 - total))

    def _links(
        self,
        b: _Batch,
        c: InputColumns,
        link: np.ndarray,
        n: int,
        position: Mapping[int, int],
        consent: Consent,
        product_ids: Sequence[int],
    ) -> None:
        """Links to suppliers' products: an edge from the product where its maker consents
        (`Consent.allows`, per distinct consumer and linked product), else from its pending
        leaf."""
        rows = np.flatnonzero(link)
        if not len(rows):
            return
        linked = c.linked[rows].astype(np.int64)
        me = c.me[rows]
        consumers, at = np.unique(me, return_inverse=True)
        buyer = np.array([consent.owners[product_ids[i]] for i in consumers.tolist()])[at]
        suppliers, of = np.unique(linked, return_inverse=True)
        maker = np.array([consent.owners[p] for p in suppliers.tolist()])[of]
        allowed = maker == buyer
        others = np.flatnonzero(~allowed)
        if len(others):
            shares = consent.share_keys()
            keys = (linked[others] << 32) | buyer[others]
            allowed[others] = np.isin(keys, shares)
        provider = np.zeros(len(rows), dtype=np.int64)
        provider[allowed] = np.fromiter(
            map(position.__getitem__, linked[allowed].tolist()), np.int64, int(allowed.sum())
        )
        pending = np.flatnonzero(~allowed)
        if len(pending):
            products, first, which = np.unique(
                linked[pending], return_index=True, return_inverse=True
            )
            refs = [
                self._pending(b, 4 * int(rows[pending[f]]), p, consent)
                for p, f in zip(products.tolist(), first.tolist(), strict=True)
            ]
            provider[pending] = np.array(refs, dtype=np.int64)[which]
        units = np.array(c.unit_names, dtype=object)[c.unit[rows]]
        b.edges.append((4 * rows, provider, me, c.qty[rows], units))

    def _dataset_edges(
        self,
        b: _Batch,
        c: InputColumns,
        rows_mask: np.ndarray,
        amount: np.ndarray,
    ) -> None:
        """Materials bought as datasets: an edge from the leaf of (dataset, stage), one leaf
        per distinct rating where a row rates the dataset itself (`leaf`)."""
        rows = np.flatnonzero(rows_mask)
        if not len(rows):
            return
        rated = np.flatnonzero(c.rated[rows])
        rating = np.full(len(rows), -1, dtype=np.int64)
        rating_names: list[tuple[float, ...]] = []
        if len(rated):
            seen: dict[tuple[float, ...], int] = {}
            found = [tuple(r) for r in c.ratings[rows[rated]].tolist()]
            rating[rated] = [seen.setdefault(r, len(seen)) for r in found]
            rating_names = list(seen)
        width = len(rating_names) + 1
        combo = (c.code[rows] * len(c.stage_names) + c.stage[rows]) * width + rating + 1
        _, first, which = np.unique(combo, return_index=True, return_inverse=True)
        refs = []
        for k in first.tolist():
            row = int(rows[k])
            r = int(rating[k])
            refs.append(
                self._leaf_ref(
                    b,
                    4 * row,
                    str(c.code_names[c.code[row]]),
                    str(c.stage_names[c.stage[row]]),
                    str(c.f_unit_names[c.f_unit[row]]),
                    float(c.f_value[row]),
                    None if r < 0 else rating_names[r],  # type: ignore[arg-type]
                )
            )
        units = np.array(c.f_unit_names, dtype=object)[c.f_unit[rows]]
        provider = np.array(refs, dtype=np.int64)[which]
        b.edges.append((4 * rows, provider, c.me[rows], amount[rows], units))

    def _place(self, b: _Batch, n: int, direct: np.ndarray) -> None:
        """The batch in row order: leaves made by their first request, edges, emissions and
        own rows appended as a row-by-row pass would have."""
        for _, key, make in sorted(b.requests, key=lambda r: r[0]):
            if key not in self.leaf_index:  # `_new_leaf` enters it: later requests find it
                self._new_leaf(key, **make())
        index = np.array([self.leaf_index[k] for k in b.keys], dtype=np.int64) + n
        edges = _in_order(b.edges, b.one_edges, last_as_objects=True)
        if edges is not None:
            _, frm, to, amount, unit = edges
            self.provider = np.concatenate([self.provider, _nodes(frm, index)])
            self.consumer = np.concatenate([self.consumer, _nodes(to, index)])
            self.amount = np.concatenate([self.amount, amount.astype(np.float64)])
            self.unit = np.concatenate([self.unit, unit.astype(object)])
        emitted = _in_order(b.direct, b.one_direct)
        if emitted is not None:
            _, row, col, value = emitted
            np.add.at(direct, (row.astype(np.int64), col.astype(np.int64)), value)
        one_own = [(*o[:4], o[4] or (np.nan,) * 3) for o in b.one_own]
        own = _in_order(b.own, one_own)
        if own is not None:
            _, row, value, counted, rated = own
            rated = rated.astype(np.float64).reshape(-1, 3)
            self.own.append((row.astype(np.int64), value.astype(np.float64), counted, rated))

    def _row(
        self,
        b: _Batch,
        order: int,
        row: Sequence[Any],
        me: int,
        n: int,
        position: Mapping[int, int],
        externals: Mapping[int, ExternalLeaf] | None,
        consent: Consent,
        product_ids: Sequence[int],
        convert: Callable[[str, str], float],
        eol_of: Callable[[Consent, int], EndOfLife],
        coproduct: dict[int, tuple[Decimal, str]],
    ) -> None:
        """One row the columns leave aside, as the row-by-row pass read every row."""
        (
            sub_id,
            _,
            kind,
            stage,
            qty,
            unit,
            code,
            linked,
            external,
            km,
            basis,
            share,
            f_unit,
            f_value,
            r_share,
            r_code,
            r_unit,
            r_value,
            v_unit,
            v_value,
            provenance,
            *row_ratings,
        ) = row
        circular = Circular(r_share, code, r_code, r_unit, r_value, v_unit, v_value)
        if kind == "material" and circular.is_scrap(linked, external):
            return  # scrap fed to a recycler: burden-free (supply_graph/circular.py)
        if kind == "coproduct":
            total, old_basis = coproduct.get(me, (Decimal(0), "mass"))
            coproduct[me] = (total + Decimal(share or 0), basis or old_basis)
            return
        if linked is not None:
            if consent.allows(product_ids[me], int(linked)):
                b.one_edges.append((order, position[linked], me, qty, unit))
            else:
                b.one_edges.append(
                    (order, self._pending(b, order, int(linked), consent), me, qty, unit)
                )
            return
        if external is not None:
            ext = (externals or {})[int(external)]
            leaf = self._external(b, order, int(external), stage, ext)
            b.one_edges.append((order + 1, leaf, me, qty, unit))
            return
        counted = provenance is None or provenance in PRIMARY_PROVENANCE  # None: 0029
        if f_unit is None and kind == "waste" and code is None and r_share is not None:
            eol = eol_of(consent, product_ids[me])
            value = circular.waste_value(eol, qty, unit, 0.0, 0.0, convert)
            b.one_direct.append((order, me, self.stage_column[stage], value))
            b.one_own.append((order, me, value, counted, None))
            return
        if f_unit is None:
            raise ValueError(f"submission {sub_id}: factor {code!r} is not in its release")
        if kind == "transport" and km is not None:
            amount = qty * convert(unit, "t") * km
        else:
            amount = qty * convert(unit, f_unit)
        rated = None if any(r is None for r in row_ratings) else tuple(row_ratings)
        eol = eol_of(consent, product_ids[me])
        if kind == "material":
            self._material(
                b, order, me, stage, code, f_unit, f_value, amount, circular, eol, convert, rated
            )
            return
        column = self.stage_column[stage]
        if kind == "waste" and r_share is not None:
            value = circular.waste_value(eol, qty, unit, amount, f_value, convert)
        else:
            value = amount * f_value
        b.one_direct.append((order, me, column, value))
        b.one_own.append((order, me, value, counted, rated))

    def _material(
        self,
        b: _Batch,
        order: int,
        me: int,
        stage: str,
        code: str,
        f_unit: str,
        f_value: float,
        amount: float,
        circular: Circular,
        eol: EndOfLife,
        convert: Callable[[str, str], float],
        rated: Ratings | None = None,
    ) -> None:
        """A material bought as a dataset: an edge from its leaf (rated by the row where it
        rates the dataset); with recycled content, the input side of the rule's formula as two
        edges, virgin (Ev) and recycled (Erec)."""
        if not circular.share or circular.r_unit is None or circular.r_value is None:
            leaf = self._leaf_ref(b, order, code, stage, f_unit, f_value, rated)
            b.one_edges.append((order, leaf, me, amount, f_unit))
            return
        params = eol.for_dataset(code)
        method = CFF if eol.is_cff and params is not None else CUT_OFF
        w_virgin, w_recycled = input_weights(
            method, circular.share, None if params is None else params.parameters
        )
        leaf = self._leaf_ref(b, order, code, stage, f_unit, f_value, rated)
        b.one_edges.append((order, leaf, me, amount * w_virgin, f_unit))
        r_code = circular.recycled_code
        r_leaf = self._leaf_ref(b, order + 1, r_code, stage, circular.r_unit, circular.r_value)  # type: ignore[arg-type]
        r_amount = amount * convert(f_unit, circular.r_unit) * w_recycled
        b.one_edges.append((order + 1, r_leaf, me, r_amount, circular.r_unit))

    def _leaf_ref(
        self,
        b: _Batch,
        order: int,
        code: str,
        stage: str,
        unit: str,
        value: float,
        ratings: Ratings | None = None,
    ) -> int:
        """`leaf`, requested in a batch."""
        key, make = self._leaf_spec(code, stage, unit, value, ratings)
        return b.ref(order, key, make)

    def leaf(
        self, code: str, stage: str, unit: str, value: float, ratings: Ratings | None = None
    ) -> int:
        """A factor dataset's leaf, rated GENERIC_DQR on all three; a row that rates the
        dataset itself gets a leaf of its own with those ratings (`…#t,m,g`)."""
        key, make = self._leaf_spec(code, stage, unit, value, ratings)
        return self._new_leaf(key, **make())

    def _leaf_spec(
        self, code: str, stage: str, unit: str, value: float, ratings: Ratings | None
    ) -> tuple[str, Callable[[], dict[str, Any]]]:
        key = f"factor:{code}@{stage}"
        values = [(self.stage_column[stage], value)]
        if ratings is None:
            return key, lambda: {"unit": unit, "values": values}
        suffix = ",".join(f"{r:g}" for r in ratings)
        return f"{key}#{suffix}", lambda: {
            "unit": unit,
            "values": values,
            "dqr": sum(ratings) / 3,
            "ratings": ratings,
        }

    def _new_leaf(
        self,
        leaf: str,
        unit: str,
        values: list[tuple[int, float]],
        primary: bool = False,
        dqr: float = GENERIC_DQR,
        category: str = DATASET,
        ratings: Ratings | None = None,
    ) -> int:
        """The leaf's index among the leaves, made on first use."""
        k = self.leaf_index.get(leaf)
        if k is None:
            k = self.leaf_index[leaf] = self.known + len(self.leaf_ids)
            self.leaf_ids.append(leaf)
            self.leaf_units.append(unit)
            self.leaf_values.append(values)
            self.leaf_primary.append(float(primary))
            self.leaf_dqr.append(dqr)
            self.leaf_ratings.append(ratings if ratings is not None else (dqr, dqr, dqr))
            self.leaf_category.append(category)
        return k

    def _pending(self, b: _Batch, order: int, product_id: int, consent: Consent) -> int:
        """The secondary leaf standing for a linked product without its maker's consent:
        per declared unit, its rule's fallback dataset (`fallback_dataset`, in the
        raw-material stage; never carried-forward data: the buyer has no consent to any
        period's figure), zero where the rule gives none (a gap); rated as a gap, the rule's
        worst. Its category is the product's."""

        def make() -> dict[str, Any]:
            category, unit = consent.described[product_id]
            value = generic_value(
                category, unit, consent.generic(), consent.countries.get(product_id, "")
            )
            return {
                "unit": unit,
                "values": [(self.stage_column["raw_material"], value or 0.0)],
                "dqr": worst_dqr(category),
                "category": category,
            }

        return b.ref(order, f"{PENDING}{product_id}", make)

    def _external(self, b: _Batch, order: int, pk: int, stage: str, ext: ExternalLeaf) -> int:
        """An imported footprint's leaf (per stage of its own split, else all in the input's
        stage), and the primary leaf that feeds it its primary-data share of the value."""
        split = ext.by_stage or {stage: ext.per_unit}
        key = f"external:{pk}" if ext.by_stage else f"external:{pk}@{stage}"
        share = min(max(ext.primary_share, 0.0), 1.0)
        cols = [(self.stage_column[s], v) for s, v in split.items() if s in self.stage_column]
        known = key in self.leaf_index or key in b.keys
        split_off = 0.0 < share < 1.0
        main = b.ref(
            order,
            key,
            lambda: {
                "unit": ext.unit,
                "values": [(c, v * (1 - share) if split_off else v) for c, v in cols],
                "primary": share >= 1.0,
                "dqr": ext.dqr,
                "category": "external",
            },
        )
        if split_off and not known:
            part = b.ref(
                order + 1,
                f"{key}#primary",
                lambda: {
                    "unit": ext.unit,
                    "values": [(c, v * share) for c, v in cols],
                    "primary": True,
                    "dqr": ext.dqr,
                    "category": "external",
                },
            )
            b.one_edges.append((order, part, main, 1.0, ext.unit))
        return main


def converter() -> Any:
    """conversion_factor(unit, target) memoised per pair for one build (pint is slow per call)."""
    memo: dict[tuple[str, str], float] = {}

    def convert(unit: str, target: str) -> float:
        k = memo.get((unit, target))
        if k is None:
            found = conversion_factor(unit, target)
            if found is None:
                raise ValueError(f"{unit} does not convert to {target}")
            k = memo[(unit, target)] = float(found)
        return k

    return convert
