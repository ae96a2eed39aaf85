"""A declared product's life-cycle stages as its rule defines them, not as each maker upstream
labelled its rows.

The engine's stage columns carry every maker's own labels up the chain (a refinery's kiln fuel
labelled "production" would stay "production" up to the pack). A rule's `[stage_model]` instead
defines its main stage by the categories of the nodes whose own emissions belong there (for
batteries, after Regulation (EU) 2023/1542 Annex II: the cell, module and pack plants). Each such
set of categories is one more right-hand side of the roll-up (`supply_graph.boundary_members`),
so the part of every footprint emitted by those nodes upstream comes out of the same solve;
`split` then reads each product's stages relative to its own rule. The split always adds up to
the total: the residual stage takes what the others do not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import supply_graph
from footprint_platform.rules import AccountingRule, load_rules
from supply_graph import RollupResult, SupplyGraph


def boundary_sets() -> tuple[frozenset[str], ...]:
    """Every category set a current rule's stage model names, in a fixed order (the order of
    the boundary columns of a roll-up)."""
    found: dict[tuple[str, ...], frozenset[str]] = {}
    for rule in load_rules().values():
        model = rule.stage_model
        if model is not None and model.main_categories is not None:
            found[tuple(sorted(model.main_categories))] = model.main_categories
    return tuple(found[k] for k in sorted(found))


def boundary_members(graph: SupplyGraph, own_data: np.ndarray) -> np.ndarray:
    """The roll-up's boundary membership (one right-hand side per set): the nodes of its
    categories that carry their maker's own data (`own_data`: submitted or carried-forward
    products, never a generic dataset or a product valued without data, whose figure is cradle
    to gate and not one plant's own). Whether that data is primary (measured) or estimated
    does not matter here: it is the plant's own gate to gate either way."""
    return supply_graph.boundary_members(graph, boundary_sets(), nodes=own_data)


def split(
    rule: AccountingRule,
    graph: SupplyGraph,
    result: RollupResult,
    rows: Sequence[int],
    own_data: np.ndarray | None = None,
) -> np.ndarray:
    """(len(rows), stages): the stages of the nodes `rows` relative to `rule` (the declared
    product's), in the result's stage order; the makers' labels as they are for a rule
    without a stage model (version 1.0). Each row adds up to its total. `own_data`: the
    boundary's node mask (`boundary_members`); None where every row is a product with its own
    data (a declared product)."""
    index = np.asarray(rows, dtype=np.int64)
    labelled = np.asarray(result.by_stage)[index]
    model = rule.stage_model
    if model is None:
        return np.array(labelled, dtype=np.float64)
    stages = list(result.stages)
    own = graph.effective_direct[index]
    out = np.zeros_like(labelled, dtype=np.float64)
    kept = [c for c, s in enumerate(stages) if s not in (model.main, model.residual)]
    out[:, kept] = own[:, kept]
    own_kept = own[:, kept].sum(axis=1)
    if model.main_categories is None:  # the declared product's own gate to gate
        main = own.sum(axis=1) - own_kept
    else:
        if result.boundary is None:
            raise ValueError("the roll-up was not given the boundary columns of the rules")
        column = boundary_sets().index(model.main_categories)
        main = result.boundary[index, column].copy()
        # the declared product's own kept rows are in its own column value: taken out once
        names = graph.category_names
        code = graph.category_code[index]
        in_set = np.array(
            [c >= 0 and names[c] in model.main_categories for c in code.tolist()], dtype=bool
        )
        own_rows = np.ones(len(index), dtype=bool) if own_data is None else own_data[index]
        main -= np.where(in_set & own_rows, own_kept, 0.0)
    total = labelled.sum(axis=1)
    out[:, stages.index(model.main)] = main
    out[:, stages.index(model.residual)] = total - main - own_kept
    return out


def split_one(
    rule: AccountingRule, graph: SupplyGraph, result: RollupResult, node: str
) -> dict[str, float]:
    """One node's stages relative to `rule`, by stage code."""
    row = graph.index[node]
    values = split(rule, graph, result, [row])[0]
    return {s: float(v) for s, v in zip(result.stages, values, strict=True)}
