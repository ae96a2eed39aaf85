"""Tanlian's entry point: `flask --app app run`. Composes the platform and the dashboards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from dashboards import init_dashboards
from footprint_platform import cli
from footprint_platform.app_setup import init_platform

PLATFORM_DIR = Path(__file__).resolve().parent / "footprint_platform"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; `test_config` overrides every other setting (tests)."""
    app = Flask(
        "tanlian",
        root_path=str(Path(__file__).resolve().parent),
        static_folder=str(PLATFORM_DIR / "static"),
        template_folder=str(PLATFORM_DIR / "templates"),
        instance_relative_config=True,
    )
    init_platform(app, test_config)
    cli.register(app)
    init_dashboards(app)
    return app
