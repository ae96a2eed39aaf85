"""Wires the platform into an application: settings, extensions, pages, API, CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import format_datetime, format_decimal
from werkzeug.middleware.proxy_fix import ProxyFix

from footprint_platform import cli
from footprint_platform.api import TanlianApi, init_api
from footprint_platform.extensions import babel, csrf, db, limiter, login_manager, migrate
from footprint_platform.http_errors import register_error_handlers
from footprint_platform.pact import init_pact
from footprint_platform.security import configure_hasher
from footprint_platform.settings import configure
from footprint_platform.web import (
    auth,
    declarations,
    factors,
    home,
    operator,
    organizations,
    pact_clients,
    requests,
    sharing,
    submissions,
)
from footprint_platform.web.context import init_web_context, select_locale

MIGRATIONS_DIR = __file__.rsplit("/", 1)[0] + "/migrations"


def init_platform(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    configure(app, overrides)
    configure_hasher(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    init_web_context(app)
    register_error_handlers(app)
    for bp in (
        home.bp,
        auth.bp,
        organizations.bp,
        operator.bp,
        submissions.bp,
        factors.bp,
        requests.bp,
        declarations.bp,
        sharing.bp,
        pact_clients.bp,
    ):
        app.register_blueprint(bp)
    api = TanlianApi()
    init_api(app, api, csrf)
    init_pact(app, csrf)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:  # behind a TLS-terminating proxy: the client's address, scheme and host
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    app.jinja_env.filters["datetime"] = lambda v, fmt="medium": format_datetime(v, fmt) if v else ""
    app.jinja_env.filters["decimal"] = lambda v: format_decimal(v) if v is not None else ""
    app.cli.add_command(cli.demo)
    app.cli.add_command(cli.declarations_cli)
    app.cli.add_command(cli.rollup_cli)
    app.teardown_appcontext(lambda exc: g.pop("actor", None))
