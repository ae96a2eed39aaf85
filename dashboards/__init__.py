"""The read side: dashboards and (in later issues) public disclosure pages."""

from __future__ import annotations

from flask import Flask

from dashboards import overview, public


def init_dashboards(app: Flask) -> None:
    app.register_blueprint(overview.bp)
    app.register_blueprint(public.bp)
