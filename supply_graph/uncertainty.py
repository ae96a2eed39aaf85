"""Monte Carlo uncertainty of every footprint: sampled inputs, one solve sweep per block of samples.

Each uncertain input is a *term*: part of a node's direct emissions (a row of activity data times
its factor) with a distribution around its value, or an edge amount with a lognormal spread.
For a block of B samples the right-hand sides are E = b + T (S − v) (b the nodes' deterministic
totals, T sums the terms into their nodes, S the sampled term values, v their values), and
F = (I − Aᵀ)⁻¹ E is solved for all B columns at once by the same forward sweep `rollup` uses:
the order (the nodes as listed, Kahn's, or the level plan with its loop factors) is computed
once and reused by every block.

Sampled edge amounts change A itself, so no two samples share a matrix and they cannot be
batched as right-hand sides; when edges are uncertain each sample gets its own sweep over the
same order and structure (only the values are redrawn). The platform samples the terms only:
an input row's uncertainty is carried by its emission term (see `footprint_platform`'s
uncertainty service), which keeps the one-sweep batching.

Distributions (the lognormal is the default of the ecoinvent pedigree approach; the
deterministic value is its median, as there):
    LOGNORMAL  value · exp(σ z), z ~ N(0, 1), σ = ln(GSD)
    UNIFORM    value · U(1 − low, 1 + high)          a stated range, relative to the value

Sampling is reproducible: a seed and a sample count give the same statistics whatever the
block size (each chunk of 16 samples draws from its own child of the seed).

One module because sampling and propagation share the plan and the per-row distributions; the
Monte Carlo loop is short only because both are beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from supply_graph.model import FloatArray, IntArray, SupplyGraph
from supply_graph.quality import row_sums
from supply_graph.solve import (
    SolverPlan,
    given_order_available,
    in_given_order,
    lower_triangle,
    substitute,
    supply_vector,
    sweep,
    topological_order,
)

LOGNORMAL, UNIFORM = 0, 1
PERCENTILES = (2.5, 50.0, 97.5)
_BLOCK_BYTES = 1 << 24  # right-hand sides solved at once: ~16 MiB of float64
CHUNK = 16  # samples drawn from one stream (part of what a seed means: do not change)


# Pedigree uncertainty factors of the ecoinvent data quality system (scores 1..5), each a
# contribution to the square of the geometric standard deviation (the 95 % factor):
# Weidema B P, Bauer C, Hischier R, Mutel C, Nemecek T, Reinhard J, Vadenbo C O, Wernet G (2013),
# "Overview and methodology. Data quality guideline for the ecoinvent database version 3",
# ecoinvent report 1 (v3), St. Gallen: The ecoinvent Centre: the pedigree matrix's table of
# uncertainty factors (there given as the variances (ln U)² / 4 of the underlying normal; the
# table number is still not cited here: the report's text could not be read to confirm it),
# factors carried over from Frischknecht R et al. (2007), ecoinvent report No. 1 (v2.0).
# These are the guideline's expert-judgement factors. Ciroth A, Muller S, Weidema B, Lesage P
# (2016), "Empirically based uncertainty factors for the pedigree matrix in ecoinvent",
# Int J Life Cycle Assess 21(9):1338-1348, doi:10.1007/s11367-013-0670-5, proposes empirically
# derived factors (for reliability and technology markedly larger); they are not used here.
PEDIGREE_FACTORS: Mapping[str, tuple[float, float, float, float, float]] = {
    "reliability": (1.00, 1.05, 1.10, 1.20, 1.50),
    "completeness": (1.00, 1.02, 1.05, 1.10, 1.20),
    "temporal": (1.00, 1.03, 1.10, 1.20, 1.50),
    "geographical": (1.00, 1.01, 1.02, 1.05, 1.10),
    "technological": (1.00, 1.05, 1.20, 1.50, 2.00),
}
PEDIGREE_METHOD = "pedigree (ecoinvent v3, Weidema et al. 2013)"
UNKNOWN_SCORE = 5  # the pedigree matrix's column for "unknown"


def pedigree_sigma(
    *,
    reliability: float | None = None,
    completeness: float | None = None,
    temporal: float | None = None,
    geographical: float | None = None,
    technological: float | None = None,
    basic_variance: float = 0.0,
) -> float:
    """σ = ln(GSD) of a lognormal term from its pedigree scores (1 best .. 5 unknown):

        σ² = σ_b² + Σ_i (ln U_i)² / 4

    (GSD² = exp(√(Σ (ln U_i)² + (ln U_b)²)) in the guideline's form). A score that is not
    given adds nothing; a score between two integers takes the worse (higher) one, since the
    matrix has no column between them. `basic_variance` σ_b² is the exchange type's basic
    uncertainty, which the caller supplies when it applies (none is assumed here: the
    guideline's basic uncertainties are for single exchanges, not aggregated footprints).
    """
    scores = {
        "reliability": reliability,
        "completeness": completeness,
        "temporal": temporal,
        "geographical": geographical,
        "technological": technological,
    }
    variance = float(basic_variance)
    if variance < 0 or not math.isfinite(variance):
        raise ValueError("basic_variance must be a finite number >= 0")
    for name, score in scores.items():
        if score is None:
            continue
        if not 1 <= score <= 5:
            raise ValueError(f"pedigree score {name}={score!r} must lie in 1..5")
        factor = PEDIGREE_FACTORS[name][math.ceil(score) - 1]
        variance += math.log(factor) ** 2 / 4
    return math.sqrt(variance)


@dataclass(frozen=True)
class Terms:
    """Uncertain parts of the nodes' direct emissions (all stages together, before allocation).

    node[t] is the row of the node term t belongs to, value[t] its deterministic value
    (kg CO2e per declared unit of that node, included in the node's direct emissions), kind[t]
    LOGNORMAL or UNIFORM, p1/p2 its parameters: σ and unused, or the relative low and high
    deviations of a range (value·(1 − low) .. value·(1 + high)).
    """

    node: IntArray
    value: FloatArray
    kind: npt.NDArray[np.int8]
    p1: FloatArray
    p2: FloatArray

    @classmethod
    def build(
        cls,
        node: Sequence[int] | IntArray,
        value: Sequence[float] | FloatArray,
        kind: Sequence[int] | npt.NDArray[np.int8],
        p1: Sequence[float] | FloatArray,
        p2: Sequence[float] | FloatArray | None = None,
    ) -> Terms:
        """Validated columns (the same length; σ >= 0; 0 <= low <= 1, high >= 0)."""
        terms = cls(
            node=np.asarray(node, dtype=np.int64),
            value=np.asarray(value, dtype=np.float64),
            kind=np.asarray(kind, dtype=np.int8),
            p1=np.asarray(p1, dtype=np.float64),
            p2=np.zeros(len(node)) if p2 is None else np.asarray(p2, dtype=np.float64),
        )
        terms.check()
        return terms

    def check(self, n_nodes: int | None = None) -> None:
        m = self.node.shape[0]
        if any(a.shape != (m,) for a in (self.value, self.kind, self.p1, self.p2)):
            raise ValueError("term columns must have the same length")
        if not np.isin(self.kind, (LOGNORMAL, UNIFORM)).all():
            raise ValueError("term kind must be LOGNORMAL or UNIFORM")
        if not (np.isfinite(self.value).all() and np.isfinite(self.p1).all()):
            raise ValueError("term values and parameters must be finite")
        if not np.isfinite(self.p2).all():
            raise ValueError("term values and parameters must be finite")
        if (self.p1 < 0).any() or (self.p2 < 0).any():
            raise ValueError("σ and range deviations must be >= 0")
        uniform = self.kind == UNIFORM
        if (self.p1[uniform] > 1).any():
            raise ValueError("a range cannot reach below zero (low deviation > 1)")
        if n_nodes is not None and m and (self.node.min() < 0 or self.node.max() >= n_nodes):
            raise ValueError("term node out of range")


@dataclass(frozen=True)
class Interval:
    """Monte Carlo statistics of the total footprint of the chosen nodes (rows of `ids`)."""

    ids: npt.NDArray[np.str_]
    mean: FloatArray
    median: FloatArray
    low: FloatArray  # 2.5th percentile
    high: FloatArray  # 97.5th percentile
    samples: int
    seed: int

    def __getitem__(self, node_id: str) -> tuple[float, float, float, float]:
        """(mean, median, low, high) of one node."""
        hits = np.flatnonzero(self.ids == node_id)
        if not hits.size:
            raise KeyError(node_id)
        i = int(hits[0])
        return float(self.mean[i]), float(self.median[i]), float(self.low[i]), float(self.high[i])


def monte_carlo(
    graph: SupplyGraph,
    terms: Terms,
    *,
    samples: int = 1000,
    seed: int = 0,
    nodes: IntArray | Sequence[int] | None = None,
    edge_sigma: FloatArray | None = None,
) -> Interval:
    """Mean, median and the 2.5/97.5 percentiles of the total footprint of `nodes` (default:
    every node) over `samples` draws of the uncertain terms (and, with `edge_sigma`, of the edge
    amounts, lognormal with that σ per edge; 0 = exact).

    Samples are solved in blocks (~16 MiB of right-hand sides each) and only the chosen nodes'
    totals are kept, as float32 (7 significant digits, far below the sampling error of any
    percentile); the mean is accumulated in float64.
    """
    if samples < 1:
        raise ValueError("samples must be >= 1")
    terms.check(graph.n_nodes)
    rows = np.arange(graph.n_nodes) if nodes is None else np.asarray(nodes, dtype=np.int64)
    if edge_sigma is not None:
        edge_sigma = np.asarray(edge_sigma, dtype=np.float64)
        if edge_sigma.shape != (graph.n_edges,) or not (edge_sigma >= 0).all():
            raise ValueError("edge_sigma needs one finite σ >= 0 per edge")
        if not edge_sigma.any():
            edge_sigma = None
    solver = _Solver(graph)
    base = row_sums(graph.effective_direct)
    sampler = _Sampler(terms, graph.allocation_share, graph.n_nodes, seed)

    def solve(f: FloatArray, start: int) -> FloatArray:
        if edge_sigma is None:
            solver.solve(f)
        else:
            solver.solve_each(f, graph.amount, edge_sigma, seed, start)
        return f if nodes is None else np.take(f, rows, axis=0)

    return _statistics(graph.ids[rows], sampler, base, samples, seed, solve)


def monte_carlo_of(
    graph: SupplyGraph,
    terms: Terms,
    node: int,
    *,
    samples: int = 1000,
    seed: int = 0,
    plan: SolverPlan | None = None,
) -> Interval:
    """`monte_carlo` for one node by its supply vector x = (I − A)⁻¹ δ_node: its footprint is
    linear in the direct emissions, f = Σ_i x_i b_i, so a sample is f + Σ_t x_node(t) share
    (sample_t − value_t) and no graph solve is needed per block. Only the terms upstream of the
    node (x ≠ 0) are drawn, in the order given: a caller that lists them in an order of its
    own (not the graph's) gets the same numbers from any graph holding the same upstream, which
    is what lets a published interval be recomputed from its pins."""
    if samples < 1:
        raise ValueError("samples must be >= 1")
    terms.check(graph.n_nodes)
    plan = plan if plan is not None else _plan(graph)
    x = supply_vector(plan, node)
    share = graph.allocation_share
    weight = x[terms.node] * share[terms.node] * terms.value
    kept = np.flatnonzero(weight)
    upstream = Terms(
        node=np.zeros(kept.size, dtype=np.int64),
        value=weight[kept],
        kind=terms.kind[kept],
        p1=terms.p1[kept],
        p2=terms.p2[kept],
    )
    base = np.array([float(x @ row_sums(graph.effective_direct))])
    sampler = _Sampler(upstream, np.ones(1), 1, seed)
    return _statistics(graph.ids[[node]], sampler, base, samples, seed, lambda f, _: f)


def _plan(graph: SupplyGraph) -> SolverPlan:
    from supply_graph.rollup import graph_plan

    return graph_plan(graph)


def _statistics(
    ids: npt.NDArray[np.str_],
    sampler: _Sampler,
    base: FloatArray,
    samples: int,
    seed: int,
    solve: Callable[[FloatArray, int], FloatArray],
) -> Interval:
    """Blocks of whole chunks of samples: drawn, solved (`solve` returns the kept rows), kept
    as float32 for the percentiles, summed in float64 for the mean."""
    kept = np.empty((ids.shape[0], samples), dtype=np.float32)
    total = np.zeros(ids.shape[0])
    per_block = _BLOCK_BYTES // (8 * max(base.shape[0], 1) * CHUNK)
    block = CHUNK * max(1, per_block)
    for start in range(0, samples, block):
        b = min(block, samples - start)
        chosen = solve(sampler.right_hand_sides(base, start, b), start)
        total += row_sums(chosen)
        kept[:, start : start + b] = chosen
        del chosen
    low, median, high = percentiles(kept, PERCENTILES)
    return Interval(
        ids=ids,
        mean=total / samples,
        median=median,
        low=low,
        high=high,
        samples=samples,
        seed=seed,
    )


def percentiles(kept: npt.NDArray[np.float32], q: Sequence[float]) -> list[FloatArray]:
    """Percentiles of each row (numpy's default linear interpolation between order
    statistics), sorting `kept` in place a band of rows at a time: no copy of the samples
    (np.percentile copies them all first), each band's rows stay in cache, and numpy's
    vectorised float32 sort beats its selection (`partition` with the six order statistics
    needed) 2.5-fold on 1000-sample rows (bench/RESULTS.md, "Uncertainty at scale")."""
    k = kept.shape[1]
    position = [p / 100 * (k - 1) for p in q]
    below = [math.floor(x) for x in position]
    out = [np.empty(kept.shape[0]) for _ in q]
    band = max(1, (1 << 20) // max(k, 1))
    for r0 in range(0, kept.shape[0], band):
        rows = kept[r0 : r0 + band]
        rows.sort(axis=1)
        for target, x, b in zip(out, position, below, strict=True):
            lo = rows[:, b].astype(np.float64)
            hi = rows[:, min(b + 1, k - 1)].astype(np.float64)
            target[r0 : r0 + band] = lo + (hi - lo) * (x - b)
    return out


def chunk_stream(seed: int, kind: int, chunk: int) -> np.random.Generator:
    """The generator of samples chunk·CHUNK .. (chunk + 1)·CHUNK − 1 for one kind of draw
    (0 lognormal terms, 1 range terms, 2 edge amounts): independent children of one seed, so
    any block of whole chunks draws the same numbers."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(kind, chunk)))


class _Sampler:
    """Sampled direct totals of the nodes, a block of whole chunks at a time.

    Term deviations are drawn term-major, (terms, CHUNK) per chunk, in float32 (the sampled
    spread needs no more than 7 digits; float32 halves the draws' time and memory), and
    collected into their nodes by one sparse product T · D, which lands C-contiguous in node
    rows, as the sweep wants them."""

    def __init__(self, terms: Terms, share: FloatArray, n: int, seed: int) -> None:
        m = terms.node.shape[0]
        self.seed = seed
        self.lognormal = np.flatnonzero(terms.kind == LOGNORMAL)
        self.uniform = np.flatnonzero(terms.kind == UNIFORM)
        self.sigma = terms.p1[self.lognormal].astype(np.float32)[:, None]
        self.low = terms.p1[self.uniform].astype(np.float32)[:, None]
        self.width = (terms.p1 + terms.p2)[self.uniform].astype(np.float32)[:, None]
        self.value = terms.value.astype(np.float32)[:, None]
        order = np.concatenate([self.lognormal, self.uniform])
        self.value = self.value[order]
        self.collect = sp.csr_matrix(
            (share[terms.node[order]], (terms.node[order], np.arange(m))), shape=(n, m)
        )

    def right_hand_sides(self, base: FloatArray, start: int, b: int) -> FloatArray:
        """(n, b) float64: b_j + Σ_t∈j share_j (sample_t − value_t) for samples start..start+b."""
        nl, nu = self.lognormal.size, self.uniform.size
        if not nl + nu:
            return np.repeat(base[:, None], b, axis=1)
        deviation = np.empty((nl + nu, b), dtype=np.float32)
        for offset in range(0, b, CHUNK):
            width = min(CHUNK, b - offset)
            chunk = (start + offset) // CHUNK
            if nl:
                z = chunk_stream(self.seed, 0, chunk).standard_normal((nl, CHUNK), np.float32)
                deviation[:nl, offset : offset + width] = z[:, :width]
            if nu:
                u = chunk_stream(self.seed, 1, chunk).random((nu, CHUNK), np.float32)
                deviation[nl:, offset : offset + width] = u[:, :width]
        logn, unif = deviation[:nl], deviation[nl:]
        logn *= self.sigma
        np.expm1(logn, out=logn)  # exp(σz) − 1: the relative deviation, exact near 0
        unif *= self.width
        unif -= self.low  # U(1 − low, 1 + high) − 1
        deviation *= self.value
        f = np.asarray(self.collect @ deviation, dtype=np.float64)
        f += base[:, None]
        return np.ascontiguousarray(f)


class _Solver:
    """The order of one graph, found once and reused by every block of samples: the nodes as
    listed, Kahn's order, or the level plan (loops) - as `rollup` chooses."""

    def __init__(self, graph: SupplyGraph) -> None:
        from supply_graph.rollup import _edge_amounts, graph_plan

        self.graph = graph
        self.plan = None
        self.position: IntArray | None = None
        self.order: IntArray | None = None
        amount = _edge_amounts(graph)
        if given_order_available() and in_given_order(graph.provider, graph.consumer):
            self.lower = lower_triangle(graph.n_nodes, graph.provider, graph.consumer, amount)
            return
        order, structure = (
            topological_order(graph.n_nodes, graph.provider, graph.consumer)
            if given_order_available()
            else (None, None)
        )
        if order is None:
            self.plan = graph_plan(graph, structure) if structure is not None else graph_plan(graph)
            return
        self.order = order
        self.position = np.empty(graph.n_nodes, dtype=np.int64)
        self.position[order] = np.arange(graph.n_nodes, dtype=np.int64)
        self.lower = lower_triangle(
            graph.n_nodes, graph.provider, graph.consumer, amount, self.position
        )

    def solve(self, f: FloatArray) -> None:
        """f ← (I − Aᵀ)⁻¹ f in place (rows in graph order)."""
        if self.plan is not None:
            g = np.take(f, self.plan.order, axis=0)
            substitute(self.plan, g)
            f[:] = np.take(g, self.plan.position, axis=0)
        elif self.order is None:
            sweep(self.lower, f)
        else:
            assert self.position is not None
            g = np.take(f, self.order, axis=0)
            sweep(self.lower, g)
            f[:] = np.take(g, self.position, axis=0)

    def solve_each(
        self, f: FloatArray, amount: FloatArray, sigma: FloatArray, seed: int, start: int
    ) -> None:
        """Each column with its own sampled edge amounts (same order and structure)."""
        from supply_graph.rollup import graph_plan

        graph = self.graph
        share = graph.allocation_share[graph.consumer] if graph.allocations else 1.0
        uncertain = np.flatnonzero(sigma)
        slots = self._slots()
        draws = np.empty((0, uncertain.size))
        for column in range(f.shape[1]):
            if (start + column) % CHUNK == 0 or not draws.size:
                chunk = (start + column) // CHUNK
                draws = chunk_stream(seed, 2, chunk).standard_normal((CHUNK, uncertain.size))
            z = draws[(start + column) % CHUNK]
            sampled = amount.copy()
            sampled[uncertain] *= np.exp(sigma[uncertain] * z)
            sampled = sampled * share
            if self.plan is not None:  # loops: the loop factors depend on the amounts
                plan = graph_plan(_with_amounts(graph, sampled / share))
                g = np.take(f[:, column : column + 1], plan.order, axis=0)
                substitute(plan, g)
                f[:, column] = g[plan.position, 0]
                continue
            assert slots is not None
            indptr, indices, _ = self.lower
            lower = (indptr, indices, np.ascontiguousarray(sampled[slots]))
            rows = self.order if self.order is not None else None
            g = np.ascontiguousarray(f[:, column] if rows is None else f[rows, column])
            sweep(lower, g)
            if self.position is None or rows is None:
                f[:, column] = g
            else:
                f[:, column] = g[self.position]

    def _slots(self) -> IntArray | None:
        """Edge number behind each stored value of the lower triangle (its values permuted
        exactly as the amounts were)."""
        if self.plan is not None:
            return None
        graph = self.graph
        number = np.arange(graph.n_edges, dtype=np.float64)
        _, _, data = lower_triangle(
            graph.n_nodes, graph.provider, graph.consumer, number, self.position
        )
        return data.astype(np.int64)


def _with_amounts(graph: SupplyGraph, amount: FloatArray) -> SupplyGraph:
    from dataclasses import replace

    return replace(graph, amount=amount)
