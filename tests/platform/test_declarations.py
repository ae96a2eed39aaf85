"""Declarations are pinned, recompute to the same number, and a tampered one is caught."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.services import workflow
from footprint_platform.services.disclosure import declarations
from footprint_platform.services.intake import submissions
from footprint_platform.services.intake.fingerprint import content_hash, stored_hashes
from tests.platform.demo_ids import admin_actor
from tests.platform.statement import STATEMENT

pytestmark = pytest.mark.postgres
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def _product(part: str) -> Product:
    return db.session.scalar(select(Product).where(Product.part_number == part))


def _behind_the_applications_back(statement: str, **params: Any) -> None:
    """One change written straight to the database in its own transaction, the session's
    objects dropped first, as a tampering would be."""
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def test_the_demo_declarations_verify(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["declarations", "verify"])
    assert result.exit_code == 0, result.output
    assert "5 declarations checked, 0 differ." in result.output


def test_a_tampered_number_is_caught(demo_app: Flask) -> None:
    with demo_app.app_context():
        target = db.session.scalar(select(Declaration.id).order_by(Declaration.id).limit(1))
        _behind_the_applications_back(
            "UPDATE declaration SET total = total * 0.9 WHERE id = :i", i=target
        )
    result = demo_app.test_cli_runner().invoke(args=["declarations", "verify"])
    assert result.exit_code == 1
    assert f"MISMATCH declaration {target}" in result.output


def test_the_stored_hashes_are_the_hashes_of_the_versions_as_the_orm_reads_them(
    demo_app: Flask,
) -> None:
    """Verification recomputes the pins' hashes from the columns, not through the ORM: for
    every version of the demo (both periods, every kind of row) the two agree, and agree with
    the hash stored at submission."""
    with demo_app.app_context():
        subs = db.session.scalars(
            select(Submission).where(Submission.status != SubmissionStatus.DRAFT)
        ).all()
        assert len(subs) > 20
        got = stored_hashes(db.session, [s.id for s in subs])
        assert got == {s.id: (s.product_id, content_hash(s)) for s in subs}
        assert all(got[s.id][1] == s.content_hash for s in subs)
        assert stored_hashes(db.session, []) == {}


def test_a_pinned_version_changed_behind_the_applications_back_is_caught(
    demo_app: Flask,
) -> None:
    """One input row of a pinned submission edited in the database: the declaration's
    numbers may not move (a description), but its pin no longer holds."""
    with demo_app.app_context():
        d = db.session.scalars(select(Declaration).order_by(Declaration.id)).first()
        assert d is not None and declarations.verify(db.session, [d]) == []
        sid = min(int(v[0]) for v in d.pinned.values())
        row = db.session.scalar(
            select(SubmissionInput.id).where(SubmissionInput.submission_id == sid).limit(1)
        )
        _behind_the_applications_back(
            "UPDATE submission_input SET description = 'edited' WHERE id = :i", i=row
        )
        d = db.session.get(Declaration, d.id)
        assert d is not None
        [mismatch] = declarations.verify(db.session, [d])
        assert mismatch.reason == f"pinned submission {sid} changed"


def test_a_declaration_recomputes_from_its_pins_not_from_newer_data(demo_app: Flask) -> None:
    """A newer foil version changes today's cell result, but the cell's declaration still
    recomputes to its own number: it is pinned to the versions it was made from."""
    with demo_app.app_context():
        foil = _product("JN-AL-12")
        actor = admin_actor("data@jiangnan-foil.example")
        draft = submissions.start_draft(db.session, actor, foil.id, *PERIOD)
        rows = [
            {
                "kind": i.kind.value,
                "quantity": i.quantity * 2,  # within the mass-balance range
                "unit": i.unit,
                "factor_code": i.factor_code,
                "provenance": i.provenance,
            }
            for i in draft.inputs
        ]
        submissions.save_draft(db.session, actor, draft.id, {"dqr": 2}, rows)
        workflow.submit(db.session, actor, draft.id)
        assert declarations.verify(db.session) == []
        cell = _product("DT-P811-150")
        old, new = db.session.scalars(
            select(Declaration)
            .where(Declaration.product_id == cell.id)
            .order_by(Declaration.version)
        ).all()
        assert new.preceding_id == old.id and new.total > old.total
        assert old.status is DeclarationStatus.PUBLISHED  # until its successor is published
        assert new.pinned[str(foil.id)][0] == draft.id
        assert declarations.verify(db.session) == []


def test_a_declaration_cannot_rest_on_missing_data(demo_app: Flask) -> None:
    """The LFP pack's cells (BS-LFP-280) have no data: EU Annex II components are unknown. The
    refusal names them to the pack maker, which links them; the car maker, which may not name
    its supplier's supplier, reads them by category."""
    with demo_app.app_context():
        pack = _product("HD-PK-LFP-60")
        with pytest.raises(InvalidInput, match="BS-LFP-280"):
            declarations.declare(
                db.session, admin_actor("admin@huadong-pack.example"), pack.id, *PERIOD
            )
        car = _product("LN-E3")
        with pytest.raises(InvalidInput, match="× 1") as refused:
            declarations.declare(
                db.session, admin_actor("analyst@lingnan-auto.example"), car.id, *PERIOD
            )
        assert "BS-LFP-280" not in str(refused.value)


