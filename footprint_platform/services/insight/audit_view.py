"""The audit log's details as a person reads them. A record stores its details as written
(`product_id=12`, `period=2025-01-01/2025-12-31`, `role=editor`); the log page shows each key
by its label in the reader's language and each value in its display form: a product by its
part number and name, an organization by its name, a role or status by its word, a period as
a year or a date range, a hash shortened.

What a reader may not see stays unnamed: a product is named only where `visibility` lets the
reader's organization name it (its own, shared with it, linked in its own data), a person only
when a member of the reader's organization, a declaration or submission only when it is the
reader's own (or, for a declaration, published), a site only the reader's own. Anything else
reads as "another organization's …" without its id. Organizations are catalogue entries any
signed-in person may read, so they are named. An unknown key is still shown, its words
humanised (`some_key` → "Some key", marked as English), so nothing disappears silently.

One module because the key labels, the value kinds and the rule of what is named are one
reading of the same records; split, each part would need the others' tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from footprint_platform import display_labels as labels
from footprint_platform import visibility
from footprint_platform.models import (
    AuditEvent,
    Declaration,
    Membership,
    Organization,
    Product,
    Site,
    Submission,
    User,
)
from footprint_platform.number_format import significant_text
from footprint_platform.sections import SECTIONS
from footprint_platform.services.intake.submissions import HEADER_LABELS


@dataclass(frozen=True)
class Detail:
    """One detail of an audit record: its stored key, its label and its value as shown.
    `verbatim`: the value is shown as it was typed or received (a name, a file name, an
    address), not a word of ours; `english`: the label is the humanised key (no translation)."""

    key: str
    label: str
    value: str
    verbatim: bool = False
    english: bool = False


# Each key's label. A key that names a record is read by its kind below.
_LABELS: dict[str, Any] = {
    "accepted_reasons": _l("Mass-balance reasons accepted"),
    "added": _l("Added"),
    "after": _l("Listed after"),
    "assurance": _l("Level of assurance"),
    "attempt": _l("Attempt"),
    "base_url": _l("Partner's address"),
    "battery_code": _l("Battery code (GB/T 34014)"),
    "bpnl": _l("BPNL (Catena-X)"),
    "buyer_id": _l("Customer"),
    "capacity_kwh": _l("Capacity (kWh)"),
    "catenax_callback_url": _l("Catena-X callback address"),
    "category": _l("Category"),
    "certificate_id": _l("Certificate or contract"),
    "changed": _l("Changed"),
    "changes": _l("Changes"),
    "channel": _l("Channel"),
    "checked": _l("Checklist items checked"),
    "chemistry": _l("Chemistry"),
    "city": _l("City"),
    "client": _l("PACT client"),
    "client_id": _l("Client id"),
    "company": _l("Company"),
    "content_hash": _l("Content hash"),
    "country": _l("Country"),
    "credit_code": _l("Unified social credit code"),
    "declaration_id": _l("Declaration"),
    "declared_unit": _l("Declared unit"),
    "delivery": _l("Delivery"),
    "description": _l("Description"),
    "email": _l("E-mail"),
    "error": _l("Error"),
    "event_id": _l("Event id"),
    "events": _l("Events"),
    "expires_in": _l("Valid for"),
    "factors": _l("Factors"),
    "filename": _l("File name"),
    "filters": _l("Filters"),
    "grid_region": _l("Grid region"),
    "id": _l("Footprint id"),
    "ids": _l("Footprints"),
    "imported": _l("Imported"),
    "kind": _l("Kind"),
    "lock_version": _l("Saved version"),
    "mass_kg": _l("Mass (kg)"),
    "name": _l("Name"),
    "name_en": _l("Name (English)"),
    "name_zh": _l("Name (Chinese)"),
    "organizations": _l("Organizations"),
    "origin": _l("Origin"),
    "part_number": _l("Part number"),
    "partner": _l("Partner"),
    "partner_id": _l("Partner"),
    "period": _l("Period"),
    "pf_id": _l("Footprint id"),
    "pf_ids": _l("Footprints"),
    "prefix": _l("Token prefix"),
    "previous": _l("Previous release"),
    "product": _l("Product"),
    "product_id": _l("Product"),
    "product_ids": _l("Products"),
    "products": _l("Products"),
    "province": _l("Province"),
    "query": _l("Query"),
    "removed": _l("Removed"),
    "replaces": _l("Replaces"),
    "request_id": _l("Request id"),
    "role": _l("Role"),
    "roles": _l("Roles"),
    "rows": _l("Rows"),
    "scope": _l("Access"),
    "seed": _l("Seed"),
    "service_life_years": _l("Service life (years)"),
    "sha256": _l("SHA-256"),
    "site_id": _l("Site"),
    "size": _l("Size"),
    "source": _l("Source"),
    "standard": _l("Standard"),
    "status": _l("Status"),
    "submissions": _l("Submissions"),
    "supersedes": _l("Supersedes"),
    "supplier_id": _l("Supplier"),
    "target": _l("Address"),
    "total": _l("Total (kg CO2e per declared unit)"),
    "type": _l("Type"),
    "update": _l("Update"),
    "url": _l("Address"),
    "usable_energy_kwh": _l("Usable energy (kWh)"),
    "user_id": _l("Person"),
    "vehicle_category": _l("Vehicle category"),
    "verification_id": _l("Verification"),
    "verifier_id": _l("Verifier"),
    "version": _l("Version"),
    "via_request": _l("Data request"),
    "volume_kwh": _l("Volume (kWh)"),
    "warranty_km": _l("Warranty (km)"),
    "website": _l("Website"),
}
# The same key in another action's record means something else.
_ACTION_LABELS: dict[tuple[str, str], Any] = {
    ("factors.publish", "added"): _l("Factors added"),
    ("factors.publish", "changed"): _l("Factors changed"),
    ("factors.publish", "removed"): _l("Factors removed"),
    ("factors.publish", "version"): _l("Release"),
    ("factors.publish", "sha256"): _l("File SHA-256"),
    ("submission.save", "changed"): _l("Parts changed"),
    ("instrument.register", "kind"): _l("Instrument"),
    ("scale.generate", "products"): _l("Products"),
}
_ASSURANCE: dict[str, Any] = {"limited": _l("Limited"), "reasonable": _l("Reasonable")}
# What a webhook endpoint is called for (services/notify/webhooks.py EVENTS).
_WEBHOOK_EVENTS: dict[str, Any] = {
    "request.received": _l("Data request received"),
    "request.answered": _l("Data request answered"),
    "result.changed": _l("Result changed"),
    "declaration.verified": _l("Declaration verified"),
    "declaration.published": _l("Declaration published"),
}

# Keys whose values name records, by kind.
_PRODUCT_KEYS = {"product_id", "product_ids"}
_ORG_KEYS = {"supplier_id", "buyer_id", "verifier_id", "partner_id", "partner"}
_DECLARATION_KEYS = {"declaration_id", "replaces"}
_SUBMISSION_KEYS = {"supersedes", "submissions"}
_NUMBERED = {"verification_id", "via_request", "delivery", "imported", "client"}
_COUNTED = {"ids", "pf_ids", "accepted_reasons", "changes"}
_VERBATIM = {
    "name",
    "name_en",
    "name_zh",
    "email",
    "filename",
    "company",
    "standard",
    "description",
    "website",
    "url",
    "target",
    "base_url",
    "catenax_callback_url",
    "source",
    "error",
    "query",
    "client_id",
    "prefix",
    "certificate_id",
    "event_id",
    "request_id",
    "pf_id",
    "id",
    "credit_code",
    "bpnl",
    "battery_code",
    "city",
    "part_number",
    "product",
    "chemistry",
    "vehicle_category",
    "type",
    "origin",
    "update",
    "after",
    "previous",
}


@dataclass
class Known:
    """The records the page's details name, loaded once per page, and what the reader may
    see of them."""

    organization_id: int
    products: dict[int, Product] = field(default_factory=dict)
    nameable: set[int] = field(default_factory=set)
    organizations: dict[int, Organization] = field(default_factory=dict)
    people: dict[int, str] = field(default_factory=dict)
    declarations: dict[int, Declaration] = field(default_factory=dict)
    submissions: dict[int, Submission] = field(default_factory=dict)
    sites: dict[int, Site] = field(default_factory=dict)


def describe(
    session: Session, organization_id: int, events: Sequence[AuditEvent]
) -> dict[int, list[Detail]]:
    """Each event's details (by event id) as the reader acting for `organization_id` reads
    them: labelled, values in their display form, nothing named the reader may not see."""
    return _details(events, load(session, organization_id, events))


def read(
    session: Session, organization_id: int, events: Sequence[AuditEvent]
) -> tuple[dict[int, list[Detail]], dict[int, str]]:
    """Each event's details and object, as `describe` and `objects` give them, from one load of
    the records they name (the log page and its file need both)."""
    return read_loaded(events, load(session, organization_id, events))


def read_loaded(
    events: Sequence[AuditEvent], known: Known
) -> tuple[dict[int, list[Detail]], dict[int, str]]:
    """As `read`, from records already loaded (`load`): the log's file reads them once and
    words them in each language."""
    return _details(events, known), _objects(events, known)


def _details(events: Sequence[AuditEvent], known: Known) -> dict[int, list[Detail]]:
    return {
        e.id: [
            _detail(e.action, key, value, known) for key, value in sorted((e.details or {}).items())
        ]
        for e in events
    }


def _ids(events: Iterable[AuditEvent], keys: set[str]) -> set[int]:
    """The ids stored under `keys` (one id or a list of them; a changed field's value is
    stored as text, `"12"`)."""
    out: set[int] = set()
    for e in events:
        for key, value in (e.details or {}).items():
            if key in keys:
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, bool):
                        continue
                    if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
                        out.add(int(v))
    return out


def objects(session: Session, organization_id: int, events: Sequence[AuditEvent]) -> dict[int, str]:
    """Each event's object (by event id) as the reader reads it: its kind, then a product,
    declaration, submission, site or organization by its name under the same rule as the
    details; any other record by its kind and number."""
    return _objects(events, load(session, organization_id, events))


def _objects(events: Sequence[AuditEvent], known: Known) -> dict[int, str]:
    out = {}
    for e in events:
        kind = labels.object_type_label(e.object_type)
        reader = _OBJECT_READERS.get((e.object_type or "").lower())
        if reader is not None and e.object_id:
            out[e.id] = f"{kind} · {reader(e.object_id, known)}"
        else:
            out[e.id] = f"{kind} {e.object_id or ''}".strip()
    return out


def named_object(event: AuditEvent) -> bool:
    """Whether the event's object is a record `objects` names by the details' rule (its id is
    then not shown: it could name what the rule hides)."""
    return (event.object_type or "").lower() in _OBJECT_READERS


def _object_ids(events: Iterable[AuditEvent], kind: str) -> set[int]:
    """The ids of the events' objects of one kind (a record's own id, stored as text)."""
    return {
        int(e.object_id)
        for e in events
        if (e.object_type or "").lower() == kind and e.object_id and e.object_id.isdigit()
    }


def load(session: Session, organization_id: int, events: Sequence[AuditEvent]) -> Known:
    """The records the events name, and which of them the reader may name (in no language:
    the words come when they are read)."""
    known = Known(organization_id)
    product_ids = _ids(events, _PRODUCT_KEYS) | _object_ids(events, "product")
    if product_ids:
        known.products = _by_id(session, Product, product_ids)
        known.nameable = visibility.for_organization(session, organization_id).nameable(product_ids)
    if org_ids := _ids(events, _ORG_KEYS) | _object_ids(events, "organization"):
        known.organizations = _by_id(session, Organization, org_ids)
    if user_ids := _ids(events, {"user_id"}):
        known.people = _people(session, organization_id, events, user_ids)
    if declaration_ids := _ids(events, _DECLARATION_KEYS) | _object_ids(events, "declaration"):
        found = _by_id(session, Declaration, declaration_ids, Declaration.product)
        known.declarations = {
            i: d
            for i, d in found.items()
            if d.organization_id == organization_id or d.published_at is not None
        }
    if submission_ids := _ids(events, _SUBMISSION_KEYS) | _object_ids(events, "submission"):
        found_s = _by_id(session, Submission, submission_ids, Submission.product)
        known.submissions = {
            i: s for i, s in found_s.items() if s.organization_id == organization_id
        }
    if site_ids := _ids(events, {"site_id"}) | _object_ids(events, "site"):
        known.sites = {
            i: s
            for i, s in _by_id(session, Site, site_ids).items()
            if s.organization_id == organization_id
        }
    return known


def _by_id(session: Session, model: Any, ids: set[int], *with_: Any) -> dict[int, Any]:
    """The records by id, with the relationships `with_` loaded in the same go (a declaration
    or submission is named by its product's part number)."""
    stmt = select(model).where(model.id.in_(ids)).options(*(selectinload(r) for r in with_))
    return {r.id: r for r in session.scalars(stmt)}


def _people(
    session: Session, organization_id: int, events: Sequence[AuditEvent], ids: set[int]
) -> dict[int, str]:
    """Names of the people the details mention that the reader's organization may know: its
    current members, and whom its own member records concern (a removed member)."""
    members = set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.organization_id == organization_id, Membership.user_id.in_(ids)
            )
        )
    )
    concerned = {
        v
        for e in events
        if e.action.startswith("member.") and e.organization_id == organization_id
        for k, v in (e.details or {}).items()
        if k == "user_id" and isinstance(v, int)
    }
    allowed = ids & (members | concerned)
    if not allowed:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(allowed)))
    return {user_id: name for user_id, name in rows}


