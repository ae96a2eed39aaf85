"""Missing upstream data is never zero: carried forward, the rule's conservative fallback, else
an incomplete result that cannot be declared; every result says what it is made of; gaps never
improve a rating."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

import supply_graph
from footprint_platform import json_schemas
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product, ProductResult, Submission
from footprint_platform.rules import rule_for_category
from footprint_platform.services import workflow
from footprint_platform.services.catalogue.factors import latest_release
from footprint_platform.services.disclosure import declarations, exports
from footprint_platform.services.graph import snapshots
from footprint_platform.services.graph.build import chain_graph
from footprint_platform.services.graph.chain import product_node
from footprint_platform.services.graph.fallbacks import fallback_dataset, generic_factors
from footprint_platform.services.graph.results import latest_results, recompute
from footprint_platform.services.intake import submissions
from footprint_platform.services.pact import footprint as pact
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor

pytestmark = pytest.mark.postgres

CATHODE, PRECURSOR, LFP_PACK, SUV = "MJ-NCM811-S", "XJ-P811", "HD-PK-LFP-60", "JH-S7-LR"
CATHODE_MAKER = "data@minjiang-cathode.example"
Y2025 = (date(2025, 1, 1), date(2025, 12, 31))
PACT_OPTIONS = pact.Options(
    issuer_domain="tanlian.example", extension_schema_url="https://tanlian.example/s.json"
)


def _product(part: str) -> Product:
    return db.session.scalar(select(Product).where(Product.part_number == part))


def _result(product: Product, start: date) -> ProductResult:
    """The product's newest stored result of the period starting on `start`."""
    from footprint_platform.models import RollupRun

    return db.session.scalars(
        select(ProductResult)
        .join(RollupRun, RollupRun.id == ProductResult.run_id)
        .where(ProductResult.product_id == product.id, RollupRun.period_start == start)
        .order_by(ProductResult.id.desc())
        .limit(1)
    ).one()


def _submit_cathode(year: int) -> Submission:
    """The cathode maker's routine step: next year's version, started from its last figures,
    with this year's green certificates registered and named on the sintering row (last
    year's claim is not carried forward)."""
    from footprint_platform.services.intake import evidence, instruments
    from footprint_platform.services.intake.activity import FIELDS

    actor = admin_actor(CATHODE_MAKER)
    cathode = _product(CATHODE)
    draft = submissions.start_draft(
        db.session, actor, cathode.id, date(year, 1, 1), date(year, 12, 31)
    )
    proof = evidence.add_evidence(
        db.session, actor, cathode.organization_id, "gec.pdf", f"%PDF-1.4 GEC {year}".encode()
    ).id
    instruments.register(
        db.session,
        actor,
        cathode.organization_id,
        {
            "certificate_id": f"TEST-GEC-{year}-MJ",
            "kind": "green_certificate",
            "issuer": "test registry",
            "generation": "wind",
            "volume_kwh": "220000000",
            "vintage_start": f"{year}-01-01",
            "vintage_end": f"{year}-12-31",
            "site_id": cathode.site_id,
            "evidence_id": proof,
        },
    )
    rows = []
    for i in draft.inputs:
        row = {f: getattr(i, f) for f in FIELDS} | {"kind": i.kind.value}
        if "green certificates" in (i.description or ""):
            row.update(instrument="green_certificate", certificate_id=f"TEST-GEC-{year}-MJ")
        rows.append(row)
    header = {f: getattr(draft, f) for f in submissions.HEADER_FIELDS}
    submissions.save_draft(db.session, actor, draft.id, header, rows)
    return workflow.submit(db.session, actor, draft.id)


