"""The demo supply chain and the set-up commands `make run` uses."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from footprint_platform.demo import demo_logins, read_demo
from footprint_platform.extensions import db
from footprint_platform.models import Organization, OrgRole, Product, Site, User
from footprint_platform.reference import load_reference


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
