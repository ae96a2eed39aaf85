"""Cursor pagination and the filters shared by the API's result lists.

A cursor is opaque to clients: the sort key of the last item of a page, JSON in URL-safe
base64. A client passes back the `next_cursor` of one page to get the next; it cannot jump or
count, so a page stays correct while rows are added (keyset pagination, no OFFSET)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import marshmallow as ma

from footprint_platform.reference import load_reference

MAX_CURSOR = 200


def encode(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Cursor(ma.fields.String):
    """An opaque cursor, loaded as the list of its key's values (ints and strings)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            load_default=None,
            allow_none=True,
            validate=ma.validate.Length(max=MAX_CURSOR),
            metadata={"description": "`next_cursor` of the previous page (opaque)"},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            key = json.loads(raw)
        except (binascii.Error, ValueError):
            raise ma.ValidationError("Not a cursor of this list.") from None
        if not isinstance(key, list) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in key
        ):
            raise ma.ValidationError("Not a cursor of this list.")
        return key


class Period(ma.fields.String):
    """A reference period written `2025-01-01/2025-12-31`, loaded as (start, end)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            load_default=None,
            allow_none=True,
            validate=ma.validate.Length(max=21),
            metadata={"description": "a period: start/end, e.g. 2025-01-01/2025-12-31"},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        start, _, end = text.partition("/")
        try:
            period = (date.fromisoformat(start), date.fromisoformat(end))
        except ValueError:
            raise ma.ValidationError("Write a period as 2025-01-01/2025-12-31.") from None
        if period[1] < period[0]:
            raise ma.ValidationError("The period ends before it starts.")
        return period


class CursorQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    cursor = Cursor()
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class FilteredQuerySchema(CursorQuerySchema):
    period = Period()
    category = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(sorted(load_reference().categories)),
    )


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item)),
            "next_cursor": ma.fields.String(
                allow_none=True, metadata={"description": "null on the last page"}
            ),
        },
        name=name,
    )


def page(rows: list[Any], limit: int, key: Callable[[Any], Sequence[Any]]) -> dict[str, Any]:
    """One page from `limit + 1` rows read: the extra row only tells that there is more."""
    items = rows[:limit]
    more = len(rows) > limit
    return {"items": items, "next_cursor": encode(key(items[-1])) if more else None}
