"""Codes as a reader reads them. The data stores codes (`piece`, `t*km`, an input kind
`material`, a channel `cli`); a page prints each in the reader's language. SI symbols stay
symbols in both languages (GB 3100-1993 adopts the SI symbols for Chinese text); words are
translated. An unknown code is shown as it is, never dropped, so nothing disappears silently."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

_UNITS: dict[str, Any] = {
    "piece": _l("piece"),
    "m^2": "m²",
    "m^3": "m³",
    "t*km": "t·km",
    "tonne.km": "t·km",
    "Nm3": "Nm³",
}

_KINDS: dict[str, Any] = {
    "electricity": _l("Electricity"),
    "fuel": _l("Fuels and heat"),
    "process": _l("Process emissions"),
    "material": _l("Material"),
    "transport": _l("Transport"),
    "coproduct": _l("Co-product"),
    "waste": _l("Waste"),
}

# How a submission or an audited action arrived.
_CHANNELS: dict[str, Any] = {
    "web": _l("Web form"),
    "excel": _l("Excel upload"),
    "api": _l("API"),
    "cli": _l("Command line"),
    "pact": _l("PACT exchange"),
    "system": _l("Platform"),
}

_STATUSES: dict[str, Any] = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "superseded": _l("Superseded"),
    "published": _l("Published"),
    "pending": _l("Pending"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
    "answered": _l("Answered"),
    "under_review": _l("Under review"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
}


# A factor's series (what its number covers) and category.
_SERIES: dict[str, Any] = {
    "carbon_footprint": _l("Carbon footprint"),
    "co2_emission": _l("CO2 emissions only"),
    "combustion": _l("Combustion"),
    "life_cycle": _l("Life cycle"),
}
_FACTOR_CATEGORIES: dict[str, Any] = {
    "electricity": _l("Electricity"),
    "fuel": _l("Fuels"),
    "heat": _l("Heat"),
    "material": _l("Material"),
    "process_gas": _l("Process gases"),
    "transport": _l("Transport"),
    "waste": _l("Waste"),
}

# Fields of a submission's header a problem may name (the input columns carry their own
# labels in `sections.SECTIONS`).
_FIELDS: dict[str, Any] = {
    "production_volume": _l("Production in the period (declared units)"),
    "dqr": _l("Data quality (1–5)"),
    "notes": _l("Notes"),
    "mass_balance_reason": _l("Reason for a mass balance outside the rule's range"),
    "exclusions": _l("Inputs left out under the cut-off"),
    "kind": _l("Kind"),
}


def _label(table: dict[str, Any], code: Any) -> str:
    if code is None or code == "":
        return ""
    key = str(getattr(code, "value", code))
    return str(table.get(key, key))


def unit_label(code: str | None) -> str:
    """A unit as a page shows it (件, m³, t·km)."""
    return _label(_UNITS, code)


def kind_label(code: Any) -> str:
    """An input kind (an InputKind or its value) in the reader's language."""
    return _label(_KINDS, code)


def channel_label(code: Any) -> str:
    """How something arrived (web, Excel, API, command line …) in the reader's language."""
    return _label(_CHANNELS, code)


def status_label(code: Any) -> str:
    """A status of a submission, declaration, request or verification."""
    return _label(_STATUSES, code)


def series_label(code: Any) -> str:
    """A factor series (carbon footprint, CO2 only, combustion, life cycle)."""
    return _label(_SERIES, code)


def factor_category_label(code: Any) -> str:
    """A factor's category (electricity, fuels, heat, material …)."""
    return _label(_FACTOR_CATEGORIES, code)


def geography_label(code: str | None) -> str:
    """A factor's geography: GLO the world, a country by its name, a Chinese grid region or
    province by its name in the reader's language."""
    if not code:
        return ""
    if code == "GLO":
        return str(_l("World"))
    from flask_babel import get_locale

    from footprint_platform.reference import country_names, load_reference

    locale = str(get_locale() or "en")
    lang = "zh" if locale.startswith("zh") else "en"
    ref = load_reference()
    if code in ref.grid_regions:
        return str(ref.grid_regions[code][lang])
    province = code.removeprefix("CN-")
    if province in ref.provinces:
        return str(ref.provinces[province].label(locale))
    return country_names(locale).get(code, code)


