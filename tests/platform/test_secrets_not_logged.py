"""Secrets and tokens never reach the log or the audit trail: API tokens, invitation links,
PACT client secrets and access tokens, password-reset links. Each is made through the web or
the HTTP endpoint as a person would, with every logger listening at DEBUG."""

from __future__ import annotations

import base64
import email
import json
import logging
import re
from email import policy
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, Organization
from footprint_platform.services.pact import clients as pact_clients
from tests.conftest import Session
from tests.platform.demo_ids import Ids, admin_actor


def _audit_text() -> str:
    return json.dumps(
        [[e.action, e.details] for e in db.session.scalars(select(AuditEvent))], default=str
    )


def test_no_secret_is_logged_or_audited(
    prepared_app: Flask, ids: Ids, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    prepared_app.config["MAIL_OUTBOX_DIR"] = str(tmp_path)
    secrets = [ids.read_secret, ids.write_secret, ids.other_write_secret]
    admin = Session(prepared_app.test_client())
    admin.login("admin@huadong-pack.example")
    with caplog.at_level(logging.DEBUG):
        page = admin.post(
            f"/orgs/{ids.org}/members", {"email": "fresh@huadong-pack.example", "role": "viewer"}
        ).get_data(as_text=True)
        secrets += re.findall(r"/invitations/([\w-]{20,})", page)
        page = admin.post(f"/orgs/{ids.org}/tokens", {"name": "ci", "scope": "read"}).get_data(
            as_text=True
        )
        secrets += re.findall(r'<code id="new-token">([\w-]+)</code>', page)
        with prepared_app.app_context():
            partner = db.session.scalar(
                select(Organization.id).where(Organization.id == ids.buyer_org)
            )
            client, secret = pact_clients.create_client(
                db.session, admin_actor("admin@huadong-pack.example"), ids.org, partner, "t"
            )
            client_id = client.client_id
        secrets.append(secret)
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        issued = prepared_app.test_client().post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert issued.status_code == 200
        secrets.append(issued.get_json()["access_token"])
        admin.post("/password/forgot", {"email": "admin@huadong-pack.example"})
        mailed = "".join(
            email.message_from_bytes(p.read_bytes(), policy=policy.default).get_content()
            for p in tmp_path.glob("*.eml")
        )
        secrets += re.findall(r"/password/reset/([\w-]{20,})", mailed)
    assert len(secrets) == 8, secrets  # 3 API tokens, invitation, token, client, access, reset
    with prepared_app.app_context():
        trail = _audit_text()
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in trail
