"""Schemathesis against /api/openapi.json: for a fixed budget of generated requests per
operation, with a write token of the owning organization, no answer is a server error and
every answer matches what the OpenAPI document says (status codes, content type, body schema).

Driven through schemathesis' Python API and Hypothesis directly (its pytest plugin does not
support this pytest version); each operation's first failure is collected and all are shown.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.platform.demo_ids import Ids

BUDGET = 15  # generated requests per operation (about 400 a run)


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=BUDGET,
        deadline=None,
        derandomize=True,  # the same requests on every run: a red CI is reproducible
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        # Business rules beyond the schema (a site of one's own, a capacity in range) refuse
        # some schema-valid bodies with a documented 422: not a failure of the contract.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()


def test_the_api_answers_as_documented(prepared_app: Flask, ids: Ids) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", prepared_app)
    headers = {"Authorization": f"Bearer {ids.write_secret}"}
    failures, labels = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        try:
            _fuzz(operation, headers)
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    assert len(labels) >= 35
    # the results API and webhooks are fuzzed like the rest
    for path in ("/results", "/breakdown", "/declarations", "/verifications", "/link-requests"):
        assert any(path in label for label in labels), path
    assert failures == [], "\n\n".join(failures)
