"""A declaration as a PACT v3 ProductFootprint (Tech Specs 3.0.3; docs/specs/pact.md).

Built from the declaration's stored numbers and pins only: its own product and company, the
verifier's name, the rule, and the names of the factor releases used. Nothing of the pinned
submissions (inputs, quantities, suppliers) is written out. Choices where our data and PACT's
model differ, each also stated in the footprint's `comment` where a reader needs it:

- `status`: Deprecated once a newer version is published (our SUPERSEDED) or the declaration is
  withdrawn; otherwise Active. A draft exported for review is Active and says so in `comment`.
- `precedingPfIds`: the earlier versions that were published (ids a recipient can have seen),
  newest first; drafts that never left Tanlian are not named.
- Reference period: ours is whole days, end inclusive; PACT's end is exclusive, so the day after
  our `period_end`, both at 00:00 UTC.
- Biogenic emissions are not tracked apart: `pcfExcludingBiogenicUptake` and
  `fossilGhgEmissions` are our total, all of it counted as fossil. Where the product's biogenic
  carbon content is known, `biogenicCO2Uptake` is the CO2 that carbon stands for at the gate
  (kg C x 44.009 / 12.011, the molar masses of CO2 and C from IUPAC's standard atomic weights),
  negative, and `pcfIncludingBiogenicUptake` the total plus it (PACT 3.0.3's formula); else
  both PCF values are the total.
- Carbon content (disclosure/carbon_content.py, pinned with the declaration): `fossilCarbonContent`
  is required by PACT v3.0.3 (x-rule SHALL) and has no "unknown" value, so where the product's
  fossil carbon is not known it is a conservative value, an upper bound (each material of unknown
  carbon at its whole mass), said so in `comment` and in the extension; where not even a bound
  follows the footprint is not written (refused, and left out of the PACT host's lists).
  `biogenicCarbonContent` (x-rule BIO: "blank if unknown") is written only where known.
- `dqi`: the technological, temporal and geographical ratings (1 best to 5, as PACT v3.0.3's
  OpenAPI states), each weighted by emissions contribution over the whole upstream chain, as
  stored with the declaration; declarations made before the three were computed carry only the
  single rating (in the Tanlian extension) and no `dqi`. PACT v3 has no coverage, completeness
  or reliability rating (v2 had them); the single rating, their mean, stays in the extension.
- `primaryDataShare`: the share of the footprint's emissions computed from primary data
  (activity measured at, or calculated from measurements of, a company's own processes in the
  chain, each data point by its stated provenance), in percent.
- `ipccCharacterizationFactors`: the GWP set the declaration's rule names
  (`[characterisation] gwp`), plus any other set a used factor states (a factor of another set
  is refused at entry, but versions submitted before that rule are kept as pinned); `comment`
  counts the factors that state no set and names the CO2-only factors the rule accepted, with
  the rule's note (their CH4 and N2O are not included). PACT_GWP_WHEN_UNSTATED applies only
  to a rule that names no set.
- `productMassPerDeclaredUnit`: kg of product per declared unit (1 per kg, 1000 per tonne, the
  product's mass per piece, its mass over its capacity per kWh). PACT requires it and writes "0"
  for a mass that does not matter; where ours is not known it is "0" too, and `comment` says it
  is unknown.
- `verification` only if decided before publication, since a published footprint never changes
  except its status (PACT lifecycle).

One module because the ProductFootprint is one document of the specification; its fields are
built in the specification's order so that a reviewer can compare them line by line.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from footprint_platform.classes import pinned_class
from footprint_platform.errors import InvalidInput
from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    EmissionFactor,
    FactorRelease,
    Product,
    Submission,
    SubmissionInput,
    Verification,
    VerificationStatus,
)
from footprint_platform.reference import load_reference
from footprint_platform.rules import AccountingRule, load_rules
from footprint_platform.services.disclosure import carbon_content, end_of_life
from footprint_platform.services.disclosure.carbon_content import CarbonContent
from footprint_platform.services.disclosure.publication import latest_verification

SPEC_VERSION = "3.0.3"
EXTENSION_SPEC_VERSION = "2.0.0"  # PACT Data Model Extensions specification
VALIDITY_YEARS = 3  # PACT 3.0.3 "Validity Period": at most reference period end + 3 years

# Our declared unit -> (PACT declaredUnitOfMeasurement, declaredUnitAmount). A tonne is declared
# as 1000 kilogram (PACT's declared unit is amount x unit, ADR-36).
UNITS: dict[str, tuple[str, str]] = {
    "kg": ("kilogram", "1"),
    "t": ("kilogram", "1000"),
    "kWh": ("kilowatt hour", "1"),
    "MJ": ("megajoule", "1"),
    "L": ("liter", "1"),
    "m^3": ("cubic meter", "1"),
    "m^2": ("square meter", "1"),
    "piece": ("piece", "1"),
}
# GB/T 24067-2024 is the national adoption of ISO 14067 (docs/specs/battery-pcf.md).
STANDARDS = {"GB/T 24067": "ISO14067", "ISO 14067": "ISO14067"}


@dataclasses.dataclass(frozen=True)
class Options:
    """What the caller knows about where it runs: our issuer domain for URNs and the public URL
    of the extension's schema."""

    issuer_domain: str
    extension_schema_url: str
    gwp_when_unstated: str = "AR6"


