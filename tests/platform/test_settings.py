"""Configuration order and the production guard."""

from __future__ import annotations

import pytest

from app import create_app
from footprint_platform.settings import DEV_PUBLIC_BASE_URL, DEV_SECRET_KEY, ConfigurationError


def test_production_refuses_the_development_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANLIAN_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.usefixtures("signing_key_env")
def test_production_starts_with_a_real_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANLIAN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tanlian.example.cn")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "a-long-random-production-secret"
    assert app.config["PUBLIC_BASE_URL"] == "https://tanlian.example.cn"


def test_production_refuses_to_start_without_a_public_base_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mailed links would otherwise name whatever host a request claims."""
    monkeypatch.setenv("TANLIAN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://tanlian.example.cn")
    with pytest.raises(ConfigurationError, match="https"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize(
    "base", ["tanlian.example.cn", "ftp://x.example", "https://x.example/?a=1"]
)
def test_a_public_base_url_that_is_no_http_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, base: str
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", base)
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_links_name_the_local_server_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["PUBLIC_BASE_URL"] == (
        DEV_PUBLIC_BASE_URL
    )


def test_production_refuses_outbound_calls_into_private_networks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANLIAN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tanlian.example.cn")
    with pytest.raises(ConfigurationError, match="PACT_OUTBOUND_ALLOW_PRIVATE"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "PACT_OUTBOUND_ALLOW_PRIVATE": True})


def test_environment_overrides_defaults_and_postgres_urls_get_our_driver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/tanlian")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://u:p@db.example:5432/tanlian"
    )
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY  # development default still applies


def test_default_database_is_sqlite_in_the_instance_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///") and uri.endswith("instance/tanlian.sqlite3")


def test_settings_file_applies_before_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory
) -> None:
    path = tmp_path / "settings.toml"  # type: ignore[operator]
    path.write_text('LOGIN_RATE_LIMIT = "3 per minute"\nSECRET_KEY = "from-file"\n')
    monkeypatch.setenv("TANLIAN_SETTINGS", str(path))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["LOGIN_RATE_LIMIT"] == "3 per minute"
    assert app.config["SECRET_KEY"] == "from-env"


def test_redis_url_becomes_the_rate_limit_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_every_default_setting_comes_from_the_environment_with_its_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANLIAN_ROLLUP_INLINE_MAX_PRODUCTS", "0")
    monkeypatch.setenv("TANLIAN_ROLLUP_JOB_LEASE_SECONDS", "5")
    monkeypatch.setenv("TANLIAN_RATELIMIT_HEADERS_ENABLED", "off")
    monkeypatch.setenv("TANLIAN_PACT_REQUIRE_HTTPS", "true")
    monkeypatch.setenv("TANLIAN_LANGUAGES", '["en"]')
    monkeypatch.setenv("TANLIAN_PUBLIC_BASE_URL", "https://tanlian.example.cn")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["ROLLUP_INLINE_MAX_PRODUCTS"] == 0
    assert app.config["ROLLUP_JOB_LEASE_SECONDS"] == 5
    assert app.config["RATELIMIT_HEADERS_ENABLED"] is False
    assert app.config["PACT_REQUIRE_HTTPS"] is True
    assert app.config["LANGUAGES"] == ["en"]
    assert app.config["PUBLIC_BASE_URL"] == "https://tanlian.example.cn"


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("TANLIAN_ROLLUP_INLINE_MAX_PRODUCTS", "many"),
        ("TANLIAN_PACT_REQUIRE_HTTPS", "maybe"),
        ("TANLIAN_LANGUAGES", '"en"'),
    ],
)
def test_a_setting_of_the_wrong_type_stops_the_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigurationError, match=var):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
