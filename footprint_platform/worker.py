"""The background worker's side: an application with the platform only (no pages), and the
job functions RQ imports by name. Run it with `flask --app app rollup worker`."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from footprint_platform.app_setup import init_platform
from footprint_platform.extensions import db
from footprint_platform.services import jobs, pact_delivery


def platform_app() -> Flask:
    """Configured from the environment, like the web application."""
    app = Flask(
        "tanlian-worker",
        root_path=str(Path(__file__).resolve().parent.parent),
        instance_relative_config=True,
    )
    init_platform(app)
    return app


def recompute(job_id: int) -> None:
    """RQ job: recompute a period (see services/jobs.py)."""
    app = platform_app()
    with app.app_context():
        jobs.run_job(db.session, job_id)
        db.session.remove()


def deliver_pact(delivery_id: int) -> None:
    """RQ job: one attempt at a PACT event delivery; a retry is queued while it is pending."""
    app = platform_app()
    with app.app_context():
        pact_delivery.run(db.session, delivery_id)
        db.session.remove()
