"""The synthetic industry (`flask demo load --scale N`) and recomputes after one submission:
a run stores only what changed, and those numbers are what a full recompute gives."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import func, select, text

import supply_graph
from footprint_platform.extensions import db
from footprint_platform.models import (
    Product,
    ProductResult,
    RollupRun,
    Submission,
    SubmissionInput,
)
from footprint_platform.scale import build_industry, maker_admin
from footprint_platform.services import workflow
from footprint_platform.services.graph import period_graph, results
from footprint_platform.services.graph.build import rollup_period
from footprint_platform.services.graph.chain import product_node, rollup_isolating
from footprint_platform.services.intake import submissions
from footprint_platform.services.intake.activity import FIELDS
from footprint_platform.services.intake.fingerprint import content_hash, content_hash_of

pytestmark = pytest.mark.postgres
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
N = 300


def _ids() -> dict[str, int]:
    tables = (
        "organization",
        "site",
        "product",
        "submission",
        "submission_input",
        "footprint_share",
    )
    return dict.fromkeys(tables, 1)


def test_the_same_seed_gives_the_same_industry_and_another_seed_another() -> None:
    first = build_industry(N, 7, _ids(), release_id=1)
    again = build_industry(N, 7, _ids(), release_id=1)
    other = build_industry(N, 8, _ids(), release_id=1)
    assert first.hashes == again.hashes and len(first.rows["product"]) == N
    assert first.hashes != other.hashes
    assert {p["category"] for p in first.rows["product"]} >= {
        "ore_lithium",
        "cathode_ncm",
        "battery_cell",
        "battery_pack",
        "vehicle_bev",
    }


def _load(app: Flask, n: int = N, seed: int = 7) -> Any:
    return app.test_cli_runner().invoke(
        args=["demo", "load", "--scale", str(n), "--seed", str(seed)]
    )


def test_scale_load_stores_the_generated_hashes_and_every_roll_up_is_finite(app: Flask) -> None:
    out = _load(app)
    assert out.exit_code == 0, out.output
    assert f"{N} product" in out.output
    with app.app_context():
        stored = list(db.session.scalars(select(Submission).order_by(Submission.id)))
        # what the database gives back hashes to what was generated (and is stored)
        assert [content_hash(s) for s in stored] == [s.content_hash for s in stored]
        release = stored[0].factor_release_id
        assert [s.content_hash for s in stored] == build_industry(N, 7, _ids(), release).hashes
        chain, result = rollup_period(db.session, *PERIOD)
        totals = [result[product_node(p)].total for p in chain.product_ids]
        assert len(totals) == N and all(math.isfinite(t) and t > 0 for t in totals)
        assert chain.fallback and not chain.missing  # some refiners have no data: generic
    again = _load(app)
    assert again.exit_code != 0 and "already has organizations" in again.output


def _columns(sub: Submission) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A stored submission and its rows as plain column values (a Core select): what the
    synthetic industry hashes instead of ORM objects."""
    table, rows = Submission.__table__, SubmissionInput.__table__
    values = db.session.execute(select(table).where(table.c.id == sub.id)).mappings().one()
    inputs = db.session.execute(
        select(rows).where(rows.c.submission_id == sub.id).order_by(rows.c.position)
    ).mappings()
    return dict(values), [dict(i) for i in inputs]


