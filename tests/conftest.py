"""Fixtures: an application per test on a throw-away database built by the migrations.

The database lane is chosen with --db: `sqlite` (default; a migrated template file copied per
test) or `postgres` (TANLIAN_TEST_POSTGRES_URL; migrated once, truncated after each test). Tests
marked `postgres` run in both lanes; `make test` runs the PostgreSQL lane after the main suite.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app

DEMO_PASSWORD = "tanlian-demo-2026"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", choices=["sqlite", "postgres"], default="sqlite", help="database lane for the tests"
    )


def _migrate(url: str, demo: bool) -> None:
    from flask_migrate import upgrade

    from footprint_platform.demo import load_demo
    from footprint_platform.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        if demo:
            load_demo(db.session)
        db.engine.dispose()


def _postgres_url() -> str:
    url = os.environ.get("TANLIAN_TEST_POSTGRES_URL")
    required = os.environ.get("TANLIAN_REQUIRE_POSTGRES") == "1"
    if not url:
        reason = "PostgreSQL lane skipped: TANLIAN_TEST_POSTGRES_URL is not set"
        pytest.fail(reason) if required else pytest.skip(reason)
    try:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    except sa.exc.OperationalError as exc:
        reason = f"PostgreSQL lane skipped: cannot connect to {url}: {exc.orig}"
        pytest.fail(reason) if required else pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def db_lane(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def database_template(db_lane: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Migrated databases, once per session: an empty one and one with the demo chain."""
    if db_lane == "postgres":
        url = _postgres_url()
        _migrate(url, demo=False)
        return {"lane": "postgres", "url": url}
    base = tmp_path_factory.mktemp("templates")
    paths = {}
    for name, demo in (("empty", False), ("demo", True)):
        path = base / f"{name}.sqlite3"
        _migrate(f"sqlite:///{path}", demo)
        paths[name] = str(path)
    return {"lane": "sqlite", **paths}


def _make_app(template: dict[str, str], tmp_path: Path, demo: bool) -> Iterator[Flask]:
    if template["lane"] == "postgres":
        url = template["url"]
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copy(template["demo" if demo else "empty"], path)
        url = f"sqlite:///{path}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "RATELIMIT_ENABLED": True,
        }
    )
    if template["lane"] == "postgres" and demo:
        from footprint_platform.demo import load_demo
        from footprint_platform.extensions import db

        with app.app_context():
            load_demo(db.session)
    yield app
    from footprint_platform.extensions import db, limiter

    with app.app_context():
        limiter.reset()
        db.session.remove()
        if template["lane"] == "postgres":
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def app(database_template: dict[str, str], tmp_path: Path) -> Iterator[Flask]:
    """An application on an empty migrated database."""
    yield from _make_app(database_template, tmp_path, demo=False)


@pytest.fixture
def demo_app(database_template: dict[str, str], tmp_path: Path) -> Iterator[Flask]:
    """An application on a migrated database holding the demo supply chain."""
    yield from _make_app(database_template, tmp_path, demo=True)


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


class Session:
    """Sign a test client in and out, and read the CSRF token like a browser would."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        import re

        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str, password: str = DEMO_PASSWORD) -> Any:
        token = self.csrf()
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        form = {"csrf_token": self.csrf("/"), **(data or {})}
        return self.client.post(path, data=form, **kw)

    def logout(self) -> Any:
        return self.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Session:
    return Session(client)
