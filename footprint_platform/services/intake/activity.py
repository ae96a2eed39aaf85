"""Activity data: one validation for every way in (web form, Excel, API).

A row is a dict of plain values. `check_rows` returns the rows ready to store and the problems,
each naming section, row, column, value and reason, so the form, the Excel upload and the API
report the same thing in the same words.

One module because it is the one validation of an activity row for the form, the workbook and
the API; the field list, the checks and their messages must stay together for the three ways in
to report the same thing in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from footprint_platform.electricity import GRID_MIX_ONLY, ElectricityPolicy, country_of
from footprint_platform.errors import Problem
from footprint_platform.models import (
    RATING_FIELDS,
    ElectricityInstrument,
    EmissionFactor,
    ExternalFootprint,
    InputKind,
    Product,
    Provenance,
)
from footprint_platform.rules import NO_END_OF_LIFE, AccountingRule, EndOfLife, MaterialEndOfLife
from footprint_platform.services.graph import input_uncertainty as uncertainty
from supply_graph.circular import CFF, CUT_OFF, cff, cut_off, input_weights
from supply_graph.units import conversion_factor, is_unit

DEFAULT_STAGE = {
    InputKind.ELECTRICITY: "production",
    InputKind.FUEL: "production",
    InputKind.PROCESS: "production",
    InputKind.MATERIAL: "raw_material",
    InputKind.TRANSPORT: "raw_material",
    InputKind.COPRODUCT: "production",
    InputKind.WASTE: "production",
}
FACTOR_CATEGORIES = {
    InputKind.ELECTRICITY: ("electricity",),
    InputKind.FUEL: ("fuel", "heat"),
    InputKind.PROCESS: ("process_gas",),
    InputKind.MATERIAL: ("material",),
    InputKind.TRANSPORT: ("transport",),
    InputKind.WASTE: ("waste",),
}
GRID = "grid"
# Fields added after submissions were first hashed (services/intake/fingerprint.py says how each
# enters the canonical form).
LATER_FIELDS = (
    "external_footprint_id",
    "recycled_share",
    "recycled_factor_code",
    "virgin_factor_code",
    "uncertainty",
    "certificate_id",
    "td_factor_code",
    "dqr_technological",
    "dqr_temporal",
    "dqr_geographical",
    "provenance",
    "carbon_fossil",
    "carbon_biogenic",
)
FIELDS = (
    "kind",
    "stage",
    "description",
    "quantity",
    "unit",
    "factor_code",
    "linked_product_id",
    "external_footprint_id",
    "grid_region",
    "instrument",
    "distance_km",
    "allocation_basis",
    "allocation_share",
    "evidence_id",
    "dqr",
    *LATER_FIELDS[1:],  # the rest, in the order they were added
)
# A material's carbon content, kg C per unit of its quantity (PACT v3.0.3 carbon content).
CARBON_FIELDS = ("carbon_fossil", "carbon_biogenic")
# Kinds whose rows are the supplier's own activity times a factor: their provenance decides
# whether their emissions are primary data.
OWN_ACTIVITY = (
    InputKind.ELECTRICITY,
    InputKind.FUEL,
    InputKind.PROCESS,
    InputKind.TRANSPORT,
    InputKind.WASTE,
)


def implied_provenance(
    kind: str, factor_code: str | None, linked: int | None, external: int | None
) -> str | None:
    """The provenance migration 0029 gave rows entered before it was recorded: own activity
    'measured' (it was asked for as the site's data and counted primary), a material valued by
    a factor dataset 'secondary', links and co-products none."""
    if kind in _OWN_KINDS:
        return _MEASURED
    if kind == _MATERIAL and factor_code and linked is None and external is None:
        return _SECONDARY
    return None


# implied_provenance's constants as plain strings: it runs for every row hashed (100k
# submissions in the synthetic industry), where enum look-ups would be most of its cost
_OWN_KINDS = frozenset(k.value for k in OWN_ACTIVITY)
_MEASURED, _SECONDARY = Provenance.MEASURED.value, Provenance.SECONDARY.value
_MATERIAL = InputKind.MATERIAL.value


@dataclass
class Context:
    """What a row is checked against: the product, its rule, the factor release, the products
    that may be linked, the organization's evidence files."""

    product: Product
    rule: AccountingRule
    factors: dict[str, EmissionFactor]
    linkable: dict[int, Product]
    evidence_ids: set[int]
    site_grid_region: str
    section_names: dict[str, str] = field(default_factory=dict)
    generic_factor_prefix: str | None = None
    externals: dict[int, ExternalFootprint] = field(default_factory=dict)  # the org's imports
    # The period (its end year picks the grid factor), the site's country, and the registered
    # electricity instruments the rows name (any organization's: a certificate counts once).
    period: tuple[date, date] | None = None
    site_country: str = ""
    instruments: dict[str, ElectricityInstrument] = field(default_factory=dict)

    @property
    def period_year(self) -> int | None:
        return self.period[1].year if self.period else None


def normalize_certificate_id(raw: Any) -> str:
    """A certificate or contract id as compared across the platform: no spaces, upper case."""
    return "".join(str(raw or "").split()).upper()


@dataclass
class Checked:
    rows: list[dict[str, Any]]
    problems: list[Problem]
    warnings: list[Problem]


# Activity numbers are stored as NUMERIC(24, 10): 14 digits before the point. A larger figure
# is a typing error (no product uses 10^14 kWh per unit) and could not be stored exactly.
MAX_MAGNITUDE = Decimal(10) ** 14


def parse_number(raw: Any) -> Decimal | None:
    """A finite decimal within what the database stores, else None ("Enter a number.")."""
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() and abs(value) < MAX_MAGNITUDE else None


class _Row:
    """Checks one row, collecting problems against its section and row number."""

    def __init__(self, raw: dict[str, Any], n: int, ctx: Context, for_submit: bool):
        self.raw, self.n, self.ctx, self.for_submit = raw, n, ctx, for_submit
        self.kind = InputKind(raw["kind"])
        self.section = ctx.section_names.get(self.kind.value, self.kind.value)
        self.problems: list[Problem] = []
        self.out: dict[str, Any] = {"kind": self.kind}

    def bad(self, column: str, reason: Any) -> None:
        value = self.raw.get(column)
        self.problems.append(
            Problem(
                self.section, self.n, column, None if value is None else str(value), str(reason)
            )
        )

    def text(self, column: str, max_len: int = 200) -> str | None:
        value = self.raw.get(column)
        value = str(value).strip() if value is not None else ""
        if len(value) > max_len:
            self.bad(column, _l("Too long."))
        return value[:max_len] or None

    def check(self) -> dict[str, Any] | None:
        self._common()
        getattr(self, f"_{self.kind.value}")()
        self._provenance()
        self._carbon()
        return None if self.problems else self.out

    def _carbon(self) -> None:
        """A material's carbon content, kg C per unit of the row's quantity, fossil and
        biogenic, each optional (disclosure/carbon_content.py sums them into the product's);
        other kinds put no carbon into the product."""
        for column in CARBON_FIELDS:
            raw = self.raw.get(column)
            if raw in (None, ""):
                self.out[column] = None
                continue
            value = parse_number(raw)
            if self.kind is not InputKind.MATERIAL:
                self.bad(column, _l("Only a material carries carbon into the product."))
            elif value is None or value < 0:
                self.bad(column, _l("Enter the carbon content in kg C per unit (0 or more)."))
            else:
                self.out[column] = value

    def _provenance(self) -> None:
        """Where the row's figure comes from. The supplier's own activity must say it before
        submitting (it decides whether its emissions count as primary data); a material valued
        by a factor dataset is a secondary database value; a link or a co-product has none
        (the linked footprint carries its own primary-data share)."""
        raw = self.text("provenance", 12)
        known = {p.value for p in Provenance}
        if raw is not None and raw not in known:
            self.bad("provenance", _l("Choose measured, calculated, estimated or secondary."))
            return
        if self.kind in OWN_ACTIVITY:
            if raw is None and self.for_submit:
                self.bad(
                    "provenance",
                    _l(
                        "Say where this figure comes from: measured, calculated from measured "
                        "data, estimated, or a database value (secondary)."
                    ),
                )
            self.out["provenance"] = raw
        elif self.kind is InputKind.MATERIAL and self.out.get("factor_code"):
            if raw not in (None, Provenance.SECONDARY.value):
                self.bad("provenance", _l("A factor dataset is a secondary database value."))
            self.out["provenance"] = Provenance.SECONDARY.value
        else:
            if raw is not None:
                self.bad(
                    "provenance",
                    _l("A linked footprint or a co-product carries no provenance of its own."),
                )
            self.out["provenance"] = None

    def _common(self) -> None:
        self.out["description"] = self.text("description")
        stage = self.text("stage") or DEFAULT_STAGE[self.kind]
        if stage not in self.ctx.rule.stage_codes:
            self.bad("stage", _l("Not a life-cycle stage of this product's rule."))
        self.out["stage"] = stage
        quantity = parse_number(self.raw.get("quantity"))
        if quantity is None:
            self.bad("quantity", _l("Enter a number (at most 14 digits before the decimal point)."))
        elif quantity < 0:
            self.bad("quantity", _l("Quantities cannot be negative."))
        self.out["quantity"] = quantity
        unit = self.text("unit", 16)
        if not unit or not is_unit(unit):
            self.bad("unit", _l("Choose a unit from the list."))
        self.out["unit"] = unit
        self.out.update(check_ratings(self.raw, self.bad))
        self._uncertainty()
        evidence = self.raw.get("evidence_id")
        if evidence not in (None, ""):
            eid = int(evidence) if str(evidence).isdigit() else None
            if eid not in self.ctx.evidence_ids:
                self.bad("evidence_id", _l("Upload the evidence file first, then choose it."))
            self.out["evidence_id"] = eid

    def _uncertainty(self) -> None:
        """A stated uncertainty, stored normalized; left empty, the row's rating gives one."""
        raw = self.raw.get("uncertainty")
        if raw in (None, ""):
            self.out["uncertainty"] = None
            return
        try:
            self.out["uncertainty"] = uncertainty.normalized(str(raw))
        except ValueError:
            self.out["uncertainty"] = None
            self.bad(
                "uncertainty",
                _l(
                    "Give a geometric standard deviation of at most 10 (e.g. 1.2) or a range "
                    "in percent (e.g. -10/+20, at most -100)."
                ),
            )

    def _factor(self, required: bool = True) -> EmissionFactor | None:
        code = self.text("factor_code", 80)
        self.out["factor_code"] = code
        if not code:
            if required:
                self.bad("factor_code", _l("Choose a factor dataset."))
            return None
        factor = self.ctx.factors.get(code)
        if factor is None:
            self.bad("factor_code", _l("Unknown factor code in this factor release."))
        elif factor.category not in FACTOR_CATEGORIES[self.kind]:
            self.bad("factor_code", _l("This factor is not for this kind of input."))
        elif self._characterised(factor):
            return factor
        return None

    def _characterised(self, factor: EmissionFactor) -> bool:
        """The factor's basis agrees with the rule's characterisation (rules.Characterisation):
        a GWP set other than the rule's is refused, and so is a CO2-only factor the rule does
        not list (it would count as CO2e what is CO2 alone)."""
        rule = self.ctx.rule.characterisation
        if factor.gwp and factor.gwp != rule.gwp:
            self.bad(
                "factor_code",
                _l(
                    "This factor uses %(factor_gwp)s GWP values; this product's rule uses "
                    "%(rule_gwp)s. Choose a factor on %(rule_gwp)s.",
                    factor_gwp=factor.gwp,
                    rule_gwp=rule.gwp,
                ),
            )
            return False
        if self.kind is InputKind.ELECTRICITY:
            return True  # the rule's grid series decides (carbon_footprint is CO2e, see below)
        if factor.gas_basis == "CO2" and factor.code not in rule.co2_only_accepted:
            self.bad(
                "factor_code",
                _l(
                    "This factor counts CO2 only; this product's rule does not accept it as "
                    "CO2e. Choose a CO2e factor."
                ),
            )
            return False
        return True

    def _converts(self, target: str, column: str = "unit") -> None:
        unit = self.out.get("unit")
        if unit and is_unit(unit) and conversion_factor(unit, target) is None:
            self.bad(column, _l("This unit does not convert to %(unit)s.", unit=target))

    def _electricity(self) -> None:
        self._converts("kWh")
        policy = self.ctx.rule.electricity
        region = self.text("grid_region", 16) or self.ctx.site_grid_region
        self.out["grid_region"] = region
        instrument = self.text("instrument", 24) or GRID
        self.out.update(instrument=instrument, certificate_id=None, td_factor_code=None)
        if instrument != GRID and (
            instrument not in policy.instruments or policy.policy == GRID_MIX_ONLY
        ):
            self.bad("instrument", _l("Not an electricity instrument this rule accepts."))
        if policy.pinned:
            self._electricity_pinned(instrument, region)
            return
        site = self.ctx.site_country
        if site and country_of(region) != site:
            self.bad(
                "grid_region",
                _l(
                    "This grid region lies in %(country)s; the site is in %(site)s.",
                    country=country_of(region),
                    site=site,
                ),
            )
        elif instrument == GRID:
            self._grid_factor(policy, region)
        elif instrument in policy.record_required:
            self._instrument_record(policy, instrument)
        else:  # on-site generation: its own factor, with evidence (meter data)
            self._own_country(self._series(self._factor()))
        self._needs_evidence(instrument, instrument in policy.record_required)

    def _electricity_pinned(self, instrument: str, region: str) -> None:
        """Rules of version 1.0 (a pinned grid factor per country), kept as they were so a
        draft made under one is checked as then."""
        factor = self._series(self._factor(required=instrument != GRID))
        if factor is None and instrument == GRID and not self.out.get("factor_code"):
            code = self.ctx.rule.electricity.grid_factor.get(region.split("-")[0])
            if code is None or code not in self.ctx.factors:
                self.bad(
                    "grid_region",
                    _l(
                        "No grid factor for this region in the factor "
                        "release; choose an electricity factor."
                    ),
                )
            self.out["factor_code"] = code
        self._needs_evidence(instrument, False)

    def _series(self, factor: EmissionFactor | None) -> EmissionFactor | None:
        if factor is not None and factor.series != self.ctx.rule.grid_series:
            self.bad(
                "factor_code",
                _l(
                    "This rule needs the %(series)s electricity series.",
                    series=self.ctx.rule.grid_series,
                ),
            )
            return None
        return factor

    def _own_country(self, factor: EmissionFactor | None) -> None:
        """A factor of another country than the site's is refused (a Hungarian plant does not
        draw Chinese electricity)."""
        site = self.ctx.site_country
        if factor is not None and site and country_of(factor.geography) != site:
            self.bad(
                "factor_code",
                _l(
                    "This factor describes electricity in %(country)s; the site is in %(site)s.",
                    country=country_of(factor.geography),
                    site=site,
                ),
            )

    def _grid_factor(self, policy: ElectricityPolicy, region: str) -> None:
        """Grid kWh (those no instrument covers) take the rule's choice: the residual mix, or
        its stated substitute, the latest grid factor for the period's year or before. A grid
        factor of the site's country named by the row (another year) is replaced by it."""
        given = self.text("factor_code", 80)
        # Whether `code` is a residual mix or the rule's substitute is stated on the rule's page.
        code, _substitute = policy.residual_code(self.ctx.factors, region, self.ctx.period_year)
        if given and given != code:
            factor = self.ctx.factors.get(given)
            if factor is None or factor.category != "electricity":
                self.bad("factor_code", _l("Unknown factor code in this factor release."))
            elif factor.series != policy.grid_series:
                self._series(factor)
            elif country_of(factor.geography) != self.ctx.site_country:
                self._own_country(factor)
            elif policy.grid_code({given: factor}, factor.geography, None) != given:
                self.bad(
                    "factor_code",
                    _l(
                        "Grid electricity takes the rule's grid factor; leave the factor "
                        "empty, or choose the supply of your certificate or contract."
                    ),
                )
        if code is None:
            self.bad(
                "grid_region",
                _l(
                    "The factor release has no grid factor for %(country)s for %(year)s or before.",
                    country=country_of(region),
                    year=self.ctx.period_year or "—",
                ),
            )
        self.out["factor_code"] = code

    def _instrument_record(self, policy: ElectricityPolicy, instrument: str) -> None:
        """A certificate or contract counts only as a registered record of this organization
        and site, of the site's country, with a vintage in the period, not claimed by another
        product or period; its kWh take its generation type's factor, plus T&D where the rule
        says they came over the grid. The volume is checked at submission (instruments.py)."""
        raw = self.text("certificate_id", 100)
        if not raw and not self.for_submit:  # a draft may wait for its record
            self._own_country(self._series(self._factor(required=False)))
            return
        if not raw:
            self.bad(
                "certificate_id",
                _l(
                    "Name the certificate or contract id (register it under Electricity "
                    "instruments)."
                ),
            )
            return
        record = self.ctx.instruments.get(normalize_certificate_id(raw))
        problem = self._record_problem(record, instrument)
        if problem is not None:
            self.bad("certificate_id", problem)
            return
        assert record is not None
        self.out["certificate_id"] = record.certificate_id
        year = self.ctx.period_year
        code = policy.generation_code(self.ctx.factors, record.geography, record.generation, year)
        if code is None:
            self.bad(
                "certificate_id",
                _l(
                    "The factor release has no life-cycle factor for %(generation)s electricity "
                    "in %(country)s.",
                    generation=record.generation,
                    country=country_of(record.geography),
                ),
            )
        self.out["factor_code"] = code
        if instrument in policy.td_applies_to:
            td = policy.td_code(self.ctx.factors, record.geography, year)
            if td is None:
                self.bad(
                    "certificate_id",
                    _l(
                        "The factor release has no transmission and distribution factor for "
                        "%(country)s; enter these kWh as grid electricity.",
                        country=country_of(record.geography),
                    ),
                )
            self.out["td_factor_code"] = td

    def _record_problem(self, record: ElectricityInstrument | None, instrument: str) -> Any:
        ctx = self.ctx
        if record is None:
            return _l(
                "Unknown certificate or contract id: register it first (Electricity instruments)."
            )
        if record.organization_id != ctx.product.organization_id:
            return _l(
                "This certificate is registered by another organization: a certificate counts "
                "once on the platform."
            )
        if record.kind != instrument:
            return _l("This record is not of the supply type chosen in this row.")
        if record.site_id != ctx.product.site_id:
            return _l("This record is registered for another of your sites.")
        if country_of(record.geography) != ctx.site_country:
            return _l(
                "The certificate's electricity was generated in %(country)s; the site is in "
                "%(site)s.",
                country=country_of(record.geography),
                site=ctx.site_country,
            )
        if ctx.period and not (
            record.vintage_start <= ctx.period[1] and record.vintage_end >= ctx.period[0]
        ):
            return _l("The certificate's vintage lies outside this period.")
        claimed = (
            record.claimed_product_id,
            record.claimed_period_start,
            record.claimed_period_end,
        )
        if record.claimed_product_id is not None and claimed != (
            ctx.product.id,
            *(ctx.period or (None, None)),
        ):
            return _l(
                "This certificate is already claimed by another product or period: a "
                "certificate is claimed once."
            )
        return None

    def _needs_evidence(self, instrument: str, record_backed: bool) -> None:
        """A contractual instrument counts only with evidence: the record's retirement
        evidence, or the row's own file (on-site generation, rules of version 1.0)."""
        needs = instrument != GRID and self.ctx.rule.instruments_need_evidence
        if needs and not record_backed and self.for_submit and not self.out.get("evidence_id"):
            self.bad("evidence_id", _l("A contractual instrument counts only with evidence."))

    def _fuel(self) -> None:
        factor = self._factor()
        if factor is not None:
            self._converts(factor.unit)

    _process = _fuel

    def _share(self) -> Decimal | None:
        """The row's recycled share (R1 of an input, R2 of waste), 0 to 1, or None."""
        raw = self.raw.get("recycled_share")
        if raw in (None, ""):
            return None
        share = parse_number(raw)
        if share is None or not 0 <= share <= 1:
            self.bad("recycled_share", _l("A recycled share lies between 0 and 1."))
            return None
        self.out["recycled_share"] = share
        return share

    def _recycled_factor(self) -> EmissionFactor | None:
        """The recycled dataset a row names (Erec of an input, ErecEoL of waste)."""
        code = self.text("recycled_factor_code", 80)
        if not code:
            return None
        factor = self.ctx.factors.get(code)
        if factor is None:
            self.bad("recycled_factor_code", _l("Unknown factor code in this factor release."))
        elif factor.category != "material":
            self.bad("recycled_factor_code", _l("Choose a recycled material dataset."))
        else:
            self.out["recycled_factor_code"] = code
            self._converts(factor.unit, "recycled_factor_code")
            return factor
        return None

    def _cff_parameters(self, code: str | None) -> MaterialEndOfLife | None:
        """Under a CFF rule, the material's parameters; a problem when the rule has none."""
        eol = self.ctx.rule.end_of_life
        if not eol.is_cff:
            return None
        found = eol.for_dataset(code)
        if found is None:
            self.bad(
                "recycled_factor_code",
                _l(
                    "The rule %(rule)s gives no Circular Footprint Formula parameters for "
                    "this material.",
                    rule=self.ctx.rule.code,
                ),
            )
        return found

    def _waste(self) -> None:
        """Waste (or, in the end-of-life stage, the product's materials at end of life): its
        treatment ED, and where a share R2 is recycled the dataset of that recycling; under a
        CFF rule the virgin dataset E*v it replaces comes from the rule."""
        r2 = self._share()
        recycled = self._recycled_factor()
        factor = self._factor(required=r2 is None or r2 < 1)
        if factor is not None:
            self._converts(factor.unit)
        if r2 is None:
            if recycled is not None:
                self.bad("recycled_share", _l("Enter the share recycled (0–1)."))
            return
        if recycled is None and r2 > 0 and self.ctx.rule.end_of_life.is_cff:
            self.bad("recycled_factor_code", _l("Choose the dataset of the recycling."))
            return
        params = self._cff_parameters(recycled.code) if recycled is not None else None
        if params is not None:
            if params.virgin not in self.ctx.factors:
                self.bad(
                    "recycled_factor_code",
                    _l(
                        "The virgin dataset %(code)s this rule names is not in the factor release.",
                        code=params.virgin,
                    ),
                )
            else:
                self.out["virgin_factor_code"] = params.virgin

    def _scrap(self) -> bool:
        """Scrap fed to a recycler: recycled share 1 and no dataset or link. It enters
        burden-free under both approaches (cut-off: the earlier life keeps its burden; CFF: the
        recycling is shared at the user of the recycled material and at the end of life)."""
        named = (
            "linked_product_id",
            "external_footprint_id",
            "factor_code",
            "recycled_factor_code",
        )
        if any(self.raw.get(c) not in (None, "") for c in named):
            return False
        share = parse_number(self.raw.get("recycled_share"))
        if share != 1:
            return False
        self.out["recycled_share"] = share
        return True

    def _recycled_content(self) -> None:
        """A material's recycled share R1 and the recycled dataset Erec it uses (a dataset
        input: both; a linked or imported footprint: R1 only, recorded, its footprint being its
        own route). Under a CFF rule the material needs the rule's parameters."""
        r1 = self._share()
        recycled = self._recycled_factor()
        has_factor = bool(self.raw.get("factor_code"))
        if recycled is not None and r1 is None:
            self.bad("recycled_share", _l("Enter the recycled share (0–1)."))
        if (
            has_factor
            and r1
            and recycled is None
            and "recycled_factor_code" not in {p.column for p in self.problems}
        ):
            self.bad("recycled_factor_code", _l("Choose the recycled dataset this share uses."))
        if has_factor and r1 and recycled is not None:
            self._cff_parameters(str(self.raw.get("factor_code")))

    def _material(self) -> None:
        if self._scrap():
            return
        self._recycled_content()
        linked = self.raw.get("linked_product_id")
        has_link = linked not in (None, "")
        external = self.raw.get("external_footprint_id")
        has_external = external not in (None, "")
        has_factor = bool(self.text("factor_code", 80))
        if has_link + has_external + has_factor != 1:
            self.bad(
                "linked_product_id",
                _l(
                    "Link a supplier's product, a partner's footprint or a factor dataset "
                    "(exactly one), or enter scrap as recycled share 1 without any."
                ),
            )
            return
        if has_external:
            self._external(external)
            return
        if has_factor:
            factor = self._factor()
            if factor is not None:
                self._converts(factor.unit)
            return
        if self.out.get("recycled_factor_code"):
            self.bad(
                "recycled_factor_code",
                _l("Leave it empty: a linked footprint already is its own recycled route."),
            )
        product = self.ctx.linkable.get(int(linked)) if str(linked).isdigit() else None
        if product is None:
            self.bad(
                "linked_product_id", _l("Unknown product: search by supplier and part number.")
            )
        elif product.id == self.ctx.product.id:
            self.bad("linked_product_id", _l("A product cannot be its own input."))
        else:
            self.out["linked_product_id"] = product.id
            self._converts(product.declared_unit)

    def _external(self, raw: Any) -> None:
        """A partner's footprint imported over PACT by this organization (services.
        pact_consume); its unit must convert, like a linked product's."""
        found = self.ctx.externals.get(int(raw)) if str(raw).isdigit() else None
        if found is None:
            self.bad(
                "external_footprint_id",
                _l("Unknown partner footprint: import it first (Partner footprints)."),
            )
            return
        self.out["external_footprint_id"] = found.id
        self._converts(found.unit, "external_footprint_id")

    def _transport(self) -> None:
        factor = self._factor()
        distance = parse_number(self.raw.get("distance_km"))
        unit = self.out.get("unit")
        if unit and is_unit(unit) and conversion_factor(unit, "t*km") is not None:
            if distance is not None:
                self.bad(
                    "distance_km", _l("Leave the distance empty when the quantity is in t·km.")
                )
        elif unit and is_unit(unit) and conversion_factor(unit, "t") is not None:
            if distance is None or distance <= 0:
                self.bad("distance_km", _l("Enter the distance in km for the mass carried."))
        else:
            self.bad("unit", _l("Use a mass carried (kg, t) with a distance, or t·km."))
        self.out["distance_km"] = distance
        if factor is not None and factor.unit != "t*km":
            self.bad("factor_code", _l("Transport factors are per t·km."))

    def _coproduct(self) -> None:
        if not self.out.get("description"):
            self.bad("description", _l("Name the co-product."))
        basis = self.text("allocation_basis", 12) or self.ctx.rule.allocation_default
        if basis not in self.ctx.rule.allocation_allowed:
            self.bad("allocation_basis", _l("Choose mass, energy or economic allocation."))
        share = parse_number(self.raw.get("allocation_share"))
        if share is None or not 0 < share < 1:
            self.bad(
                "allocation_share", _l("The co-product's share of the burden lies between 0 and 1.")
            )
        self.out.update(allocation_basis=basis, allocation_share=share)


def check_ratings(raw: dict[str, Any], bad: Any) -> dict[str, Any]:
    """The three PACT v3 ratings (technological, temporal, geographical; 1 best to 5) of a row
    or a submission's defaults, all three or none; the single `dqr` is derived as their mean.
    A single `dqr` given alone (the earlier way in) stands for all three. `bad(column,
    reason)` reports a problem. Shared by rows and submission headers."""
    message = _l("A data-quality rating runs from 1 (best) to 5.")
    values: dict[str, Decimal | None] = {}
    for f in RATING_FIELDS:
        value = parse_number(raw.get(f))
        if raw.get(f) not in (None, "") and (value is None or not 1 <= value <= 5):
            bad(f, message)
            value = None
        values[f] = value
    given = [f for f in RATING_FIELDS if raw.get(f) not in (None, "")]
    if given and len(given) < len(RATING_FIELDS):
        missing = next(f for f in RATING_FIELDS if f not in given)
        bad(missing, _l("Give all three ratings (technological, temporal, geographical) or none."))
    if not given:
        single = parse_number(raw.get("dqr"))
        if raw.get("dqr") not in (None, "") and (single is None or not 1 <= single <= 5):
            bad("dqr", message)
            single = None
        return {"dqr": single, **{f: single for f in RATING_FIELDS}}
    rated = [v for v in values.values() if v is not None]
    dqr = (sum(rated) / len(rated)).quantize(Decimal("0.1")) if len(rated) == 3 else None
    return {"dqr": dqr, **values}


def check_rows(rows: list[dict[str, Any]], ctx: Context, for_submit: bool) -> Checked:
    """Check every row; row numbers count within each section from 1 (as a person sees them)."""
    counters: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for raw in rows:
        kind = raw.get("kind")
        if kind not in {k.value for k in InputKind}:
            problems.append(Problem("—", None, "kind", str(kind), str(_l("Unknown input kind."))))
            continue
        counters[kind] = counters.get(kind, 0) + 1
        row = _Row(raw, raw.get("_row") or counters[kind], ctx, for_submit)
        checked = row.check()
        problems += row.problems
        if checked is not None:
            out.append(checked)
    problems += _whole_submission_problems(out, ctx)
    return Checked(out, problems, plausibility_warnings(out, ctx) if not problems else [])


def _whole_submission_problems(rows: list[dict[str, Any]], ctx: Context) -> list[Problem]:
    shares = sum(
        (
            r["allocation_share"]
            for r in rows
            if r["kind"] is InputKind.COPRODUCT and r.get("allocation_share") is not None
        ),
        Decimal(0),
    )
    if shares >= 1:
        section = ctx.section_names.get("coproduct", "coproduct")
        return [
            Problem(
                section,
                None,
                "allocation_share",
                str(shares),
                str(_l("Co-products take all the burden; the product keeps none.")),
            )
        ]
    return []


def plausibility_warnings(rows: list[dict[str, Any]], ctx: Context) -> list[Problem]:
    """Doubts, not errors: material mass far from the product's mass, and a footprint that
    already exceeds the published range for the product's category. (Submitting a version
    outside the mass-balance range needs a reason: services/intake/completeness.py.)"""
    return _mass_balance(rows, ctx) + _above_published_range(rows, ctx)


def mass_balance_ratio(rows: list[dict[str, Any]], ctx: Context) -> Decimal | None:
    """Material kg per kg of product when it lies outside the rule's mass-balance range
    (config/rules, with its source), else None; None too where the rule states no range, the
    product is not declared by mass or its category is not mass-balanced (ores, brines)."""
    mb = ctx.rule.mass_balance
    per_kg = conversion_factor(ctx.product.declared_unit, "kg")
    if mb is None or per_kg is None or ctx.product.category in mb.not_for:
        return None
    mass = Decimal(0)
    for r in rows:
        if r["kind"] is InputKind.MATERIAL and r["unit"]:
            k = conversion_factor(r["unit"], "kg")
            if k is not None:
                mass += r["quantity"] * Decimal(str(k))
    ratio = mass / Decimal(str(per_kg))
    return None if mb.low <= ratio <= mb.high else ratio


def _mass_balance(rows: list[dict[str, Any]], ctx: Context) -> list[Problem]:
    ratio = mass_balance_ratio(rows, ctx)
    if ratio is None:
        return []
    message = _l(
        "Material inputs add up to %(ratio)s kg per kg of product; check the units and quantities.",
        ratio=f"{ratio:.2f}",
    )
    return [
        Problem(
            ctx.section_names.get("material", "material"),
            None,
            "quantity",
            f"{ratio:.2f}",
            str(message),
        )
    ]


def direct_footprint(
    rows: list[dict[str, Any]],
    factors: dict[str, EmissionFactor],
    rule: AccountingRule | None = None,
) -> Decimal:
    """kg CO2e per declared unit from the rows that carry a factor (linked products excluded:
    their footprints arrive with the roll-up)."""
    total = Decimal(0)
    for r in rows:
        value = row_footprint(r, factors, rule)
        if value is not None:
            total += value
    return total


def row_footprint(
    row: dict[str, Any], factors: dict[str, EmissionFactor], rule: AccountingRule | None
) -> Decimal | None:
    """kg CO2e per declared unit of one row valued by datasets, as the roll-up values it:
    recycled content and end of life by the rule's approach (supply_graph/circular.py); None
    for rows without a dataset (links, co-products); 0 for scrap."""
    kind = InputKind(row["kind"])
    factor = factors.get(row.get("factor_code") or "")
    share = row.get("recycled_share")
    recycled = factors.get(row.get("recycled_factor_code") or "")
    named = row.get("linked_product_id") or row.get("external_footprint_id") or recycled
    if kind is InputKind.MATERIAL and factor is None and share == 1 and not named:
        return Decimal(0)  # scrap fed to a recycler: burden-free
    if kind is InputKind.COPRODUCT or (factor is None and share is None):
        return None
    eol = rule.end_of_life if rule is not None else NO_END_OF_LIFE
    if kind is InputKind.MATERIAL and factor is not None and share and recycled is not None:
        params = eol.for_dataset(factor.code)
        method = CFF if eol.is_cff and params is not None else CUT_OFF
        w_v, w_r = input_weights(method, float(share), params.parameters if params else None)
        amount = factor_amount(row, factor)
        k = Decimal(str(conversion_factor(factor.unit, recycled.unit)))
        return amount * factor.value * Decimal(str(w_v)) + (
            amount * k * recycled.value * Decimal(str(w_r))
        )
    if kind is InputKind.WASTE and share is not None:
        return _waste_footprint(row, factor, recycled, factors, eol)
    if factor is None:
        return None
    td = factors.get(row.get("td_factor_code") or "")  # T&D on an instrument's grid kWh
    return factor_amount(row, factor) * (factor.value + (td.value if td else Decimal(0)))


def _waste_footprint(
    row: dict[str, Any],
    factor: EmissionFactor | None,
    recycled: EmissionFactor | None,
    factors: dict[str, EmissionFactor],
    eol: EndOfLife,
) -> Decimal:
    """A waste or end-of-life row with a share recycled: CFF (1 − A) R2 (ErecEoL − E*v
    Qsout/Qp) + (1 − R2 − R3) ED, or the cut-off's (1 − R2) ED."""
    r2 = float(row["recycled_share"])
    ed = float(factor_amount(row, factor) * factor.value) if factor is not None else 0.0
    params = eol.for_dataset(recycled.code if recycled else None)
    virgin = factors.get(params.virgin) if params is not None else None
    if not eol.is_cff or params is None or recycled is None or virgin is None:
        return Decimal(str(cut_off(r2=r2, ed=ed).end_of_life))
    qty, unit = float(row["quantity"]), row["unit"]
    erec_eol = qty * float(conversion_factor(unit, recycled.unit) or 0) * float(recycled.value)
    ev_star = qty * float(conversion_factor(unit, virgin.unit) or 0) * float(virgin.value)
    terms = cff(params.parameters, r2=r2, erec_eol=erec_eol, ev_star=ev_star, r3=params.r3, ed=ed)
    return Decimal(str(terms.end_of_life))


def _above_published_range(rows: list[dict[str, Any]], ctx: Context) -> list[Problem]:
    """Compare with the highest value the literature gives for the category (range_high of the
    category's generic factors, each with its source in the factor release)."""
    prefix = ctx.generic_factor_prefix
    if not prefix:
        return []
    generic = [
        f
        for code, f in ctx.factors.items()
        if code.startswith(prefix + ".")
        and conversion_factor(ctx.product.declared_unit, f.unit) is not None
    ]
    if not generic:
        return []
    ceiling = max(f.range_high if f.range_high is not None else f.value for f in generic)
    per_unit = Decimal(str(conversion_factor(ctx.product.declared_unit, generic[0].unit)))
    own = direct_footprint(rows, ctx.factors, ctx.rule) / per_unit
    if own <= ceiling:
        return []
    message = _l(
        "Your own and generic inputs already give %(own)s kg CO2e per %(unit)s, above "
        "the highest published value for this category (%(ceiling)s); check units "
        "and quantities.",
        own=f"{own:.3g}",
        unit=generic[0].unit,
        ceiling=f"{ceiling:.3g}",
    )
    return [Problem("—", None, None, f"{own:.3g}", str(message))]


def factor_amount(row: dict[str, Any], factor: EmissionFactor) -> Decimal:
    """The row's quantity in its factor's unit (t·km for transport legs given as mass)."""
    if row["kind"] is InputKind.TRANSPORT and row.get("distance_km") is not None:
        tonnes = Decimal(str(conversion_factor(row["unit"], "t")))
        return Decimal(row["quantity"]) * tonnes * Decimal(row["distance_km"])
    return Decimal(row["quantity"]) * Decimal(str(conversion_factor(row["unit"], factor.unit)))
