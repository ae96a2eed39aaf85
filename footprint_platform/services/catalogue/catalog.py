"""Organizations, sites and products: the catalogue of who makes what, where."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from footprint_platform import battery_code
from footprint_platform.errors import Conflict, InvalidInput, NotFound
from footprint_platform.models import Organization, OrganizationRole, OrgRole, Product, Site
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.queries import product_text_matches
from footprint_platform.reference import load_reference
from footprint_platform.rules import load_rules
from footprint_platform.services.catalogue import audit, records


def _check_version(obj: Any, expected: int | None) -> None:
    """Optimistic concurrency: an edit based on an old version is refused, never merged."""
    if expected is not None and expected != obj.version:
        raise Conflict(
            str(
                _l(
                    "Someone changed this record after you opened it; reload and "
                    "apply your change again."
                )
            )
        )


def _apply(obj: Any, data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    changes = {f: data[f] for f in fields if f in data and getattr(obj, f) != data[f]}
    for f, v in changes.items():
        setattr(obj, f, v)
    return {k: str(v) if v is not None else None for k, v in changes.items()}


# -- organizations ---------------------------------------------------------------------------

ORG_FIELDS = ("name_en", "name_zh", "website", "credit_code", "bpnl")


def get_organization(session: Session, organization_id: int) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound(str(_l("No such organization.")))
    return org


def organizations_query(q: str | None = None, role: OrgRole | None = None) -> Select[Any]:
    stmt = select(Organization).order_by(Organization.name_en)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Organization.name_en).like(like), Organization.name_zh.like(f"%{q}%"))
        )
    if role:
        stmt = stmt.where(Organization.role_rows.any(OrganizationRole.role == role))
    return stmt


def create_organization(session: Session, actor: Actor, data: dict[str, Any]) -> Organization:
    authorize(actor, Action.ADMINISTER_PLATFORM)
    _unique_org_name(session, data["name_en"], None)
    _unique_bpnl(session, data.get("bpnl"), None)
    org = Organization(country=data["country"], **{f: data.get(f) for f in ORG_FIELDS})
    org.role_rows = [OrganizationRole(role=OrgRole(r)) for r in sorted(set(data["roles"]))]
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor,
        "organization.create",
        org,
        organization_id=org.id,
        details={"name_en": org.name_en, "roles": sorted(data["roles"])},
    )
    session.commit()
    return org


def update_organization(
    session: Session, actor: Actor, organization_id: int, data: dict[str, Any]
) -> Organization:
    authorize(actor, Action.EDIT_ORGANIZATION, organization_id)
    org = get_organization(session, organization_id)
    _check_version(org, data.get("version"))
    data = {**{f: getattr(org, f) for f in ORG_FIELDS}, **data}
    _unique_org_name(session, data.get("name_en", org.name_en), org.id)
    _unique_bpnl(session, data.get("bpnl"), org.id)
    changes = _apply(org, data, ORG_FIELDS)
    if changes:
        audit.record(
            session, actor, "organization.update", org, organization_id=org.id, details=changes
        )
    session.commit()
    return org


def check_new_organization(session: Session, name_en: str) -> None:
    """A new organization's English name must be free."""
    _unique_org_name(session, name_en, None)


def _unique_bpnl(session: Session, bpnl: str | None, own_id: int | None) -> None:
    """A BPNL names one legal entity: two organizations cannot share it."""
    if not bpnl:
        return
    other = session.scalar(select(Organization.id).where(Organization.bpnl == bpnl))
    if other is not None and other != own_id:
        msg = str(_l("Another organization has this BPNL."))
        raise InvalidInput(msg, {"bpnl": [msg]})


def _unique_org_name(session: Session, name: str, own_id: int | None) -> None:
    other = session.scalar(select(Organization.id).where(Organization.name_en == name))
    if other is not None and other != own_id:
        msg = str(_l("An organization with this name exists."))
        raise InvalidInput(msg, {"name_en": [msg]})


# -- sites -----------------------------------------------------------------------------------

SITE_FIELDS = ("name", "country", "province", "city", "grid_region")


def sites_query(organization_id: int) -> Select[Any]:
    return select(Site).where(Site.organization_id == organization_id).order_by(Site.name)


def get_site(session: Session, actor: Actor, site_id: int) -> Site:
    missing = str(_l("No such site."))
    return records.record_for(session, actor, Site, site_id, Action.VIEW_SITES, missing)


