"""The public declaration page keeps its rendered content (dashboards/public_cache.py): what it
serves from memory is what a fresh render shows, and any change to what the page shows —
withdrawal, a new verification, a renamed company or product — shows at once."""

from __future__ import annotations

import re

import pytest
from flask import Flask, render_template
from sqlalchemy import select

from dashboards import public_cache
from dashboards.public import declaration_context
from footprint_platform.extensions import db
from footprint_platform.models import (
    Declaration,
    Organization,
    Verification,
    VerificationStatus,
    utcnow,
)

pytestmark = pytest.mark.postgres
CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


def _published(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Declaration.public_id).where(Declaration.published_at.is_not(None))
            )
        )


def _fresh(app: Flask, public_id: str, lang: str) -> str:
    """The whole page as the template renders it with no kept content."""
    with app.test_request_context(f"/d/{public_id}", headers={"Accept-Language": lang}):
        d = db.session.scalar(select(Declaration).where(Declaration.public_id == public_id))
        assert d is not None
        page = render_template("public/declaration.html", **declaration_context(d))
        db.session.remove()
    return page


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found and "·" in found.group(1)
    return found.group(1).strip()


def _main(html: str) -> str:
    return CSRF.sub("", html.split('<main id="main">', 1)[1].split("</main>", 1)[0]).strip()


def test_kept_pages_are_what_a_fresh_render_shows(demo_app: Flask) -> None:
    with demo_app.app_context():
        public_cache.clear()
    client = demo_app.test_client()
    ids = _published(demo_app)
    assert len(ids) >= 3
    for lang in ("zh", "en"):
        for public_id in ids:
            first = client.get(f"/d/{public_id}", headers={"Accept-Language": lang})
            kept = client.get(f"/d/{public_id}", headers={"Accept-Language": lang})
            assert first.status_code == kept.status_code == 200
            assert _main(kept.get_data(as_text=True)) == _main(first.get_data(as_text=True))
            fresh = _fresh(demo_app, public_id, lang)
            assert _main(kept.get_data(as_text=True)) == _main(fresh)
            assert _title(kept.get_data(as_text=True)) == _title(fresh)


def test_what_changes_on_the_page_shows_at_once(demo_app: Flask) -> None:
    with demo_app.app_context():
        public_cache.clear()
    client = demo_app.test_client()
    public_id = _published(demo_app)[0]
    en = {"Accept-Language": "en"}
    page = client.get(f"/d/{public_id}", headers=en).get_data(as_text=True)
    assert "Withdrawn on" not in page
    with demo_app.app_context():
        d = db.session.scalar(select(Declaration).where(Declaration.public_id == public_id))
        assert d is not None
        org = db.session.get(Organization, d.product.organization_id)
        assert org is not None
        org.name_en = "Renamed Maker Ltd"
        d.product.name_en = "Renamed product"
        db.session.commit()
    page = client.get(f"/d/{public_id}", headers=en).get_data(as_text=True)
    assert "Renamed Maker Ltd" in page and "Renamed product" in page
    with demo_app.app_context():
        d = db.session.scalar(select(Declaration).where(Declaration.public_id == public_id))
        assert d is not None
        verifier = db.session.scalar(
            select(Organization).where(Organization.name_en.like("%Verif%"))
        )
        assert verifier is not None
        db.session.add(
            Verification(
                declaration_id=d.id,
                verifier_id=verifier.id,
                status=VerificationStatus.VERIFIED,
                decided_at=utcnow(),
            )
        )
        db.session.commit()
    page = client.get(f"/d/{public_id}", headers=en).get_data(as_text=True)
    assert "Verified by" in page
    with demo_app.app_context():
        d = db.session.scalar(select(Declaration).where(Declaration.public_id == public_id))
        assert d is not None
        d.withdrawn_at = utcnow()
        db.session.commit()
    page = client.get(f"/d/{public_id}", headers=en).get_data(as_text=True)
    assert "Withdrawn on" in page
    assert client.get("/d/no-such-declaration").status_code == 404