def decimal_string(value: Decimal | float | str | int) -> str:
    """PACT's decimal: a JSON string `^[+-]?\\d+(\\.\\d+)?$`, never a float or exponent form."""
    d = Decimal(str(value))
    if not d.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def timestamp(value: datetime | date) -> str:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# The id kind of a GB/T 34014 battery code among our URNs.
BATTERY_CODE_KIND = "gbt34014-battery-code"


def urn(domain: str, kind: str, *parts: object) -> str:
    """`urn:pact:<issuer domain>:<kind>:<id>` with the id percent-encoded where a URN needs it."""
    ident = ":".join(urllib.parse.quote(str(p), safe="-._~") for p in parts)
    return f"urn:pact:{domain}:{kind}:{ident}"


def declared_unit(unit: str) -> tuple[str, str]:
    try:
        return UNITS[unit]
    except KeyError:
        msg = str(
            _l(
                "The declared unit %(unit)s has no PACT equivalent (kg, t, kWh, MJ, L, m^3, m^2 "
                "or piece).",
                unit=unit,
            )
        )
        raise InvalidInput(msg, {"declared_unit": [msg]}) from None


def product_footprint(session: Session, d: Declaration, options: Options) -> dict[str, Any]:
    """The ProductFootprint of a declaration, as plain JSON values (decimals as strings)."""
    rule = load_rules()[d.rule_code]
    product, org = d.product, d.product.organization
    used = _used_factors(session, d)
    gwp, unstated = _gwp_sets(used, rule, options.gwp_when_unstated)
    co2_only = sorted({f.code for f, _ in used if f.gas_basis == "CO2"})
    ids = identifiers(d, options.issuer_domain)
    carbon = carbon_content.for_declaration(session, d)
    pf: dict[str, Any] = {
        "id": d.public_id,
        "specVersion": SPEC_VERSION,
        "created": timestamp(d.created_at),
        "status": status(d),
        "companyName": org.name_en,
        "companyIds": ids.company_ids,
        "productDescription": product.description or product.name_en,
        "productIds": ids.product_ids,
        "productClassifications": ids.classifications,
        "productNameCompany": product.name_en,
        "comment": _comment(d, unstated, rule, co2_only, carbon),
        "pcf": _pcf(session, d, rule, gwp, carbon),
        "extensions": [_extension(d, rule, options.extension_schema_url, carbon)],
    }
    preceding = preceding_ids(session, d)
    if preceding:
        pf["precedingPfIds"] = preceding
    start, end = validity(d)
    pf["validityPeriodStart"] = timestamp(start)
    pf["validityPeriodEnd"] = timestamp(end)
    return pf


@dataclasses.dataclass(frozen=True)
class Identifiers:
    company_ids: list[str]
    product_ids: list[str]
    classifications: list[str]


def identifiers(d: Declaration, issuer_domain: str) -> Identifiers:
    """The URNs a footprint names its company, product and category by; the PACT host's
    filters match on exactly these."""
    product = d.product
    return Identifiers(
        company_ids=[urn(issuer_domain, "company-id", product.organization_id)],
        product_ids=product_identifiers(product, issuer_domain),
        classifications=[urn(issuer_domain, "category-id", product.category)],
    )


def product_identifiers(product: Product, issuer_domain: str) -> list[str]:
    """A product's productIds (a partner's request names it by one of these); a battery that
    records a GB/T 34014 code is also named by that code."""
    ids = [
        urn(issuer_domain, "product-id", product.id),
        urn(issuer_domain, "supplier-id", product.organization_id, product.part_number),
    ]
    if product.battery_code:
        ids.append(urn(issuer_domain, BATTERY_CODE_KIND, product.battery_code))
    return ids


