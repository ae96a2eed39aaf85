"""The carbon content of a declared product (PACT v3.0.3 fossilCarbonContent and
biogenicCarbonContent): mass balance over the pinned bill of materials, never a zero that is not
known, and an upper bound where PACT's required fossil field has no known value."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.errors import InvalidInput, UploadRejected
from footprint_platform.extensions import db
from footprint_platform.models import (
    RATING_FIELDS,
    Declaration,
    InputKind,
    Product,
    Submission,
    SubmissionStatus,
)
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import factors
from footprint_platform.services.disclosure import carbon_content, declarations
from footprint_platform.services.disclosure.carbon_content import CarbonContent, Chain, Node, Row
from footprint_platform.services.intake import submissions
from footprint_platform.services.intake.activity import FIELDS
from footprint_platform.services.pact import catenax, catenax_requests
from footprint_platform.services.pact import footprint as pact
from footprint_platform.services.pact import host as pact_host
from tests.platform.demo_ids import Ids, admin_actor

D = Decimal


def _material(
    qty: str,
    unit: str = "kg",
    fossil: str | None = None,
    biogenic: str | None = None,
    linked: int | None = None,
    position: int = 0,
) -> Row:
    return Row(
        position,
        InputKind.MATERIAL,
        D(qty),
        unit,
        linked,
        None,
        None if fossil is None else D(fossil),
        None if biogenic is None else D(biogenic),
    )


def _node(rows: list[Row], unit: str = "kg", fossil: str | None = None) -> Node:
    return Node(unit, None if fossil is None else D(fossil), None, rows)


def test_stated_materials_add_up_by_mass() -> None:
    chain = Chain(None, {}).add(
        1,
        _node(
            [
                _material("0.4", fossil="0.9", biogenic="0"),
                _material("0.5", fossil="0", biogenic="0.1"),
            ]
        ),
    )
    got = chain.of(1)
    assert got.fossil == D("0.4") * D("0.9")
    assert got.biogenic == D("0.5") * D("0.1")
    assert got.fossil_upper_bound is None and got.unknown_inputs == 0
    assert got.fossil_for_pact == got.fossil


def test_a_linked_product_carries_its_own_content_through_the_unit_conversion() -> None:
    """An anode material (per kg) used in grams by a cell (per piece)."""
    chain = Chain(None, {})
    chain.add(10, _node([_material("0.95", fossil="1", biogenic="0")]))
    chain.add(20, _node([_material("300", unit="g", linked=10)], unit="piece"))
    got = chain.of(20)
    assert got.fossil == D("0.3") * D("0.95")
    assert got.biogenic == 0


def test_an_unknown_material_is_never_zero_and_bounds_by_its_mass() -> None:
    chain = Chain(None, {}).add(
        1,
        _node(
            [_material("0.2", fossil="0.5", biogenic="0"), _material("0.3")],
            unit="piece",
        ),
    )
    got = chain.of(1)
    assert got.fossil is None and got.biogenic is None
    assert got.fossil_upper_bound == D("0.2") * D("0.5") + D("0.3")
    assert got.unknown_inputs == 1
    assert got.fossil_for_pact == got.fossil_upper_bound


def test_the_bound_is_at_most_the_product_s_own_mass() -> None:
    chain = Chain(None, {}).add(1, _node([_material("2.5")], unit="kg"))
    assert chain.of(1).fossil_upper_bound == 1


def test_no_bound_follows_from_a_material_not_entered_by_mass() -> None:
    chain = Chain(None, {}).add(1, _node([_material("4", unit="piece")], unit="piece"))
    got = chain.of(1)
    assert got.fossil is None and got.fossil_upper_bound is None
    assert got.fossil_for_pact is None


def test_unknown_upstream_keeps_its_bound_and_its_count() -> None:
    chain = Chain(None, {})
    chain.add(10, _node([_material("0.6"), _material("0.3", position=1)], unit="piece"))
    chain.add(20, _node([_material("2", unit="piece", linked=10)], unit="piece"))
    got = chain.of(20)
    assert got.fossil is None
    assert got.fossil_upper_bound == 2 * (D("0.6") + D("0.3"))
    assert got.unknown_inputs == 2


def test_a_product_s_stated_content_takes_precedence() -> None:
    chain = Chain(None, {}).add(1, _node([_material("0.3")], unit="piece", fossil="0.12"))
    got = chain.of(1)
    assert got.fossil == D("0.12") and got.fossil_upper_bound is None and got.unknown_inputs == 0


def test_a_product_made_from_no_material_holds_only_what_its_maker_states() -> None:
    """Natural graphite from a mine: no material input, yet it is mostly carbon."""
    chain = Chain(None, {}).add(1, _node([], unit="kg"))
    got = chain.of(1)
    assert got.fossil is None and got.biogenic is None and got.unknown_inputs == 1
    assert got.fossil_upper_bound == 1  # one kg of product holds at most one kg of carbon
    stated = Chain(None, {}).add(1, _node([], unit="kg", fossil="0.94"))
    assert stated.of(1).fossil == D("0.94")


def test_co_products_leave_only_a_zero_certain() -> None:
    coproduct = Row(9, InputKind.COPRODUCT, D("1"), "kg", None, None, None, None)
    carbon = Chain(None, {}).add(1, _node([_material("0.5", fossil="0.8"), coproduct]))
    assert carbon.of(1).fossil is None and carbon.of(1).unknown_inputs == 1
    assert carbon.of(1).fossil_upper_bound == D("0.4")
    none = Chain(None, {}).add(1, _node([_material("0.5", fossil="0", biogenic="0"), coproduct]))
    assert none.of(1).fossil == 0 and none.of(1).biogenic == 0


def test_a_product_without_pinned_data_is_not_known() -> None:
    chain = Chain(None, {}).add(2, _node([_material("0.7", linked=99)]))
    got = chain.of(2)
    assert got.fossil is None and got.fossil_upper_bound == D("0.7")


def test_a_supply_loop_gives_no_value() -> None:
    chain = Chain(None, {})
    chain.add(1, _node([_material("0.5", linked=2)]))
    chain.add(2, _node([_material("0.5", linked=1)]))
    got = chain.of(1)
    assert got.fossil is None


@pytest.mark.parametrize(
    "content",
    [
        CarbonContent(D("1.25"), None, D("0"), 0),
        CarbonContent(None, D("3.5"), None, 4),
        CarbonContent(None, None, None, 2),
    ],
)
def test_the_pinned_form_reads_back(content: CarbonContent) -> None:
    assert CarbonContent.from_json(content.as_json()) == content


# --- through the platform: entered, pinned with the declaration, exported -------------------

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
OPTIONS = pact.Options("tanlian.example", "https://tanlian.example/static/schemas/ext.json")


def _product(part: str) -> Product:
    return db.session.scalar(select(Product).where(Product.part_number == part))


def _newest(product: Product) -> Declaration:
    return db.session.scalars(
        select(Declaration)
        .where(Declaration.product_id == product.id)
        .order_by(Declaration.period_end.desc(), Declaration.version.desc())
        .limit(1)
    ).one()


def _resubmit(
    email: str,
    part: str,
    header: dict[str, Any],
    change: Any = None,
    submit: bool = True,
) -> None:
    """A version of the demo product's data with the header and rows changed (continuing the
    open draft, if a refused save left one)."""
    actor = admin_actor(email)
    product = _product(part)
    draft = db.session.scalar(
        select(Submission).where(
            Submission.product_id == product.id, Submission.status == SubmissionStatus.DRAFT
        )
    ) or submissions.start_draft(db.session, actor, product.id, *PERIOD)
    rows = []
    for i in draft.inputs:
        row = {f: getattr(i, f) for f in FIELDS}
        row["kind"] = i.kind.value
        rows.append(change(row) if change else row)
    base = {"dqr": draft.dqr, **{f: getattr(draft, f) for f in RATING_FIELDS}}
    submissions.save_draft(db.session, actor, draft.id, {**base, **header}, rows)
    if submit:
        workflow.submit(db.session, actor, draft.id)


@pytest.mark.postgres
def test_the_demo_exports_an_upper_bound_never_a_false_zero(demo_app: Flask) -> None:
    """No demo material states its carbon: the pack's fossil content is not known, and PACT's
    required field carries the upper bound, said so, with the count of inputs behind it."""
    with demo_app.app_context():
        d = _newest(_product("HD-PK-811-78"))
        assert d.carbon_content is not None  # pinned, part of the content hash
        carbon = CarbonContent.from_json(d.carbon_content)
        assert carbon.fossil is None and carbon.biogenic is None
        assert carbon.fossil_upper_bound is not None and carbon.fossil_upper_bound > 0
        assert carbon.unknown_inputs > 0
        pf = pact.product_footprint(db.session, d, OPTIONS)
        assert Decimal(pf["pcf"]["fossilCarbonContent"]) == carbon.fossil_upper_bound
        assert "biogenicCarbonContent" not in pf["pcf"]  # PACT rule BIO: blank if unknown
        assert "upper bound" in pf["comment"]
        extension = pf["extensions"][0]["data"]["carbonContent"]
        assert extension["unknownInputs"] == carbon.unknown_inputs
        assert "fossil" not in extension
        assert json_schemas.problems("pact", pf) == []
        catenax_pf = catenax.to_catenax(pf, "10.0.0", "BPNL000000000001", ["raw_material"])
        assert catenax_pf["carbonContent"] == [{}]  # optional there: the bound is not repeated
        assert "leaves out the fossil content" in catenax_pf["general"][0]["comment"]


@pytest.mark.postgres
def test_a_material_s_stated_carbon_reaches_the_declarations_downstream(demo_app: Flask) -> None:
    """The aluminium foil states that its aluminium holds no carbon: the foil's content is a
    known zero, and the cell that uses 0.3 kg of foil per kWh loses those 0.3 kg from its bound
    (the foil, 1.05 kg of aluminium per kg, was bounded by its own mass, 1 kg per kg)."""
    with demo_app.app_context():
        cell = _product("DT-P811-150")
        before = CarbonContent.from_json(_newest(cell).carbon_content or {})
        _resubmit(
            "data@jiangnan-foil.example",
            "JN-AL-12",
            {},
            lambda r: (
                {**r, "carbon_fossil": "0", "carbon_biogenic": "0"}
                if r["kind"] == "material"
                else r
            ),
        )
        after_d = _newest(cell)
        after = CarbonContent.from_json(after_d.carbon_content or {})
        assert before.fossil_upper_bound is not None and after.fossil_upper_bound is not None
        assert after.fossil_upper_bound == before.fossil_upper_bound - D("0.3")
        assert after.unknown_inputs == before.unknown_inputs - 1
        foil = declarations.declare(
            db.session, admin_actor("data@jiangnan-foil.example"), _product("JN-AL-12").id, *PERIOD
        )
        assert foil.carbon_content == CarbonContent(D(0), None, D(0), 0).as_json()
        pcf = pact.product_footprint(db.session, foil, OPTIONS)["pcf"]
        assert pcf["fossilCarbonContent"] == "0" and pcf["biogenicCarbonContent"] == "0"
        assert declarations.verify(db.session, [after_d, foil]) == []


@pytest.mark.postgres
def test_the_maker_s_stated_content_is_the_product_s(demo_app: Flask) -> None:
    with demo_app.app_context():
        pack = _product("HD-PK-811-78")
        email = "admin@huadong-pack.example"
        with pytest.raises(UploadRejected) as refused:
            _resubmit(email, "HD-PK-811-78", {"carbon_fossil": "-1"})
        assert [p.column for p in refused.value.problems] == ["carbon_fossil"]
        db.session.rollback()
        _resubmit(email, "HD-PK-811-78", {"carbon_fossil": "0.85", "carbon_biogenic": "0.01"})
        d = declarations.declare(db.session, admin_actor(email), pack.id, *PERIOD)
        assert d.carbon_content == CarbonContent(D("0.85"), None, D("0.01"), 0).as_json()
        pf = pact.product_footprint(db.session, d, OPTIONS)
        assert pf["pcf"]["fossilCarbonContent"] == "0.85"
        assert pf["pcf"]["biogenicCarbonContent"] == "0.01"
        # the CO2 the biogenic carbon stands for, taken up: PACT's including-uptake figure
        uptake = Decimal(pf["pcf"]["biogenicCO2Uptake"])
        assert float(uptake) == pytest.approx(-0.01 * 44.009 / 12.011, rel=1e-9)
        assert Decimal(pf["pcf"]["pcfIncludingBiogenicUptake"]) == d.total + uptake
        assert Decimal(pf["pcf"]["pcfExcludingBiogenicUptake"]) == d.total
        assert json_schemas.problems("pact", pf) == []
        assert "upper bound" not in pf["comment"]
        block = catenax.to_catenax(pf, "10.0.0", "BPNL000000000001", ["raw_material"])
        production = block["productLifeCycleStagesAndEmissions"][0]["productionStage"][0]
        assert production["pcfIncludingBiogenicUptake"] == pytest.approx(
            production["pcfExcludingBiogenicUptake"] + float(uptake)
        )
        assert block["carbonContent"] == [
            {"fossilCarbonContent": 0.85, "biogenicCarbonContent": 0.01, "carbonContentTotal": 0.86}
        ]
        assert declarations.verify(db.session, [d]) == []


@pytest.mark.postgres
def test_carbon_on_a_row_that_is_no_material_is_refused(demo_app: Flask) -> None:
    with demo_app.app_context():
        with pytest.raises(UploadRejected) as refused:
            _resubmit(
                "data@jiangnan-foil.example",
                "JN-AL-12",
                {},
                lambda r: {**r, "carbon_fossil": "0.1"} if r["kind"] == "electricity" else r,
            )
        assert {p.column for p in refused.value.problems} == {"carbon_fossil"}
        db.session.rollback()
        with pytest.raises(UploadRejected) as negative:
            _resubmit(
                "data@jiangnan-foil.example",
                "JN-AL-12",
                {},
                lambda r: {**r, "carbon_biogenic": "-0.1"} if r["kind"] == "material" else r,
            )
        assert {p.column for p in negative.value.problems} == {"carbon_biogenic"}


@pytest.mark.postgres
def test_without_a_fossil_value_or_bound_pact_refuses_and_the_host_leaves_it_out(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        d = _newest(_product("HD-PK-811-78"))
        d.carbon_content = CarbonContent(None, None, None, 3).as_json()  # not committed
        with pytest.raises(InvalidInput) as refused:
            pact.product_footprint(db.session, d, OPTIONS)
        assert list(refused.value.errors or {}) == ["carbon_fossil"]
        assert "3" in refused.value.message  # says how many inputs state no carbon
        assert list(pact_host.expressible([d])) == []
        db.session.rollback()


@pytest.mark.postgres
def test_declarations_before_carbon_content_keep_their_hash_and_export_from_their_pins(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        d = _newest(_product("HD-PK-811-78"))
        pinned = CarbonContent.from_json(d.carbon_content or {})
        d.carbon_content = None  # as a declaration made before migration 0038
        assert "carbon_content" not in declarations.canonical(d)
        assert carbon_content.for_declaration(db.session, d) == pinned  # same pins, same value
        db.session.rollback()


def test_a_catena_x_footprint_without_carbon_content_is_not_read_as_zero() -> None:
    """Its PACT form needs a fossil value (the import checks), but the block as received
    decides what a product using it holds: a stated content per unit, else not known."""
    sample = json.loads(
        (CONFIG_DIR / "schemas" / "catenax-pcf-10.0.0" / "Pcf.json").read_text("utf-8")
    )
    amount = D(str(_product_info(sample)["declaredUnitAmount"]))
    sample["carbonContent"] = [{}]
    silent = catenax_requests.from_catenax(sample)
    assert silent["pcf"]["fossilCarbonContent"] == "0"
    assert carbon_content._stated_in_pact(silent) == (None, None)
    sample["carbonContent"] = [{"fossilCarbonContent": 3.0, "biogenicCarbonContent": 0.0}]
    stated = catenax_requests.from_catenax(sample)
    assert carbon_content._stated_in_pact(stated) == (D("3.0") / amount, 0)


def _product_info(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["companyAndProductInformation"][0]["productInformation"][0])


def test_the_api_takes_and_returns_carbon_content(prepared_app: Flask, ids: Ids) -> None:
    auth = {"Authorization": f"Bearer {ids.write_secret}", "Accept-Language": "en"}
    client = prepared_app.test_client()
    content = {
        "dqr": "2",
        "carbon_fossil": "0.7",
        "inputs": [
            {"kind": "electricity", "quantity": "2", "unit": "kWh", "provenance": "measured"},
            {
                "kind": "material",
                "quantity": "0.5",
                "unit": "kg",
                "factor_code": "mat.hdpe.primary.gb",
                "carbon_fossil": "0.8",
                "carbon_biogenic": "0",
            },
        ],
    }
    saved = client.put(f"/api/v1/submissions/{ids.draft}", json=content, headers=auth)
    assert saved.status_code == 200
    sub = saved.get_json()["submission"]
    assert Decimal(sub["carbon_fossil"]) == D("0.7") and sub["carbon_biogenic"] is None
    rows = sub["inputs"]
    assert (rows[0]["carbon_fossil"], rows[0]["carbon_biogenic"]) == (None, None)
    assert (Decimal(rows[1]["carbon_fossil"]), Decimal(rows[1]["carbon_biogenic"])) == (
        D("0.8"),
        0,
    )
    content["inputs"][0]["carbon_fossil"] = "0.1"  # type: ignore[index]
    refused = client.put(f"/api/v1/submissions/{ids.draft}", json=content, headers=auth)
    assert refused.status_code == 422
    assert "inputs[1].carbon_fossil" in refused.get_json()["errors"]


def test_a_tanlian_footprint_s_upper_bound_is_not_read_as_its_content() -> None:
    pf = {
        "pcf": {"declaredUnitAmount": "1000", "fossilCarbonContent": "40"},
        "extensions": [{"data": {"carbonContent": {"fossilUpperBound": "40", "unknownInputs": 2}}}],
    }
    assert carbon_content._stated_in_pact(pf) == (None, None)
    pf["extensions"][0]["data"]["carbonContent"] = {"fossil": "40", "biogenic": "0"}  # type: ignore[index]
    assert carbon_content._stated_in_pact(pf) == (D("0.04"), 0)
    assert carbon_content._stated_in_pact({"pcf": pf["pcf"]}) == (D("0.04"), None)


def test_a_dataset_s_stated_carbon_values_the_materials_it_values() -> None:
    """A release may state a material dataset's carbon content per factor unit; a row valued
    by it that states none of its own takes it, through the unit conversion."""
    chain = Chain(None, {})
    chain.datasets[(7, "mat.graphite.x")] = ("t", D("900"), None)
    row = Row(0, InputKind.MATERIAL, D("0.5"), "kg", None, None, None, None, "mat.graphite.x", 7)
    other_release = Row(
        1, InputKind.MATERIAL, D("0.5"), "kg", None, None, None, None, "mat.graphite.x", 8
    )
    chain.add(1, _node([row]))
    assert chain.of(1).fossil == D("0.5") * D("0.001") * 900 and chain.of(1).biogenic is None
    chain.add(2, _node([other_release]))
    assert chain.of(2).fossil is None  # that release states nothing


def _release(extra_header: str, extra: str, category: str = "material") -> bytes:
    header = SEED_2026.splitlines()[0]
    row = next(line for line in SEED_2026.splitlines()[1:] if f",{category}," in line)
    return f"{header}{extra_header}\n{row}{extra}\n".encode()


SEED_2026 = (CONFIG_DIR / "factors" / "seed-2026.1.csv").read_text("utf-8")


def test_a_release_file_may_state_carbon_content_of_material_datasets_only() -> None:
    assert factors.read_release(_release("", ""))[0]["carbon_fossil"] is None
    read = factors.read_release(_release(",carbon_fossil,carbon_biogenic", ",0.85,0"))
    assert (read[0]["carbon_fossil"], read[0]["carbon_biogenic"]) == (D("0.85"), 0)
    with pytest.raises(UploadRejected) as negative:
        factors.read_release(_release(",carbon_fossil", ",-1"))
    assert [p.column for p in negative.value.problems] == ["carbon_fossil"]
    with pytest.raises(UploadRejected) as not_material:
        factors.read_release(_release(",carbon_fossil", ",0.2", "electricity"))
    assert [p.column for p in not_material.value.problems] == ["carbon_fossil"]
