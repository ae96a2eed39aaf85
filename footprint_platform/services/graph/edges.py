"""Input rows to engine edges and leaves: unit conversion to the declared unit, factor leaves by
stage, links to suppliers' products (or their pending leaf until consent), external footprints,
electricity with its instruments and T&D losses, recycled content, each with its origin."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
from footprint_platform.services.graph.parties import Consent
from footprint_platform.services.graph.rows import ExternalLeaf, Ratings
from supply_graph import (
    Allocation,
)
from supply_graph.circular import CFF, CUT_OFF, input_weights
from supply_graph.units import conversion_factor


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
        # the supplier's own activity rows: (product row, kg CO2e, primary?, ratings or None)
        self.own: list[tuple[int, float, bool, Ratings | None]] = []
        self.leaf_category: list[str] = []
        self.leaf_index: dict[str, int] = {leaf: k for k, leaf in enumerate(known_leaves)}
        self.provider: list[int] = []
        self.consumer: list[int] = []
        self.amount: list[float] = []
        self.unit: list[str | None] = []
        self.allocations: dict[int, Allocation] = {}

    def leaf_ratings_array(self) -> np.ndarray:
        return np.array(self.leaf_ratings, dtype=np.float64).reshape(len(self.leaf_ids), 3)

    def own_quality(self, primary: np.ndarray, ratings: np.ndarray) -> None:
        """Each product row's primary share and three ratings from its own activity rows,
        weighted by their emissions: primary[i] = Σ e of rows whose provenance is primary
        (measured, calculated from measured) / Σ e; ratings[i] = Σ e·r / Σ e with each row's
        own ratings, else the submission's defaults already in `ratings[i]`. A product whose
        own rows emit nothing keeps what it has (the share of nothing does not matter)."""
        if not self.own:
            return
        rows = np.array([o[0] for o in self.own], dtype=np.int64)
        value = np.array([o[1] for o in self.own], dtype=np.float64)
        is_primary = np.array([o[2] for o in self.own], dtype=np.float64)
        rated = ratings[rows].copy()
        for k, o in enumerate(self.own):
            if o[3] is not None:
                rated[k] = o[3]
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
        rows: Sequence[Sequence[Any]],
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
        n = len(position)
        ordered = sorted(rows, key=lambda r: (by_sub[r[0]], r[1]))
        coproduct: dict[int, tuple[Decimal, str]] = {}
        direct_rows, direct_cols, direct_vals = [], [], []
        convert = converter()
        # looked up once: a row-by-row check would cost the cold roll-up ~0.1 µs a row
        eol_of = end_of_life_of if DECLARED_UNDER.get() is None else end_of_life_declared
        for (
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
        ) in ordered:
            me = by_sub[sub_id]
            circular = Circular(r_share, code, r_code, r_unit, r_value, v_unit, v_value)
            if kind == "material" and circular.is_scrap(linked, external):
                continue  # scrap fed to a recycler: burden-free (supply_graph/circular.py)
            if kind == "coproduct":
                total, old_basis = coproduct.get(me, (Decimal(0), "mass"))
                coproduct[me] = (total + Decimal(share or 0), basis or old_basis)
                continue
            if linked is not None:
                if consent.allows(product_ids[me], int(linked)):
                    self._edge(position[linked], me, qty, unit)
                else:
                    self._edge(n + self._pending(int(linked), consent), me, qty, unit)
                continue
            if external is not None:
                leaf = self._external(int(external), stage, (externals or {})[int(external)], n)
                self._edge(n + leaf, me, qty, unit)
                continue
            if f_unit is None and kind == "waste" and code is None and r_share is not None:
                eol = eol_of(consent, product_ids[me])
                direct_rows.append(me)
                direct_cols.append(self.stage_column[stage])
                value = circular.waste_value(eol, qty, unit, 0.0, 0.0, convert)
                direct_vals.append(value)
                counted = provenance is None or provenance in PRIMARY_PROVENANCE
                self.own.append((me, value, counted, None))
                continue
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
                    me, n, stage, code, f_unit, f_value, amount, circular, eol, convert, rated
                )
                continue
            direct_rows.append(me)
            direct_cols.append(self.stage_column[stage])
            if kind == "waste" and r_share is not None:
                value = circular.waste_value(eol, qty, unit, amount, f_value, convert)
            else:
                value = amount * f_value
            direct_vals.append(value)
            counted = provenance is None or provenance in PRIMARY_PROVENANCE  # None: 0029
            self.own.append((me, value, counted, rated))  # type: ignore[arg-type]
        np.add.at(direct, (direct_rows, direct_cols), direct_vals)
        for me, (total, basis) in coproduct.items():
            if total:
                self.allocations[me] = Allocation(basis, float(1 - total))

    def _material(
        self,
        me: int,
        n: int,
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
            self._edge(n + self.leaf(code, stage, f_unit, f_value, rated), me, amount, f_unit)
            return
        params = eol.for_dataset(code)
        method = CFF if eol.is_cff and params is not None else CUT_OFF
        w_virgin, w_recycled = input_weights(
            method, circular.share, None if params is None else params.parameters
        )
        leaf = self.leaf(code, stage, f_unit, f_value, rated)
        self._edge(n + leaf, me, amount * w_virgin, f_unit)
        r_code = circular.recycled_code
        r_leaf = self.leaf(r_code, stage, circular.r_unit, circular.r_value)
        r_amount = amount * convert(f_unit, circular.r_unit) * w_recycled
        self._edge(n + r_leaf, me, r_amount, circular.r_unit)

    def _edge(self, provider: int, consumer: int, amount: float, unit: str | None) -> None:
        self.provider.append(provider)
        self.consumer.append(consumer)
        self.amount.append(amount)
        self.unit.append(unit)

    def leaf(
        self, code: str, stage: str, unit: str, value: float, ratings: Ratings | None = None
    ) -> int:
        """A factor dataset's leaf, rated GENERIC_DQR on all three; a row that rates the
        dataset itself gets a leaf of its own with those ratings (`…#t,m,g`)."""
        key = f"factor:{code}@{stage}"
        if ratings is None:
            return self._new_leaf(key, unit, [(self.stage_column[stage], value)])
        suffix = ",".join(f"{r:g}" for r in ratings)
        return self._new_leaf(
            f"{key}#{suffix}",
            unit,
            [(self.stage_column[stage], value)],
            dqr=sum(ratings) / 3,
            ratings=ratings,
        )

    def _new_leaf(
        self,
        leaf: str,
        unit: str,
        values: list[tuple[int, float]],
        primary: bool = False,
        dqr: float = GENERIC_DQR,
        category: str = "dataset",
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

    def _pending(self, product_id: int, consent: Consent) -> int:
        """The secondary leaf standing for a linked product without its maker's consent:
        per declared unit, its rule's fallback dataset (`fallback_dataset`, in the
        raw-material stage; never carried-forward data: the buyer has no consent to any
        period's figure), zero where the rule gives none (a gap); rated as a gap, the rule's
        worst. Its category is the product's."""
        key = f"{PENDING}{product_id}"
        if key in self.leaf_index:
            return self.leaf_index[key]
        category, unit = consent.described[product_id]
        value = generic_value(
            category, unit, consent.generic(), consent.countries.get(product_id, "")
        )
        return self._new_leaf(
            key,
            unit,
            [(self.stage_column["raw_material"], value or 0.0)],
            dqr=worst_dqr(category),
            category=category,
        )

    def _external(self, pk: int, stage: str, ext: ExternalLeaf, n: int) -> int:
        """An imported footprint's leaf (per stage of its own split, else all in the input's
        stage), and the primary leaf that feeds it its primary-data share of the value."""
        split = ext.by_stage or {stage: ext.per_unit}
        key = f"external:{pk}" if ext.by_stage else f"external:{pk}@{stage}"
        share = min(max(ext.primary_share, 0.0), 1.0)
        cols = [(self.stage_column[s], v) for s, v in split.items() if s in self.stage_column]
        known = key in self.leaf_index
        split_off = 0.0 < share < 1.0
        main = self._new_leaf(
            key,
            ext.unit,
            [(c, v * (1 - share) if split_off else v) for c, v in cols],
            primary=share >= 1.0,
            dqr=ext.dqr,
            category="external",
        )
        if split_off and not known:
            part = self._new_leaf(
                f"{key}#primary",
                ext.unit,
                [(c, v * share) for c, v in cols],
                primary=True,
                dqr=ext.dqr,
                category="external",
            )
            self._edge(n + part, n + main, 1.0, ext.unit)
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
