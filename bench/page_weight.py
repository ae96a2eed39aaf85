"""Cold weight of the public pages a phone opens: the light page the label's QR code leads to,
a published declaration's full page and the public list, as the HTML plus every script, style
and image the page loads, fetched once without compression and once with
`Accept-Encoding: gzip` (what a browser sends), through the test client over a fresh demo
database.

    .venv/bin/python bench/page_weight.py [--db bench/out/page_weight.sqlite3]

One JSON line per page and encoding on stdout. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from sqlalchemy import select

from app import create_app
from tests.conftest import TEST_SETTINGS, _build


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="bench/out/page_weight.sqlite3")
    path = Path(parser.parse_args().db)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path.resolve()}"
    _build(url, True, False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **TEST_SETTINGS})
    from footprint_platform.extensions import db
    from footprint_platform.models import Declaration

    with app.app_context():
        public_id = db.session.scalar(
            select(Declaration.public_id).where(Declaration.published_at.is_not(None)).limit(1)
        )
    client = app.test_client()
    pages = (
        ("QR landing page", f"/q/{public_id}"),
        ("declaration (full page)", f"/d/{public_id}"),
        ("public list", "/d/"),
    )
    for page, path_ in pages:
        for encoding in ("identity", "gzip"):
            html = client.get(path_, headers={"Accept-Encoding": encoding})
            parts = {"html": len(html.data)}
            for ref in re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css|svg))"', html.text):
                parts[ref.rsplit("/", 1)[-1]] = len(
                    client.get(ref, headers={"Accept-Encoding": encoding}).data
                )
            total = sum(parts.values())
            print(json.dumps({"page": page, "encoding": encoding, "bytes": total, **parts}))


if __name__ == "__main__":
    main()
