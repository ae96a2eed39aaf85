"""No submission can break the roll-up: a version whose links would make its product part of a
loop with no physical footprint (a product needing one unit or more of itself, rho(A_cc) >= 1)
is refused when its draft is saved and again when it is submitted, with an error naming the loop
as its submitter may see it.

The check runs on the period's graph as the roll-up would compute it with this version in place
of the product's current one (the period's snapshot patched, else the graph built afresh; the
rows become edges through the same code as in a roll-up), so it refuses exactly what would break
the roll-up and nothing else. A draft without a link to a product cannot close a loop and costs
nothing; nor does one whose linked products do not draw, through any submitted version's links,
on the submitter's product (`_may_close_loop`: a few indexed reads, no graph). A bad loop this
version does not create (elsewhere in the period, or one the product was already on with its
current version, say a row written past the services) does not refuse it: the maker of a
product on a loop cannot be held up by a link someone else made. Such a loop is isolated by
every recompute (services/graph/chain.py, `rollup_isolating`) and reported to the operator.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.bulk import plain_rows
from footprint_platform.errors import Problem, UploadRejected
from footprint_platform.models import Product, Submission, SubmissionInput, SubmissionStatus
from footprint_platform.services.graph import period_graph
from footprint_platform.services.graph.build import graph_with_rows
from footprint_platform.services.graph.chain import product_node
from footprint_platform.services.graph.parties import consent_of
from footprint_platform.services.graph.rows import (
    EXTERNAL_COLUMN,
    external_leaves,
    id_chunks,
    input_rows_for,
)
from supply_graph import nonphysical_loops
from supply_graph.loops import path_through

LINKED_COLUMN = EXTERNAL_COLUMN - 1  # position of linked_product_id in an input row


def refuse_bad_loops(
    session: Session,
    sub: Submission,
    section_names: dict[str, str] | None = None,
    refused: str | None = None,
) -> None:
    """Raise `UploadRejected` with the message `refused` (nothing is saved or submitted) when
    the submission's stored (flushed) rows would put its product on a loop without a physical
    footprint.

    What the error may say. It names the submitter's own products and the product it linked
    (it chose that one), and counts the other organizations' products along the loop instead of
    naming them: the submitter must not learn who else is in its supply chain. It never gives
    the loop's gain or spectral radius, which would be a product of other organizations'
    quantities.

    Why the refusal is not an oracle for other organizations' quantities. A submitter could
    save drafts with growing quantities and see where the refusal starts: that threshold is
    1 / (the gain of the rest of the loop). The check therefore runs on the graph the roll-up
    computes, with only the links the roll-up makes into edges, and on nothing else: the same
    submitter, submitting a legal quantity, reads the same loop gain from its own footprint
    (its result carries the loop multiplier 1 / (1 − gain)), so the refusal tells it nothing its
    own results do not. Were the check run on every link a form accepts, or on quantities the
    roll-up does not use, it would reveal more than the results; it must keep following the
    roll-up's graph (for instance, a link that the roll-up values with a generic dataset is no
    edge and closes no loop).
    """
    rows = input_rows_for(session, [sub.id])
    linked = sorted({int(r[LINKED_COLUMN]) for r in rows if r[LINKED_COLUMN] is not None})
    if not linked or not _may_close_loop(session, sub.product_id, linked):
        return
    start, end = sub.period_start, sub.period_end
    chain, _ = period_graph.now(session, start, end)
    consent = consent_of(session, [sub.product_id, *linked])
    externals = external_leaves(session, rows)
    graph = graph_with_rows(chain, sub.product_id, sub.id, rows, consent, externals)
    me = product_node(sub.product_id)
    loops = [loop for loop in nonphysical_loops(graph) if me in loop.members]
    if not loops or any(me in loop.members for loop in nonphysical_loops(chain.graph)):
        return  # no bad loop, or one this version does not create: the recompute isolates it
    ends = [product_node(p) for p in linked]
    path = path_through(graph.ids, graph.provider, graph.consumer, loops[0], me, ends)
    organization_id = sub.organization_id
    session.rollback()
    raise UploadRejected(
        refused
        or str(_l("Nothing was saved; this link would make the footprint impossible to compute.")),
        [_problem(session, organization_id, path, section_names or {})],
    )


def _may_close_loop(session: Session, product_id: int, linked: Sequence[int]) -> bool:
    """Whether the product is upstream of a linked product through the links of submitted
    versions: necessary for the submission to put it on a loop. A loop through the product
    enters it by one of its own new edges (from a linked product) and leaves it along other
    products' edges, and every edge between two products in a period's graph is a link row
    of a submitted version (the period's current one or one carried forward), with or without
    its maker's consent; so when no such path exists the period's graph is not needed."""
    seen = set(linked)
    frontier = seen
    while frontier:
        if product_id in frontier:
            return True
        frontier = _linked_by(session, frontier) - seen
        seen |= frontier
    return False


def _linked_by(session: Session, products: set[int]) -> set[int]:
    """The products the submitted versions of `products` link, in id chunks (a tier upstream
    of a vehicle may hold thousands)."""
    found: set[int] = set()
    for part in id_chunks(sorted(products)):
        stmt = (
            select(SubmissionInput.linked_product_id)
            .distinct()
            .join(Submission, Submission.id == SubmissionInput.submission_id)
            .where(
                Submission.product_id.in_(part),
                Submission.status == SubmissionStatus.SUBMITTED,
                SubmissionInput.linked_product_id.is_not(None),
            )
        )
        found.update(int(p) for (p,) in plain_rows(session, stmt))
    return found


def _problem(
    session: Session,
    organization_id: int,
    path: Sequence[str],
    section_names: dict[str, str],
) -> Problem:
    """The loop as its submitter may see it: its own products and the linked one by part
    number, each run of other organizations' products as a count."""
    ids = [int(node.split(":", 1)[1]) for node in path if node.startswith("product:")]
    found = {
        pid: (part, org)
        for pid, part, org in session.execute(
            select(Product.id, Product.part_number, Product.organization_id).where(
                Product.id.in_(ids)
            )
        )
    }
    linked = ids[-2] if len(ids) >= 2 else ids[0]
    shown: list[str] = []
    hidden = 0
    for k, pid in enumerate(ids):
        part, org = found[pid]
        if org == organization_id or pid == linked or k in (0, len(ids) - 1):
            shown.append(part)
        elif not shown or shown[-1] != "…":
            shown.append("…")
            hidden += 1
        else:
            hidden += 1
    reason = str(
        _l(
            "Linking %(linked)s closes the loop %(loop)s, through which one unit of a product "
            "needs one unit or more of itself, so no footprint can be computed. Lower the "
            "quantity or link another product.",
            linked=found[linked][0],
            loop=" → ".join(shown),
        )
    )
    if hidden:
        reason += " " + str(
            _l(
                "Products of other organizations on the loop (not named): %(count)d.",
                count=hidden,
            )
        )
    return Problem(
        section_names.get("material", "material"),
        None,
        "linked_product_id",
        found[linked][0],
        reason,
    )
