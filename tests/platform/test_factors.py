"""The factor database: the sourced seed release, publishing new releases, diffs."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from footprint_platform.errors import NotAllowed, UploadRejected
from footprint_platform.extensions import db
from footprint_platform.models import EmissionFactor, FactorRelease
from footprint_platform.services.catalogue import factors
from tests.platform.demo_ids import admin_actor

pytestmark = pytest.mark.postgres
OPERATOR = "operator@tanlian.example"


def _seed_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(factors.SEED_FILE.open(encoding="utf-8")))


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=factors.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_every_seed_factor_cites_a_source_and_licence() -> None:
    rows = _seed_rows()
    assert len(rows) >= 80
    for row in rows:
        assert len(row["source"]) > 20 and row["licence"], row["code"]


def test_the_seed_names_and_sources_read_as_reviewed_text() -> None:
    """Names and sources reach every signed-in user and the public methodology page: a source is
    a publication, not one of our files; an open question is stated, not left as a reminder."""
    notes = ("shared/", ".csv", " - check", "grid grid", "config/", "TODO")
    for row in _seed_rows():
        text = " ".join((row["name_en"], row["name_zh"], row["source"], row["licence"]))
        assert [n for n in notes if n in text] == [], row["code"]


def test_the_seed_keeps_the_two_chinese_electricity_series_apart() -> None:
    """Carbon-footprint factors are CO2e (life cycle); emission factors CO2 only (scope 2)."""
    electricity = [r for r in _seed_rows() if r["category"] == "electricity"]
    assert {r["series"] for r in electricity} == {"carbon_footprint", "co2_emission"}
    for r in electricity:
        assert r["gas_basis"] == ("CO2e" if r["series"] == "carbon_footprint" else "CO2")
    national_2023 = next(r for r in electricity if r["code"] == "elec.cn.cfp.2023")
    assert national_2023["value"] == "0.6205"  # MEE/NBS/NEA announcement 2025 No. 3


def test_the_demo_database_holds_the_seed_release(demo_app: Flask) -> None:
    with demo_app.app_context():
        release = factors.latest_release(db.session)
        assert release.version == factors.SEED_VERSION
        assert len(release.factors) == len(_seed_rows())


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({"unit": "kgg"}, "unit", "not a unit"),
        ({"value": "-1"}, "value", ">= 0"),
        ({"value": "abc"}, "value", ">= 0"),
        ({"category": "magic"}, "category", "one of"),
        ({"series": "co2_emission", "category": "fuel"}, "series", "one of"),
        ({"source": ""}, "source", "required"),
        ({"range_high": "0.1"}, "value", "outside"),
        ({"gas_basis": "CO2", "name_en": "Wind power electricity, life cycle"}, "name_en", "CO2"),
        # longer than its stored column: a row problem, never a database error at publication
        ({"licence": "x" * 201}, "licence", "at most 200 characters"),
        ({"name_zh": "因" * 201}, "name_zh", "at most 200 characters"),
    ],
)
def test_a_bad_row_is_named_by_row_column_and_reason(
    change: dict[str, str], column: str, reason: str
) -> None:
    rows = _seed_rows()
    rows[4] = {**rows[4], **change}
    with pytest.raises(UploadRejected) as err:
        factors.read_release(_csv(rows))
    problem = next(p for p in err.value.problems if p.column == column)
    assert problem.row == 6  # header is row 1, data row index 4 is row 6
    assert reason in problem.reason


def test_duplicate_codes_and_missing_columns_are_refused() -> None:
    rows = _seed_rows()
    rows.append(dict(rows[0]))
    with pytest.raises(UploadRejected, match="correct") as err:
        factors.read_release(_csv(rows))
    assert any("duplicate of row 2" in p.reason for p in err.value.problems)
    with pytest.raises(UploadRejected) as err:
        factors.read_release(b"code,value\nx,1\n")
    assert {p.column for p in err.value.problems} >= {"unit", "source"}


def test_the_operator_publishes_a_release_and_the_old_one_stays(demo_app: Flask) -> None:
    rows = _seed_rows()
    rows[0] = {**rows[0], "value": "0.6"}
    rows = rows[:-1]
    with demo_app.app_context():
        old = factors.latest_release(db.session)
        diff = factors.diff_release(db.session, old, factors.read_release(_csv(rows)))
        assert [code for code, _ in diff.changed] == [rows[0]["code"]]
        assert len(diff.removed) == 1 and diff.added == []
        new = factors.publish_release(
            db.session, admin_actor(OPERATOR), "2026.1", "Update", _csv(rows)
        )
        assert new.previous_id == old.id
        assert factors.latest_release(db.session).id == new.id
        assert len(factors.factor_by_code(db.session, old.id)) == len(_seed_rows())


def test_only_the_operator_publishes_and_a_rejected_release_writes_nothing(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        before = db.session.scalar(select(func.count()).select_from(EmissionFactor))
        with pytest.raises(NotAllowed):
            factors.publish_release(
                db.session,
                admin_actor("admin@huadong-pack.example"),
                "2026.1",
                "x",
                factors.SEED_FILE.read_bytes(),
            )
        bad = _seed_rows()
        bad[3]["unit"] = "bananas"
        with pytest.raises(UploadRejected):
            factors.publish_release(db.session, admin_actor(OPERATOR), "2026.2", "x", _csv(bad))
        assert db.session.scalar(select(func.count()).select_from(EmissionFactor)) == before
        assert db.session.scalar(select(func.count()).select_from(FactorRelease)) == 1


def test_publishing_through_the_page_previews_then_publishes(demo_app: Flask) -> None:
    from tests.conftest import Session

    session = Session(demo_app.test_client())
    session.login(OPERATOR)
    data = factors.SEED_FILE.read_bytes().replace(b",0.6205,", b",0.6100,", 1)
    preview = session.post(
        "/operator/factors",
        {"file": (io.BytesIO(data), "r.csv"), "version": "2026.1"},
        content_type="multipart/form-data",
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "elec.cn.cfp.2023" in html and "0.61" in html
    payload = html.split('name="payload" value="', 1)[1].split('"', 1)[0]
    done = session.post(
        "/operator/factors",
        {
            "payload": payload,
            "confirm": "1",
            "version": "2026.1",
            "title": "Update",
            "confirmed": "1",
        },
    )
    assert done.status_code == 302
    with demo_app.app_context():
        assert factors.latest_release(db.session).version == "2026.1"


NEXT = factors.CONFIG_DIR / "factors" / "seed-2026.1.csv"


def test_release_2026_1_is_2025_1_unchanged_plus_appended_rows() -> None:
    """A release never changes a code's meaning: 2026.1 begins with 2025.1 byte for byte and
    only adds rows, each citing its publication and licence, each passing the loader."""
    before, after = factors.SEED_FILE.read_bytes(), NEXT.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    rows = factors.read_release(after)
    added = rows[len(factors.read_release(before)) :]
    assert added
    for row in added:
        assert len(row["source"]) > 40 and row["licence"], row["code"]
        text = " ".join((row["name_en"], row["name_zh"], row["source"], row["licence"]))
        assert [n for n in ("shared/", "config/", "TODO", "/work") if n in text] == []


def test_every_rule_fuel_pair_resolves_in_2026_1_as_combustion_plus_its_upstream() -> None:
    """Each pair a rule states names a combustion-only row and a well-to-tank upstream row of
    the same fuel, both in release 2026.1, in the same unit dimension (the engine multiplies
    the combustion row's quantity by both), the upstream a life-cycle CO2e row."""
    from footprint_platform.rules import load_rules
    from supply_graph.units import conversion_factor

    rows = {r["code"]: r for r in factors.read_release(NEXT.read_bytes())}
    for rule in load_rules().values():
        pairing = rule.fuel_upstream
        assert pairing is not None and pairing.applies("2026.1") and not pairing.applies("2025.1")
        for combustion, upstream in pairing.pairs.items():
            c, u = rows[combustion], rows[upstream]
            assert c["series"] == "combustion" and u["series"] == "life_cycle", combustion
            assert (c["gas_basis"], u["gas_basis"]) == ("CO2", "CO2e"), combustion
            assert conversion_factor(c["unit"], u["unit"]) == 1.0, combustion


def test_the_per_gj_upstream_is_the_per_kg_upstream_over_the_ipcc_ncv() -> None:
    """The derived rows reproduce from the two rows they cite: diesel's 0.752 kg CO2e/kg
    (DESNZ 2025 WTT, 752.0276 kg/t) over 43.0 GJ/t (IPCC 2006 NCV) = 17.489 kg CO2e/GJ."""
    rows = {r["code"]: r for r in factors.read_release(NEXT.read_bytes())}
    assert float(rows["fuel.diesel.upstream.gb.per_gj"]["value"]) == pytest.approx(
        752.0276 / 43.0, abs=5e-5
    )
    assert float(rows["fuel.lpg.upstream.gb.per_gj"]["value"]) == pytest.approx(
        349.29282 / 47.3, abs=5e-5
    )
