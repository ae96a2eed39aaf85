"""What-if scenarios: the engine's Woodbury evaluation gives the numbers a full roll-up of the
changed data gives; refusals name the field and the reason; nothing another organization may
not show leaks into the outcome."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import supply_graph
from footprint_platform.errors import InvalidInput, NotAllowed
from footprint_platform.extensions import db
from footprint_platform.models import (
    FootprintShare,
    InputKind,
    Membership,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
    User,
)
from footprint_platform.policy import SYSTEM
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import factors
from footprint_platform.services.catalogue.factors import SEED_FILE
from footprint_platform.services.graph.build import chain_graph
from footprint_platform.services.graph.chain import composition, product_node
from footprint_platform.services.insight import whatif, whatif_export
from tests.platform.demo_ids import admin_actor

pytestmark = pytest.mark.postgres
OEM = "analyst@jinghai-motors.example"
PACK_ADMIN = "admin@huadong-pack.example"
CELL_ADMIN = "admin@dongtai-cells.example"
RECYCLED_AL = "mat.aluminium.recycled.test"


@pytest.fixture
def ctx(demo_app: Flask) -> Iterator[None]:
    with demo_app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def _product(part: str) -> Product:
    return db.session.scalars(select(Product).where(Product.part_number == part)).one()


def _submission(part: str) -> Submission:
    return db.session.scalars(
        select(Submission).where(
            Submission.product_id == _product(part).id,
            Submission.status == SubmissionStatus.SUBMITTED,
        )
    ).one()


def _rows(part: str, **match: Any) -> list[SubmissionInput]:
    rows = _submission(part).inputs
    return [r for r in rows if all(getattr(r, k) == v for k, v in match.items())]


def _slow(part: str) -> supply_graph.NodeResult:
    """The product's footprint from a full roll-up of the period's graph built afresh from the
    (changed) data in the database, its stages split by its rule as a stored result's are."""
    import dataclasses

    from footprint_platform import stages
    from footprint_platform.rules import rule_for_category

    db.session.flush()
    sub = _submission(part)
    chain = chain_graph(db.session, sub.period_start, sub.period_end)
    result = supply_graph.rollup(
        chain.graph, boundaries=stages.boundary_members(chain.graph, chain.own_data())
    )
    node = product_node(sub.product_id)
    rule = rule_for_category(chain.categories[sub.product_id])
    split = stages.split_one(rule, chain.graph, result, node)
    return dataclasses.replace(result[node], by_stage=split)


def _same(outcome: whatif.Outcome, slow: supply_graph.NodeResult) -> None:
    close = {"rel_tol": 1e-9, "abs_tol": 1e-12}
    assert math.isclose(outcome.scenario.total, slow.total, **close)
    for stage, value in slow.by_stage.items():
        assert math.isclose(outcome.scenario.by_stage.get(stage, 0.0), value, **close), stage
    assert math.isclose(outcome.scenario.primary_data_share, slow.primary_data_share, **close)


def _add_row(part: str, **values: Any) -> None:
    sub = _submission(part)
    position = max(r.position for r in sub.inputs) + 1
    db.session.add(SubmissionInput(submission_id=sub.id, position=position, **values))


def test_a_green_share_equals_rolling_up_the_changed_data(ctx: None) -> None:
    oem, suv = admin_actor(OEM), _product("JH-S7-LR")
    spec = {"kind": "green_share", "source": "wind", "share": "30"}
    outcome = whatif.evaluate(db.session, oem, suv.id, [spec])
    assert outcome.delta < 0
    assert outcome.scenario.primary_data_share > 0
    (grid,) = _rows("JH-S7-LR", kind=InputKind.ELECTRICITY)
    kwh = grid.quantity
    grid.quantity = kwh * Decimal("0.7")
    _add_row(
        "JH-S7-LR",
        kind=InputKind.ELECTRICITY,
        stage=grid.stage,
        quantity=kwh * Decimal("0.3"),
        unit="kWh",
        factor_code="elec.cn.wind.cfp.2023",
        td_factor_code="elec.cn.td.cfp.2024",
        grid_region=grid.grid_region,
        instrument="ppa",
    )
    _same(outcome, _slow("JH-S7-LR"))
    # seed release: elec.cn.wind.cfp.2023, T&D elec.cn.td.cfp.2024 (a PPA delivers over the
    # grid, rule 1.1), against the grid factor the rule chose for 2025, elec.cn.cfp.2024
    wind, td, grid_factor = 0.0336, 0.0327, 0.5777
    assert outcome.delta == pytest.approx(float(kwh) * 0.3 * (wind + td - grid_factor), rel=1e-9)


