"""Taking in a partner's PACT footprint (services.pact.consume) and using it as an input: the
round trip (a demo declaration exported as PACT, imported by another organization, linked in
place of the supplier's product, rolled up: the same number flows in), refusals that name the
field and store nothing, and the footprint shown as external in the breakdown."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from footprint_platform.demo_submissions import _admin, _product
from footprint_platform.errors import Conflict, InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import (
    AuditEvent,
    Declaration,
    DeclarationStatus,
    ExternalFootprint,
    Product,
)
from footprint_platform.services import workflow
from footprint_platform.services.graph import breakdowns, results
from footprint_platform.services.intake import submissions
from footprint_platform.services.intake.activity import FIELDS
from footprint_platform.services.pact import consume as pact_consume
from footprint_platform.services.pact import footprint as pact
from footprint_platform.web_common.downloads import pact_options
from supply_graph import rollup as solve
from tests.platform.conftest import https_server

pytestmark = pytest.mark.postgres

ELECTROLYTE, CELL = "ZJ-EL-NCM", "DT-P811-150"
START, END = date(2025, 1, 1), date(2025, 12, 31)


def _exported(part: str) -> dict[str, Any]:
    """The published declaration of a demo product as the PACT file its page offers."""
    d = db.session.scalars(
        select(Declaration).where(
            Declaration.product_id == _product(db.session, part).id,
            Declaration.status == DeclarationStatus.PUBLISHED,
        )
    ).one()
    return pact.product_footprint(db.session, d, pact_options(d))


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ExternalFootprint)) or 0


def _relink(cell: Product, replace: int, external: int) -> None:
    """A new version of the cell's data with the electrolyte row valued by the import."""
    admin = _admin(db.session, cell.organization_id)
    draft = submissions.start_draft(db.session, admin, cell.id, START, END)
    rows = []
    for i in draft.inputs:
        row = {f: getattr(i, f) for f in FIELDS} | {"kind": i.kind.value}
        if row["linked_product_id"] == replace:
            row["linked_product_id"], row["external_footprint_id"] = None, external
        rows.append(row)
    header = {f: getattr(draft, f) for f in submissions.HEADER_FIELDS}
    submissions.save_draft(db.session, admin, draft.id, header, rows)
    workflow.submit(db.session, admin, draft.id)


def test_round_trip_the_same_number_flows_in(demo_app: Flask) -> None:
    with demo_app.test_request_context("/"):
        pf = _exported(ELECTROLYTE)
        electrolyte, cell = _product(db.session, ELECTROLYTE), _product(db.session, CELL)
        buyer = cell.organization_id
        before = results.latest_results(db.session, buyer)[cell.id].result
        admin = _admin(db.session, buyer)

        imported = pact_consume.import_footprint(
            db.session, admin, buyer, json.loads(json.dumps(pf))
        )
        assert imported.pf_id == pf["id"] and imported.unit == "kg"
        assert imported.by_stage  # our extension's stages, consistent with the total
        assert float(imported.primary_data_share) == pytest.approx(
            float(pf["pcf"]["primaryDataShare"]) / 100
        )
        _relink(cell, electrolyte.id, imported.id)

        after = results.latest_results(db.session, buyer)[cell.id].result
        assert after.id != before.id  # recomputed
        assert float(after.total) == pytest.approx(float(before.total), rel=1e-9)
        for stage, value in before.by_stage.items():
            assert after.by_stage.get(stage, 0.0) == pytest.approx(value, rel=1e-9, abs=1e-9)
        # the footprint's own primary-data share comes in with it
        assert float(after.primary_data_share) == pytest.approx(
            float(before.primary_data_share), abs=1e-4
        )

        explained = breakdowns.explain_latest(db.session, admin, cell.id)
        assert explained.parts is not None
        [node] = [n for n in explained.parts.by_node if n.category == "external"]
        assert node.id == f"external:{imported.id}"
        assert explained.parts.by_category["external"] == pytest.approx(
            node.amount * float(imported.per_unit), rel=1e-9
        )
        assert "electrolyte" not in explained.parts.by_category  # the supplier's node is gone
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "external_footprint.import")
        )


