"""Schemas of the results API: results per period, breakdowns, declarations, verification,
shares and link requests. Figures are strings with format decimal, as everywhere in the API."""

from __future__ import annotations

import marshmallow as ma

from footprint_platform.api.pagination import page_schema
from footprint_platform.extensions import db
from footprint_platform.schemas import DecimalString, FormSchema
from footprint_platform.services.disclosure import publication

ID = ma.validate.Range(min=1, max=2**31 - 1)


class ResultSchema(ma.Schema):
    """A product's newest result of one period (services.catalogue.listings.PeriodResult)."""

    product_id = ma.fields.Integer(attribute="product.id")
    part_number = ma.fields.String(attribute="product.part_number")
    name_en = ma.fields.String(attribute="product.name_en")
    name_zh = ma.fields.String(attribute="product.name_zh", allow_none=True)
    category = ma.fields.String(attribute="product.category")
    declared_unit = ma.fields.String(attribute="product.declared_unit")
    period_start = ma.fields.Date(attribute="run.period_start")
    period_end = ma.fields.Date(attribute="run.period_end")
    run_id = ma.fields.Integer(attribute="run.id")
    computed_at = ma.fields.DateTime(attribute="run.started_at")
    total = DecimalString(
        attribute="result.total", metadata={"description": "kg CO2e per declared unit"}
    )
    by_stage = ma.fields.Dict(
        attribute="result.by_stage",
        keys=ma.fields.String(),
        values=ma.fields.Float(),
        metadata={"description": "kg CO2e per declared unit by life-cycle stage"},
    )
    primary_data_share = DecimalString(attribute="result.primary_data_share")
    dqr = DecimalString(
        attribute="result.dqr",
        allow_none=True,
        metadata={"description": "data quality rating, 1 best … 5 worst"},
    )
    basis = ma.fields.String(
        attribute="result.basis",
        metadata={"enum": ["submitted", "generic"], "description": "the product's own data"},
    )
    upstream_missing = ma.fields.Boolean(
        attribute="result.upstream_missing",
        metadata={"description": "an upstream product has no data (counted as zero)"},
    )


class QualityGroupSchema(ma.Schema):
    tier = ma.fields.Integer()
    category = ma.fields.String()
    contribution = ma.fields.Float(metadata={"description": "kg CO2e per declared unit"})
    share = ma.fields.Float(metadata={"description": "part of the product's total"})
    primary_share = ma.fields.Float()
    dqr = ma.fields.Float(allow_none=True)
    bought_for = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "generic datasets: the category of the products buying them, one "
            "tier down the chain (each dataset counted beside each buyer); null otherwise"
        },
    )


class BreakdownSchema(ma.Schema):
    """The product's newest result grouped by tier and category: no upstream product or
    supplier is named."""

    product_id = ma.fields.Integer()
    computed = ma.fields.Boolean(metadata={"description": "false: nothing to break down yet"})
    period_start = ma.fields.Date(allow_none=True)
    period_end = ma.fields.Date(allow_none=True)
    run_id = ma.fields.Integer(allow_none=True)
    total = DecimalString(allow_none=True)
    by_stage = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    consistent = ma.fields.Boolean()
    groups = ma.fields.List(ma.fields.Nested(QualityGroupSchema))


class DeclarationSchema(ma.Schema):
    id = ma.fields.Integer()
    public_id = ma.fields.String()
    organization_id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    version = ma.fields.Integer()
    status = ma.fields.Function(
        lambda d: d.status.value,
        metadata={"type": "string", "enum": ["draft", "published", "superseded"]},
    )
    verification = ma.fields.Function(
        lambda d: publication.verification_status(db.session, d.id),
        metadata={
            "type": "string",
            "enum": ["unverified", "under_review", "verified", "rejected"],
        },
    )
    declared_unit = ma.fields.String()
    total = DecimalString()
    by_stage = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())
    primary_data_share = DecimalString()
    dqr = DecimalString(allow_none=True)
    performance_class = ma.fields.String(allow_none=True)
    rule_code = ma.fields.String()
    rule_version = ma.fields.String()
    content_hash = ma.fields.String()
    preceding_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    published_at = ma.fields.DateTime(allow_none=True)
    withdrawn_at = ma.fields.DateTime(allow_none=True)


