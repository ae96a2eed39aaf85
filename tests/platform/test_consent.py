"""A supply link is a relationship both sides agree to: an organization that links another's
product without its consent gets that input valued with the category's secondary dataset, in
every number it can read, until the maker accepts; and what it may see or name follows
footprint_platform/visibility.py everywhere."""

from __future__ import annotations

import json
import math
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import supply_graph
from dashboards import figures
from dashboards.products import _labels
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import (
    AuditEvent,
    Declaration,
    DeclarationStatus,
    FootprintShare,
    LinkRequest,
    LinkStatus,
    Organization,
    OrganizationRole,
    OrgRole,
    Product,
    Submission,
    SubmissionStatus,
)
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.catalogue.factors import latest_release
from footprint_platform.services.disclosure import declarations, publication
from footprint_platform.services.graph import breakdowns, explain_cache, snapshots
from footprint_platform.services.graph.build import chain_graph
from footprint_platform.services.graph.chain import product_node
from footprint_platform.services.graph.fallbacks import generic_factors, generic_value
from footprint_platform.services.graph.results import latest_results
from footprint_platform.services.insight import coverage
from footprint_platform.services.intake import submissions
from footprint_platform.services.intake.activity import FIELDS
from footprint_platform.services.pact import delivery as pact_delivery
from footprint_platform.services.relations import sharing
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor
from tests.platform.statement import STATEMENT

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
LANHU = "data@lanhu-lithium.example"
MINJIANG = "data@minjiang-cathode.example"
CELLS = "admin@dongtai-cells.example"
OEM = "analyst@jinghai-motors.example"
CATHODE, SEPARATOR, ANODE = "MJ-NCM811-S", "YL-W9-C", "YS-AG-360"


def _product(part: str) -> Product:
    return db.session.scalar(select(Product).where(Product.part_number == part))


def _stored(product: Product) -> float:
    """The product's newest stored footprint per declared unit."""
    return float(latest_results(db.session, product.organization_id)[product.id].result.total)


def _secondary(product: Product) -> float:
    """What the product is worth per declared unit without a submission: its category's
    generic dataset in the newest release (the roll-up's own fallback), 0 without one."""
    generic = generic_factors(db.session, latest_release(db.session).id)
    return generic_value(product.category, product.declared_unit, generic) or 0.0


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+\.\d+(?:[eE][-+]?\d+)?", text)]


def _carries(text: str, figure: float) -> bool:
    """Does the text show the figure (to 5 significant digits), anywhere?"""
    return any(math.isclose(n, figure, rel_tol=1e-4) for n in _numbers(text))


def _link_cathode_as_lanhu(part: str = CATHODE) -> tuple[int, float, float]:
    """As Lanhu Lithium: a new product made of 1 kg of another maker's product (by default
    Minjiang's cathode: unpublished, not shared with Lanhu), submitted. Returns the product's
    id, the linked product's own stored footprint and its secondary value."""
    lanhu = admin_actor(LANHU)
    hydroxide = _product("LH-LHM-56.5")
    cathode = _product(part)
    made = catalog.create_product(
        db.session,
        lanhu,
        hydroxide.organization_id,
        {
            "part_number": "LH-PROBE",
            "name_en": "Probe",
            "category": "lithium_hydroxide",
            "declared_unit": "kg",
            "site_id": hydroxide.site_id,
        },
    )
    draft = submissions.start_draft(db.session, lanhu, made.id, *PERIOD)
    row = {
        "kind": "material",
        "description": "Cathode",
        "quantity": Decimal("1"),
        "unit": "kg",
        "linked_product_id": cathode.id,
    }
    submissions.save_draft(db.session, lanhu, draft.id, {"dqr": Decimal("2")}, [row])
    workflow.submit(db.session, lanhu, draft.id)
    return made.id, _stored(cathode), _secondary(cathode)