def _detail(action: str, key: str, value: Any, known: Known) -> Detail:
    label = _ACTION_LABELS.get((action, key)) or _LABELS.get(key)
    english = label is None
    text = _value(action, key, value, known)
    return Detail(
        key,
        str(label) if label is not None else key.replace("_", " ").strip().capitalize(),
        text,
        verbatim=key in _VERBATIM or (english and isinstance(value, str)),
        english=english,
    )


def _value(action: str, key: str, value: Any, known: Known) -> str:
    """A stored value in its display form."""
    if value is None or value == "" or value == []:
        return "—"
    special = _SPECIAL.get(key)
    if action == "factors.publish" and key in ("added", "changed", "removed"):
        return _count(value)
    if action == "submission.save" and key == "changed":
        return _joined(value, _part_label)
    if key in _PRODUCT_KEYS:
        return _joined(value, lambda v: _product(v, known))
    if key in _ORG_KEYS:
        return _joined(value, lambda v: _organization(v, known))
    if key in _DECLARATION_KEYS:
        return _declaration(value, known)
    if key in _SUBMISSION_KEYS:
        return _joined(value, lambda v: _submission(v, known))
    if key == "user_id":
        return known.people.get(_int(value) or -1) or str(_l("a person outside your organization"))
    if key == "site_id":
        return _site(value, known)
    if key in _NUMBERED and isinstance(value, int):
        return str(_l("No. %(n)s", n=value))
    if key in _COUNTED and isinstance(value, list):
        return _count(value)
    if special is not None:
        return _joined(value, special)
    return _plain(value)


