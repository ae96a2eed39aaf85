"""A product footprint's 95 % interval: every input row's uncertainty, propagated by Monte Carlo.

As ISO 14067 / GB/T 24067 ask of a study, each input gets an uncertainty:
- stated by its supplier on the row (`input_uncertainty`: a GSD, lognormal; or a range, uniform);
- else derived from the row's data-quality rating (the submission's when the row has none) by
  the pedigree approach of the ecoinvent data quality guideline
  (`supply_graph.uncertainty.pedigree_sigma`). Today a row carries one rating, 1–5; it is taken
  for the three representativeness indicators (technological, temporal, geographical) that the
  separate ratings of the data-quality work will give one by one (`pedigree_scores` is the one
  place to read them); reliability and completeness are not scored;
- a row with no rating at all, and a product valued by its rule's fallback dataset, takes the
  matrix's "unknown" column (5): a missing rating never narrows the interval.

Each row's spread is carried by its contribution to its product's direct emissions (a term of
the engine): its own emissions for energy, process and waste rows; quantity × dataset value for a
material row on a generic dataset (exact: the dataset is a leaf); quantity × the supplier's
deterministic footprint for a linked or imported row, so the supplier's own terms still vary
its footprint and only the product of the two deviations is left out (first order). Exchange
coefficients are therefore not resampled, and the whole graph's samples stay one batch of
right-hand sides; for one product only its supply vector is needed
(`supply_graph.uncertainty.monte_carlo_of`).

The terms are listed by product id and row position, not by graph row, and drawn from a fixed
seed, so the interval of a declaration is recomputed from its pins to the same numbers (it is
shown beside the declaration, outside its content hash: `flask declarations verify` is
unaffected).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, String, cast, select, type_coerce
from sqlalchemy.orm import Session

from footprint_platform.models import EmissionFactor, Submission, SubmissionInput
from footprint_platform.services.graph.chain import PENDING, ChainGraph, product_node
from footprint_platform.services.graph.input_uncertainty import distribution
from supply_graph import SupplyGraph, build_plan
from supply_graph.uncertainty import (
    LOGNORMAL,
    UNIFORM,
    UNKNOWN_SCORE,
    Terms,
    monte_carlo_of,
    pedigree_sigma,
)
from supply_graph.units import conversion_factor

SAMPLES = 1000
SEED = 0  # with SAMPLES, what pins a published interval
_PART = 900  # ids per IN (...) list


def method_label() -> Any:
    """How the interval is made, in the reader's language."""
    return _l(
        "95 %% interval, Monte Carlo (%(n)s samples, seed %(seed)s): stated uncertainties, "
        "else the pedigree approach (ecoinvent v3) from the data-quality rating",
        n=f"{SAMPLES:,}",
        seed=SEED,
    )


@dataclass(frozen=True)
class ProductInterval:
    """Monte Carlo statistics of one product's total (kg CO2e per declared unit)."""

    mean: float
    median: float
    low: float  # 2.5th percentile
    high: float  # 97.5th percentile
    samples: int
    seed: int
    stated: int  # rows with a stated uncertainty
    rated: int  # rows and fallback products whose rating gave it
    unrated: int  # rows without any rating ("unknown")


def pedigree_scores(row_dqr: float | None, submission_dqr: float | None) -> dict[str, float]:
    """The pedigree scores of a row: its rating (else its submission's, else "unknown") on the
    three representativeness indicators. Per-indicator ratings replace this when rows carry
    them."""
    score = row_dqr if row_dqr is not None else submission_dqr
    if score is None:
        score = UNKNOWN_SCORE
    return {"technological": score, "temporal": score, "geographical": score}


def product_interval(
    session: Session,
    chain: ChainGraph,
    graph: SupplyGraph,
    total: np.ndarray,
    product_id: int,
    *,
    samples: int = SAMPLES,
    seed: int = SEED,
) -> ProductInterval | None:
    """The product's interval in `graph` (the chain's graph as solved, `total` its roll-up);
    None when the product is not in it."""
    node = graph.index.get(product_node(product_id))
    if node is None or not math.isfinite(float(total[node])):
        return None
    plan = build_plan(graph.technosphere, graph.ids)
    from supply_graph import supply_vector

    x = supply_vector(plan, node)
    upstream = [
        int(str(i).split(":", 1)[1])
        for i in graph.ids[np.flatnonzero(x)]
        if str(i).startswith("product:")
    ]
    submitted = {p: chain.submissions[p].id for p in upstream if p in chain.submissions}
    rows = _rows(session, sorted(submitted.values()))
    builder = _TermBuilder(graph, total)
    for row in sorted(rows, key=lambda r: (r[0], r[1])):
        builder.row(row)
    for p in sorted(set(upstream) - set(submitted)):
        builder.fallback(p)
    terms = builder.terms()
    found = monte_carlo_of(graph, terms, node, samples=samples, seed=seed, plan=plan)
    return ProductInterval(
        mean=float(found.mean[0]),
        median=float(found.median[0]),
        low=float(found.low[0]),
        high=float(found.high[0]),
        samples=samples,
        seed=seed,
        stated=builder.stated,
        rated=builder.rated,
        unrated=builder.unrated,
    )


