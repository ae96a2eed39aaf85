"""Suppliers' primary data: submissions (versioned), their activity inputs and evidence files."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, str_enum, utcnow
from footprint_platform.models.catalog import Product
from footprint_platform.models.external import ExternalFootprint
from footprint_platform.models.factors import FactorRelease


class SubmissionStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SUPERSEDED = "superseded"


class InputKind(enum.StrEnum):
    """The kinds of activity data a supplier enters per declared unit of its product."""

    ELECTRICITY = "electricity"
    FUEL = "fuel"  # fuels and purchased heat or steam
    PROCESS = "process"  # process emissions, by gas
    MATERIAL = "material"
    TRANSPORT = "transport"
    COPRODUCT = "coproduct"
    WASTE = "waste"


class Provenance(enum.StrEnum):
    """Where an activity row's figure comes from (PACT Methodology v3: primary data are
    measured at, or calculated from measurements of, the reporting company's own processes;
    estimates and database values are secondary)."""

    MEASURED = "measured"
    CALCULATED = "calculated"  # calculated from measured data (e.g. metered total allocated)
    ESTIMATED = "estimated"
    SECONDARY = "secondary"  # a database or literature value


PRIMARY_PROVENANCE = frozenset({Provenance.MEASURED.value, Provenance.CALCULATED.value})
# The three PACT v3 data-quality indicators (dqi), each rated 1 (best) to 5, per row and as
# the submission's defaults; the single `dqr` is their mean.
RATING_FIELDS = ("dqr_technological", "dqr_temporal", "dqr_geographical")


class Submission(Base):
    """One organization's primary data for one product and reference period, in one version.

    A draft may change; once submitted it is immutable (enforced in the service and by the
    content hash); a correction is a new version that supersedes it.
    """

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("product_id", "period_start", "period_end", "version"),
        # One open draft per product and period, also when two requests start one at once.
        Index(
            "uq_submission_one_draft",
            "product_id",
            "period_start",
            "period_end",
            unique=True,
            postgresql_where=text("status = 'draft'"),
            sqlite_where=text("status = 'draft'"),
        ),
        # The submitted versions by period, their ids in the index itself: what a run after one
        # submission reads to patch the snapshot, and the count of earlier periods' versions
        # that tells whether carried-forward data changed. Partial, so that a query on a
        # product's submitted versions keeps using the product index.
        Index(
            "ix_submission_current",
            "period_end",
            "period_start",
            "id",
            postgresql_where=text("status = 'submitted'"),
            sqlite_where=text("status = 'submitted'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[SubmissionStatus] = mapped_column(str_enum(SubmissionStatus, "sub_status"))
    rule_code: Mapped[str] = mapped_column(String(40))
    rule_version: Mapped[str] = mapped_column(String(16))
    factor_release_id: Mapped[int] = mapped_column(ForeignKey("factor_release.id"))
    production_volume: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    # Derived: the mean of the three ratings below (the submission's defaults for its rows).
    dqr: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    dqr_technological: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    dqr_temporal: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    dqr_geographical: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    notes: Mapped[str | None] = mapped_column(Text)
    # The product's own carbon content as the maker states it (e.g. by elemental analysis),
    # kg C per declared unit, fossil and biogenic: it takes precedence over the sum of its
    # materials' carbon (disclosure/carbon_content.py). None: not stated.
    carbon_fossil: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    carbon_biogenic: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    # Why material inputs lie outside the rule's mass-balance range (intake/completeness.py):
    # without it such a version cannot be submitted; a verification must accept it.
    mass_balance_reason: Mapped[str | None] = mapped_column(Text)
    # Inputs left out under the rule's cut-off: [{"what": str, "percent": "0.8"}], each with
    # its estimated share of this product's footprint in percent.
    exclusions: Mapped[list[dict[str, str]] | None] = mapped_column(JSON(none_as_null=True))
    channel: Mapped[str] = mapped_column(String(8), default="web")
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    product: Mapped[Product] = relationship()
    factor_release: Mapped[FactorRelease] = relationship()
    inputs: Mapped[list[SubmissionInput]] = relationship(
        back_populates="submission",
        order_by="SubmissionInput.position",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def editable(self) -> bool:
        return self.status is SubmissionStatus.DRAFT


class SubmissionInput(Base):
    """One row of activity data, per declared unit of the submission's product.

    Which columns apply depends on `kind`; the validation in services/intake/activity.py says which.
    A material links to a supplier's product (primary), to a partner's footprint imported over
    PACT (external), or to a factor dataset (secondary): exactly one.
    """

    __tablename__ = "submission_input"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[InputKind] = mapped_column(str_enum(InputKind, "input_kind"))
    stage: Mapped[str] = mapped_column(String(24))
    description: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(24, 10))
    unit: Mapped[str] = mapped_column(String(16))
    factor_code: Mapped[str | None] = mapped_column(String(80))
    linked_product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    # Or to a partner's footprint imported over PACT (external, a leaf of the graph).
    external_footprint_id: Mapped[int | None] = mapped_column(
        ForeignKey("external_footprint.id"), index=True
    )
    grid_region: Mapped[str | None] = mapped_column(String(16))
    instrument: Mapped[str | None] = mapped_column(String(24))
    gas: Mapped[str | None] = mapped_column(String(16))
    distance_km: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    allocation_basis: Mapped[str | None] = mapped_column(String(12))
    allocation_share: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    # Derived: the mean of the row's three ratings (None: the submission's defaults apply).
    dqr: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    # Recycled content and end of life (the rule's `[end_of_life]`, supply_graph/circular.py):
    # a material's recycled share R1 and the recycled dataset Erec it uses (R1 = 1 without any
    # dataset: scrap fed to a recycler, burden-free); a waste or end-of-life row's share
    # recycled R2, the dataset of that recycling ErecEoL and the virgin dataset E*v it replaces.
    recycled_share: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    recycled_factor_code: Mapped[str | None] = mapped_column(String(80))
    virgin_factor_code: Mapped[str | None] = mapped_column(String(80))
    # Stated uncertainty, normalized (services/intake/activity.py): "1.2" a geometric standard
    # deviation (lognormal), "-10/+20" a range in percent (uniform); None: from the rating.
    uncertainty: Mapped[str | None] = mapped_column(String(24))
    # Electricity under a contractual instrument: the registered record's id (platform-wide
    # unique, models/instruments.py) and the transmission-and-distribution factor the rule adds
    # to its kWh (the roll-up adds its value to the row's factor).
    certificate_id: Mapped[str | None] = mapped_column(String(100))
    td_factor_code: Mapped[str | None] = mapped_column(String(80))
    dqr_technological: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    dqr_temporal: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    dqr_geographical: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    # `Provenance` of the row's own activity figure; None where the row's emissions are
    # another product's or partner's footprint (a link) or a co-product's share.
    provenance: Mapped[str | None] = mapped_column(String(12))
    # A material's carbon content, kg C per unit of the row's quantity, fossil and biogenic
    # (PACT fossilCarbonContent / biogenicCarbonContent of what it adds to the product);
    # None: not stated (a linked product's or imported footprint's own value then applies).
    carbon_fossil: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    carbon_biogenic: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))

    submission: Mapped[Submission] = relationship(back_populates="inputs")
    linked_product: Mapped[Product | None] = relationship()
    external_footprint: Mapped[ExternalFootprint | None] = relationship()
    evidence: Mapped[Evidence | None] = relationship()


class Evidence(Base):
    """A file that backs a claim (a green-electricity certificate, a meter reading, an
    invoice). Stored in the database with its SHA-256 so it travels with backups."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("organization_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
