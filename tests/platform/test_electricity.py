"""Electricity as the accounting rule states it: the grid factor of the period's year and the
site's country, contractual instruments as records claimed once within their volume, and the
transmission and distribution factor on instrument kWh delivered over the grid."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from footprint_platform.electricity import GRID_MIX_ONLY
from footprint_platform.errors import Conflict, InvalidInput, UploadRejected
from footprint_platform.extensions import db
from footprint_platform.models import (
    ElectricityInstrument,
    Organization,
    Product,
    ProductResult,
    RollupRun,
    Submission,
    SubmissionInput,
    SubmissionStatus,
    User,
)
from footprint_platform.policy import Actor
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.rules import load_rules, rule_version
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import catalog, factors
from footprint_platform.services.catalogue.accounts import user_actor
from footprint_platform.services.intake import evidence, instruments, submissions
from footprint_platform.services.intake.activity import Context, check_rows
from tests.platform.demo_ids import PACK, Ids

RELEASE_2026 = CONFIG_DIR / "factors" / "seed-2026.1.csv"
YEAR_2025 = (date(2025, 1, 1), date(2025, 12, 31))


def _release(path: Path) -> dict[str, Any]:
    rows = factors.read_release(path.read_bytes())
    return {r["code"]: SimpleNamespace(**r) for r in rows}


def _ctx(country: str, region: str, period: tuple[date, date] = YEAR_2025, **kw: Any) -> Context:
    """A context without a database: the rule of a battery pack, the 2026.1 release."""
    product = SimpleNamespace(id=1, organization_id=7, site_id=3, declared_unit="kWh")
    return Context(
        product=product,  # type: ignore[arg-type]
        rule=kw.pop("rule", load_rules()["power_battery"]),
        factors=_release(RELEASE_2026),
        linkable={},
        evidence_ids={5},
        site_grid_region=region,
        period=period,
        site_country=country,
        **kw,
    )


def _grid_row(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "electricity",
        "quantity": "10",
        "unit": "kWh",
        "provenance": "measured",
        **extra,
    }


# --- the grid factor of the period's year, by country ----------------------------------------


def test_a_2025_period_uses_the_2024_chinese_factor() -> None:
    """The release holds 2023 (0.6205) and 2024 (0.5777); a 2025 period takes the latest
    published for 2025 or before: 2024. A 2023 period keeps 2023."""
    checked = check_rows([_grid_row()], _ctx("CN", "CN-E"), for_submit=False)
    assert not checked.problems
    assert checked.rows[0]["factor_code"] == "elec.cn.cfp.2024"
    assert _release(RELEASE_2026)["elec.cn.cfp.2024"].value == Decimal("0.5777")
    old = check_rows(
        [_grid_row()], _ctx("CN", "CN-E", (date(2023, 1, 1), date(2023, 12, 31))), False
    )
    assert old.rows[0]["factor_code"] == "elec.cn.cfp.2023"


def test_a_grid_factor_of_another_year_is_replaced_by_the_rules_choice() -> None:
    """A row copied from last year's version names the 2023 code: the rule picks the year."""
    checked = check_rows([_grid_row(factor_code="elec.cn.cfp.2023")], _ctx("CN", "CN"), False)
    assert not checked.problems
    assert checked.rows[0]["factor_code"] == "elec.cn.cfp.2024"


def test_uncovered_kwh_take_a_residual_mix_where_the_release_has_one() -> None:
    """No residual mix is published for China, so the rule's substitute (the grid factor) is
    used; a release that held one (a test row) would be chosen, latest year first."""
    ctx = _ctx("CN", "CN")
    assert check_rows([_grid_row()], ctx, False).rows[0]["factor_code"] == "elec.cn.cfp.2024"
    residual = SimpleNamespace(
        code="elec.cn.residual.2024",
        series="carbon_footprint",
        geography="CN",
        reference_year=2024,
        category="electricity",
        unit="kWh",
        value=Decimal("0.6"),
    )
    ctx.factors["elec.cn.residual.2024"] = residual  # type: ignore[assignment]
    assert check_rows([_grid_row()], ctx, False).rows[0]["factor_code"] == "elec.cn.residual.2024"


def test_no_factor_before_the_first_published_year_is_refused_naming_the_region() -> None:
    checked = check_rows(
        [_grid_row()], _ctx("CN", "CN", (date(2021, 1, 1), date(2021, 12, 31))), False
    )
    assert [(p.column, p.row) for p in checked.problems] == [("grid_region", 1)]
    assert "2021" in checked.problems[0].reason