def _page(demo_app: Flask, email: str, path: str) -> str:
    session = Session(demo_app.test_client())
    assert session.login(email).status_code == 302
    session.post("/language/en")
    response = session.client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_an_unconsented_link_is_valued_secondary_in_every_number_until_accepted(
    demo_app: Flask,
) -> None:
    """The probe: Lanhu's result, dashboard and coverage carry only the cathode's secondary
    value (its category has no dataset: zero, reported like a missing product, so no
    declaration can rest on it); Minjiang gets a link request, and once it accepts the figure
    counts, recomputed."""
    with demo_app.app_context():
        probe, secret, secondary = _link_cathode_as_lanhu()
        assert secondary == 0.0 < secret
        product = db.session.get(Product, probe)
        result = latest_results(db.session, product.organization_id)[probe].result
        assert float(result.total) == 0.0 and result.upstream_missing
        e = breakdowns.explain_latest(db.session, admin_actor(LANHU), probe)
        assert e.parts is not None
        cathode = _product(CATHODE)
        assert [n.id for n in e.parts.by_node if n.tier == 1] == [f"pending:{cathode.id}"]
        assert e.bases[f"pending:{cathode.id}"] == "pending"
        with pytest.raises(InvalidInput, match=CATHODE):
            declarations.declare(db.session, admin_actor(LANHU), probe, *PERIOD)
        asked = db.session.scalar(select(LinkRequest).where(LinkRequest.product_id == cathode.id))
        assert (asked.status, asked.supplier_id) == (LinkStatus.PENDING, cathode.organization_id)
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "link_request.create")
        )
        request_id, lanhu_org = asked.id, product.organization_id
    shown = [
        _page(demo_app, LANHU, f"/dashboard/products/{probe}"),
        _page(demo_app, LANHU, f"/dashboard/products/{probe}/coverage"),
    ]
    for text in shown:
        assert not _carries(text, secret)
        assert "awaiting Minjiang Cathode Materials" in text
    inbox = _page(demo_app, MINJIANG, f"/orgs/{cathode.organization_id}/requests")
    assert "Lanhu" in inbox and CATHODE in inbox
    minjiang = Session(demo_app.test_client())
    minjiang.login(MINJIANG)
    assert minjiang.post(f"/link-requests/{request_id}/accept").status_code == 302
    with demo_app.app_context():
        assert sharing.is_shared(db.session, cathode.id, lanhu_org)
        product = db.session.get(Product, probe)
        assert math.isclose(_stored(product), secret, rel_tol=1e-9)
        asked = db.session.get(LinkRequest, request_id)
        assert asked.status is LinkStatus.ACCEPTED and asked.share_id is not None
    after = _page(demo_app, LANHU, f"/dashboard/products/{probe}")
    assert _carries(after, secret) and "awaiting Minjiang" not in after


def test_a_draft_declaration_and_its_files_carry_only_the_secondary_value(
    demo_app: Flask,
) -> None:
    """Linked without consent, an anode with a generic dataset: Lanhu's result and its draft
    declaration (page, CSV, PACT) carry that dataset's value, never the anode's own."""
    with demo_app.app_context():
        probe, secret, secondary = _link_cathode_as_lanhu(ANODE)
        assert secondary > 0 and not math.isclose(secret, secondary, rel_tol=1e-3)
        product = db.session.get(Product, probe)
        assert math.isclose(_stored(product), secondary, rel_tol=1e-9)
        draft = declarations.declare(db.session, admin_actor(LANHU), probe, *PERIOD)
        assert math.isclose(float(draft.total), secondary, rel_tol=1e-9)
        assert declarations.verify(db.session, [draft]) == []
        draft_id = draft.id
    for path in (
        f"/declarations/{draft_id}",
        f"/declarations/{draft_id}/export/csv",
        f"/declarations/{draft_id}/export/pact",
        f"/dashboard/products/{probe}",
    ):
        assert not _carries(_page(demo_app, LANHU, path), secret), path


def test_the_submission_form_shows_whether_each_link_counts(demo_app: Flask) -> None:
    with demo_app.app_context():
        probe, _, _ = _link_cathode_as_lanhu()
        sub = db.session.scalar(select(Submission).where(Submission.product_id == probe))
        sub_id = sub.id
    for lang, words in (("en", "awaiting Minjiang"), ("zh", "闽江")):
        session = Session(demo_app.test_client())
        session.login(LANHU)
        session.post(f"/language/{lang}")
        html = session.client.get(f"/submissions/{sub_id}/review").get_data(as_text=True)
        assert 'data-consented="no"' in html and words in html


def _withdraw(part: str, buyer_email: str) -> tuple[Product, int]:
    """Take back the demo's consent to one link: the supplier revokes its share."""
    product = _product(part)
    [buyer] = admin_actor(buyer_email).organization_ids
    share = db.session.scalar(
        select(FootprintShare).where(
            FootprintShare.product_id == product.id,
            FootprintShare.buyer_id == buyer,
            FootprintShare.revoked_at.is_(None),
        )
    )
    maker = db.session.get(Organization, product.organization_id)
    email = maker.memberships[0].user.email
    workflow.revoke(db.session, admin_actor(email), share.id)
    return product, buyer


def _figure_values(fig: Any) -> list[float]:
    return _numbers(json.dumps(fig.to_plotly_json()["data"]))


def test_the_cell_makers_figures_never_carry_an_unconsented_suppliers_flow(
    demo_app: Flask,
) -> None:
    """Without the separator maker's consent the cell maker's Sankey, treemap and quality
    table show the separator input at its secondary value (its category has no dataset: zero)
    with no primary data, and the coverage page says so: no figure holds the separator's own
    flow."""
    with demo_app.test_request_context():
        separator, _ = _withdraw(SEPARATOR, CELLS)
        cell = _product("DT-P811-150")
        sub = db.session.scalar(
            select(Submission).where(
                Submission.product_id == cell.id, Submission.status == SubmissionStatus.SUBMITTED
            )
        )
        [quantity] = [float(i.quantity) for i in sub.inputs if i.linked_product_id == separator.id]
        own_flow = quantity * _stored(separator)
        secondary_flow = quantity * _secondary(separator)
        e = breakdowns.explain_latest(db.session, admin_actor(CELLS), cell.id)
        labels = _labels(e, "en")
        values = _figure_values(figures.chain_sankey(e.parts, labels))
        values += _figure_values(figures.contribution_treemap(e.parts, labels))
        assert own_flow > 0
        assert not any(math.isclose(v, own_flow, rel_tol=1e-6) for v in values)
        [group] = [g for g in e.quality if g.tier == 1 and g.category == separator.category]
        assert math.isclose(group.contribution, secondary_flow, abs_tol=1e-12)
        assert group.primary_share == 0
        c = coverage.coverage(db.session, admin_actor(CELLS), cell.id)
        assert [p.id for p in c.awaiting] == [separator.id]
        [row] = [s for s in c.suppliers if s.product.id == separator.id]
        assert row.basis == "pending"