def test_a_pack_declaration_carries_its_class_on_the_illustrative_scale(demo_app: Flask) -> None:
    """Graded on its pinned figure per kWh of lifetime energy, on the NMC pack scale."""
    from footprint_platform.classes import LIFETIME_UNIT, classify

    with demo_app.app_context():
        pack = _product("HD-PK-811-78")
        d = db.session.scalar(select(Declaration).where(Declaration.product_id == pack.id))
        per_lifetime = d.total / Decimal(d.functional_unit["energy_per_declared_unit"])
        grade = classify(pack.category, LIFETIME_UNIT, per_lifetime, pack.chemistry)
        assert d.performance_class == grade.grade and grade.illustrative
        assert d.class_scale_version == "2026.1-illustrative"
        assert "IVL" in grade.source and "NMC" in grade.source
        cell = db.session.scalar(
            select(Declaration).join(Product).where(Product.part_number == "DT-P811-150")
        )
        assert cell.functional_unit is not None and cell.performance_class is None  # no scale


@pytest.mark.parametrize(
    ("capacity_equivalent", "grade"),
    [("59.9", "A"), ("60", "A"), ("60.01", "B"), ("106", "D"), ("130", "E")],
)
def test_nmc_pack_classes_follow_the_ivl_range_per_kwh_of_lifetime_energy(
    capacity_equivalent: str, grade: str
) -> None:
    """Bounds per kWh of capacity (IVL C 444: 61–106 for NMC) over 60 cycles × 8 years."""
    from footprint_platform.classes import LIFETIME_UNIT, classify

    value = Decimal(capacity_equivalent) / 480
    found = classify("battery_pack", LIFETIME_UNIT, value, "NMC811")
    assert found is not None and found.grade == grade and found.illustrative
    assert classify("battery_pack", "kWh", Decimal(capacity_equivalent), "NMC811") is None
    assert classify("lithium_carbonate", "kg", value) is None


def test_other_chemistries_and_levels_get_their_own_scale_or_none() -> None:
    """LFP packs: the review's quartiles (70/120/175); sodium-ion, cells and modules: no
    publication gives a range, so no class."""
    from footprint_platform.classes import LIFETIME_UNIT, classify

    lfp = classify("battery_pack", LIFETIME_UNIT, Decimal(100) / 480, "LFP")
    nmc = classify("battery_pack", LIFETIME_UNIT, Decimal(100) / 480, "NMC811")
    assert lfp is not None and nmc is not None and (lfp.grade, nmc.grade) == ("B", "D")
    assert "Aichberger" in lfp.source
    assert classify("battery_pack", LIFETIME_UNIT, Decimal("0.1"), "SIB") is None
    assert classify("battery_cell", LIFETIME_UNIT, Decimal("0.1"), "NMC811") is None
    assert classify("battery_module", LIFETIME_UNIT, Decimal("0.1"), "LFP") is None