def test_a_hungarian_site_uses_the_hungarian_factor() -> None:
    checked = check_rows([_grid_row()], _ctx("HU", "HU"), for_submit=False)
    assert not checked.problems
    assert checked.rows[0]["factor_code"] == "elec.hu.cfp.2024"


@pytest.mark.parametrize("country", ["HU", "DE", "PL", "SE", "US", "KR", "JP", "ID", "AU"])
def test_every_battery_country_of_the_release_has_its_own_factor(country: str) -> None:
    checked = check_rows([_grid_row()], _ctx(country, country), for_submit=False)
    code = checked.rows[0]["factor_code"]
    assert code.startswith(f"elec.{country.lower()}.cfp.")
    assert _release(RELEASE_2026)[code].geography == country


def test_a_site_outside_china_is_refused_a_chinese_factor_naming_the_field() -> None:
    refused = check_rows(
        [_grid_row(factor_code="elec.cn.cfp.2024")], _ctx("HU", "HU"), for_submit=False
    )
    assert [(p.column, p.value) for p in refused.problems] == [("factor_code", "elec.cn.cfp.2024")]
    assert "CN" in refused.problems[0].reason and "HU" in refused.problems[0].reason
    region = check_rows([_grid_row(grid_region="CN-E")], _ctx("HU", "HU"), for_submit=False)
    assert [p.column for p in region.problems] == ["grid_region"]
    german = check_rows(
        [_grid_row(instrument="onsite", factor_code="elec.de.cfp.2024", evidence_id=5)],
        _ctx("HU", "HU"),
        for_submit=True,
    )
    assert [p.column for p in german.problems] == ["factor_code"]


def test_the_co2_only_regional_series_stays_refused() -> None:
    checked = check_rows(
        [_grid_row(instrument="onsite", factor_code="elec.cn-e.co2.2023", evidence_id=5)],
        _ctx("CN", "CN-E"),
        for_submit=False,
    )
    assert [p.column for p in checked.problems] == ["factor_code"]


def test_a_rule_of_version_1_0_keeps_its_pinned_2023_factor() -> None:
    """Drafts and declarations made under rule 1.0 are checked as 1.0 said (archived file)."""
    old = rule_version("power_battery", "1.0")
    assert old.electricity.pinned and old.version == "1.0"
    assert load_rules()["power_battery"].version == "1.1"
    checked = check_rows([_grid_row()], _ctx("CN", "CN-E", rule=old), for_submit=False)
    assert checked.rows[0]["factor_code"] == "elec.cn.cfp.2023"


# --- instruments checked row by row -------------------------------------------------------


def _record(**kw: Any) -> ElectricityInstrument:
    fields: dict[str, Any] = {
        "certificate_id": "GEC-1",
        "organization_id": 7,
        "site_id": 3,
        "kind": "green_certificate",
        "issuer": "registry",
        "generation": "wind",
        "volume_kwh": Decimal(1000),
        "vintage_start": date(2025, 1, 1),
        "vintage_end": date(2025, 12, 31),
        "geography": "CN",
        "evidence_id": 5,
        "claimed_product_id": None,
        "claimed_period_start": None,
        "claimed_period_end": None,
    }
    fields.update(kw)
    return ElectricityInstrument(**fields)


def _cert_row(**extra: Any) -> dict[str, Any]:
    return _grid_row(**{"instrument": "green_certificate", "certificate_id": "gec-1", **extra})


def test_a_certificate_takes_its_generation_factor_plus_transmission_and_distribution() -> None:
    ctx = _ctx("CN", "CN-E", instruments={"GEC-1": _record()})
    checked = check_rows([_cert_row()], ctx, for_submit=True)
    assert not checked.problems
    row = checked.rows[0]
    assert (row["certificate_id"], row["factor_code"], row["td_factor_code"]) == (
        "GEC-1",
        "elec.cn.wind.cfp.2023",
        "elec.cn.td.cfp.2024",
    )


