"""Fixtures: an application per test on a throw-away database built by the migrations.

The database lane is chosen with --db: `sqlite` (default; a migrated template file copied per
test) or `postgres` (TANLIAN_TEST_POSTGRES_URL; migrated once, truncated after each test). Tests
marked `postgres` run in both lanes; `make test` runs the PostgreSQL lane after the main suite.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app

DEMO_PASSWORD = "tanlian-demo-2026"
# Cheap argon2 parameters: tests sign in thousands of times; production keeps the defaults.
TEST_SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "RATELIMIT_ENABLED": True,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST_KIB": 1024,
    # PACT events to partners: only sent when a test asks (pact_sending.attempt, or "thread").
    "PACT_DELIVERY": "manual",
    # Notification mails of the events tests cause: a folder of their own, not instance/.
    "MAIL_OUTBOX_DIR": tempfile.mkdtemp(prefix="tanlian-test-outbox-"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", choices=["sqlite", "postgres"], default="sqlite", help="database lane for the tests"
    )


def _build(url: str, demo: bool, prepared: bool) -> Any:
    """Migrate a database, optionally load the demo chain and the authorization fixtures."""
    from flask_migrate import upgrade

    from footprint_platform.demo import load_demo
    from footprint_platform.extensions import db
    from tests.platform.demo_ids import prepare

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **TEST_SETTINGS})
    with app.app_context():
        upgrade()
        if demo:
            # 2025 only: the shared fixtures' pages and figures read one period; the demo's
            # period under way (2026) is loaded and checked in tests/platform/test_demo.py.
            load_demo(db.session, second_period=False)
        db.engine.dispose()
    ids = prepare(app) if prepared else None
    with app.app_context():
        db.engine.dispose()
    # A connection the loading left in a reference cycle closes only when collected; until
    # then PostgreSQL refuses to copy the template ("being accessed by other users").
    gc.collect()
    return ids


TEMPLATES = {"empty": (False, False), "demo": (True, False), "prepared": (True, True)}


def _postgres_admin() -> tuple[sa.engine.Engine, sa.engine.URL]:
    url = os.environ.get("TANLIAN_TEST_POSTGRES_URL")
    required = os.environ.get("TANLIAN_REQUIRE_POSTGRES") == "1"
    if not url:
        reason = "PostgreSQL lane skipped: TANLIAN_TEST_POSTGRES_URL is not set"
        pytest.fail(reason) if required else pytest.skip(reason)
    base = sa.engine.make_url(url)
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        reason = f"PostgreSQL lane skipped: cannot connect to {url}: {exc.orig}"
        pytest.fail(reason) if required else pytest.skip(reason)
    return engine, base


def _pg_create(engine: sa.engine.Engine, name: str, template: str | None = None) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        extra = f' TEMPLATE "{template}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{extra}'))


@pytest.fixture(scope="session")
def db_lane(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def worker() -> str:
    """Names this test process's PostgreSQL databases: the xdist worker plus a short hash of
    the checkout, so two checkouts can run their PostgreSQL lanes on one server at once."""
    checkout = hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:6]
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{checkout}"


@pytest.fixture(scope="session")
def database_templates(
    db_lane: str, worker: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Migrated databases, built once per test process and copied for every test: empty, with
    the demo chain, and with the demo chain plus the authorization fixtures (`ids`)."""
    out: dict[str, Any] = {"lane": db_lane}
    if db_lane == "postgres":
        engine, base = _postgres_admin()
        for name, (demo, prepared) in TEMPLATES.items():
            db_name = f"tanlian_tpl_{name}_{worker}"
            _pg_create(engine, db_name)
            ids = _build(base.set(database=db_name).render_as_string(False), demo, prepared)
            out[name] = db_name
            out["ids"] = ids or out.get("ids")
        out["engine"], out["base"] = engine, base
        return out
    folder = tmp_path_factory.mktemp("templates")
    for name, (demo, prepared) in TEMPLATES.items():
        path = folder / f"{name}.sqlite3"
        ids = _build(f"sqlite:///{path}", demo, prepared)
        out[name] = str(path)
        out["ids"] = ids or out.get("ids")
    return out


@pytest.fixture(scope="session")
def _apps() -> dict[str, Flask]:
    """One application per template kind for the whole session (building one costs ~0.2 s);
    each test gets a fresh copy of the database underneath it."""
    return {}


def _make_app(
    templates: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
    apps: dict[str, Flask],
    name: str,
    worker: str,
) -> Iterator[Flask]:
    from footprint_platform.extensions import db, limiter

    if templates["lane"] == "postgres":
        test_db = f"tanlian_test_{name}_{worker}"
        url = templates["base"].set(database=test_db).render_as_string(False)
    else:
        path = tmp_path_factory.getbasetemp() / f"test-{name}.sqlite3"
        url = f"sqlite:///{path}"
    app = apps.get(name)
    if app is not None:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if templates["lane"] == "postgres":
        _pg_create(templates["engine"], test_db, templates[name])
    else:
        shutil.copy(templates[name], path)
    if app is None:
        app = apps[name] = create_app({"SQLALCHEMY_DATABASE_URI": url, **TEST_SETTINGS})
    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()


@pytest.fixture
def app(
    database_templates: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
    _apps: dict[str, Flask],
    worker: str,
) -> Iterator[Flask]:
    """An application on an empty migrated database."""
    yield from _make_app(database_templates, tmp_path_factory, _apps, "empty", worker)


@pytest.fixture
def demo_app(
    database_templates: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
    _apps: dict[str, Flask],
    worker: str,
) -> Iterator[Flask]:
    """An application on a migrated database holding the demo supply chain."""
    yield from _make_app(database_templates, tmp_path_factory, _apps, "demo", worker)


@pytest.fixture
def prepared_app(
    database_templates: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
    _apps: dict[str, Flask],
    worker: str,
) -> Iterator[Flask]:
    """The demo chain plus an open invitation, tokens, a draft and an evidence file."""
    yield from _make_app(database_templates, tmp_path_factory, _apps, "prepared", worker)


@pytest.fixture
def ids(database_templates: dict[str, Any]) -> Any:
    """The ids and secrets of what `prepared_app` holds beyond the demo."""
    return database_templates["ids"]


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture
def signing_key_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A signing key file named by SIGNING_KEY_FILE, as production requires."""
    from footprint_platform.signing import write_new_key

    path = tmp_path / "signing-key.pem"
    write_new_key(path)
    monkeypatch.setenv("SIGNING_KEY_FILE", str(path))
    return path


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
