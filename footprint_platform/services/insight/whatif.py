"""What-if scenarios: changes to one of the organization's own products, evaluated by the engine.

A scenario is a list of plain change specs (dicts, as a form or saved JSON gives them):

- `swap`: buy a linked supplier's product from a competitor instead (`ReplaceProvider`);
- `grid_region`: move the product's site; its grid electricity gets the factor the accounting
  rule picks for the new region (China's rules pick the national factor for every Chinese
  region, so that move changes nothing, and the outcome says why);
- `green_share`: part of its grid electricity bought as wind or solar power under a contractual
  instrument, with the factor release's carbon-footprint factor for that source;
- `recycled`: the recycled share of a material bought as a generic dataset, moved between the
  primary dataset and a recycled dataset of the same factor release.

Each becomes `supply_graph` changes on the period's graph, evaluated against the base plan by
`evaluate_scenario` (Woodbury; the graph is never copied). Every change touches only the
product's own node and its own input edges, so no supplier's inputs are read or shown. A swap
uses a figure only where the organization may know it (docs/design.md "Who may see what"): its own
products, products shared with it, and products whose newest published declaration is their
current figure. That holds for the supplier swapped out as well: the effect of removing it
would otherwise tell its current figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

import supply_graph
from footprint_platform import stages
from footprint_platform.errors import InvalidInput
from footprint_platform.models import (
    Product,
    Submission,
    SubmissionStatus,
)
from footprint_platform.policy import Action, Actor
from footprint_platform.rules import AccountingRule
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.graph import period_graph
from footprint_platform.services.graph.chain import (
    ORIGINS,
    ChainGraph,
    product_node,
    rollup_isolating,
)
from footprint_platform.services.insight.whatif_changes import Own, Plan, read_own, translate
from footprint_platform.services.insight.whatif_options import (
    Options,
    check_known,
    form_options,
    swap_options,
)
from footprint_platform.services.insight.whatif_specs import (
    GREEN_SHARE,
    GRID_REGION,
    RECYCLED,
    SWAP,
    parse_spec,
)
from supply_graph.scenario import Scenario, SetDirect


@dataclass(frozen=True)
class Figures:
    """A footprint per declared unit: by stage (the rule's stages, in order), total, the share
    resting on primary data, and what it is made of as a stored result says it (the shares of
    the total from carried-forward data and from fallback datasets for missing data,
    `chain.composition`)."""

    by_stage: dict[str, float]
    total: float
    primary_data_share: float
    carried_share: float = 0.0
    fallback_share: float = 0.0


@dataclass(frozen=True)
class Outcome:
    product: Product
    period: tuple[date, date]
    specs: tuple[dict[str, Any], ...]
    described: tuple[str, ...]
    notes: tuple[str, ...]
    base: Figures
    scenario: Figures
    options: Options
    primary_note: str | None = None  # why the primary-data share moved, where it did

    @property
    def delta(self) -> float:
        return self.scenario.total - self.base.total


def evaluate(
    session: Session,
    actor: Actor | None,
    product_id: int,
    specs: Sequence[Mapping[str, Any]],
    period: tuple[date, date] | None = None,
) -> Outcome:
    """The product's footprint under the changes, beside its current one, from one graph build
    and one solve with the base plan. Raises InvalidInput naming the field of a refused change."""
    (outcome,) = evaluate_many(session, actor, product_id, [specs], period)
    if isinstance(outcome, InvalidInput):
        raise outcome
    return outcome


def evaluate_many(
    session: Session,
    actor: Actor | None,
    product_id: int,
    scenarios: Sequence[Sequence[Mapping[str, Any]]],
    period: tuple[date, date] | None = None,
) -> list[Outcome | InvalidInput]:
    """Several scenarios against one graph build and one base plan (to compare them); a refused
    scenario gives its refusal in its place."""
    product = _product(session, actor, product_id)
    own = read_own(session, product, period)
    start, end = own.submission.period_start, own.submission.period_end
    period = (start, end)
    translated: list[tuple[Own, Plan, list[dict[str, Any]]] | InvalidInput] = []
    for specs in scenarios:
        try:
            translated.append(_translate_all(session, product, period, specs))
        except InvalidInput as refused:
            translated.append(refused)
    leaves = [leaf for t in translated if not isinstance(t, InvalidInput) for leaf in t[1].leaves]
    # always fresh: the scenario's graph gets its own leaves, and the solve below changes it
    chain, _ = period_graph.now(
        session, start, end, rebuild=True, extra_leaves=list(dict.fromkeys(leaves))
    )
    try:
        solver = supply_graph.build_plan(chain.graph.technosphere, chain.graph.ids)
    except supply_graph.SingularLoop:  # a bad loop in the period: isolated, as in a recompute
        chain.graph = rollup_isolating(chain).graph
        solver = supply_graph.build_plan(chain.graph.technosphere, chain.graph.ids)
    # the rules' boundary columns, so every column shows its stages as the product's rule does,
    # then the origin columns (carried forward, fallback), so it says what it is made of
    rules = stages.boundary_members(chain.graph, chain.own_data())
    members = np.hstack([rules, chain.origin_masks()])
    base = supply_graph.rollup(chain.graph, solver, boundaries=members)
    options = form_options(session, product, own, chain, base)
    out: list[Outcome | InvalidInput] = []
    for t in translated:
        try:
            if isinstance(t, InvalidInput):
                raise t
            out.append(_outcome(session, product, chain, solver, base, members, options, *t))
        except InvalidInput as refused:
            out.append(refused)
    return out


def _primary_share(
    graph: supply_graph.SupplyGraph, i: int, own: Own, new: dict[str, float]
) -> float | None:
    """The node's primary share of its changed own emissions, as the roll-up weighs its rows
    (Edges.own_quality): the primary part moves with the changed rows whose provenance is
    primary. None where the new own emissions are zero (the share of nothing is kept)."""
    before = float(graph.direct[i].sum())
    after = sum(new.values())
    if after <= 0:
        return None
    part = float(graph.primary[i]) * before + own.primary_delta
    return min(max(part / after, 0.0), 1.0)


def _translate_all(
    session: Session,
    product: Product,
    period: tuple[date, date],
    specs: Sequence[Mapping[str, Any]],
) -> tuple[Own, Plan, list[dict[str, Any]]]:
    own = read_own(session, product, period)
    parsed = [parse_spec(s) for s in specs]
    plan = Plan()
    for spec in parsed:
        translate(session, product, own, spec, plan)
    return own, plan, parsed


def _outcome(
    session: Session,
    product: Product,
    chain: ChainGraph,
    solver: supply_graph.SolverPlan,
    base: supply_graph.RollupResult,
    members: np.ndarray,
    options: Options,
    own: Own,
    plan: Plan,
    parsed: list[dict[str, Any]],
) -> Outcome:
    for supplier, competitor in plan.swaps:
        check_known(session, product.organization_id, supplier, "supplier", base)
        check_known(session, product.organization_id, competitor, "competitor", base)
    changes = list(plan.edges)
    node = product_node(product.id)
    changed = chain.graph  # the graph as the scenario has it, for its stage split
    if any(own.direct.values()):
        i = chain.graph.node_index(node)
        row = chain.graph.direct[i]
        new = {s: float(row[k]) + own.direct.get(s, 0.0) for k, s in enumerate(chain.graph.stages)}
        changes.append(SetDirect(node, new, _primary_share(chain.graph, i, own, new)))
        direct = chain.graph.direct.copy()
        direct[i] = [new[s] for s in chain.graph.stages]
        changed = replace(chain.graph, direct=direct)
    result = supply_graph.evaluate_scenario(chain.graph, Scenario(changes), solver, members)
    before = _figures(base, chain.graph, node, own.rule)
    after = _figures(result, changed, node, own.rule)
    if plan.swaps:  # further swaps start from the suppliers the scenario buys from
        suppliers, competitors = swap_options(session, product, own, chain, base)
        options = replace(options, suppliers=suppliers, competitors=competitors)
    return Outcome(
        product,
        (own.submission.period_start, own.submission.period_end),
        tuple(parsed),
        tuple(plan.described),
        tuple(plan.notes),
        before,
        after,
        options,
        primary_note(before, after, {s["kind"] for s in parsed}),
    )


def primary_note(before: Figures, after: Figures, kinds: set[str]) -> str | None:
    """Why the share of the footprint resting on primary data moved (None where it did not, to
    the tenth of a percent shown): the share weighs primary emissions against all, so a change
    that moves either moves it, though no data became more or less measured."""
    a, b = before.primary_data_share * 100, after.primary_data_share * 100
    if round(a, 1) == round(b, 1):
        return None
    text = [
        str(
            _l(
                "The primary-data share moves from %(before)s %% to %(after)s %%. It is the part "
                "of the footprint computed from makers' own data (measured or calculated) rather "
                "than from generic datasets, so it moves whenever emissions move between the two, "
                "although no data became more or less measured.",
                before=format_decimal(round(a, 1)),
                after=format_decimal(round(b, 1)),
            )
        )
    ]
    if SWAP in kinds:
        text.append(
            str(_l("The product bought instead brings its own chain's share of primary data."))
        )
    if kinds & {GRID_REGION, GREEN_SHARE}:
        text.append(
            str(
                _l(
                    "Your electricity rows are primary data: their emissions change while "
                    "the generic datasets' do not."
                )
            )
        )
    if RECYCLED in kinds:
        text.append(
            str(
                _l(
                    "Materials bought as generic datasets are secondary data: moving their "
                    "amounts changes the secondary part."
                )
            )
        )
    return " ".join(text)


def _product(session: Session, actor: Actor | None, product_id: int) -> Product:
    product = catalog.product_for(session, actor, product_id, Action.VIEW_RESULTS)
    return product


def periods(session: Session, product_id: int) -> list[tuple[date, date]]:
    """Periods with submitted data for the product, newest first (call after authorizing)."""
    rows = session.execute(
        select(Submission.period_start, Submission.period_end)
        .where(Submission.product_id == product_id, Submission.status == SubmissionStatus.SUBMITTED)
        .order_by(Submission.period_end.desc(), Submission.period_start.desc())
    ).all()
    return [(r[0], r[1]) for r in rows]


def _figures(
    result: supply_graph.RollupResult,
    graph: supply_graph.SupplyGraph,
    node: str,
    rule: AccountingRule,
) -> Figures:
    """The product's figures under `result`, its stages relative to its rule (as stored
    results and declarations show them); its origins from the last boundary columns (the
    chain's `origin_masks`, after the rules' sets, which `stages.split_one` reads by position)."""
    r = result[node]
    split = stages.split_one(rule, graph, result, node)
    by_stage = {s: float(split.get(s, 0.0)) for s in rule.stage_codes}
    by_stage.update({s: v for s, v in split.items() if s not in by_stage and v})
    share = float(r.primary_data_share)
    assert result.boundary is not None
    carried, fallback = result.boundary[graph.index[node], -len(ORIGINS) :].tolist()
    total = float(r.total)
    return Figures(
        by_stage,
        total,
        0.0 if np.isnan(share) else share,
        _share(carried, total),
        _share(fallback, total),
    )


def _share(part: float, total: float) -> float:
    """A part of the total as a share 0..1 (as `chain.composition` stores it); 0 of nothing."""
    return min(max(part / total, 0.0), 1.0) if total else 0.0
