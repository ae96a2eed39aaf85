"""Submissions through the API and the form: validation that names rows, versions that never
change, and primary data nobody outside the supplier can read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import InputKind, Product, Submission, SubmissionInput
from footprint_platform.services import workflow
from tests.conftest import Session
from tests.platform.demo_ids import Ids

pytestmark = pytest.mark.postgres


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}


def _part(app: Flask, part: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Product.id).where(Product.part_number == part))


GOOD = [
    {"kind": "electricity", "quantity": "2.5", "unit": "kWh", "provenance": "measured"},
    {"kind": "material", "quantity": "1", "unit": "kWh", "linked_product_id": None},
    {
        "kind": "material",
        "description": "Steel",
        "quantity": "0.6",
        "unit": "kg",
        "factor_code": "mat.steel.crude.glo",
    },
    {
        "kind": "transport",
        "quantity": "6",
        "unit": "kg",
        "distance_km": "500",
        "factor_code": "transport.truck.heavy",
        "provenance": "calculated",
    },
]


def _content(app: Flask, **header: Any) -> dict[str, Any]:
    rows = [dict(r) for r in GOOD]
    rows[1]["linked_product_id"] = _part(app, "BS-LFP-280")
    return {"dqr": "2", "inputs": rows, **header}


def test_a_draft_is_saved_submitted_and_then_never_changes(prepared_app: Flask, ids: Ids) -> None:
    client, auth = prepared_app.test_client(), _bearer(ids.write_secret)
    saved = client.put(
        f"/api/v1/submissions/{ids.draft}", json=_content(prepared_app), headers=auth
    )
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()["submission"]
    assert [i["kind"] for i in body["inputs"]] == [
        "electricity",
        "material",
        "material",
        "transport",
    ]
    # the rule's grid factor: the latest published for the period's year (2026) or before
    assert body["inputs"][0]["factor_code"] == "elec.cn.cfp.2024"
    done = client.post(f"/api/v1/submissions/{ids.draft}/submit", json={}, headers=auth)
    assert done.status_code == 200 and done.get_json()["status"] == "submitted"
    assert len(done.get_json()["content_hash"]) == 64
    again = client.put(
        f"/api/v1/submissions/{ids.draft}", json=_content(prepared_app), headers=auth
    )
    assert again.status_code == 409


def test_a_new_version_starts_from_the_last_and_supersedes_it(
    prepared_app: Flask, ids: Ids
) -> None:
    client, auth = prepared_app.test_client(), _bearer(ids.write_secret)
    client.put(f"/api/v1/submissions/{ids.draft}", json=_content(prepared_app), headers=auth)
    client.post(f"/api/v1/submissions/{ids.draft}/submit", json={}, headers=auth)
    product = _part(prepared_app, "HD-PK-LFP-60")
    v2 = client.post(
        f"/api/v1/products/{product}/submissions",
        headers=auth,
        json={"period_start": "2026-01-01", "period_end": "2026-12-31"},
    ).get_json()
    assert v2["version"] == 2 and len(v2["inputs"]) == 4 and v2["supersedes_id"] == ids.draft
    changed = _content(prepared_app)
    changed["inputs"][0]["quantity"] = "3.1"
    client.put(f"/api/v1/submissions/{v2['id']}", json=changed, headers=auth)
    client.post(f"/api/v1/submissions/{v2['id']}/submit", json={}, headers=auth)
    versions = client.get(f"/api/v1/submissions/{v2['id']}/versions", headers=auth).get_json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "superseded"), (2, "submitted")]
    with prepared_app.app_context():
        from footprint_platform.services.intake import history
        from tests.platform.demo_ids import admin_actor

        diff = history.diff(
            db.session, admin_actor("admin@huadong-pack.example"), ids.draft, v2["id"]
        )
        assert [fields["quantity"] for _, fields in diff.changed] == [("2.5", "3.1")]


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ({"kind": "electricity", "quantity": "2", "unit": "kgg"}, "unit", "unit"),
        ({"kind": "electricity", "quantity": "2", "unit": "kg"}, "unit", "kWh"),
        (
            {
                "kind": "fuel",
                "quantity": "-1",
                "unit": "m^3",
                "factor_code": "fuel.natural_gas.combustion.cn",
            },
            "quantity",
            "negative",
        ),
        (
            {"kind": "fuel", "quantity": "1", "unit": "m^3", "factor_code": "fuel.unobtainium"},
            "factor_code",
            "Unknown factor",
        ),
        (
            {"kind": "material", "quantity": "1", "unit": "kg", "linked_product_id": 999999},
            "linked_product_id",
            "Unknown product",
        ),
        ({"kind": "material", "quantity": "1", "unit": "kg"}, "linked_product_id", "exactly one"),
        (
            {
                "kind": "electricity",
                "quantity": "1",
                "unit": "kWh",
                "factor_code": "elec.cn-e.co2.2022",
            },
            "factor_code",
            "carbon_footprint",
        ),
        (
            {
                "kind": "transport",
                "quantity": "5",
                "unit": "kg",
                "factor_code": "transport.truck.heavy",
            },
            "distance_km",
            "distance",
        ),
    ],
)
def test_each_bad_row_is_named_and_nothing_is_saved(
    prepared_app: Flask, ids: Ids, row: dict[str, Any], field: str, words: str
) -> None:
    client, auth = prepared_app.test_client(), _bearer(ids.write_secret)
    content = _content(prepared_app)
    content["inputs"].insert(2, row)
    response = client.put(f"/api/v1/submissions/{ids.draft}", json=content, headers=auth)
    body = response.get_json()
    assert response.status_code == 422
    assert body["code"] == "upload_rejected"
    assert words in " ".join(body["errors"][f"inputs[3].{field}"])
    with prepared_app.app_context():
        assert (
            db.session.scalars(
                select(SubmissionInput).where(SubmissionInput.submission_id == ids.draft)
            ).all()
            == []
        )


def test_missing_quantity_is_a_schema_error_naming_the_row(prepared_app: Flask, ids: Ids) -> None:
    content = _content(prepared_app)
    del content["inputs"][0]["quantity"]
    response = prepared_app.test_client().put(
        f"/api/v1/submissions/{ids.draft}", json=content, headers=_bearer(ids.write_secret)
    )
    assert response.status_code == 422
    assert "inputs.0.quantity" in response.get_json()["errors"]


def test_a_green_certificate_counts_only_as_a_registered_record(
    prepared_app: Flask, ids: Ids
) -> None:
    """A draft may wait for its record; submitting needs the certificate registered (with
    its retirement evidence) and the period's production volume its kWh are checked against."""
    client, auth = prepared_app.test_client(), _bearer(ids.write_secret)
    content = _content(prepared_app)
    content["inputs"][0].update(instrument="green_certificate", factor_code="elec.cn.wind.cfp.2023")
    assert (
        client.put(f"/api/v1/submissions/{ids.draft}", json=content, headers=auth).status_code
        == 200
    )  # a draft may wait for its record
    refused = client.post(f"/api/v1/submissions/{ids.draft}/submit", json={}, headers=auth)
    assert refused.status_code == 422
    assert "certificate" in " ".join(refused.get_json()["errors"]["inputs[1].certificate_id"])
    with prepared_app.app_context():
        site = db.session.get(Product, ids.product).site_id  # type: ignore[union-attr]
    made = client.post(
        f"/api/v1/organizations/{ids.org}/electricity-instruments",
        json={
            "certificate_id": "GEC 2026 0001",
            "kind": "green_certificate",
            "issuer": "China green certificate platform",
            "generation": "wind",
            "volume_kwh": "250000",
            "vintage_start": "2026-01-01",
            "vintage_end": "2026-12-31",
            "site_id": site,
            "evidence_id": ids.evidence,
        },
        headers=auth,
    )
    assert made.status_code == 201, made.get_json()
    content["inputs"][0]["certificate_id"] = "gec2026 0001"
    content["production_volume"] = "100000"  # 2.5 kWh x 100,000 kWh of packs = the volume
    saved = client.put(f"/api/v1/submissions/{ids.draft}", json=content, headers=auth)
    assert saved.status_code == 200, saved.get_json()
    row = client.get(f"/api/v1/submissions/{ids.draft}", headers=auth).get_json()["inputs"][0]
    assert (row["certificate_id"], row["factor_code"]) == ("GEC20260001", "elec.cn.wind.cfp.2023")
    assert (
        client.post(f"/api/v1/submissions/{ids.draft}/submit", json={}, headers=auth).status_code
        == 200
    )


