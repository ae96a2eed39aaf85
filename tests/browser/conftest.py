"""Browser fixtures: the application on a free 127.0.0.1 port over a fresh copy of the demo
database, and Debian's chromium driven by Playwright (never a downloaded browser).

Every page load is checked: a console error, an uncaught exception, a failed request or an
HTTP error response fails the test, and each page is saved as a screenshot under
`test-artifacts/browser/` (TANLIAN_TEST_ARTIFACTS moves it) for CI to keep.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from tests.conftest import DEMO_PASSWORD, TEST_SETTINGS

ARTIFACTS = Path(os.environ.get("TANLIAN_TEST_ARTIFACTS", "test-artifacts")) / "browser"


def _chromium() -> str:
    """Debian's chromium (.ci/debian-packages.txt); without it the tests skip, unless
    TANLIAN_REQUIRE_BROWSER=1 (CI) makes that a failure."""
    path = shutil.which("chromium")
    if path:
        return path
    reason = (
        "browser tests skipped: Debian's chromium is not installed "
        "(apt-get install chromium fonts-noto-cjk; .ci/run installs it)"
    )
    if os.environ.get("TANLIAN_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True)
        yield chromium
        chromium.close()


class LiveServer:
    def __init__(self, app: Flask, url: str):
        self.app = app
        self.url = url

    def query(self, stmt: Any) -> Any:
        """One value from the live database (for ids the test needs to know)."""
        from footprint_platform.extensions import db

        with self.app.app_context():
            value = db.session.scalar(stmt)
            db.session.remove()
            return value


@pytest.fixture
def live_server(database_templates: dict[str, Any], tmp_path: Path) -> Iterator[LiveServer]:
    """The whole application, threaded, on a copy of the demo database made for this test."""
    if database_templates["lane"] != "sqlite":
        pytest.skip("browser tests run in the SQLite lane")
    from footprint_platform.extensions import db, limiter

    path = tmp_path / "live.sqlite3"
    shutil.copy(database_templates["demo"], path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", **TEST_SETTINGS})
    with app.app_context():
        limiter.reset()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = url  # where people reach it: labels and links name it
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, url)
    server.shutdown()
    thread.join(5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Visit:
    """A browser tab on the live server that records what went wrong and screenshots pages."""

    def __init__(self, page: Any, server: LiveServer, name: str):
        self.page = page
        self.server = server
        self.name = re.sub(r"[^\w.-]+", "_", name)
        self.problems: list[str] = []
        self.shots = 0
        self._failed: list[tuple[str, str, str | None]] = []
        self._downloads: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda r: self._failed.append((r.method, r.url, r.failure)))
        page.on("download", lambda d: self._downloads.add(d.url))
        page.on("response", self._response)

    def errors(self) -> list[str]:
        """Everything that went wrong. Chromium reports a link that turns into a download as
        an aborted request; only that abort, for a URL that did download, is not an error."""
        failed = [
            f"failed: {method} {url} ({failure})"
            for method, url, failure in self._failed
            if not (url in self._downloads and failure == "net::ERR_ABORTED")
        ]
        return self.problems + failed

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location})")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def go(self, path: str, label: str) -> Any:
        self.page.goto(self.server.url + path)
        self.shot(label)
        return self.page

    def submit(self, button: str, label: str) -> Any:
        """Click a submit button, wait for the page it leads to, screenshot it."""
        with self.page.expect_navigation():
            self.page.click(button)
        self.shot(label)
        return self.page

    def login(self, email: str) -> None:
        self.go("/login", "login")
        self.page.fill("#email", email)
        self.page.fill("#password", DEMO_PASSWORD)
        self.submit("main button[type=submit]", "signed-in")
        assert "/login" not in self.page.url, f"{email} could not sign in"

    def language(self, code: str, label: str) -> None:
        """Switch language with the header's button, as a reader would."""
        self.submit(f"form[action='/language/{code}'] button", label)

    def shot(self, label: str) -> None:
        """Screenshot the page once every chart on it is drawn."""
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('[data-figure]')].every(d => d.dataset.drawn)",
            timeout=10_000,
        )
        self.shots += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        label = re.sub(r"[^\w.-]+", "_", label).strip("_")
        self.page.screenshot(
            path=ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png", full_page=True
        )


@pytest.fixture
def visit(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Open tabs on the live server (one browser context per person); each must end clean."""
    opened: list[tuple[Any, Visit]] = []

    def open_tab(who: str = "anonymous") -> Visit:
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        tab = Visit(context.new_page(), live_server, f"{request.node.name}-{who}")
        opened.append((context, tab))
        return tab

    yield open_tab
    problems = [p for _c, tab in opened for p in tab.errors()]
    for context, _tab in opened:
        context.close()
    assert problems == [], "the browser saw errors"
