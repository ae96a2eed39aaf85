"""Primary data by data point and PACT v3 data quality: each row's provenance decides whether
its emissions are primary data, its three ratings are weighted by emissions contribution, and
the declaration exports them as PACT `dqi` (schema-valid, 1 to 5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.errors import UploadRejected
from footprint_platform.extensions import db
from footprint_platform.models import (
    Declaration,
    EmissionFactor,
    Product,
    ProductResult,
    RollupRun,
    Submission,
    SubmissionInput,
)
from footprint_platform.services import workflow
from footprint_platform.services.disclosure import declarations
from footprint_platform.services.intake import activity, submissions
from footprint_platform.services.intake.fingerprint import content_hash
from footprint_platform.services.pact import footprint as pact
from tests.platform.demo_ids import Ids, admin_actor

pytestmark = pytest.mark.postgres
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
FOIL, FOIL_ADMIN = "JN-AL-12", "data@jiangnan-foil.example"
OPTIONS = pact.Options("tanlian.example", "https://x.example/s.json")

# An aluminium-foil inventory typed in from a database (as the GREET tables give one): every
# figure is a database value, none the maker's own measurement.
DATABASE_INVENTORY: list[dict[str, Any]] = [
    {
        "kind": "material",
        "description": "Primary aluminium",
        "quantity": "1.05",
        "unit": "kg",
        "factor_code": "mat.aluminium.primary.cn",
    },
    {"kind": "electricity", "quantity": "1.8", "unit": "kWh", "provenance": "secondary"},
    {
        "kind": "transport",
        "quantity": "1.05",
        "unit": "kg",
        "distance_km": "800",
        "factor_code": "transport.truck.heavy",
        "provenance": "secondary",
    },
]


def _product(part: str) -> Product:
    return db.session.scalar(select(Product).where(Product.part_number == part))


def _result(product: Product) -> ProductResult:
    return db.session.scalars(
        select(ProductResult)
        .join(RollupRun, RollupRun.id == ProductResult.run_id)
        .where(ProductResult.product_id == product.id, RollupRun.period_start == PERIOD[0])
        .order_by(ProductResult.id.desc())
        .limit(1)
    ).one()


def _submit(rows: list[dict[str, Any]], header: dict[str, Any]) -> Submission:
    foil = _product(FOIL)
    actor = admin_actor(FOIL_ADMIN)
    draft = submissions.start_draft(db.session, actor, foil.id, *PERIOD)
    submissions.save_draft(db.session, actor, draft.id, header, [dict(r) for r in rows])
    return workflow.submit(db.session, actor, draft.id)


def _emissions(sub: Submission) -> list[Decimal]:
    """Each own-activity row's kg CO2e, computed here from the factor release's values."""
    factors = {
        f.code: f
        for f in db.session.scalars(
            select(EmissionFactor).where(EmissionFactor.release_id == sub.factor_release_id)
        )
    }
    out = []
    for i in sub.inputs:
        factor = factors[i.factor_code]
        row = {"kind": i.kind, "quantity": i.quantity, "unit": i.unit, "distance_km": i.distance_km}
        out.append(activity.factor_amount(row, factor) * factor.value)
    return out


def test_a_product_entered_from_database_values_has_no_primary_data(demo_app: Flask) -> None:
    with demo_app.app_context():
        sub = _submit(DATABASE_INVENTORY, {"dqr": 3})
        assert [i.provenance for i in sub.inputs] == ["secondary"] * 3
        result = _result(_product(FOIL))
        assert float(result.total) > 0
        assert result.primary_data_share == 0  # was 100 % when the flag was per submission
        assert declarations.verify(db.session) == []  # published ones still recompute


def test_the_primary_share_counts_only_measured_and_calculated_rows(demo_app: Flask) -> None:
    rows = [dict(r) for r in DATABASE_INVENTORY]
    rows[1]["provenance"] = "measured"  # the meter
    rows[2]["provenance"] = "estimated"  # a distance guessed from a map
    with demo_app.app_context():
        sub = _submit(rows, {"dqr": 2})
        electricity, transport, aluminium = (
            _emissions(sub)[1],
            _emissions(sub)[2],
            _emissions(sub)[0],
        )
        expected = electricity / (aluminium + electricity + transport)
        result = _result(_product(FOIL))
        assert float(result.primary_data_share) == pytest.approx(float(expected), abs=1e-6)
        assert 0 < result.primary_data_share < 1


def test_the_three_ratings_are_weighted_by_emissions(demo_app: Flask) -> None:
    """Rows rate themselves or take the submission's defaults; a dataset row unrated keeps the
    generic 3; each indicator is Σ e·r / Σ e and the single rating is their mean."""
    rows = [dict(r) for r in DATABASE_INVENTORY]
    rows[1].update(dqr_technological="1", dqr_temporal="1", dqr_geographical="2")
    header = {"dqr_technological": "2", "dqr_temporal": "4", "dqr_geographical": "3"}
    with demo_app.app_context():
        sub = _submit(rows, header)
        assert sub.dqr == Decimal("3.0")  # derived: the mean of the defaults
        assert sub.inputs[1].dqr == Decimal("1.3")  # the row's mean, to one place
        aluminium, electricity, transport = (float(e) for e in _emissions(sub))
        total = aluminium + electricity + transport
        expected = {
            "technological": (3 * aluminium + 1 * electricity + 2 * transport) / total,
            "temporal": (3 * aluminium + 1 * electricity + 4 * transport) / total,
            "geographical": (3 * aluminium + 2 * electricity + 3 * transport) / total,
        }
        result = _result(_product(FOIL))
        assert result.dqi is not None
        for name, value in expected.items():
            assert float(result.dqi[name]) == pytest.approx(value, abs=0.006)
        mean = sum(expected.values()) / 3
        assert float(result.dqr) == pytest.approx(mean, abs=0.006)


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"dqr_technological": "2"}, "dqr_temporal", "all three"),
        (
            {"dqr_technological": "6", "dqr_temporal": "1", "dqr_geographical": "1"},
            "dqr_technological",
            "1 (best) to 5",
        ),
        ({"provenance": "guessed"}, "provenance", "measured, calculated"),
    ],
)
def test_a_bad_rating_or_provenance_is_named(
    prepared_app: Flask, ids: Ids, change: dict[str, str], column: str, words: str
) -> None:
    auth = {"Authorization": f"Bearer {ids.write_secret}", "Accept-Language": "en"}
    row = {"kind": "electricity", "quantity": "2", "unit": "kWh", **change}
    response = prepared_app.test_client().put(
        f"/api/v1/submissions/{ids.draft}", json={"dqr": "2", "inputs": [row]}, headers=auth
    )
    assert response.status_code == 422, response.get_json()
    assert words in " ".join(response.get_json()["errors"][f"inputs[1].{column}"])


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Say where this figure comes from"), ("zh", "请说明该数值的来源")],
)
def test_own_activity_without_provenance_cannot_be_submitted(
    prepared_app: Flask, ids: Ids, language: str, words: str
) -> None:
    """A draft may wait; submitting needs each own-activity row's provenance (both languages),
    and a material valued by a dataset is secondary without being asked."""
    auth = {"Authorization": f"Bearer {ids.write_secret}", "Accept-Language": language}
    client = prepared_app.test_client()
    content = {
        "dqr": "2",
        "inputs": [
            {"kind": "electricity", "quantity": "2", "unit": "kWh"},
            {
                "kind": "material",
                "quantity": "0.5",
                "unit": "kg",
                "factor_code": "mat.steel.crude.glo",
            },
        ],
    }
    saved = client.put(f"/api/v1/submissions/{ids.draft}", json=content, headers=auth)
    assert saved.status_code == 200
    assert [i["provenance"] for i in saved.get_json()["submission"]["inputs"]] == [
        None,
        "secondary",
    ]
    refused = client.post(f"/api/v1/submissions/{ids.draft}/submit", json={}, headers=auth)
    assert refused.status_code == 422
    assert words in " ".join(refused.get_json()["errors"]["inputs[1].provenance"])


def test_the_form_asks_for_provenance_and_the_three_ratings_in_both_languages(
    prepared_app: Flask, ids: Ids
) -> None:
    from tests.conftest import Session

    session = Session(prepared_app.test_client())
    session.login("admin@huadong-pack.example")
    base = f"/submissions/{ids.draft}"
    for language, words in (
        ("en", ("Source of the figure", "Database or literature value", "Temporal rating")),
        ("zh", ("数值来源", "数据库或文献数值", "时间评级")),
    ):
        page = session.client.get(f"{base}/energy", headers={"Accept-Language": language}).get_data(
            as_text=True
        )
        assert all(w in page for w in words), language
    general = session.client.get(f"{base}/general", headers={"Accept-Language": "zh"})
    assert "技术代表性" in general.get_data(as_text=True)
    posted = session.post(
        f"{base}/general",
        {"dqr_technological": "1", "dqr_temporal": "2", "dqr_geographical": "4"},
    )
    assert posted.status_code == 302
    with prepared_app.app_context():
        sub = db.session.get(Submission, ids.draft)
        assert (sub.dqr_technological, sub.dqr_temporal, sub.dqr_geographical) == (1, 2, 4)
        assert sub.dqr == Decimal("2.3")


def test_migration_0029_states_provenance_by_its_rule_and_keeps_every_pin(
    demo_app: Flask,
) -> None:
    """Back to 0030, the revision below 0029 (no provenance, one rating), and up again: the
    migration gives own activity 'measured', dataset materials 'secondary', links none, a
    single rating to all three; every submission's hash and every declaration still verifies."""
    from flask_migrate import downgrade, upgrade

    with demo_app.app_context():
        # the demo's declarations were made with dqi, which going below 0029 drops: put it
        # back after, as it was (what is under test is the submissions' data)
        # (and the pinned carbon content, which going below 0038 drops)
        kept = {d.id: (d.dqi, d.carbon_content) for d in db.session.scalars(select(Declaration))}
        db.session.commit()
        # only 0029 down and up (with the revisions chained after it): going further down
        # would also undo the features chained before it (0028's pinned functional unit, ...),
        # which is not what is under test
        downgrade(revision="0030")
        upgrade(revision="head")
        db.session.expire_all()
        for d in db.session.scalars(select(Declaration)):
            d.dqi, d.carbon_content = kept[d.id]
        db.session.commit()
        rows = db.session.scalars(select(SubmissionInput)).all()
        assert rows
        for row in rows:
            own = row.kind.value in {k.value for k in activity.OWN_ACTIVITY}
            dataset = (
                row.kind.value == "material"
                and row.factor_code
                and not (row.linked_product_id or row.external_footprint_id)
            )
            expected = "measured" if own else "secondary" if dataset else None
            assert row.provenance == expected, (row.kind, row.factor_code)
            ratings = (row.dqr_technological, row.dqr_temporal, row.dqr_geographical)
            assert ratings == (row.dqr,) * 3
        for sub in db.session.scalars(
            select(Submission).where(Submission.content_hash.isnot(None))
        ):
            assert content_hash(sub) == sub.content_hash
            assert (sub.dqr_technological, sub.dqr_temporal, sub.dqr_geographical) == (sub.dqr,) * 3
        assert declarations.verify(db.session) == []