def _joined(value: Any, one: Callable[[Any], str]) -> str:
    items = value if isinstance(value, list) else [value]
    return "、".join(one(v) for v in items) if _zh() else ", ".join(one(v) for v in items)


def _locale() -> str:
    return str(get_locale() or "en")


def _zh() -> bool:
    return _locale().startswith("zh")


def _count(value: Any) -> str:
    n = len(value) if isinstance(value, (list, dict)) else value
    return str(format_decimal(n))


def _plain(value: Any) -> str:
    """A value without a kind of its own: numbers in the reader's format, yes/no, a list
    item by item, a mapping by its size."""
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, (int, float)):
        return str(format_decimal(value))
    if isinstance(value, list):
        return _joined(value, _plain)
    if isinstance(value, dict):
        return _joined([f"{_LABELS.get(k, k)}: {_plain(v)}" for k, v in sorted(value.items())], str)
    return str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _site(value: Any, known: Known) -> str:
    site = known.sites.get(_int(value) or -1)
    return site.name if site else str(_l("another organization's site"))


def _product(value: Any, known: Known) -> str:
    pid = _int(value)
    product = known.products.get(pid) if pid is not None else None
    if product is None or pid not in known.nameable:
        return str(_l("another organization's product"))
    return f"{product.part_number} · {product.display_name(_locale())}"


