"""SQLAlchemy 2.x typed models. The schema exists only through the Alembic migrations."""

from footprint_platform.models.account import ApiToken, Invitation, PasswordReset, TokenScope, User
from footprint_platform.models.audit import AuditEvent, AuditLogImmutable
from footprint_platform.models.base import Base, utcnow
from footprint_platform.models.catalog import Product, Site
from footprint_platform.models.declarations import Declaration, DeclarationStatus
from footprint_platform.models.external import ExternalFootprint
from footprint_platform.models.factors import EmissionFactor, FactorRelease
from footprint_platform.models.instruments import ElectricityInstrument
from footprint_platform.models.notifications import (
    Notification,
    NotificationMode,
    NotificationPreference,
)
from footprint_platform.models.organization import (
    MemberRole,
    Membership,
    Organization,
    OrganizationRole,
    OrgRole,
)
from footprint_platform.models.pact import (
    PactAccessToken,
    PactClient,
    PactCredential,
    PactDelivery,
    PactEvent,
    PactRequestSent,
)
from footprint_platform.models.requests import DataRequest, RequestStatus
from footprint_platform.models.results import ProductResult, RollupJob, RollupRun, RollupSnapshot
from footprint_platform.models.sharing import FootprintShare, LinkRequest, LinkStatus
from footprint_platform.models.submission import (
    PRIMARY_PROVENANCE,
    RATING_FIELDS,
    Evidence,
    InputKind,
    Provenance,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.models.verification import (
    STANDARDS,
    Assurance,
    Verification,
    VerificationStatus,
)
from footprint_platform.models.webhooks import WebhookDelivery, WebhookEndpoint
from footprint_platform.models.whatif import WhatIfScenario

__all__ = [
    "PRIMARY_PROVENANCE",
    "RATING_FIELDS",
    "STANDARDS",
    "ApiToken",
    "Assurance",
    "AuditEvent",
    "AuditLogImmutable",
    "Base",
    "DataRequest",
    "Declaration",
    "DeclarationStatus",
    "ElectricityInstrument",
    "EmissionFactor",
    "Evidence",
    "ExternalFootprint",
    "FactorRelease",
    "FootprintShare",
    "InputKind",
    "Invitation",
    "LinkRequest",
    "LinkStatus",
    "MemberRole",
    "Membership",
    "Notification",
    "NotificationMode",
    "NotificationPreference",
    "OrgRole",
    "Organization",
    "OrganizationRole",
    "PactAccessToken",
    "PactClient",
    "PactCredential",
    "PactDelivery",
    "PactEvent",
    "PactRequestSent",
    "PasswordReset",
    "Product",
    "ProductResult",
    "Provenance",
    "RequestStatus",
    "RollupJob",
    "RollupRun",
    "RollupSnapshot",
    "Site",
    "Submission",
    "SubmissionInput",
    "SubmissionStatus",
    "TokenScope",
    "User",
    "Verification",
    "VerificationStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WhatIfScenario",
    "utcnow",
]
