"""Contractual electricity instruments as records, and their claims.

A green certificate, power purchase agreement or direct-supply contract counts for a product's
electricity only as a record registered here: its id unique across the platform, issuer,
generation type, volume, vintage, geography and retirement evidence (the quality criteria of
the JRC electricity hierarchy, docs/specs/battery-pcf.md). When a version that names it is
submitted, the record is claimed for that product and period under a row lock: another product,
another period or another organization cannot claim it again, and the kWh claimed never exceed
its volume. One validation for the web form and the API (`register`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from footprint_platform.electricity import country_of
from footprint_platform.errors import Conflict, InvalidInput, Problem
from footprint_platform.models import (
    ElectricityInstrument,
    Evidence,
    InputKind,
    Site,
    Submission,
    utcnow,
)
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.services.catalogue import audit
from footprint_platform.services.intake.activity import normalize_certificate_id, parse_number
from supply_graph.units import conversion_factor

KINDS = ("green_certificate", "ppa", "direct_supply")
# Generation types a certificate or contract may name; the factor release must hold a
# life-cycle factor for the type in the country (`elec.<country>.<type>.cfp.<year>`) for a
# claim to be valued, else the row is refused with that reason.
GENERATIONS = ("wind", "pv", "biomass", "hydro", "geothermal", "nuclear")


def _date(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def _check(session: Session, organization_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """The record's fields, or InvalidInput naming every field that is wrong and why."""
    errors: dict[str, list[str]] = {}

    def bad(name: str, reason: Any) -> None:
        errors.setdefault(name, []).append(str(reason))

    out: dict[str, Any] = {"certificate_id": normalize_certificate_id(data.get("certificate_id"))}
    if not out["certificate_id"] or len(out["certificate_id"]) > 100:
        bad("certificate_id", _l("Enter the certificate or contract id (at most 100 characters)."))
    out["kind"] = str(data.get("kind") or "")
    if out["kind"] not in KINDS:
        bad("kind", _l("Choose a green certificate, a PPA or a direct-supply contract."))
    out["issuer"] = str(data.get("issuer") or "").strip()[:200]
    if not out["issuer"]:
        bad("issuer", _l("Name the issuing body (registry or counterparty)."))
    out["generation"] = str(data.get("generation") or "").strip().lower()
    if out["generation"] not in GENERATIONS:
        bad("generation", _l("Choose the generation type."))
    volume = parse_number(data.get("volume_kwh"))
    if volume is None or volume <= 0:
        bad("volume_kwh", _l("Enter the volume in kWh (a positive number)."))
    out["volume_kwh"] = volume
    start, end = _date(data.get("vintage_start")), _date(data.get("vintage_end"))
    if start is None:
        bad("vintage_start", _l("Enter a date (YYYY-MM-DD)."))
    if end is None:
        bad("vintage_end", _l("Enter a date (YYYY-MM-DD)."))
    elif start is not None and end < start:
        bad("vintage_end", _l("The vintage ends before it starts."))
    out.update(vintage_start=start, vintage_end=end)
    site_id = data.get("site_id")
    site = session.get(Site, int(site_id)) if str(site_id or "").isdigit() else None
    if site is None or site.organization_id != organization_id:
        bad("site_id", _l("Choose one of your sites."))
    out["site_id"] = site.id if site else None
    geography = str(data.get("geography") or (site.country if site else "")).strip().upper()
    if site is not None and country_of(geography) != site.country:
        bad(
            "geography",
            _l(
                "The electricity must be generated in the site's country (%(site)s).",
                site=site.country,
            ),
        )
    out["geography"] = geography[:16]
    evidence_id = data.get("evidence_id")
    evidence = session.get(Evidence, int(evidence_id)) if str(evidence_id or "").isdigit() else None
    if evidence is None or evidence.organization_id != organization_id:
        bad(
            "evidence_id",
            _l("Upload the retirement statement or contract first, then choose it."),
        )
    out["evidence_id"] = evidence.id if evidence else None
    if errors:
        raise InvalidInput(str(_l("The instrument was not registered.")), errors)
    return out


