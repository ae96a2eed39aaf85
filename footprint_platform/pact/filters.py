"""ListFootprints' query: the filters, `limit`, and the signed cursor of a page link.

Filter names are matched without regard to case (the specification's own example writes
`productid` and `validon`); unknown parameters, such as vendor filters `x-<id>-<name>`, are
ignored. Empty values are ignored too: a client that asks for `geography=` because its sample
footprint has none gets the whole list. Values that match nothing are not errors (an empty
list); a malformed `limit`, timestamp or page link is a BadRequest.

A page link carries the filters as given plus `cursor`: the snapshot time, the last declaration
id served, the client and a hash of the filters, signed with the application's secret key and
valid for PACT_PAGE_LINK_TTL_SECONDS (the specification asks for at least 180 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from footprint_platform.pact.errors import PactError
from footprint_platform.services.pact.host import Criteria

SETS = {
    "productid": "product_ids",
    "companyid": "company_ids",
    "geography": "geographies",
    "classification": "classifications",
    "status": "statuses",
}
MOMENTS = {"validon": "valid_on", "validafter": "valid_after", "validbefore": "valid_before"}
CURSOR = "cursor"
MAX_VALUE = 500  # characters of one filter value; longer ones cannot match any URN of ours


@dataclass(frozen=True)
class Query:
    criteria: Criteria
    limit: int | None
    cursor: str | None


def _moment(name: str, value: str) -> datetime:
    text = value.strip().replace(" ", "+")  # an unencoded "+01:00" arrives as " 01:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PactError(400, f"{name} is not an RFC 3339 date-time: {value[:40]!r}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _limit(values: list[str]) -> int | None:
    if not values:
        return None
    try:
        limit = int(values[0])
    except ValueError:
        limit = -1
    if limit < 0:
        raise PactError(400, "limit must be a whole number of 0 or more.")
    return limit


def parse(args: MultiDict[str, str]) -> Query:
    sets: dict[str, set[str]] = {v: set() for v in SETS.values()}
    moments: dict[str, datetime] = {}
    limits: list[str] = []
    cursor = None
    for key, value in args.items(multi=True):
        name = key.lower()
        if name in SETS and value.strip():
            sets[SETS[name]].add(value.strip().lower()[:MAX_VALUE])
        elif name in MOMENTS and value.strip() and MOMENTS[name] not in moments:
            moments[MOMENTS[name]] = _moment(key, value)
        elif name == "limit":
            limits.append(value)
        elif name == CURSOR:
            cursor = value
    criteria = Criteria(**{k: frozenset(v) for k, v in sets.items()}, **moments)
    return Query(criteria, _limit(limits), cursor)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="pact-page")  # type: ignore[arg-type]


def make_cursor(client_pk: int, criteria: Criteria, as_of: datetime, after: int) -> str:
    body = {"c": client_pk, "f": criteria.fingerprint(), "t": as_of.isoformat(), "a": after}
    return str(_serializer().dumps(body))


def read_cursor(cursor: str, client_pk: int, criteria: Criteria) -> tuple[datetime, int]:
    """(snapshot time, last id served) of a page link made for this client and filters."""
    ttl = int(current_app.config["PACT_PAGE_LINK_TTL_SECONDS"])
    try:
        body: dict[str, Any] = _serializer().loads(cursor, max_age=ttl)
    except SignatureExpired:
        raise PactError(400, "This page link has expired; list the footprints again.") from None
    except BadSignature:
        raise PactError(400, "This is not a valid page link.") from None
    if body.get("c") != client_pk or body.get("f") != criteria.fingerprint():
        raise PactError(400, "This page link was made for another client or other filters.")
    return datetime.fromisoformat(body["t"]), int(body["a"])


def next_link(cursor: str) -> str:
    """The absolute URL of the next page, on the host the client called, with its filters."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k.lower() != CURSOR]
    pairs.append((CURSOR, cursor))
    return f"{request.root_url.rstrip('/')}{request.path}?{urlencode(pairs)}"