class DeclareSchema(FormSchema):
    product_id = ma.fields.Integer(required=True, validate=ID)
    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)
    reason = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=500)
    )
    # a rule among those that apply to the product's category (power_battery_cn,
    # power_battery_eu for batteries); absent: the category's default rule
    rule_code = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=40)
    )


class AskVerificationSchema(FormSchema):
    verifier_id = ma.fields.Integer(required=True, validate=ID)


class VerificationSchema(ma.Schema):
    id = ma.fields.Integer()
    declaration_id = ma.fields.Integer()
    verifier_id = ma.fields.Integer()
    status = ma.fields.Function(
        lambda v: v.status.value,
        metadata={"type": "string", "enum": ["under_review", "verified", "rejected"]},
    )
    findings = ma.fields.String(allow_none=True)
    requested_at = ma.fields.DateTime()
    decided_at = ma.fields.DateTime(allow_none=True)
    standard = ma.fields.String(allow_none=True)
    assurance = ma.fields.Function(
        lambda v: v.assurance.value if v.assurance else None,
        metadata={"type": "string", "enum": ["limited", "reasonable"], "nullable": True},
    )
    accreditation_body = ma.fields.String(allow_none=True)
    accreditation_number = ma.fields.String(allow_none=True)
    materiality_percent = ma.fields.Decimal(as_string=True, allow_none=True)
    scope = ma.fields.String(allow_none=True)
    statement_date = ma.fields.Date(allow_none=True)


class AssignmentSchema(VerificationSchema):
    """A verification with the declaration under review (what the verifier may see)."""

    declaration = ma.fields.Nested(DeclarationSchema)


class DecisionSchema(FormSchema):
    verdict = ma.fields.String(required=True, validate=ma.validate.OneOf(["verified", "rejected"]))
    findings = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=5000),
        metadata={"description": "required for either verdict"},
    )
    accepted = ma.fields.List(
        ma.fields.Integer(),
        load_default=list,
        validate=ma.validate.Length(max=10000),
        metadata={
            "description": "the submission ids whose mass-balance reasons the verifier accepts "
            "(every one stated must be accepted to verify)"
        },
    )
    standard = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=64),
        metadata={"description": "to verify: ISO 14067:2018, ISO 14064-3:2019 or GB/T 24067-2024"},
    )
    assurance = ma.fields.String(
        load_default="", metadata={"description": "to verify: limited or reasonable"}
    )
    accreditation_body = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    accreditation_number = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))
    materiality_percent = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=20),
        metadata={"description": "to verify: % of the declared total, > 0 and <= 100"},
    )
    scope = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))
    statement_date = ma.fields.String(
        load_default="", metadata={"description": "to verify: YYYY-MM-DD, not in the future"}
    )


class ShareSchema(ma.Schema):
    id = ma.fields.Integer()
    organization_id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    buyer_id = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    revoked_at = ma.fields.DateTime(allow_none=True)


class LinkRequestSchema(ma.Schema):
    id = ma.fields.Integer()
    buyer_id = ma.fields.Integer()
    supplier_id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    status = ma.fields.Function(
        lambda r: r.status.value,
        metadata={
            "type": "string",
            "enum": ["pending", "accepted", "declined", "cancelled"],
        },
    )
    decline_reason = ma.fields.String(allow_none=True)
    share_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    closed_at = ma.fields.DateTime(allow_none=True)


class LinkAskSchema(FormSchema):
    product_id = ma.fields.Integer(required=True, validate=ID)


ResultPage = page_schema(ResultSchema, "ResultPage")
DeclarationPage = page_schema(DeclarationSchema, "DeclarationPage")
VerificationPage = page_schema(VerificationSchema, "VerificationPage")
SharePage = page_schema(ShareSchema, "SharePage")
LinkRequestPage = page_schema(LinkRequestSchema, "LinkRequestPage")
