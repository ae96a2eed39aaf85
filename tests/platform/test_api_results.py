"""The results API: an organization's results per period, breakdowns, declarations and their
verification, shares and link requests, with the pages' authorization, cursor pagination,
filters and ETags."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from footprint_platform.reference import load_reference
from tests.platform.demo_ids import Ids
from tests.platform.statement import STATEMENT_FORM

pytestmark = pytest.mark.postgres


@pytest.fixture
def client(prepared_app: Flask) -> FlaskClient:
    return prepared_app.test_client()


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _all_pages(client: FlaskClient, path: str, secret: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        sep = "&" if "?" in path else "?"
        body = client.get(f"{path}{sep}{query}", headers=_bearer(secret)).get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ends")


def test_results_per_period_page_by_cursor_without_loss_or_repeat(
    client: FlaskClient, ids: Ids
) -> None:
    path = f"/api/v1/organizations/{ids.org}/results"
    whole = client.get(f"{path}?limit=200", headers=_bearer(ids.read_secret)).get_json()
    assert whole["next_cursor"] is None and len(whole["items"]) >= 2
    assert _all_pages(client, path, ids.read_secret, 1) == whole["items"]
    for item in whole["items"]:
        stages = sum(item["by_stage"].values())
        assert stages == pytest.approx(float(item["total"]), rel=1e-9, abs=1e-9)
        assert 0 <= float(item["primary_data_share"]) <= 1
        assert item["basis"] in ("submitted", "generic")


def test_results_filter_by_period_and_category(client: FlaskClient, ids: Ids) -> None:
    path = f"/api/v1/organizations/{ids.org}/results"
    items = client.get(f"{path}?limit=200", headers=_bearer(ids.read_secret)).get_json()["items"]
    first = items[0]
    period = f"{first['period_start']}/{first['period_end']}"
    got = client.get(f"{path}?period={period}&limit=200", headers=_bearer(ids.read_secret))
    in_period = [i for i in items if [i["period_start"], i["period_end"]] == period.split("/")]
    assert got.get_json()["items"] == in_period
    got = client.get(
        f"{path}?category={first['category']}&limit=200", headers=_bearer(ids.read_secret)
    )
    assert got.get_json()["items"] == [i for i in items if i["category"] == first["category"]]


def test_results_refuse_a_bad_cursor_or_period_by_field(client: FlaskClient, ids: Ids) -> None:
    path = f"/api/v1/organizations/{ids.org}/results"
    bad = client.get(f"{path}?cursor=%%%&period=2025-13-01/x", headers=_bearer(ids.read_secret))
    assert bad.status_code == 422
    assert {"cursor", "period"} <= set(bad.get_json()["errors"])


def test_results_are_the_makers_own(client: FlaskClient, ids: Ids) -> None:
    """Another organization's token sees none of the maker's figures: 403, not an empty list."""
    path = f"/api/v1/organizations/{ids.org}/results"
    assert client.get(path, headers=_bearer(ids.other_write_secret)).status_code == 403
    breakdown = client.get(
        f"/api/v1/products/{ids.product}/breakdown", headers=_bearer(ids.other_write_secret)
    )
    assert breakdown.status_code == 403


def test_an_unchanged_list_answers_304_to_its_etag(client: FlaskClient, ids: Ids) -> None:
    path = f"/api/v1/organizations/{ids.org}/results"
    first = client.get(path, headers=_bearer(ids.read_secret))
    etag = first.headers["ETag"]
    again = client.get(path, headers={**_bearer(ids.read_secret), "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(
        f"{path}?limit=1", headers={**_bearer(ids.read_secret), "If-None-Match": etag}
    )
    assert other.status_code == 200


def test_a_breakdown_groups_the_upstream_without_naming_it(client: FlaskClient, ids: Ids) -> None:
    results = client.get(
        f"/api/v1/organizations/{ids.org}/results?limit=200", headers=_bearer(ids.read_secret)
    ).get_json()["items"]
    product = next(i for i in results if i["basis"] == "submitted")["product_id"]
    body = client.get(
        f"/api/v1/products/{product}/breakdown", headers=_bearer(ids.read_secret)
    ).get_json()
    assert body["computed"] and body["consistent"] and body["groups"]
    assert sum(g["contribution"] for g in body["groups"]) == pytest.approx(float(body["total"]))
    named = {"product_id", "part_number", "name_en", "node", "supplier", "organization_id"}
    fields = {"tier", "category", "contribution", "share", "primary_share", "dqr", "bought_for"}
    assert all(set(g) == fields for g in body["groups"])
    # a generic dataset is counted beside each group buying it, named by that group's category
    bought_for = {g["bought_for"] for g in body["groups"]} - {None}
    assert bought_for and bought_for <= set(load_reference().categories)
    assert not named & set().union(*(set(g) for g in body["groups"]))


def test_a_declaration_goes_from_draft_to_verified_publication_and_withdrawal(
    client: FlaskClient, ids: Ids
) -> None:
    maker, verifier = _bearer(ids.write_secret), _bearer(ids.verifier_write_secret)
    result = next(
        i
        for i in client.get(
            f"/api/v1/organizations/{ids.org}/results?limit=200", headers=maker
        ).get_json()["items"]
        if i["basis"] == "submitted"
    )
    made = client.post(
        f"/api/v1/organizations/{ids.org}/declarations",
        headers=maker,
        json={
            "product_id": result["product_id"],
            "period_start": result["period_start"],
            "period_end": result["period_end"],
            "reason": "API test",
        },
    )
    assert made.status_code == 201, made.get_json()
    d = made.get_json()
    assert d["status"] == "draft" and d["verification"] == "unverified"
    assert d["total"] == result["total"]
    early = client.post(f"/api/v1/declarations/{d['id']}/publish", headers=maker)
    assert early.status_code == 409  # its rule publishes verified declarations only
    asked = client.post(
        f"/api/v1/declarations/{d['id']}/verification",
        headers=maker,
        json={"verifier_id": ids.verifier_org},
    )
    assert asked.status_code == 201
    assignments = client.get(
        f"/api/v1/organizations/{ids.verifier_org}/verifications", headers=verifier
    ).get_json()["items"]
    assert asked.get_json()["id"] in [a["id"] for a in assignments]
    seen = client.get(f"/api/v1/verifications/{asked.get_json()['id']}", headers=verifier)
    assert seen.get_json()["declaration"]["content_hash"] == d["content_hash"]
    # the maker cannot decide its own verification
    from footprint_platform.extensions import db
    from footprint_platform.models import Declaration
    from footprint_platform.services.disclosure import publication

    with client.application.app_context():  # the mass-balance reasons the verifier accepts
        stated = publication.stated_reasons(db.session, db.session.get(Declaration, d["id"]))
    decision = {
        "verdict": "verified",
        "findings": "Checked against the plant's records.",
        "accepted": sorted(stated),
        **STATEMENT_FORM,
    }
    own = client.post(
        f"/api/v1/verifications/{asked.get_json()['id']}/decision", headers=maker, json=decision
    )
    assert own.status_code == 403
    decided = client.post(
        f"/api/v1/verifications/{asked.get_json()['id']}/decision", headers=verifier, json=decision
    )
    assert decided.get_json()["status"] == "verified"
    published = client.post(f"/api/v1/declarations/{d['id']}/publish", headers=maker)
    assert published.get_json()["status"] == "published"
    assert published.get_json()["verification"] == "verified"
    withdrawn = client.post(f"/api/v1/declarations/{d['id']}/withdraw", headers=maker)
    assert withdrawn.get_json()["withdrawn_at"] is not None


def test_a_declaration_is_made_only_of_the_organizations_own_product(
    client: FlaskClient, ids: Ids
) -> None:
    made = client.post(
        f"/api/v1/organizations/{ids.org}/declarations",
        headers=_bearer(ids.write_secret),
        json={
            "product_id": ids.other_product,
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
    )
    assert made.status_code == 422 and "product_id" in made.get_json()["errors"]


def test_declarations_list_pages_and_filters(client: FlaskClient, ids: Ids) -> None:
    path = f"/api/v1/organizations/{ids.org}/declarations"
    whole = client.get(f"{path}?limit=200", headers=_bearer(ids.read_secret)).get_json()["items"]
    assert _all_pages(client, path, ids.read_secret, 1) == whole
    assert [d["id"] for d in whole] == sorted((d["id"] for d in whole), reverse=True)
    period = f"{whole[0]['period_start']}/{whole[0]['period_end']}"
    filtered = _all_pages(client, f"{path}?period={period}", ids.read_secret, 2)
    assert filtered == [
        d
        for d in whole
        if d["period_start"] == whole[0]["period_start"]
        and d["period_end"] == whole[0]["period_end"]
    ]


def test_shares_and_link_requests_read_and_ask(client: FlaskClient, ids: Ids) -> None:
    shares = client.get(
        f"/api/v1/organizations/{ids.org}/shares", headers=_bearer(ids.read_secret)
    ).get_json()["items"]
    assert ids.share in [s["id"] for s in shares]
    incoming = client.get(
        f"/api/v1/organizations/{ids.org}/link-requests?direction=incoming",
        headers=_bearer(ids.read_secret),
    ).get_json()["items"]
    assert [r["id"] for r in incoming] == [ids.incoming_link]
    cancelled = client.post(
        f"/api/v1/link-requests/{ids.outgoing_link}/cancel", headers=_bearer(ids.write_secret)
    )
    assert cancelled.get_json()["status"] == "cancelled"
    again = client.post(
        f"/api/v1/organizations/{ids.org}/link-requests",
        headers=_bearer(ids.write_secret),
        json={"product_id": ids.other_product},
    )
    assert again.status_code == 201 and again.get_json()["status"] == "pending"
