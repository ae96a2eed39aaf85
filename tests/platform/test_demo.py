"""The demo supply chain and the set-up commands `make run` uses."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from footprint_platform.demo import demo_logins, read_demo
from footprint_platform.demo_submissions import DEMO_FILE
from footprint_platform.extensions import db
from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    Organization,
    OrgRole,
    Product,
    Site,
    Submission,
    SubmissionStatus,
    User,
)
from footprint_platform.reference import load_reference


def read_submissions() -> dict[str, Any]:
    return tomllib.loads(DEMO_FILE.read_text("utf-8"))


def _counts() -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Organization, User, Site, Product)
    )


def test_demo_load_fills_an_empty_database_once(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert "loaded" in first.output
    with app.app_context():
        after_first = _counts()
    second = runner.invoke(args=["demo", "load"])
    assert "nothing changed" in second.output
    with app.app_context():
        assert _counts() == after_first
        assert after_first[0] == len(read_demo()["org"])


def test_demo_chain_covers_every_tier_and_role(demo_app: Flask) -> None:
    with demo_app.app_context():
        categories = set(db.session.scalars(select(Product.category)))
        roles = {r for o in db.session.scalars(select(Organization)) for r in o.roles}
        countries = set(db.session.scalars(select(Site.country)))
        provinces = set(db.session.scalars(select(Site.province).where(Site.country == "CN")))
        chemistries = set(
            db.session.scalars(select(Product.chemistry).where(Product.category == "battery_cell"))
        )
    assert {
        "lithium_carbonate",
        "nickel_sulfate",
        "cobalt_sulfate",
        "precursor_ncm",
        "cathode_ncm",
        "cathode_lfp",
        "anode_graphite",
        "electrolyte",
        "separator",
        "aluminium_foil",
        "copper_foil",
        "battery_cell",
        "battery_pack",
        "vehicle_bev",
    } <= categories
    assert roles == set(OrgRole)
    assert len(countries - {"CN"}) >= 2 and len(provinces) >= 8
    assert {"NMC811", "LFP"} <= chemistries


def test_demo_data_obeys_the_product_rules(demo_app: Flask) -> None:
    ref = load_reference()
    with demo_app.app_context():
        for product in db.session.scalars(select(Product)):
            category = ref.categories[product.category]
            assert product.declared_unit in category.units, product.part_number
            if category.is_battery:
                assert product.capacity_kwh and product.mass_kg and product.chemistry


def test_every_demo_login_works(demo_app: Flask) -> None:
    from tests.conftest import Session

    for _org, _role, email, password in demo_logins():
        session = Session(demo_app.test_client())
        assert session.login(email, password).status_code == 302, email


def test_logins_command_prints_every_account(app: Flask) -> None:
    output = app.test_cli_runner().invoke(args=["demo", "logins"]).output
    assert all(email in output for _o, _r, email, _p in demo_logins())
    assert "127.0.0.1:5000" in output


@pytest.mark.postgres
def test_demo_load_works_when_every_recompute_goes_to_the_queue(app: Flask, redis_url: str) -> None:
    """With ROLLUP_INLINE_MAX_PRODUCTS = 0 and Redis, every submission's recompute is queued;
    the demo's declarations need them, so the loader runs them itself, and loads whole."""
    from footprint_platform.models import Declaration, RollupJob
    from tests.platform.test_durability import stale_declarations

    app.config.update(REDIS_URL=redis_url, ROLLUP_INLINE_MAX_PRODUCTS=0)
    try:
        out = app.test_cli_runner().invoke(args=["demo", "load"])
        assert out.exit_code == 0 and "loaded" in out.output, out.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Declaration)) >= 5
            assert set(db.session.scalars(select(RollupJob.status))) == {"done"}
            assert stale_declarations(db.session) == []
    finally:
        app.config.update(REDIS_URL=None, ROLLUP_INLINE_MAX_PRODUCTS=2000)