def test_column_values_hash_as_the_submitted_version_with_every_later_field(app: Flask) -> None:
    """The synthetic industry hashes the dicts it inserts (`content_hash_of`); submitting
    hashes the ORM submission (`content_hash`): the same data must give the same hash, also
    with what the generator never writes — ratings other than the single one, a provenance
    other than the implied one, carbon content, a mass-balance reason — or `flask
    declarations verify` would find a load's pins broken."""
    assert _load(app).exit_code == 0
    with app.app_context():
        product = db.session.scalars(
            select(Product).where(Product.category == "cathode_ncm").order_by(Product.id)
        ).first()
        assert product is not None
        first = db.session.scalars(
            select(Submission).where(Submission.product_id == product.id)
        ).one()
        assert content_hash_of(*_columns(first)) == first.content_hash == content_hash(first)
        actor = maker_admin(product)
        draft = submissions.start_draft(db.session, actor, product.id, *PERIOD)
        rows = [{**{f: getattr(i, f) for f in FIELDS}, "kind": i.kind.value} for i in draft.inputs]
        own = next(r for r in rows if r["kind"] == "electricity")
        own.update(provenance="estimated", dqr="2", dqr_technological="1", dqr_temporal="2")
        own["dqr_geographical"] = "4"
        material = next(r for r in rows if r["kind"] == "material")
        material.update(carbon_fossil=Decimal("0.0120"), carbon_biogenic=Decimal("0"))
        header = {
            "dqr": Decimal("2.5"),
            "dqr_technological": Decimal("2"),
            "dqr_temporal": Decimal("3.0"),
            "dqr_geographical": Decimal("2.5"),
            "mass_balance_reason": "Synthetic data: not mass-balanced.",
        }
        submissions.save_draft(db.session, actor, draft.id, header, rows)
        sub = workflow.submit(db.session, actor, draft.id)
        db.session.expire_all()
        stored = [i for i in sub.inputs if i.provenance == "estimated"]
        assert stored and stored[0].dqr_technological == 1 and sub.dqr_temporal == 3
        assert any(i.carbon_fossil for i in sub.inputs)
        assert sub.content_hash != first.content_hash
        assert content_hash_of(*_columns(sub)) == sub.content_hash == content_hash(sub)


def test_scale_load_refuses_a_database_with_the_demo(demo_app: Flask) -> None:
    out = _load(demo_app)
    assert out.exit_code != 0
    with demo_app.app_context():
        assert not db.session.scalar(
            select(func.count()).select_from(Product).where(Product.part_number.like("SYN-%"))
        )


def _resubmit(product: Product, factor: Decimal) -> Submission:
    """A new version of the product's data through the ordinary services (so the synthetic
    rows also pass the one validation), with every quantity scaled."""
    actor = maker_admin(product)
    draft = submissions.start_draft(db.session, actor, product.id, *PERIOD)
    rows = [
        {
            **{f: getattr(i, f) for f in FIELDS},
            "kind": i.kind.value,
            "quantity": i.quantity * factor,
        }
        for i in draft.inputs
    ]
    header = {"dqr": Decimal("2.5"), "mass_balance_reason": "Synthetic data: not mass-balanced."}
    submissions.save_draft(db.session, actor, draft.id, header, rows)
    return workflow.submit(db.session, actor, draft.id)


def _newest() -> dict[int, ProductResult]:
    newest = select(func.max(ProductResult.id)).group_by(ProductResult.product_id)
    rows = db.session.scalars(select(ProductResult).where(ProductResult.id.in_(newest)))
    return {r.product_id: r for r in rows}


@pytest.mark.parametrize("category", ["ore_nickel", "cathode_ncm", "battery_pack"])
def test_a_submission_stores_only_what_changed_and_matches_a_full_recompute(
    app: Flask, category: str
) -> None:
    assert _load(app).exit_code == 0
    with app.app_context():
        workflow.schedule_inline(db.session, *PERIOD, "full")
        before = _newest()
        product = db.session.scalars(
            select(Product).where(Product.category == category).order_by(Product.id)
        ).first()
        sub = _resubmit(product, Decimal("1.5"))
        run = db.session.scalars(select(RollupRun).order_by(RollupRun.id.desc())).first()
        assert period_graph.run_pins(db.session, run)[product.id] == sub.id
        assert run.trigger.endswith("v2")
        chain, full = rollup_period(db.session, *PERIOD)
        downstream = chain.reachable([product.id], "down")
        stored = set(
            db.session.scalars(
                select(ProductResult.product_id).where(ProductResult.run_id == run.id)
            )
        )
        assert stored == downstream and len(stored) < N
        after = _newest()
        # results store each product's stages relative to its own rule (stages.split), which
        # needs the rules' boundary columns: the full recompute's split, not the makers' labels
        isolated = rollup_isolating(chain)
        rows = np.arange(len(chain.product_ids))
        split = results.relative_stages(chain, isolated.result, rows)
        stage_names = list(isolated.result.stages)
        for k, p in enumerate(chain.product_ids):
            fresh, r = full[product_node(p)], after[p]
            assert float(r.total) == pytest.approx(
                fresh.total, rel=1e-12, abs=1e-10
            )  # Numeric(24, 10)
            relative = dict(zip(stage_names, split[k].tolist(), strict=True))
            assert r.by_stage == pytest.approx(relative, rel=1e-12, abs=1e-12)
            assert float(r.primary_data_share) == pytest.approx(
                fresh.primary_data_share, abs=1.01e-6
            )
            if p not in downstream:
                assert r.id == before[p].id  # untouched: still the full run's row
            else:
                assert r.run_id == run.id and r.total != before[p].total


