"""Catena-X PCF Exchange API 1.3.0 (CX-0136 3.0.0), requester side: a buyer asks a partner's
PCF Exchange API for a part's PCF (`GET {partner}/catenax/footprintExchange/{requestId}`, a
fresh requestId, sent from the background like every call we make to partners, with the
credentials the partner issued to the buyer), and the partner pushes the PCF later with
`PUT /catenax/footprintExchange/{requestId}` to us, authenticated with the PACT client the buyer
issued to it.

The request is a PactRequestSent like a PACT request of ours (`event_id` is the requestId,
`catenax` the query), shown in the same list of the request inbox. The PUT is matched to the
buyer's open request from that partner (anything else is 404), checked against the schema of
the data model version asked for (a legacy request is answered in 9.0.0), converted to a PACT
ProductFootprint and kept as a partner footprint with the same checks as any import. An
update (`update=true`) is kept as a new version beside the earlier one.
"""

from __future__ import annotations

import urllib.parse
import uuid
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform import json_schemas
from footprint_platform.errors import Conflict, InvalidInput, NotFound
from footprint_platform.models import ExternalFootprint, PactRequestSent, utcnow
from footprint_platform.policy import SYSTEM, Action, Actor, authorize
from footprint_platform.services.catalogue import audit
from footprint_platform.services.disclosure.carbon_content import CATENAX_CARBON_KEY
from footprint_platform.services.pact import catenax
from footprint_platform.services.pact import consume as pact_consume
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact import outbox as pact_outbox
from footprint_platform.services.pact.catenax_exchange import MAX_MESSAGE, MAX_PART_ID, PART_PARAMS

ENDPOINT = "/catenax/footprintExchange/"
VERSIONS = ("", *catenax.VERSIONS)  # "" is a legacy request (no dataModelVersion)
STANDARDS = {
    "ISO 14067": "ISO14067",
    "ISO 14083": "ISO14083",
    "ISO 14040-44": "ISO14040-44",
    "GHG Protocol Product standard": "GHGP-Product",
    "PEF": "PEF",
    "PAS 2050": "PAS2050",
}


def _refuse(field: str, message: Any) -> InvalidInput:
    msg = str(message)
    return InvalidInput(msg, {field: [msg]})


def ask(
    session: Session,
    actor: Actor,
    organization_id: int,
    credential_id: int,
    part_kind: str,
    part_id: str,
    version: str,
    message: str | None,
) -> tuple[PactRequestSent, int]:
    """Record the request and queue its GET; returns it and the delivery to queue once
    committed. Refused, with nothing written, like a PACT request of ours."""
    credential = pact_outbound.asking_credential(session, actor, organization_id, credential_id)
    if part_kind not in PART_PARAMS:
        raise _refuse("part_kind", _l("Choose the manufacturer's or your own part number."))
    part_id = part_id.strip()
    if not part_id or len(part_id) > MAX_PART_ID:
        raise _refuse("part_id", _l("Give the part number (at most %(n)d characters).", n=200))
    if version not in VERSIONS:
        raise _refuse("data_model_version", _l("Choose 9.0.0 or 10.0.0."))
    request_id = str(uuid.uuid4())
    query = {part_kind: part_id}
    if version:
        query["dataModelVersion"] = f"urn:samm:io.catenax.pcf:{version}"
    if message and message.strip():
        query["message"] = message.strip()[:MAX_MESSAGE]
    target = f"{credential.base_url}{ENDPOINT}{request_id}?{urllib.parse.urlencode(query)}"
    delivery = pact_outbox.deliver(
        session, organization_id, credential.partner_id, None, target, {}, pact_outbox.CX_ASK
    )
    sent = PactRequestSent(
        organization_id=organization_id,
        partner_id=credential.partner_id,
        credential_id=credential.id,
        delivery_id=delivery.id,
        event_id=request_id,
        product_ids=[part_id],
        comment=query.get("message"),
        status="waiting",
        imported=[],
        created_by_id=actor.user_id,
        catenax={**query, "version": version or catenax.LEGACY},
    )
    session.add(sent)
    session.flush()
    audit.record(
        session,
        actor,
        "catenax.request_sent",
        sent,
        organization_id=organization_id,
        details={"request_id": request_id, "partner": credential.partner_id, "query": query},
    )
    session.commit()
    return sent, delivery.id


