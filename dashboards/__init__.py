"""The read side: dashboards, what-if pages and the public disclosure pages."""

from __future__ import annotations

from flask import Flask

from dashboards import coverage, overview, portfolio, products, public, supplier, whatif
from footprint_platform.services.graph import periods


def init_dashboards(app: Flask) -> None:
    app.register_blueprint(overview.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(products.bp)
    app.register_blueprint(whatif.bp)
    for bp in (portfolio.bp, coverage.bp, supplier.bp):
        app.register_blueprint(bp)
    # The platform's product list links here without importing the read side.
    app.jinja_env.globals["product_dashboard"] = "product_view.show"
    # Every dashboard's links carry the period shown, in one spelling.
    app.jinja_env.globals["period_key"] = periods.key