def _organization(value: Any, known: Known) -> str:
    org = known.organizations.get(_int(value) or -1)
    return org.display_name(_locale()) if org else str(_l("an organization"))


def _declaration(value: Any, known: Known) -> str:
    d = known.declarations.get(_int(value) or -1)
    if d is None:
        return str(_l("another organization's declaration"))
    return str(
        _l(
            "%(part)s, %(period)s, version %(version)s",
            part=d.product.part_number,
            period=_period_text(d.period_start, d.period_end),
            version=d.version,
        )
    )


def _submission(value: Any, known: Known) -> str:
    s = known.submissions.get(_int(value) or -1)
    if s is None:
        return str(_l("another organization's submission"))
    return str(_l("%(part)s, version %(version)s", part=s.product.part_number, version=s.version))


def _part_label(code: Any) -> str:
    """A part of a submission a save changed: a section by its title, a header field by its
    form label."""
    for s in SECTIONS:
        if s.kind.value == code:
            return str(s.title)
    return str(HEADER_LABELS.get(code, labels.field_label(code)))


def _period(value: Any) -> str:
    """`2025-01-01/2025-12-31` → "2025"; another range as two dates."""
    start, _, end = str(value).partition("/")
    try:
        return _period_text(date.fromisoformat(start), date.fromisoformat(end))
    except ValueError:
        return str(value)