def take_pcf(
    session: Session, actor: Actor, request_id: str, body: Any, update: bool
) -> PactRequestSent:
    """A partner's PUT: NotFound for a requestId we did not send to it, InvalidInput (400) for
    a PCF that breaks the schema of the version asked for or our import checks, Conflict for a
    second answer that is not an update."""
    grant = actor.pact
    if grant is None:
        raise InvalidInput("not a PACT client")
    authorize(actor, Action.SEND_PACT_EVENTS, grant.owner_id)
    sent = session.scalar(
        select(PactRequestSent).where(
            PactRequestSent.event_id == request_id[:36],
            PactRequestSent.organization_id == grant.owner_id,
            PactRequestSent.partner_id == grant.partner_id,
            PactRequestSent.catenax.is_not(None),
        )
    )
    if sent is None or sent.catenax is None:
        raise NotFound(f"No open request {request_id[:100]} to you.")
    if sent.status == "fulfilled" and not update:
        raise Conflict("This request is answered already; send a changed PCF with update=true.")
    version = sent.catenax["version"]
    if not isinstance(body, dict):
        raise _refuse("body", "must be a JSON object (a Catena-X PCF)")
    problems = json_schemas.problems(f"catenax-pcf-{version}", body)
    if problems:
        raise _refuse("body", f"does not validate as PCF data model {version}: {problems[0]}")
    try:
        pf = from_catenax(body)
    except (ValueError, KeyError, TypeError, ArithmeticError):
        raise _refuse(
            "body", "idAndVersion.id must be a UUID (PACT and our imports need one)"
        ) from None
    if update:
        pf["id"] = _update_id(session, sent.organization_id, pf["id"], body)
    try:
        kept = pact_consume.keep_footprint(
            session, SYSTEM, sent.organization_id, pf, "request", sent.delivery.target_url
        )
    except (InvalidInput, Conflict) as exc:
        raise _refuse("body", exc.message) from None
    sent.status, sent.answered_at, sent.error = "fulfilled", utcnow(), None
    sent.imported = [*sent.imported, kept.id]
    audit.record(
        session,
        SYSTEM,
        "catenax.pcf_received",
        sent,
        organization_id=sent.organization_id,
        details={"request_id": request_id, "update": update, "imported": kept.id},
    )
    session.commit()
    return sent


def _update_id(session: Session, organization_id: int, pf_id: str, body: dict[str, Any]) -> str:
    """An update that keeps the PCF's id (a new `version` of it) is kept under an id derived
    from both, so the earlier version stays as it was imported."""
    known = session.scalar(
        select(ExternalFootprint.id).where(
            ExternalFootprint.organization_id == organization_id,
            ExternalFootprint.pf_id == pf_id.lower(),
        )
    )
    if known is None:
        return pf_id
    version = _one(_one(body["pcfAssessmentAndMethodology"])["pcfAssessmentInformation"])
    number = _one(version["idAndVersion"]).get("version", "")
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pf_id}#{number}"))


def _one(items: list[Any]) -> dict[str, Any]:
    return dict(items[0]) if items else {}


def _num(value: Any) -> str:
    """A JSON number as PACT's decimal string (no exponent: "100", never "1E+2")."""
    return format(Decimal(str(value)).normalize(), "f") if value is not None else "0"


