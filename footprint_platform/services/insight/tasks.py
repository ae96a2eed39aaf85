"""A person's task inbox: what waits for them across their organizations, and the count the
header shows.

A task is something the person may act on, by the policy: data requests to answer
(ANSWER_REQUESTS on the supplier), declarations to verify (VERIFY on the verifier), link
requests to decide (SHARE_FOOTPRINTS on the supplier), and what is overdue: data requests the
person's organization sent whose due date passed unanswered (REQUEST_DATA on the buyer) and
declarations a rule requires that are not published (EDIT_SUBMISSIONS on the maker). Each list
reads only records the organization is a party to, so nothing here shows what its pages do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from footprint_platform.models import (
    DataRequest,
    LinkRequest,
    LinkStatus,
    RequestStatus,
    Verification,
    VerificationStatus,
)
from footprint_platform.policy import Action, Actor, allowed
from footprint_platform.services.disclosure import obligations
from footprint_platform.services.disclosure.obligations import Obligation


@dataclass
class Tasks:
    to_answer: list[DataRequest] = field(default_factory=list)
    to_verify: list[Verification] = field(default_factory=list)
    links_to_decide: list[LinkRequest] = field(default_factory=list)
    overdue_sent: list[DataRequest] = field(default_factory=list)
    declarations_due: list[Obligation] = field(default_factory=list)

    @property
    def count(self) -> int:
        return (
            len(self.to_answer)
            + len(self.to_verify)
            + len(self.links_to_decide)
            + len(self.overdue_sent)
            + len(self.declarations_due)
        )


def _orgs(actor: Actor, action: Action) -> list[int]:
    return [o for o in actor.organization_ids if allowed(actor, action, o)]


def _pending_requests(supplier_ids: list[int]) -> Select[tuple[DataRequest]]:
    return (
        select(DataRequest)
        .where(
            DataRequest.supplier_id.in_(supplier_ids),
            DataRequest.status == RequestStatus.PENDING,
        )
        .order_by(DataRequest.due_date, DataRequest.id)
    )


def _overdue_sent(buyer_ids: list[int], today: date) -> Select[tuple[DataRequest]]:
    return (
        select(DataRequest)
        .where(
            DataRequest.buyer_id.in_(buyer_ids),
            DataRequest.status == RequestStatus.PENDING,
            DataRequest.due_date < today,
        )
        .order_by(DataRequest.due_date, DataRequest.id)
    )


def _under_review(verifier_ids: list[int]) -> Select[tuple[Verification]]:
    return (
        select(Verification)
        .where(
            Verification.verifier_id.in_(verifier_ids),
            Verification.status == VerificationStatus.UNDER_REVIEW,
        )
        .order_by(Verification.requested_at, Verification.id)
    )


def _links_pending(supplier_ids: list[int]) -> Select[tuple[LinkRequest]]:
    return (
        select(LinkRequest)
        .where(LinkRequest.supplier_id.in_(supplier_ids), LinkRequest.status == LinkStatus.PENDING)
        .order_by(LinkRequest.id)
    )


def _declarations_due(session: Session, actor: Actor) -> list[Obligation]:
    """A rule's required declarations with submitted data that are not published yet."""
    due = []
    for org in _orgs(actor, Action.EDIT_SUBMISSIONS):
        due += [
            o
            for o in obligations.declaration_obligations(session, actor, org)
            if o.period is not None and o.state != "published"
        ]
    return due


def for_person(session: Session, actor: Actor, today: date | None = None) -> Tasks:
    """Everything waiting for the person, oldest due first."""
    today = today or date.today()
    answer = _orgs(actor, Action.ANSWER_REQUESTS)
    return Tasks(
        to_answer=list(session.scalars(_pending_requests(answer))) if answer else [],
        to_verify=list(session.scalars(_under_review(_orgs(actor, Action.VERIFY)))),
        links_to_decide=list(
            session.scalars(_links_pending(_orgs(actor, Action.SHARE_FOOTPRINTS)))
        ),
        overdue_sent=list(session.scalars(_overdue_sent(_orgs(actor, Action.REQUEST_DATA), today))),
        declarations_due=_declarations_due(session, actor),
    )


def count(session: Session, actor: Actor | None, today: date | None = None) -> int:
    """The header's number: the same tasks as `for_person`, counted in the database (the
    required declarations read as the inbox reads them)."""
    if actor is None or actor.user_id is None:
        return 0
    today = today or date.today()
    total = 0
    for ids, stmt in (
        (_orgs(actor, Action.ANSWER_REQUESTS), _pending_requests),
        (_orgs(actor, Action.VERIFY), _under_review),
        (_orgs(actor, Action.SHARE_FOOTPRINTS), _links_pending),
    ):
        if ids:
            total += session.scalar(select(func.count()).select_from(stmt(ids).subquery())) or 0
    buyers = _orgs(actor, Action.REQUEST_DATA)
    if buyers:
        q = _overdue_sent(buyers, today)
        total += session.scalar(select(func.count()).select_from(q.subquery())) or 0
    return total + len(_declarations_due(session, actor))
