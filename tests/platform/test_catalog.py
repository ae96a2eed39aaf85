"""Sites and products: rules across fields, versions, audit, and what a failed save keeps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from footprint_platform.errors import Conflict, InvalidInput, NotAllowed
from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, Product, Site
from footprint_platform.services.catalogue import catalog
from tests.platform.demo_ids import LITHIUM, PACK, admin_actor, org_id

pytestmark = pytest.mark.postgres


@pytest.fixture
def ctx(demo_app: Flask) -> Any:
    with demo_app.app_context():
        yield {"actor": admin_actor("admin@huadong-pack.example"), "pack": org_id(PACK)}


def _site(ctx: Any, **kw: Any) -> Site:
    data = {"name": "Suzhou plant", "country": "CN", "province": "JS", "city": "Suzhou", **kw}
    return catalog.create_site(db.session, ctx["actor"], ctx["pack"], data)


def _pack(ctx: Any, site: Site, **kw: Any) -> dict[str, Any]:
    return {
        "site_id": site.id,
        "part_number": "HD-NEW-1",
        "name_en": "New pack",
        "category": "battery_pack",
        "declared_unit": "kWh",
        "chemistry": "LFP",
        "capacity_kwh": Decimal("55.5"),
        "mass_kg": Decimal("380"),
        **kw,
    }


def test_a_chinese_site_takes_the_grid_of_its_province(ctx: Any) -> None:
    assert _site(ctx).grid_region == "CN-E"
    assert _site(ctx, name="Chengdu", province="SC").grid_region == "CN-SW"


def test_inner_mongolia_may_choose_the_northeast_grid_but_not_another(ctx: Any) -> None:
    assert _site(ctx, province="NM", grid_region="CN-NE").grid_region == "CN-NE"
    with pytest.raises(InvalidInput) as err:
        _site(ctx, name="Other", province="NM", grid_region="CN-S")
    assert "grid_region" in err.value.errors


def test_a_chinese_site_needs_its_province(ctx: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        _site(ctx, province=None)
    assert set(err.value.errors) == {"province"}


def test_a_site_abroad_uses_its_country_as_grid_region(ctx: Any) -> None:
    assert _site(ctx, name="Debrecen", country="HU", province=None).grid_region == "HU"


def test_moving_a_site_derives_the_grid_again(ctx: Any) -> None:
    site = _site(ctx)
    moved = catalog.update_site(db.session, ctx["actor"], site.id, {"province": "GD"})
    assert moved.grid_region == "CN-S"


def test_battery_products_need_chemistry_capacity_and_mass(ctx: Any) -> None:
    site = _site(ctx)
    with pytest.raises(InvalidInput) as err:
        catalog.create_product(
            db.session,
            ctx["actor"],
            ctx["pack"],
            _pack(ctx, site, chemistry=None, capacity_kwh=None, mass_kg=None),
        )
    assert set(err.value.errors) == {"chemistry", "capacity_kwh", "mass_kg"}


def test_the_declared_unit_must_suit_the_category(ctx: Any) -> None:
    site = _site(ctx)
    with pytest.raises(InvalidInput) as err:
        catalog.create_product(
            db.session, ctx["actor"], ctx["pack"], _pack(ctx, site, declared_unit="m^2")
        )
    assert "kWh" in err.value.errors["declared_unit"][0]


def test_a_product_must_be_made_at_one_of_the_organizations_sites(ctx: Any) -> None:
    foreign = db.session.scalar(select(Site).where(Site.organization_id == org_id(LITHIUM)))
    before = db.session.scalar(select(func.count()).select_from(Product))
    with pytest.raises(InvalidInput) as err:
        catalog.create_product(db.session, ctx["actor"], ctx["pack"], _pack(ctx, foreign))
    assert "site_id" in err.value.errors
    assert db.session.scalar(select(func.count()).select_from(Product)) == before


def test_part_numbers_are_unique_within_an_organization(ctx: Any) -> None:
    site = _site(ctx)
    catalog.create_product(db.session, ctx["actor"], ctx["pack"], _pack(ctx, site))
    with pytest.raises(InvalidInput) as err:
        catalog.create_product(db.session, ctx["actor"], ctx["pack"], _pack(ctx, site))
    assert "part_number" in err.value.errors


def test_an_edit_based_on_an_old_version_is_refused(ctx: Any) -> None:
    site = _site(ctx)
    product = catalog.create_product(db.session, ctx["actor"], ctx["pack"], _pack(ctx, site))
    catalog.update_product(
        db.session, ctx["actor"], product.id, {"name_en": "First edit", "version": 1}
    )
    with pytest.raises(Conflict):
        catalog.update_product(
            db.session, ctx["actor"], product.id, {"name_en": "Stale edit", "version": 1}
        )
    assert db.session.get(Product, product.id).name_en == "First edit"


def test_changes_are_audited_with_what_changed(ctx: Any) -> None:
    site = _site(ctx)
    product = catalog.create_product(db.session, ctx["actor"], ctx["pack"], _pack(ctx, site))
    catalog.update_product(db.session, ctx["actor"], product.id, {"name_en": "Renamed"})
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "product.update")
    ).one()
    assert event.details == {"name_en": "Renamed"}
    assert event.actor_user_id == ctx["actor"].user_id
    assert event.organization_id == ctx["pack"]


def test_another_organization_cannot_edit_our_product(ctx: Any) -> None:
    product = db.session.scalar(select(Product).where(Product.organization_id == ctx["pack"]))
    outsider = admin_actor("data@lanhu-lithium.example")
    with pytest.raises(NotAllowed):
        catalog.update_product(db.session, outsider, product.id, {"name_en": "Hijacked"})


def test_an_editor_may_add_products_but_a_viewer_may_not(demo_app: Flask) -> None:
    with demo_app.app_context():
        cells = org_id("Dongtai Power Cells")
        editor = admin_actor("engineer@dongtai-cells.example")
        site = db.session.scalar(select(Site).where(Site.organization_id == cells))
        data = {
            "site_id": site.id,
            "part_number": "DT-NEW",
            "name_en": "New cell",
            "category": "battery_cell",
            "declared_unit": "kWh",
            "chemistry": "NMC811",
            "capacity_kwh": Decimal("0.5"),
            "mass_kg": Decimal("2"),
        }
        assert catalog.create_product(db.session, editor, cells, data).id
        viewer = admin_actor("analyst@huadong-pack.example")
        with pytest.raises(NotAllowed):
            catalog.create_product(db.session, viewer, org_id(PACK), data)


def test_web_form_shows_each_invalid_field_in_chinese(demo_app: Flask) -> None:
    from tests.conftest import Session

    session = Session(demo_app.test_client())
    session.login("admin@huadong-pack.example")
    with demo_app.app_context():
        pack = org_id(PACK)
    response = session.post(
        f"/orgs/{pack}/products/new",
        {"part_number": "bad part!", "name_en": "", "category": "nope"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("part_number", "name_en", "category", "declared_unit", "site_id"):
        assert f'id="{field}-error"' in html, field
    assert "必填" in html


def test_administrators_read_their_audit_trail_but_not_others(demo_app: Flask) -> None:
    from tests.conftest import Session

    session = Session(demo_app.test_client())
    session.login("admin@huadong-pack.example")
    with demo_app.app_context():
        pack, lithium = org_id(PACK), org_id(LITHIUM)
    session.post(f"/orgs/{pack}/tokens", {"name": "audit-me", "scope": "read"})
    page = session.client.get(f"/orgs/{pack}/audit").get_data(as_text=True)
    assert "token.create" in page and "audit-me" in page
    assert session.client.get(f"/orgs/{lithium}/audit").status_code == 403