def from_catenax(body: dict[str, Any]) -> dict[str, Any]:
    """A PACT v3 ProductFootprint of a Catena-X PCF (9.0.0 or 10.0.0, schema-checked), for the
    import checks: the total is the production stage plus the distribution stage where it is
    included (packaging is inside production in both models)."""
    company = _one(_one(body["companyAndProductInformation"])["companyInformation"])
    product = _one(_one(body["companyAndProductInformation"])["productInformation"])
    method = _one(body["pcfAssessmentAndMethodology"])
    info = _one(method["pcfAssessmentInformation"])
    ident = _one(info["idAndVersion"])
    time = _one(info["time"])
    geography = _one(info.get("geography", []))
    standards = _one(_one(method["pcfMethodology"])["standards"])
    gwp = _one(_one(method["pcfMethodology"])["gwpCharacterizationFactorDetails"])
    quality = _one(method.get("dataSourcesAndQuality", []))
    stages = _one(body["productLifeCycleStagesAndEmissions"])
    production = _one(stages.get("productionStage", []))
    distribution = _one(stages.get("distributionStage", []))
    carbon = _one(body.get("carbonContent", []))
    with_distribution = bool(distribution.get("distributionStageIncluded"))

    def total(key: str) -> str:
        value = Decimal(str(production.get(key, 0)))
        if with_distribution:
            value += Decimal(
                str(distribution.get(f"distributionStage{key[0].upper()}{key[1:]}", 0))
            )
        return _num(value)

    cross = standards.get("crossSectoralStandards", [])
    cross = [cross] if isinstance(cross, str) else cross
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": product["declaredUnitOfMeasurement"],
        "declaredUnitAmount": _num(product["declaredUnitAmount"]),
        "productMassPerDeclaredUnit": _num(product.get("productMassPerDeclaredUnit")),
        "referencePeriodStart": time["referencePeriodStart"],
        "referencePeriodEnd": time["referencePeriodEnd"],
        "pcfExcludingBiogenicUptake": total("pcfExcludingBiogenicUptake"),
        "pcfIncludingBiogenicUptake": total("pcfIncludingBiogenicUptake"),
        "fossilGhgEmissions": total("fossilGhgEmissions"),
        "fossilCarbonContent": _num(carbon.get("fossilCarbonContent")),
        "ipccCharacterizationFactors": [gwp.get("ipccCharacterizationFactors", "AR6")]
        if gwp.get("ipccCharacterizationFactors") in ("AR4", "AR5", "AR6")
        else ["AR6"],
        # PACT's known names where one is meant, else the Catena-X name as given
        "crossSectoralStandards": list(dict.fromkeys(STANDARDS.get(s, s) for s in cross))
        or ["Other"],
        "exemptedEmissionsPercent": _num(
            _one(info.get("boundarySpecifications", [])).get("exemptedEmissionsPercent")
        ),
    }
    for key in ("geographyCountry", "geographyCountrySubdivision"):
        if geography.get(key):
            pcf[key] = geography[key]
    if "primaryDataShare" in quality:
        pcf["primaryDataShare"] = _num(quality["primaryDataShare"])
    pf: dict[str, Any] = {
        "id": str(uuid.UUID(str(ident["id"]))),
        "specVersion": "3.0.3",
        "created": time.get("created") or time["referencePeriodEnd"],
        "status": ident.get("status", "Active"),
        "companyName": company["companyName"],
        "companyIds": company["companyIds"],
        "productDescription": product.get("productDescription") or product["productNameCompany"],
        "productIds": product["productIds"],
        "productNameCompany": product["productNameCompany"],
        "comment": _one(body.get("general", [])).get("comment", ""),
        "pcf": pcf,
    }
    for key in ("validityPeriodStart", "validityPeriodEnd"):
        if time.get(key):
            pf[key] = time[key]
    # PACT requires fossilCarbonContent and the import checks want it, so a Catena-X PCF that
    # states none gets "0" above; the block as received says what was stated, for the carbon
    # content of products that use it (services/disclosure/carbon_content.py).
    pf[CATENAX_CARBON_KEY] = carbon
    return pf