def site_location(data: dict[str, Any]) -> dict[str, Any]:
    """Fill and check the grid region: a Chinese site needs a province, whose regional grid
    it uses (or the alternative grid for the provinces that have one)."""
    ref = load_reference()
    data = dict(data)
    if data["country"] == "CN":
        if not data.get("province"):
            msg = str(_l("A site in China needs its province (it decides the grid region)."))
            raise InvalidInput(msg, {"province": [msg]})
        allowed = ref.grids_for(data["province"])
        data["grid_region"] = data.get("grid_region") or allowed[0]
        if data["grid_region"] not in allowed:
            msg = str(_l("This province is on grid %(grids)s.", grids=", ".join(allowed)))
            raise InvalidInput(msg, {"grid_region": [msg]})
    else:
        if data.get("province"):
            msg = str(_l("Provinces apply to sites in China only."))
            raise InvalidInput(msg, {"province": [msg]})
        data["grid_region"] = data.get("grid_region") or data["country"]
    return data


def create_site(session: Session, actor: Actor, organization_id: int, data: dict[str, Any]) -> Site:
    authorize(actor, Action.EDIT_SITES, organization_id)
    data = site_location(data)
    _unique_site_name(session, organization_id, data["name"], None)
    site = Site(organization_id=organization_id, **{f: data.get(f) for f in SITE_FIELDS})
    session.add(site)
    session.flush()
    audit.record(
        session,
        actor,
        "site.create",
        site,
        organization_id=organization_id,
        details={"name": site.name, "grid_region": site.grid_region},
    )
    session.commit()
    return site


def update_site(session: Session, actor: Actor, site_id: int, data: dict[str, Any]) -> Site:
    site = get_site(session, actor, site_id)
    authorize(actor, Action.EDIT_SITES, site.organization_id)
    _check_version(site, data.get("version"))
    merged = {**{f: getattr(site, f) for f in SITE_FIELDS}, **data}
    if "grid_region" not in data and (merged["country"], merged["province"]) != (
        site.country,
        site.province,
    ):
        merged["grid_region"] = None  # moved: derive the grid again
    data = site_location(merged)
    _unique_site_name(session, site.organization_id, data["name"], site.id)
    changes = _apply(site, data, SITE_FIELDS)
    if changes:
        audit.record(
            session,
            actor,
            "site.update",
            site,
            organization_id=site.organization_id,
            details=changes,
        )
    session.commit()
    return site


def _unique_site_name(session: Session, org_id: int, name: str, own_id: int | None) -> None:
    other = session.scalar(select(Site.id).where(Site.organization_id == org_id, Site.name == name))
    if other is not None and other != own_id:
        msg = str(_l("This organization already has a site with this name."))
        raise InvalidInput(msg, {"name": [msg]})


# -- products --------------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "site_id",
    "name_en",
    "name_zh",
    "part_number",
    "category",
    "declared_unit",
    "description",
    "chemistry",
    "capacity_kwh",
    "mass_kg",
    "vehicle_category",
    "service_life_years",
    "warranty_km",
    "usable_energy_kwh",
    "battery_code",
)


def products_query(
    organization_id: int | None = None, category: str | None = None, q: str | None = None
) -> Select[Any]:
    stmt = select(Product).order_by(Product.organization_id, Product.part_number)
    if organization_id:
        stmt = stmt.where(Product.organization_id == organization_id)
    if category:
        stmt = stmt.where(Product.category == category)
    if q:
        stmt = stmt.where(or_(*product_text_matches(q)))
    return stmt


