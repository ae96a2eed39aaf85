"""The demo chain from the database through the roll-up engine."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import EmissionFactor, Product, ProductResult
from footprint_platform.services import workflow
from footprint_platform.services.graph.build import rollup_period
from footprint_platform.services.graph.chain import product_node
from footprint_platform.services.graph.period_graph import run_pins

pytestmark = pytest.mark.postgres
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def _results(app: Flask) -> tuple[dict[str, float], dict[str, float], list[str]]:
    with app.app_context():
        chain, result = rollup_period(db.session, *PERIOD)
        parts = {p.id: p.part_number for p in db.session.scalars(select(Product))}
        total = {parts[i]: result[product_node(i)].total for i in parts}
        share = {parts[i]: result[product_node(i)].primary_data_share for i in parts}
        return total, share, sorted(parts[i] for i in chain.missing)


def test_a_foil_is_its_own_energy_plus_its_generic_aluminium(demo_app: Flask) -> None:
    """JN-AL-12 (per kg): 1.05 kg primary aluminium × 15.947 (mat.aluminium.primary.cn)
    + 1.8 kWh × 0.5777 (elec.cn.cfp.2024, the rule's grid factor for the 2025 period)
    = 16.74435 + 1.03986 = 17.78421 kg CO2e/kg; only the electricity part is the foil maker's
    own (primary): 1.03986 / 17.78421 = 0.0585."""
    total, share, _ = _results(demo_app)
    assert total["JN-AL-12"] == pytest.approx(17.78421, rel=1e-9)
    assert share["JN-AL-12"] == pytest.approx(1.03986 / 17.78421, rel=1e-9)


def test_the_demo_cell_lands_in_the_published_range(demo_app: Flask) -> None:
    """NMC811 cell made in China: 61–106 kg CO2e per kWh of capacity (IVL report C444, Emilsson
    & Dahllöf 2019, cradle-to-gate). A pack holds its cells, so it weighs at least as much per
    kWh; a vehicle holds its pack."""
    total, share, _ = _results(demo_app)
    assert 61 <= total["DT-P811-150"] <= 106
    assert total["HD-PK-811-78"] > total["DT-P811-150"]
    assert total["JH-S7-LR"] > 78 * total["HD-PK-811-78"]
    assert 0 < share["HD-PK-811-78"] < 1


def test_products_without_data_are_reported_missing(demo_app: Flask) -> None:
    _, share, missing = _results(demo_app)
    assert missing == ["BS-LFP-280", "DT-P811-150-EU"]
    assert share["BS-LFP-280"] == 0


def test_submitting_upstream_data_recomputes_downstream_in_a_new_run(demo_app: Flask) -> None:
    """A new foil version with twice the electricity (3.6 kWh): the foil gains 1.8 × 0.5777 =
    1.03986 kg CO2e/kg (a 2025 period takes the 2024 grid factor); the NCM811 cell uses 0.3 kg
    of it per kWh (its production scrap reaches the recycler burden-free, so no loop brings any
    back), so it gains 0.3 × 1.03986 = 0.311958. The earlier run keeps its numbers."""
    from footprint_platform.services.graph import results
    from footprint_platform.services.intake import submissions
    from tests.platform.demo_ids import admin_actor

    with demo_app.app_context():
        foil = db.session.scalar(select(Product).where(Product.part_number == "JN-AL-12"))
        cell = db.session.scalar(select(Product).where(Product.part_number == "DT-P811-150"))
        before = results.latest_results(db.session, cell.organization_id)[cell.id]
        old_run, old_total = before.run.id, before.result.total
        actor = admin_actor("data@jiangnan-foil.example")
        draft = submissions.start_draft(db.session, actor, foil.id, *PERIOD)
        rows = [
            {
                "kind": i.kind.value,
                "quantity": i.quantity * (2 if i.unit == "kWh" else 1),
                "unit": i.unit,
                "factor_code": i.factor_code,
                "description": i.description,
                "provenance": i.provenance,
            }
            for i in draft.inputs
        ]
        submissions.save_draft(db.session, actor, draft.id, {"dqr": 2}, rows)
        workflow.submit(db.session, actor, draft.id)
        after = results.latest_results(db.session, cell.organization_id)[cell.id]
        assert after.run.id > old_run
        # x = (I - A)^-1 δ_cell, the supply vector: 0.3 kg of foil per kWh of cell, no loop.
        import supply_graph

        chain, _ = rollup_period(db.session, *PERIOD)
        plan = supply_graph.build_plan(chain.graph.technosphere, chain.graph.ids)
        x = supply_graph.supply_vector(plan, chain.graph.node_index(product_node(cell.id)))
        foil_per_cell = x[chain.graph.node_index(product_node(foil.id))]
        assert foil_per_cell == pytest.approx(0.3, rel=1e-12)
        assert float(after.result.total - old_total) == pytest.approx(
            foil_per_cell * 1.8 * 0.5777, rel=1e-6
        )
        kept = db.session.scalar(
            select(ProductResult.total).where(
                ProductResult.run_id == old_run, ProductResult.product_id == cell.id
            )
        )
        assert kept == old_total
        assert run_pins(db.session, after.run)[foil.id] == draft.id


def test_products_using_a_missing_product_are_flagged(demo_app: Flask) -> None:
    from footprint_platform.services.graph import results

    with demo_app.app_context():
        pack = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-LFP-60"))
        latest = results.latest_results(db.session, pack.organization_id)
        assert latest[pack.id].result.upstream_missing  # its LFP cells have no data yet
        nmc = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-811-78"))
        assert not latest[nmc.id].result.upstream_missing


def test_a_maker_sees_its_products_footprints_on_its_product_list(demo_app: Flask) -> None:
    from tests.conftest import Session

    session = Session(demo_app.test_client())
    session.login("data@jiangnan-foil.example")
    with demo_app.app_context():
        foil = db.session.scalar(select(Product).where(Product.part_number == "JN-AL-12"))
    page = session.client.get(
        f"/orgs/{foil.organization_id}/products", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "17.784" in page and "6 %" in page  # 17.78421 kg CO2e/kg, 6 % primary


def test_recycled_nickel_sulfate_is_not_above_virgin(demo_app: Flask) -> None:
    """The recycler's feed is cell production scrap entered by mass with recycled share 1: it
    enters burden-free (the material rule's cut-off; under the CFF too, the scrap is free and
    the recycling is shared at its user), never as buying 0.05 kWh of a new cell. So the
    recycled salt is its own process only, 3 kWh × 0.5777 (the 2024 grid factor, for a 2025
    period) + 0.3 m³ natural gas, below the virgin salt (MHP from HPAL on captive coal), and
    no loop joins it to the cell."""
    import scipy.sparse.csgraph as csgraph

    with demo_app.app_context():
        chain, result = rollup_period(db.session, *PERIOD)
        n_loops, _labels = csgraph.connected_components(
            chain.graph.technosphere, directed=True, connection="strong"
        )
        assert n_loops == chain.graph.n_nodes  # every node its own component: no loop
        parts = {p.part_number: p.id for p in db.session.scalars(select(Product))}
        recycled = result[product_node(parts["MC-RNS-22"])]
        virgin = result[product_node(parts["MB-NS-22"])]
        own = chain.graph.effective_direct[chain.graph.node_index(product_node(parts["MC-RNS-22"]))]
        assert recycled.total == pytest.approx(float(own.sum()), rel=1e-12)  # nothing upstream
        gas = db.session.scalar(
            select(EmissionFactor.value)
            .where(EmissionFactor.code == "fuel.natural_gas.combustion.cn")
            .limit(1)
        )
        assert recycled.total == pytest.approx(3 * 0.5777 + 0.3 * float(gas), rel=1e-9)
        assert recycled.total < virgin.total
        cell = parts["DT-P811-150"]
        users = chain.graph.consumer[
            chain.graph.provider == chain.graph.node_index(product_node(cell))
        ]
        assert product_node(parts["MC-RNS-22"]) not in {str(chain.graph.ids[u]) for u in users}


@pytest.mark.postgres
def test_a_draft_opened_before_a_full_run_and_submitted_after_it_is_patched_in(
    demo_app: Flask,
) -> None:
    """A draft's id is taken when it is opened: one opened before the period's last full run
    and submitted after it has a smaller id than versions that run holds, and the next
    recompute (patched from that run's snapshot) must still take it in."""
    from footprint_platform.services.graph import snapshots
    from footprint_platform.services.graph.results import latest_results
    from footprint_platform.services.intake import submissions
    from tests.platform.demo_ids import admin_actor

    with demo_app.app_context():
        foil_maker = admin_actor("data@jiangnan-foil.example")
        foil = db.session.scalar(select(Product).where(Product.part_number == "JN-AL-12"))
        early = submissions.start_draft(db.session, foil_maker, foil.id, *PERIOD)
        film_maker = admin_actor("data@yunling-film.example")
        film = db.session.scalar(select(Product).where(Product.part_number == "YL-W9-C"))
        later = submissions.start_draft(db.session, film_maker, film.id, *PERIOD)
        workflow.submit(db.session, film_maker, later.id)
        workflow.schedule_inline(db.session, *PERIOD, "test: a full run")  # the snapshot
        assert early.id < later.id
        workflow.submit(db.session, foil_maker, early.id)
        assert snapshots.patched_chain(db.session, *PERIOD) is not None  # patched, not rebuilt
        run = latest_results(db.session, foil.organization_id)[foil.id].run
        assert run_pins(db.session, run)[foil.id] == early.id
