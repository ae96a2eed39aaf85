"""Declarations: a product's result pinned to the exact data, factors, rule and engine it came
from, with a content hash; `verify` recomputes each from its pins and reports any difference.

One module because declaring, redeclaring and verifying share the pinning rules (what is
pinned, how it is hashed, how it is recomputed); split apart, a change to one would silently
stop matching the others."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import supply_graph
from footprint_platform import visibility
from footprint_platform.battery import FunctionalUnit, functional_unit, needs_functional_unit
from footprint_platform.classes import classify_declared
from footprint_platform.errors import InvalidInput
from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    ExternalFootprint,
    Organization,
    Product,
    ProductResult,
    RollupRun,
)
from footprint_platform.policy import SYSTEM, Action, Actor, authorize
from footprint_platform.reference import load_reference
from footprint_platform.rules import AccountingRule, rule_for_category, rule_version
from footprint_platform.services.catalogue import audit, catalog
from footprint_platform.services.disclosure import carbon_content, jurisdictions
from footprint_platform.services.graph import period_graph, uncertainty
from footprint_platform.services.graph.chain import (
    ChainGraph,
    pending_product,
    product_node,
)
from footprint_platform.services.graph.results import lock_period, not_computed_now
from footprint_platform.services.intake import completeness
from footprint_platform.services.intake.fingerprint import stored_hashes
from footprint_platform.services.relations import sharing
from supply_graph import RELATIVE_TOLERANCE

# The stored reason of an automatic version: it names no product, for any reader; the changed
# products are kept as ids and named per reader (`change_reason_for`).
UPSTREAM_CHANGED = "Upstream data changed"
MAX_NAMED = 50  # a refusal names at most this many upstream products


class _Support:
    """What a declaration may rest on, decided once per chain for every declaration of a
    batch: which products have no data at all (they would count as zero), which have a
    submission, and, per rule naming components that need primary data (EU Annex II), the
    products of those categories and batteries (whose components are then unknown). A link
    awaiting its maker's consent counts as that product without data."""

    def __init__(self, chain: ChainGraph, imports: dict[int, str | None] | None = None) -> None:
        """`imports`: imported footprints by id -> the Annex II component their document
        names by its category (a Tanlian footprint's classification), else None."""
        self.chain = chain
        ids = chain.product_array
        self.no_data = np.isin(ids, np.asarray(chain.missing, dtype=np.int64), assume_unique=True)
        self.submitted = np.isin(ids, chain.submissions.products, assume_unique=True)
        g = chain.graph
        self.codes = g.category_code[: len(ids)]
        self.names = g.category_names
        self._needs: dict[tuple[str, str], np.ndarray] = {}
        # links awaiting their maker's consent: (the linked product's row, whether its
        # category has no dataset, the rows of the products using the link)
        self.pending = [
            (
                int(chain.product_rows([pid])[0]),
                not bool(g.direct[i].any()),
                g.consumer[g.provider == i],
            )
            for i in range(len(ids), g.n_nodes)
            if (pid := pending_product(str(g.ids[i]))) is not None
        ]
        self.imports = imports or {}
        categories = load_reference().categories
        battery_code = np.array(
            [name in categories and categories[name].is_battery for name in self.names] + [False],
            dtype=bool,
        )
        self.battery = battery_code[self.codes]  # per product row

    def _needs_primary(self, category: str) -> np.ndarray:
        rule = rule_for_category(category)
        key = (rule.code, rule.version)
        if key not in self._needs:
            categories = load_reference().categories
            by_code = np.array(
                [
                    bool(rule.required_components)
                    and name in categories
                    and (
                        categories[name].annex_ii in rule.required_components
                        or categories[name].is_battery
                    )
                    for name in self.names
                ]
                + [False],  # code -1: no category
                dtype=bool,
            )
            self._needs[key] = by_code[self.codes]
        return self._needs[key]

    def missing(self, product: Product, upstream: np.ndarray) -> np.ndarray:
        """Ids (ascending) of the upstream products the product's declaration cannot rest on."""
        needs = self._needs_primary(product.category)
        bad = upstream & (self.no_data | (needs & ~self.submitted))
        for row, zero, users in self.pending:  # valued secondary whatever the maker submitted
            if (zero or needs[row]) and upstream[users].any():
                bad[row] = True
        return self.chain.product_array[bad]

    def component_gaps(self, product: Product, upstream: np.ndarray) -> list[str]:
        """Under a rule naming components that need primary data, what the graph upstream
        of the battery shows for each, whatever the path: a component valued with a generic
        dataset or imported without primary data by a battery on the way (its inputs, not
        the component maker's own), or a component no input stands for at all. Products of
        those categories without data are `missing`'s."""
        rule = rule_for_category(product.category)
        if (
            not rule.required_components
            or not load_reference().categories[product.category].is_battery
        ):
            return []
        covered, gaps = self._covered(upstream)
        for component in rule.required_components:
            if component not in covered:
                gaps.append(str(_l("%(component)s: no input", component=component)))
        return sorted(set(gaps))

    def _covered(self, upstream: np.ndarray) -> tuple[set[str], list[str]]:
        """The components present upstream, and the gaps among the leaves that batteries
        upstream use directly."""
        g, n = self.chain.graph, len(self.chain.product_ids)
        categories = load_reference().categories
        covered = {
            categories[self.names[c]].annex_ii or ""
            for c in np.unique(self.codes[upstream])
            if c >= 0 and self.names[c] in categories
        }
        batteries = upstream & self.battery
        gaps: list[str] = []
        used = g.provider[(g.consumer < n) & batteries[np.minimum(g.consumer, n - 1)]]
        for leaf in np.unique(used[used >= n]).tolist():
            node = str(g.ids[leaf])
            component = self._leaf_component(node)
            if component is None:
                continue
            covered.add(component)
            if node.startswith("factor:"):
                code = node.removeprefix("factor:").rsplit("@", 1)[0]
                gaps.append(
                    str(
                        _l(
                            "%(component)s: generic dataset %(code)s",
                            component=component,
                            code=code,
                        )
                    )
                )
            elif not g.primary[leaf] and not (g.consumer == leaf).any():
                gaps.append(
                    str(_l("%(component)s: imported without primary data", component=component))
                )
        return covered, gaps

    def _leaf_component(self, node: str) -> str | None:
        """The Annex II component a generic dataset (by its category's dataset prefix) or an
        imported footprint (by the category its document names) stands for."""
        if node.startswith("factor:"):
            code = node.removeprefix("factor:")
            for category in load_reference().categories.values():
                prefix = category.generic_factor
                if prefix and category.annex_ii and code.startswith(prefix + "."):
                    return category.annex_ii
            return None
        if node.startswith("external:") and "#" not in node:
            pk = int(node.removeprefix("external:").split("@", 1)[0])
            return self.imports.get(pk)
        return None


