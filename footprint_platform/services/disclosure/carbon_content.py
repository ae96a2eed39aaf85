"""The carbon content of a declared product: kg of carbon per declared unit, fossil and biogenic
(PACT Technical Specifications 3.0.3, `fossilCarbonContent` and `biogenicCarbonContent`, kgC per
declared unit, PACT Methodology v3.0 section 3.3.2.4; ISO 14067:2018 reports the biogenic carbon
content of a product apart from its emissions).

Carbon content is physical, not an emission: the mass of carbon in the product as it leaves the
gate. Tanlian computes it from the declaration's pinned submissions by mass balance over the bill
of materials:

- a maker may state its product's own carbon content (measured, e.g. by elemental analysis, or
  calculated); that value is the product's and takes precedence over its materials;
- else it is the sum, over its material rows, of the quantity times the material's carbon
  content per unit: the row's own stated value, else the linked product's (computed the same way
  from its pinned submission), else an imported PACT footprint's stated content, else the
  factor dataset's where its release states one (columns `carbon_fossil`, `carbon_biogenic` of
  the release file, from the row's source). The materials entered per declared unit are taken
  to end up in the product; where carbon is lost in the process (burnt off, left in scrap) the
  maker states the product's own value instead. Electricity, fuels, process gases, transport
  and waste put no carbon into the product.
- A product made from no material (an ore, natural graphite from a mine) holds what its maker
  states, else its carbon content is not known.
- A product whose version lists co-products is not split: its inputs' carbon may leave in them,
  so its content is known only when it is stated, or when its materials carry no carbon at all.

Where any material's content is not known the product's is not known: it is never counted as
zero. PACT 3.0.3 requires `fossilCarbonContent` (reporting rule SHALL, no "unknown" value), so a
conservative value is given instead, an upper bound: the known carbon plus, for each material
whose carbon is not known, its whole mass (carbon cannot weigh more than the material holding
it), at most the product's own mass where it is declared by mass. Where no bound follows (a
material not entered by mass whose carbon is not known) nothing can be said and the footprint is
not written in PACT. The biogenic content may be left blank when not known (reporting rule BIO:
"blank if unknown or unavailable"), so it gets no bound. A supply loop gives no value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from footprint_platform.bulk import no_cycle_collection, one_of, typed_rows
from footprint_platform.models import (
    Declaration,
    EmissionFactor,
    ExternalFootprint,
    InputKind,
    Product,
    Submission,
    SubmissionInput,
)
from supply_graph.units import conversion_factor

# Where a footprint received in Catena-X's model keeps its carbon-content block as received
# (services/pact/catenax_requests.py), beside its PACT form.
CATENAX_CARBON_KEY = "catenaxCarbonContent"

QUANTUM = Decimal("1e-10")  # what Numeric(24, 10) holds


def _plain(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN).normalize(), "f")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class CarbonContent:
    """kg C per declared unit. `fossil` None: not known; then `fossil_upper_bound` is the
    conservative value (None: no bound follows). `unknown_inputs`: the material rows in the
    chain whose carbon is not known."""

    fossil: Decimal | None
    fossil_upper_bound: Decimal | None
    biogenic: Decimal | None
    unknown_inputs: int = 0

    @property
    def fossil_for_pact(self) -> Decimal | None:
        """The value PACT's required field gets: the content, else its upper bound."""
        return self.fossil if self.fossil is not None else self.fossil_upper_bound

    def as_json(self) -> dict[str, Any]:
        return {
            "fossil": _plain(self.fossil),
            "fossil_upper_bound": _plain(self.fossil_upper_bound),
            "biogenic": _plain(self.biogenic),
            "unknown_inputs": self.unknown_inputs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CarbonContent:
        def dec(key: str) -> Decimal | None:
            value = data.get(key)
            return None if value is None else Decimal(str(value))

        return cls(
            dec("fossil"),
            dec("fossil_upper_bound"),
            dec("biogenic"),
            int(data.get("unknown_inputs") or 0),
        )


UNKNOWN = CarbonContent(None, None, None, 0)


@dataclass(frozen=True)
class Row:
    """A material or co-product row of a pinned submission, as the computation reads it."""

    position: int
    kind: InputKind
    quantity: Decimal
    unit: str
    linked: int | None
    external: int | None
    fossil: Decimal | None
    biogenic: Decimal | None
    factor: str | None = None  # the factor dataset valuing it, in `release`
    release: int | None = None


@dataclass
class Node:
    """A pinned submission: its product's declared unit, the stated own carbon content and
    its material and co-product rows."""

    declared_unit: str
    fossil: Decimal | None
    biogenic: Decimal | None
    rows: list[Row]


@cache  # per (unit, target) pair: a chain of thousands of rows uses a handful
def _factor(unit: str, target: str) -> Decimal | None:
    k = conversion_factor(unit, target)
    return None if k is None else Decimal(str(k))


class Chain:
    """The carbon content of every product a set of pins names, read in three queries and
    computed once per product (a batch of declarations of one run shares it)."""

    def __init__(self, session: Session | None, pins: dict[int, int]) -> None:
        """`pins`: product id -> pinned submission id (no session: empty, for `add`)."""
        self.nodes: dict[int, Node] = {}
        self.externals: dict[int, tuple[Decimal | None, Decimal | None]] = {}
        # (release id, factor code) -> (unit, fossil, biogenic) of datasets stating carbon
        self.datasets: dict[tuple[int, str], tuple[str, Decimal | None, Decimal | None]] = {}
        self.memo: dict[int, CarbonContent] = {}
        if session is not None:
            with no_cycle_collection():  # a job's heap made a full collection cost ~0.12 s here
                self._load(session, list(pins.values()))

    def add(self, product_id: int, node: Node) -> Chain:
        """A product's pinned data given directly (the computation without a database)."""
        self.nodes[product_id] = node
        self.memo.clear()
        return self

    def _load(self, session: Session, submission_ids: list[int]) -> None:
        if not submission_ids:
            return
        by_submission: dict[int, tuple[int, int]] = {}
        products = select(
            Submission.id,
            Submission.product_id,
            Submission.factor_release_id,
            Product.declared_unit,
            Submission.carbon_fossil,
            Submission.carbon_biogenic,
        ).join(Product, Product.id == Submission.product_id)
        for sid, pid, release, unit, fossil, biogenic in typed_rows(
            session, products.where(one_of(session, Submission.id, submission_ids))
        ):
            by_submission[sid] = (pid, release)
            self.nodes[pid] = Node(unit, fossil, biogenic, [])
        i = SubmissionInput
        materials = select(
            i.submission_id, i.position, i.kind, i.quantity, i.unit, i.linked_product_id,
            i.external_footprint_id, i.carbon_fossil, i.carbon_biogenic, i.factor_code,
        )  # fmt: skip
        rows = typed_rows(
            session,
            materials.where(
                one_of(session, i.submission_id, submission_ids),
                i.kind.in_([InputKind.MATERIAL, InputKind.COPRODUCT]),
            ).order_by(i.submission_id, i.position),
        )
        externals, codes = set(), set()
        for sid, position, kind, qty, unit, linked, external, fossil, biogenic, code in rows:
            pid, release = by_submission[sid]
            self.nodes[pid].rows.append(
                Row(position, kind, qty, unit, linked, external, fossil, biogenic, code, release)
            )
            if external is not None:
                externals.add(external)
            if code is not None:
                codes.add(code)
        self._load_datasets(session, {r for _, r in by_submission.values()}, codes)
        if externals:
            for pk, document in session.execute(
                select(ExternalFootprint.id, ExternalFootprint.document).where(
                    ExternalFootprint.id.in_(externals)
                )
            ):
                self.externals[pk] = _stated_in_pact(document)

    def _load_datasets(self, session: Session, releases: set[int], codes: set[str]) -> None:
        """The material datasets used whose release states their carbon content."""
        if not codes:
            return
        for release, code, unit, fossil, biogenic in session.execute(
            select(
                EmissionFactor.release_id,
                EmissionFactor.code,
                EmissionFactor.unit,
                EmissionFactor.carbon_fossil,
                EmissionFactor.carbon_biogenic,
            ).where(
                EmissionFactor.release_id.in_(releases),
                EmissionFactor.code.in_(codes),
                or_(
                    EmissionFactor.carbon_fossil.is_not(None),
                    EmissionFactor.carbon_biogenic.is_not(None),
                ),
            )
        ):
            self.datasets[(release, code)] = (unit, fossil, biogenic)

    def of(self, product_id: int) -> CarbonContent:
        return self._of(product_id, frozenset())

    def _of(self, product_id: int, path: frozenset[int]) -> CarbonContent:
        if product_id in self.memo:
            return self.memo[product_id]
        node = self.nodes.get(product_id)
        if node is None or product_id in path:
            return UNKNOWN  # no pinned data (valued by a fallback), or a supply loop
        found = self._compute(node, path | {product_id})
        self.memo[product_id] = found
        return found

    def _compute(self, node: Node, path: frozenset[int]) -> CarbonContent:
        fossil: Decimal | None = Decimal(0)
        bound: Decimal | None = Decimal(0)
        biogenic: Decimal | None = Decimal(0)
        unknown = 0
        coproducts = False
        for row in node.rows:
            if row.kind is InputKind.COPRODUCT:
                coproducts = True
                continue
            got = self._row(row, path)
            unknown += got.unknown_inputs
            fossil = None if fossil is None or got.fossil is None else fossil + got.fossil
            bound = (
                None
                if bound is None or got.fossil_for_pact is None
                else bound + got.fossil_for_pact
            )
            biogenic = None if biogenic is None or got.biogenic is None else biogenic + got.biogenic
        if coproducts:  # their share of the inputs' carbon is not known: only zero is certain
            if fossil is not None and fossil != 0:
                fossil, unknown = None, unknown + 1  # the split itself is what is not known
            biogenic = biogenic if biogenic == 0 else None
        if not any(r.kind is InputKind.MATERIAL for r in node.rows):
            # extracted, not made from materials (an ore, natural graphite): only its maker
            # can say what carbon it holds
            fossil = biogenic = bound = None
            unknown += 1
        mass = _factor(node.declared_unit, "kg")
        if bound is not None and mass is not None:
            bound = min(bound, mass)
        elif mass is not None:
            bound = mass
        if node.fossil is not None:
            fossil, unknown = node.fossil, 0
        if node.biogenic is not None:
            biogenic = node.biogenic
        return CarbonContent(fossil, None if fossil is not None else bound, biogenic, unknown)

    def _row(self, row: Row, path: frozenset[int]) -> CarbonContent:
        """The carbon one material row puts into the product, per declared unit."""
        q = row.quantity
        fossil = None if row.fossil is None else q * row.fossil
        biogenic = None if row.biogenic is None else q * row.biogenic
        if row.linked is not None and (fossil is None or biogenic is None):
            upstream = self._of(row.linked, path)
            node = self.nodes.get(row.linked)
            k = _factor(row.unit, node.declared_unit) if node is not None else None
            if k is not None:
                if fossil is None and upstream.fossil is not None:
                    fossil = q * k * upstream.fossil
                if biogenic is None and upstream.biogenic is not None:
                    biogenic = q * k * upstream.biogenic
                if fossil is None:
                    upstream_bound = upstream.fossil_upper_bound
                    return self._bounded(
                        row,
                        None if upstream_bound is None else q * k * upstream_bound,
                        biogenic,
                        max(upstream.unknown_inputs, 1),
                    )
        elif row.external is not None:
            stated_fossil, stated_biogenic = self.externals.get(row.external, (None, None))
            if fossil is None and stated_fossil is not None:
                fossil = q * stated_fossil
            if biogenic is None and stated_biogenic is not None:
                biogenic = q * stated_biogenic
        elif row.factor is not None and row.release is not None:
            unit, ds_fossil, ds_biogenic = self.datasets.get(
                (row.release, row.factor), ("", None, None)
            )
            k = _factor(row.unit, unit) if unit else None
            if k is not None and fossil is None and ds_fossil is not None:
                fossil = q * k * ds_fossil
            if k is not None and biogenic is None and ds_biogenic is not None:
                biogenic = q * k * ds_biogenic
        if fossil is not None:
            return CarbonContent(fossil, None, biogenic, 0)
        return self._bounded(row, None, biogenic, 1)

    @staticmethod
    def _bounded(
        row: Row, bound: Decimal | None, biogenic: Decimal | None, unknown: int
    ) -> CarbonContent:
        """Carbon not known: at most the material's own mass (when entered by mass)."""
        kg = _factor(row.unit, "kg")
        mass = None if kg is None else row.quantity * kg
        if bound is None or (mass is not None and mass < bound):
            bound = mass
        return CarbonContent(None, bound, biogenic, unknown)


def _stated_in_pact(document: Any) -> tuple[Decimal | None, Decimal | None]:
    """An imported PACT footprint's carbon content per one of its units (per declared unit
    amount), fossil and biogenic; None where it states none or states it wrongly. A footprint
    received in Catena-X's model is read from its carbon-content block as received (its PACT
    form needs a fossil value even where the block states none); a Tanlian footprint from its
    extension, which tells a known content from the upper bound PACT's field may carry."""
    try:
        pcf = document["pcf"]
        amount = Decimal(str(pcf["declaredUnitAmount"]))
    except (KeyError, TypeError, ArithmeticError, ValueError):
        return None, None
    stated = document.get(CATENAX_CARBON_KEY, pcf)
    for extension in document.get("extensions") or []:
        ours = (extension.get("data") or {}) if isinstance(extension, dict) else {}
        if isinstance(ours, dict) and isinstance(ours.get("carbonContent"), dict):
            known = ours["carbonContent"]
            stated = {
                "fossilCarbonContent": known.get("fossil"),
                "biogenicCarbonContent": known.get("biogenic"),
            }
    stated = stated if isinstance(stated, dict) else {}

    def per_unit(key: str) -> Decimal | None:
        try:
            value = Decimal(str(stated[key]))
        except (KeyError, TypeError, ArithmeticError, ValueError):
            return None
        return value / amount if value.is_finite() and value >= 0 and amount > 0 else None

    return per_unit("fossilCarbonContent"), per_unit("biogenicCarbonContent")


def pins_of_map(pinned: dict[str, Any]) -> dict[int, int]:
    """A declaration's `pinned` (product id -> [submission id, hash]) as product -> submission."""
    return {int(p): int(v[0]) for p, v in pinned.items()}


def pins_of(d: Declaration) -> dict[int, int]:
    return pins_of_map(d.pinned)


def computed(session: Session, d: Declaration) -> CarbonContent:
    """The declaration's carbon content recomputed from its pins."""
    return Chain(session, pins_of(d)).of(d.product_id)


def for_declaration(session: Session, d: Declaration) -> CarbonContent:
    """As pinned; a declaration made before carbon content was pinned gets it computed from
    its pins (the same pins, so the same value), outside its content hash."""
    if d.carbon_content is not None:
        return CarbonContent.from_json(d.carbon_content)
    return computed(session, d)
