"""Configuration: defaults from config/, then a settings file, then the environment, then the
caller's overrides (tests). Production refuses to start with the development secret key or
without the public base URL that mailed and printed links are built from (and, in
footprint_platform/signing.py, without a signing key file).

From the environment: the variables of `ENVIRONMENT`, and every setting of
config/defaults.toml as `TANLIAN_<NAME>` (e.g. `TANLIAN_ROLLUP_INLINE_MAX_PRODUCTS=0`), read as
the default's type: integers, numbers, booleans (true/false, 1/0, yes/no, on/off), and lists or
tables written as TOML values. A value that is not of that type stops the start, naming it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from footprint_platform.reference import CONFIG_DIR

DEV_SECRET_KEY = "dev-not-secret-change-me"
# Where `flask run` serves the demo: the public base URL in development when none is set.
DEV_PUBLIC_BASE_URL = "http://127.0.0.1:5000"
PACT_MIN_LINK_SECONDS = 180  # "A pagination link MUST be valid for at least 180 seconds"

PREFIX = "TANLIAN_"  # TANLIAN_<NAME> sets any setting of config/defaults.toml
BOOLEANS = {"true": True, "1": True, "yes": True, "on": True}
BOOLEANS |= {"false": False, "0": False, "no": False, "off": False}
# Environment variable -> config key, beside TANLIAN_<NAME>: the usual names of a deployment.
ENVIRONMENT = {
    "TANLIAN_ENV": "ENV",
    "SECRET_KEY": "SECRET_KEY",
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL": "REDIS_URL",
    "BABEL_DEFAULT_LOCALE": "BABEL_DEFAULT_LOCALE",
    "TANLIAN_PACT_CREDENTIAL_KEY": "PACT_CREDENTIAL_KEY",
    "PUBLIC_BASE_URL": "PUBLIC_BASE_URL",
    "SIGNING_KEY_FILE": "SIGNING_KEY_FILE",
    "SIGNING_RETIRED_KEY_FILES": "SIGNING_RETIRED_KEY_FILES",
}


class ConfigurationError(RuntimeError):
    """The application cannot start safely with this configuration."""


def configure(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    defaults = tomllib.loads((CONFIG_DIR / "defaults.toml").read_text("utf-8"))
    app.config.from_mapping(defaults)
    settings_file = os.environ.get("TANLIAN_SETTINGS")
    if settings_file:
        app.config.from_file(str(Path(settings_file).resolve()), load=tomllib.load, text=False)
    for key, default in defaults.items():
        raw = os.environ.get(PREFIX + key)
        if raw is not None:
            app.config[key] = typed(PREFIX + key, raw, default)
    for var, key in ENVIRONMENT.items():
        if os.environ.get(var):
            app.config[key] = os.environ[var]
    app.config.update(overrides or {})
    _derive(app)
    _check(app)


def typed(var: str, raw: str, default: Any) -> Any:
    """An environment variable's text as the type of the setting's default."""
    try:
        if isinstance(default, bool):
            return BOOLEANS[raw.strip().lower()]
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list | dict):
            value = tomllib.loads(f"value = {raw}")["value"]
            if not isinstance(value, type(default)):
                raise ValueError(raw)
            return value
    except (KeyError, ValueError, tomllib.TOMLDecodeError):
        kind = type(default).__name__
        raise ConfigurationError(f"{var}={raw!r} is not a {kind} like its default") from None
    return raw


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
    base = str(app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if not base and app.config["ENV"] != "production":
        base = DEV_PUBLIC_BASE_URL
    app.config["PUBLIC_BASE_URL"] = base
    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]


def _check(app: Flask) -> None:
    if app.config["ENV"] == "production" and app.config["SECRET_KEY"] in ("", DEV_SECRET_KEY):
        raise ConfigurationError(
            "SECRET_KEY is the development default: set SECRET_KEY in the environment "
            "before running in production"
        )
    _check_public_base_url(app.config["PUBLIC_BASE_URL"], app.config["ENV"])
    if app.config["ENV"] == "production" and app.config.get("PACT_OUTBOUND_ALLOW_PRIVATE"):
        raise ConfigurationError(
            "PACT_OUTBOUND_ALLOW_PRIVATE lets partner addresses reach the server's own network: "
            "it is for tests only, never in production"
        )
    if int(app.config["PACT_PAGE_LINK_TTL_SECONDS"]) < PACT_MIN_LINK_SECONDS:
        raise ConfigurationError(
            f"PACT_PAGE_LINK_TTL_SECONDS must be at least {PACT_MIN_LINK_SECONDS} "
            "(PACT Tech Specs 3.0.3, ListFootprints pagination)"
        )


def _check_public_base_url(base: str, env: str) -> None:
    """Links in mail and on labels name this address, never a request's Host header, which
    whoever sends the request chooses."""
    if not base:
        raise ConfigurationError(
            "PUBLIC_BASE_URL is not set: set it (e.g. https://tanlian.example.cn) in the "
            "settings file or the environment before running in production"
        )
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            f"PUBLIC_BASE_URL {base!r} is not an http(s) address like https://tanlian.example.cn"
        )
    if env == "production" and parts.scheme != "https":
        raise ConfigurationError("PUBLIC_BASE_URL must be an https:// address in production")