def test_the_graph_patched_from_the_snapshot_is_the_full_build(demo_app: Flask) -> None:
    """A submission's run patches the stored graph (services.graph.snapshots): with an external
    leaf it gives what building the period afresh gives."""
    from footprint_platform.services.graph import snapshots
    from footprint_platform.services.graph.build import chain_graph
    from footprint_platform.services.graph.chain import product_node

    with demo_app.test_request_context("/"):
        pf = _exported(ELECTROLYTE)
        electrolyte, cell = _product(db.session, ELECTROLYTE), _product(db.session, CELL)
        admin = _admin(db.session, cell.organization_id)
        imported = pact_consume.import_footprint(db.session, admin, cell.organization_id, pf)
        _relink(cell, electrolyte.id, imported.id)
        full = chain_graph(db.session, START, END)
        patched = snapshots.patched_chain(db.session, START, END)
        assert patched is not None  # the demo's full run stored a snapshot; this patches it
        node = product_node(cell.id)
        a, b = solve(full.graph)[node], solve(patched.graph)[node]
        assert b.total == pytest.approx(a.total, rel=1e-12)
        assert b.primary_data_share == pytest.approx(a.primary_data_share, abs=1e-12)
        assert b.dqr == pytest.approx(a.dqr, abs=1e-12)


def _refusal(demo_app: Flask, change: Any) -> InvalidInput:
    with demo_app.test_request_context("/"):
        pf = copy.deepcopy(_exported(ELECTROLYTE))
        change(pf)
        cell = _product(db.session, CELL)
        admin = _admin(db.session, cell.organization_id)
        count = _count()
        with pytest.raises(InvalidInput) as caught:
            pact_consume.import_footprint(db.session, admin, cell.organization_id, pf)
        db.session.rollback()
        assert _count() == count  # nothing stored
        return caught.value


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda pf: pf["pcf"].update(pcfExcludingBiogenicUptake=1.5), "pcfExcludingBiogenicUptake"),
        (lambda pf: pf.pop("companyIds"), "companyIds"),
        (lambda pf: pf.update(id="not-a-uuid"), "id"),
        (
            lambda pf: pf["pcf"].update(declaredUnitOfMeasurement="barrel"),
            "declaredUnitOfMeasurement",
        ),
        (lambda pf: pf.update(specVersion="2.2.0"), "specVersion"),
        (lambda pf: pf.update(status="Deprecated"), "status"),
        (
            lambda pf: pf["pcf"].update(declaredUnitOfMeasurement="megabit second"),
            "declaredUnitOfMeasurement",
        ),
    ],
)
def test_a_bad_footprint_names_the_field_and_stores_nothing(
    demo_app: Flask, change: Any, field: str
) -> None:
    refused = _refusal(demo_app, change)
    assert field in refused.message + json.dumps(refused.errors)


def test_a_file_that_is_not_json_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as caught:
        pact_consume.read_file(b"\xff{not json")
    assert "file" in caught.value.errors


def test_a_get_footprint_answer_is_read_as_its_data() -> None:
    assert pact_consume.read_file(b'{"data": {"id": "x"}}') == {"id": "x"}


def test_the_same_footprint_twice_is_a_conflict(demo_app: Flask) -> None:
    with demo_app.test_request_context("/"):
        pf = _exported(ELECTROLYTE)
        cell = _product(db.session, CELL)
        admin = _admin(db.session, cell.organization_id)
        pact_consume.import_footprint(db.session, admin, cell.organization_id, pf)
        with pytest.raises(Conflict):
            pact_consume.import_footprint(db.session, admin, cell.organization_id, pf)


def test_an_inconsistent_extension_is_ignored_not_trusted(demo_app: Flask) -> None:
    """Stages that do not add up to the footprint's value: the value is kept, the split is not."""
    with demo_app.test_request_context("/"):
        pf = copy.deepcopy(_exported(ELECTROLYTE))
        stages = pf["extensions"][0]["data"]["stages"]
        stages[0]["kgCO2ePerDeclaredUnit"] = "999"
        cell = _product(db.session, CELL)
        admin = _admin(db.session, cell.organization_id)
        row = pact_consume.import_footprint(db.session, admin, cell.organization_id, pf)
        assert row.by_stage == {}
        assert str(row.per_unit.normalize()) == str(
            pact.Decimal(pf["pcf"]["pcfExcludingBiogenicUptake"]).normalize()
        )


def test_only_its_own_imports_can_value_an_input(demo_app: Flask) -> None:
    """Another organization's import id is unknown to the activity check."""
    with demo_app.test_request_context("/"):
        pf = _exported(ELECTROLYTE)
        electrolyte, cell = _product(db.session, ELECTROLYTE), _product(db.session, CELL)
        elsewhere = _product(db.session, "HD-PK-811-78").organization_id
        imported = pact_consume.import_footprint(
            db.session, _admin(db.session, elsewhere), elsewhere, pf
        )
        with pytest.raises(InvalidInput) as caught:
            _relink(cell, electrolyte.id, imported.id)
        assert "external_footprint_id" in str(caught.value.problems)  # type: ignore[attr-defined]


