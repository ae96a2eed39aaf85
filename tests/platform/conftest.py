"""Fixtures of the platform tests that talk HTTPS: a certificate made at test time for
127.0.0.1 (PACT partners' systems require HTTPS; tests/platform/test_pact_conformance.py); and a
Redis database of the test process's own for the background worker's tests."""

from __future__ import annotations

import ipaddress
import os
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tanlian PACT test host")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextmanager
def https_server(app: Flask, certificate: tuple[Path, Path]) -> Iterator[str]:
    """`app` served over HTTPS on a free port of 127.0.0.1 with the test certificate, in a
    thread, for as long as the block runs; yields its base URL."""
    cert_file, key_file = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def redis_url(worker: str) -> str:
    """A Redis database of this test process's own (xdist workers and checkouts must not
    share a queue)."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    process, _, checkout = worker.partition("_")  # "gw1_3fa2c9": xdist worker, checkout
    index = int(process[2:]) if process.startswith("gw") else 0
    number = 1 + (int(checkout or "0", 16) * 4 + index) % 15  # Redis has databases 0-15
    url = os.environ.get("TANLIAN_TEST_REDIS_URL", "redis://127.0.0.1:6379") + f"/{number}"
    try:
        Redis.from_url(url).flushdb()
    except RedisDown:
        pytest.skip(f"Redis not reachable at {url}: background-queue test skipped")
    return url
