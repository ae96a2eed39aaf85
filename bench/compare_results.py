"""Same results before and after a change to the roll-up: a full recompute of every period of a
SQLite database, by the code on this checkout, with what it stored and the graph it solved dumped
to a file; then two dumps compared.

    .venv/bin/python bench/compare_results.py dump DB.sqlite3 OUT.pickle
    .venv/bin/python bench/compare_results.py compare BEFORE.pickle AFTER.pickle [--rel 1e-12]

`dump` works on a copy of the database (the original is left as it was) and recomputes each
period that has submissions, in period order, each as `flask rollup run` does. Run it once with
the old code (e.g. `PYTHONPATH=<worktree of the old commit>`) and once with the new, on the same
database; `compare` reports every stored column that differs (numbers beyond `--rel` relative,
anything else at all) and the graphs' nodes, leaves and edges (as sets: the order may change).
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import pickle
import shutil
import sqlite3
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

RESULT_COLUMNS = (
    "product_id, total, by_stage, primary_data_share, dqr, dqi, basis, upstream_missing, "
    "carried_share, fallback_share"
)


def dump(database: Path, out: Path) -> None:
    from app import create_app
    from footprint_platform.extensions import db
    from footprint_platform.services.graph import results

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.sqlite3"
        shutil.copyfile(database, copy)
        periods = [
            (date.fromisoformat(a), date.fromisoformat(b))
            for a, b in sqlite3.connect(copy).execute(
                "SELECT DISTINCT period_start, period_end FROM submission "
                "WHERE status = 'submitted' ORDER BY 1, 2"
            )
        ]
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}", "SECRET_KEY": "b"})
        found: dict[str, Any] = {}
        with app.app_context():
            for start, end in periods:
                session: Any = db.session
                run, chain, _ = results.recompute_timed(session, start, end, "compare")
                g = chain.graph
                found[f"{start}/{end}"] = {
                    "results": _stored(db.session, run.id),
                    "nodes": _nodes(g),
                    "edges": _edges(g),
                    "allocations": {
                        str(g.ids[i]): (a.basis, a.share) for i, a in g.allocations.items()
                    },
                    "missing": sorted(chain.missing),
                    "fallback": sorted(chain.fallback),
                    "carried": sorted(chain.carried),
                    "pins": chain.submissions.id_map(),
                    "digest": _digest(g),
                }
            db.session.remove()
            db.engine.dispose()
    out.write_bytes(pickle.dumps(found))
    sizes = ", ".join(f"{k} ({len(v['results'])} results)" for k, v in found.items())
    print(f"{out}: {sizes}")


def _digest(g: Any) -> str:
    """The graph's arrays as solved, in their order: equal digests, the same graph bit for bit."""
    h = hashlib.sha256()
    for name in ("ids", "provider", "consumer", "amount", "direct", "primary", "dqr", "ratings"):
        h.update(np.ascontiguousarray(getattr(g, name)).tobytes())
    for name in ("unit_names", "category_names"):
        h.update(repr(getattr(g, name)).encode())
    h.update(np.asarray(g.unit_code).tobytes() + np.asarray(g.category_code).tobytes())
    return h.hexdigest()


def _stored(session: Any, run_id: int) -> dict[int, tuple[Any, ...]]:
    from sqlalchemy import text

    rows = session.execute(
        text(f"SELECT {RESULT_COLUMNS} FROM product_result WHERE run_id = :r"), {"r": run_id}
    )
    return {int(r[0]): tuple(r[1:]) for r in rows}


def _nodes(g: Any) -> dict[str, tuple[Any, ...]]:
    return {
        str(g.ids[i]): (
            g.unit_names[int(g.unit_code[i])],
            None if g.category_code[i] < 0 else g.category_names[int(g.category_code[i])],
            tuple(g.direct[i].tolist()),
            float(g.primary[i]),
            None if g.ratings is None else tuple(g.ratings[i].tolist()),
        )
        for i in range(g.n_nodes)
    }


def _edges(g: Any) -> list[tuple[str, str, float]]:
    """(provider, consumer, amount in the provider's unit), sorted: the same edges, whatever
    their order."""
    return sorted(
        (str(g.ids[p]), str(g.ids[c]), float(a))
        for p, c, a in zip(g.provider.tolist(), g.consumer.tolist(), g.amount.tolist(), strict=True)
    )


def _close(a: Any, b: Any, rel: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= rel * max(abs(a), abs(b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b):
        return all(_close(x, y, rel) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def compare(before: Path, after: Path, rel: float) -> int:
    old, new = pickle.loads(before.read_bytes()), pickle.loads(after.read_bytes())
    problems: list[str] = []
    if old.keys() != new.keys():
        problems.append(f"periods {sorted(old)} != {sorted(new)}")
    exact = identical = 0
    for period in sorted(old.keys() & new.keys()):
        o, n = old[period], new[period]
        for part in ("missing", "fallback", "carried", "pins", "allocations"):
            if o[part] != n[part]:
                problems.append(f"{period} {part} differ")
        for part in ("results", "nodes"):
            if o[part].keys() != n[part].keys():
                problems.append(f"{period} {part}: keys differ")
            for key in sorted(o[part].keys() & n[part].keys()):
                a, b = o[part][key], n[part][key]
                identical += repr(a) == repr(b)  # also the same types (REAL or INTEGER)
                if a != b and not _close(a, b, rel):
                    problems.append(f"{period} {part} {key}: {a!r} != {b!r}")
                exact += 1
        same = o.get("digest") == n.get("digest")
        print(f"{period}: the graphs' arrays are {'identical' if same else 'not identical'}")
        if len(o["edges"]) != len(n["edges"]) or not all(
            _close(a, b, rel) for a, b in zip(o["edges"], n["edges"], strict=True)
        ):
            problems.append(f"{period} edges differ")
    for p in problems[:40]:
        print(p)
    print(
        f"{exact} results and nodes compared, {identical} identical, "
        f"{len(problems)} problems (relative tolerance {rel:g})"
    )
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("database", type=Path)
    d.add_argument("out", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--rel", type=float, default=1e-12)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.database, args.out)
    else:
        sys.exit(compare(args.before, args.after, args.rel))


if __name__ == "__main__":
    main()