def test_moving_a_chinese_site_changes_nothing_and_says_why(ctx: None) -> None:
    oem, suv = admin_actor(OEM), _product("JH-S7-LR")
    outcome = whatif.evaluate(db.session, oem, suv.id, [{"kind": "grid_region", "region": "CN-SW"}])
    assert outcome.delta == 0
    assert any("national" in n for n in outcome.notes)


def test_a_region_the_rule_has_no_factor_for_is_refused(ctx: None) -> None:
    oem, suv = admin_actor(OEM), _product("JH-S7-LR")
    with pytest.raises(InvalidInput) as refused:
        whatif.evaluate(db.session, oem, suv.id, [{"kind": "grid_region", "region": "HU"}])
    assert set(refused.value.errors) == {"region"}
    assert "HU" in refused.value.errors["region"][0]


def test_a_move_to_another_factor_equals_rolling_up_the_changed_data(
    ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On release 2026.1 the rule has a Hungarian factor (elec.hu.cfp.2024): moving the site
    to Hungary recomputes the product's grid rows with it."""
    release = factors._publish(
        db.session,
        SYSTEM,
        "2026.1",
        "test",
        (SEED_FILE.parent / "seed-2026.1.csv").read_bytes(),
        None,
    )
    _submission("JH-S7-LR").factor_release_id = release.id
    db.session.commit()
    suv = _product("JH-S7-LR")
    outcome = whatif.evaluate(
        db.session, admin_actor(OEM), suv.id, [{"kind": "grid_region", "region": "HU"}]
    )
    assert outcome.delta < 0
    for row in _rows("JH-S7-LR", kind=InputKind.ELECTRICITY):
        row.factor_code, row.grid_region = "elec.hu.cfp.2024", "HU"
    _same(outcome, _slow("JH-S7-LR"))


def _release_with_recycled_aluminium(extra: str = "") -> None:
    """A factor release with one more dataset, recycled aluminium (a test value), and `extra`
    rows, and the SUV's data on it."""
    csv = (
        SEED_FILE.read_text("utf-8").rstrip("\n")
        + (
            f'\n{RECYCLED_AL},"Recycled aluminium (test)",再生铝(测试),material,kg,0.6,CO2e,,'
            "life_cycle,CN,2023,2025-01-01,,,Test value only,test\n"
        )
        + extra
    )
    release = factors._publish(db.session, SYSTEM, "2099.1", "test", csv.encode(), None)
    _submission("JH-S7-LR").factor_release_id = release.id
    db.session.commit()


def test_recycled_content_equals_rolling_up_the_changed_data(ctx: None) -> None:
    _release_with_recycled_aluminium()
    suv = _product("JH-S7-LR")
    spec = {"kind": "recycled", "material": "mat.aluminium.primary.cn@raw_material", "share": "40"}
    outcome = whatif.evaluate(db.session, admin_actor(OEM), suv.id, [spec])
    assert outcome.delta < 0
    (aluminium,) = _rows("JH-S7-LR", factor_code="mat.aluminium.primary.cn")
    kg = aluminium.quantity
    aluminium.quantity = kg * Decimal("0.6")
    _add_row(
        "JH-S7-LR",
        kind=InputKind.MATERIAL,
        stage="raw_material",
        quantity=kg * Decimal("0.4"),
        unit="kg",
        factor_code=RECYCLED_AL,
    )
    _same(outcome, _slow("JH-S7-LR"))


def test_all_four_kinds_together_equal_the_changed_data(ctx: None) -> None:
    _release_with_recycled_aluminium()
    suv, nmc, lfp = _product("JH-S7-LR"), _product("HD-PK-811-78"), _product("HD-PK-LFP-60")
    workflow.share(db.session, admin_actor(PACK_ADMIN), lfp.id, suv.organization_id)
    specs = [
        {"kind": "swap", "supplier": str(nmc.id), "competitor": str(lfp.id)},
        {"kind": "green_share", "source": "pv", "share": "50"},
        {"kind": "recycled", "material": "mat.aluminium.primary.cn@raw_material", "share": "100"},
        {"kind": "grid_region", "region": "CN-S"},
    ]
    outcome = whatif.evaluate(db.session, admin_actor(OEM), suv.id, specs)
    assert len(outcome.described) == 4
    (pack,) = _rows("JH-S7-LR", linked_product_id=nmc.id)
    pack.linked_product_id = lfp.id
    (grid,) = _rows("JH-S7-LR", kind=InputKind.ELECTRICITY)
    grid.quantity = grid.quantity / 2
    _add_row(
        "JH-S7-LR",
        kind=InputKind.ELECTRICITY,
        stage=grid.stage,
        quantity=grid.quantity,
        unit="kWh",
        factor_code="elec.cn.pv.cfp.2023",
        td_factor_code="elec.cn.td.cfp.2024",  # a PPA delivers over the grid (rule 1.1)
        instrument="ppa",
    )
    (aluminium,) = _rows("JH-S7-LR", factor_code="mat.aluminium.primary.cn")
    aluminium.factor_code = RECYCLED_AL
    _same(outcome, _slow("JH-S7-LR"))


def test_a_swap_for_a_shared_competitor_equals_the_changed_data(ctx: None) -> None:
    suv, nmc, lfp = _product("JH-S7-LR"), _product("HD-PK-811-78"), _product("HD-PK-LFP-60")
    _withdraw_demo_consent(nmc, suv.organization_id)
    workflow.share(db.session, admin_actor(PACK_ADMIN), lfp.id, suv.organization_id)
    spec = {"kind": "swap", "supplier": str(nmc.id), "competitor": str(lfp.id)}
    offered = whatif.evaluate(db.session, admin_actor(OEM), suv.id, []).options
    assert lfp in offered.competitors[nmc.id]
    outcome = whatif.evaluate(db.session, admin_actor(OEM), suv.id, [spec])
    (pack,) = _rows("JH-S7-LR", linked_product_id=nmc.id)
    pack.linked_product_id = lfp.id
    _same(outcome, _slow("JH-S7-LR"))


def test_after_a_swap_the_options_offer_what_the_scenario_buys(ctx: None) -> None:
    """Once the NMC pack is swapped for the second maker's, the forms offer that pack (not the
    NMC one) to swap further, never the NMC pack back; a second swap chosen from them counts
    as relinking the data, and choosing the replaced pack is refused in either field."""
    suv, nmc = _product("JH-S7-LR"), _product("HD-PK-811-78")
    wj, lfp = _product("WJ-PK-811-78"), _product("HD-PK-LFP-60")
    workflow.share(db.session, admin_actor(PACK_ADMIN), lfp.id, suv.organization_id)
    oem = admin_actor(OEM)
    before = whatif.evaluate(db.session, oem, suv.id, [])
    assert nmc in before.options.suppliers and wj not in before.options.suppliers
    assert wj in before.options.competitors[nmc.id]
    first = {"kind": "swap", "supplier": str(nmc.id), "competitor": str(wj.id)}
    after = whatif.evaluate(db.session, oem, suv.id, [first])
    assert wj in after.options.suppliers and nmc not in after.options.suppliers
    assert lfp in after.options.competitors[wj.id]
    assert all(nmc not in offered for offered in after.options.competitors.values())
    second = {"kind": "swap", "supplier": str(wj.id), "competitor": str(lfp.id)}
    outcome = whatif.evaluate(db.session, oem, suv.id, [first, second])
    assert outcome.scenario.total != after.scenario.total
    for refused, field in (
        ({"kind": "swap", "supplier": str(nmc.id), "competitor": str(lfp.id)}, "supplier"),
        ({"kind": "swap", "supplier": str(wj.id), "competitor": str(nmc.id)}, "competitor"),
    ):
        with pytest.raises(InvalidInput) as caught:
            whatif.evaluate(db.session, oem, suv.id, [first, refused])
        assert list(caught.value.errors) == [field]
    (pack,) = _rows("JH-S7-LR", linked_product_id=nmc.id)
    pack.linked_product_id = lfp.id
    _same(outcome, _slow("JH-S7-LR"))


def _refused(part: str, email: str, spec: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as refused:
        whatif.evaluate(db.session, admin_actor(email), _product(part).id, [spec])
    return refused.value.errors


def test_an_unshared_unpublished_competitor_is_refused_and_not_offered(ctx: None) -> None:
    suv, nmc, lfp = _product("JH-S7-LR"), _product("HD-PK-811-78"), _product("HD-PK-LFP-60")
    spec = {"kind": "swap", "supplier": str(nmc.id), "competitor": str(lfp.id)}
    errors = _refused("JH-S7-LR", OEM, spec)
    assert (
        list(errors) == ["competitor"] and "neither published nor shared" in errors["competitor"][0]
    )
    outcome = whatif.evaluate(db.session, admin_actor(OEM), suv.id, [])
    assert lfp not in outcome.options.competitors[nmc.id]


def _withdraw_demo_consent(product: Product, buyer_id: int) -> None:
    """The demo's suppliers agreed to every link (a share each); take one back."""
    found = db.session.scalar(
        select(FootprintShare).where(
            FootprintShare.product_id == product.id,
            FootprintShare.buyer_id == buyer_id,
            FootprintShare.revoked_at.is_(None),
        )
    )
    maker = db.session.scalar(
        select(User.email)
        .join(Membership)
        .where(Membership.organization_id == product.organization_id)
        .limit(1)
    )
    workflow.revoke(db.session, admin_actor(maker), found.id)


def test_a_supplier_whose_figure_is_not_known_cannot_be_swapped_out(ctx: None) -> None:
    """The LFP pack's cells (no share, no declaration): replacing them would tell their figure."""
    cells, nmc_cells = _product("BS-LFP-280"), _product("DT-P811-150")
    _withdraw_demo_consent(cells, _product("HD-PK-LFP-60").organization_id)
    spec = {"kind": "swap", "supplier": str(cells.id), "competitor": str(nmc_cells.id)}
    assert list(_refused("HD-PK-LFP-60", PACK_ADMIN, spec)) == ["supplier"]


def test_a_stale_published_figure_is_not_known(ctx: None) -> None:
    """The NMC pack's declaration stays published after its cells' data change: its current
    figure is no longer the published one, so the OEM may not swap it out."""
    cells = _submission("DT-P811-150")
    (power,) = [r for r in cells.inputs if r.kind is InputKind.ELECTRICITY]
    power.quantity += 5
    db.session.commit()
    suv, nmc, lfp = _product("JH-S7-LR"), _product("HD-PK-811-78"), _product("HD-PK-LFP-60")
    _withdraw_demo_consent(nmc, suv.organization_id)
    workflow.share(db.session, admin_actor(PACK_ADMIN), lfp.id, suv.organization_id)
    spec = {"kind": "swap", "supplier": str(nmc.id), "competitor": str(lfp.id)}
    assert list(_refused("JH-S7-LR", OEM, spec)) == ["supplier"]


@pytest.mark.parametrize(
    ("spec", "field", "reason"),
    [
        ({"kind": "swap", "supplier": "{nmc}", "competitor": "{cell}"}, "competitor", "same kind"),
        ({"kind": "swap", "supplier": "{nmc}", "competitor": "{kg_pack}"}, "competitor", "unit"),
        ({"kind": "swap", "supplier": "{cell}", "competitor": "{nmc}"}, "supplier", "linked"),
        ({"kind": "swap", "supplier": "{nmc}", "competitor": "999999"}, "competitor", "Unknown"),
        (
            {
                "kind": "recycled",
                "material": "mat.aluminium.primary.cn@raw_material",
                "share": "30",
            },
            "material",
            "no recycled dataset",
        ),
        (
            {"kind": "recycled", "material": "mat.lead.primary@raw_material", "share": "30"},
            "material",
            "materials in your data",
        ),
        ({"kind": "green_share", "source": "wind", "share": "0"}, "share", "percentage"),
        ({"kind": "green_share", "source": "hydro", "share": "10"}, "source", "wind or solar"),
        ({"kind": "nuclear"}, "kind", "Unknown"),
    ],
)
def test_refusals_name_the_field_and_the_reason(
    ctx: None, spec: dict[str, str], field: str, reason: str
) -> None:
    pack = _product("HD-PK-811-78")
    kg_pack = Product(
        organization_id=pack.organization_id,
        site_id=pack.site_id,
        name_en="Pack sold by mass",
        part_number="KG-PACK",
        category="battery_pack",
        declared_unit="kg",
    )
    db.session.add(kg_pack)
    db.session.commit()
    ids = {"nmc": pack.id, "cell": _product("DT-P811-150").id, "kg_pack": kg_pack.id}
    filled = {k: v.format(**ids) for k, v in spec.items()}
    errors = _refused("JH-S7-LR", OEM, filled)
    assert list(errors) == [field]
    assert reason in errors[field][0]


def test_only_the_makers_members_evaluate(ctx: None) -> None:
    suv = _product("JH-S7-LR")
    with pytest.raises(NotAllowed):
        whatif.evaluate(db.session, admin_actor(PACK_ADMIN), suv.id, [])
    with pytest.raises(NotAllowed):
        whatif.evaluate(db.session, None, suv.id, [])


def test_the_outcome_names_no_inputs_of_another_organization(ctx: None) -> None:
    """What the OEM sees of a scenario: its own product, its own rows' datasets, and the
    products whose figures it may know; never a supplier's rows or an unshared figure."""
    suv, lfp = _product("JH-S7-LR"), _product("HD-PK-LFP-60")
    outcome = whatif.evaluate(
        db.session,
        admin_actor(OEM),
        suv.id,
        [{"kind": "green_share", "source": "wind", "share": "20"}],
    )
    text = repr(outcome)
    upstream = db.session.scalars(
        select(SubmissionInput).where(SubmissionInput.submission_id != _submission("JH-S7-LR").id)
    ).all()
    for row in upstream:
        assert not row.description or row.description not in text
    chain = chain_graph(db.session, outcome.period[0], outcome.period[1])
    lfp_figure = supply_graph.rollup(chain.graph)[product_node(lfp.id)].total
    assert repr(lfp_figure) not in text and f"{lfp_figure:.6g}" not in text
    # only products whose figure the OEM may know: the demo's second pack, shared with it
    offered = {p.id for ps in outcome.options.competitors.values() for p in ps}
    assert offered == {_product("WJ-PK-811-78").id}
    assert lfp.id not in offered


def test_the_comparison_file_has_a_row_per_line_of_the_page(ctx: None) -> None:
    """Each stage of the rule, the total and the shares it is made of, with the change; a stage
    at zero now has no change in per cent; a scenario named like a formula stays text."""
    suv = _product("JH-S7-LR")
    green = {"kind": "green_share", "source": "wind", "share": "30"}
    outcome = whatif.evaluate(db.session, admin_actor(OEM), suv.id, [green])
    column = whatif_export.Column("=1+1", outcome)
    sheet = whatif_export.comparison(suv, outcome.period, [column], {}, "en")
    line = sheet.header.index("Line")
    made_of = [
        "Primary data share",
        "Carried forward from an earlier period",
        "Fallback datasets for missing data",
    ]
    assert [r[line] for r in sheet.rows] == [*outcome.base.by_stage, "Total", *made_of]
    shares = [r[line + 1 : line + 4] for r in sheet.rows[-3:]]
    assert shares[0][:2] == [
        100 * outcome.base.primary_data_share,
        100 * outcome.scenario.primary_data_share,
    ]
    assert shares[2][:2] == [
        100 * outcome.base.fallback_share,
        100 * outcome.scenario.fallback_share,
    ]
    for row in sheet.rows[:-4]:
        now, then, change, percent = row[line + 1 : line + 5]
        assert change == then - now
        assert percent is None if now == 0 else math.isclose(percent, 100 * change / now)
    assert any(r[line + 1] == 0 for r in sheet.rows)  # the demo rule has an empty stage
    text = whatif_export.as_csv(sheet).decode("utf-8-sig")
    assert ",'=1+1," in text and ",=1+1," not in text


def _origins(part: str) -> tuple[float, float]:
    """The product's carried-forward and fallback shares from a full roll-up of the data in
    the database, as a stored result computes them (`chain.composition`)."""
    db.session.flush()
    sub = _submission(part)
    chain = chain_graph(db.session, sub.period_start, sub.period_end)
    result = supply_graph.rollup(chain.graph)
    origins = composition(chain.graph, chain.origin_masks(), result.total)
    row = chain.graph.index[product_node(sub.product_id)]
    return float(origins[row, 0]), float(origins[row, 1])


def test_the_figures_say_what_they_are_made_of_as_a_stored_result_does(ctx: None) -> None:
    """With the graphite maker's consent withdrawn, the cell's anode is valued by its rule's
    fallback dataset: now, the carried-forward and fallback shares are those a roll-up of the
    data gives; with green power, the same fallback emissions in a smaller total."""
    cell, graphite = _product("DT-P811-150"), _product("YS-AG-360")
    _withdraw_demo_consent(graphite, cell.organization_id)
    green = {"kind": "green_share", "source": "wind", "share": "50"}
    outcome = whatif.evaluate(db.session, admin_actor(CELL_ADMIN), cell.id, [green])
    carried, fallback = _origins("DT-P811-150")
    assert fallback > 0.001
    assert math.isclose(outcome.base.fallback_share, fallback, abs_tol=1e-9)
    assert math.isclose(outcome.base.carried_share, carried, abs_tol=1e-9)
    assert outcome.scenario.total < outcome.base.total
    part = outcome.base.fallback_share * outcome.base.total
    assert math.isclose(outcome.scenario.fallback_share * outcome.scenario.total, part)