# Components and materials a rule names that are not product categories of the taxonomy.
_COMPONENTS: dict[str, Any] = {
    "cathode": _l("Cathode"),
    "anode": _l("Anode"),
    "aluminium": _l("Aluminium"),
    "copper": _l("Copper"),
    "steel": _l("Steel"),
}


def component_label(code: str | None) -> str:
    """A product category or a component a rule names (`cell_casing`, `cathode`), in the
    reader's language."""
    if not code:
        return ""
    from flask_babel import get_locale

    from footprint_platform.reference import load_reference

    category = load_reference().categories.get(code)
    if category is not None:
        return category.label(str(get_locale() or "en"))
    return _label(_COMPONENTS, code)


def instrument_label(code: str | None) -> str:
    """An electricity instrument (grid, certificate, PPA, direct line, on-site)."""
    from footprint_platform.sections import INSTRUMENT_LABELS

    return _label(INSTRUMENT_LABELS, code)


def basis_label(code: str | None) -> str:
    """An allocation basis (mass, energy, economic value)."""
    from footprint_platform.sections import BASIS_LABELS

    return _label(BASIS_LABELS, code)


ROLES: dict[str, Any] = {
    "admin": _l("Administrator"),
    "editor": _l("Editor"),
    "viewer": _l("Viewer"),
    "supplier": _l("Supplier"),
    "buyer": _l("Buyer"),
    "verifier": _l("Verifier"),
    "operator": _l("Operator"),
    "read": _l("Read"),
    "write": _l("Read and write"),
}


def role_label(code: Any) -> str:
    """An organization's role, a member's role or a token's scope, in the reader's language."""
    return _label(ROLES, code)


def problem_text(p: Any) -> str:
    """A problem (`errors.Problem`) as one line in the reader's language: where (sheet or
    section, row, field), what was typed, why; the same on the form, its review and autosave."""
    where = [p.sheet if p.sheet not in ("", "—") else ""]
    if p.row:
        where.append(str(_l("row %(n)s", n=p.row)))
    if p.column:
        where.append(field_label(p.column))
    place = " · ".join(w for w in where if w)
    typed = f" “{p.value}”" if p.value else ""
    return f"{place}{typed}: {p.reason}" if place or typed else str(p.reason)


def field_label(name: str | None) -> str:
    """The label a form shows for a field a problem names (`quantity` → its column's label),
    so an error message never shows a field's code."""
    if not name:
        return ""
    if name in _FIELDS:
        return str(_FIELDS[name])
    from footprint_platform import sections  # the input columns and their labels

    common = (sections.QUANTITY, sections.UNIT, sections.DESCRIPTION, sections.FACTOR)
    common += (sections.STAGE, sections.DQR, sections.EVIDENCE, sections.UNCERTAINTY)
    for column in common + tuple(c for s in sections.SECTIONS for c in s.columns):
        if column.name == name:
            return str(column.label)
    return name