def test_a_legacy_row_hashes_as_before_and_a_stated_one_differently(demo_app: Flask) -> None:
    """Migration 0029 gave old rows a provenance and three ratings; their content hashes must
    not move (published declarations pin them), while a provenance that says more does."""
    with demo_app.app_context():
        sub = db.session.scalars(
            select(Submission).join(Product).where(Product.part_number == FOIL)
        ).first()
        assert content_hash(sub) == sub.content_hash
        electricity = next(i for i in sub.inputs if i.kind.value == "electricity")
        assert electricity.provenance == "measured"
        electricity.provenance = "estimated"
        assert content_hash(sub) != sub.content_hash
        db.session.rollback()


def test_the_declaration_exports_pact_dqi_that_validates(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = db.session.scalars(
            select(Declaration)
            .join(Product)
            .where(Product.part_number == "HD-PK-811-78")
            .order_by(Declaration.version.desc())
        ).first()
        pf = pact.product_footprint(db.session, d, OPTIONS)
        dqi = pf["pcf"]["dqi"]
        assert set(dqi) == {"technologicalDQR", "temporalDQR", "geographicalDQR"}
        assert all(1 <= Decimal(v) <= 5 for v in dqi.values())
        assert json_schemas.problems("pact", pf) == []
        mean = sum(Decimal(v) for v in dqi.values()) / 3
        assert float(mean) == pytest.approx(float(d.dqr), abs=0.01)
        pf["pcf"]["dqi"]["temporalDQR"] = "5.5"  # PACT v3.0.3: between 1 and 5 inclusive
        assert json_schemas.problems("pact", pf) != []


def test_a_submission_refused_for_a_rating_saves_nothing(demo_app: Flask) -> None:
    rows = [dict(r) for r in DATABASE_INVENTORY]
    rows[1]["dqr_temporal"] = "0"
    with demo_app.app_context():
        foil = _product(FOIL)
        actor = admin_actor(FOIL_ADMIN)
        draft = submissions.start_draft(db.session, actor, foil.id, *PERIOD)
        before = [(i.kind, i.quantity) for i in draft.inputs]
        with pytest.raises(UploadRejected) as refused:
            submissions.save_draft(db.session, actor, draft.id, {"dqr": 2}, rows)
        columns = {p.column for p in refused.value.problems}
        assert {"dqr_temporal", "dqr_technological"} <= columns
        again = db.session.get(Submission, draft.id)
        assert [(i.kind, i.quantity) for i in again.inputs] == before


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (  # a GWP set other than the rule's (AR6): refused, not mixed
            {"kind": "process", "quantity": "0.01", "unit": "kg", "factor_code": "gas.n2o.ar5"},
            "AR5",
        ),
        (  # CO2 only and not listed by the rule: never counted as CO2e
            {"kind": "fuel", "quantity": "1", "unit": "GJ", "factor_code": "heat.purchased.cn"},
            "CO2 only",
        ),
    ],
)
def test_a_factor_of_another_basis_is_refused(
    prepared_app: Flask, ids: Ids, row: dict[str, str], words: str
) -> None:
    auth = {"Authorization": f"Bearer {ids.write_secret}", "Accept-Language": "en"}
    response = prepared_app.test_client().put(
        f"/api/v1/submissions/{ids.draft}",
        json={"dqr": "2", "inputs": [{**row, "provenance": "measured"}]},
        headers=auth,
    )
    assert response.status_code == 422
    assert words in " ".join(response.get_json()["errors"]["inputs[1].factor_code"])