def test_a_footprint_s_primary_data_share_is_carried_into_the_result(demo_app: Flask) -> None:
    """40 % primary data in the partner's footprint: 40 % of what it contributes counts as
    primary (a second, primary leaf feeds the external one), the total is unchanged."""
    import uuid

    with demo_app.test_request_context("/"):
        pf = copy.deepcopy(_exported(ELECTROLYTE))
        assert pf["pcf"]["primaryDataShare"] == "100"  # the demo electrolyte's own
        pf["id"], pf["pcf"]["primaryDataShare"] = str(uuid.uuid4()), "40"
        electrolyte, cell = _product(db.session, ELECTROLYTE), _product(db.session, CELL)
        buyer = cell.organization_id
        before = results.latest_results(db.session, buyer)[cell.id].result
        admin = _admin(db.session, buyer)
        imported = pact_consume.import_footprint(db.session, admin, buyer, pf)
        _relink(cell, electrolyte.id, imported.id)
        after = results.latest_results(db.session, buyer)[cell.id].result
        assert float(after.total) == pytest.approx(float(before.total), rel=1e-9)
        parts = breakdowns.explain_latest(db.session, admin, cell.id).parts
        assert parts is not None
        assert {n.id for n in parts.by_node if n.category == "external"} == {
            f"external:{imported.id}",
            f"external:{imported.id}#primary",
        }
        external = parts.by_category["external"]
        lost = 0.6 * external / float(after.total)
        assert float(after.primary_data_share) == pytest.approx(
            float(before.primary_data_share) - lost, abs=2e-6
        )


# -- the page: upload and pull ------------------------------------------------------------------


def _cell_maker_email() -> str:
    from footprint_platform.models import User

    admin = _admin(db.session, _product(db.session, CELL).organization_id)
    return str(db.session.get(User, admin.user_id).email)


def test_an_editor_uploads_a_file_and_sees_it_listed(demo_app: Flask, auth: Any) -> None:
    with demo_app.test_request_context("/"):
        pf = _exported(ELECTROLYTE)
        email, org = _cell_maker_email(), _product(db.session, CELL).organization_id
    auth.login(email)
    page = f"/orgs/{org}/partner-footprints"
    bad = copy.deepcopy(pf)
    bad["pcf"]["declaredUnitAmount"] = "-1"
    refused = auth.post(page, {"file": (io.BytesIO(json.dumps(bad).encode()), "pf.json")})
    assert refused.status_code == 422
    assert "declaredUnitAmount" in refused.get_data(as_text=True)
    with demo_app.app_context():
        assert _count() == 0
    done = auth.post(page, {"file": (io.BytesIO(json.dumps(pf).encode()), "pf.json")})
    assert done.status_code == 302
    listed = auth.client.get(page).get_data(as_text=True)
    assert pf["id"] in listed
    form = auth.client.get(page).status_code
    assert form == 200


@pytest.fixture
def partner_host(prepared_app: Flask, certificate: Any) -> Iterator[str]:
    """A second instance over HTTPS, the partner's host system the footprint is pulled from."""
    with https_server(prepared_app, certificate) as url:
        yield url


def test_a_footprint_is_pulled_from_the_partner_s_host(
    demo_app: Flask,
    prepared_app: Flask,
    partner_host: str,
    certificate: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from footprint_platform.demo_pact import demo_pact_logins
    from footprint_platform.services.pact import outbound as pact_outbound

    _, _, client_id, secret = demo_pact_logins()[0]
    with prepared_app.app_context():
        shared = _product(db.session, ELECTROLYTE)
        pf_id = db.session.scalar(
            select(Declaration.public_id).where(
                Declaration.product_id == shared.id,
                Declaration.status == DeclarationStatus.PUBLISHED,
            )
        )
        unshared = db.session.scalar(
            select(Declaration.public_id).where(
                Declaration.product_id == _product(db.session, CELL).id,
                Declaration.published_at.is_not(None),
            )
        )
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_CA_FILE", str(certificate[0]))
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)  # 127.0.0.1
    with demo_app.app_context():
        buyer = _product(db.session, CELL).organization_id
        admin = _admin(db.session, buyer)
        credential = pact_outbound.create_credential(
            db.session,
            admin,
            buyer,
            {
                "name": "Electrolyte supplier's host",
                "base_url": partner_host,
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        row = pact_consume.pull_footprint(db.session, admin, buyer, credential.id, pf_id)
        assert row.origin == "pull" and row.pf_id == pf_id
        assert row.source_url == f"{partner_host}/3/footprints/{pf_id}"
        # a footprint the partner does not share with us: its host says AccessDenied
        with pytest.raises(InvalidInput) as caught:
            pact_consume.pull_footprint(db.session, admin, buyer, credential.id, unshared)
        assert "403" in caught.value.message and _count() == 1