# What an audited event concerns and what happened to it: the log stores `object.verb`
# (`submission.submit`, `request.decline`); a page prints "Submission · submitted".
_EVENT_OBJECTS: dict[str, Any] = {
    "auth": _l("Sign-in"),
    "catenax": _l("Catena-X exchange"),
    "declaration": _l("Declaration"),
    "demo": _l("Demo data"),
    "evidence": _l("Evidence file"),
    "external_footprint": _l("Partner footprint"),
    "factors": _l("Factor release"),
    "instrument": _l("Electricity instrument"),
    "link_request": _l("Link request"),
    "member": _l("Member"),
    "organization": _l("Organization"),
    "pact": _l("PACT exchange"),
    "pact_client": _l("PACT client"),
    "pact_credential": _l("PACT credential"),
    "product": _l("Product"),
    "request": _l("Data request"),
    "share": _l("Sharing"),
    "site": _l("Site"),
    "submission": _l("Data submission"),
    "token": _l("API token"),
    "verification": _l("Verification"),
    "webhook": _l("Webhook"),
    "whatif": _l("What-if scenario"),
}
_EVENT_VERBS: dict[str, Any] = {
    "accept": _l("accepted"),
    "add": _l("added"),
    "answer": _l("answered"),
    "answer_automatic": _l("answered automatically"),
    "cancel": _l("cancelled"),
    "catenax_callback": _l("Catena-X callback received"),
    "checklist": _l("checklist updated"),
    "create": _l("created"),
    "create_by_answer": _l("granted with an answer"),
    "create_by_link_request": _l("granted by a link request"),
    "decline": _l("declined"),
    "decline_automatic": _l("declined automatically"),
    "delete": _l("deleted"),
    "draft": _l("draft started"),
    "event_abandoned": _l("event given up"),
    "event_cancelled": _l("event cancelled"),
    "event_queued": _l("event queued"),
    "event_received": _l("event received"),
    "event_send_failed": _l("event not delivered"),
    "event_sent": _l("event sent"),
    "export": _l("exported"),
    "get": _l("footprint read"),
    "get_denied": _l("footprint read refused"),
    "import": _l("imported"),
    "invitation_revoked": _l("invitation revoked"),
    "invite": _l("invited"),
    "join": _l("joined"),
    "list": _l("footprints listed"),
    "load": _l("loaded"),
    "login": _l("signed in"),
    "login_failed": _l("sign-in failed"),
    "logout": _l("signed out"),
    "password_changed": _l("password changed"),
    "password_reset": _l("password reset"),
    "pcf_received": _l("footprint received"),
    "publish": lazy_pgettext("audit event", "published"),
    "read": _l("read"),
    "register": _l("registered"),
    "rejected": _l("rejected"),
    "remove": _l("removed"),
    "request": _l("requested"),
    "request_answered": _l("request answered"),
    "request_sent": _l("request sent"),
    "reset_requested": _l("password reset requested"),
    "revoke": _l("revoked"),
    "role": _l("role changed"),
    "rotate": _l("secret rotated"),
    "save": _l("saved"),
    "scale": _l("generated at scale"),
    "submit": _l("submitted"),
    "token": _l("access token issued"),
    "token_refused": _l("access token refused"),
    "update": _l("updated"),
    "verified": _l("verified"),
    "withdraw": _l("withdrawn"),
}


def event_label(code: str | None) -> str:
    """An audited action (`submission.submit`) as "Data submission · submitted" in the
    reader's language; an unknown part stays as it is stored."""
    if not code:
        return ""
    obj, _, verb = str(code).partition(".")
    if obj not in _EVENT_OBJECTS and verb not in _EVENT_VERBS:
        return str(code)
    return " · ".join(
        str(part)
        for part in (_EVENT_OBJECTS.get(obj, obj), _EVENT_VERBS.get(verb, verb) if verb else "")
        if str(part)
    )


def object_type_label(code: str | None) -> str:
    """The kind of record an audited event concerns (an audit row's object type)."""
    if not code:
        return ""
    key = str(code).lower()
    return str(_EVENT_OBJECTS.get(key, _OBJECT_TYPES.get(key, code)))


_OBJECT_TYPES: dict[str, Any] = {
    "datarequest": _l("Data request"),
    "factorrelease": _l("Factor release"),
    "linkrequest": _l("Link request"),
    "membership": _l("Member"),
    "pactclient": _l("PACT client"),
    "apitoken": _l("API token"),
    "submissioninput": _l("Data submission"),
    "whatifscenario": _l("What-if scenario"),
    "user": _l("Account"),
    "invitation": _l("Invitation"),
    "pactevent": _l("PACT exchange"),
    "pactrequestsent": _l("PACT exchange"),
    "none": "—",
    "footprintshare": _l("Sharing"),
    "electricityinstrument": _l("Electricity instrument"),
    "pactcredential": _l("PACT credential"),
    "externalfootprint": _l("Partner footprint"),
    "webhookendpoint": _l("Webhook"),
}

FILTERS = {
    "event": event_label,
    "object_type": object_type_label,
    "component": component_label,
    "problem": problem_text,
    "role": role_label,
    "instrument": instrument_label,
    "basis": basis_label,
    "series": series_label,
    "factor_category": factor_category_label,
    "geography": geography_label,
    "field": field_label,
    "unit": unit_label,
    "kind": kind_label,
    "channel": channel_label,
    "status": status_label,
}