def import_components(session: Session, chain: ChainGraph) -> dict[int, str | None]:
    """The imported footprints of the chain's graph -> the Annex II component of the category
    their document names (a Tanlian footprint classifies its product by
    `urn:…:category-id:<category>`); a document that names no category by the component
    its product name or description names (`component_by_name`); else None, no component."""
    g = chain.graph
    pks = {
        int(str(node).removeprefix("external:").split("@", 1)[0].split("#", 1)[0])
        for node in g.ids[len(chain.product_ids) :]
        if str(node).startswith("external:")
    }
    if not pks:
        return {}
    categories = load_reference().categories
    out: dict[int, str | None] = {}
    for pk, document in session.execute(
        select(ExternalFootprint.id, ExternalFootprint.document).where(
            ExternalFootprint.id.in_(pks)
        )
    ):
        named = [
            str(c).rsplit(":", 1)[-1]
            for c in (document or {}).get("productClassifications") or []
            if ":category-id:" in str(c)
        ]
        out[pk] = next(
            (categories[c].annex_ii for c in named if c in categories and categories[c].annex_ii),
            None,
        ) or (None if named else component_by_name(document or {}))
    return out


# The words by which a footprint file that names no category says which Annex II component
# it is, in English and Chinese. "Copper cathode" and "nickel cathode" are refined metals,
# not cathode material, and are excluded.
_COMPONENT_WORDS = (
    ("cathode", re.compile(r"\bcathodes?\b|正极", re.I)),
    ("anode", re.compile(r"\banodes?\b|负极", re.I)),
    ("electrolyte", re.compile(r"\belectrolytes?\b|电解液", re.I)),
    ("separator", re.compile(r"\bseparators?\b|隔膜", re.I)),
    (
        "cell_casing",
        re.compile(r"\bcell (casing|can|case|housing)s?\b|电芯壳|电池壳|铝壳|钢壳", re.I),
    ),
)
_METAL_CATHODE = re.compile(r"\b(copper|nickel|cu|ni)\s+cathodes?\b|阴极铜|电解镍", re.I)