def _period_text(start: date, end: date) -> str:
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{format_date(start, 'medium')} – {format_date(end, 'medium')}"


def _hash(value: Any) -> str:
    text = str(value)
    return text[:12] + "…" if len(text) > 16 else text


def _size(value: Any) -> str:
    n = _int(value)
    if n is None:
        return str(value)
    for unit, step in (("MB", 1024**2), ("kB", 1024)):
        if n >= step:
            return f"{format_decimal(round(n / step, 1))} {unit}"
    return f"{format_decimal(n)} B"


def _seconds(value: Any) -> str:
    n = _int(value)
    if n is None:
        return str(value)
    if n % 3600 == 0:
        return str(_l("%(n)s h", n=format_decimal(n // 3600)))
    if n % 60 == 0:
        return str(_l("%(n)s min", n=format_decimal(n // 60)))
    return str(_l("%(n)s s", n=format_decimal(n)))


def _table(table: dict[str, Any]) -> Callable[[Any], str]:
    return lambda v: str(table.get(str(v), v))


_INSTRUMENTS = {"grid", "green_certificate", "ppa", "direct_supply", "onsite"}
_SPECIAL: dict[str, Callable[[Any], str]] = {
    "period": _period,
    "role": _table(labels.ROLES),
    "roles": _table(labels.ROLES),
    "scope": _table(labels.ROLES),
    "assurance": _table(_ASSURANCE),
    "status": labels.status_label,
    "channel": labels.channel_label,
    "kind": lambda v: labels.instrument_label(v) if v in _INSTRUMENTS else labels.kind_label(v),
    "category": labels.component_label,
    "declared_unit": labels.unit_label,
    "country": labels.geography_label,
    "province": labels.geography_label,
    "grid_region": labels.geography_label,
    "content_hash": _hash,
    "sha256": _hash,
    "size": _size,
    "expires_in": _seconds,
    "total": significant_text,
    "volume_kwh": significant_text,
    "capacity_kwh": significant_text,
    "mass_kg": significant_text,
    "usable_energy_kwh": significant_text,
    "warranty_km": significant_text,
    "service_life_years": significant_text,
    "events": _table(_WEBHOOK_EVENTS),
}


# The objects named like the details: by kind of record (an audit row's object type).
_OBJECT_READERS: dict[str, Callable[[Any, Known], str]] = {
    "product": _product,
    "declaration": _declaration,
    "submission": _submission,
    "site": _site,
    "organization": _organization,
}
