"""The layout of activity data as people enter it: sections, their columns and labels.

One layout serves the web form's steps and the Excel template's sheets, so both speak of the
same section, row and column when they report a problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from footprint_platform.models import InputKind


@dataclass(frozen=True)
class Column:
    name: str  # the field of SubmissionInput
    label: LazyString
    # text | number | unit | factor | recycled | product | instrument | stage | evidence | basis
    kind: str = "text"
    required: bool = False
    hint: LazyString | None = None


QUANTITY = Column("quantity", _l("Quantity per declared unit"), "number", True)
UNIT = Column("unit", _l("Unit"), "unit", True)
DESCRIPTION = Column("description", _l("Description"))
FACTOR = Column("factor_code", _l("Factor dataset"), "factor")
STAGE = Column("stage", _l("Life-cycle stage"), "stage")
DQR = Column(
    "dqr",
    _l("Data quality (1–5)"),
    "number",
    hint=_l("The mean of the three ratings; given alone it counts for all three"),
)
EVIDENCE = Column("evidence_id", _l("Evidence"), "evidence")
UNCERTAINTY = Column(
    "uncertainty",
    _l("Stated uncertainty"),
    hint=_l("GSD (e.g. 1.2) or range in percent (e.g. -10/+20); empty: from the rating"),
)
PROVENANCE = Column(
    "provenance",
    _l("Source of the figure"),
    "provenance",
    hint=_l("Measured or calculated from measured data count as primary data"),
)
# PACT v3 dqi, per row (empty: the submission's defaults)
RATINGS = (
    Column("dqr_technological", _l("Technological rating (1–5)"), "number"),
    Column("dqr_temporal", _l("Temporal rating (1–5)"), "number"),
    Column("dqr_geographical", _l("Geographical rating (1–5)"), "number"),
)

# A material's carbon content (PACT v3.0.3 fossil and biogenic carbon content of the product)
CARBON = (
    Column(
        "carbon_fossil",
        _l("Fossil carbon (kg C per unit)"),
        "number",
        hint=_l("Per unit of the quantity (kg C per kg for a material in kg); empty: not stated"),
    ),
    Column("carbon_biogenic", _l("Biogenic carbon (kg C per unit)"), "number"),
)


@dataclass(frozen=True)
class Section:
    kind: InputKind
    title: LazyString
    help: LazyString
    columns: tuple[Column, ...]
    units: tuple[str, ...]

    @property
    def code(self) -> str:
        return self.kind.value


SECTIONS: tuple[Section, ...] = (
    Section(
        InputKind.ELECTRICITY,
        _l("Electricity"),
        _l(
            "Electricity used per declared unit. The grid factor is the accounting rule's for "
            "your site's country and the period; a green certificate, PPA or direct supply "
            "counts only as a registered record (Electricity instruments) named here."
        ),
        (
            DESCRIPTION,
            QUANTITY,
            UNIT,
            Column("instrument", _l("Supply"), "instrument"),
            Column("certificate_id", _l("Certificate or contract id (registered)")),
            Column("factor_code", _l("Factor dataset (on-site generation)"), "factor"),
            Column("grid_region", _l("Grid region (if not your site's)")),
            EVIDENCE,
            DQR,
            UNCERTAINTY,
            PROVENANCE,  # later columns last, so earlier workbooks keep their columns
            *RATINGS,
        ),
        ("kWh", "MWh", "MJ", "GJ"),
    ),
    Section(
        InputKind.FUEL,
        _l("Fuels and heat"),
        _l("Fuels burnt and heat or steam bought, per declared unit."),
        (
            DESCRIPTION,
            QUANTITY,
            UNIT,
            Column("factor_code", _l("Fuel or heat"), "factor", True),
            STAGE,
            DQR,
            UNCERTAINTY,
            PROVENANCE,
            *RATINGS,
        ),
        ("m^3", "L", "kg", "t", "MJ", "GJ", "kWh"),
    ),
    Section(
        InputKind.PROCESS,
        _l("Process emissions"),
        _l(
            "Greenhouse gases released by the process itself (not from fuels), per "
            "declared unit, by gas."
        ),
        (
            DESCRIPTION,
            QUANTITY,
            UNIT,
            Column("factor_code", _l("Gas"), "factor", True),
            STAGE,
            DQR,
            UNCERTAINTY,
            PROVENANCE,
            *RATINGS,
        ),
        ("kg", "g", "t"),
    ),
    Section(
        InputKind.MATERIAL,
        _l("Materials"),
        _l(
            "Materials and parts per declared unit. Link your supplier's product when it is "
            "on Tanlian (its own footprint then replaces the generic factor), a partner's "
            "footprint you imported over PACT, or choose a factor dataset."
        ),
        (
            DESCRIPTION,
            QUANTITY,
            UNIT,
            Column("linked_product_id", _l("Supplier's product"), "product"),
            Column("factor_code", _l("or factor dataset"), "factor"),
            STAGE,
            DQR,
            UNCERTAINTY,
            # last, so workbooks made before it keep their columns where they were
            Column("external_footprint_id", _l("or partner's footprint (PACT)"), "external"),
            Column(
                "recycled_share",
                _l("Recycled content (0–1)"),
                "number",
                hint=_l("1 without a dataset: scrap you recycle, burden-free"),
            ),
            Column("recycled_factor_code", _l("Recycled dataset"), "recycled"),
            *RATINGS,
            *CARBON,  # later columns last, so earlier workbooks keep their columns
        ),
        ("kg", "g", "t", "m^2", "L", "piece", "kWh"),
    ),
    Section(
        InputKind.TRANSPORT,
        _l("Transport"),
        _l("Inbound transport legs per declared unit: the mass carried and the distance, or t·km."),
        (
            DESCRIPTION,
            QUANTITY,
            UNIT,
            Column("distance_km", _l("Distance (km)"), "number"),
            Column("factor_code", _l("Transport mode"), "factor", True),
            STAGE,
            DQR,
            UNCERTAINTY,
            PROVENANCE,
            *RATINGS,
        ),
        ("kg", "t", "t*km"),
    ),
    Section(
        InputKind.COPRODUCT,
        _l("Co-products"),
        _l("Other products of the same process and the share of the burden each takes."),
        (
            Column("description", _l("Co-product"), required=True),
            QUANTITY,
            UNIT,
            Column("allocation_basis", _l("Allocation basis"), "basis"),
            Column("allocation_share", _l("Share of the burden (0–1)"), "number", True),
        ),
        ("kg", "t", "MJ", "kWh", "piece"),
    ),
    Section(
        InputKind.WASTE,
        _l("Waste"),
        _l(
            "Waste per declared unit and how it is treated; the share recycled with the "
            "dataset of that recycling. In the end-of-life stage: the product's materials at "
            "the end of its life, treated as the rule says (Circular Footprint Formula or "
            "cut-off)."
        ),
        (
            DESCRIPTION,
            QUANTITY,
            UNIT,
            Column("factor_code", _l("Treatment"), "factor"),
            STAGE,
            DQR,
            Column("recycled_share", _l("Share recycled (0–1)"), "number"),
            Column("recycled_factor_code", _l("Dataset of the recycling"), "recycled"),
            UNCERTAINTY,
            PROVENANCE,
            *RATINGS,
        ),
        ("kg", "t"),
    ),
)
BY_KIND = {s.kind: s for s in SECTIONS}

# The web form's steps: (code, title, sections).
STEPS: tuple[tuple[str, LazyString, tuple[InputKind, ...]], ...] = (
    ("general", _l("General"), ()),
    ("energy", _l("Energy"), (InputKind.ELECTRICITY, InputKind.FUEL)),
    ("process", _l("Process"), (InputKind.PROCESS,)),
    ("materials", _l("Materials"), (InputKind.MATERIAL,)),
    ("transport", _l("Transport"), (InputKind.TRANSPORT,)),
    ("outputs", _l("Co-products and waste"), (InputKind.COPRODUCT, InputKind.WASTE)),
    ("review", _l("Review and submit"), ()),
)
INSTRUMENT_LABELS = {
    "grid": _l("Grid (the rule's grid factor)"),
    "green_certificate": _l("Green electricity certificate"),
    "ppa": _l("Power purchase agreement"),
    "direct_supply": _l("Direct supply (dedicated line)"),
    "onsite": _l("On-site generation"),
}
PROVENANCE_LABELS = {
    "measured": _l("Measured (meter, invoice, weighing)"),
    "calculated": _l("Calculated from measured data"),
    "estimated": _l("Estimated"),
    "secondary": _l("Database or literature value (secondary)"),
}
BASIS_LABELS = {"mass": _l("Mass"), "energy": _l("Energy"), "economic": _l("Economic value")}


def section_names() -> dict[str, str]:
    """Section titles in the reader's language, as problems name them."""
    return {s.code: str(s.title) for s in SECTIONS}