def test_direct_supply_carries_no_transmission_and_distribution() -> None:
    ctx = _ctx("CN", "CN", instruments={"GEC-1": _record(kind="direct_supply")})
    checked = check_rows([_cert_row(instrument="direct_supply")], ctx, for_submit=True)
    assert not checked.problems and checked.rows[0]["td_factor_code"] is None


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        (None, "register it first"),
        (_record(organization_id=8), "another organization"),
        (_record(site_id=4), "another of your sites"),
        (_record(vintage_start=date(2023, 1, 1), vintage_end=date(2023, 12, 31)), "vintage"),
        (_record(kind="ppa"), "supply type"),
        (_record(geography="DE"), "generated in DE"),
        (
            _record(
                claimed_product_id=99,
                claimed_period_start=date(2025, 1, 1),
                claimed_period_end=date(2025, 12, 31),
            ),
            "claimed once",
        ),
        (_record(generation="hydro"), "no life-cycle factor for hydro"),
    ],
)
def test_a_certificate_that_fails_a_quality_criterion_is_refused(
    record: ElectricityInstrument | None, fragment: str
) -> None:
    ctx = _ctx("CN", "CN", instruments={"GEC-1": record} if record else {})
    checked = check_rows([_cert_row()], ctx, for_submit=True)
    assert [(p.column, p.row) for p in checked.problems] == [("certificate_id", 1)]
    assert fragment in checked.problems[0].reason


def test_no_transmission_factor_abroad_refuses_a_grid_delivered_certificate() -> None:
    """The release has no Hungarian T&D factor: the rule refuses rather than borrow China's."""
    ctx = _ctx("HU", "HU", instruments={"GEC-1": _record(geography="HU", generation="wind")})
    checked = check_rows([_cert_row()], ctx, for_submit=True)
    assert {p.column for p in checked.problems} == {"certificate_id"}
    reasons = " ".join(p.reason for p in checked.problems)
    assert "transmission and distribution factor for HU" in reasons
    assert "life-cycle factor for wind electricity in HU" in reasons  # none abroad either


def test_grid_mix_only_refuses_every_instrument() -> None:
    """The later EU draft: every kWh at the grid mix; a rule choosing it refuses instruments."""
    rule = load_rules()["power_battery"]
    eu = dataclasses.replace(
        rule, electricity=dataclasses.replace(rule.electricity, policy=GRID_MIX_ONLY)
    )
    ctx = _ctx("CN", "CN", rule=eu, instruments={"GEC-1": _record()})
    checked = check_rows([_cert_row()], ctx, for_submit=True)
    assert "instrument" in [p.column for p in checked.problems]


# --- records in the database: registered once, claimed once, within their volume ------------


def _admin(email: str) -> Actor:
    user = db.session.scalars(select(User).where(User.email == email)).one()
    return user_actor(user)


def _pack_org() -> int:
    return db.session.scalars(select(Organization.id).where(Organization.name_en == PACK)).one()


def _register(actor: Actor, org: int, site: int, proof: int, **kw: Any) -> ElectricityInstrument:
    data = {
        "certificate_id": "T-GEC-0001",
        "kind": "green_certificate",
        "issuer": "Test registry",
        "generation": "wind",
        "volume_kwh": "1000",
        "vintage_start": "2026-01-01",
        "vintage_end": "2026-12-31",
        "site_id": site,
        "evidence_id": proof,
        **kw,
    }
    return instruments.register(db.session, actor, org, data)


# A material product (generic rule: no mandatory primary components); it has no material
# inputs in these tests, so its mass balance needs the stated reason.
_HEADER = {"dqr": Decimal(2), "mass_balance_reason": "Electricity only in this test."}


def _product_at(actor: Actor, org: int, site: int, part: str) -> Product:
    return catalog.create_product(
        db.session,
        actor,
        org,
        {
            "part_number": part,
            "name_en": part,
            "category": "cathode_ncm",
            "declared_unit": "kg",
            "site_id": site,
        },
    )


def _submit_with_certificate(actor: Actor, product: Product, kwh: str, volume: str) -> Submission:
    """Save the product's 2026 draft (started if there is none) with one certified row and
    submit it."""
    draft_id = db.session.scalar(
        select(Submission.id).where(
            Submission.product_id == product.id, Submission.status == SubmissionStatus.DRAFT
        )
    )
    if draft_id is None:
        draft_id = submissions.start_draft(
            db.session, actor, product.id, date(2026, 1, 1), date(2026, 12, 31)
        ).id
    rows = [_cert_row(quantity=kwh, certificate_id="t-gec-0001")]
    header = {**_HEADER, "production_volume": Decimal(volume)}
    submissions.save_draft(db.session, actor, draft_id, header, rows)
    return workflow.submit(db.session, actor, draft_id)


