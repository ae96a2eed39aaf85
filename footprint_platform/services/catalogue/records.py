"""A record looked up by its id for an actor, the one "load or 404, then authorize" of the
records an organization owns (a site, a submission, an evidence file, a share, a webhook
endpoint, a verification); products have theirs in `catalog.product_for`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy.orm import Session

from footprint_platform.errors import NotFound
from footprint_platform.policy import Action, Actor, authorize_record

R = TypeVar("R")


def record_for(
    session: Session,
    actor: Actor | None,
    model: type[R],
    record_id: int,
    action: Action,
    missing: str,
    *,
    owner: Callable[[R], int] = lambda r: r.organization_id,  # type: ignore[attr-defined]
    parties: Callable[[R], Iterable[int | None]] = lambda r: (),
) -> R:
    """A record looked up by its id for an actor who may do `action` for its `owner`: to one
    who is no party to it, it does not exist (the NotFound an unknown id gets, `missing`), so
    ids cannot be probed; a party without the right gets 403 (policy.authorize_record)."""
    not_found = NotFound(missing)
    found = session.get(model, record_id)
    if found is None:
        raise not_found
    authorize_record(actor, action, owner(found), not_found, parties(found))
    return found