def test_the_fallback_is_the_rules_choice_never_the_first_code(demo_app: Flask) -> None:
    with demo_app.app_context():
        generic = generic_factors(db.session, latest_release(db.session).id)
        chosen = {
            category: fallback_dataset(category, "kg", generic)
            for category in ("lithium_carbonate", "lithium_hydroxide", "anode_graphite")
        }
        assert {c: code for c, (code, _) in chosen.items()} == {
            "lithium_carbonate": "mat.lithium_carbonate.spodumene.cn",
            "lithium_hydroxide": "mat.lithium_hydroxide.spodumene.cn",
            "anode_graphite": "mat.graphite.synthetic.cn",
        }
        # each is the highest of its category's datasets: a gap never lowers a footprint
        for category, (_, value) in chosen.items():
            prefix = f"mat.{category.removeprefix('anode_')}."
            assert value == max(v for code, _, v, _ in generic if code.startswith(prefix))
        # a battery has no secondary fallback under its rule: without data it is a gap
        assert fallback_dataset("battery_cell", "kWh", generic) is None


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("CN", "mat.nickel_sulfate.route_b.cn"),  # the Chinese dataset, though not the highest
        ("ID", "mat.nickel_sulfate.route_c.id"),
        ("HU", "mat.nickel_sulfate.glo"),  # no Hungarian dataset: the global one
        ("", "mat.nickel_sulfate.glo"),
    ],
)
def test_the_fallback_represents_the_sites_geography_first(country: str, expected: str) -> None:
    """Geography is the rule's first criterion (`geography = ["site", "GLO"]`): a product at
    a Chinese site falls back on the Chinese dataset even where an Indonesian one is higher
    and a Chinese region's sorts first; without a dataset of its country, on the global
    one; the highest only within the most representative geography."""
    generic = [
        ("mat.nickel_sulfate.glo", "kg", 5.48, "GLO"),
        ("mat.nickel_sulfate.route_a.cn-e", "kg", 2.0, "CN-E"),
        ("mat.nickel_sulfate.route_b.cn", "kg", 3.0, "CN"),
        ("mat.nickel_sulfate.route_c.id", "kg", 9.0, "ID"),
    ]
    chosen = fallback_dataset("nickel_sulfate", "kg", generic, country)
    assert chosen is not None and chosen[0] == expected
    # a rule naming a dataset for the category wins over geography and value
    named = [("mat.lithium_carbonate.spodumene.cn", "kg", 24.1, "CN")]
    named.append(("mat.lithium_carbonate.other.id", "kg", 50.0, "ID"))
    assert fallback_dataset("lithium_carbonate", "kg", named, "ID") == (
        "mat.lithium_carbonate.spodumene.cn",
        24.1,
    )


def test_the_cathodes_next_year_carries_its_precursors_data_forward(demo_app: Flask) -> None:
    with demo_app.app_context():
        cathode, precursor = _product(CATHODE), _product(PRECURSOR)
        before = float(_result(cathode, date(2025, 1, 1)).total)
        _submit_cathode(2026)
        recompute(db.session, date(2026, 1, 1), date(2026, 12, 31), "test")
        chain = chain_graph(db.session, date(2026, 1, 1), date(2026, 12, 31))
        assert precursor.id in chain.carried and precursor.id not in chain.missing
        carried_from = db.session.get(Submission, chain.submissions[precursor.id].id)
        assert carried_from.period_start == date(2025, 1, 1)
        # the precursor's temporal rating is lowered by the rule's step for one year of age;
        # its technological and geographical ratings stay, the single rating is their mean
        step = rule_for_category(precursor.category).missing_data.temporal_dqr_step
        row = chain.product_rows([precursor.id])[0]
        own = float(carried_from.dqr)
        assert chain.graph.dqi[row].tolist() == pytest.approx([own, own + step, own])
        assert chain.graph.dqr[row] == pytest.approx(own + step / 3)
        result = _result(cathode, date(2026, 1, 1))
        # the same inputs as 2025: nearly the same footprint, not the precursor as zero
        assert float(result.total) == pytest.approx(before, rel=1e-9)
        assert result.basis == "submitted" and not result.upstream_missing
        assert 0 < float(result.carried_share) < 1
        assert float(_result(precursor, date(2026, 1, 1)).carried_share) > 0.5
        assert _result(precursor, date(2026, 1, 1)).basis == "carried"
        made = declarations.declare(
            db.session, admin_actor(CATHODE_MAKER), cathode.id, date(2026, 1, 1), date(2026, 12, 31)
        )
        assert made.composition == {
            "carried_forward": str(result.carried_share),
            "fallback": str(result.fallback_share),
        }
        assert declarations.verify(db.session, [made]) == []
        # the exports say what it is made of: PACT's extension and comment, and the CSV
        pf = pact.product_footprint(db.session, made, PACT_OPTIONS)
        data = pf["extensions"][0]["data"]
        assert json_schemas.problems("tanlian-declaration", data) == []
        carried = Decimal(str(result.carried_share)) * 100
        assert Decimal(data["composition"]["carriedForward"]) == carried
        assert "carried forward" in pf["comment"]
        rows = list(csv.DictReader(io.StringIO(exports.declaration_csv(made, "none"))))
        assert {r["carried_forward_share"] for r in rows} == {str(result.carried_share)}


