"""Completeness enforced, not only warned: a mass balance outside the rule's range needs the
supplier's reason (which a verification must accept), and inputs left out under the rule's
cut-off are declared with their estimated share of the footprint, limited by the rule and
summed, along the supply chain, into a declaration's exempted share (PACT
exemptedEmissionsPercent)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.errors import Problem
from footprint_platform.models import Submission
from footprint_platform.rules import AccountingRule
from footprint_platform.services.graph.chain import ChainGraph, rollup_isolating
from footprint_platform.services.intake.activity import Context, mass_balance_ratio
from supply_graph import rollup

MAX_EXCLUSIONS = 50
HUNDRED = Decimal(100)


def exclusions_from_text(text: str | None) -> list[dict[str, Any]]:
    """The form's and the workbook's exclusions: one per line, "what; percent"."""
    out = []
    for line in (text or "").splitlines():
        if line.strip():
            what, _, percent = line.rpartition(";")
            out.append({"what": what.strip(), "percent": percent.strip()})
    return out


def exclusions_as_text(exclusions: list[dict[str, str]] | None) -> str:
    return "\n".join(f"{e['what']}; {e['percent']}" for e in exclusions or [])


def check_exclusions(raw: Any) -> tuple[list[dict[str, str]] | None, list[Problem]]:
    """Stored-ready exclusions ({"what", "percent"} with a plain decimal string), or problems
    naming the line: each names what is left out and its estimated share of this product's
    footprint, above 0 and at most 100 %."""
    if not raw:
        return None, []
    problems, out = [], []
    for n, item in enumerate(list(raw)[: MAX_EXCLUSIONS + 1], start=1):
        what = str(item.get("what") or "").strip()
        if not what or len(what) > 200:
            problems.append(
                Problem(
                    "—",
                    n,
                    "exclusions",
                    what,
                    str(_l("Name what is left out (at most 200 characters).")),
                )
            )
        try:
            percent = Decimal(str(item.get("percent")).strip().rstrip("%").strip())
        except (InvalidOperation, ValueError):
            percent = Decimal(-1)
        if not percent.is_finite() or not 0 < percent <= HUNDRED:
            problems.append(
                Problem(
                    "—",
                    n,
                    "exclusions",
                    str(item.get("percent")),
                    str(_l("Give its estimated share of the footprint in percent (above 0).")),
                )
            )
        else:
            out.append({"what": what, "percent": format(percent.normalize(), "f")})
    if len(raw) > MAX_EXCLUSIONS:
        problems.append(Problem("—", None, "exclusions", None, str(_l("Too many exclusions."))))
    return out or None, problems


def excluded_percent(exclusions: list[dict[str, str]] | None) -> Decimal:
    return sum((Decimal(e["percent"]) for e in exclusions or []), Decimal(0))


def limit_percent(rule: AccountingRule) -> Decimal | None:
    cut = rule.cut_off
    return None if cut is None else cut.total_share * HUNDRED


def submit_problems(sub: Submission, rows: list[dict[str, Any]], ctx: Context) -> list[Problem]:
    """What keeps a version from being submitted beyond its rows: a mass balance outside the
    rule's range without a reason, and exclusions above the rule's cut-off."""
    problems = []
    ratio = mass_balance_ratio(rows, ctx)
    mb = ctx.rule.mass_balance
    if ratio is not None and mb is not None and not (sub.mass_balance_reason or "").strip():
        problems.append(
            Problem(
                ctx.section_names.get("material", "material"),
                None,
                "mass_balance_reason",
                f"{ratio:.2f}",
                str(
                    _l(
                        "Material inputs add up to %(ratio)s kg per kg of product, outside the "
                        "rule's range %(low)s–%(high)s (%(source)s). Correct the quantities or "
                        "state the reason; your verifier must accept it.",
                        ratio=f"{ratio:.2f}",
                        low=mb.low,
                        high=mb.high,
                        source=mb.source,
                    )
                ),
            )
        )
    total, limit = excluded_percent(sub.exclusions), limit_percent(ctx.rule)
    if limit is not None and total > limit:
        problems.append(over_limit(total, ctx.rule))
    return problems


def over_limit(total: Decimal, rule: AccountingRule) -> Problem:
    cut = rule.cut_off
    assert cut is not None
    return Problem(
        "—",
        None,
        "exclusions",
        format(total, "f"),
        str(
            _l(
                "Exclusions add up to %(total)s %% of the footprint; the rule's cut-off allows "
                "%(limit)s %% (%(source)s).",
                total=f"{total:.2f}",
                limit=format((cut.total_share * HUNDRED).normalize(), "f"),
                source=cut.source,
            )
        ),
    )


class Exemptions:
    """Each product's exempted share of its footprint in percent, from the exclusions the
    chain's submissions declare: a supplier's exclusion of s % of its own footprint F stands
    for s/(100 − s) · F left out per unit it makes, carried down the chain like an emission
    (one more solve of the same graph); the share is that over the footprint plus it."""

    def __init__(self, session: Session, chain: ChainGraph) -> None:
        declared = session.execute(  # few versions declare exclusions: no list of ids
            select(Submission.id, Submission.product_id, Submission.exclusions).where(
                Submission.exclusions.is_not(None)
            )
        ).all()
        used = np.isin([i for i, _, _ in declared], chain.submissions.ids)
        shares = {
            int(p): float(excluded_percent(e))
            for (_, p, e), in_chain in zip(declared, used.tolist(), strict=True)
            if e and in_chain
        }
        self.percent: np.ndarray | None = None
        if not shares:
            return
        solved = rollup_isolating(chain)
        footprint = solved.result.total
        g = solved.graph
        rows = chain.product_rows(shares.keys())
        s = np.minimum(np.array(list(shares.values())), 99.0)
        left_out = np.zeros(g.n_nodes)
        left_out[rows] = s / (100.0 - s) * footprint[rows]
        direct = np.zeros_like(g.direct)
        direct[:, 0] = left_out
        exempt = rollup(replace(g, direct=direct)).total
        with np.errstate(invalid="ignore", divide="ignore"):
            self.percent = np.where(
                footprint + exempt > 0, 100.0 * exempt / (footprint + exempt), 0.0
            )
        self.chain = chain

    def of(self, product_id: int) -> Decimal | None:
        """The product's exempted percent; None where no submission of the chain declares an
        exclusion (a declaration then stores none)."""
        if self.percent is None:
            return None
        row = int(self.chain.product_rows([product_id])[0])
        return Decimal(f"{self.percent[row]:.4f}")
