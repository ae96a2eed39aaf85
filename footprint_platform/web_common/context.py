"""Per-request glue for the HTML pages: the current actor, the locale, error pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from marshmallow import Schema
from sqlalchemy import select

from footprint_platform.battery import vehicle_categories
from footprint_platform.display_labels import unit_label
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db, login_manager
from footprint_platform.models import EmissionFactor, User
from footprint_platform.policy import Action, Actor, allowed, authorize
from footprint_platform.reference import country_names, load_reference
from footprint_platform.rules import load_rules
from footprint_platform.schemas import parse
from footprint_platform.services.catalogue.accounts import session_user, user_actor
from footprint_platform.services.catalogue.catalog import get_organization
from footprint_platform.services.insight import tasks


def client_ip() -> str | None:
    return request.remote_addr


def actor() -> Actor | None:
    """The signed-in person as an actor, built once per request."""
    if "actor" not in g:
        g.actor = (
            user_actor(current_user, "web", client_ip()) if current_user.is_authenticated else None
        )
    return g.actor  # type: ignore[no-any-return]


def safe_next(target: str | None, default: str) -> str:
    r"""Where a `next` parameter may send the browser: a path on this site, else `default`.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so "/\t/x" and
    "/\x" open the host x as surely as "//x" does: any control character, backslash,
    scheme or host refuses the target."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or not target.isprintable()
        or urlsplit(target).scheme
        or urlsplit(target).netloc
    ):
        return default
    return target


def organization_for(organization_id: int, action: Action) -> Any:
    """The organization if the current actor may do `action` for it; 404/403 otherwise."""
    org = get_organization(db.session, organization_id)
    authorize(actor(), action, organization_id)
    return org


def submit(schema: Schema, save: Callable[[dict[str, Any]], Any]) -> dict[str, list[str]]:
    """Parse the posted form with `schema` and hand it to `save`; the field errors if either
    refused it (nothing is saved then), or {} once saved."""
    try:
        save(parse(schema, request.form))
    except InvalidInput as exc:
        return exc.errors
    return {}


def select_locale() -> str:
    """The reader's language: their choice in this session, their profile, their browser."""
    if not has_request_context():  # CLI and background work speak the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def _units(ref: Any) -> set[str]:
    return {u for c in ref.categories.values() for u in c.units}


@functools.cache
def _options(locale: str) -> dict[str, list[tuple[str, str]]]:
    """Choices for select boxes, labelled in the reader's language; built once per language
    (the reference data changes only with a release), not on every page."""
    ref = load_reference()
    lang = "zh" if locale.startswith("zh") else "en"
    return {
        "province_options": [(p.code, p.label(locale)) for p in ref.provinces.values()],
        "grid_options": [(code, names[lang]) for code, names in ref.grid_regions.items()],
        "category_options": [(c.code, c.label(locale)) for c in ref.categories.values()],
        "chemistry_options": [(code, names[lang]) for code, names in ref.chemistries.items()],
        "vehicle_category_options": [(c, c) for c in vehicle_categories()],
        "unit_options": [(u, unit_label(u)) for u in sorted(_units(ref))],
    }


def _rule_name(code: str, locale: str) -> str:
    """An accounting rule's name in the reader's language (its code if it is not loaded)."""
    rule = load_rules().get(code)
    return rule.name(locale) if rule else code


def _factor_name(code: str | None, locale: str) -> str:
    """A factor's name in the reader's language, for pages that list pinned inputs by factor
    code; the names of every release are read once per request (a few hundred rows)."""
    if not code:
        return ""
    names = g.get("factor_names")
    if names is None:
        rows = db.session.execute(
            select(EmissionFactor.code, EmissionFactor.name_en, EmissionFactor.name_zh).order_by(
                EmissionFactor.id
            )
        )
        names = g.factor_names = {c: (en, zh) for c, en, zh in rows}
    found = names.get(code)
    if not found:
        return code
    return str(found[1] if locale.startswith("zh") else found[0])


def _template_globals() -> dict[str, Any]:
    locale = str(get_locale() or "zh")
    return {
        **_options(locale),
        "actor": actor(),
        "task_count": lambda: tasks.count(db.session, actor()),
        "can": lambda action, org_id=None: allowed(actor(), Action(action), org_id),
        "locale": locale,
        "reference": load_reference(),
        "countries": country_names(locale),
        "languages": current_app.config["LANGUAGES"],
        "sub_rule_stages": lambda sub: load_rules()[sub.rule_code].stages,
        "rule_name": lambda code: _rule_name(code, locale),
        "factor_name": lambda code: _factor_name(code, locale),
    }


def init_web_context(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(cookie_id: str) -> User | None:
        return session_user(db.session, cookie_id)

    app.context_processor(_template_globals)
