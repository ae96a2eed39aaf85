"""Codes as a reader reads them. The data stores codes (`piece`, `t*km`, an input kind
`material`, a channel `cli`); a page prints each in the reader's language. SI symbols stay
symbols in both languages (GB 3100-1993 adopts the SI symbols for Chinese text); words are
translated. An unknown code is shown as it is, never dropped, so nothing disappears silently."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

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


FILTERS = {
    "component": component_label,
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
