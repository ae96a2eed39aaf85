"""The demo's PACT partner (config/demo/pact.toml): the client a supplier issued to a partner
organization of the demo chain (known demo credentials), and the shares the partner reads over
PACT. Made through the real services, after the demo chain and its declarations."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.demo_submissions import _admin, _product
from footprint_platform.models import Organization
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.services import workflow
from footprint_platform.services.pact import clients as pact_clients

DEMO_FILE = CONFIG_DIR / "demo" / "pact.toml"


def _read(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8"))


def _org(session: Session, name: str) -> Organization:
    return session.scalars(select(Organization).where(Organization.name_en == name)).one()


def load_demo_pact(session: Session, path: Path = DEMO_FILE) -> None:
    demo = _read(path)
    for spec in demo.get("client", []):
        owner, partner = _org(session, spec["owner"]), _org(session, spec["partner"])
        admin = _admin(session, owner.id)
        pact_clients.create_client(
            session,
            admin,
            owner.id,
            partner.id,
            spec["name"],
            secret=spec["secret"],
            client_id=spec["client_id"],
        )
        for part in spec.get("share", []):
            workflow.share(session, admin, _product(session, part).id, partner.id)


def demo_pact_logins(path: Path = DEMO_FILE) -> list[tuple[str, str, str, str]]:
    """(owner, partner, client id, secret) of every demo PACT client."""
    return [
        (c["owner"], c["partner"], c["client_id"], c["secret"])
        for c in _read(path).get("client", [])
    ]
