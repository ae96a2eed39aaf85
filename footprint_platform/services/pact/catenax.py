"""A shared published declaration in Catena-X's PCF data model (`urn:samm:io.catenax.pcf`,
versions 9.0.0 and 10.0.0), as CX-0136 "Use Case PCF" 3.0.0 asks a provider to serve it
(docs/specs/catena-x.md).

Who may read what is exactly PACT's: a partner's PACT client reads its owner's published
declarations shared with that partner (`pact_host.get_footprint` checks and audits it), and the
Catena-X payload is written from the same PACT ProductFootprint, so the two formats can never
say different things. Version negotiation follows CX-0136: no `dataModelVersion` is a legacy
request, answered in 9.0.0; a version we cannot serve, or cannot fill validly (10.0.0 needs the
company's BPNL), is refused with 422.

Choices where our data and the model differ, each also stated in `general.comment`:
- The production stage is the declared total less distribution; where the rule counts end of
  life, it is inside that figure (the model has no end-of-life stage), and the footprint is
  marked Cradle-to-grave (the use stage stays excluded).
- Biogenic emissions are not tracked apart: every emission is counted as fossil, as in our
  PACT footprint. The carbon-content block holds the fossil and biogenic carbon content only
  where known (disclosure/carbon_content.py; its fields are optional here, so PACT's upper bound
  for an unknown fossil content is not repeated), and their total where both are.
- Waste incineration is not modelled apart: `allocationWasteIncineration` states the Catena-X
  rulebook's default, cut-off. Mass balancing is not used.
- 9.0.0's `precedingPfIds` holds entities without properties, so it is left out there.
"""

from __future__ import annotations

import functools
import logging
import tomllib
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform import json_schemas
from footprint_platform.errors import DomainError
from footprint_platform.models import Declaration
from footprint_platform.policy import Actor
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.rules import load_rules
from footprint_platform.services.pact import footprint as pact
from footprint_platform.services.pact import host as pact_host

log = logging.getLogger(__name__)
VERSIONS = ("9.0.0", "10.0.0")
LEGACY = "9.0.0"  # CX-0136: a request without dataModelVersion is a legacy request
SEMANTIC_ID = "urn:samm:io.catenax.pcf:{version}#Pcf"
SPEC_VERSION = "urn:io.catenax.pcf:datamodel:version:{version}"
ALLOCATION_WASTE_INCINERATION = "cut-off"


class Unservable(DomainError):
    """A data model version we cannot serve, or cannot fill validly (CX-0136: 422)."""

    status = 422
    code = "unprocessable_entity"


def negotiate(requested: str | None) -> str:
    """The version to answer in: 9.0.0 for a legacy request; the requested one when we serve it
    (`10.0.0`, its major `10`, `10.x.x` or the model URN); else Unservable."""
    if requested is None or not requested.strip():
        return LEGACY
    text = requested.strip().removeprefix("urn:samm:io.catenax.pcf:").split("#")[0]
    for version in VERSIONS:
        major = version.split(".")[0]
        if text in (version, major, f"{major}.x.x", f"{major}.x"):
            return version
    raise Unservable(
        str(
            _l(
                "PCF data model version %(asked)s cannot be served; this host serves %(versions)s.",
                asked=requested[:40],
                versions=", ".join(VERSIONS),
            )
        )
    )


@functools.cache
def _subregions() -> dict[str, str]:
    data = tomllib.loads((CONFIG_DIR / "reference" / "m49_subregions.toml").read_text("utf-8"))
    return {c: region for region, codes in data["subregions"].items() for c in codes}


def footprint(
    session: Session,
    actor: Actor,
    public_id: str,
    options: pact.Options,
    version: str | None,
    now: datetime,
) -> tuple[str, dict[str, Any]]:
    """The negotiated version and the PCF of one footprint shared with the partner."""
    chosen = negotiate(version)
    pf = pact_host.get_footprint(session, actor, public_id, options, now)
    d = session.scalar(select(Declaration).where(Declaration.public_id == pf["id"]))
    assert d is not None
    return chosen, render(d, pf, chosen)


def check_servable(bpnl: str | None, version: str, company: str) -> None:
    """10.0.0 needs the company's BPNL (its companyIds MUST hold it): Unservable without."""
    if version == "10.0.0" and not bpnl:
        raise Unservable(
            str(
                _l(
                    "PCF data model 10.0.0 needs the company's BPNL, and %(company)s has none "
                    "recorded; ask for 9.0.0.",
                    company=company,
                )
            )
        )