def validity(d: Declaration) -> tuple[date, date]:
    """PACT's validity period, start inclusive, end exclusive: the longest PACT allows, from
    the reference period's end for three years."""
    end = reference_period_end(d)
    return end, _add_years(end, VALIDITY_YEARS)


def status(d: Declaration) -> str:
    if d.status is DeclarationStatus.SUPERSEDED or d.withdrawn_at is not None:
        return "Deprecated"
    return "Active"


def preceding_ids(session: Session, d: Declaration) -> list[str]:
    ids, seen = [], {d.id}
    current = d
    while current.preceding_id is not None and current.preceding_id not in seen:
        seen.add(current.preceding_id)
        previous = session.get(Declaration, current.preceding_id)
        if previous is None:
            break
        if previous.published_at is not None:
            ids.append(previous.public_id)
        current = previous
    return ids


def reference_period_end(d: Declaration) -> date:
    """PACT's end is exclusive: the day after our inclusive last day."""
    return d.period_end + timedelta(days=1)


def valid_until(d: Declaration) -> date:
    """The last day the footprint is valid (PACT's validityPeriodEnd is exclusive)."""
    return _add_years(reference_period_end(d), VALIDITY_YEARS) - timedelta(days=1)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _pcf(
    session: Session, d: Declaration, rule: AccountingRule, gwp: list[str], carbon: CarbonContent
) -> dict[str, Any]:
    unit, amount = declared_unit(d.declared_unit)
    total = d.total  # per our unit, which is PACT's amount x unit (1 t = 1000 kilogram)
    if total < 0:
        msg = str(_l("A negative footprint cannot be written as PACT fossil emissions."))
        raise InvalidInput(msg, {"total": [msg]})
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": unit,
        "declaredUnitAmount": amount,
        "productMassPerDeclaredUnit": decimal_string(_mass(d)),
        "referencePeriodStart": timestamp(d.period_start),
        "referencePeriodEnd": timestamp(reference_period_end(d)),
        **geography(d),
        "pcfExcludingBiogenicUptake": decimal_string(total),
        "pcfIncludingBiogenicUptake": decimal_string(total),
        "fossilGhgEmissions": decimal_string(total),
        "fossilCarbonContent": decimal_string(_fossil_carbon(carbon)),
        "ipccCharacterizationFactors": gwp,
        "crossSectoralStandards": _standards(rule),
        "productOrSectorSpecificRules": [
            {
                "operator": "Other",
                "otherOperatorName": "Tanlian",
                "ruleNames": [f"{rule.name_en} ({rule.code} {d.rule_version})"],
            }
        ],
        "boundaryProcessesDescription": str(rule.raw.get("boundary", "")),
        "allocationRulesDescription": _allocation(rule),
        "exemptedEmissionsPercent": decimal_string(d.exempted_percent or 0),
        "exemptedEmissionsDescription": _exemptions(rule, d),
        "primaryDataShare": decimal_string(d.primary_data_share * 100),
    }
    if carbon.biogenic is not None:
        uptake = biogenic_uptake(carbon.biogenic)
        pcf["biogenicCarbonContent"] = decimal_string(carbon.biogenic)
        pcf["biogenicCO2Uptake"] = decimal_string(uptake)
        pcf["pcfIncludingBiogenicUptake"] = decimal_string(total + uptake)
    dqi = pact_dqi(d)
    if dqi is not None:
        pcf["dqi"] = dqi
    sources = _factor_sources(session, d)
    if sources:
        pcf["secondaryEmissionFactorSources"] = sources
    verification = _verification(session, d)
    if verification:
        pcf["verification"] = verification
    return pcf


# kg CO2 per kg C: the molar masses of CO2 and C (IUPAC Commission on Isotopic Abundances and
# Atomic Weights, standard atomic weights, conventional values C 12.011, O 15.999).
CO2_PER_C = Decimal("44.009") / Decimal("12.011")


def biogenic_uptake(biogenic_carbon: Decimal) -> Decimal:
    """PACT `biogenicCO2Uptake`: the CO2 taken up by the biogenic carbon the product holds at
    the gate, negative (kg CO2e per declared unit)."""
    return (-biogenic_carbon * CO2_PER_C).quantize(Decimal("1e-10"))