_ROW_COLUMNS = (
    Submission.product_id,
    SubmissionInput.position,
    type_coerce(SubmissionInput.kind, String),
    SubmissionInput.stage,
    cast(SubmissionInput.quantity, Float),
    SubmissionInput.unit,
    SubmissionInput.linked_product_id,
    SubmissionInput.external_footprint_id,
    cast(SubmissionInput.distance_km, Float),
    cast(SubmissionInput.dqr, Float).label("row_dqr"),
    SubmissionInput.uncertainty,
    cast(Submission.dqr, Float).label("submission_dqr"),
    EmissionFactor.unit,
    cast(EmissionFactor.value, Float).label("factor_value"),
)


def _rows(session: Session, submission_ids: Sequence[int]) -> list[Sequence[Any]]:
    out: list[Sequence[Any]] = []
    for k in range(0, len(submission_ids), _PART):
        part = submission_ids[k : k + _PART]
        stmt = (
            select(*_ROW_COLUMNS)
            .join(Submission, Submission.id == SubmissionInput.submission_id)
            .outerjoin(
                EmissionFactor,
                (EmissionFactor.release_id == Submission.factor_release_id)
                & (EmissionFactor.code == SubmissionInput.factor_code),
            )
            .where(SubmissionInput.submission_id.in_(part))
        )
        out += session.execute(stmt).all()
    return out


class _TermBuilder:
    """Rows (and fallback products) in, engine terms out, counted by how their spread was set."""

    def __init__(self, graph: SupplyGraph, total: np.ndarray) -> None:
        self.graph, self.total = graph, total
        self.columns: list[tuple[int, float, int, float, float]] = []
        self.stated = self.rated = self.unrated = 0
        self.units = dict(zip(graph.ids.tolist(), graph.unit_code.tolist(), strict=True))

    def row(self, row: Sequence[Any]) -> None:
        (product, _, kind, stage, qty, unit, linked, external, km, dqr, stated, sub_dqr) = row[:12]
        f_unit, f_value = row[12], row[13]
        me = self.graph.index.get(product_node(int(product)))
        if me is None or kind == "coproduct":
            return
        value = self._value(kind, stage, qty, unit, linked, external, km, me, f_unit, f_value)
        if not value:
            return
        if stated:
            shape, p1, p2 = distribution(stated)
            self.stated += 1
            self._add(me, value, LOGNORMAL if shape == "lognormal" else UNIFORM, p1, p2)
            return
        self.rated += int(dqr is not None or sub_dqr is not None)
        self.unrated += int(dqr is None and sub_dqr is None)
        self._add(me, value, LOGNORMAL, pedigree_sigma(**pedigree_scores(dqr, sub_dqr)), 0.0)

    def fallback(self, product: int) -> None:
        """A product without data for the period, valued by its rule's fallback dataset: its
        own value with its (worst) rating; a gap (no value) adds nothing."""
        me = self.graph.index.get(product_node(product))
        if me is None:
            return
        value = float(self.graph.effective_direct[me].sum())
        if value:
            dqr = float(self.graph.dqr[me])
            self.rated += 1
            score = dqr if math.isfinite(dqr) else None
            self._add(me, value, LOGNORMAL, pedigree_sigma(**pedigree_scores(score, None)), 0.0)

    def terms(self) -> Terms:
        if not self.columns:
            return Terms.build([], [], [], [], [])
        node, value, kind, p1, p2 = zip(*self.columns, strict=True)
        return Terms.build(node, value, kind, p1, p2)

    def _add(self, me: int, value: float, kind: int, p1: float, p2: float) -> None:
        self.columns.append((me, value, kind, p1, p2))

    def _value(
        self,
        kind: str,
        stage: str,
        qty: float,
        unit: str,
        linked: int | None,
        external: int | None,
        km: float | None,
        me: int,
        f_unit: str | None,
        f_value: float | None,
    ) -> float:
        """The row's contribution to its product's direct emissions before allocation, kg CO2e
        per declared unit (as `services.graph.edges` adds the row into the graph)."""
        if linked is not None:
            return self._via([product_node(int(linked)), f"{PENDING}{int(linked)}"], qty, unit, me)
        if external is not None:
            return self._via(
                [f"external:{external}", f"external:{external}@{stage}"], qty, unit, me
            )
        if f_unit is None or f_value is None:
            return 0.0
        if kind == "transport" and km is not None:
            amount = qty * (conversion_factor(unit, "t") or 0.0) * km
        else:
            amount = qty * (conversion_factor(unit, f_unit) or 0.0)
        return amount * f_value

    def _via(self, candidates: Iterable[str], qty: float, unit: str, me: int) -> float:
        """quantity × the provider's footprint, for the first candidate that feeds `me`."""
        a = self.graph.technosphere
        for name in candidates:
            i = self.graph.index.get(name)
            if i is not None and a[i, me] != 0:
                target = self.graph.unit_names[self.units[name]]
                return qty * (conversion_factor(unit, target) or 0.0) * float(self.total[i])
        return 0.0