def test_a_new_factor_release_makes_the_next_run_store_everything(app: Flask) -> None:
    """Fallback products follow the newest release, so the run after one stores every
    product (here the release is empty: the refiners without data become missing)."""
    from footprint_platform.models import FactorRelease

    assert _load(app).exit_code == 0
    with app.app_context():
        workflow.schedule_inline(db.session, *PERIOD, "full")
        first = db.session.scalars(select(FactorRelease)).one()
        release = FactorRelease(
            version="2025.2", title="test", source_sha256="0" * 64, previous_id=first.id
        )
        db.session.add(release)
        db.session.commit()
        ore = db.session.scalars(select(Product).where(Product.category == "ore_lithium")).first()
        run, _ = results.recompute(db.session, *PERIOD, "test", ore.id)
        count = db.session.scalar(
            select(func.count()).select_from(ProductResult).where(ProductResult.run_id == run.id)
        )
        assert count == N


def test_declaring_uses_the_run_of_the_products_newest_result(app: Flask) -> None:
    """After a run that stored only a cathode's chain, a product outside it is still
    declared from its newest result (the earlier full run)."""
    from footprint_platform.services.disclosure import declarations

    assert _load(app).exit_code == 0
    with app.app_context():
        full_run = workflow.schedule_inline(db.session, *PERIOD, "full").run_id
        cathode = db.session.scalars(
            select(Product).where(Product.category == "cathode_lfp").order_by(Product.id)
        ).first()
        _resubmit(cathode, Decimal("1.1"))
        chain, _ = rollup_period(db.session, *PERIOD)
        down = chain.reachable([cathode.id], "down")
        outside = db.session.scalars(
            select(Product)
            .where(Product.category == "other_component", Product.id.notin_(down))
            .order_by(Product.id)
        ).first()
        made = declarations.declare(db.session, maker_admin(outside), outside.id, *PERIOD)
        assert made.run_id == full_run
        assert declarations.verify(db.session, [made]) == []


def test_the_run_after_a_submission_patches_the_stored_graph_to_todays(app: Flask) -> None:
    """The period's snapshot plus the submissions after it is the graph a full build gives;
    an edited product (or a newer factor release) makes it unusable."""
    from footprint_platform.services.graph import snapshots

    assert _load(app).exit_code == 0
    with app.app_context():
        workflow.schedule_inline(db.session, *PERIOD, "full")
        for category in ("lithium_carbonate", "cobalt_sulfate", "battery_cell"):
            product = db.session.scalars(
                select(Product).where(Product.category == category).order_by(Product.id)
            ).first()
            _resubmit(product, Decimal("0.8"))
        patched = snapshots.patched_chain(db.session, *PERIOD)
        fresh, full = rollup_period(db.session, *PERIOD)
        assert patched is not None
        assert patched.submissions == fresh.submissions
        assert (patched.fallback, patched.missing) == (fresh.fallback, fresh.missing)
        assert patched.categories == fresh.categories
        again = supply_graph.rollup(patched.graph)
        for p in fresh.product_ids:
            a, b = again[product_node(p)], full[product_node(p)]
            assert a.total == pytest.approx(b.total, rel=1e-12)
            assert a.primary_data_share == pytest.approx(b.primary_data_share, rel=1e-12)
        _, _, timings = results.recompute_timed(db.session, *PERIOD, "test", product.id)
        assert timings.patched
        product.name_en = "Renamed"
        db.session.commit()
        assert snapshots.patched_chain(db.session, *PERIOD) is None


def _declared_downstream(upstream: Product, categories: tuple[str, ...]) -> list[int]:
    """Declare (one by one, from the newest run) up to three products of each category
    downstream of `upstream` that the data supports; their declarations' ids."""
    from footprint_platform.errors import InvalidInput
    from footprint_platform.services.disclosure import declarations

    chain, _ = rollup_period(db.session, *PERIOD)
    down = chain.reachable([upstream.id], "down")
    made = []
    for category in categories:
        picked = [p for p in sorted(down) if chain.categories[p] == category]
        count = 0
        for pid in picked:
            product = db.session.get(Product, pid)
            try:
                made.append(declarations.declare(db.session, maker_admin(product), pid, *PERIOD).id)
            except InvalidInput:
                continue
            count += 1
            if count == 3:
                break
    return made


