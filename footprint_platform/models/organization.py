"""Organizations, their roles in the chain, people and memberships."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from footprint_platform.models.account import User


class OrgRole(enum.StrEnum):
    """What an organization is in the chain; one organization may hold several roles."""

    SUPPLIER = "supplier"
    BUYER = "buyer"
    VERIFIER = "verifier"
    OPERATOR = "operator"


class MemberRole(enum.StrEnum):
    """What a person may do for an organization: admins manage people and tokens, editors data."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return {"viewer": 1, "editor": 2, "admin": 3}[self.value]


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200), unique=True)
    name_zh: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    # 统一社会信用代码 (18 characters) for Chinese companies; optional for others.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    # Catena-X business partner number of the legal entity (BPNL + 12 letters or digits).
    bpnl: Mapped[str | None] = mapped_column(String(16), unique=True)
    website: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    role_rows: Mapped[list[OrganizationRole]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", lazy="selectin"
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="organization")

    __mapper_args__ = {"version_id_col": version}

    @property
    def roles(self) -> set[OrgRole]:
        return {r.role for r in self.role_rows}

    def has_role(self, role: OrgRole) -> bool:
        return role in self.roles

    def display_name(self, locale: str) -> str:
        return (self.name_zh or self.name_en) if locale.startswith("zh") else self.name_en


class OrganizationRole(Base):
    __tablename__ = "organization_role"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[OrgRole] = mapped_column(str_enum(OrgRole, "org_role"), primary_key=True)

    organization: Mapped[Organization] = relationship(back_populates="role_rows")


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, "member_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")