def test_the_demo_has_a_second_period_under_way_that_leaves_2025_as_declared(app: Flask) -> None:
    """`flask demo load` also enters 2026: the makers the file names have reported (a new
    version from their 2025 data), the others not yet; the 2025 declarations stay the
    published first versions and recompute from their pins; nothing of 2026 is declared."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    later = read_submissions()["second_period"]
    with app.app_context():
        reported = set(
            db.session.scalars(
                select(Product.part_number)
                .join(Submission, Submission.product_id == Product.id)
                .where(
                    Submission.period_start == date.fromisoformat(later["period"][0]),
                    Submission.status == SubmissionStatus.SUBMITTED,
                )
            )
        )
        assert reported == {s["product"] for s in later["submission"]}
        assert reported < {s["product"] for s in read_submissions()["submission"]}
        declared = db.session.scalars(select(Declaration)).all()
        assert {d.period_start.year for d in declared} == {2025}
        assert {(d.version, d.status) for d in declared} == {(1, DeclarationStatus.PUBLISHED)}
    verified = runner.invoke(args=["declarations", "verify"])
    assert "5 declarations checked, 0 differ." in verified.output


def test_the_demo_publishes_2026_1_through_the_operators_service_and_2025_keeps_its_numbers(
    app: Flask,
) -> None:
    """`flask demo load` publishes 2025.1 (the seed) and then 2026.1 through the operator's
    release service (audited with its diff against 2025.1); the 2025 submissions and
    declarations stay pinned to 2025.1 with their published numbers (NCM811 pack 125.42 kg
    CO2e/kWh, SUV 17,011.86 kg CO2e: the 2024 grid factor for a 2025 period and the recycler's
    scrap entered burden-free), the 2026 versions are on 2026.1, and there a burnt
    fuel carries its rule's well-to-tank upstream: the cathode's 0.46 m³ of natural gas adds
    0.46 × 0.3366 kg CO2e (fuel.natural_gas.upstream.gb) that 2025.1 did not add."""
    from footprint_platform.models import AuditEvent, FactorRelease
    from footprint_platform.services.graph.rows import input_rows_for

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        releases = {r.version: r for r in db.session.scalars(select(FactorRelease))}
        assert set(releases) == {"2025.1", "2026.1"}
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "factors.publish")
        ).all()[-1]
        assert event.details["version"] == "2026.1" and event.details["previous"] == "2025.1"
        assert event.details["changed"] == [] and event.details["removed"] == []
        assert "fuel.diesel.upstream.gb.per_gj" in event.details["added"]
        subs = db.session.scalars(
            select(Submission).where(Submission.status == SubmissionStatus.SUBMITTED)
        ).all()
        by_year = {(s.period_start.year, s.factor_release_id) for s in subs}
        assert by_year == {(2025, releases["2025.1"].id), (2026, releases["2026.1"].id)}
        totals = {
            d.product.part_number: d.total
            for d in db.session.scalars(select(Declaration))
            if d.product.part_number in ("HD-PK-811-78", "JH-S7-LR")
        }
        assert round(totals["HD-PK-811-78"], 2) == Decimal("125.42")
        assert round(totals["JH-S7-LR"], 2) == Decimal("17011.86")

        def rows(part: str, year: int) -> list[Any]:
            sub = db.session.scalar(
                select(Submission)
                .join(Product, Product.id == Submission.product_id)
                .where(
                    Product.part_number == part,
                    Submission.period_start == date(year, 1, 1),
                    Submission.status == SubmissionStatus.SUBMITTED,
                )
            )
            return input_rows_for(db.session, [sub.id])

        added = [r for r in rows("MJ-NCM811-S", 2026) if r[6] == "fuel.natural_gas.upstream.gb"]
        assert [(r[3], r[4], r[5], r[12], r[13]) for r in added] == [
            ("raw_material", 0.46, "m^3", "m^3", pytest.approx(0.3366))
        ]
        assert not [r for r in rows("MJ-NCM811-S", 2025) if "upstream" in str(r[6])]
        # the spodumene concentrate entered its diesel supply itself: one row, never two
        spodumene = [r for r in rows("LH-SPD-6", 2025) if r[6] == "fuel.diesel.upstream.gb"]
        assert len(spodumene) == 1
    verified = runner.invoke(args=["declarations", "verify"])
    assert "5 declarations checked, 0 differ." in verified.output