def register(
    session: Session, actor: Actor, organization_id: int, data: dict[str, Any]
) -> ElectricityInstrument:
    """Register a certificate or contract for one of the organization's sites. Its id is
    refused if any organization registered it before (also when two try at once)."""
    authorize(actor, Action.EDIT_SUBMISSIONS, organization_id)
    fields = _check(session, organization_id, data)
    taken = session.scalar(
        select(ElectricityInstrument.id).where(
            ElectricityInstrument.certificate_id == fields["certificate_id"]
        )
    )
    if taken is not None:
        raise _already_registered()
    record = ElectricityInstrument(
        organization_id=organization_id, created_by_id=actor.user_id, **fields
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:  # registered by another request in the same moment
        session.rollback()
        raise _already_registered() from None
    audit.record(
        session,
        actor,
        "instrument.register",
        record,
        organization_id=organization_id,
        details={
            "certificate_id": record.certificate_id,
            "kind": record.kind,
            "volume_kwh": str(record.volume_kwh),
        },
    )
    session.commit()
    return record


def _already_registered() -> Conflict:
    msg = str(
        _l(
            "This certificate or contract id is already registered on the platform: a "
            "certificate counts once."
        )
    )
    return Conflict(msg, {"certificate_id": [msg]})


def list_for(session: Session, actor: Actor, organization_id: int) -> list[ElectricityInstrument]:
    authorize(actor, Action.VIEW_SUBMISSIONS, organization_id)
    return list(
        session.scalars(
            select(ElectricityInstrument)
            .where(ElectricityInstrument.organization_id == organization_id)
            .order_by(ElectricityInstrument.created_at.desc(), ElectricityInstrument.id.desc())
        )
    )


def _claimed_kwh(sub: Submission, rows: list[dict[str, Any]]) -> dict[str, tuple[Decimal, int]]:
    """kWh per certificate for the whole production volume, with the first row naming it."""
    volume = sub.production_volume or Decimal(0)
    out: dict[str, tuple[Decimal, int]] = {}
    n = 0
    for row in rows:
        if row["kind"] is not InputKind.ELECTRICITY:
            continue
        n += 1
        cert = row.get("certificate_id")
        if not cert:
            continue
        k = Decimal(str(conversion_factor(row["unit"], "kWh") or 0))
        kwh = Decimal(row["quantity"]) * k * volume
        before, first = out.get(cert, (Decimal(0), n))
        out[cert] = (before + kwh, first)
    return out


def claim(
    session: Session, sub: Submission, rows: list[dict[str, Any]], section: str
) -> list[Problem]:
    """Claim every record the submitted rows name for the submission's product and period.
    Each record is locked (SELECT … FOR UPDATE on PostgreSQL) and read afresh, so of two
    submissions claiming one certificate at once the second sees the first's claim and is
    refused. Returns the problems (nothing claimed then: the caller rolls back)."""
    wanted = _claimed_kwh(sub, rows)
    if not wanted:
        return []
    problems: list[Problem] = []

    def bad(n: int, cert: str, reason: Any) -> None:
        problems.append(Problem(section, n, "certificate_id", cert, str(reason)))

    if not sub.production_volume:
        first = min(n for _, n in wanted.values())
        problems.append(
            Problem(
                "—",
                None,
                "production_volume",
                None,
                str(
                    _l(
                        "Give the production volume of the period: a certificate's kWh are "
                        "checked against its volume (%(row)s).",
                        row=f"{section} {first}",
                    )
                ),
            )
        )
        return problems
    records = {
        r.certificate_id: r
        for r in session.scalars(
            select(ElectricityInstrument)
            .where(ElectricityInstrument.certificate_id.in_(sorted(wanted)))
            .order_by(ElectricityInstrument.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    for cert, (kwh, n) in sorted(wanted.items()):
        record = records.get(cert)
        if record is None or record.organization_id != sub.organization_id:
            bad(n, cert, _l("Unknown certificate or contract id: register it first."))
            continue
        mine = (sub.product_id, sub.period_start, sub.period_end)
        if (
            record.claimed_product_id is not None
            and (
                record.claimed_product_id,
                record.claimed_period_start,
                record.claimed_period_end,
            )
            != mine
        ):
            bad(
                n,
                cert,
                _l(
                    "This certificate is already claimed by another product or period: a "
                    "certificate is claimed once."
                ),
            )
            continue
        if kwh > record.volume_kwh:
            bad(
                n,
                cert,
                _l(
                    "The rows claim %(claimed)s kWh for the period's production; the "
                    "certificate covers %(volume)s kWh.",
                    claimed=format(kwh.quantize(Decimal("0.001")), "f"),
                    volume=format(record.volume_kwh, "f"),
                ),
            )
            continue
        record.claimed_product_id = sub.product_id
        record.claimed_period_start, record.claimed_period_end = sub.period_start, sub.period_end
        record.claimed_kwh = kwh.quantize(Decimal("0.001"))
        record.claimed_submission_id = sub.id
        record.claimed_at = utcnow()
    return problems