def _most_downstream(category: str) -> Product:
    chain, _ = rollup_period(db.session, *PERIOD)
    ids = [p for p in chain.product_ids if chain.categories[p] == category]
    best = max(ids, key=lambda p: (len(chain.reachable([p], "down")), -p))
    return db.session.get(Product, best)


def test_redeclaring_in_one_batch_equals_declaring_one_by_one(app: Flask) -> None:
    """After a cathode's new version, every declaration downstream gets its new draft in one
    transaction; each equals what declaring that product alone from the same run gives (same
    numbers and pins, its version after the batch's), the versions and preceding ids chain,
    each has its audit record, and everything verifies, also from the run that stored its pins
    as changes against the snapshot's run."""
    from footprint_platform.models import AuditEvent, Declaration, DeclarationStatus, RollupRun
    from footprint_platform.services.disclosure import declarations

    assert _load(app).exit_code == 0
    with app.app_context():
        workflow.schedule_inline(db.session, *PERIOD, "full")
        cathode = _most_downstream("cathode_ncm")
        old_ids = _declared_downstream(cathode, ("battery_pack", "vehicle_bev"))
        assert len(old_ids) >= 3
        old = {
            d.id: (d.product_id, d.version)
            for d in map(db.session.get, [Declaration] * len(old_ids), old_ids)
        }
        _resubmit(cathode, Decimal("1.5"))
        run = db.session.scalars(select(RollupRun).order_by(RollupRun.id.desc())).first()
        assert run.base_run_id is not None and len(run.submissions) == 1  # a change list
        fresh_chain, _ = rollup_period(db.session, *PERIOD)
        assert period_graph.run_pins(db.session, run) == {
            int(p): s for p, s in fresh_chain.submissions.id_map().items()
        }
        batch = db.session.scalars(
            select(Declaration)
            .where(Declaration.preceding_id.in_(old_ids))
            .order_by(Declaration.id)
        ).all()
        assert sorted(d.preceding_id for d in batch) == sorted(old_ids)
        audits = {
            int(a.object_id): a.details
            for a in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "declaration.create")
            )
        }
        for d in batch:
            product_id, version = old[d.preceding_id]
            assert (d.product_id, d.version, d.run_id) == (product_id, version + 1, run.id)
            assert d.status is DeclarationStatus.DRAFT
            # the stored reason names no product; the changed one is kept by id
            assert d.change_reason == declarations.UPSTREAM_CHANGED
            assert d.changed_product_ids == [cathode.id]
            assert (
                db.session.get(Declaration, d.preceding_id).status is DeclarationStatus.SUPERSEDED
            )
            assert audits[d.id] == {
                "version": d.version,
                "content_hash": d.content_hash,
                "total": str(d.total),
            }
        expected = {d.product_id: declarations.canonical(d) for d in batch}
        batch_ids = {d.product_id: d.id for d in batch}
        for product_id in expected:
            product = db.session.get(Product, product_id)
            alone = declarations.declare(db.session, maker_admin(product), product_id, *PERIOD)
            assert alone.run_id == run.id and alone.preceding_id == batch_ids[product_id]
            again = declarations.canonical(alone)
            assert again["version"] == expected[product_id]["version"] + 1
            assert {**again, "version": None} == {**expected[product_id], "version": None}
        assert declarations.verify(db.session) == []


