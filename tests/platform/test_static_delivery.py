"""Static files go out compressed and cacheable: plotly.js is most of a cold public page."""

from __future__ import annotations

import gzip

from flask import Flask

PLOTLY = "/dashboard/static/vendor/plotly/plotly.min.js"


def test_scripts_are_gzipped_for_clients_that_accept_it(demo_app: Flask) -> None:
    client = demo_app.test_client()
    plain = client.get(PLOTLY, headers={"Accept-Encoding": "identity"})
    packed = client.get(PLOTLY, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data  # the same file, only smaller
    assert len(packed.data) < len(plain.data) / 2
    for response in (plain, packed):
        assert response.headers["Cache-Control"] == "public, max-age=3600"
        assert "Accept-Encoding" in response.headers["Vary"]


def test_a_returning_reader_gets_a_304_for_either_encoding(demo_app: Flask) -> None:
    client = demo_app.test_client()
    for encoding in ("identity", "gzip"):
        first = client.get(PLOTLY, headers={"Accept-Encoding": encoding})
        again = client.get(
            PLOTLY, headers={"Accept-Encoding": encoding, "If-None-Match": first.headers["ETag"]}
        )
        assert again.status_code == 304, encoding


def test_pages_stay_private_and_small_files_plain(demo_app: Flask) -> None:
    client = demo_app.test_client()
    page = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Cache-Control"] == "private, no-store"
    icon = client.get("/static/favicon.svg", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in icon.headers  # under 1 KB: not worth compressing
    assert icon.headers["Cache-Control"] == "public, max-age=3600"