def test_the_owner_declares_from_the_page_and_outsiders_cannot_see_it(demo_app: Flask) -> None:
    from tests.conftest import Session

    owner = Session(demo_app.test_client())
    owner.login("data@minjiang-cathode.example")
    with demo_app.app_context():
        cathode = _product("MJ-NCM811-S")
    made = owner.post(
        f"/orgs/{cathode.organization_id}/declarations",
        {"product_id": cathode.id, "period_start": "2025-01-01", "period_end": "2025-12-31"},
    )
    assert made.status_code == 302
    page = owner.client.get(made.headers["Location"]).get_data(as_text=True)
    assert "MJ-NCM811-S" in page
    outsider = Session(demo_app.test_client())
    outsider.login("admin@dongtai-cells.example")  # its customer: not yet shared with it
    assert (
        outsider.client.get(made.headers["Location"]).status_code == 404
    )  # as if it did not exist


def test_a_battery_declaration_is_published_only_once_verified(demo_app: Flask) -> None:
    from footprint_platform.errors import Conflict
    from footprint_platform.services.disclosure import publication
    from tests.conftest import Session
    from tests.platform.demo_ids import org_id

    with demo_app.app_context():
        pack = _product("HD-PK-811-78")
        owner = admin_actor("admin@huadong-pack.example")
        d = declarations.declare(db.session, owner, pack.id, *PERIOD, "Recomputed")
        with pytest.raises(Conflict):
            publication.publish(db.session, owner, d.id)
        v = publication.request_verification(
            db.session, owner, d.id, org_id("Qingyuan Carbon Verification Co.")
        )
        verifier = admin_actor("verifier@qingyuan-verify.example")
        work = publication.open_assignment(db.session, verifier, v.id)
        assert "DT-P811-150" in {s.product.part_number for s in work.submissions}
        with pytest.raises(InvalidInput):
            publication.decide(db.session, verifier, v.id, "rejected", " ")
        accepted = list(publication.stated_reasons(db.session, d))  # the suppliers' reasons
        publication.decide(
            db.session, verifier, v.id, "verified", "Checked meter data.", accepted, STATEMENT
        )
        publication.publish(db.session, owner, d.id)
        public_id, content_hash = d.public_id, d.content_hash
        assert declarations.verify(db.session) == []
    page = demo_app.test_client().get(f"/d/{public_id}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Verified by Qingyuan" in html and content_hash in html
    owner_session = Session(demo_app.test_client())
    owner_session.login("admin@huadong-pack.example")
    owner_session.post(f"/declarations/{d.id}/withdraw")
    again = demo_app.test_client().get(f"/d/{public_id}", headers={"Accept-Language": "en"})
    assert again.status_code == 200 and "Withdrawn on" in again.get_data(as_text=True)


def test_an_unpublished_declaration_has_no_public_page(demo_app: Flask) -> None:
    with demo_app.app_context():
        cell = _product("DT-P811-150")
        draft = declarations.declare(
            db.session, admin_actor("admin@dongtai-cells.example"), cell.id, *PERIOD, "A draft"
        )
        public_id = draft.public_id
    assert demo_app.test_client().get(f"/d/{public_id}").status_code == 404


def test_new_upstream_data_redeclares_downstream_and_leaves_published_ones(
    demo_app: Flask,
) -> None:
    """The foil maker submits a new version: the cell, the NMC pack and the SUV rest on it and
    each gets a new draft declaration with a neutral reason (the foil kept by id); the
    published ones keep their numbers and hashes; the LFP chain, which does not use this foil,
    gets nothing."""
    with demo_app.app_context():
        published = {
            d.product.part_number: (d.id, d.total, d.content_hash)
            for d in db.session.scalars(select(Declaration))
        }
        foil = _product("JN-AL-12")
        actor = admin_actor("data@jiangnan-foil.example")
        draft = submissions.start_draft(db.session, actor, foil.id, *PERIOD)
        rows = [
            {
                "kind": i.kind.value,
                "quantity": i.quantity * 2,
                "unit": i.unit,
                "factor_code": i.factor_code,
                "provenance": i.provenance,
            }
            for i in draft.inputs
        ]
        submissions.save_draft(db.session, actor, draft.id, {"dqr": 2}, rows)
        workflow.submit(db.session, actor, draft.id)
        fresh = db.session.scalars(
            select(Declaration).where(Declaration.status == DeclarationStatus.DRAFT)
        ).all()
        # the electrolytes, declared too, do not rest on the foil
        assert {d.product.part_number for d in fresh} == {"DT-P811-150", "HD-PK-811-78", "JH-S7-LR"}
        for d in fresh:
            old_id, old_total, old_hash = published[d.product.part_number]
            assert d.preceding_id == old_id and d.total > old_total
            assert d.change_reason == declarations.UPSTREAM_CHANGED  # names no product
            assert d.changed_product_ids == [foil.id]
            old = db.session.get(Declaration, old_id)
            assert old.status is DeclarationStatus.PUBLISHED
            assert (old.total, old.content_hash) == (old_total, old_hash)
        assert declarations.verify(db.session) == []


def test_the_public_csv_matches_the_declaration_and_defuses_formulas(demo_app: Flask) -> None:
    import csv
    import io

    from footprint_platform.csv_cells import safe_cell

    with demo_app.app_context():
        d = db.session.scalar(
            select(Declaration).join(Product).where(Product.part_number == "JH-S7-LR")
        )
        public_id, total, dqi, carbon = d.public_id, d.total, d.dqi, d.carbon_content
    response = demo_app.test_client().get(f"/d/{public_id}.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert response.mimetype == "text/csv"
    assert rows[-1]["stage"] == "total" and Decimal(rows[-1]["kg_co2e_per_unit"]) == total
    assert not rows[-1]["kg_co2e_per_unit"].endswith("0")  # no stored trailing zeros
    stages = sum(float(r["kg_co2e_per_unit"]) for r in rows[:-1])
    assert stages == pytest.approx(float(total), rel=1e-9)
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")' and safe_cell("-1.5") == "-1.5"
    # a person reads the names in both languages; programs keep the codes
    assert (rows[0]["stage"], rows[0]["stage_en"], rows[0]["stage_zh"]) == (
        "raw_material",
        "Raw material acquisition and pre-processing",
        "原材料获取与预处理",
    )
    assert rows[-1]["stage_zh"] == "合计" and "纯电" in rows[0]["product_zh"]
    assert rows[0]["organization_zh"] and rows[0]["organization_zh"] != rows[0]["organization"]
    # the PACT ratings and the pinned carbon content on every row, the total's too
    assert dqi and carbon is not None
    for row in (rows[0], rows[-1]):
        assert [row[f"dqi_{k}"] for k in ("technological", "temporal", "geographical")] == [
            dqi["technological"],
            dqi["temporal"],
            dqi["geographical"],
        ]
        assert row["fossil_carbon_kg_c_per_unit"] == (carbon["fossil"] or "")
        assert row["fossil_carbon_upper_bound_kg_c_per_unit"] == (
            carbon["fossil_upper_bound"] or ""
        )


def test_the_breakdown_adds_up_and_names_only_shared_suppliers(demo_app: Flask) -> None:
    from tests.conftest import Session

    with demo_app.app_context():
        pack = _product("HD-PK-811-78")
        d = db.session.scalar(select(Declaration).where(Declaration.product_id == pack.id))
        parts = declarations.breakdown(db.session, d).parts
        assert sum(parts.by_tier.values()) == pytest.approx(float(d.total), rel=1e-9)
        assert sum(parts.by_category.values()) == pytest.approx(float(d.total), rel=1e-9)
        assert max(parts.by_tier) >= 5  # pack <- cell <- cathode <- precursor <- salts <- ore
        declaration_id = d.id
    owner = Session(demo_app.test_client())
    owner.login("admin@huadong-pack.example")
    page = owner.client.get(f"/declarations/{declaration_id}").get_data(as_text=True)
    # Dongtai answered the pack maker's request for its cell, which shares the cell by name;
    # nobody shared anything further upstream.
    assert "DT-P811-150" in page
    for supplier in ("Minjiang", "Lanhu", "闽江", "蓝湖"):
        assert supplier not in page


def test_the_owner_publishes_a_self_declared_vehicle_from_its_page(demo_app: Flask) -> None:
    from tests.conftest import Session

    with demo_app.app_context():
        suv = _product("JH-S7-LR")
        draft = declarations.declare(
            db.session,
            admin_actor("analyst@jinghai-motors.example"),
            suv.id,
            *PERIOD,
            "Annual update",
        )
        draft_id, public_id = draft.id, draft.public_id
    owner = Session(demo_app.test_client())
    owner.login("analyst@jinghai-motors.example")
    page = owner.client.get(f"/declarations/{draft_id}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert "Ask for verification" in html and "self-declared" in html
    assert owner.post(f"/declarations/{draft_id}/publish").status_code == 302
    public = demo_app.test_client().get(f"/d/{public_id}", headers={"Accept-Language": "en"})
    assert "Self-declared (not verified)" in public.get_data(as_text=True)


def test_the_verifier_reads_the_evidence_behind_pinned_inputs_only(demo_app: Flask) -> None:
    """The NMC pack's declaration pins the cathode's submission, whose green-electricity row
    carries a certificate: the verifier asked to check the pack may download it (logged);
    an evidence file outside the pins is not part of the assignment."""
    from footprint_platform.models import (
        AuditEvent,
        Evidence,
        Organization,
        SubmissionInput,
    )
    from footprint_platform.services.disclosure import publication
    from footprint_platform.services.intake import evidence
    from tests.conftest import Session

    with demo_app.app_context():
        pack_admin = admin_actor("admin@huadong-pack.example")
        pack = _product("HD-PK-811-78")
        d = declarations.declare(db.session, pack_admin, pack.id, *PERIOD, "For verification")
        verifier = db.session.scalar(
            select(Organization.id).where(Organization.name_en.like("Qingyuan%"))
        )
        v = publication.request_verification(db.session, pack_admin, d.id, verifier)
        pinned = [p[0] for p in d.pinned.values()]
        behind = db.session.scalar(
            select(SubmissionInput.evidence_id).where(
                SubmissionInput.submission_id.in_(pinned), SubmissionInput.evidence_id.is_not(None)
            )
        )
        outside = evidence.add_evidence(db.session, pack_admin, pack.organization_id, "x.txt", b"x")
        blob = db.session.get(Evidence, behind).data
        v_id, outside_id = v.id, outside.id
    checker = Session(demo_app.test_client())
    checker.login("verifier@qingyuan-verify.example")
    page = checker.client.get(f"/verifications/{v_id}").get_data(as_text=True)
    assert f"/verifications/{v_id}/evidence/{behind}" in page
    got = checker.client.get(f"/verifications/{v_id}/evidence/{behind}")
    assert got.status_code == 200 and got.data == blob
    assert checker.client.get(f"/verifications/{v_id}/evidence/{outside_id}").status_code == 404
    with demo_app.app_context():
        read = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "evidence.read", AuditEvent.object_id == str(behind)
            )
        )
        assert read is not None and read.details["verification_id"] == v_id


def test_pages_and_exports_show_the_class_the_declaration_was_given(
    demo_app: Flask, auth: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new scale grades the same total differently; the published declaration keeps its class
    on its page, the public page and its PACT extension (never a live reclassification)."""
    from footprint_platform import classes
    from footprint_platform.services.pact import footprint as pact

    with demo_app.app_context():
        pack = _product("HD-PK-811-78")
        d = db.session.scalar(
            select(Declaration).where(
                Declaration.product_id == pack.id, Declaration.published_at.is_not(None)
            )
        )
        stored, public_id, d_id = d.performance_class, d.public_id, d.id
    assert stored is not None and stored != "Z"
    newer = {
        "categories": ["battery_cell", "battery_module", "battery_pack"],
        "unit": "kWh",
        "illustrative": True,
        "source": "test scale",
        "classes": [{"class": "Z"}],
    }
    monkeypatch.setattr(classes, "_scales", lambda: ("2099.1-test", [newer]))
    assert classes.classify("battery_pack", "kWh", Decimal("1")).grade == "Z"

    page = demo_app.test_client().get(f"/d/{public_id}", headers={"Accept-Language": "en"})
    assert f"Class <strong>{stored}</strong>" in page.get_data(as_text=True)
    auth.login("admin@huadong-pack.example")
    own = auth.client.get(f"/declarations/{d_id}", headers={"Accept-Language": "en"})
    assert f"Class <strong>{stored}</strong>" in own.get_data(as_text=True)
    with demo_app.app_context():
        d = db.session.get(Declaration, d_id)
        options = pact.Options("tanlian.example", "https://x.example/s.json")
        footprint = pact.product_footprint(db.session, d, options)
        extension = footprint["extensions"][0]["data"]["performanceClass"]
        assert extension == {
            "class": stored,
            "scaleVersion": "2026.1-illustrative",
            "illustrative": True,
        }


def test_verification_recomputes_the_upstream_part_of_the_pinned_graph(demo_app: Flask) -> None:
    """Verifying reads only the declared product's upstream (by the pins), and gets the number
    the whole pinned graph gives, bit for bit, also after a factor value is changed behind the
    application's back (so it still recomputes from the database, caching nothing)."""
    import numpy as np

    from footprint_platform.services.graph.build import chain_graph, pinned_upstream_graph
    from footprint_platform.services.graph.chain import product_node
    from supply_graph import rollup

    def both(d: Declaration) -> tuple[object, object, int, int]:
        pins = {int(p): v[0] for p, v in d.pinned.items()}
        args = (d.period_start, d.period_end, pins, d.fallback_release_id)
        whole = chain_graph(db.session, *args)
        part = pinned_upstream_graph(db.session, d.product_id, *args)
        node = product_node(d.product_id)
        up = whole.reachable([d.product_id], "up")
        assert set(part.product_ids) == up | {int(p) for p in d.pinned}
        return rollup(whole.graph)[node], rollup(part.graph)[node], len(up), whole.graph.n_nodes

    with demo_app.app_context():
        made = db.session.scalars(select(Declaration).order_by(Declaration.id)).all()
        for d in made:
            whole, part, upstream, nodes = both(d)
            assert upstream < nodes
            assert whole.by_stage == part.by_stage and whole.total == part.total  # type: ignore[attr-defined]
        d = made[-1]
        pinned = [v[0] for v in d.pinned.values()]
        factor = db.session.execute(
            sa.text(
                "SELECT f.id FROM emission_factor f JOIN submission s "
                "ON f.release_id = s.factor_release_id JOIN submission_input i "
                "ON i.submission_id = s.id AND i.factor_code = f.code "
                f"WHERE s.id IN ({','.join(map(str, pinned))}) ORDER BY f.id LIMIT 1"
            )
        ).scalar_one()
        _behind_the_applications_back(
            "UPDATE emission_factor SET value = value * 2 WHERE id = :i", i=factor
        )
        d = db.session.get(Declaration, d.id)
        whole, part, _, _ = both(d)
        assert whole.total == part.total  # type: ignore[attr-defined]
        assert not np.isclose(part.total, float(d.total), rtol=1e-9)  # type: ignore[attr-defined]
        assert [m.declaration_id for m in declarations.verify(db.session, [d])] == [d.id]