def component_by_name(document: dict[str, Any]) -> str | None:
    """The Annex II component a footprint file that names no category stands for, read from
    its product name and description (PACT productNameCompany, productDescription): an
    imported cathode is an input of the cathode whether or not its maker classified it, so a
    cell that uses one is checked for its primary data rather than told it has no cathode.
    None when the words name no component or more than one."""
    text = " ".join(
        str(document.get(k) or "") for k in ("productNameCompany", "productDescription")
    )
    text = _METAL_CATHODE.sub(" ", text)
    found = {component for component, words in _COMPONENT_WORDS if words.search(text)}
    return found.pop() if len(found) == 1 else None


def _named(session: Session, missing_ids: np.ndarray, reader_id: int) -> list[str]:
    """The refusal's list: the part (maker) of each product the reader may name
    (footprint_platform/visibility.py), at most MAX_NAMED, then the others only by category
    and count, then "+n more"."""
    ids = missing_ids.tolist()
    nameable = visibility.for_organization(session, reader_id).nameable(ids)
    found = session.execute(
        select(Product.id, Product.part_number, Product.category, Organization.name_en)
        .join(Organization, Organization.id == Product.organization_id)
        .where(Product.id.in_(ids))
    ).all()
    named = sorted(f"{part} ({org})" for pid, part, _, org in found if pid in nameable)
    categories = load_reference().categories
    unnamed: dict[str, int] = {}
    for pid, _, category, _ in found:
        if pid not in nameable:
            label = categories[category].label(get_locale_name())
            unnamed[label] = unnamed.get(label, 0) + 1
    grouped = [f"{label} × {count}" for label, count in sorted(unnamed.items())]
    more = len(named) - MAX_NAMED
    return named[:MAX_NAMED] + ([f"+{more}"] if more > 0 else []) + grouped


def get_locale_name() -> str:
    """The reader's language ("en" outside a request)."""
    try:
        return str(get_locale() or "en")
    except RuntimeError:  # no request: a command or the worker
        return "en"


def canonical(d: Declaration) -> dict[str, Any]:
    return {
        "product_id": d.product_id,
        "period": [str(d.period_start), str(d.period_end)],
        "version": d.version,
        "declared_unit": d.declared_unit,
        "total": str(d.total),
        "by_stage": d.by_stage,
        "primary_data_share": str(d.primary_data_share),
        "dqr": None if d.dqr is None else str(d.dqr),
        "rule": [d.rule_code, d.rule_version],
        "class": [d.performance_class, d.class_scale_version],
        "engine": d.engine_version,
        "fallback_release_id": d.fallback_release_id,
        "pinned": d.pinned,
        **({} if d.composition is None else {"composition": d.composition}),
        # added later: only when set, so earlier declarations keep their hashes
        **({} if d.exempted_percent is None else {"exempted": str(d.exempted_percent)}),
        **({} if d.functional_unit is None else {"functional_unit": d.functional_unit}),
        **({} if d.dqi is None else {"dqi": d.dqi}),
        **({} if d.carbon_content is None else {"carbon_content": d.carbon_content}),
    }


