"""Static files served compressed and cached. plotly.js alone is 1.3 MB; gzip makes it about a
third of that, and a revalidating cache lets a returning reader skip it (a 304). Compressed
bytes are kept in memory per file version (its ETag), so each file is compressed once per
process. Only text types are compressed; a range request or a 304 passes through untouched."""

from __future__ import annotations

import gzip
import threading

from flask import Flask, Response, request

COMPRESSIBLE = ("text/css", "text/javascript", "application/javascript", "image/svg+xml")
COMPRESSIBLE += ("application/json", "text/plain")
MIN_SIZE = 1024  # below this the headers cost more than the saving
# An hour fresh, then revalidated by ETag: file names carry no content hash, so a long
# immutable lifetime would keep an old script after an upgrade.
STATIC_CACHE = "public, max-age=3600"

_cache: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()


def _is_static() -> bool:
    return bool(request.endpoint) and str(request.endpoint).rsplit(".", 1)[-1] == "static"


def _compress(response: Response) -> Response:
    if not _is_static():
        return response
    response.headers["Cache-Control"] = STATIC_CACHE
    response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or response.mimetype not in COMPRESSIBLE
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or "Content-Encoding" in response.headers
    ):
        return response
    etag, _weak = response.get_etag()
    key = (request.path, etag or "")
    with _lock:
        packed = _cache.get(key) if etag else None
    if packed is None:
        response.direct_passthrough = False
        raw = response.get_data()
        if len(raw) < MIN_SIZE:
            return response
        packed = gzip.compress(raw, compresslevel=9, mtime=0)
        if etag:
            with _lock:
                _cache[key] = packed
    response.direct_passthrough = False
    response.set_data(packed)
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(packed))
    if etag:  # same content, another encoding: a weak tag, which If-None-Match still matches
        response.set_etag(etag, weak=True)
    return response


def init_static_delivery(app: Flask) -> None:
    app.after_request(_compress)