def test_another_organization_cannot_read_or_change_a_submission(
    prepared_app: Flask, ids: Ids
) -> None:
    client = prepared_app.test_client()
    other = _bearer(ids.other_write_secret)
    assert client.get(f"/api/v1/submissions/{ids.submitted}", headers=other).status_code == 404
    assert (
        client.put(
            f"/api/v1/submissions/{ids.draft}", json=_content(prepared_app), headers=other
        ).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/organizations/{ids.org}/submissions", headers=other).status_code == 403
    )
    for email in (
        "data@lanhu-lithium.example",
        "analyst@jinghai-motors.example",
        "operator@tanlian.example",
        "verifier@qingyuan-verify.example",
    ):
        session = Session(prepared_app.test_client())
        session.login(email)
        for path in (
            f"/submissions/{ids.submitted}/review",
            f"/submissions/{ids.submitted}/template.xlsx",
            f"/submissions/{ids.submitted}/history",
            f"/evidence/{ids.evidence}",
        ):
            assert session.client.get(path).status_code == 404, (email, path)


def test_a_supplier_fills_the_form_step_by_step(prepared_app: Flask, ids: Ids) -> None:
    session = Session(prepared_app.test_client())
    session.login("admin@huadong-pack.example")
    base = f"/submissions/{ids.draft}"
    assert session.post(f"{base}/general", {"dqr": "2"}).status_code == 302
    energy = session.post(
        f"{base}/energy",
        {
            "electricity-count": "2",
            "electricity-0-quantity": "2.2",
            "electricity-0-unit": "kWh",
            "electricity-0-instrument": "grid",
            "electricity-0-provenance": "measured",
            "fuel-count": "0",
        },
    )
    assert energy.status_code == 302
    bad = session.post(
        f"{base}/materials",
        {"material-count": "1", "material-0-quantity": "1", "material-0-unit": "kWh"},
    )
    assert bad.status_code == 422
    assert 'id="material-0-linked_product_id-error"' in bad.get_data(as_text=True)
    cells = _part(prepared_app, "BS-LFP-280")
    good = session.post(
        f"{base}/materials",
        {
            "material-count": "1",
            "material-0-quantity": "1",
            "material-0-unit": "kWh",
            "material-0-linked_product_id": str(cells),
        },
    )
    assert good.status_code == 302
    review = session.client.get(f"{base}/review").get_data(as_text=True)
    assert "BS-LFP-280" in review
    assert session.post(f"{base}/submit").status_code == 302
    with prepared_app.app_context():
        sub = db.session.get(Submission, ids.draft)
        assert sub.status.value == "submitted" and len(sub.inputs) == 2