def _fossil_carbon(carbon: CarbonContent) -> Decimal:
    """PACT's required fossil carbon content: known, else its upper bound; refused where
    neither is (never a zero that is not known)."""
    value = carbon.fossil_for_pact
    if value is None:
        msg = str(
            _l(
                "The fossil carbon content of this product is not known, and no upper bound "
                "follows (%(n)s material inputs state no carbon content and are not entered by "
                "mass); PACT requires it. State the materials' carbon content, or the product's "
                "own.",
                n=carbon.unknown_inputs,
            )
        )
        raise InvalidInput(msg, {"carbon_fossil": [msg]})
    return value


def carbon_expressible(d: Declaration) -> bool:
    """Whether PACT's fossil carbon content can be written for the declaration (known or
    bounded); a declaration pinned before carbon content is computed from its pins."""
    if d.carbon_content is not None:
        return CarbonContent.from_json(d.carbon_content).fossil_for_pact is not None
    session = object_session(d)
    return session is None or carbon_content.computed(session, d).fossil_for_pact is not None


def _carbon_text(carbon: CarbonContent) -> str:
    if carbon.fossil is not None:
        text = (
            "Carbon content: from the stated carbon content of the product or of its materials "
            "(mass balance over the pinned bill of materials)."
        )
    else:
        text = (
            "fossilCarbonContent is an upper bound, not the product's carbon content: "
            f"{carbon.unknown_inputs} material inputs in the chain state no carbon content, "
            "and each counts at its whole mass (carbon cannot weigh more)."
        )
    if carbon.biogenic is None:
        text += " biogenicCarbonContent is left out: not known."
    return text


def pact_dqi(d: Declaration) -> dict[str, str] | None:
    """PACT v3 `dqi` from the declaration's stored ratings, None where it has none."""
    if not d.dqi:
        return None
    return {
        "technologicalDQR": decimal_string(d.dqi["technological"]),
        "temporalDQR": decimal_string(d.dqi["temporal"]),
        "geographicalDQR": decimal_string(d.dqi["geographical"]),
    }


def _mass(d: Declaration) -> Decimal:
    """kg of product per one of our declared units; 0 where the product's mass is not known
    (the comment then says so)."""
    p = d.product
    if d.declared_unit == "kg":
        return Decimal(1)
    if d.declared_unit == "t":
        return Decimal(1000)
    if d.declared_unit == "piece" and p.mass_kg:
        return p.mass_kg
    if d.declared_unit == "kWh" and p.mass_kg and p.capacity_kwh:
        return p.mass_kg / p.capacity_kwh
    return Decimal(0)


def geography(d: Declaration) -> dict[str, str]:
    """The product's site: its Chinese province as an ISO 3166-2 subdivision when the province is
    one of our reference codes (those are the ISO 3166-2:CN codes), else its country."""
    site = d.product.site
    country = (site.country or "").upper()
    if country == "CN" and site.province in load_reference().provinces:
        return {"geographyCountrySubdivision": f"CN-{site.province}"}
    if len(country) == 2 and country.isalpha():
        return {"geographyCountry": country}
    return {}


def _standards(rule: AccountingRule) -> list[str]:
    found = [
        code
        for basis in rule.raw.get("basis", [])
        for prefix, code in STANDARDS.items()
        if str(basis).startswith(prefix)
    ]
    return list(dict.fromkeys(found)) or ["ISO14067"]


def _allocation(rule: AccountingRule) -> str:
    allocation = rule.raw.get("allocation", {})
    return (
        f"Default {rule.allocation_default}; allowed {', '.join(rule.allocation_allowed)} "
        f"(stated in each submission). {allocation.get('source', '')}"
    ).strip()


def _exemptions(rule: AccountingRule, d: Declaration) -> str:
    """The rule's cut-off and what the suppliers declared under it (as a share only: what
    each left out is theirs to tell)."""
    cut = rule.raw.get("cut_off")
    text = "Tanlian computes from every input reported; it leaves none out itself."
    if cut:
        text += (
            f" The rule lets a supplier leave out inputs below {cut['per_input_share']:.0%} of "
            f"mass and energy, {cut['total_share']:.0%} of the footprint in total "
            f"({cut['source']})."
        )
    if d.exempted_percent:
        text += (
            " The suppliers in this footprint declared exclusions estimated at "
            f"{d.exempted_percent:.2f} % of it, carried along the supply chain."
        )
    else:
        text += " No supplier in this footprint declared an exclusion."
    return text


