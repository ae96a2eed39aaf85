"""The demo supply chain (config/demo/supply_chain.toml) loaded into an empty database."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from footprint_platform import battery_code
from footprint_platform.demo_pact import load_demo_pact
from footprint_platform.demo_submissions import load_demo_submissions
from footprint_platform.models import (
    MemberRole,
    Membership,
    Organization,
    OrganizationRole,
    OrgRole,
    Product,
    Site,
    User,
)
from footprint_platform.policy import SYSTEM
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.security import hash_password
from footprint_platform.services.catalogue import audit
from footprint_platform.services.catalogue.catalog import site_location
from footprint_platform.services.catalogue.factors import load_seed
from footprint_platform.services.notify import notifications

DEMO_FILE = CONFIG_DIR / "demo" / "supply_chain.toml"


def read_demo(path: Path = DEMO_FILE) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8"))


def load_demo(session: Session, path: Path = DEMO_FILE, second_period: bool = True) -> bool:
    """Load the seed factor release if there is none, then the demo chain and its submissions
    if the database has no organizations; True if the chain loaded. `second_period=False`
    leaves out the period under way (2026), for readers that assume one period."""
    load_seed(session)
    if session.scalar(select(func.count()).select_from(Organization)):
        return False
    demo = read_demo(path)
    password_hash = hash_password(demo["password"])  # one hash: argon2 is slow on purpose
    for spec in demo["org"]:
        _load_org(session, spec, password_hash)
    audit.record(
        session,
        SYSTEM,
        "demo.load",
        object_type="Demo",
        details={"organizations": len(demo["org"])},
    )
    session.commit()
    load_demo_submissions(session, second_period=second_period)
    load_demo_pact(session)
    notifications.settle_history(session)  # the demo's past is not mailed to its people
    return True


def _load_org(session: Session, spec: dict[str, Any], password_hash: str) -> None:
    org = Organization(
        name_en=spec["name_en"],
        name_zh=spec.get("name_zh"),
        country=spec["country"],
        bpnl=spec.get("bpnl"),
    )
    org.role_rows = [OrganizationRole(role=OrgRole(r)) for r in spec["roles"]]
    session.add(org)
    for u in spec.get("users", []):
        user = User(email=u["email"], display_name=u["name"], password_hash=password_hash)
        session.add(user)
        session.add(Membership(user=user, organization=org, role=MemberRole(u["role"])))
    sites = []
    for s in spec.get("sites", []):
        loc = site_location(
            {
                "country": s["country"],
                "province": s.get("province"),
                "grid_region": s.get("grid_region"),
            }
        )
        site = Site(
            organization=org,
            name=s["name"],
            country=s["country"],
            province=s.get("province"),
            city=s.get("city"),
            grid_region=loc["grid_region"],
        )
        session.add(site)
        sites.append(site)
    for p in spec.get("products", []):
        code = battery_code.parse(p["battery_code"]) if "battery_code" in p else None
        session.add(
            Product(
                organization=org,
                site=sites[p["site"]],
                part_number=p["part"],
                name_en=p["en"],
                name_zh=p.get("zh"),
                category=p["category"],
                declared_unit=p["unit"],
                chemistry=p.get("chemistry"),
                capacity_kwh=Decimal(p["capacity_kwh"]) if "capacity_kwh" in p else None,
                mass_kg=Decimal(p["mass_kg"]) if "mass_kg" in p else None,
                vehicle_category=p.get("vehicle_category"),
                service_life_years=p.get("service_life_years"),
                warranty_km=p.get("warranty_km"),
                usable_energy_kwh=(
                    Decimal(p["usable_energy_kwh"]) if "usable_energy_kwh" in p else None
                ),
                battery_code=code.code if code else None,
                battery_design_code=code.design_part if code else None,
            )
        )


def demo_logins(path: Path = DEMO_FILE) -> list[tuple[str, str, str, str]]:
    """(organization, role, e-mail, password) for every demo account."""
    demo = read_demo(path)
    return [
        (o["name_en"], u["role"], u["email"], demo["password"])
        for o in demo["org"]
        for u in o.get("users", [])
    ]
