"""Demo primary data (config/demo/submissions.toml), entered through the real services so the
demo passes the same validation as any supplier's data."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.models import (
    RATING_FIELDS,
    DataRequest,
    FactorRelease,
    MemberRole,
    Membership,
    Organization,
    OrganizationRole,
    OrgRole,
    Product,
    User,
    utcnow,
)
from footprint_platform.policy import Actor
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import factors
from footprint_platform.services.catalogue.accounts import user_actor
from footprint_platform.services.disclosure import declarations, publication
from footprint_platform.services.exchange import requests
from footprint_platform.services.intake import evidence, instruments, submissions
from footprint_platform.services.intake.activity import FIELDS, OWN_ACTIVITY
from footprint_platform.services.pact import delivery as pact_delivery

DEMO_FILE = CONFIG_DIR / "demo" / "submissions.toml"
# A stand-in certificate: a real one is the issuer's PDF. Marked as demo in its own text.
DEMO_CERTIFICATE = (
    b"%PDF-1.4\n% Tanlian demo: green electricity certificate (GEC), wind, "
    b"2025, illustrative only\n%%EOF\n"
)


def _admin(session: Session, organization_id: int) -> Actor:
    user = session.scalars(
        select(User)
        .join(Membership)
        .where(Membership.organization_id == organization_id, Membership.role == MemberRole.ADMIN)
        .limit(1)
    ).one()
    return user_actor(user, channel="cli")


def _product(session: Session, part: str) -> Product:
    return session.scalars(select(Product).where(Product.part_number == part)).one()


def load_demo_submissions(
    session: Session, path: Path = DEMO_FILE, second_period: bool = True
) -> int:
    """Enter and submit every demo submission (the second period's too, unless told not to);
    open the demo requests. Returns how many."""
    demo = tomllib.loads(path.read_text("utf-8"))
    start, end = (date.fromisoformat(d) for d in demo["period"])
    _agree_links(session, demo["submission"])
    done = {}
    for spec in demo["submission"]:
        product = _product(session, spec["product"])
        actor = _admin(session, product.organization_id)
        certificate = None
        if spec.get("evidence"):
            certificate = evidence.add_evidence(
                session,
                actor,
                product.organization_id,
                "green-certificate-2025.pdf",
                DEMO_CERTIFICATE,
                "Demo green electricity certificate",
            ).id
        record = _instrument(session, actor, product, spec.get("certificate"), certificate)
        sub = submissions.start_draft(session, actor, product.id, start, end, channel="cli")
        rows = [
            _row(session, r, certificate, record, demo.get("provenance")) for r in spec["inputs"]
        ]
        submissions.save_draft(session, actor, sub.id, _header(spec), rows)
        done[spec["product"]] = workflow.submit(session, actor, sub.id)
    for spec in demo.get("request", []):
        _request(session, spec, start, end, done)
    for spec in demo.get("share", []):
        _offer(session, spec)
    # the declarations below need the recomputes done, also when they went to the queue
    workflow.run_pending(session, start, end)
    for part in demo.get("declare", []):
        _declare_verify_publish(session, _product(session, part), start, end)
    later = demo.get("second_period") if second_period else None
    if later:
        publish_next_release(session)
    return len(done) + (_second_period(session, later) if later else 0)


NEXT_RELEASE = ("2026.1", CONFIG_DIR / "factors" / "seed-2026.1.csv")


def publish_next_release(session: Session) -> None:
    """The operator publishes the next factor release through the operator's own service
    (the same checks, diff and audit as the upload page), after the 2025 declarations and
    before the 2026 versions: 2025 stays pinned to 2025.1, 2026 starts on 2026.1."""
    version, path = NEXT_RELEASE
    if session.scalar(select(FactorRelease.id).where(FactorRelease.version == version)):
        return
    operator = session.scalars(
        select(Organization).where(
            Organization.role_rows.any(OrganizationRole.role == OrgRole.OPERATOR)
        )
    ).first()
    if operator is None:
        return
    factors.publish_release(
        session,
        _admin(session, operator.id),
        version,
        "Tanlian release 2026.1",
        path.read_bytes(),
        "2025.1 unchanged, plus the rows config/factors/README.md lists for 2026.1.",
    )


def _second_period(session: Session, spec: dict[str, Any]) -> int:
    """The next period under way: the makers that have reported start from their previous
    period's data (as any supplier does), change what the file says and submit; the others
    have not reported yet. Returns how many versions were submitted."""
    start, end = (date.fromisoformat(d) for d in spec["period"])
    for entry in spec["submission"]:
        product = _product(session, entry["product"])
        actor = _admin(session, product.organization_id)
        proof = None
        if entry.get("certificate"):
            proof = evidence.add_evidence(
                session, actor, product.organization_id, "green-certificate.pdf", DEMO_CERTIFICATE
            ).id
        record = _instrument(session, actor, product, entry.get("certificate"), proof)
        sub = submissions.start_draft(session, actor, product.id, start, end, channel="cli")
        changes = entry.get("changes", {})
        rows = [
            {f: getattr(i, f) for f in FIELDS}
            | {"kind": i.kind.value}
            | _change(changes.get(i.description or ""))
            | (
                {"instrument": "green_certificate", "certificate_id": record, "evidence_id": proof}
                if record and i.description == entry.get("certificate_row")
                else {}
            )
            for i in sub.inputs
        ]
        header = {f: getattr(sub, f) for f in (*submissions.HEADER_FIELDS, *RATING_FIELDS)}
        submissions.save_draft(session, actor, sub.id, header, rows)
        workflow.submit(session, actor, sub.id)
    workflow.run_pending(session, start, end)  # its results too, whatever the inline threshold
    return len(spec["submission"])


def _change(change: str | dict[str, str] | None) -> dict[str, Any]:
    """An input's change in the next period: a new quantity, or a table of a new `quantity`
    and the `factor` (a dataset code of the period's release) it is now valued with."""
    if change is None:
        return {}
    if isinstance(change, str):
        return {"quantity": Decimal(change)}
    out: dict[str, Any] = {}
    if "quantity" in change:
        out["quantity"] = Decimal(change["quantity"])
    if "factor" in change:
        out["factor_code"] = change["factor"]
    return out


def _header(spec: dict[str, Any]) -> dict[str, Any]:
    """A demo submission's header: its rating, and where its material inputs lie outside the
    rule's mass-balance range the reason, and its exclusions under the cut-off."""
    return {
        "dqr": Decimal(str(spec["dqr"])),
        "production_volume": Decimal(spec["production_volume"])
        if spec.get("production_volume")
        else None,
        "mass_balance_reason": spec.get("mass_balance_reason"),
        "exclusions": spec.get("exclusions"),
    }


def _agree_links(session: Session, specs: list[dict[str, Any]]) -> None:
    """The demo's suppliers have agreed to be linked by their customers (a supply link is a
    relationship both sides agree to): each shares the linked product with the customer
    before any data is entered, so every run counts the links."""
    for spec in specs:
        buyer = _product(session, spec["product"]).organization_id
        for row in spec["inputs"]:
            if "link" not in row:
                continue
            supplier = _product(session, row["link"])
            if supplier.organization_id != buyer:
                admin = _admin(session, supplier.organization_id)
                workflow.share(session, admin, supplier.id, buyer)


def _offer(session: Session, spec: dict[str, Any]) -> None:
    """A maker shares a product's footprint with a company it is quoting for (no link yet)."""
    product = _product(session, spec["part"])
    buyer = session.scalars(select(Organization).where(Organization.name_en == spec["buyer"])).one()
    workflow.share(session, _admin(session, product.organization_id), product.id, buyer.id)


def _instrument(
    session: Session,
    actor: Actor,
    product: Product,
    spec: dict[str, Any] | None,
    evidence_id: int | None,
) -> str | None:
    """The submission's green certificates registered as a record (services/intake/instruments.py),
    with the uploaded certificate as its retirement evidence; returns its id."""
    if spec is None:
        return None
    record = instruments.register(
        session,
        actor,
        product.organization_id,
        {
            "certificate_id": spec["id"],
            "kind": "green_certificate",
            "issuer": spec["issuer"],
            "generation": spec["generation"],
            "volume_kwh": spec["volume_kwh"],
            "vintage_start": spec["vintage"][0],
            "vintage_end": spec["vintage"][1],
            "site_id": product.site_id,
            "evidence_id": evidence_id,
        },
    )
    return record.certificate_id


def _row(
    session: Session,
    spec: dict[str, Any],
    certificate: int | None,
    record: str | None = None,
    provenance: str | None = None,
) -> dict[str, Any]:
    """A demo input row; the supplier's own activity takes the file's `provenance` unless the
    row names its own."""
    skip = ("link", "factor", "recycled", "evidence", "certificate")
    row = {k: v for k, v in spec.items() if k not in skip}
    if spec.get("certificate"):
        row["certificate_id"] = record
    if "recycled" in spec:
        row["recycled_factor_code"] = spec["recycled"]
    if provenance and spec["kind"] in {k.value for k in OWN_ACTIVITY}:
        row.setdefault("provenance", provenance)
    if "link" in spec:
        row["linked_product_id"] = _product(session, spec["link"]).id
    if "factor" in spec:
        row["factor_code"] = spec["factor"]
    if spec.get("evidence"):
        row["evidence_id"] = certificate
    return row


def _request(
    session: Session, spec: dict[str, Any], start: date, end: date, done: dict[str, Any]
) -> None:
    buyer = session.scalars(select(Organization).where(Organization.name_en == spec["buyer"])).one()
    supplier = session.scalars(
        select(Organization).where(Organization.name_en == spec["supplier"])
    ).one()
    due = date.today() + timedelta(days=max(spec["due_in_days"], 1))
    request = requests.create_request(
        session,
        _admin(session, buyer.id),
        buyer.id,
        {
            "supplier_id": supplier.id,
            "supplier_email": None,
            "part_number": spec["part"],
            "period_start": start,
            "period_end": end,
            "due_date": due,
            "message": spec.get("message"),
        },
    )[0]
    if spec.get("answered"):
        workflow.answer_request(
            session, _admin(session, supplier.id), request.id, done[spec["part"]].id
        )
    if spec["due_in_days"] < 0:  # show an overdue request: its due date lies in the past
        stored = session.get(DataRequest, request.id)
        assert stored is not None
        stored.due_date = date.today() + timedelta(days=spec["due_in_days"])
        session.commit()


def _declare_verify_publish(session: Session, product: Product, start: date, end: date) -> None:
    """Declare, have the demo verifier check it, publish: what the demo's public pages show."""
    owner = _admin(session, product.organization_id)
    made = declarations.declare(
        session, owner, product.id, start, end, "Demo: first declaration for 2025"
    )
    verifier = session.scalars(
        select(Organization).where(
            Organization.role_rows.any(OrganizationRole.role == OrgRole.VERIFIER)
        )
    ).first()
    if verifier is not None:
        asked = publication.request_verification(session, owner, made.id, verifier.id)
        reasons = publication.stated_reasons(session, made)
        publication.decide(
            session,
            _admin(session, verifier.id),
            asked.id,
            "verified",
            "Demo verification: activity data checked against the plant's "
            "meter and purchase records"
            + ("; each mass-balance reason checked and accepted." if reasons else "."),
            list(reasons),
            publication.Statement(
                standard="ISO 14067:2018",
                assurance="limited",
                # The materiality level Commission Implementing Regulation (EU) 2018/2067
                # (accreditation and verification), Art. 23(1), sets for category A and B
                # installations; the demo verifier applies it to the product footprint.
                materiality_percent="5",
                scope="Cradle-to-gate product carbon footprint of the declared product and "
                "the pinned supplier submissions behind it",
                statement_date=utcnow().date().isoformat(),
            ),
        )
    pact_delivery.publish_and_announce(session, owner, made.id)