def test_a_consent_changed_behind_the_snapshot_is_never_patched_over(demo_app: Flask) -> None:
    """The graph patched from the period's snapshot equals the full build in every consent
    state, and a share made without a recompute makes the snapshot unusable."""
    with demo_app.app_context():
        probe, _, _ = _link_cathode_as_lanhu()

        def same() -> None:
            full = chain_graph(db.session, *PERIOD)
            patched = snapshots.patched_chain(db.session, *PERIOD)
            assert patched is not None
            a, b = supply_graph.rollup(full.graph), supply_graph.rollup(patched.graph)
            for p in full.product_ids:
                node = product_node(p)
                assert math.isclose(a[node].total, b[node].total, rel_tol=1e-12, abs_tol=1e-12)

        same()  # the probe's run patched the snapshot with an unconsented link
        cathode = _product(CATHODE)
        lanhu_org = db.session.get(Product, probe).organization_id
        db.session.add(
            FootprintShare(
                organization_id=cathode.organization_id,
                product_id=cathode.id,
                buyer_id=lanhu_org,
            )
        )
        db.session.commit()  # consent given behind the roll-up's back
        assert snapshots.patched_chain(db.session, *PERIOD) is None
        share = db.session.scalar(
            select(FootprintShare).where(FootprintShare.buyer_id == lanhu_org)
        )
        workflow.revoke(db.session, admin_actor(MINJIANG), share.id)  # recomputes, new snapshot
        same()
        explain_cache.clear()


def _new_cathode_version() -> None:
    """Minjiang resubmits its cathode with twice the grid energy (its certificate covers the
    sintering kWh only): the cells, the NMC pack and the SUV (declared in the demo) get new
    automatic draft versions."""
    actor = admin_actor(MINJIANG)
    cathode = _product(CATHODE)
    draft = submissions.start_draft(db.session, actor, cathode.id, *PERIOD)
    rows = []
    for i in draft.inputs:
        row = {f: getattr(i, f) for f in FIELDS}
        row["kind"] = i.kind.value
        if i.kind.value == "electricity" and not i.certificate_id:
            row["quantity"] = i.quantity * 2
        rows.append(row)
    header = {"dqr": draft.dqr or Decimal(2), "production_volume": draft.production_volume}
    submissions.save_draft(db.session, actor, draft.id, header, rows)
    workflow.submit(db.session, actor, draft.id)


def test_change_reasons_name_only_what_the_reader_may_name(demo_app: Flask) -> None:
    """The stored reason names nothing; the cell maker, which links the cathode, reads its part
    number; the OEM three tiers down and the public read the neutral reason."""
    with demo_app.test_request_context():
        _new_cathode_version()
        fresh = {
            d.product.part_number: d
            for d in db.session.scalars(
                select(Declaration).where(Declaration.status == DeclarationStatus.DRAFT)
            )
        }
        assert {"DT-P811-150", "JH-S7-LR"} <= set(fresh)
        for d in fresh.values():
            assert d.change_reason == declarations.UPSTREAM_CHANGED
        cells, suv = fresh["DT-P811-150"], fresh["JH-S7-LR"]
        assert CATHODE in declarations.change_reason_for(db.session, cells, cells.organization_id)
        assert CATHODE not in declarations.change_reason_for(db.session, suv, suv.organization_id)
        owner = admin_actor(OEM)
        verifier = db.session.scalar(
            select(Organization).where(
                Organization.role_rows.any(OrganizationRole.role == OrgRole.VERIFIER)
            )
        )
        asked = publication.request_verification(db.session, owner, suv.id, verifier.id)
        publication.decide(
            db.session,
            admin_actor(verifier.memberships[0].user.email),
            asked.id,
            "verified",
            "Checked against the meters.",
            list(publication.stated_reasons(db.session, asked.declaration)),
            STATEMENT,
        )
        pact_delivery.publish_and_announce(db.session, owner, suv.id)
        suv_id, public_id = suv.id, suv.public_id
    oem_page = _page(demo_app, OEM, f"/declarations/{suv_id}")
    public = demo_app.test_client().get(f"/d/{public_id}", headers={"Accept-Language": "en"})
    public_page = public.get_data(as_text=True)
    for text in (oem_page, public_page):
        assert "Upstream data changed" in text and CATHODE not in text
