"""Factor release 2026.3: release 2026.2 unchanged, with rows appended from Argonne's EverBatt 2023
model (GREET 2022 background data), each citing the workbook's sheet, table, row and column and
restating how its value was computed; published by the operator's release service after 2026.1
and 2026.2 with a diff that only adds. The demo does not publish it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import demo_submissions
from footprint_platform.extensions import db
from footprint_platform.models import EmissionFactor, FactorRelease
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.services.catalogue import citations, factors
from tests.platform.release_files import added_rows, assert_appended, publish_in_turn

pytestmark = pytest.mark.postgres

FACTORS = CONFIG_DIR / "factors"
FIRST = FACTORS / "seed-2026.1.csv"
PREVIOUS = FACTORS / "seed-2026.2.csv"
RELEASE = FACTORS / "seed-2026.3.csv"

# The workbook's column of each row in sheet 'GREET IO', table '4. Materials (per ton of
# materials)' (the material's name in row 77), as the source text names it.
COLUMNS = {
    "mat.cathode_ncm.nmc811.greet2022": ("AV", "NMC(811)"),
    "mat.cathode_ncm.nmc622.greet2022": ("AU", "NMC(622)"),
    "mat.cathode_ncm.nmc532.greet2022": ("AX", "NMC(532)"),
    "mat.cathode_ncm.nmc111.greet2022": ("J", "NMC(111)"),
    "mat.cathode_nca.greet2022": ("V", "NCA"),
    "mat.cathode_lfp.greet2022": ("X", "LFP"),
    "mat.manganese_sulfate.greet2022": ("AD", "Manganese Sulfate"),
    "mat.lipf6.greet2022": ("O", "Electrolyte: LiPF6"),
    "mat.solvent.ec.greet2022": ("P", "Electrolyte: EC"),
    "mat.solvent.dmc.greet2022": ("Q", "Electrolyte: DMC"),
    "mat.solvent.nmp.greet2022": ("H", "NMP"),
    "mat.sodium_hydroxide.greet2022": ("AF", "Sodium Hydroxide"),
    "mat.sulfuric_acid.greet2022": ("AE", "Sulfuric Acid"),
    "mat.sodium_carbonate.greet2022": ("E", "Soda Ash"),
}


def _added() -> list[dict[str, object]]:
    return added_rows(PREVIOUS, RELEASE)


def test_2026_3_is_2026_2_byte_for_byte_plus_rows_that_pass_the_loader() -> None:
    """A published release never changes: 2026.3 begins with 2026.2 byte for byte, and the
    loader (the same checks as the upload page) accepts the whole file."""
    added = assert_appended(PREVIOUS, RELEASE)
    assert sorted(str(r["code"]) for r in added) == sorted(COLUMNS)


def test_every_row_added_in_2026_3_has_a_complete_reviewed_citation() -> None:
    """Each new row names its reference year, geography and GWP basis, and its source matches a
    reviewed citation with publisher, title, table and year: the public release page prints it,
    never "under review". The model states no DOI or landing page, so none is given. The text
    stands alone: it cites the publication, not where a copy of it was found."""
    for row in _added():
        code = row["code"]
        source = str(row["source"])
        cited = citations.citation_for(source)
        assert cited is not None, code
        assert all((cited.publisher, cited.title, cited.table, cited.year)), code
        assert cited.url == "" or cited.url.startswith("https://doi.org/"), code
        assert str(cited.year) in source and row["licence"], code
        assert "UChicago Argonne" in str(row["licence"]), code
        assert row["geography"] == "US" and row["reference_year"] == 2022, code
        assert row["gas_basis"] == "CO2e" and row["gwp"] == "AR6", code
        assert "'AR6/GWP'" in source and "CH4 x 29.8 + N2O x 273" in source, code
        assert "[reference_year: not stated by the source;" in source, code
        assert row["range_low"] is None and row["range_high"] is None, code  # no source gives one
        text = " ".join(str(row[c]) for c in ("name_en", "name_zh", "source", "licence"))
        assert "GREET 2022 via EverBatt 2023, US-based background" in str(row["name_en"]), code
        assert "not a Chinese dataset" in source, code
        forbidden = ("shared/", "config/", "TODO", "/work", ".csv", "github", "http")
        assert [n for n in forbidden if n.lower() in text.lower()] == [], code


def test_each_value_is_the_cited_cell_over_907_2_and_1000() -> None:
    """The source restates the cell (grams of CO2e per short ton) and its column; the value is
    that number / 907.2 (the model's own short-ton conversion) / 1000, to 4 significant digits."""
    for row in _added():
        code = str(row["code"])
        source = str(row["source"])
        column, name = COLUMNS[code]
        found = re.search(
            rf"row 'GHGs', column {column} \('{re.escape(name)}'\): ([\d.]+) g CO2e per short ton",
            source,
        )
        assert found, code
        kg = Decimal(found.group(1)) / Decimal("907.2") / 1000
        value = row["value"]
        assert isinstance(value, Decimal), code
        assert len(value.normalize().as_tuple().digits) <= 4, code
        assert abs(kg - value) <= Decimal(5).scaleb(kg.adjusted() - 4), code
        assert f"{found.group(1)} / 907.2" in source and "/ 1000" in source, code


def test_the_rows_the_model_averages_or_uses_for_other_products_are_not_taken() -> None:
    """EverBatt's own average of the solvents, metallurgical coke (not needle coke), the copper
    and aluminium metals (not foils) and iron sulfate (a by-product at zero) are not rows."""
    sources = " ".join(str(r["source"]) for r in _added())
    for name in ("Electrolyte: solvents", "'Coke'", "'Copper'", "'Aluminum'", "'Iron Sulfate'"):
        assert name not in sources, name


def test_the_demo_does_not_publish_2026_3() -> None:
    """The demo's 2025 and 2026 submissions stay pinned to 2025.1 and 2026.1."""
    assert demo_submissions.NEXT_RELEASE[0] == "2026.1"


def test_the_operator_publishes_2026_3_after_2026_2_and_the_diff_only_adds(
    demo_app: Flask,
) -> None:
    """Through the release service: 2026.1, 2026.2 then 2026.3; the audited diff of 2026.3 names
    the appended codes as added and nothing as changed or removed, and the stored factors equal
    the file's."""
    with demo_app.app_context():
        versions = db.session.scalars(select(FactorRelease.version)).all()
        assert "2026.3" not in versions
        release = publish_in_turn([("2026.1", FIRST), ("2026.2", PREVIOUS), ("2026.3", RELEASE)])
        stored = db.session.scalars(
            select(EmissionFactor).where(EmissionFactor.release_id == release.id)
        ).all()
        assert len(stored) == len(factors.read_release(RELEASE.read_bytes()))
        by_code = {f.code: f for f in stored}
        assert by_code["mat.cathode_ncm.nmc811.greet2022"].value == Decimal("25.49")
        assert by_code["mat.cathode_lfp.greet2022"].geography == "US"
