"""Command-line tasks: `flask demo load`, `flask demo logins`, `flask declarations verify`,
`flask declarations verify-file`, `flask signing new-key`."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from footprint_platform import signing
from footprint_platform.demo import demo_logins, load_demo
from footprint_platform.demo_pact import demo_pact_logins
from footprint_platform.extensions import db
from footprint_platform.models import Declaration
from footprint_platform.services import workflow
from footprint_platform.services.disclosure import declarations, signatures

demo = AppGroup("demo", help="The demo supply chain.")


@demo.command("load")
@click.option(
    "--scale",
    type=int,
    default=None,
    help="Instead of the demo chain: a synthetic industry of N products with submitted data "
    "for 2025 (an empty database only; no logins).",
)
@click.option("--seed", type=int, default=2024, show_default=True, help="With --scale.")
def demo_load(scale: int | None, seed: int) -> None:
    """Load the demo chain into an empty database (does nothing if there is data)."""
    if scale is not None:
        _load_scale(scale, seed)
        return
    if load_demo(db.session):
        click.echo("Demo supply chain loaded.")
    else:
        click.echo("Database already has organizations; demo not loaded (nothing changed).")


def _load_scale(n: int, seed: int) -> None:
    from footprint_platform.scale import load_scale

    t0 = time.perf_counter()
    try:
        counts = load_scale(db.session, n, seed)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    rows = ", ".join(f"{v} {k}" for k, v in counts.items())
    click.echo(f"Synthetic industry loaded in {time.perf_counter() - t0:.1f} s: {rows}.")
    click.echo("Compute it with: flask rollup run --period 2025-01-01:2025-12-31")


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


STANDING = {
    "current": "current (the latest published version)",
    "superseded": "superseded (a newer version replaces it)",
    "withdrawn": "withdrawn by its publisher",
    "unpublished": "not published (a draft's file)",
    "unknown": "unknown here (no declaration with this id and content hash)",
}


@declarations_cli.command("verify-file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.argument("signature", type=click.Path(exists=True, dir_okay=False))
def declarations_verify_file(file: str, signature: str) -> None:
    """Check a downloaded FILE against its SIGNATURE (.jws); exit 1 if it does not verify."""
    jws = Path(signature).read_bytes()[: signing.MAX_SIGNATURE_CHARS + 1]
    check = signatures.check_file(
        db.session,
        signing.keyring(),
        Path(file).read_bytes(),
        jws.decode("utf-8", errors="replace"),
    )
    if not check.valid:
        click.echo(f"INVALID: {signing.REASONS[check.reason or 'malformed']}")
        raise SystemExit(1)
    key = "current key" if check.current_key else "retired key"
    click.echo(f"VALID: signed by Tanlian ({key} {check.kid})")
    click.echo(f"declaration {check.public_id} version {check.version} format {check.format}")
    click.echo(f"content hash {check.content_hash}, signed as {check.signed_status}")
    click.echo(f"now: {STANDING[check.standing or 'unknown']}")


signing_cli = AppGroup("signing", help="The keys Tanlian signs its files with.")


@signing_cli.command("new-key")
@click.argument("path", type=click.Path(dir_okay=False))
def signing_new_key(path: str) -> None:
    """Write a new Ed25519 private key to PATH (never over a file) and its public key beside."""
    try:
        key = signing.write_new_key(Path(path))
    except FileExistsError:
        raise click.ClickException(f"{path} exists; nothing written") from None
    public = Path(path + ".pub")
    public.write_bytes(key.as_pem(private=False))
    click.echo(f"key id {signing.kid_of(key)}: private key {path}, public key {public}")
    click.echo("Set SIGNING_KEY_FILE to it; list the previous key in SIGNING_RETIRED_KEY_FILES.")


rollup_cli = AppGroup("rollup", help="Footprint recomputes.")


@rollup_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def rollup_worker(burst: bool) -> None:
    """Work the background queues in this process (needs REDIS_URL); SIGTERM stops it after
    the job at hand."""
    from footprint_platform.worker import work

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.UsageError("Set REDIS_URL to run the background worker.")
    work(current_app._get_current_object(), url, burst=burst)  # type: ignore[attr-defined]


@rollup_cli.command("dispatch")
def rollup_dispatch() -> None:
    """Run the recompute jobs nobody is running (their process died, or they never reached the
    queue); cron it where there is no background worker."""
    ran = workflow.run_due(db.session)
    click.echo(f"{ran} recompute jobs run.")


@rollup_cli.command("run")
@click.option("--period", required=True, help="YYYY-MM-DD:YYYY-MM-DD")
def rollup_run(period: str) -> None:
    """Recompute a period now, in this process."""
    start, end = (date.fromisoformat(p) for p in period.split(":"))
    job = workflow.schedule_inline(db.session, start, end, "command line")
    click.echo(f"run {job.run_id}: {job.status}")


@click.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--encrypt",
    is_flag=True,
    help="Encrypt the dump (AES-256-GCM, key from a passphrase by scrypt). The passphrase comes "
    "from TANLIAN_BACKUP_PASSPHRASE, else it is asked for.",
)
@with_appcontext
def export_cmd(path: str, encrypt: bool) -> None:
    """Write a complete, versioned dump of the database to PATH (a zip only its owner may
    read)."""
    from pathlib import Path

    from footprint_platform.backup import export_database
    from footprint_platform.backup_files import SealError, write_dump

    passphrase = _passphrase(confirm=True) if encrypt else None
    try:
        manifest = write_dump(Path(path), lambda out: export_database(db.engine, out), passphrase)
    except SealError as exc:
        raise click.ClickException(f"Not exported: {exc}") from None
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(
        f"Exported {rows} rows from {len(manifest['tables'])} tables at schema revision "
        f"{manifest['schema_revision']} to {path}"
        + (" (encrypted)." if encrypt else " (not encrypted; readable by its owner only).")
    )


def _passphrase(confirm: bool = False) -> str:
    """The backup passphrase: from the environment (never an argument: others could read it in
    the process list), else typed without echo."""
    import os

    from footprint_platform.backup_files import PASSPHRASE_VARIABLE

    given = os.environ.get(PASSPHRASE_VARIABLE)
    if given:
        return given
    return str(click.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm))


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_cmd(path: str) -> None:
    """Restore a dump made by `flask export` into this empty database (same schema revision);
    an encrypted dump asks for its passphrase (or takes TANLIAN_BACKUP_PASSPHRASE)."""
    from pathlib import Path

    from footprint_platform.backup import DumpRefused, import_database
    from footprint_platform.backup_files import SealError, readable_dump

    try:
        with readable_dump(Path(path), _passphrase) as source:
            manifest = import_database(db.engine, source)
    except (DumpRefused, SealError) as exc:
        raise click.ClickException(f"Not imported, nothing changed: {exc}") from None
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"Imported {rows} rows from {path}. Check them with `flask declarations verify`.")


pact_cli = AppGroup("pact", help="PACT events to partners.")


webhooks_cli = AppGroup("webhooks", help="Webhook deliveries to organizations' endpoints.")


@webhooks_cli.command("deliver")
def webhooks_deliver() -> None:
    """Attempt every webhook delivery that is due now (cron, without a Redis worker)."""
    from footprint_platform.services.notify import webhook_delivery

    ids = webhook_delivery.due(db.session)
    for delivery_id in ids:
        webhook_delivery.attempt(db.session, delivery_id)
    click.echo(f"{len(ids)} due webhook deliveries attempted.")


notifications_cli = AppGroup("notifications", help="E-mail notifications of events.")


@notifications_cli.command("send")
def notifications_send() -> None:
    """Mail the immediate notifications not sent yet (those a mail server refused)."""
    from footprint_platform.services.notify import notifications

    click.echo(f"{notifications.deliver_immediate(db.session)} notification mails sent.")


@notifications_cli.command("digest")
def notifications_digest() -> None:
    """Mail each person's digest of the events gathered since the last run (run it daily,
    e.g. from cron; a second run sends nothing until new events arrive)."""
    from footprint_platform.services.notify import notifications

    click.echo(f"{notifications.send_digests(db.session)} digest mails sent.")


@pact_cli.command("deliver")
def pact_deliver() -> None:
    """Attempt every PACT event delivery that is due now (cron, without a Redis worker)."""
    from footprint_platform.services.pact import sending as pact_sending

    ids = pact_sending.due(db.session)
    for delivery_id in ids:
        pact_sending.attempt(db.session, delivery_id)
    click.echo(f"{len(ids)} due deliveries attempted.")


def register(app: Flask) -> None:
    """The `flask` commands, added by the application's composition root (app.py), not by
    init_platform: the worker builds its application with init_platform, and this module imports
    the worker."""
    for command in (
        demo,
        declarations_cli,
        rollup_cli,
        pact_cli,
        webhooks_cli,
        notifications_cli,
        signing_cli,
        export_cmd,
        import_cmd,
    ):
        app.cli.add_command(command)
