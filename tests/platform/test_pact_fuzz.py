"""Schemathesis against the PACT endpoints (`/auth/token`, `/3/footprints`,
`/3/footprints/{id}`, `/3/events`), described by our own OpenAPI document
footprint_platform/pact/openapi.json: for a fixed, derandomized budget of generated requests —
valid ones and, separately, ones that break the documented shapes — with the demo partner's
credentials and a valid bearer token, no answer is a server error, every answer matches the
document (status codes, content type, error bodies `{code, message}`, the footprint envelopes),
every footprint served passes the full PACT 3.0.3 JSON Schema, and every event accepted is kept.

Driven through schemathesis' Python API and Hypothesis directly, as test_api_fuzz.py is.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.demo_pact import demo_pact_logins
from footprint_platform.extensions import db
from footprint_platform.models import PactEvent

DOCUMENT = Path(__file__).resolve().parents[2] / "footprint_platform" / "pact" / "openapi.json"
BUDGET = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}  # requests per operation
_, _, CLIENT_ID, SECRET = demo_pact_logins()[0]
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()


def _footprints(response: Any) -> list[Any]:
    if response.status_code != 200 or "/3/footprints" not in response.request.url:
        return []
    data = json.loads(response.content)["data"]
    return data if isinstance(data, list) else [data]


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], accepted: set[str]
) -> list[str]:
    """Served footprint ids; the ids of the events answered 200 go into `accepted`."""
    served: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=BUDGET[mode],
        deadline=None,
        derandomize=True,  # the same requests on every run: a red CI is reproducible
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        # Unknown filter values are not errors in PACT (an empty list); a valid body may still
        # name a grant we do not offer: neither is a failure of the contract.
        # Our credentials, marked as given by us (not generated): schemathesis then also sends
        # the request without them and with made-up ones, and expects a 401 for both.
        case.headers = {**(case.headers or {}), **headers}
        case._has_explicit_auth = True
        response = case.call()
        case.validate_response(
            response, excluded_checks=[positive_data_acceptance, negative_data_rejection]
        )
        for pf in _footprints(response):
            assert json_schemas.problems("pact", pf) == [], pf.get("id")
            served.append(pf["id"])
        if operation.path == "/3/events" and response.status_code == 200:
            assert response.content == b""
            body = case.body if isinstance(case.body, dict) else json.loads(case.body)
            accepted.add(body["id"].strip())

    run()
    return served


@pytest.mark.slow
def test_the_pact_endpoints_answer_as_documented(demo_app: Flask) -> None:
    schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text("utf-8")))
    schema.app = demo_app
    token = demo_app.test_client().post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": BASIC}
    )
    assert token.status_code == 200
    bearer = f"Bearer {token.get_json()['access_token']}"
    failures: list[str] = []
    served: set[str] = set()
    accepted: set[str] = set()
    operations = {r.ok().label: r.ok() for r in schema.get_all_operations()}
    for label, operation in operations.items():
        auth = BASIC if operation.path == "/auth/token" else bearer
        for mode in BUDGET:
            try:
                served.update(_fuzz(operation, mode, {"Authorization": auth}, accepted))
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{label} ({mode.value}): {exc}")
    # generated ids are unknown ones (404) or not UUIDs (400): read the served ones too
    read = operations["GET /3/footprints/{id}"]
    for pf_id in sorted(served):
        case = read.Case(path_parameters={"id": pf_id}, headers={"Authorization": bearer})
        response = case.call()
        assert response.status_code == 200 and _footprints(response)[0]["id"] == pf_id
        assert json_schemas.problems("pact", _footprints(response)[0]) == []
        case.validate_response(response)
    assert sorted(operations) == [
        "GET /3/footprints",
        "GET /3/footprints/{id}",
        "POST /3/events",
        "POST /auth/token",
    ]
    assert failures == [], "\n\n".join(failures)
    assert served  # the fuzzed lists did serve footprints, and each one was checked
    assert accepted  # valid events were generated and answered 200 ...
    with demo_app.app_context():  # ... and each one was kept
        kept = set(db.session.scalars(select(PactEvent.event_id)))
    assert accepted <= kept, sorted(accepted - kept)[:5]