@pytest.mark.postgres
def test_a_certificate_is_claimed_once_and_within_its_volume(prepared_app: Flask, ids: Ids) -> None:
    with prepared_app.app_context(), force_locale("en"):
        admin = _admin("admin@huadong-pack.example")
        product = db.session.get(Product, ids.product)
        assert product is not None
        record = _register(admin, ids.org, product.site_id, ids.evidence)
        first = _product_at(admin, ids.org, product.site_id, "EL-MOD-1")
        second = _product_at(admin, ids.org, product.site_id, "EL-MOD-2")
        with pytest.raises(UploadRejected) as above:  # 2 kWh x 600 units > 1000 kWh
            _submit_with_certificate(admin, first, "2", "600")
        assert [(p.column, p.value) for p in above.value.problems] == [
            ("certificate_id", "T-GEC-0001")
        ]
        assert "1000" in above.value.problems[0].reason
        db.session.rollback()
        unclaimed = db.session.get(ElectricityInstrument, record.id)
        assert unclaimed is not None and unclaimed.claimed_product_id is None
        done = _submit_with_certificate(admin, first, "2", "500")  # 1000 kWh: exactly the volume
        assert done.status is SubmissionStatus.SUBMITTED
        claimed = db.session.get(ElectricityInstrument, record.id)
        assert claimed is not None
        assert (claimed.claimed_product_id, claimed.claimed_kwh) == (first.id, Decimal(1000))
        stored = db.session.scalars(
            select(SubmissionInput).where(SubmissionInput.submission_id == done.id)
        ).one()
        assert (stored.factor_code, stored.td_factor_code) == (
            "elec.cn.wind.cfp.2023",
            "elec.cn.td.cfp.2024",
        )
        with pytest.raises(UploadRejected) as twice:  # another product: refused
            _submit_with_certificate(admin, second, "1", "10")
        assert "claimed once" in twice.value.problems[0].reason


@pytest.mark.postgres
def test_a_certificate_id_is_registered_once_across_the_platform(
    prepared_app: Flask, ids: Ids
) -> None:
    with prepared_app.app_context():
        admin = _admin("admin@huadong-pack.example")
        site = db.session.get(Product, ids.product).site_id  # type: ignore[union-attr]
        _register(admin, ids.org, site, ids.evidence)
        other = _admin("data@lanhu-lithium.example")
        other_site = db.session.get(Product, ids.other_product).site_id  # type: ignore[union-attr]
        proof = evidence.add_evidence(db.session, other, ids.other_org, "c.txt", b"retired").id
        with pytest.raises(Conflict) as taken:
            _register(other, ids.other_org, other_site, proof, certificate_id=" t-gec-0001 ")
        assert "certificate_id" in taken.value.errors


def test_registration_names_every_wrong_field(prepared_app: Flask, ids: Ids) -> None:
    with prepared_app.app_context():
        admin = _admin("admin@huadong-pack.example")
        site = db.session.get(Product, ids.product).site_id  # type: ignore[union-attr]
        with pytest.raises(InvalidInput) as bad:
            _register(
                admin,
                ids.org,
                site,
                ids.evidence,
                volume_kwh="-3",
                vintage_end="2025-01-01",
                generation="coal",
                geography="DE",
            )
        assert set(bad.value.errors) == {"volume_kwh", "vintage_end", "generation", "geography"}
        assert not db.session.scalars(
            select(ElectricityInstrument).where(
                ElectricityInstrument.certificate_id == "T-GEC-0001"
            )
        ).all()


def test_the_api_registers_and_lists_instruments_and_refuses_a_taken_id(
    prepared_app: Flask, ids: Ids
) -> None:
    client = prepared_app.test_client()
    auth = {"Authorization": f"Bearer {ids.write_secret}", "Accept-Language": "en"}
    with prepared_app.app_context():
        site = db.session.get(Product, ids.product).site_id  # type: ignore[union-attr]
    body = {
        "certificate_id": "API-GEC-1",
        "kind": "ppa",
        "issuer": "Wind farm Ltd",
        "generation": "wind",
        "volume_kwh": "5000",
        "vintage_start": "2026-01-01",
        "vintage_end": "2026-06-30",
        "site_id": site,
        "evidence_id": ids.evidence,
    }
    url = f"/api/v1/organizations/{ids.org}/electricity-instruments"
    made = client.post(url, json=body, headers=auth)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["certificate_id"] == "API-GEC-1"
    assert client.post(url, json=body, headers=auth).status_code == 409
    listed = client.get(url, headers=auth).get_json()
    assert [r["certificate_id"] for r in listed] == ["API-GEC-1"]
    bad = client.post(url, json={**body, "certificate_id": "X", "volume_kwh": "0"}, headers=auth)
    assert bad.status_code == 422 and "volume_kwh" in str(bad.get_json())


