"""Wires the platform into an application: settings, extensions, pages, API, CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask.json.provider import DefaultJSONProvider
from flask_babel import format_datetime, format_decimal
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from footprint_platform import display_labels, number_format
from footprint_platform.api import TanlianApi, init_api
from footprint_platform.battery import declared_per_kwh
from footprint_platform.extensions import babel, csrf, db, limiter, login_manager, migrate
from footprint_platform.http_errors import register_error_handlers
from footprint_platform.http_headers import init_http_headers
from footprint_platform.pact import init_pact
from footprint_platform.security import configure_hasher
from footprint_platform.services.notify import notifications, webhook_delivery
from footprint_platform.settings import configure
from footprint_platform.signing import init_signing
from footprint_platform.static_delivery import init_static_delivery
from footprint_platform.web import (
    auth,
    declarations,
    factors,
    home,
    instruments,
    operator,
    organizations,
    pact_clients,
    partner_footprints,
    requests,
    sharing,
    signatures,
    submissions,
    tasks,
    webhooks,
)
from footprint_platform.web_common.context import init_web_context, select_locale

MIGRATIONS_DIR = __file__.rsplit("/", 1)[0] + "/migrations"


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deeply for the parser is a 400 like any
    other malformed JSON, not a RecursionError (a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ids are 32-bit integers in both databases, so a larger
    number cannot name anything: 404 before any query, never an overflow in the driver."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def init_platform(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    app.url_map.converters["int"] = IdConverter
    app.json = JSONProvider(app)
    configure(app, overrides)
    configure_hasher(app)
    init_signing(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    init_web_context(app)
    init_http_headers(app)
    init_static_delivery(app)
    webhook_delivery.listen()  # hand committed webhook deliveries to the background
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
        partner_footprints.bp,
        signatures.bp,
        webhooks.bp,
        tasks.bp,
        instruments.bp,
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
    # a declaration's figures per kWh (lifetime energy, rated capacity): battery.declared_per_kwh
    app.jinja_env.globals["declared_per_kwh"] = declared_per_kwh
    app.jinja_env.filters.update(display_labels.FILTERS)
    app.jinja_env.filters.update(number_format.FILTERS)
    app.teardown_appcontext(lambda exc: g.pop("actor", None))
    app.after_request(_mail_notifications)


def _mail_notifications(response: Any) -> Any:
    """The immediate e-mails of what this request recorded, after its view committed."""
    notifications.flush_after_request(db.session)
    return response