def render(d: Declaration, pf: dict[str, Any], version: str) -> dict[str, Any]:
    """The PCF of declaration `d` (its PACT footprint `pf`) in `version`, checked against that
    version's schema before it leaves (the GET above and the PCF Exchange push alike)."""
    bpnl = d.product.organization.bpnl
    check_servable(bpnl, version, pf["companyName"])
    body = to_catenax(pf, version, bpnl, load_rules()[d.rule_code].stage_codes)
    problems = json_schemas.problems(f"catenax-pcf-{version}", body)
    if problems:
        log.error("Catena-X PCF %s %s fails the schema: %s", version, pf["id"], problems)
        raise pact_host.Unrepresentable(f"Footprint {pf['id']} could not be produced.")
    return body


def _number(value: str | Decimal) -> float:
    return float(Decimal(value))


def _stages(pf: dict[str, Any]) -> dict[str, Decimal]:
    """Per-stage kg CO2e per declared unit, from our PACT extension."""
    data = pf["extensions"][0]["data"]
    return {s["code"]: Decimal(s["kgCO2ePerDeclaredUnit"]) for s in data["stages"]}


def to_catenax(
    pf: dict[str, Any], version: str, bpnl: str | None, stage_codes: Sequence[str]
) -> dict[str, Any]:
    """The Catena-X PCF (value-only JSON) of a PACT ProductFootprint we made."""
    p = pf["pcf"]
    total = Decimal(p["pcfExcludingBiogenicUptake"])
    distribution = _stages(pf).get("distribution", Decimal(0))
    production = total - distribution
    # the biogenic uptake of the carbon in the product, at the production gate (PACT's)
    uptake = Decimal(p["pcfIncludingBiogenicUptake"]) - total
    v10 = version == "10.0.0"
    comment = pf["comment"] + (
        " Catena-X: the production stage is the declared total less distribution"
        + (
            ", end of life included (the use stage is excluded)."
            if "end_of_life" in stage_codes
            else "."
        )
        + f" Waste incineration is not modelled apart ({ALLOCATION_WASTE_INCINERATION},"
        " the rulebook default)."
        + ("" if bpnl else " No BPNL is recorded for the company; its ids are Tanlian's.")
        + (
            ""
            if "fossil" in pf["extensions"][0]["data"].get("carbonContent", {})
            else " The carbon-content block leaves out the fossil content: it is not known."
        )
    )
    standards = "ISO 14067" if "ISO14067" in p["crossSectoralStandards"] else "Other"
    return {
        "scopeOfPcfForm": [
            {
                "specVersion": SPEC_VERSION.format(version=version),
                "partialFullPcf": (
                    "Cradle-to-grave" if "end_of_life" in stage_codes else "Cradle-to-gate"
                ),
            }
        ],
        "companyAndProductInformation": [
            {
                "companyInformation": [
                    {
                        "companyName": pf["companyName"],
                        "companyIds": ([f"urn:{bpnl}"] if bpnl else []) + pf["companyIds"],
                    }
                ],
                "productInformation": [
                    {
                        "productNameCompany": pf["productNameCompany"],
                        "productIds": pf["productIds"],
                        "productDescription": pf["productDescription"],
                        "productClassifications": pf["productClassifications"],
                        "declaredUnitOfMeasurement": p["declaredUnitOfMeasurement"],
                        "declaredUnitAmount": _number(p["declaredUnitAmount"]),
                        "productMassPerDeclaredUnit": _number(p["productMassPerDeclaredUnit"]),
                    }
                ],
            }
        ],
        "pcfAssessmentAndMethodology": [
            {
                "pcfAssessmentInformation": [_assessment(pf, v10)],
                "pcfMethodology": [
                    {
                        "standards": [
                            {
                                "crossSectoralStandards": standards if v10 else [standards],
                                "productOrSectorSpecificRules": [
                                    name
                                    for rule in p["productOrSectorSpecificRules"]
                                    for name in rule["ruleNames"]
                                ],
                            }
                        ],
                        "gwpCharacterizationFactorDetails": [
                            {"ipccCharacterizationFactors": _gwp(p["ipccCharacterizationFactors"])}
                        ],
                        "allocationInForeground": [
                            {
                                "allocationRulesDescription": p["allocationRulesDescription"],
                                "allocationWasteIncineration": ALLOCATION_WASTE_INCINERATION,
                            }
                        ],
                        "massBalancingInformation": [
                            {"massBalancingUsed": False}
                            if v10
                            else {
                                "massBalancingUsed": False,
                                "freeAttributionInMassBalancing": "not applicable",
                                "massBalancingCertificateScheme": "not applicable",
                            }
                        ],
                    }
                ],
                "dataSourcesAndQuality": [
                    {
                        "primaryDataShare": _number(p["primaryDataShare"]),
                        "secondaryEmissionFactorSources": [
                            f"{s['name']} {s['version']}"
                            for s in p.get("secondaryEmissionFactorSources", [])
                        ],
                    }
                ],
                "verificationAndCertificationShares": [
                    {
                        "productVerificationShare1stParty": 0,
                        "productVerificationShare2ndParty": 0,
                        "productVerificationShare3rdParty": 100 if "verification" in p else 0,
                        "programCertificationShare": 0,
                    }
                ],
            }
        ],
        "general": [{"comment": comment}],
        "productLifeCycleStagesAndEmissions": [
            {
                "productionStage": [
                    {
                        "pcfExcludingBiogenicUptake": float(production),
                        "pcfIncludingBiogenicUptake": float(production + uptake),
                        "fossilGhgEmissions": float(production),
                    }
                ],
                "packagingStage": [{"packagingEmissionsIncluded": False}],
                "distributionStage": [
                    {
                        "distributionStageIncluded": "distribution" in stage_codes,
                        "distributionStagePcfExcludingBiogenicUptake": float(distribution),
                        "distributionStagePcfIncludingBiogenicUptake": float(distribution),
                        "distributionStageFossilGhgEmissions": float(distribution),
                    }
                ],
            }
        ],
        "carbonContent": [_carbon_content(pf)],
    }