def test_the_rules_set_and_listed_co2_only_factors_are_accepted_and_stated(
    prepared_app: Flask, ids: Ids
) -> None:
    auth = {"Authorization": f"Bearer {ids.write_secret}", "Accept-Language": "en"}
    rows = [
        {"kind": "process", "quantity": "0.01", "unit": "kg", "factor_code": "gas.n2o.ar6"},
        {
            "kind": "fuel",
            "quantity": "1",
            "unit": "kg",
            "factor_code": "fuel.diesel.combustion.per_kg",
        },
    ]
    response = prepared_app.test_client().put(
        f"/api/v1/submissions/{ids.draft}",
        json={"dqr": "2", "inputs": [{**r, "provenance": "measured"} for r in rows]},
        headers=auth,
    )
    assert response.status_code == 200, response.get_json()
    with prepared_app.app_context():
        d = db.session.scalars(
            select(Declaration).join(Product).where(Product.part_number == "HD-PK-811-78")
        ).first()
        pcf_comment = pact.product_footprint(db.session, d, OPTIONS)
        assert pcf_comment["pcf"]["ipccCharacterizationFactors"] == ["AR6"]
        # the pack's chain burns diesel and coal: the footprint says which factors are CO2 only
        assert "CO2-only factors used" in pcf_comment["comment"]
        assert "fuel.diesel.combustion.per_kg" in pcf_comment["comment"]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("GWP100 values of IPCC AR6", "primaryDataShare", "exported as PACT dqi")),
        ("zh", ("IPCC AR6 的 GWP100 值", "初级数据占比", "导出为 PACT dqi")),
    ],
)
def test_the_methodology_page_states_the_definitions(
    demo_app: Flask, language: str, words: tuple[str, ...]
) -> None:
    page = demo_app.test_client().get(
        "/methodology/rules/power_battery", headers={"Accept-Language": language}
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert all(w in text for w in words), language