def test_a_declaration_the_new_data_cannot_support_is_left_alone_and_the_others_are_made(
    app: Flask,
) -> None:
    """A pack's new version buys a graphite anode that has no submission: the pack's battery
    rule needs primary data for anodes (EU Annex II), so its declaration stays as it was; the
    vehicles built on the pack (their rule names no components) get their new drafts."""
    from footprint_platform.models import Declaration, DeclarationStatus
    from footprint_platform.services.catalogue import catalog
    from footprint_platform.services.disclosure import declarations

    assert _load(app).exit_code == 0
    with app.app_context():
        workflow.schedule_inline(db.session, *PERIOD, "full")
        pack = _most_downstream("battery_pack")
        old_ids = _declared_downstream(pack, ("battery_pack", "vehicle_bev"))
        old = {i: db.session.get(Declaration, i) for i in old_ids}
        pack_declaration = next(d for d in old.values() if d.product_id == pack.id)
        vehicles = {d.product_id for d in old.values() if d.product_id != pack.id}
        assert vehicles
        maker = db.session.scalars(
            select(Product).where(Product.category == "anode_graphite").order_by(Product.id)
        ).first()
        anode = catalog.create_product(
            db.session,
            maker_admin(maker),
            maker.organization_id,
            {
                "site_id": maker.site_id,
                "name_en": "New anode",
                "part_number": "NEW-ANODE-1",
                "category": "anode_graphite",
                "declared_unit": "kg",
            },
        )
        actor = maker_admin(pack)
        draft = submissions.start_draft(db.session, actor, pack.id, *PERIOD)
        rows = [{**{f: getattr(i, f) for f in FIELDS}, "kind": i.kind.value} for i in draft.inputs]
        rows.append(
            {
                "kind": "material",
                "stage": "raw_material",
                "quantity": Decimal("2"),
                "unit": "kg",
                "linked_product_id": anode.id,
            }
        )
        submissions.save_draft(db.session, actor, draft.id, {"dqr": Decimal("2.5")}, rows)
        workflow.submit(db.session, actor, draft.id)
        newest = {
            d.product_id: d
            for d in db.session.scalars(select(Declaration).order_by(Declaration.version))
        }
        assert newest[pack.id].id == pack_declaration.id  # left alone
        assert newest[pack.id].status is DeclarationStatus.DRAFT
        for product_id in vehicles:
            d = newest[product_id]
            assert d.preceding_id in old and d.version == old[d.preceding_id].version + 1
        assert declarations.verify(db.session) == []


def test_the_snapshot_kept_in_memory_is_used_only_while_it_is_the_stored_one(app: Flask) -> None:
    """A process keeps the last snapshot it read or wrote; when another process has since
    stored a newer one (another full run), the stored one is read again, so the patched
    graph is today's either way."""

    from footprint_platform.services.graph import snapshots

    def same(a: Any, b: Any) -> bool:
        ga, gb = a.graph, b.graph
        return (
            (ga.ids == gb.ids).all()
            and np.array_equal(ga.direct, gb.direct)
            and np.array_equal(ga.amount, gb.amount)
            and np.array_equal(ga.provider, gb.provider)
            and a.submissions == b.submissions
        )

    assert _load(app).exit_code == 0
    with app.app_context():
        workflow.schedule_inline(db.session, *PERIOD, "full")
        seen_then = dict(snapshots._CACHE)
        assert seen_then  # written by the full run
        warm = snapshots.patched_chain(db.session, *PERIOD)
        snapshots.forget()
        cold = snapshots.patched_chain(db.session, *PERIOD)
        assert warm is not None and cold is not None and same(warm, cold)
        product = db.session.scalars(
            select(Product).where(Product.category == "cathode_ncm").order_by(Product.id)
        ).first()
        _resubmit(product, Decimal("2"))
        second = workflow.schedule_inline(
            db.session, *PERIOD, "full again"
        ).run_id  # a new snapshot
        snapshots._CACHE.clear()
        snapshots._CACHE.update(seen_then)  # as if this process had only seen the first one
        patched = snapshots.patched_chain(db.session, *PERIOD)
        fresh, _ = rollup_period(db.session, *PERIOD)
        assert patched is not None and patched.submissions == fresh.submissions
        assert patched.base_run_id == second  # the stored snapshot, read again
        base = patched.base_submissions
        assert base is not None
        second_run = db.session.get(RollupRun, second)
        assert dict(zip(base.products.tolist(), base.ids.tolist(), strict=True)) == (
            period_graph.run_pins(db.session, second_run)
        )
        again = supply_graph.rollup(patched.graph)
        full = supply_graph.rollup(fresh.graph)
        node = product_node(product.id)
        assert again[node].total == pytest.approx(full[node].total, rel=1e-12)


def test_after_the_bulk_load_the_planner_knows_the_loaded_tables(app: Flask) -> None:
    """PostgreSQL gets statistics of the tables the industry was copied into (else it plans
    the first reads without any: a scan where an index look-up was meant); SQLite is left
    without optional statistics, whose presence would change every query's plan."""
    assert _load(app, n=60).exit_code == 0
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            analyzed = db.session.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
                    " OR last_autoanalyze IS NOT NULL"
                )
            ).scalars()
            assert {"product", "submission", "submission_input", "footprint_share"} <= set(analyzed)
        else:
            stats = db.session.execute(
                text("SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")
            ).all()
            assert stats == []
