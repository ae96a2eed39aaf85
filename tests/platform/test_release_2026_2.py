"""Factor release 2026.2: release 2026.1 (pinned by the demo's 2026 submissions) unchanged, with
rows appended, each citing a publication a verifier can look up, published through the
operator's release service with a diff that only adds."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import EmissionFactor
from footprint_platform.services.catalogue import citations, factors
from tests.platform.release_files import added_rows, assert_appended, publish_in_turn

pytestmark = pytest.mark.postgres

FACTORS = factors.CONFIG_DIR / "factors"
PREVIOUS = FACTORS / "seed-2026.1.csv"
RELEASE = FACTORS / "seed-2026.2.csv"


def _added() -> list[dict[str, object]]:
    return added_rows(PREVIOUS, RELEASE)


def test_2026_2_is_2026_1_byte_for_byte_plus_rows_that_pass_the_loader() -> None:
    """A published release never changes: 2026.2 begins with 2026.1 byte for byte, and the
    loader (the same checks as the upload page) accepts the whole file."""
    assert_appended(PREVIOUS, RELEASE)


def test_every_row_added_in_2026_2_has_a_complete_reviewed_citation() -> None:
    """Each new row names its reference year, geography and GWP basis, and its source matches a
    reviewed citation with publisher, title, table or section, year and a DOI link: the public
    release page prints it, never "under review"."""
    for row in _added():
        code = row["code"]
        source = str(row["source"])
        cited = citations.citation_for(source)
        assert cited is not None, code
        assert all((cited.publisher, cited.title, cited.table, cited.year)), code
        assert cited.url.startswith("https://doi.org/"), code
        assert cited.url.removeprefix("https://doi.org/") in source, code  # the same DOI
        assert str(cited.year) in source and row["licence"], code
        assert row["geography"] and row["reference_year"], code
        assert row["gas_basis"] == "CO2e" and row["gwp"] in (None, "AR5", "AR6"), code
        if row["gwp"] is None:  # a basis not stated by the source is said so, never assumed
            assert "GWP set not stated" in source, code
        text = " ".join(str(row[c]) for c in ("name_en", "name_zh", "source", "licence"))
        assert [n for n in ("shared/", "config/", "TODO", "/work", ".csv") if n in text] == []


def test_the_nickel_rows_are_per_kg_of_contained_nickel_as_the_study_states() -> None:
    """The study gives each product per t of alloy and per t of contained nickel; the rows take
    the second, say so in their names, and restate both figures in their source."""
    rows = {str(r["code"]): r for r in _added()}
    expected = {
        "mat.nickel.class1_metal.process_model": ("14", "14 t CO2e"),
        "mat.nickel.ferronickel.process_model": ("18", "6 kg CO2e per kg of alloy"),
        "mat.nickel.pig_iron.process_model": ("69", "7 kg CO2e per kg of alloy"),
    }
    assert set(expected) <= set(rows)
    for code, (value, stated) in expected.items():
        row = rows[code]
        assert str(row["value"]) == value and stated in str(row["source"]), code
        assert "nickel" in str(row["name_en"]).split("per kg of ")[1], code
        assert "not an Indonesian dataset" in str(row["source"]), code


def test_the_operator_publishes_2026_2_after_2026_1_and_the_diff_only_adds(
    demo_app: Flask,
) -> None:
    """Through the release service: 2026.1 then 2026.2; the audited diff of 2026.2 names the
    appended codes as added and nothing as changed or removed, and the stored factors equal
    the file's."""
    with demo_app.app_context():
        release = publish_in_turn([("2026.1", PREVIOUS), ("2026.2", RELEASE)])
        stored = db.session.scalars(
            select(EmissionFactor.code).where(EmissionFactor.release_id == release.id)
        ).all()
        assert len(stored) == len(factors.read_release(RELEASE.read_bytes()))