def _used_factors(session: Session, d: Declaration) -> list[tuple[EmissionFactor, FactorRelease]]:
    """The factors named by the pinned submissions' inputs, in each submission's release."""
    ids = [pin[0] for pin in d.pinned.values()]
    if not ids:
        return []
    rows = session.execute(
        select(EmissionFactor, FactorRelease)
        .join(FactorRelease, FactorRelease.id == EmissionFactor.release_id)
        .join(Submission, Submission.factor_release_id == EmissionFactor.release_id)
        .join(
            SubmissionInput,
            (SubmissionInput.submission_id == Submission.id)
            & (
                (SubmissionInput.factor_code == EmissionFactor.code)
                | (SubmissionInput.td_factor_code == EmissionFactor.code)  # T&D on instruments
            ),
        )
        .where(Submission.id.in_(ids))
        .distinct()
    )
    return [(f, r) for f, r in rows]


def _gwp_sets(
    used: list[tuple[EmissionFactor, FactorRelease]], rule: AccountingRule, default: str
) -> tuple[list[str], int]:
    """The rule's GWP set and any other a used factor states, and how many used factors state
    none."""
    named = rule.raw.get("characterisation", {}).get("gwp") or default
    stated = {named} | {f.gwp for f, _ in used if f.gwp}
    unstated = sum(1 for f, _ in used if not f.gwp and f.gas_basis != "CO2")
    return sorted(stated, key=lambda s: int(s[2:])), unstated


def _factor_sources(session: Session, d: Declaration) -> list[dict[str, str]]:
    """The factor-database releases the calculation drew on: each pinned submission's and the
    fallback release for products without data."""
    ids = [pin[0] for pin in d.pinned.values()]
    release_ids = set(
        session.scalars(select(Submission.factor_release_id).where(Submission.id.in_(ids)))
        if ids
        else []
    )
    release_ids.add(d.fallback_release_id)
    releases = session.scalars(
        select(FactorRelease).where(FactorRelease.id.in_(release_ids)).order_by(FactorRelease.id)
    )
    return [{"name": r.title, "version": r.version} for r in releases]


def _verification(session: Session, d: Declaration) -> dict[str, str] | None:
    v = latest_verification(session, d.id)
    if v is None or v.status is not VerificationStatus.VERIFIED or v.decided_at is None:
        return None
    if d.published_at is not None and v.decided_at > d.published_at:
        return None  # a published footprint does not change after the fact
    out = {
        "coverage": "product level",
        "providerName": v.verifier.name_en,
        "completedAt": timestamp(v.decided_at),
    }
    if v.standard:
        out["standardName"] = v.standard
    comments = _verification_comments(v)
    if comments:
        out["comments"] = comments
    return out


def _verification_comments(v: Verification) -> str:
    """What PACT's Verification has no field for (PACT 3.0.3 `Verification`: coverage,
    providerName, completedAt, standardName, comments): the statement's level of assurance,
    the body's accreditation, the materiality threshold, the scope and the statement's date."""
    parts = []
    if v.assurance:
        parts.append(f"Level of assurance: {v.assurance.value}.")
    if v.accreditation_body:
        parts.append(f"Accreditation: {v.accreditation_body}, number {v.accreditation_number}.")
    if v.materiality_percent is not None:
        parts.append(
            f"Materiality threshold: {v.materiality_percent.normalize():f} % of the total."
        )
    if v.scope:
        parts.append(f"Scope: {v.scope}")
    if v.statement_date:
        parts.append(f"Statement date: {v.statement_date.isoformat()}.")
    return " ".join(parts)


