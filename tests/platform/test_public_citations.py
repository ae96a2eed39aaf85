"""The public factor-release page shows reviewed citations only (publisher, title, table,
year, URL): never the operator's working notes in a factor's `source` text, nor the release's
internal title. Signed-in users still see the full source text in the factor browser."""

from __future__ import annotations

import csv

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import EmissionFactor, FactorRelease
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.services.catalogue import citations
from tests.conftest import Session

# Phrases of working notes found in the seed releases' source texts.
NOTES = ("value as read", "as read in", "computed here", "check", "Seed release", "config/")


def test_every_seed_source_has_a_reviewed_citation() -> None:
    """A release shipped with the platform leaves nothing "under review" on its public page."""
    for name in ("seed-2025.1.csv", "seed-2026.1.csv", "seed-2026.2.csv", "seed-2026.3.csv"):
        with (CONFIG_DIR / "factors" / name).open(encoding="utf-8") as f:
            missing = {
                r["source"][:60]
                for r in csv.DictReader(f)
                if not citations.citation_for(r["source"])
            }
        assert missing == set(), name


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_public_release_page_shows_citations_not_notes(demo_app: Flask, lang: str) -> None:
    with demo_app.app_context():
        version = db.session.scalar(select(FactorRelease.version).order_by(FactorRelease.id))
        release_id = db.session.scalar(
            select(FactorRelease.id).where(FactorRelease.version == version)
        )
        n_factors = len(
            db.session.scalars(
                select(EmissionFactor.id).where(EmissionFactor.release_id == release_id)
            ).all()
        )
    page = demo_app.test_client().get(
        f"/methodology/factors/{version}", headers={"Accept-Language": lang}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for note in NOTES:
        assert note not in html, note
    assert "IPCC" in html and "Table 1.4" in html and "2006" in html
    assert 'href="https://doi.org/10.3390/pr10112299"' in html
    assert 'id="under-review"' not in html
    counts = [int(n) for n in __import__("re").findall(r'<td class="num">(\d+)</td>', html)]
    assert sum(counts) == n_factors  # every factor counted once under its citation
    assert ("发布机构" in html) == (lang == "zh-CN")


def test_an_unreviewed_source_is_counted_never_printed(demo_app: Flask) -> None:
    with demo_app.app_context():
        factor = db.session.scalars(select(EmissionFactor).order_by(EmissionFactor.id)).first()
        factor.source = "Some new table - value as typed by the operator, check later"
        version = factor.release.version
        db.session.commit()
    html = demo_app.test_client().get(f"/methodology/factors/{version}").get_data(as_text=True)
    assert "value as typed" not in html and "check later" not in html
    assert 'id="under-review"' in html


def test_signed_in_users_still_read_the_full_source(demo_app: Flask, auth: Session) -> None:
    from markupsafe import escape

    with demo_app.app_context():
        source = db.session.scalars(
            select(EmissionFactor.source).where(EmissionFactor.code == "fuel.diesel.combustion")
        ).first()
    auth.login("data@jiangnan-foil.example")
    html = auth.client.get("/factors?q=fuel.diesel.combustion").get_data(as_text=True)
    assert str(escape(source)) in html
