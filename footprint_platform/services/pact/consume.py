"""Taking in a partner's PACT v3 footprint, to use as the value of a material input: from a file
(a ProductFootprint, or a GetFootprint answer `{"data": {...}}`), or pulled from the partner's
host system with the credentials it issued us (GET /3/footprints/{id} after a token).

Both ways run the same check (services.pact.parse: our PACT schema and the rules it cannot
say) and store nothing unless everything passes; a refusal names the field. Beyond the check:
- a Deprecated footprint is refused (PACT: use the one that replaced it);
- a declared unit we have no unit for (`megabit second`) is refused;
- the value taken is pcfExcludingBiogenicUptake per declared unit, the PACT methodology's
  headline figure; primaryDataShare becomes our fraction; the data-quality rating is the
  Tanlian extension's when the footprint carries it, else the mean of PACT's three dqi ratings
  (both 1-5), else none;
- a Tanlian extension's stage split is used only when it agrees with the total (then the input's
  footprint keeps its stages), else the whole value sits in the input's own stage.
The footprint as received is kept with its SHA-256, so what a result used can be shown.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.errors import Conflict, InvalidInput, NotFound
from footprint_platform.json_schemas import EXTENSION_SCHEMA_FILE
from footprint_platform.json_schemas import problems as schema_problems
from footprint_platform.models import ExternalFootprint, PactCredential
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.services.catalogue import audit
from footprint_platform.services.graph.chain import stages
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact import parse as pact_import
from footprint_platform.services.pact.parse import Incoming
from supply_graph.units import conversion_factor

MAX_FILE_BYTES = 2_000_000
EXTENSION_NAME = EXTENSION_SCHEMA_FILE.rsplit("/", 1)[-1]  # tanlian-declaration-1.0.0.json
STAGE_TOLERANCE = Decimal("0.000001")  # relative; decimals written by us agree exactly


def _refuse(field: str, message: Any) -> InvalidInput:
    text = str(message)
    return InvalidInput(text, {field: [text]})


def read_file(raw: bytes) -> Any:
    """The footprint in an uploaded file: JSON, UTF-8, a ProductFootprint or `{"data": PF}`."""
    if len(raw) > MAX_FILE_BYTES:
        raise _refuse("file", _l("The file is larger than 2 MB."))
    try:
        body = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _refuse("file", _l("Not a JSON file: %(reason)s", reason=str(exc)[:200])) from None
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "pcf" not in body:
        return body["data"]
    return body


def _tanlian_stages(pf: dict[str, Any], got: Incoming, unit: str) -> dict[str, str]:
    """Our stage split per one `unit`, from Tanlian's extension when it checks out."""
    for ext in pf.get("extensions") or []:
        if not str(ext.get("dataSchema", "")).endswith(EXTENSION_NAME):
            continue
        data = ext.get("data")
        if schema_problems("tanlian-declaration", data):
            return {}
        k = conversion_factor(unit, data["declaredUnit"])
        known = set(stages())
        values = {s["code"]: Decimal(s["kgCO2ePerDeclaredUnit"]) for s in data["stages"]}
        if k is None or not set(values) <= known:
            return {}
        per_unit = {code: v * Decimal(str(k)) for code, v in values.items() if v}
        total = sum(per_unit.values(), Decimal(0))
        limit = STAGE_TOLERANCE * max(Decimal(1), abs(got.per_unit_excluding_biogenic))
        if abs(total - got.per_unit_excluding_biogenic) > limit:
            return {}
        return {code: format(v.normalize(), "f") for code, v in per_unit.items()}
    return {}


def _tanlian_dqr(pf: dict[str, Any]) -> Decimal | None:
    for ext in pf.get("extensions") or []:
        data = ext.get("data") if isinstance(ext, dict) else None
        if (
            str(ext.get("dataSchema", "")).endswith(EXTENSION_NAME)
            and isinstance(data, dict)
            and not schema_problems("tanlian-declaration", data)
            and "dataQualityRating" in data
        ):
            return Decimal(data["dataQualityRating"])
    return None


def _dqr(pf: dict[str, Any], got: Incoming) -> Decimal | None:
    own = _tanlian_dqr(pf)
    if own is not None:
        return own
    if got.dqi:
        mean = sum(got.dqi.values(), Decimal(0)) / len(got.dqi)
        return mean.quantize(Decimal("0.01"))
    return None


