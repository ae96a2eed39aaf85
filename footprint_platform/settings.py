"""Configuration: defaults from config/, then a settings file, then the environment, then the
caller's overrides (tests). Production refuses to start with the development secret key (and,
in footprint_platform/signing.py, without a signing key file)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from flask import Flask

from footprint_platform.reference import CONFIG_DIR

DEV_SECRET_KEY = "dev-not-secret-change-me"
PACT_MIN_LINK_SECONDS = 180  # "A pagination link MUST be valid for at least 180 seconds"

# Environment variable -> config key. Values are strings; types follow the defaults.
ENVIRONMENT = {
    "TANLIAN_ENV": "ENV",
    "SECRET_KEY": "SECRET_KEY",
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL": "REDIS_URL",
    "BABEL_DEFAULT_LOCALE": "BABEL_DEFAULT_LOCALE",
    "TANLIAN_PACT_CREDENTIAL_KEY": "PACT_CREDENTIAL_KEY",
    "SIGNING_KEY_FILE": "SIGNING_KEY_FILE",
    "SIGNING_RETIRED_KEY_FILES": "SIGNING_RETIRED_KEY_FILES",
}


class ConfigurationError(RuntimeError):
    """The application cannot start safely with this configuration."""


def configure(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    app.config.from_file(str(CONFIG_DIR / "defaults.toml"), load=tomllib.load, text=False)
    settings_file = os.environ.get("TANLIAN_SETTINGS")
    if settings_file:
        app.config.from_file(str(Path(settings_file).resolve()), load=tomllib.load, text=False)
    for var, key in ENVIRONMENT.items():
        if os.environ.get(var):
            app.config[key] = os.environ[var]
    app.config.update(overrides or {})
    _derive(app)
    _check(app)


def _derive(app: Flask) -> None:
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).resolve().parent / "translations")
    )
    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or ""
    if not uri:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{Path(app.instance_path) / 'tanlian.sqlite3'}"
    elif uri.startswith(("postgres://", "postgresql://")):
        # Heroku-style URLs name no driver; we ship psycopg 3.
        uri = "postgresql+psycopg://" + uri.split("://", 1)[1]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    if app.config["ENV"] == "production":
        # Cookies over HTTPS only, whatever a settings file says: a session cookie sent in
        # clear text is a stolen session.
        app.config.update(
            SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https"
        )
    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]


def _check(app: Flask) -> None:
    if app.config["ENV"] == "production" and app.config["SECRET_KEY"] in ("", DEV_SECRET_KEY):
        raise ConfigurationError(
            "SECRET_KEY is the development default: set SECRET_KEY in the environment "
            "before running in production"
        )
    if int(app.config["PACT_PAGE_LINK_TTL_SECONDS"]) < PACT_MIN_LINK_SECONDS:
        raise ConfigurationError(
            f"PACT_PAGE_LINK_TTL_SECONDS must be at least {PACT_MIN_LINK_SECONDS} "
            "(PACT Tech Specs 3.0.3, ListFootprints pagination)"
        )