def _comment(
    d: Declaration,
    unstated: int,
    rule: AccountingRule,
    co2_only: list[str],
    carbon: CarbonContent,
) -> str:
    """What a recipient needs to read the numbers right. A change reason is quoted only when a
    person wrote it: the platform's own reasons name an upstream product, and who supplies whom
    is not for the public."""
    parts = [f"Tanlian declaration version {d.version}."]
    if d.published_at is None:
        parts.append("Draft, not published: for review only.")
    if d.withdrawn_at is not None:
        parts.append(f"Withdrawn on {d.withdrawn_at.date().isoformat()}.")
    if d.preceding_id is not None:
        reason = d.change_reason if d.created_by_id is not None and d.change_reason else None
        parts.append(
            f"Replaces version {d.version - 1}: {reason}."
            if reason
            else f"Replaces version {d.version - 1}, recomputed after upstream data changed."
        )
    parts.append(
        "Biogenic emissions are not tracked apart: the total is counted as fossil; "
        + (
            "pcfIncludingBiogenicUptake adds biogenicCO2Uptake, the CO2 of the product's "
            "biogenic carbon content (kg C x 44.009/12.011)."
            if carbon.biogenic is not None
            else "the biogenic carbon content is not known, so both PCF values are the total."
        )
    )
    parts.append(_carbon_text(carbon))
    if _mass(d) == 0:
        parts.append(
            "The product's mass per declared unit is not known: productMassPerDeclaredUnit is "
            "0 only because PACT requires the field; read it as unknown, not as no mass."
        )
    characterisation = rule.characterisation
    parts.append(f"GWP100 values of IPCC {characterisation.gwp}, as the rule names.")
    if unstated:
        parts.append(
            f"{unstated} of the CO2e factors used do not state the GWP set of their source."
        )
    if co2_only:
        parts.append(
            f"CO2-only factors used, as the rule accepts them: {', '.join(co2_only)}. "
            f"{characterisation.co2_only_note_en}"
        )
    parts.append(
        "Data quality: dqi gives the technological, temporal and geographical ratings (1 best "
        "to 5), weighted by emissions contribution; the Tanlian extension's single rating is "
        "their mean."
        if d.dqi
        else "Data quality: one rating 1-5 in the Tanlian extension; this declaration was made "
        "before the three PACT ratings were computed."
    )
    if d.composition is not None:
        parts.append(_composition_text(d))
    eol = end_of_life.comment(d, load_rules()[d.rule_code])
    if eol:
        parts.append(eol)
    return " ".join(parts)


def composition_percent(d: Declaration) -> dict[str, Decimal]:
    """What the declared footprint is made of, in percent: primary data of the period, data
    carried forward from a supplier's earlier period, fallback datasets for missing data."""
    composition = d.composition or {}
    carried = Decimal(composition.get("carried_forward", "0")) * 100
    fallback = Decimal(composition.get("fallback", "0")) * 100
    primary = max(Decimal(d.primary_data_share) * 100 - carried, Decimal(0))
    return {"primaryOfPeriod": primary, "carriedForward": carried, "fallback": fallback}


def carbon_extension(carbon: CarbonContent) -> dict[str, Any]:
    """The carbon content as known, kg C per declared unit: fossil (or its upper bound, said
    so), biogenic where known, and how many material inputs state none."""
    out: dict[str, Any] = {"unknownInputs": carbon.unknown_inputs}
    if carbon.fossil is not None:
        out["fossil"] = decimal_string(carbon.fossil)
    if carbon.fossil_upper_bound is not None:
        out["fossilUpperBound"] = decimal_string(carbon.fossil_upper_bound)
    if carbon.biogenic is not None:
        out["biogenic"] = decimal_string(carbon.biogenic)
    return out


def _composition_text(d: Declaration) -> str:
    shares = composition_percent(d)
    return (
        f"Composition: {shares['primaryOfPeriod']:.1f} % primary data of the period, "
        f"{shares['carriedForward']:.1f} % carried forward from a supplier's earlier period "
        f"(included in primaryDataShare), {shares['fallback']:.1f} % secondary fallback "
        "datasets standing in for missing data."
    )


def _extension(
    d: Declaration, rule: AccountingRule, schema_url: str, carbon: CarbonContent
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "declarationVersion": d.version,
        "declaredUnit": d.declared_unit,
        "stages": [
            {
                "code": s.code,
                "name": s.en,
                "kgCO2ePerDeclaredUnit": decimal_string(d.by_stage.get(s.code, "0")),
            }
            for s in rule.stages
        ],
        "rule": {"code": d.rule_code, "version": d.rule_version},
        "engineVersion": d.engine_version,
        "contentHash": d.content_hash,
    }
    if d.dqr is not None:
        data["dataQualityRating"] = decimal_string(d.dqr)
    if d.composition is not None:
        data["composition"] = {k: decimal_string(v) for k, v in composition_percent(d).items()}
    data["carbonContent"] = carbon_extension(carbon)
    grade = pinned_class(
        d.product.category, d.performance_class, d.class_scale_version, d.product.chemistry
    )
    if grade is not None:
        data["performanceClass"] = {
            "class": grade.grade,
            "scaleVersion": grade.scale_version,
            "illustrative": grade.illustrative,
        }
    return {"specVersion": EXTENSION_SPEC_VERSION, "dataSchema": schema_url, "data": data}
