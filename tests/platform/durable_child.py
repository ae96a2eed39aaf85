"""A child process of the durability tests, killed (SIGKILL, by itself) at a chosen moment:
`submit`: the foil's maker resubmits its data and the process dies right after the commit,
before the recompute is handed on; `worker <stage>`: a background worker dies at the start of
the recompute, at the start of the redeclaration, or right after it (before its commit).

    python -m tests.platform.durable_child submit | worker recompute|redeclare|redeclared
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import date
from typing import Any, NoReturn

from footprint_platform.services import workflow


def _die(*_: Any, **__: Any) -> NoReturn:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def _submit() -> None:
    from sqlalchemy import select

    from app import create_app
    from footprint_platform.extensions import db
    from footprint_platform.models import Product
    from footprint_platform.services.intake import submissions
    from tests.platform.demo_ids import admin_actor

    for name in ("dispatch", "dispatch_requested", "schedule"):  # whatever hands it on
        if hasattr(workflow, name):
            setattr(workflow, name, _die)
    with create_app().app_context():
        foil = db.session.scalar(select(Product).where(Product.part_number == "JN-AL-12"))
        actor = admin_actor("data@jiangnan-foil.example")
        draft = submissions.start_draft(
            db.session, actor, foil.id, date(2025, 1, 1), date(2025, 12, 31)
        )
        workflow.submit(db.session, actor, draft.id)


def _worker(stage: str) -> None:
    from app import create_app
    from footprint_platform import worker
    from footprint_platform.services.disclosure import declarations
    from footprint_platform.services.graph import results

    if stage == "recompute":
        results.recompute = _die  # type: ignore[assignment]
    elif stage == "redeclare":
        declarations.redeclare_downstream = _die  # type: ignore[assignment]
    else:
        original = declarations.redeclare_downstream

        def then_die(*args: Any, **kwargs: Any) -> NoReturn:
            original(*args, **kwargs)
            _die()

        declarations.redeclare_downstream = then_die  # type: ignore[assignment]
    app = create_app()
    with app.app_context():
        if hasattr(worker, "work"):
            worker.work(app, os.environ["REDIS_URL"], burst=True)
        else:  # before the platform's own worker: RQ's, in this process
            from redis import Redis
            from rq import Queue, SimpleWorker

            connection = Redis.from_url(os.environ["REDIS_URL"])
            queue = Queue("rollup", connection=connection)
            SimpleWorker([queue], connection=connection).work(burst=True)


if __name__ == "__main__":
    if sys.argv[1] == "submit":
        _submit()
    else:
        _worker(sys.argv[2])
    sys.exit(3)  # it was meant to die before this
