"""One submission, two declarations: a battery's footprint under China's rule and under the
EU's, from the same pinned inputs, and what makes them differ, line by line.

A product's default rule (power_battery) values its chain as its suppliers submitted it. A
jurisdiction's rule (`default = false` in config/rules: power_battery_cn, power_battery_eu)
recomputes the same pinned submissions as that rule states, for the categories it applies to
(the cell, module and pack plants of the chain):
- end of life and recycled content by its `[end_of_life]` method (the Circular Footprint
  Formula, or the cut-off), through `rules.declared_under`, which the roll-up reads;
- electricity by its `[electricity]` policy: a plant's kWh under a contractual instrument the
  rule does not accept (every instrument under `grid_mix_only`; a PPA without certificates
  under the Chinese rule) take the rule's grid factor instead of the instrument's, from the
  submission's own factor release; rows the rule accepts keep the value they were given;
- stages, functional unit, GWP set, cut-off, scope and verification as the rule states them.
Materials upstream keep their own rule: what a cathode maker submitted is the same under both.

The difference between the two totals is taken apart by changing one clause at a time (rule
A; A with B's electricity; then with B's end of life; then B), so each line of the comparison
names the clause that causes its part, with the source of each rule's clause.

One module because the two footprints and the comparison that explains them clause by clause
must stay exact inverses: each line's cause is computed by changing one clause of the same
solve, so the solve and the explanation are read together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import numpy as np
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform import stages
from footprint_platform.battery import FunctionalUnit, functional_unit, functional_unit_missing
from footprint_platform.electricity import GRID_MIX_ONLY, ElectricityPolicy
from footprint_platform.errors import InvalidInput, NotFound
from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    EmissionFactor,
    Product,
    RollupRun,
    Submission,
    SubmissionInput,
)
from footprint_platform.policy import Action, Actor
from footprint_platform.reference import load_reference
from footprint_platform.rules import (
    AccountingRule,
    declared_under,
    rule_version,
    rules_for_category,
)
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.graph import period_graph
from footprint_platform.services.graph.build import pinned_upstream_graph
from footprint_platform.services.graph.chain import (
    ChainGraph,
    Isolated,
    composition,
    product_node,
    rollup_isolating,
)
from footprint_platform.services.graph.results import result_rows
from supply_graph import SupplyGraph, rollup
from supply_graph.units import conversion_factor

GRID = "grid"
TOLERANCE = 1e-9  # relative: below it two figures are the same


# --- computing under a rule -------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Revalued:
    """What a rule's electricity policy changed in a chain: per node, the kWh per unit of
    its product valued at the grid factor instead of an instrument's (`per_node`), and how
    many rows (never which: other makers' data)."""

    per_node: np.ndarray | None
    rows: int

    def embodied(self, graph: SupplyGraph, node: str) -> float:
        """Those kWh in one unit of the node's product, through the chain: the same linear
        solve as the footprint, with the kWh as the only stage."""
        if self.per_node is None:
            return 0.0
        n = graph.n_nodes
        tagged = replace(
            graph,
            direct=self.per_node[:, None],
            stages=("kwh",),
            primary=np.zeros(n, dtype=bool),
            dqr=np.full(n, np.nan),
        )
        return float(rollup(tagged).by_stage[graph.index[node], 0])


NOTHING_REVALUED = Revalued(None, 0)


@contextmanager
def _under(rule: AccountingRule) -> Iterator[None]:
    """The rule's clauses for its categories, where it is not their default."""
    if rule.is_default:
        yield
    else:
        with declared_under(rule):
            yield


def _electricity_rows(session: Session, submission_ids: list[int]) -> list[Any]:
    """The electricity rows (those naming an instrument, grid included) of the submissions."""
    if not submission_ids:
        return []
    return list(
        session.execute(
            select(
                SubmissionInput.submission_id,
                SubmissionInput.stage,
                SubmissionInput.quantity,
                SubmissionInput.unit,
                SubmissionInput.factor_code,
                SubmissionInput.td_factor_code,
                SubmissionInput.instrument,
                SubmissionInput.grid_region,
                Submission.product_id,
                Submission.rule_code,
                Submission.factor_release_id,
                Submission.period_end,
            )
            .join(Submission, Submission.id == SubmissionInput.submission_id)
            .where(
                SubmissionInput.submission_id.in_(submission_ids),
                SubmissionInput.instrument.is_not(None),
            )
            .order_by(SubmissionInput.submission_id, SubmissionInput.position)
        )
    )


def _accepts(policy: ElectricityPolicy, instrument: str) -> bool:
    return instrument == GRID or (
        policy.policy != GRID_MIX_ONLY and instrument in policy.instruments
    )


def revalue_electricity(
    session: Session, chain: ChainGraph, rule: AccountingRule, policy: ElectricityPolicy
) -> tuple[ChainGraph, Revalued]:
    """The chain with the electricity of `rule`'s plants valued by `policy`: each row of a
    submission made under another rule whose instrument the policy does not accept, or whose
    grid factor is not the policy's, takes the policy's grid factor (the release and year
    of the submission, the row's grid region). Rows the policy accepts are unchanged."""
    categories = set(rule.applies_to)
    ids = [p for p in chain.product_ids if chain.categories.get(p) in categories]
    subs = {chain.submissions[p].id: p for p in ids if p in chain.submissions}
    rows = [r for r in _electricity_rows(session, sorted(subs)) if r.rule_code != rule.code]
    if not rows:
        return chain, NOTHING_REVALUED
    factors = _electricity_factors(session, {int(r.factor_release_id) for r in rows})
    g = chain.graph
    direct = np.array(g.direct, dtype=np.float64, copy=True)
    column = {s: c for c, s in enumerate(g.stages)}
    kwh, changed = np.zeros(g.n_nodes), 0
    for r in rows:
        release = factors.get(int(r.factor_release_id), {})
        accepted = _accepts(policy, str(r.instrument))
        if accepted and str(r.instrument) != GRID:
            continue
        target = policy.grid_code(release, str(r.grid_region or ""), r.period_end.year)
        if target is None or target not in release:
            raise InvalidInput(
                str(
                    _l(
                        "The factor release has no grid factor for %(region)s that the rule "
                        "%(rule)s could use.",
                        region=r.grid_region or "—",
                        rule=rule.code,
                    )
                )
            )
        if accepted and target == r.factor_code:
            continue
        old = _value(release, r.factor_code, r.quantity, r.unit) + _value(
            release, r.td_factor_code, r.quantity, r.unit
        )
        new = _value(release, target, r.quantity, r.unit)
        row = int(np.searchsorted(chain.product_array, int(r.product_id)))
        direct[row, column[str(r.stage)]] += new - old
        kwh[row] += float(r.quantity) * _to(release[target].unit, str(r.unit))
        changed += 1
    return replace(chain, graph=replace(g, direct=direct)), Revalued(kwh, changed)


def _to(factor_unit: str, unit: str) -> float:
    return conversion_factor(unit, factor_unit) or 0.0


def _value(factors: Mapping[str, EmissionFactor], code: str | None, qty: Any, unit: str) -> float:
    """kg CO2e of a row's quantity at the factor `code` (0 without one)."""
    if not code or code not in factors:
        return 0.0
    f = factors[code]
    return float(qty) * _to(f.unit, str(unit)) * float(f.value)


def _electricity_factors(
    session: Session, release_ids: set[int]
) -> dict[int, dict[str, EmissionFactor]]:
    out: dict[int, dict[str, EmissionFactor]] = {}
    for f in session.scalars(
        select(EmissionFactor).where(
            EmissionFactor.release_id.in_(release_ids), EmissionFactor.category == "electricity"
        )
    ):
        out.setdefault(f.release_id, {})[f.code] = f
    return out


@dataclass(frozen=True)
class Solved:
    """A product's footprint under a rule: the chain as computed, its solve, and the stages
    relative to the rule, with what the rule's electricity changed."""

    rule: AccountingRule
    chain: ChainGraph
    isolated: Isolated
    product_id: int
    by_stage: dict[str, float]
    revalued: Revalued

    @property
    def revalued_kwh(self) -> float:
        """kWh per declared unit the rule's electricity policy valued at the grid instead."""
        return self.revalued.embodied(self.isolated.graph, product_node(self.product_id))

    @property
    def total(self) -> float:
        return float(self.isolated.result[product_node(self.product_id)].total)

    def result_row(self) -> dict[str, Any]:
        """The product's result as a run stores it (results.result_rows), under the rule."""
        chain, isolated = self.chain, self.isolated
        origins = composition(isolated.graph, chain.origin_masks(), isolated.result.total)
        with _under(self.rule):
            return next(result_rows(0, chain, isolated.result, [self.product_id], (), origins))


def solve(
    rule: AccountingRule,
    session: Session,
    product_id: int,
    build: Callable[[], ChainGraph],
    electricity: ElectricityPolicy | None = None,
) -> Solved:
    """The product's footprint under `rule`, its chain made by `build` (the pinned graph),
    its plants' electricity valued by `electricity` (default: the rule's own policy)."""
    with _under(rule):
        chain = build()
    revalued = NOTHING_REVALUED
    if not rule.is_default or electricity is not None:
        chain, revalued = revalue_electricity(session, chain, rule, electricity or rule.electricity)
    isolated = rollup_isolating(chain)
    by_stage = stages.split_one(rule, isolated.graph, isolated.result, product_node(product_id))
    return Solved(rule, chain, isolated, product_id, by_stage, revalued)


def pinned_builder(
    session: Session,
    product_id: int,
    period: tuple[date, date],
    pins: Mapping[int, int],
    fallback_release_id: int,
    as_of: datetime | None,
) -> Callable[[], ChainGraph]:
    """The product's pinned upstream graph, built when called (under the caller's rule)."""
    return lambda: pinned_upstream_graph(
        session, product_id, period[0], period[1], pins, fallback_release_id, as_of
    )


def solve_declaration(session: Session, d: Declaration, rule: AccountingRule) -> Solved:
    """A declaration recomputed from its pins under `rule` (its own, to verify it)."""
    pins = {int(p): v[0] for p, v in d.pinned.items()}
    return solve(
        rule,
        session,
        d.product_id,
        lambda: period_graph.as_declared(session, d, pins, upstream_only=True),
    )


def chosen_rule(product: Product, code: str | None) -> AccountingRule:
    """The rule a declaration of the product is made under: its category's default, or one
    of the jurisdictions' rules that apply to the category, named by code."""
    applicable = rules_for_category(product.category)
    if not code:
        return applicable[0]
    for rule in applicable:
        if rule.code == code:
            return rule
    msg = str(_l("This rule does not apply to the product's category."))
    raise InvalidInput(msg, {"rule_code": [msg]})


def jurisdiction_rules(category: str) -> tuple[AccountingRule, AccountingRule] | None:
    """(China's, the EU's) rules for the category, None where it has not both."""
    found = {r.jurisdiction: r for r in rules_for_category(category) if r.jurisdiction}
    if "CN" in found and "EU" in found:
        return found["CN"], found["EU"]
    return None


# --- the comparison ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cause:
    """One clause that differs between the two rules: where it is in each rule (`clause`, a
    rule table and key), what each states, each one's source, and what it changes in the
    figure of its line (kg CO2e per declared unit; None where it changes no number)."""

    clause: str
    a: str
    b: str
    source_a: str
    source_b: str
    effect: float | None = None


@dataclass(frozen=True)
class Line:
    """One line of the comparison: a figure or a statement under each rule, whether they
    differ, and the causes of the difference (none where they are the same)."""

    key: str
    label: str
    a: Any
    b: Any
    unit: str
    differs: bool
    causes: tuple[Cause, ...] = ()
    stage: str | None = None  # a stage line: the stage code (each rule names it its way)

    @property
    def difference(self) -> float | None:
        if isinstance(self.a, float) and isinstance(self.b, float):
            return self.b - self.a
        return None


@dataclass(frozen=True)
class Comparison:
    product: Product
    period: tuple[date, date]
    a: AccountingRule  # China's
    b: AccountingRule  # the EU's
    total_a: float
    total_b: float
    lines: tuple[Line, ...]
    pins: dict[int, int]

    def line(self, key: str) -> Line:
        return next(line for line in self.lines if line.key == key)

    @property
    def differences(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.differs)


def _same(x: float, y: float) -> bool:
    return abs(x - y) <= TOLERANCE * max(abs(x), abs(y), 1e-12)


def _steps(
    session: Session,
    product_id: int,
    a: AccountingRule,
    b: AccountingRule,
    build: Callable[[], ChainGraph],
) -> list[tuple[str, Solved]]:
    """The footprint under A, then with B's electricity, then also B's end of life, then
    under B: each step changes one clause, so the differences between steps are the clauses'
    parts."""
    first = solve(a, session, product_id, build)
    with_electricity = solve(a, session, product_id, build, b.electricity)
    both = replace(a, end_of_life=b.end_of_life)  # A with B's end of life only
    with_both = solve(both, session, product_id, build, b.electricity)
    last = solve(b, session, product_id, build)
    return [
        ("a", first),
        ("electricity", with_electricity),
        ("end_of_life", with_both),
        ("b", last),
    ]


def compare_pins(
    session: Session,
    product: Product,
    period: tuple[date, date],
    pins: Mapping[int, int],
    fallback_release_id: int,
    as_of: datetime | None,
) -> Comparison:
    """The product's footprint under China's and the EU's rules from the same pins, and each
    difference with the rule clauses that cause it."""
    pair = jurisdiction_rules(product.category)
    if pair is None:
        raise NotFound(str(_l("No China and EU rules apply to this product's category.")))
    a, b = pair
    build = pinned_builder(session, product.id, period, pins, fallback_release_id, as_of)
    steps = _steps(session, product.id, a, b, build)
    total_lines = _total_lines(a, b, steps)
    lines = [
        *total_lines,
        *_functional_unit_lines(
            product, a, b, steps[0][1].total, steps[-1][1].total, total_lines[0].causes
        ),
        *_rule_lines(a, b),
    ]
    return Comparison(
        product,
        period,
        a,
        b,
        steps[0][1].total,
        steps[-1][1].total,
        tuple(lines),
        dict(pins),
    )


def _electricity_cause(a: AccountingRule, b: AccountingRule, effect: float | None) -> Cause:
    return Cause(
        "[electricity] policy, instruments",
        _policy_text(a.electricity),
        _policy_text(b.electricity),
        a.electricity.sources.get("policy", ""),
        b.electricity.sources.get("policy", ""),
        effect,
    )


def _end_of_life_cause(a: AccountingRule, b: AccountingRule, effect: float | None) -> Cause:
    return Cause(
        "[end_of_life] method",
        a.end_of_life.method,
        b.end_of_life.method,
        a.end_of_life.source,
        b.end_of_life.source,
        effect,
    )


def _other_cause(a: AccountingRule, b: AccountingRule, effect: float) -> Cause:
    """What is left once electricity and end of life are B's: the rules' other clauses that
    the roll-up reads (missing data, fuel supply), identical in the shipped rules."""
    return Cause(
        "[missing_data], [fuel_upstream]",
        a.code,
        b.code,
        a.missing_data.source,
        b.missing_data.source,
        effect,
    )


def _policy_text(policy: ElectricityPolicy) -> str:
    accepted = ", ".join(policy.instruments) if policy.policy != GRID_MIX_ONLY else "—"
    return f"{policy.policy} ({accepted})"


def _parts(
    a: AccountingRule,
    b: AccountingRule,
    steps: list[tuple[str, Solved]],
    value: Callable[[Solved], float],
) -> tuple[Cause, ...]:
    """The causes of a figure's difference, one per step that changes it."""
    causes = []
    for (_, before), (name, after) in pairwise(steps):
        x, y = value(before), value(after)
        if _same(x, y):
            continue
        effect = y - x
        if name == "electricity":
            causes.append(_electricity_cause(a, b, effect))
        elif name == "end_of_life":
            causes.append(_end_of_life_cause(a, b, effect))
        else:
            causes.append(_other_cause(a, b, effect))
    return tuple(causes)


def _total_lines(
    a: AccountingRule, b: AccountingRule, steps: list[tuple[str, Solved]]
) -> list[Line]:
    first, last = steps[0][1], steps[-1][1]
    lines = [
        Line(
            "total",
            str(_l("Total per declared unit")),
            first.total,
            last.total,
            "kg CO2e",
            not _same(first.total, last.total),
            _parts(a, b, steps, lambda s: s.total),
        )
    ]
    for stage in a.stages:
        x, y = first.by_stage.get(stage.code, 0.0), last.by_stage.get(stage.code, 0.0)
        causes = _parts(a, b, steps, _stage_value(stage.code))
        lines.append(_stage_line(a, b, stage.code, x, y, causes))
    before, after = steps[0][1].revalued_kwh, last.revalued_kwh
    lines.append(
        Line(
            "electricity_kwh",
            str(_l("kWh per declared unit from battery plants valued at the grid factor instead")),
            float(before),
            float(after),
            "kWh",
            not _same(before, after),
            (_electricity_cause(a, b, None),) if not _same(before, after) else (),
        )
    )
    return lines + _method_lines(
        a, b, _step_effect(steps, "electricity"), _step_effect(steps, "end_of_life")
    )


def _stage_value(code: str) -> Callable[[Solved], float]:
    return lambda solved: solved.by_stage.get(code, 0.0)


def _stage_line(
    a: AccountingRule, b: AccountingRule, code: str, x: float, y: float, causes: tuple[Cause, ...]
) -> Line:
    """A stage's figures under each rule, with the causes of their difference and, where
    the two rules name the stage differently, that too."""
    mine, other = (next((s for s in rule.stages if s.code == code), None) for rule in (a, b))
    if mine and other and (mine.en, mine.zh) != (other.en, other.zh):
        causes += (
            Cause(
                "[[stage]] en, zh",
                f"{mine.zh} / {mine.en}",
                f"{other.zh} / {other.en}",
                str(a.raw["stage_model"]["source"]),
                str(b.raw["stage_model"]["source"]),
            ),
        )
    return Line(f"stage:{code}", code, x, y, "kg CO2e", bool(causes), causes, code)


def _method_lines(
    a: AccountingRule,
    b: AccountingRule,
    electricity: float | None,
    end_of_life: float | None,
) -> list[Line]:
    """The electricity policy and end-of-life method of each rule, with what each changes
    in the total (None: not recomputed here)."""
    elec_differs = (a.electricity.policy, a.electricity.instruments) != (
        b.electricity.policy,
        b.electricity.instruments,
    )
    eol_differs = a.end_of_life.method != b.end_of_life.method
    return [
        Line(
            "electricity",
            str(_l("Electricity of the battery plants")),
            _policy_text(a.electricity),
            _policy_text(b.electricity),
            "",
            elec_differs,
            (_electricity_cause(a, b, electricity),) if elec_differs else (),
        ),
        Line(
            "end_of_life",
            str(_l("End of life and recycled content")),
            a.end_of_life.method,
            b.end_of_life.method,
            "",
            eol_differs,
            (_end_of_life_cause(a, b, end_of_life),) if eol_differs else (),
        ),
    ]


def _step_effect(steps: list[tuple[str, Solved]], name: str) -> float:
    k = next(i for i, (n, _) in enumerate(steps) if n == name)
    return steps[k][1].total - steps[k - 1][1].total


def _functional_unit_lines(
    product: Product,
    a: AccountingRule,
    b: AccountingRule,
    total_a: float,
    total_b: float,
    total_causes: tuple[Cause, ...] = (),
) -> list[Line]:
    """Per kWh of total lifetime energy and of rated capacity, as each rule defines the
    lifetime energy from the product as it is now."""
    units: list[FunctionalUnit | None] = []
    for rule in (a, b):
        try:
            units.append(functional_unit(product, rule))
        except InvalidInput:
            units.append(None)
    return _unit_lines(product, a, b, (units[0], units[1]), (total_a, total_b), total_causes)


def _unit_lines(
    product: Product,
    a: AccountingRule,
    b: AccountingRule,
    units: tuple[FunctionalUnit | None, FunctionalUnit | None],
    totals: tuple[float, float],
    total_causes: tuple[Cause, ...],
) -> list[Line]:
    """The functional-unit lines of two footprints (a line saying what is missing where the
    product lacks what a rule needs). A figure per kWh is the total times a factor k of each
    rule's functional unit, so its difference is the total's, times B's k, cause by cause,
    plus A's total times the change of k (the lifetime clause): k_b t_b - k_a t_a =
    k_b (t_b - t_a) + t_a (k_b - k_a)."""
    fu_a, fu_b = units
    if fu_a is None or fu_b is None:
        missing = functional_unit_missing(product, a if fu_a is None else b)
        return [
            Line(
                "functional_unit",
                str(_l("Functional unit: missing on the product")),
                ", ".join(missing) if fu_a is None else "",
                ", ".join(missing) if fu_b is None else "",
                "",
                False,
            )
        ]
    lifetime = Cause(
        "[lifetime] cycles_per_year",
        _cycles_text(fu_a),
        _cycles_text(fu_b),
        str(a.raw.get("lifetime", {}).get("source", "")),
        str(b.raw.get("lifetime", {}).get("source", "")),
    )
    lifetime_differs = fu_a.lifetime_energy_kwh != fu_b.lifetime_energy_kwh
    lines = [
        Line(
            "lifetime_energy",
            str(_l("Total lifetime energy of one battery")),
            float(fu_a.lifetime_energy_kwh),
            float(fu_b.lifetime_energy_kwh),
            "kWh",
            lifetime_differs,
            (lifetime,) if lifetime_differs else (),
        )
    ]
    per_lifetime = (
        1 / float(fu_a.energy_per_declared_unit),
        1 / float(fu_b.energy_per_declared_unit),
    )
    per_capacity = (
        per_lifetime[0] * float(fu_a.lifetime_energy_kwh / fu_a.rated_capacity_kwh),
        per_lifetime[1] * float(fu_b.lifetime_energy_kwh / fu_b.rated_capacity_kwh),
    )
    for key, label, k in (
        ("per_kwh_lifetime", _l("Declared figure, per kWh of total lifetime energy"), per_lifetime),
        ("per_kwh_capacity", _l("Per kWh of rated capacity (shown beside it)"), per_capacity),
    ):
        x, y = totals[0] * k[0], totals[1] * k[1]
        causes = tuple(
            replace(c, effect=None if c.effect is None else c.effect * k[1]) for c in total_causes
        )
        if not _same(k[0], k[1]):
            causes += (replace(lifetime, effect=totals[0] * (k[1] - k[0])),)
        lines.append(Line(key, str(label), x, y, "kg CO2e/kWh", not _same(x, y), causes))
    return lines


def _cycles_text(fu: FunctionalUnit | None) -> str:
    if fu is None:
        return "—"
    return (
        f"{fu.usable_energy_kwh} kWh × {fu.cycles_per_year}/a × {fu.service_life_years} a "
        f"({fu.vehicle_category})"
    )


def _rule_lines(a: AccountingRule, b: AccountingRule) -> list[Line]:
    """The clauses that change no number of this product but are part of each declaration."""
    out = []
    ca, cb = a.characterisation, b.characterisation
    out.append(
        _statement(
            "gwp",
            str(_l("GWP set")),
            "[characterisation] gwp",
            ca.gwp,
            cb.gwp,
            ca.source,
            cb.source,
        )
    )
    cut_a, cut_b = a.cut_off, b.cut_off
    out.append(
        _statement(
            "cut_off",
            str(_l("Cut-off: largest total share left out")),
            "[cut_off] total_share",
            "—" if cut_a is None else str(cut_a.total_share),
            "—" if cut_b is None else str(cut_b.total_share),
            "" if cut_a is None else cut_a.source,
            "" if cut_b is None else cut_b.source,
        )
    )
    out.append(
        _statement(
            "stage_model",
            str(_l("Boundary of the main production stage")),
            "[stage_model] main_categories",
            ", ".join(sorted(a.raw["stage_model"]["main_categories"])),
            ", ".join(sorted(b.raw["stage_model"]["main_categories"])),
            str(a.raw["stage_model"]["source"]),
            str(b.raw["stage_model"]["source"]),
        )
    )
    out.append(
        _statement(
            "scope",
            str(_l("Who must declare")),
            "declaration_threshold_kwh, declaring_categories",
            _scope_text(a),
            _scope_text(b),
            str(a.raw.get("scope_source", "")),
            str(b.raw.get("scope_source", "")),
        )
    )
    out.append(
        _statement(
            "verification",
            str(_l("Verification before publication")),
            "self_declaration",
            str(_l("third party")) if not a.self_declaration else str(_l("self-declared")),
            str(_l("third party")) if not b.self_declaration else str(_l("self-declared")),
            str(a.raw.get("verification_source", "")),
            str(b.raw.get("verification_source", "")),
        )
    )
    return out


def _locale() -> str:
    """The reader's language ("en" outside a request)."""
    try:
        return str(get_locale() or "en")
    except RuntimeError:
        return "en"


def _scope_text(rule: AccountingRule) -> str:
    threshold = rule.raw.get("declaration_threshold_kwh")
    if threshold is None:
        return str(_l("every battery, per model and plant"))
    names = load_reference().categories
    locale = _locale()
    categories = ", ".join(
        names[c].label(locale) if c in names else c
        for c in rule.raw.get("declaring_categories") or []
    )
    return str(_l("above %(kwh)s kWh, declared by: %(who)s", kwh=threshold, who=categories))


def _statement(
    key: str, label: str, clause: str, a: str, b: str, source_a: str, source_b: str
) -> Line:
    differs = a != b
    cause = Cause(clause, a, b, source_a, source_b)
    return Line(key, label, a, b, "", differs, (cause,) if differs else ())


# --- entry points -----------------------------------------------------------------------


def compare(session: Session, actor: Actor, product_id: int, start: date, end: date) -> Comparison:
    """The product's period under both rules, from the pins of its newest result (what a
    declaration made now would pin)."""
    product = catalog.product_for(session, actor, product_id, Action.VIEW_PRODUCTS)
    run = session.scalars(
        select(RollupRun)
        .where(RollupRun.period_start == start, RollupRun.period_end == end)
        .order_by(RollupRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        msg = str(_l("Nothing is computed for this period yet."))
        raise InvalidInput(msg, {"period": [msg]})
    chain = period_graph.as_of_run(session, run)
    upstream = chain.reachable_rows([product.id], "up")
    pins = {
        int(p): v[0] for p, v in chain.submissions.pins_of(chain.product_array[upstream]).items()
    }
    return compare_pins(
        session, product, (start, end), pins, run.fallback_release_id, run.started_at
    )


def compare_declaration(session: Session, d: Declaration) -> Comparison:
    """Both rules from the declaration's own pins (the caller has checked the reader)."""
    pins = {int(p): v[0] for p, v in d.pinned.items()}
    as_of = session.scalar(select(RollupRun.started_at).where(RollupRun.id == d.run_id))
    return compare_pins(
        session, d.product, (d.period_start, d.period_end), pins, d.fallback_release_id, as_of
    )


def counterparts(session: Session, d: Declaration) -> dict[str, Declaration]:
    """The newest declaration (not superseded) of the same product and period under each
    jurisdiction's rule, by rule code."""
    found = session.scalars(
        select(Declaration)
        .where(
            Declaration.product_id == d.product_id,
            Declaration.period_start == d.period_start,
            Declaration.period_end == d.period_end,
            Declaration.status != DeclarationStatus.SUPERSEDED,
        )
        .order_by(Declaration.version)
    )
    return {x.rule_code: x for x in found}


def public_pair(session: Session, d: Declaration) -> tuple[Declaration, Declaration] | None:
    """China's and the EU's published declarations of the declaration's product and period,
    made from the same pins, where `d` is one of them; None otherwise (nothing is shown)."""
    pair = jurisdiction_rules(d.product.category)
    if pair is None or d.status is not DeclarationStatus.PUBLISHED:
        return None
    current = counterparts(session, d)
    cn, eu = current.get(pair[0].code), current.get(pair[1].code)
    if cn is None or eu is None or d.id not in (cn.id, eu.id):
        return None
    published = DeclarationStatus.PUBLISHED
    if cn.status is not published or eu.status is not published or cn.pinned != eu.pinned:
        return None
    return cn, eu


def compare_declared(cn: Declaration, eu: Declaration) -> Comparison:
    """The two declarations side by side as they were stored (nothing is recomputed: the
    public pages render from stored declarations): totals, stages and functional units as
    pinned, each difference with the clauses of the two rules that change numbers (their
    parts are shown to the declaring organization, from the recomputation)."""
    a = rule_version(cn.rule_code, cn.rule_version)
    b = rule_version(eu.rule_code, eu.rule_version)
    numeric = [
        cause
        for cause, differs in (
            (_electricity_cause(a, b, None), a.electricity.policy != b.electricity.policy),
            (_end_of_life_cause(a, b, None), a.end_of_life.method != b.end_of_life.method),
        )
        if differs
    ]
    total_a, total_b = float(cn.total), float(eu.total)
    lines = [
        Line(
            "total",
            str(_l("Total per declared unit")),
            total_a,
            total_b,
            "kg CO2e",
            not _same(total_a, total_b),
            tuple(numeric) if not _same(total_a, total_b) else (),
        )
    ]
    for stage in a.stages:
        x, y = float(cn.by_stage.get(stage.code, 0)), float(eu.by_stage.get(stage.code, 0))
        causes = tuple(numeric) if not _same(x, y) else ()
        lines.append(_stage_line(a, b, stage.code, x, y, causes))
    lines += _method_lines(a, b, None, None)
    fu_a, fu_b = (
        None if d.functional_unit is None else FunctionalUnit.from_json(d.functional_unit)
        for d in (cn, eu)
    )
    lines += _unit_lines(cn.product, a, b, (fu_a, fu_b), (total_a, total_b), lines[0].causes)
    lines += _rule_lines(a, b)
    pins = {int(p): v[0] for p, v in cn.pinned.items()}
    return Comparison(
        cn.product, (cn.period_start, cn.period_end), a, b, total_a, total_b, tuple(lines), pins
    )
