"""Uncertainty: a row states it (one validation for every channel) or its rating gives it; the
product's 95 % interval is shown on the dashboard and the declaration, recomputed from the pins
to the same numbers, and verification is untouched."""

from __future__ import annotations

import math
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.errors import UploadRejected
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product
from footprint_platform.services import workflow
from footprint_platform.services.disclosure import declarations
from footprint_platform.services.graph import breakdowns
from footprint_platform.services.graph.input_uncertainty import distribution, normalized
from footprint_platform.services.graph.uncertainty import pedigree_scores
from footprint_platform.services.intake import submissions
from footprint_platform.services.intake.fingerprint import canonical
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor

pytestmark = pytest.mark.postgres
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
FOIL, FOIL_ADMIN = "JN-AL-12", "data@jiangnan-foil.example"
PACK, PACK_ADMIN = "HD-PK-811-78", "admin@huadong-pack.example"


def _product(part: str) -> Product:
    return db.session.scalar(select(Product).where(Product.part_number == part))


@pytest.mark.parametrize(
    ("text", "stored"),
    [("1.20", "1.2"), ("±10%", "-10/+10"), ("+-5", "-5/+5"), ("-10 % / +20 %", "-10/+20")],
)
def test_a_stated_uncertainty_is_stored_normalized(text: str, stored: str) -> None:
    assert normalized(text) == stored


@pytest.mark.parametrize("text", ["0.9", "11", "-120/+5", "-0/+0", "about 10 %", "nan"])
def test_a_stated_uncertainty_out_of_its_forms_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        normalized(text)


def test_the_stored_text_means_a_lognormal_or_a_uniform_range() -> None:
    assert distribution("1.2") == ("lognormal", pytest.approx(math.log(1.2)), 0.0)
    assert distribution("-10/+20") == ("uniform", 0.1, 0.2)
    # no rating anywhere: the pedigree matrix's "unknown" column, never the best
    assert pedigree_scores(None, None) == {"technological": 5, "temporal": 5, "geographical": 5}
    assert pedigree_scores(2.0, 4.0)["temporal"] == 2.0


def _foil_rows(draft, uncertainty: list[str | None]) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return [
        {
            "kind": i.kind.value,
            "quantity": i.quantity,
            "unit": i.unit,
            "factor_code": i.factor_code,
            # the row's own statement of its source and its ratings, unchanged
            "provenance": i.provenance,
            "dqr_technological": i.dqr_technological,
            "dqr_temporal": i.dqr_temporal,
            "dqr_geographical": i.dqr_geographical,
            "uncertainty": u,
        }
        for i, u in zip(draft.inputs, uncertainty, strict=False)
    ]


def test_a_bad_stated_uncertainty_names_its_row_and_saves_nothing(demo_app: Flask) -> None:
    with demo_app.app_context():
        actor = admin_actor(FOIL_ADMIN)
        draft = submissions.start_draft(db.session, actor, _product(FOIL).id, *PERIOD)
        n = len(draft.inputs)
        rows = _foil_rows(draft, ["12"] + [None] * (n - 1))
        with pytest.raises(UploadRejected) as caught:
            submissions.save_draft(db.session, actor, draft.id, {"dqr": 2}, rows)
        (problem,) = caught.value.problems
        assert (problem.row, problem.column, problem.value) == (1, "uncertainty", "12")
        assert "1.2" in problem.reason and "-10/+20" in problem.reason  # either language


def test_a_stated_uncertainty_widens_the_interval_and_verification_holds(
    demo_app: Flask,
) -> None:
    """The pack's interval from its declaration's pins equals the one its dashboard computes
    from the same data; a foil row stated at GSD 3 widens the cell's and the pack's
    intervals, the content hash of an unchanged row carries no uncertainty key, and every
    declaration still verifies."""
    with demo_app.app_context():
        pack = _product(PACK)
        d = db.session.scalar(select(Declaration).where(Declaration.product_id == pack.id))
        before = declarations.breakdown(db.session, d).interval
        assert before is not None and before.samples == 1000 and before.seed == 0
        assert before.low < float(d.total) < before.high
        assert declarations.breakdown(db.session, d).interval == before  # pinned by seed + n
        shown = breakdowns.explain_latest(db.session, admin_actor(PACK_ADMIN), pack.id).interval
        assert shown == before  # same upstream, terms in the same order: the same draws

        actor = admin_actor(FOIL_ADMIN)
        draft = submissions.start_draft(db.session, actor, _product(FOIL).id, *PERIOD)
        n = len(draft.inputs)
        assert all("uncertainty" not in row for row in canonical(draft)["inputs"])
        rows = _foil_rows(draft, ["3"] * n)
        submissions.save_draft(db.session, actor, draft.id, {"dqr": 2}, rows)
        assert {i.uncertainty for i in draft.inputs} == {"3"}
        assert all(row["uncertainty"] == "3" for row in canonical(draft)["inputs"])
        workflow.submit(db.session, actor, draft.id)
        assert declarations.verify(db.session) == []
        newer = db.session.scalars(
            select(Declaration).where(Declaration.product_id == pack.id).order_by(Declaration.id)
        ).all()[-1]
        after = declarations.breakdown(db.session, newer).interval
        assert after is not None and after.stated >= n
        assert (after.high - after.low) > (before.high - before.low)


def test_the_dashboard_and_the_declaration_show_the_interval_in_both_languages(
    demo_app: Flask, auth: Session
) -> None:
    with demo_app.app_context():
        pack = _product(PACK)
        d = db.session.scalar(select(Declaration.id).where(Declaration.product_id == pack.id))
    auth.login(PACK_ADMIN)
    for lang, words in (("en", "Monte Carlo"), ("zh", "蒙特卡洛")):
        auth.post(f"/language/{lang}")
        for path in (f"/dashboard/products/{pack.id}", f"/declarations/{d}"):
            html = auth.client.get(path).get_data(as_text=True)
            assert 'id="interval"' in html and words in html, (lang, path)
            assert "ecoinvent v3" in html
