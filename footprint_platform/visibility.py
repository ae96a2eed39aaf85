"""What an organization may see of other organizations' products: the one written rule.

Beside `policy.py`, which says who may call what, this module says which product figures and
names a page, figure, export or explanation may show to a reader acting for an organization.

A product's **figure** (its footprint per declared unit, its stages, rating or primary-data
share, or anything it can be read back from) may be shown to organization O when
  1. O makes the product; or
  2. its maker shares it with O (an active share: explicit, by answering O's data request, or
     by accepting O's link request); or
  3. its newest published declaration, not withdrawn, in the same declared unit, is still the
     product's current figure (the caller passes the figure it would show to compare).
Nothing else: not a deeper supplier seen through a shared product, not a product O merely
links. A linked product without its maker's consent is valued with a secondary dataset in O's
results (services/relations/consent.py), so O's own total never carries that figure.

A product may be **named** to O as part of O's supply chain when O makes it, when its maker
shares it with O, or when O links it in one of its own submissions (O chose it from the
catalogue itself). A published declaration makes a figure known, not a relationship: a deeper
product is not named in O's chain for being published, since that would tell O who supplies
its suppliers. Every other upstream product is grouped by tier and category.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    FootprintShare,
    Product,
    Submission,
    SubmissionInput,
)
from footprint_platform.models.results import STORED_SCALE
from footprint_platform.rules import rule_version
from supply_graph import RELATIVE_TOLERANCE


def newest_published(session: Session, product_id: int) -> Declaration | None:
    """The product's newest published declaration that is not withdrawn."""
    return session.scalars(
        select(Declaration)
        .where(
            Declaration.product_id == product_id,
            Declaration.published_at.is_not(None),
            Declaration.withdrawn_at.is_(None),
            Declaration.status != DeclarationStatus.DRAFT,
        )
        .order_by(Declaration.period_end.desc(), Declaration.version.desc())
        .limit(1)
    ).first()


class Visibility:
    """The rule for one reading organization; the sets it needs are read once, on first use
    (each is small: the organization's own products, its shares, its links)."""

    def __init__(self, session: Session, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id

    @cached_property
    def own(self) -> frozenset[int]:
        return frozenset(
            self.session.scalars(
                select(Product.id).where(Product.organization_id == self.organization_id)
            )
        )

    @cached_property
    def shared(self) -> frozenset[int]:
        """Products shared with the organization (active shares)."""
        return frozenset(
            self.session.scalars(
                select(FootprintShare.product_id).where(
                    FootprintShare.buyer_id == self.organization_id,
                    FootprintShare.revoked_at.is_(None),
                )
            )
        )

    @cached_property
    def linked(self) -> frozenset[int]:
        """Products linked in any of the organization's own submissions."""
        return frozenset(
            int(p)
            for p in self.session.scalars(
                select(SubmissionInput.linked_product_id)
                .join(Submission, Submission.id == SubmissionInput.submission_id)
                .where(
                    Submission.organization_id == self.organization_id,
                    SubmissionInput.linked_product_id.is_not(None),
                )
                .distinct()
            )
        )

    def may_see_figure(
        self,
        product_id: int,
        current: tuple[float, Mapping[str, float]] | None = None,
    ) -> bool:
        """May the organization see this product's figure? `current` (total, by stage) is the
        figure the caller would show; without it a published declaration does not count."""
        if product_id in self.own or product_id in self.shared:
            return True
        return current is not None and self._published_is(product_id, *current)

    def may_name(self, product_id: int) -> bool:
        """May the organization see this product named in its supply chain?"""
        return product_id in self.own or product_id in self.shared or product_id in self.linked

    def nameable(self, product_ids: Iterable[int]) -> set[int]:
        """Of `product_ids`, those the organization may name."""
        return set((self.own | self.shared | self.linked) & set(product_ids))

    def _published_is(self, product_id: int, total: float, by_stage: Mapping[str, float]) -> bool:
        """Is the product's newest published declaration exactly this figure?"""
        declaration = newest_published(self.session, product_id)
        product = self.session.get(Product, product_id)
        if declaration is None or product is None:
            return False
        if declaration.declared_unit != product.declared_unit:
            return False
        pairs = [(float(declaration.total), total)]
        if rule_version(declaration.rule_code, declaration.rule_version).stage_model is None:
            # stages as the makers labelled them (rule 1.0): the engine's columns, compared;
            # a rule with a stage model splits relative to the product, and the total decides
            stored = {s: float(v) for s, v in declaration.by_stage.items()}
            pairs += [(stored.get(s, 0.0), float(v)) for s, v in by_stage.items()]
        return all(
            math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=STORED_SCALE) for a, b in pairs
        )


def for_organization(session: Session, organization_id: int) -> Visibility:
    return Visibility(session, organization_id)