def test_the_demo_certificates_are_records_and_their_kwh_carry_td(demo_app: Flask) -> None:
    """The demo's graphite anode: 10 kWh of certified wind (0.0336 + T&D 0.0327) and 4 kWh of
    grid (0.5777, the 2024 factor for the 2025 period), plus 0.3 m3 of natural gas, by hand."""
    with demo_app.app_context():
        anode = db.session.scalars(select(Product).where(Product.part_number == "YS-AG-360")).one()
        sub = db.session.scalars(
            select(Submission).where(
                Submission.product_id == anode.id,
                Submission.status == SubmissionStatus.SUBMITTED,
            )
        ).one()
        power = [i for i in sub.inputs if i.kind.value == "electricity"]
        assert [(i.certificate_id, i.factor_code, i.td_factor_code) for i in power] == [
            ("DEMO-GEC-2025-YS-0001", "elec.cn.wind.cfp.2023", "elec.cn.td.cfp.2024"),
            (None, "elec.cn.cfp.2024", None),
        ]
        record = db.session.scalars(
            select(ElectricityInstrument).where(
                ElectricityInstrument.certificate_id == "DEMO-GEC-2025-YS-0001"
            )
        ).one()
        assert record.claimed_product_id == anode.id
        assert record.claimed_kwh == Decimal(10) * Decimal(25_000_000)
        gas = factors.factor_by_code(db.session, sub.factor_release_id)[
            "fuel.natural_gas.combustion.cn"
        ].value
        by_hand = 10 * (0.0336 + 0.0327) + 4 * 0.5777 + 0.3 * float(gas)
        result = db.session.scalars(
            select(ProductResult)
            .join(RollupRun, RollupRun.id == ProductResult.run_id)
            .where(ProductResult.product_id == anode.id)
            .order_by(ProductResult.id.desc())
        ).first()
        assert result is not None
        assert float(result.total) == pytest.approx(by_hand, rel=1e-9)


def test_the_2026_release_is_the_2025_release_with_rows_appended() -> None:
    old = (CONFIG_DIR / "factors" / "seed-2025.1.csv").read_text("utf-8").splitlines()
    new = RELEASE_2026.read_text("utf-8").splitlines()
    assert new[: len(old)] == old
    added = [
        factors.read_release(("\n".join([old[0], line]) + "\n").encode())[0]
        for line in new[len(old) :]
    ]
    for row in added:
        if row["category"] != "electricity":
            continue  # other helpers append their rows to the same release
        assert row["series"] == "carbon_footprint" and row["gas_basis"] == "CO2e"
        assert (
            row["licence"]
            and "Ember" in row["source"]
            and str(row["reference_year"]) in row["source"]
        )


def test_the_operator_publishes_the_2026_release_and_a_hungarian_site_uses_it(
    demo_app: Flask,
) -> None:
    """Through the services: release 2026.1 published, a Hungarian plant's draft resolves
    its grid electricity to the Hungarian factor and is refused the Chinese one."""
    with demo_app.app_context(), force_locale("en"):
        operator = _admin("operator@tanlian.example")
        factors.publish_release(db.session, operator, "2026.1", "2026.1", RELEASE_2026.read_bytes())
        admin = _admin("admin@huadong-pack.example")
        org = _pack_org()
        site = catalog.create_site(
            db.session, admin, org, {"name": "Debrecen plant", "country": "HU", "city": "Debrecen"}
        )
        assert site.grid_region == "HU"
        product = _product_at(admin, org, site.id, "EL-HU-1")
        draft = submissions.start_draft(
            db.session, admin, product.id, date(2025, 1, 1), date(2025, 12, 31)
        )
        submissions.save_draft(db.session, admin, draft.id, _HEADER, [_grid_row()])
        stored = db.session.scalars(
            select(SubmissionInput).where(SubmissionInput.submission_id == draft.id)
        ).one()
        assert stored.factor_code == "elec.hu.cfp.2024"
        with pytest.raises(UploadRejected) as chinese:
            submissions.save_draft(
                db.session, admin, draft.id, _HEADER, [_grid_row(factor_code="elec.cn.cfp.2024")]
            )
        assert [p.column for p in chinese.value.problems] == ["factor_code"]