def product_for(session: Session, actor: Actor | None, product_id: int, action: Action) -> Product:
    """The product, if the actor may do `action` for its maker: the one "load or 404, then
    authorize on the maker" every use case needs (NotFound first, so an id says nothing more)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(str(_l("No such product.")))
    authorize(actor, action, product.organization_id)
    return product


def input_products_query(product_id: int) -> Any:
    """The products a submission of `product_id` may link as an input: every other product
    except vehicles (a final product, never bought as an input; the vehicle rule's categories),
    by maker and part number, for the form's picker."""
    finals = [c for r in load_rules().values() if r.code == "vehicle" for c in r.applies_to]
    return (
        select(Product)
        .join(Organization, Organization.id == Product.organization_id)
        .where(Product.id != product_id, Product.category.not_in(finals))
        .order_by(Organization.name_en, Product.part_number)
    )


def get_product(session: Session, actor: Actor, product_id: int) -> Product:
    """Catalogue read: any signed-in actor may see a product's catalogue entry."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(str(_l("No such product.")))
    authorize(actor, Action.READ_CATALOGUE)
    return product


def _check_product(session: Session, organization_id: int, data: dict[str, Any]) -> None:
    """Rules across fields: the unit suits the category, the site is the organization's own,
    and a battery names its chemistry, capacity and mass (needed per kWh and by the EU rules)."""
    errors: dict[str, list[str]] = {}
    category = load_reference().categories[data["category"]]
    if data["declared_unit"] not in category.units:
        errors["declared_unit"] = [
            str(_l("For this category use one of: %(units)s.", units=", ".join(category.units)))
        ]
    site = session.get(Site, data["site_id"])
    if site is None or site.organization_id != organization_id:
        errors["site_id"] = [str(_l("Choose one of your organization's sites."))]
    if category.is_battery:
        for f in ("chemistry", "capacity_kwh", "mass_kg"):
            if data.get(f) is None:
                errors[f] = [str(_l("Required for batteries."))]
        code_errors = _battery_code_errors(data)
        if code_errors:
            errors["battery_code"] = code_errors
    else:
        for f in (
            "chemistry",
            "capacity_kwh",
            "service_life_years",
            "warranty_km",
            "usable_energy_kwh",
            "battery_code",
        ):
            if data.get(f) is not None:
                errors[f] = [str(_l("Only batteries carry this."))]
        if category.kind != "vehicle" and data.get("vehicle_category") is not None:
            errors["vehicle_category"] = [str(_l("Only batteries and vehicles carry this."))]
    if errors:
        raise InvalidInput(str(_l("Some fields are invalid.")), errors)


def _battery_code_errors(data: dict[str, Any]) -> list[str]:
    """A battery's GB/T 34014 code: well formed segment by segment, and saying the same
    product type and battery type as the product; normalized in `data` when right."""
    text = data.get("battery_code")
    if not text:
        data["battery_code"] = None
        return []
    found = battery_code.problems(text)
    if found:
        return found
    code = battery_code.BatteryCode(battery_code.normalize(text))
    data["battery_code"] = code.code
    return battery_code.mismatches(code, data["category"], data.get("chemistry"))


def _with_design_code(product: Product) -> None:
    product.battery_design_code = (
        battery_code.BatteryCode(product.battery_code).design_part if product.battery_code else None
    )


def _unique_part_number(session: Session, org_id: int, part: str, own_id: int | None) -> None:
    other = session.scalar(
        select(Product.id).where(Product.organization_id == org_id, Product.part_number == part)
    )
    if other is not None and other != own_id:
        msg = str(_l("This part number is already used by another of your products."))
        raise InvalidInput(msg, {"part_number": [msg]})


def create_product(
    session: Session, actor: Actor, organization_id: int, data: dict[str, Any]
) -> Product:
    authorize(actor, Action.EDIT_PRODUCTS, organization_id)
    _check_product(session, organization_id, data)
    _unique_part_number(session, organization_id, data["part_number"], None)
    product = Product(organization_id=organization_id, **{f: data.get(f) for f in PRODUCT_FIELDS})
    _with_design_code(product)
    session.add(product)
    session.flush()
    audit.record(
        session,
        actor,
        "product.create",
        product,
        organization_id=organization_id,
        details={"part_number": product.part_number, "category": product.category},
    )
    session.commit()
    return product


def update_product(
    session: Session, actor: Actor, product_id: int, data: dict[str, Any]
) -> Product:
    product = get_product(session, actor, product_id)
    authorize(actor, Action.EDIT_PRODUCTS, product.organization_id)
    _check_version(product, data.get("version"))
    data = {**{f: getattr(product, f) for f in PRODUCT_FIELDS}, **data}
    _check_product(session, product.organization_id, data)
    _unique_part_number(session, product.organization_id, data["part_number"], product.id)
    changes = _apply(product, data, PRODUCT_FIELDS)
    _with_design_code(product)
    if changes:
        audit.record(
            session,
            actor,
            "product.update",
            product,
            organization_id=product.organization_id,
            details=changes,
        )
    session.commit()
    return product