def test_demo_submissions_give_plausible_direct_footprints(demo_app: Flask) -> None:
    """The NCM811 cell's own electricity (45 kWh × 0.5777, the 2024 factor for 2025) and gas
    dominate its direct part."""
    from footprint_platform.services.intake import history
    from tests.platform.demo_ids import admin_actor

    with demo_app.app_context():
        cell = db.session.scalar(
            select(Submission).join(Product).where(Product.part_number == "DT-P811-150")
        )
        review = history.review(db.session, admin_actor("admin@dongtai-cells.example"), cell.id)
        direct = sum(review.direct_by_stage.values())
        assert 45 * 0.5777 < float(direct) < 45 * 0.5777 + 3
        assert len(review.linked) == 7 and review.problems == []


def test_implausible_data_saves_with_warnings_naming_the_doubt(demo_app: Flask) -> None:
    """A cobalt sulfate whose own energy already exceeds the highest published value
    (range_high of mat.cobalt_sulfate.cn, 35.6 kg CO2e/kg, Istrate et al. 2024) is saved but
    flagged; material mass of 5 kg per kg of product is flagged too."""
    from datetime import date

    from footprint_platform.services.intake import submissions
    from tests.platform.demo_ids import admin_actor

    with demo_app.app_context():
        actor = admin_actor("data@qiantang-cobalt.example")
        product = _part(demo_app, "QT-CS-20.5")
        sub = submissions.start_draft(
            db.session, actor, product, date(2026, 1, 1), date(2026, 12, 31)
        )
        rows = [
            {"kind": "electricity", "quantity": "80", "unit": "kWh"},
            {
                "kind": "material",
                "quantity": "5",
                "unit": "kg",
                "factor_code": "mat.steel.crude.glo",
            },
        ]
        checked = submissions.save_draft(db.session, actor, sub.id, {"dqr": 2}, rows)
        reasons = " ".join(w.reason for w in checked.warnings)
        assert "35.6" in reasons and "55.8" in reasons and "5.00" in reasons
        assert len(db.session.get(Submission, sub.id).inputs) == 2


def test_a_new_period_starts_from_last_periods_submitted_figures(demo_app: Flask) -> None:
    from datetime import date

    from footprint_platform.services.intake import submissions
    from tests.platform.demo_ids import admin_actor

    with demo_app.app_context():
        actor = admin_actor("data@minjiang-cathode.example")
        product = _part(demo_app, "MJ-NCM811-S")
        draft = submissions.start_draft(
            db.session, actor, product, date(2026, 1, 1), date(2026, 12, 31)
        )
        assert draft.version == 1 and draft.supersedes_id is None
        assert len(draft.inputs) == 6 and draft.dqr is not None


