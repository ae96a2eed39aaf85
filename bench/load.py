"""Load benchmark: the application under gunicorn on 127.0.0.1, driven by Python threads over
keep-alive `http.client` connections. Not a test; figures in bench/RESULTS.md.

    .venv/bin/python bench/load.py                       # SQLite, the chosen server setup
    .venv/bin/python bench/load.py --db postgres         # a throwaway database tanlian_bench_load
    .venv/bin/python bench/load.py --servers 1x8 2x1 2x4 4x1 --only public   # worker x threads

Each run builds a fresh database in a temporary folder (`flask db upgrade`, `flask demo load`,
with TANLIAN_SETTINGS naming a settings file there), starts gunicorn on a free port of
127.0.0.1, and measures:

- public: the public disclosure pages (`/d/<public id>` of every published demo declaration,
  `/d/`, `/industry`), open-loop at a fixed rate (latency counted from the moment a request was
  due, so a slow server cannot hide its queue) and closed-loop at full speed;
- dashboards: a signed-in member of the SUV's maker opening the SUV's dashboard and the
  organization's portfolio, closed-loop;
- uploads: 50 drafts (demo products x future years, each started by its organization's
  administrator), their workbooks downloaded and edited (5 of them with a text in a number cell),
  then all 50 uploaded at once; afterwards every accepted draft must hold exactly the uploaded
  rows and every refused one must be unchanged.

Every loop is bounded by time and by a request count. The load generator runs on the same two
cores as the server (see RESULTS.md for what that does to the figures).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
OUT = ROOT / "bench" / "out"
HOST = "127.0.0.1"  # the only address this benchmark ever sends to
PG_DB = "tanlian_bench_load"
PASSWORD = "tanlian-demo-2026"
UPLOADS = 50
BAD_EVERY = 10  # every 10th workbook carries a text in a number cell: it must be refused
MAX_REQUESTS = 200_000  # a hard stop for any one loop, whatever the duration


# -- a keep-alive client -----------------------------------------------------------------------


class Client:
    """One keep-alive connection with its own cookies (one browser tab, roughly)."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.port = port
        self.cookies = dict(cookies or {})
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # the server closed an idle keep-alive connection: open a new one, once
                self.conn.close()
                if attempt == 2:
                    raise
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                k, _, v = value.split(";", 1)[0].partition("=")
                self.cookies[k.strip()] = v.strip()
        return resp.status, data

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def post_form(self, path: str, form: dict[str, str]) -> tuple[int, bytes]:
        body = urlencode(form).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post_file(
        self, path: str, form: dict[str, str], name: str, filename: str, data: bytes
    ) -> tuple[int, bytes]:
        boundary = "----tanlianbench" + secrets.token_hex(8)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in form.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/vnd.openxmlformats-'
            "officedocument.spreadsheetml.sheet\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def csrf(self, path: str) -> str:
        status, html = self.get(path)
        match = re.search(rb'name="csrf_token" value="([^"]+)"', html)
        if not match:
            raise RuntimeError(f"no CSRF token on {path} ({status})")
        return match.group(1).decode()

    def login(self, email: str) -> None:
        token = self.csrf("/login")
        status, _ = self.post_form(
            "/login", {"email": email, "password": PASSWORD, "csrf_token": token}
        )
        if status != 302:
            raise RuntimeError(f"sign-in of {email} answered {status}")

    def close(self) -> None:
        self.conn.close()


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: Counter[int | str] = field(default_factory=Counter)
    elapsed: float = 0.0

    def add(self, latency: float, status: int | str) -> None:
        self.latencies.append(latency)
        self.statuses[status] += 1

    def summary(self, name: str, **extra: Any) -> dict[str, Any]:
        lat = sorted(self.latencies)
        errors = sum(n for s, n in self.statuses.items() if not isinstance(s, int) or s >= 400)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else 0.0

        return {
            "scenario": name,
            **extra,
            "requests": len(lat),
            "seconds": round(self.elapsed, 2),
            "rps": round(len(lat) / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "max_ms": round(lat[-1] * 1000, 1) if lat else 0.0,
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else 0.0,
            "errors": errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
        }


def _send(client: Client, path: str) -> int | str:
    try:
        status, _ = client.get(path)
        return status
    except OSError as exc:
        client.close()
        return type(exc).__name__


def closed_loop(
    port: int, paths: list[str], threads: int, seconds: float, cookies: dict[str, str] | None = None
) -> Sample:
    """`threads` clients, each sending its next request as soon as the last one answered."""
    sample, lock = Sample(), threading.Lock()
    stop_at = time.perf_counter() + seconds
    counter = iter(range(MAX_REQUESTS))

    def work(offset: int) -> None:
        client = Client(port, cookies)
        i = offset
        while time.perf_counter() < stop_at:
            with lock:
                if next(counter, None) is None:
                    break
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            status = _send(client, path)
            with lock:
                sample.add(time.perf_counter() - t0, status)
        client.close()

    t0 = time.perf_counter()
    pool = [threading.Thread(target=work, args=(k * 7,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    sample.elapsed = time.perf_counter() - t0
    return sample


def open_loop(port: int, paths: list[str], rate: float, seconds: float, senders: int) -> Sample:
    """Requests due at a fixed rate whatever the answers; each one's latency runs from the
    moment it was due, so queueing in the generator or the server counts (no coordinated
    omission). `senders` keep-alive connections take the due requests in turn."""
    total = min(int(rate * seconds), MAX_REQUESTS)
    sample, lock = Sample(), threading.Lock()
    slots = iter(range(total))
    start = time.perf_counter() + 0.2

    def work() -> None:
        client = Client(port)
        while True:
            with lock:
                i = next(slots, None)
            if i is None:
                break
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status = _send(client, paths[i % len(paths)])
            with lock:
                sample.add(time.perf_counter() - due, status)
        client.close()

    pool = [threading.Thread(target=work) for _ in range(senders)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    sample.elapsed = time.perf_counter() - start
    return sample


# -- the database and the server -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Setup:
    folder: Path
    env: dict[str, str]
    url: str


def _pg_admin(url: str) -> Any:
    import sqlalchemy as sa

    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


@contextmanager
def database(kind: str, pg_url: str) -> Iterator[Setup]:
    """A fresh database with the demo loaded, and the settings file that names it."""
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory(prefix="tanlian-load-") as tmp:
        folder = Path(tmp)
        if kind == "postgres":
            base = sa.engine.make_url(pg_url)
            admin = _pg_admin(base)
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
            url = base.set(database=PG_DB).render_as_string(False)
        else:
            url = f"sqlite:///{folder / 'tanlian.sqlite3'}"
        settings = folder / "settings.toml"
        # Production settings but plain HTTP on 127.0.0.1 (no TLS proxy here). One client
        # address signs in ~20 people: the login limit is raised for the benchmark only.
        settings.write_text(
            f'ENV = "production"\nSQLALCHEMY_DATABASE_URI = "{url}"\n'
            f'MAIL_OUTBOX_DIR = "{folder / "outbox"}"\n'
            'LOGIN_RATE_LIMIT = "1000 per minute"\n'
            # production needs the public address links are built from (never the Host header)
            'PUBLIC_BASE_URL = "https://tanlian.example.cn"\n'
            f'SIGNING_KEY_FILE = "{folder / "signing.pem"}"\n'  # production signs what it publishes
        )
        env = {
            **os.environ,
            "TANLIAN_SETTINGS": str(settings),
            "SECRET_KEY": secrets.token_hex(32),
        }
        env.pop("DATABASE_URL", None)
        flask = [str(VENV_BIN / "flask"), "--app", "app"]
        plain = {k: v for k, v in env.items() if k != "TANLIAN_SETTINGS"}  # the key comes first
        key = ["signing", "new-key", str(folder / "signing.pem")]
        subprocess.run(flask + key, cwd=ROOT, env=plain, check=True, capture_output=True)
        for args in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run(flask + args, cwd=ROOT, env=env, check=True, capture_output=True)
        try:
            yield Setup(folder, env, url)
        finally:
            if kind == "postgres":
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
                admin.dispose()


@contextmanager
def server(setup: Setup, workers: int, threads: int) -> Iterator[int]:
    port = _free_port()
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "5",
        "--access-logfile",
        "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        "app:create_app()",
    ]
    log = open(setup.folder / f"gunicorn-{workers}x{threads}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, env=setup.env, stdout=log, stderr=log)
    try:
        deadline = time.time() + 60
        while True:
            try:
                if Client(port).get("/d/")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"gunicorn did not start: see {log.name}")
            time.sleep(0.3)
        # every worker imports lazily on its first requests: warm them all
        warm = Client(port)
        for path in ("/d/", "/industry") * (workers * threads):
            warm.get(path)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# -- what to request ---------------------------------------------------------------------------


def _app(setup: Setup) -> Any:
    os.environ["TANLIAN_SETTINGS"] = setup.env["TANLIAN_SETTINGS"]
    os.environ["SECRET_KEY"] = setup.env["SECRET_KEY"]
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app()


def public_paths(app: Any) -> list[str]:
    from sqlalchemy import select

    from footprint_platform.extensions import db
    from footprint_platform.models import Declaration

    with app.app_context():
        ids = db.session.scalars(
            select(Declaration.public_id).where(Declaration.published_at.is_not(None))
        ).all()
    if not ids:
        raise RuntimeError("the demo has no published declaration")
    # mostly declaration pages (what a QR code on a label opens), some list and overview
    return [f"/d/{i}" for i in ids] * 3 + ["/d/", "/industry"]


def dashboard_targets(app: Any) -> tuple[str, list[str]]:
    from sqlalchemy import select

    from footprint_platform.extensions import db
    from footprint_platform.models import Product

    with app.app_context():
        suv = db.session.scalars(select(Product).where(Product.part_number == "JH-S7-LR")).one()
        org = suv.organization_id
    return "analyst@jinghai-motors.example", [
        f"/dashboard/products/{suv.id}",
        f"/dashboard/orgs/{org}/portfolio",
    ]


# -- the upload burst ----------------------------------------------------------------------------


@dataclass
class Draft:
    id: int
    admin: str
    bad: bool
    data: bytes = b""
    status: int | str = 0
    seconds: float = 0.0
    reason: str = ""


def _admins(setup: Setup) -> dict[str, str]:
    """Organization name -> its administrator's e-mail, from `flask demo logins`."""
    out = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "app", "demo", "logins"],
        cwd=ROOT,
        env=setup.env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    admins: dict[str, str] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and "@" in parts[0] and parts[2] in ("admin", "editor"):
            org = " ".join(parts[3:])
            if parts[2] == "admin" or org not in admins:
                admins[org] = parts[0]
    return admins


def _edit_workbook(data: bytes, marker: int, bad: bool) -> bytes:
    """Set the production volume to a marker and change the first quantity; a bad one gets a
    word where a number belongs (in a row of its own when the template has no rows)."""
    from openpyxl import load_workbook

    from footprint_platform.services.intake.workbook import GUIDE, LISTS

    wb = load_workbook(io.BytesIO(data))
    for row in wb[GUIDE].iter_rows(min_row=1, max_col=2):
        if row[0].value == "production_volume":
            row[1].value = 1000 + marker
    sections = [ws for ws in wb.worksheets if ws.title not in (GUIDE, LISTS)]
    for ws in sections:
        keys = [c.value for c in ws[1]]
        if "quantity" in keys and ws.max_row >= 3 and ws.cell(3, 1).value is not None:
            cell = ws.cell(3, keys.index("quantity") + 1)
            cell.value = "about twelve" if bad else round(float(cell.value) * 1.01 + marker, 4)
            break
    else:
        if bad:
            keys = [c.value for c in sections[0][1]]
            sections[0].cell(3, keys.index("quantity") + 1).value = "about twelve"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def prepare_drafts(app: Any, setup: Setup, port: int) -> tuple[list[Draft], dict[str, Client]]:
    from sqlalchemy import func, select

    from footprint_platform.extensions import db
    from footprint_platform.models import Organization, Product, Submission, SubmissionStatus

    admins = _admins(setup)
    with app.app_context():
        rows = db.session.execute(
            select(Product.id, Product.organization_id, Organization.name_en)
            .join(Organization, Organization.id == Product.organization_id)
            .order_by(Product.id)
        ).all()
    products = [(pid, oid, admins[name]) for pid, oid, name in rows if name in admins]
    clients: dict[str, Client] = {}
    csrf: dict[str, str] = {}
    drafts: list[Draft] = []
    with app.app_context():  # years no draft holds yet (a second server setup, same database)
        latest = db.session.scalar(select(func.max(Submission.period_start)))
        db.session.remove()
    year = max(2026, latest.year + 1 if latest else 2026)
    while len(drafts) < UPLOADS:
        for pid, oid, email in products:
            if len(drafts) == UPLOADS:
                break
            if email not in clients:
                clients[email] = Client(port)
                clients[email].login(email)
                csrf[email] = clients[email].csrf(f"/orgs/{oid}/submissions")
            form = {
                "csrf_token": csrf[email],
                "product_id": str(pid),
                "period_start": f"{year}-01-01",
                "period_end": f"{year}-12-31",
            }
            status, _ = clients[email].post_form(f"/orgs/{oid}/submissions", form)
            if status != 302:
                raise RuntimeError(f"draft for product {pid} {year}: {status}")
            with app.app_context():
                sid = db.session.scalar(
                    select(Submission.id).where(
                        Submission.product_id == pid,
                        Submission.period_start == date(year, 1, 1),
                        Submission.status == SubmissionStatus.DRAFT,
                    )
                )
                db.session.remove()
            n = len(drafts)
            drafts.append(Draft(sid, email, bad=(n % BAD_EVERY == BAD_EVERY - 1)))
        year += 1
    for n, d in enumerate(drafts):
        status, data = clients[d.admin].get(f"/submissions/{d.id}/template.xlsx")
        if status != 200:
            raise RuntimeError(f"template of {d.id}: {status}")
        d.data = _edit_workbook(data, n, d.bad)
    for email, c in clients.items():
        c.cookies["_csrf"] = csrf[email]  # kept alongside for the burst (not sent as a cookie)
    return drafts, clients


def _draft_state(app: Any, ids: list[int]) -> dict[int, Any]:
    from sqlalchemy import select

    from footprint_platform.extensions import db
    from footprint_platform.models import Submission, SubmissionInput

    fields = ("kind", "position", "quantity", "unit", "factor_code", "linked_product_id", "stage")
    with app.app_context():
        state: dict[int, Any] = {}
        for sub in db.session.scalars(select(Submission).where(Submission.id.in_(ids))):
            inputs = db.session.scalars(
                select(SubmissionInput)
                .where(SubmissionInput.submission_id == sub.id)
                .order_by(SubmissionInput.position)
            ).all()
            state[sub.id] = (
                sub.production_volume,
                sub.lock_version,
                sub.status.value,
                [tuple(str(getattr(i, f)) for f in fields) for i in inputs],
            )
        db.session.remove()
    return state


def _expected_rows(app: Any, draft_id: int, data: bytes) -> list[tuple[str, str, str]]:
    """The rows of an uploaded workbook as the application reads them: (kind, quantity, unit)."""
    from footprint_platform.extensions import db
    from footprint_platform.models import Submission
    from footprint_platform.services.intake.workbook import read_upload

    with app.test_request_context():
        sub = db.session.get(Submission, draft_id)
        _, rows = read_upload(db.session, sub, data)
        db.session.remove()
    return [
        (
            str(r["kind"].value if hasattr(r["kind"], "value") else r["kind"]),
            str(Decimal(str(r["quantity"])).normalize()),
            str(r["unit"]),
        )
        for r in rows
    ]


def upload_burst(app: Any, setup: Setup, port: int) -> dict[str, Any]:
    drafts, clients = prepare_drafts(app, setup, port)
    ids = [d.id for d in drafts]
    before = _draft_state(app, ids)
    gate = threading.Barrier(len(drafts) + 1)

    def fire(d: Draft) -> None:
        base = clients[d.admin]
        client = Client(port, {k: v for k, v in base.cookies.items() if k != "_csrf"})
        form = {"csrf_token": base.cookies["_csrf"]}
        gate.wait()
        t0 = time.perf_counter()
        try:
            d.status, body = client.post_file(
                f"/submissions/{d.id}/upload", form, "file", f"draft-{d.id}.xlsx", d.data
            )
            text = body.decode("utf-8", "replace")
            m = re.search(r"Enter a number[^<]*|请输入数字[^<]*|Nothing was saved[^<]*", text)
            d.reason = m.group(0) if m else ""
        except OSError as exc:
            d.status = type(exc).__name__
        d.seconds = time.perf_counter() - t0
        client.close()

    pool = [threading.Thread(target=fire, args=(d,)) for d in drafts]
    for t in pool:
        t.start()
    gate.wait()
    t0 = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    after = _draft_state(app, ids)
    problems = []
    accepted = refused = 0
    for d in drafts:
        ok_status = d.status in (200, 302)
        if d.bad:
            if d.status != 422 or not d.reason:
                problems.append(f"draft {d.id}: bad workbook answered {d.status} {d.reason!r}")
            if after[d.id] != before[d.id]:
                problems.append(f"draft {d.id}: refused upload changed the draft")
            refused += d.status == 422
            continue
        if not ok_status:
            problems.append(f"draft {d.id}: good workbook answered {d.status}")
            if after[d.id] != before[d.id]:
                problems.append(f"draft {d.id}: refused upload changed the draft")
            continue
        accepted += 1
        volume, _, status, stored = after[d.id]
        expected = _expected_rows(app, d.id, d.data)
        got = [(k, str(Decimal(q).normalize()), u) for k, _p, q, u, *_ in stored]
        if got != expected:
            problems.append(f"draft {d.id}: stored rows differ from the upload")
        if status != "draft" or int(volume) != 1000 + drafts.index(d):
            problems.append(f"draft {d.id}: production volume {volume} is not the uploaded one")
    sample = Sample(elapsed=elapsed)
    for d in drafts:
        sample.add(d.seconds, d.status)
    result = sample.summary("uploads", concurrent=len(drafts))
    result.update(
        accepted=accepted,
        refused_correctly=refused,
        bad_workbooks=sum(d.bad for d in drafts),
        problems=problems,
        reasons=sorted({d.reason for d in drafts if d.bad}),
        errors=sum(1 for d in drafts if d.status not in (200, 302, 422)),
    )
    for c in clients.values():
        c.close()
    return result


# -- main ----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    with suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def _print(result: dict[str, Any]) -> None:
    keys = (
        "scenario",
        "server",
        "mode",
        "rate",
        "threads",
        "requests",
        "rps",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
        "errors",
    )
    print("  ".join(f"{k}={result[k]}" for k in keys if k in result), flush=True)
    if result.get("problems"):
        print("  PROBLEMS:", *result["problems"], sep="\n    ")


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    info = machine()
    print(f"machine: {info}", flush=True)

    def keep(r: dict[str, Any], server_name: str) -> None:
        r.update(server=server_name, db=args.db, machine=info, at=time.strftime("%F %T"))
        results.append(r)
        _print(r)
        OUT.mkdir(exist_ok=True)
        with (OUT / "load.jsonl").open("a") as f:
            f.write(json.dumps(r) + "\n")

    with database(args.db, args.pg_url) as setup:
        app = _app(setup)
        paths = public_paths(app)
        member, dash = dashboard_targets(app)
        for spec in args.servers:
            workers, threads = (int(x) for x in spec.split("x"))
            with server(setup, workers, threads) as port:
                # unmeasured: every worker renders and keeps each page once, opens its pool
                closed_loop(port, paths, workers * threads, 2.0)
                if "public" in args.only:
                    for rate in args.rates:
                        s = open_loop(port, paths, rate, args.seconds, args.senders)
                        keep(s.summary("public", mode="open", rate=rate), spec)
                    s = closed_loop(port, paths, args.threads, args.seconds)
                    keep(s.summary("public", mode="closed", threads=args.threads), spec)
                if "dashboards" in args.only:
                    c = Client(port)
                    c.login(member)
                    s = closed_loop(port, dash, args.threads, args.seconds, c.cookies)
                    keep(s.summary("dashboards", mode="closed", threads=args.threads), spec)
                if "mixed" in args.only:
                    # public pages at a fixed rate while two members open dashboards non-stop:
                    # does a slow dashboard hold up the pages behind it?
                    c = Client(port)
                    c.login(member)
                    side: list[Sample] = []
                    bg = threading.Thread(
                        target=lambda out=side, jar=c.cookies: out.append(
                            closed_loop(port, dash, 2, args.seconds + 0.4, jar)
                        )
                    )
                    bg.start()
                    s = open_loop(port, paths, args.rates[0], args.seconds, args.senders)
                    bg.join()
                    keep(s.summary("public+dashboards", mode="open", rate=args.rates[0]), spec)
                    keep(side[0].summary("dashboards+public", mode="closed", threads=2), spec)
                if "uploads" in args.only:
                    keep(upload_burst(app, setup, port), spec)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument(
        "--pg-url",
        default=os.environ.get(
            "TANLIAN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help=f"a PostgreSQL server on 127.0.0.1 where {PG_DB} may be created and dropped",
    )
    p.add_argument("--servers", nargs="+", default=["2x4"], help="gunicorn WORKERSxTHREADS")
    p.add_argument("--only", nargs="+", default=["public", "dashboards", "mixed", "uploads"])
    p.add_argument("--rates", nargs="+", type=float, default=[200.0, 300.0])
    p.add_argument("--seconds", type=float, default=15.0, help="each loop's length")
    p.add_argument("--threads", type=int, default=8, help="closed-loop clients")
    p.add_argument("--senders", type=int, default=16, help="open-loop connections")
    args = p.parse_args(argv)
    if "127.0.0.1" not in args.pg_url and "localhost" not in args.pg_url:
        p.error("PostgreSQL must be on 127.0.0.1")
    results = run(args)
    failed = [r for r in results if r.get("problems") or r.get("errors")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