def declaration_hash(d: Declaration) -> str:
    blob = json.dumps(canonical(d), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def declare(
    session: Session,
    actor: Actor,
    product_id: int,
    start: date,
    end: date,
    reason: str | None = None,
    rule_code: str | None = None,
) -> Declaration:
    """Turn the period's latest result of a product into a declaration pinned to its inputs,
    under its category's default rule or the applicable rule `rule_code` names (a
    jurisdiction's: the same pins, computed as that rule states)."""
    product = catalog.product_for(session, actor, product_id, Action.EDIT_SUBMISSIONS)
    jurisdictions.chosen_rule(product, rule_code)  # refused before anything is read
    lock_period(session, start, end)  # a version number is never taken twice
    if product.id in not_computed_now(session, start, end):
        msg = str(
            _l(
                "Not computed: loop error. The newest recompute of this period met a loop "
                "without a footprint that this product uses; it can be declared once the loop "
                "is corrected."
            )
        )
        raise InvalidInput(msg, {"product_id": [msg]})
    run = _latest_run(session, product.id, start, end)
    chain = period_graph.as_of_run(session, run)
    return _declare(session, actor, product, run, chain, reason, rule_code)


def declare_for(
    session: Session,
    actor: Actor,
    organization_id: int,
    product_id: int,
    period: tuple[date, date],
    reason: str | None = None,
    rule_code: str | None = None,
) -> Declaration:
    """`declare` for a product named by an organization's client: the organization must be
    allowed to declare, and the product must be its own (else a field error, not a 404 that
    would tell whether another maker's product exists)."""
    authorize(actor, Action.EDIT_SUBMISSIONS, organization_id)
    product = session.get(Product, product_id)
    if product is None or product.organization_id != organization_id:
        msg = str(_l("Choose one of your organization's products."))
        raise InvalidInput(msg, {"product_id": [msg]})
    return declare(session, actor, product.id, period[0], period[1], reason, rule_code)


def _latest_run(session: Session, product_id: int, start: date, end: date) -> RollupRun:
    """The newest run of the period holding a result for the product. A run after a
    submission stores only what it changed, so this is the run of the product's newest
    result, whose pins equal today's for everything upstream of the product."""
    run = session.scalars(
        select(RollupRun)
        .join(ProductResult, ProductResult.run_id == RollupRun.id)
        .where(
            ProductResult.product_id == product_id,
            RollupRun.period_start == start,
            RollupRun.period_end == end,
        )
        .order_by(RollupRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        raise InvalidInput(str(_l("Nothing is computed for this period yet.")))
    return run


def _declare(
    session: Session,
    actor: Actor,
    product: Product,
    run: RollupRun,
    chain: ChainGraph,
    reason: str | None,
    rule_code: str | None = None,
) -> Declaration:
    """One declaration from a run and its chain; InvalidInput (nothing written) when the data
    cannot support it."""
    made = _declare_all(
        session, actor, [product], run, chain, reason, strict=True, rule_codes=[rule_code]
    )
    return made[0]


def redeclare_downstream(
    session: Session,
    run: RollupRun,
    chain: ChainGraph,
    changed_product_id: int,
    reason: str,
) -> list[Declaration]:
    """After new data for a product, every current declaration of the period that rests on it
    gets a new draft version from this run; published ones stay as they are until their owner
    publishes the new version. Declarations the new data cannot support are left alone (the
    others are still made). All in the caller's transaction (a job commits them with its run),
    with the reads shared."""
    current = session.execute(
        select(Declaration.product_id, Declaration.rule_code)
        .where(
            Declaration.period_start == run.period_start,
            Declaration.period_end == run.period_end,
            Declaration.status != DeclarationStatus.SUPERSEDED,
        )
        .order_by(Declaration.id)
    ).all()
    downstream = chain.reachable([changed_product_id], "down")
    # each product once per rule it is declared under (a jurisdiction's rule, or the default)
    wanted = list(dict.fromkeys((int(p), str(r)) for p, r in current if p in downstream))
    if not wanted:
        return []
    ids = {p for p, _ in wanted}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    return _declare_all(
        session,
        SYSTEM,
        [products[p] for p, _ in wanted],
        run,
        chain,
        reason,
        strict=False,
        commit=False,
        changed=[changed_product_id],
        rule_codes=[r for _, r in wanted],
    )


def _declare_all(
    session: Session,
    actor: Actor,
    products: list[Product],
    run: RollupRun,
    chain: ChainGraph,
    reason: str | None,
    *,
    strict: bool,
    commit: bool = True,
    changed: list[int] | None = None,
    rule_codes: list[str | None] | None = None,
) -> list[Declaration]:
    """New declarations of the products from the run, in order, committed together (unless
    the caller commits), each under its category's default rule or the one `rule_codes`
    names at its position (computed from the same pins as that rule states). A product
    whose upstream lacks the data its rule needs, or without a submitted result of its own,
    raises InvalidInput before anything is written (`strict`) or is skipped."""
    support = _Support(chain, import_components(session, chain))
    exemptions = completeness.Exemptions(session, chain)
    found = session.scalars(
        select(ProductResult).where(
            ProductResult.run_id == run.id,
            ProductResult.product_id.in_([p.id for p in products]),
        )
    )
    results = {r.product_id: r for r in found}
    ready = []
    for k, product in enumerate(products):
        try:
            rule = jurisdictions.chosen_rule(product, rule_codes[k] if rule_codes else None)
        except InvalidInput:
            if not strict:
                continue
            raise
        upstream = chain.reachable_rows([product.id], "up")
        missing = support.missing(product, upstream)
        gaps = support.component_gaps(product, upstream)
        result = results.get(product.id)
        if len(missing) or gaps:
            if not strict:
                continue
            names = ", ".join(_named(session, missing, product.organization_id) + gaps)
            msg = str(_l("The rule needs primary data for: %(nodes)s.", nodes=names))
            raise InvalidInput(msg, {"product_id": [msg]})
        if result is None or result.basis != "submitted":
            if not strict:
                continue
            msg = str(_l("Submit this product's own data first."))
            raise InvalidInput(msg, {"product_id": [msg]})
        exempted = exemptions.of(product.id)
        unit = None
        if needs_functional_unit(product, rule):
            try:  # a battery is declared per kWh of lifetime energy: refused without its data
                unit = functional_unit(product, rule)
            except InvalidInput:
                if not strict:
                    continue
                raise
        limit = completeness.limit_percent(rule)
        if limit is not None and exempted is not None and exempted > limit:
            if not strict:
                continue
            msg = completeness.over_limit(exempted, rule).reason
            raise InvalidInput(msg, {"product_id": [msg]})
        values = _values(result)
        if not rule.is_default:  # the same pins, computed as the rule states
            pins = chain.submissions.pins_of(chain.product_array[upstream])
            build = jurisdictions.pinned_builder(
                session,
                product.id,
                (run.period_start, run.period_end),
                {int(p): v[0] for p, v in pins.items()},
                run.fallback_release_id,
                run.started_at,
            )
            values = jurisdictions.solve(rule, session, product.id, build).result_row()
            # as a stored result holds it (Numeric(24, 10)), so the content hash holds too
            values["total"] = values["total"].quantize(Decimal("1e-10"))
        ready.append((product, rule, upstream, values, exempted, unit))
    made = _store(session, actor, ready, run, chain, reason, changed)
    if commit:
        session.commit()
    return made


def _values(result: ProductResult) -> dict[str, Any]:
    """What a declaration takes of a stored result."""
    return {
        k: getattr(result, k)
        for k in (
            "total",
            "by_stage",
            "primary_data_share",
            "dqr",
            "dqi",
            "carried_share",
            "fallback_share",
        )
    }


def _previous(
    session: Session, product_ids: list[int], start: date, end: date
) -> tuple[dict[tuple[int, str], tuple[int, int, DeclarationStatus]], dict[int, int]]:
    """Each product's newest declaration of the period under each rule: (id, version,
    status), and each product's highest version under any rule (versions are numbered per
    product and period, whatever the rule); one query and no pinned maps read."""
    rows = session.execute(
        select(
            Declaration.product_id,
            Declaration.rule_code,
            Declaration.id,
            Declaration.version,
            Declaration.status,
        )
        .where(
            Declaration.product_id.in_(product_ids),
            Declaration.period_start == start,
            Declaration.period_end == end,
        )
        .order_by(Declaration.version)
    ).all()
    newest = {(p, r): (i, v, status) for p, r, i, v, status in rows}  # the highest wins
    highest = {p: v for p, _, _, v, _ in rows}
    return newest, highest


def _store(
    session: Session,
    actor: Actor,
    ready: list[
        tuple[
            Product,
            AccountingRule,
            np.ndarray,
            dict[str, Any],
            Decimal | None,
            FunctionalUnit | None,
        ]
    ],
    run: RollupRun,
    chain: ChainGraph,
    reason: str | None,
    changed: list[int] | None = None,
) -> list[Declaration]:
    """Add the declarations (and their audit records) and supersede the drafts they replace;
    the caller commits."""
    if not ready:
        return []
    previous, highest = _previous(
        session, [p.id for p, *_ in ready], run.period_start, run.period_end
    )
    pins = chain.submissions.pins_of(
        chain.product_array[np.logical_or.reduce([u for _, _, u, *_ in ready])]
    )
    carbon = carbon_content.Chain(session, carbon_content.pins_of_map(pins))
    made = []
    for product, rule, upstream, result, exempted, unit in ready:
        before = previous.get((product.id, rule.code))  # the draft this one replaces
        version = highest.get(product.id, 0) + 1
        highest[product.id] = version
        d = Declaration(
            organization_id=product.organization_id,
            product_id=product.id,
            period_start=run.period_start,
            period_end=run.period_end,
            version=version,
            status=DeclarationStatus.DRAFT,
            declared_unit=product.declared_unit,
            total=result["total"],
            by_stage={k: repr(float(v)) for k, v in result["by_stage"].items()},
            primary_data_share=result["primary_data_share"],
            dqr=result["dqr"],
            dqi=result["dqi"],
            exempted_percent=exempted,
            rule_code=rule.code,
            rule_version=rule.version,
            engine_version=run.engine_version,
            run_id=run.id,
            fallback_release_id=run.fallback_release_id,
            pinned=chain.submissions.pins_of(chain.product_array[upstream]),
            composition={
                "carried_forward": str(result["carried_share"]),
                "fallback": str(result["fallback_share"]),
            },
            functional_unit=None if unit is None else unit.as_json(),
            carbon_content=carbon.of(product.id).as_json(),
            preceding_id=before[0] if before else None,
            change_reason=reason,
            changed_product_ids=changed,
            created_by_id=actor.user_id,
        )
        grade = classify_declared(product, d.total, unit)
        if grade is not None:
            d.performance_class, d.class_scale_version = grade.grade, grade.scale_version
        d.content_hash = declaration_hash(d)
        made.append(d)
    replaced = {(p.id, rule.code) for p, rule, *_ in ready}  # a draft of another rule stays
    drafts = [
        b[0] for k, b in previous.items() if k in replaced and b[2] is DeclarationStatus.DRAFT
    ]
    if drafts:  # a published one stays until replaced
        session.execute(
            update(Declaration)
            .where(Declaration.id.in_(drafts))
            .values(status=DeclarationStatus.SUPERSEDED)
        )
    session.add_all(made)
    session.flush()
    for d in made:
        audit.record(
            session,
            actor,
            "declaration.create",
            d,
            organization_id=d.organization_id,
            details={"version": d.version, "content_hash": d.content_hash, "total": str(d.total)},
        )
    return made


@dataclass(frozen=True)
class Mismatch:
    declaration_id: int
    public_id: str
    reason: str


def verify(session: Session, declarations: list[Declaration] | None = None) -> list[Mismatch]:
    """Recompute every declaration (or the given ones) from its pins: the hash of what is
    stored, the pinned submissions' own hashes, and the numbers, to 1e-9 relative."""
    items = (
        declarations
        if declarations is not None
        else list(session.scalars(select(Declaration).order_by(Declaration.id)))
    )
    problems = []
    for d in items:
        reason = _check(session, d)
        if reason:
            problems.append(Mismatch(d.id, d.public_id, reason))
    return problems


def _check(session: Session, d: Declaration) -> str | None:
    if declaration_hash(d) != d.content_hash:
        return "stored content does not match its content hash"
    pins = {int(p): v[0] for p, v in d.pinned.items()}
    hashes = stored_hashes(session, pins.values())  # from the columns: no ORM object each
    for sid in sorted(hashes):
        product_id, digest = hashes[sid]
        if digest != d.pinned[str(product_id)][1]:
            return f"pinned submission {sid} changed"
    # the pinned rule version: its stages (1.0: the makers' labels), and a jurisdiction's
    # rule recomputes the same pins as it states (services/disclosure/jurisdictions.py)
    rule = rule_version(d.rule_code, d.rule_version)
    recomputed = jurisdictions.solve_declaration(session, d, rule)
    solved = recomputed.isolated
    node = product_node(d.product_id)
    again = solved.result[node]
    by_stage = recomputed.by_stage
    stored = np.array([float(d.by_stage.get(s, 0.0)) for s in by_stage])
    fresh = np.array(list(by_stage.values()))
    if not np.allclose(fresh, stored, rtol=RELATIVE_TOLERANCE, atol=1e-12) or not math.isclose(
        float(d.total), again.total, rel_tol=RELATIVE_TOLERANCE
    ):
        return f"recomputed {again.total!r} differs from declared {d.total}"
    if d.carbon_content is not None:
        fresh_carbon = carbon_content.computed(session, d).as_json()
        if fresh_carbon != d.carbon_content:
            return f"recomputed carbon content {fresh_carbon} differs from declared"
    return None


def change_reason_for(session: Session, d: Declaration, reader_id: int | None) -> str | None:
    """The declaration's change reason as `reader_id`'s members may read it (None: the
    public): a person's reason as written; an automatic one in the reader's language, naming
    only the changed upstream products the reader may name (footprint_platform/visibility.py)."""
    if d.created_by_id is not None or not d.change_reason:
        return d.change_reason
    text = str(_l("Upstream data changed"))
    if reader_id is None or not d.changed_product_ids:
        return text
    rule = visibility.for_organization(session, reader_id)
    named = sorted(
        p.part_number
        for p in session.scalars(
            select(Product).where(Product.id.in_(rule.nameable(d.changed_product_ids)))
        )
    )
    return f"{text}: {', '.join(named)}" if named else text


def _pinned_chain(session: Session, d: Declaration, pins: dict[int, int]) -> ChainGraph:
    """The declaration's graph from its pins, with the links' consents as its run saw them."""
    return period_graph.as_declared(session, d, pins)


@dataclass(frozen=True)
class Breakdown:
    parts: supply_graph.Contributions  # grouped by tier, category and stage: names no one
    named: list[sharing.NamedSupplier]  # upstream products the declaring organization may name
    # the total's 95 % interval, pinned by the pins, the seed and the sample count (outside
    # the content hash: verification recomputes the total, not the interval)
    interval: uncertainty.ProductInterval | None = None


def breakdown(session: Session, d: Declaration) -> Breakdown:
    """Where a declared footprint comes from, by tier (0: the product's own site), category and
    stage, recomputed from its pins; by name only the upstream products shared with the
    declaring organization (or its own)."""
    pins = {int(p): v[0] for p, v in d.pinned.items()}
    rule = rule_version(d.rule_code, d.rule_version)
    recomputed = jurisdictions.solve(
        rule, session, d.product_id, lambda: _pinned_chain(session, d, pins)
    )
    chain, solved = recomputed.chain, recomputed.isolated
    parts = supply_graph.contributions(solved.graph, solved.result, product_node(d.product_id))
    named = sharing.named_upstream(session, d.organization_id, parts, solved.result)
    interval = uncertainty.product_interval(
        session, chain, solved.graph, solved.result.total, d.product_id
    )
    return Breakdown(parts, named, interval)