def import_footprint(
    session: Session,
    actor: Actor,
    organization_id: int,
    pf: Any,
    origin: str = "file",
    source_url: str | None = None,
) -> ExternalFootprint:
    """Check and keep one partner footprint for `organization_id`; all or nothing."""
    authorize(actor, Action.EDIT_SUBMISSIONS, organization_id)
    row = keep_footprint(session, actor, organization_id, pf, origin, source_url)
    session.commit()
    return row


def keep_footprint(
    session: Session,
    actor: Actor,
    organization_id: int,
    pf: Any,
    origin: str,
    source_url: str | None,
) -> ExternalFootprint:
    """The check and the new row with its audit record, in the caller's transaction (an upload,
    a pull, or a partner's answer to our request, which no person makes)."""
    got = pact_import.parse_product_footprint(pf)
    if got.status != "Active":
        raise _refuse(
            "status", _l("This footprint is Deprecated: ask the partner for the one replacing it.")
        )
    if got.unit is None:
        raise _refuse(
            "pcf.declaredUnitOfMeasurement",
            _l("Tanlian has no unit for %(unit)s.", unit=got.pact_unit),
        )
    unit = got.unit
    existing = session.scalar(
        select(ExternalFootprint.id).where(
            ExternalFootprint.organization_id == organization_id,
            ExternalFootprint.pf_id == got.id,
        )
    )
    if existing is not None:
        raise Conflict(str(_l("This footprint (%(id)s) is imported already.", id=got.id)))
    canonical = json.dumps(pf, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    share = got.primary_data_share
    row = ExternalFootprint(
        organization_id=organization_id,
        pf_id=got.id,
        spec_version=got.spec_version[:24],
        status=got.status,
        company_name=got.company_name[:200],
        product_name=got.product_name[:200],
        product_ids=list(got.product_ids)[:20],
        unit=unit,
        per_unit=got.per_unit_excluding_biogenic,
        by_stage=_tanlian_stages(pf, got, unit),
        primary_data_share=None if share is None else min(share, Decimal(100)) / 100,
        dqr=_dqr(pf, got),
        verified_by=got.verified_by[:200] if got.verified_by else None,
        reference_start=got.reference_start,
        reference_end=got.reference_end,
        valid_until=got.valid_until,
        origin=origin,
        source_url=source_url[:500] if source_url else None,
        document=pf,
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        imported_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "external_footprint.import",
        row,
        organization_id=organization_id,
        details={"pf_id": got.id, "origin": origin, "company": got.company_name[:100]},
    )
    return row


def pull_footprint(
    session: Session, actor: Actor, organization_id: int, credential_id: int, pf_id: str
) -> ExternalFootprint:
    """GetFootprint at the partner's host, then the same check and import as a file."""
    authorize(actor, Action.EDIT_SUBMISSIONS, organization_id)
    credential = session.get(PactCredential, credential_id)
    if (
        credential is None
        or credential.organization_id != organization_id
        or credential.revoked_at is not None
    ):
        raise _refuse("credential_id", _l("Choose one of your partners' host systems."))
    wanted = pf_id.strip().lower()
    try:
        uuid.UUID(wanted)
    except ValueError:
        raise _refuse("pf_id", _l("A PACT footprint id is a UUID.")) from None
    try:
        pf = pact_outbound.get_footprint(credential, wanted)
    except pact_outbound.PartnerUnreachable as exc:
        raise _refuse(
            "pf_id", _l("The partner's system did not give the footprint: %(why)s", why=str(exc))
        ) from None
    if not isinstance(pf, dict) or str(pf.get("id", "")).lower() != wanted:
        raise _refuse("id", _l("The partner's system answered with another footprint."))
    return import_footprint(
        session,
        actor,
        organization_id,
        pf,
        origin="pull",
        source_url=f"{credential.base_url}/3/footprints/{wanted}",
    )


def imports_query(organization_id: int) -> Any:
    return (
        select(ExternalFootprint)
        .where(ExternalFootprint.organization_id == organization_id)
        .order_by(ExternalFootprint.id.desc())
    )


def get_import(session: Session, actor: Actor, organization_id: int, pk: int) -> ExternalFootprint:
    authorize(actor, Action.VIEW_SUBMISSIONS, organization_id)
    row = session.get(ExternalFootprint, pk)
    if row is None or row.organization_id != organization_id:
        raise NotFound(str(_l("No such footprint.")))
    return row
