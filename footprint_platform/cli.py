"""Command-line tasks: `flask demo load`, `flask demo logins`, `flask declarations verify`."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from footprint_platform.demo import demo_logins, load_demo
from footprint_platform.demo_pact import demo_pact_logins
from footprint_platform.extensions import db
from footprint_platform.models import Declaration
from footprint_platform.services import declarations, jobs

demo = AppGroup("demo", help="The demo supply chain.")


@demo.command("load")
def demo_load() -> None:
    """Load the demo chain into an empty database (does nothing if there is data)."""
    if load_demo(db.session):
        click.echo("Demo supply chain loaded.")
    else:
        click.echo("Database already has organizations; demo not loaded (nothing changed).")


@demo.command("logins")
def demo_logins_cmd() -> None:
    """Print the demo accounts."""
    click.echo("\nTanlian demo is at http://127.0.0.1:5000  —  demo logins:")
    for org, role, email, password in demo_logins():
        click.echo(f"  {email:<38} {password}   {role:<7} {org}")
    click.echo("\nPACT v3 partner credentials (demo only; see README, PACT):")
    for owner, partner, client_id, secret in demo_pact_logins():
        click.echo(f"  client id {client_id}  secret {secret}")
        click.echo(f"    {partner} reads what {owner} shares with it")
    click.echo("")


declarations_cli = AppGroup("declarations", help="Pinned footprint declarations.")


@declarations_cli.command("verify")
def declarations_verify() -> None:
    """Recompute every declaration from its pins; exit 1 if any differs."""
    problems = declarations.verify(db.session)
    total = db.session.scalar(select(func.count()).select_from(Declaration))
    for p in problems:
        click.echo(f"MISMATCH declaration {p.declaration_id} ({p.public_id}): {p.reason}")
    click.echo(f"{total} declarations checked, {len(problems)} differ.")
    if problems:
        raise SystemExit(1)


rollup_cli = AppGroup("rollup", help="Footprint recomputes.")


@rollup_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def rollup_worker(burst: bool) -> None:
    """Work the background queue (needs REDIS_URL)."""
    from redis import Redis
    from rq import Queue, Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.UsageError("Set REDIS_URL to run the background worker.")
    connection = Redis.from_url(url)
    Worker([Queue(jobs.QUEUE, connection=connection)], connection=connection).work(burst=burst)


@rollup_cli.command("run")
@click.option("--period", required=True, help="YYYY-MM-DD:YYYY-MM-DD")
def rollup_run(period: str) -> None:
    """Recompute a period now, in this process."""
    start, end = (date.fromisoformat(p) for p in period.split(":"))
    job = jobs.schedule_inline(db.session, start, end, "command line")
    click.echo(f"run {job.run_id}: {job.status}")