def test_the_form_takes_a_certificate_id_and_names_an_unknown_one(
    prepared_app: Flask, ids: Ids
) -> None:
    """The web form's energy step: the same validation as the API and the workbook."""
    from tests.conftest import Session

    with prepared_app.app_context():
        admin = _admin("admin@huadong-pack.example")
        site = db.session.get(Product, ids.product).site_id  # type: ignore[union-attr]
        _register(admin, ids.org, site, ids.evidence, certificate_id="FORM-GEC-1")
    session = Session(prepared_app.test_client())
    session.login("admin@huadong-pack.example")

    def post(certificate: str) -> Any:
        return session.post(
            f"/submissions/{ids.draft}/energy",
            {
                "electricity-count": "1",
                "electricity-0-quantity": "3",
                "electricity-0-unit": "kWh",
                "electricity-0-instrument": "green_certificate",
                "electricity-0-certificate_id": certificate,
                "fuel-count": "0",
            },
            headers={"Accept-Language": "en"},
        )

    unknown = post("NOPE-1")
    assert unknown.status_code == 422
    assert "Unknown certificate or contract id" in unknown.get_data(as_text=True)
    assert post("form-gec-1").status_code == 302
    with prepared_app.app_context():
        row = db.session.scalars(
            select(SubmissionInput).where(SubmissionInput.submission_id == ids.draft)
        ).one()
        assert (row.certificate_id, row.factor_code, row.td_factor_code) == (
            "FORM-GEC-1",
            "elec.cn.wind.cfp.2023",
            "elec.cn.td.cfp.2024",
        )


def test_the_instruments_page_registers_a_record_in_both_languages(
    prepared_app: Flask, ids: Ids
) -> None:
    from tests.conftest import Session

    session = Session(prepared_app.test_client())
    session.login("admin@huadong-pack.example")
    url = f"/orgs/{ids.org}/electricity-instruments"
    zh = session.client.get(url, headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "电力凭证" in zh and "注销证明" in zh
    with prepared_app.app_context():
        site = db.session.get(Product, ids.product).site_id  # type: ignore[union-attr]
    form = {
        "certificate_id": "PAGE-GEC-1",
        "kind": "green_certificate",
        "issuer": "registry",
        "generation": "pv",
        "volume_kwh": "",
        "vintage_start": "2026-01-01",
        "vintage_end": "2026-12-31",
        "site_id": str(site),
        "evidence_id": str(ids.evidence),
    }
    bad = session.post(url, form, headers={"Accept-Language": "en"})
    assert bad.status_code == 422 and 'id="volume_kwh-error"' in bad.get_data(as_text=True)
    good = session.post(url, {**form, "volume_kwh": "1200"}, headers={"Accept-Language": "en"})
    assert good.status_code == 200 and "PAGE-GEC-1" in good.get_data(as_text=True)


def test_next_periods_draft_does_not_carry_a_certificate_forward(demo_app: Flask) -> None:
    """The anode maker starts 2026 from its 2025 data: the 2025 certificate's claim belonged to
    2025, so the certified row starts as grid electricity (the rule's 2026 choice, 0.5777)
    until this year's record is named; the 2025 version keeps its claim."""
    with demo_app.app_context():
        actor = _admin("data@yinshan-graphite.example")
        anode = db.session.scalars(select(Product).where(Product.part_number == "YS-AG-360")).one()
        draft = submissions.start_draft(
            db.session, actor, anode.id, date(2026, 1, 1), date(2026, 12, 31)
        )
        power = [i for i in draft.inputs if i.kind.value == "electricity"]
        assert next((i.instrument, i.certificate_id, i.td_factor_code) for i in power) == (
            "grid",
            None,
            None,
        )
        done = workflow.submit(db.session, actor, draft.id)
        assert {i.factor_code for i in done.inputs if i.kind.value == "electricity"} == {
            "elec.cn.cfp.2024"
        }
        record = db.session.scalars(
            select(ElectricityInstrument).where(
                ElectricityInstrument.certificate_id == "DEMO-GEC-2025-YS-0001"
            )
        ).one()
        assert record.claimed_period_start == date(2025, 1, 1)