def test_starting_a_submission_with_a_bad_date_names_the_field(
    prepared_app: Flask, ids: Ids
) -> None:
    session = Session(prepared_app.test_client())
    session.login("admin@huadong-pack.example")
    response = session.post(
        f"/orgs/{ids.org}/submissions",
        {"product_id": ids.product, "period_start": "2026-13-01", "period_end": "2026-12-31"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert 'id="period_start-error"' in response.get_data(as_text=True)


def test_the_review_links_the_evidence_the_owner_stored(demo_app: Flask) -> None:
    session = Session(demo_app.test_client())
    session.login("data@minjiang-cathode.example")
    with demo_app.app_context():
        sub = db.session.scalar(
            select(Submission).join(Product).where(Product.part_number == "MJ-NCM811-S")
        )
    page = session.client.get(f"/submissions/{sub.id}/review").get_data(as_text=True)
    link = page.split('href="/evidence/', 1)[1].split('"', 1)[0]
    download = session.client.get(f"/evidence/{link}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")


def test_the_review_shows_the_fuel_supply_the_rule_adds_and_the_rollup_holds_it(
    demo_app: Flask,
) -> None:
    """On release 2026.1 the cathode's natural gas (0.5 m³, combustion only, CO2) carries its
    well-to-tank supply (fuel.natural_gas.upstream.gb, 0.3366 kg CO2e/m³): the review lists
    the line, named after its input, in the raw-material stage, and the roll-up's direct
    emissions of the cathode hold exactly the review's direct total."""
    from datetime import date

    from footprint_platform.demo_submissions import publish_next_release
    from footprint_platform.services.graph.build import chain_graph
    from footprint_platform.services.graph.chain import product_node
    from footprint_platform.services.intake import history, submissions
    from tests.platform.demo_ids import admin_actor

    maker = "data@minjiang-cathode.example"
    period = (date(2026, 1, 1), date(2026, 12, 31))
    with demo_app.app_context():
        cathode = db.session.scalar(select(Product).where(Product.part_number == "MJ-NCM811-S"))
        old = db.session.scalar(select(Submission).where(Submission.product_id == cathode.id))
        before = history.review(db.session, admin_actor(maker), old.id)
        assert not [i for i, _ in before.lines if "upstream" in (i.factor_code or "")]
        publish_next_release(db.session)
        draft = submissions.start_draft(db.session, admin_actor(maker), cathode.id, *period)
        review = history.review(db.session, admin_actor(maker), draft.id)
        added = [
            (i, kg) for i, kg in review.lines if i.factor_code == "fuel.natural_gas.upstream.gb"
        ]
        assert len(added) == 1
        line, kg = added[0]
        assert line.stage == "raw_material" and line.description.startswith("Natural gas")
        assert float(kg) == pytest.approx(0.5 * 0.3366)
        assert float(review.direct_by_stage["raw_material"]) == pytest.approx(
            float(before.direct_by_stage["raw_material"]) + 0.5 * 0.3366
        )
        workflow.submit(db.session, admin_actor(maker), draft.id)
        workflow.run_pending(db.session, *period)
        # The demo's kilns ran on 2025 green certificates: a claim never carries into 2026's
        # draft, so that row waits (unvalued) for the grid factor submission chooses; the
        # roll-up is compared with the review of what was submitted, the pair still in it.
        review = history.review(db.session, admin_actor(maker), draft.id)
        assert [i.factor_code for i, _ in review.lines].count("fuel.natural_gas.upstream.gb") == 1
        assert all(kg is not None for i, kg in review.lines if i.kind is InputKind.ELECTRICITY)
        graph = chain_graph(db.session, *period).graph
        row = graph.ids.tolist().index(product_node(cathode.id))
        assert float(graph.direct[row].sum()) == pytest.approx(
            float(sum(review.direct_by_stage.values())), rel=1e-9
        )


def test_the_review_names_what_submit_refuses(demo_app: Flask) -> None:
    """One submit check: the problems the review shows on a draft are exactly those that make
    `submit` refuse it (here a draft emptied of its rows and without its overall rating)."""
    from footprint_platform.errors import UploadRejected
    from footprint_platform.services.intake import history, submissions
    from tests.platform.demo_ids import admin_actor

    with demo_app.app_context():
        actor = admin_actor("data@minjiang-cathode.example")
        product = _part(demo_app, "MJ-NCM811-S")
        draft = submissions.start_draft(
            db.session, actor, product, date(2027, 1, 1), date(2027, 12, 31)
        )
        draft.inputs.clear()
        draft.dqr = None
        db.session.commit()
        shown = [p.reason for p in history.review(db.session, actor, draft.id).problems]
        with pytest.raises(UploadRejected) as refused:
            workflow.submit(db.session, actor, draft.id)
        assert shown and shown == [p.reason for p in refused.value.problems]
        # the mass balance, the overall rating and the empty draft: the review used to show
        # only the rating
        assert len(shown) == 3, shown