def test_a_new_period_leaves_the_earlier_periods_results_and_declarations(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        results_2025 = {
            r.product_id: (r.total, r.dqr, r.primary_data_share)
            for r in db.session.scalars(select(ProductResult))
        }
        declared = {d.id: d.content_hash for d in db.session.scalars(select(Declaration))}
        _submit_cathode(2026)
        recompute(db.session, date(2026, 1, 1), date(2026, 12, 31), "test")
        for product_id, (total, dqr, share) in results_2025.items():
            product = db.session.get(Product, product_id)
            now = _result(product, date(2025, 1, 1))
            assert (now.total, now.dqr, now.primary_data_share) == (total, dqr, share)
        again = {d.id: d.content_hash for d in db.session.scalars(select(Declaration))}
        assert {i: again[i] for i in declared} == declared
        assert declarations.verify(db.session) == []
        # downstream, the SUV keeps a footprint for 2026: its maker's 2025 data carried
        # forward over the new cathode, never "no footprint" or its precursor as zero
        suv = _product(SUV)
        later = _result(suv, date(2026, 1, 1))
        assert later.basis == "carried" and not later.upstream_missing
        assert float(later.total) == pytest.approx(float(results_2025[suv.id][0]), rel=1e-6)


def test_data_too_old_is_not_carried_and_the_result_is_incomplete(demo_app: Flask) -> None:
    with demo_app.app_context():
        cathode = _product(CATHODE)
        max_age = rule_for_category(_product(PRECURSOR).category).missing_data.max_age_years
        year = 2025 + max_age + 1
        _submit_cathode(year)
        recompute(db.session, date(year, 1, 1), date(year, 12, 31), "test")
        result = _result(cathode, date(year, 1, 1))
        assert result.upstream_missing  # the precursor's 2025 data is too old to stand in
        assert float(result.dqr) == rule_for_category(cathode.category).missing_data.worst_dqr
        with pytest.raises(InvalidInput) as refused:
            declarations.declare(
                db.session,
                admin_actor(CATHODE_MAKER),
                cathode.id,
                date(year, 1, 1),
                date(year, 12, 31),
            )
        assert PRECURSOR in str(refused.value)  # the maker links it in its own data


def test_a_gap_never_improves_the_rating(demo_app: Flask) -> None:
    with demo_app.app_context():
        pack = _product(LFP_PACK)  # its cells have no data: a gap
        latest = latest_results(db.session, pack.organization_id)[pack.id].result
        worst = rule_for_category(pack.category).missing_data.worst_dqr
        assert latest.upstream_missing and float(latest.dqr) == worst
        # a product on a fallback dataset carries the worst rating with its value as weight
        chain = chain_graph(db.session, *Y2025)
        for product_id in chain.fallback:
            row = chain.product_rows([product_id])[0]
            assert chain.graph.dqr[row] == worst
            assert chain.graph.direct[row].sum() > 0


def _submit(part: str, email: str, year: int) -> Submission:
    actor = admin_actor(email)
    draft = submissions.start_draft(
        db.session, actor, _product(part).id, date(year, 1, 1), date(year, 12, 31)
    )
    db.session.commit()
    return workflow.submit(db.session, actor, draft.id)


def test_the_patched_graph_carries_forward_as_the_full_build(demo_app: Flask) -> None:
    """After one submission the period's graph is patched from its snapshot: it carries the
    same products forward, with the same ratings and numbers, as a build from the database;
    a new version of an earlier period changes what is carried, so no snapshot from before it
    is used."""
    y2026 = (date(2026, 1, 1), date(2026, 12, 31))
    with demo_app.app_context():
        _submit_cathode(2026)
        recompute(db.session, *y2026, "full")  # the period's snapshot, cathode carried nothing
        _submit(PRECURSOR, "data@xiangjiang-pcam.example", 2026)  # patches the snapshot
        full = chain_graph(db.session, *y2026)
        patched = snapshots.patched_chain(db.session, *y2026)
        assert patched is not None
        assert patched.carried == full.carried and _product(PRECURSOR).id not in full.carried
        assert sorted(patched.fallback) == sorted(full.fallback)
        a, b = supply_graph.rollup(full.graph), supply_graph.rollup(patched.graph)
        for p in full.product_ids:
            node = product_node(p)
            assert a[node].total == pytest.approx(b[node].total, rel=1e-12, abs=1e-12)
            assert (a[node].dqr or 0) == pytest.approx(b[node].dqr or 0, rel=1e-12)
        newer = _submit(LFP_PACK, "admin@huadong-pack.example", 2025)  # a new 2025 version
        again = snapshots.patched_chain(db.session, *y2026)
        assert again is None or again.submissions[newer.product_id].id == newer.id


def test_a_new_version_of_an_earlier_period_reaches_the_periods_carrying_it(
    demo_app: Flask,
) -> None:
    """The precursor's corrected 2025 data is what 2026 carries forward: submitting it
    recomputes 2026 as well, so the cathode's 2026 result follows without another step."""
    with demo_app.app_context():
        cathode = _product(CATHODE)
        _submit_cathode(2026)
        before = _result(cathode, date(2026, 1, 1)).id
        actor = admin_actor("data@xiangjiang-pcam.example")
        draft = submissions.start_draft(db.session, actor, _product(PRECURSOR).id, *Y2025)
        draft.notes = "corrected"
        db.session.commit()
        corrected = workflow.submit(db.session, actor, draft.id)
        chain = chain_graph(db.session, date(2026, 1, 1), date(2026, 12, 31))
        assert chain.submissions[_product(PRECURSOR).id].id == corrected.id
        assert _result(cathode, date(2026, 1, 1)).id != before  # stored again for 2026


def test_pages_say_what_a_result_is_made_of_and_never_show_an_incomplete_total(
    demo_app: Flask,
) -> None:
    """The LFP pack (cells missing) reads "Incomplete" with no total as if complete; the
    cathode's 2026 result shows its carried-forward share; the public rule page states the
    order, the age limit and the datasets the rule names, with its source."""
    with demo_app.app_context():
        pack, cathode = _product(LFP_PACK).id, _product(CATHODE).id
        _submit_cathode(2026)
    session = Session(demo_app.test_client())
    session.login("admin@huadong-pack.example")
    html = session.client.get(
        f"/dashboard/products/{pack}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert 'id="incomplete"' in html and "data-total=" not in html
    assert "Inputs without data: 1." in html  # its cells
    session.logout()
    session.login(CATHODE_MAKER)
    html = session.client.get(
        f"/dashboard/products/{cathode}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    carried = html.split('id="share-carried">', 1)[1].split(" %", 1)[0]
    assert float(carried) > 0
    rule = (
        demo_app.test_client()
        .get("/methodology/rules/material", headers={"Accept-Language": "en"})
        .get_data(as_text=True)
    )
    assert 'id="missing-data"' in rule and "mat.lithium_carbonate.spodumene.cn" in rule
    assert "at most 2 years" in rule and "ISO 14067" in rule
    assert "the site's country, then GLO, then any" in rule  # geography, the stated criterion
