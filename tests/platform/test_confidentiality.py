"""No one sees another organization's primary data through any page, export or API read.

Every GET route of the application (the authorization matrix's table, so a new page is
crawled as soon as it has a policy) plus every declaration page, public page and export, is
fetched as each kind of actor; no answer may contain an input description that only another
organization's submissions hold. The verifier's assignment page is the one place a verifier
sees inputs (those pinned in what it was asked to check); it is crawled for everyone else.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Declaration, EmissionFactor, Membership, Submission, User
from tests.conftest import Session
from tests.platform.demo_ids import Ids
from tests.platform.test_authorization import API, PERSONAS, WEB, _path


def _secrets_by_org() -> dict[int, set[str]]:
    """Input descriptions written by exactly one organization, of several words, that are not
    part of a published factor dataset's name (a shared, one-word or dataset wording like
    "Natural gas", "Aluminium" or "Cobalt sulfate" is public: the factor list shows it)."""
    public = "\n".join(
        n
        for row in db.session.execute(select(EmissionFactor.name_en, EmissionFactor.name_zh))
        for n in row
        if n
    )
    owners: dict[str, set[int]] = defaultdict(set)
    for sub in db.session.scalars(select(Submission)):
        for row in sub.inputs:
            text = row.description
            if text and " " in text and len(text) > 12 and text not in public:
                owners[text].add(sub.organization_id)
    out: dict[int, set[str]] = defaultdict(set)
    for text, orgs in owners.items():
        if len(orgs) == 1:
            out[next(iter(orgs))].add(text)
    return out


def _member_orgs(email: str | None) -> set[int]:
    if email is None:
        return set()
    return set(
        db.session.scalars(select(Membership.organization_id).join(User).where(User.email == email))
    )


def _pages(ids: Ids) -> list[str]:
    paths = [_path(t, ids) for (_rule, method), (_, t, _) in WEB.items() if method == "GET"]
    for d in db.session.scalars(select(Declaration)):
        paths.append(f"/declarations/{d.id}")
        if d.published_at:
            paths += [f"/d/{d.public_id}", f"/d/{d.public_id}.csv"]
    return paths


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_no_page_shows_another_organizations_inputs(
    prepared_app: Flask, ids: Ids, persona: str
) -> None:
    with prepared_app.app_context():
        secrets = _secrets_by_org()
        mine = _member_orgs(PERSONAS[persona])
        foreign = {s for org, texts in secrets.items() if org not in mine for s in texts}
        pages = _pages(ids)
    assert len(foreign) > 20  # the demo's suppliers wrote plenty to leak
    session = Session(prepared_app.test_client())
    if PERSONAS[persona]:
        session.login(PERSONAS[persona])
    leaks = []
    for path in pages:
        if persona == "verifier" and path.startswith("/verifications/"):
            continue  # the assignment: the pinned inputs it was asked to check
        body = session.client.get(path).data.decode("utf-8", "replace")
        leaks += [(path, s) for s in foreign if s in body]
    assert leaks == []


@pytest.mark.parametrize("token", ["owner_read", "other_write"])
def test_no_api_read_shows_another_organizations_inputs(
    prepared_app: Flask, ids: Ids, token: str
) -> None:
    secret, email = {
        "owner_read": (ids.read_secret, PERSONAS["owner_admin"]),
        "other_write": (ids.other_write_secret, PERSONAS["other_supplier"]),
    }[token]
    with prepared_app.app_context():
        mine = _member_orgs(email)
        foreign = {s for org, texts in _secrets_by_org().items() if org not in mine for s in texts}
    client = prepared_app.test_client()
    leaks = []
    for (_rule, method), (_, template, _) in API.items():
        if method != "GET":
            continue
        path = _path(template, ids)
        response = client.get(path, headers={"Authorization": f"Bearer {secret}"})
        body = response.data.decode("utf-8", "replace")
        leaks += [(path, s) for s in foreign if s in body]
    assert leaks == []