def _carbon_content(pf: dict[str, Any]) -> dict[str, float]:
    """Known carbon content only, kg C per declared unit, from our PACT extension."""
    known = pf["extensions"][0]["data"].get("carbonContent", {})
    out = {
        name: _number(known[key])
        for name, key in (("fossilCarbonContent", "fossil"), ("biogenicCarbonContent", "biogenic"))
        if key in known
    }
    if len(out) == 2:
        out["carbonContentTotal"] = out["fossilCarbonContent"] + out["biogenicCarbonContent"]
    return out


def _assessment(pf: dict[str, Any], v10: bool) -> dict[str, Any]:
    p = pf["pcf"]
    id_and_version: dict[str, Any] = {
        "id": pf["id"],
        "version": pf["extensions"][0]["data"]["declarationVersion"],
        "status": pf["status"],
        "retroOrProspectivePcfType": "Retrospective PCF",
    }
    if v10 and pf.get("precedingPfIds"):
        id_and_version["precedingPfIds"] = pf["precedingPfIds"]
    country = p.get("geographyCountry") or p.get("geographyCountrySubdivision", "")[:2]
    geography = {"geographyRegionOrSubregion": _subregions().get(country, "Global")}
    geography.update(
        {k: p[k] for k in ("geographyCountry", "geographyCountrySubdivision") if k in p}
    )
    return {
        "idAndVersion": [id_and_version],
        "boundarySpecifications": [
            {
                "exemptedEmissionsPercent": _number(p["exemptedEmissionsPercent"]),
                "exemptedEmissionsDescription": p["exemptedEmissionsDescription"],
            }
        ],
        "technology": [
            {
                "ccsTechnologicalCO2CaptureIncluded": False,
                "boundaryProcessesDescription": p["boundaryProcessesDescription"],
            }
        ],
        "geography": [geography],
        "time": [
            {
                "referencePeriodStart": p["referencePeriodStart"],
                "referencePeriodEnd": p["referencePeriodEnd"],
                "created": pf["created"],
                "validityPeriodStart": pf["validityPeriodStart"],
                "validityPeriodEnd": pf["validityPeriodEnd"],
            }
        ],
    }


def _gwp(sets: list[str]) -> str:
    """The model takes one IPCC assessment report; several in one footprint is 'unspecified'."""
    return sets[0] if len(sets) == 1 and sets[0] in ("AR4", "AR5", "AR6") else "unspecified"
