"""API shapes of factor releases and submissions (the domain checks live in services)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from footprint_platform.models import InputKind, Provenance
from footprint_platform.schemas import DecimalString

KINDS = [k.value for k in InputKind]
INSTRUMENTS = ["grid", "green_certificate", "ppa", "direct_supply", "onsite"]


def _opt_str(max_len: int, **kw: object) -> ma.fields.String:
    return ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=max_len), **kw
    )


def _opt_decimal(**kw: object) -> DecimalString:
    return DecimalString(load_default=None, allow_none=True, **kw)


def _opt_id() -> ma.fields.Integer:
    return ma.fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1)
    )


class FactorReleaseSchema(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.String()
    title = ma.fields.String()
    published_at = ma.fields.DateTime()
    source_sha256 = ma.fields.String()


class EmissionFactorSchema(ma.Schema):
    code = ma.fields.String()
    name_en = ma.fields.String()
    name_zh = ma.fields.String()
    category = ma.fields.String()
    unit = ma.fields.String()
    value = DecimalString()
    gas_basis = ma.fields.String()
    gwp = ma.fields.String(allow_none=True)
    series = ma.fields.String()
    geography = ma.fields.String()
    reference_year = ma.fields.Integer()
    published = ma.fields.String()
    range_low = DecimalString(allow_none=True)
    range_high = DecimalString(allow_none=True)
    source = ma.fields.String()
    licence = ma.fields.String()


class FactorQuerySchema(ma.Schema):
    category = ma.fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["electricity", "fuel", "heat", "transport", "material", "process_gas", "waste"]
        ),
    )
    q = ma.fields.String(load_default=None, validate=validate.Length(max=100))


RATING_HELP = "%s representativeness, PACT v3 dqi: 1 (best) to 5; all three or none"
DEFAULT_HELP = "the rows' default %s rating, PACT v3 dqi: 1 (best) to 5"
CARBON_ROW_HELP = (
    "material only: its %s carbon content, kg C per unit of the quantity (PACT v3 carbon "
    "content); omitted: not stated (a linked product's own value applies)"
)
CARBON_OWN_HELP = (
    "the product's own %s carbon content, kg C per declared unit, as measured or calculated "
    "by the maker; takes precedence over the sum of its materials' carbon"
)


class InputRowSchema(ma.Schema):
    """One row of activity data per declared unit of the product."""

    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS))
    stage = _opt_str(24)
    description = _opt_str(200)
    quantity = DecimalString(required=True)
    unit = ma.fields.String(required=True, validate=validate.Length(min=1, max=16))
    factor_code = _opt_str(80)
    linked_product_id = _opt_id()
    external_footprint_id = _opt_id()
    grid_region = _opt_str(16)
    instrument = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(INSTRUMENTS)
    )
    distance_km = _opt_decimal()
    allocation_basis = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["mass", "energy", "economic"])
    )
    allocation_share = _opt_decimal()
    evidence_id = _opt_id()
    dqr = _opt_decimal(
        metadata={"description": "derived: the mean of the three ratings (given alone: all three)"}
    )
    dqr_technological = _opt_decimal(metadata={"description": RATING_HELP % "technological"})
    dqr_temporal = _opt_decimal(metadata={"description": RATING_HELP % "temporal"})
    dqr_geographical = _opt_decimal(metadata={"description": RATING_HELP % "geographical"})
    provenance = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=12),  # the values are checked with the row (activity.py)
        metadata={
            "enum": [p.value for p in Provenance],
            "description": "where the row's figure comes from; required to submit the "
            "supplier's own activity (measured and calculated count as primary data)",
        },
    )
    recycled_share = _opt_decimal(
        metadata={
            "description": "material: recycled content R1; waste or end of life: share "
            "recycled R2 (0 to 1); 1 on a material without any dataset: scrap, burden-free"
        }
    )
    recycled_factor_code = _opt_str(
        80, metadata={"description": "the recycled dataset: Erec of an input, ErecEoL of waste"}
    )
    virgin_factor_code = _opt_str(
        80,
        metadata={
            "description": "E*v, the virgin dataset recycled output replaces: set from the rule"
        },
    )
    uncertainty = _opt_str(
        24,
        metadata={
            "description": "stated uncertainty: a geometric standard deviation such as '1.2' "
            "(lognormal) or a range in percent such as '-10/+20' (uniform); omitted: derived "
            "from the row's rating (pedigree approach)"
        },
    )
    certificate_id = _opt_str(100)
    carbon_fossil = _opt_decimal(metadata={"description": CARBON_ROW_HELP % "fossil"})
    carbon_biogenic = _opt_decimal(metadata={"description": CARBON_ROW_HELP % "biogenic"})
    td_factor_code = ma.fields.String(
        dump_only=True,
        metadata={"description": "transmission and distribution factor the rule adds"},
    )


class ExclusionSchema(ma.Schema):
    what = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    percent = DecimalString(
        required=True, metadata={"description": "estimated share of the footprint, percent"}
    )


class SubmissionContentSchema(ma.Schema):
    production_volume = _opt_decimal(metadata={"description": "declared units made in the period"})
    dqr = _opt_decimal(
        metadata={"description": "derived: the mean of the three ratings (given alone: all three)"}
    )
    dqr_technological = _opt_decimal(metadata={"description": DEFAULT_HELP % "technological"})
    dqr_temporal = _opt_decimal(metadata={"description": DEFAULT_HELP % "temporal"})
    dqr_geographical = _opt_decimal(metadata={"description": DEFAULT_HELP % "geographical"})
    notes = _opt_str(2000)
    carbon_fossil = _opt_decimal(metadata={"description": CARBON_OWN_HELP % "fossil"})
    carbon_biogenic = _opt_decimal(metadata={"description": CARBON_OWN_HELP % "biogenic"})
    mass_balance_reason = _opt_str(
        2000,
        metadata={
            "description": "why material inputs lie outside the rule's mass-balance range "
            "(needed to submit such a version; the verifier must accept it)"
        },
    )
    exclusions = ma.fields.List(
        ma.fields.Nested(ExclusionSchema),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=50),
        metadata={"description": "inputs left out under the rule's cut-off"},
    )
    inputs = ma.fields.List(
        ma.fields.Nested(InputRowSchema), required=True, validate=validate.Length(max=2000)
    )
    lock_version = ma.fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1)
    )


class SubmissionStartSchema(ma.Schema):
    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)


class SubmitSchema(ma.Schema):
    lock_version = ma.fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1)
    )


class SubmissionSchema(ma.Schema):
    id = ma.fields.Integer()
    organization_id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    version = ma.fields.Integer()
    status = ma.fields.Function(lambda s: s.status.value, metadata={"type": "string"})
    rule_code = ma.fields.String()
    rule_version = ma.fields.String()
    factor_release_id = ma.fields.Integer()
    production_volume = DecimalString(allow_none=True)
    dqr = DecimalString(allow_none=True)
    dqr_technological = DecimalString(allow_none=True)
    dqr_temporal = DecimalString(allow_none=True)
    dqr_geographical = DecimalString(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    carbon_fossil = DecimalString(allow_none=True)
    carbon_biogenic = DecimalString(allow_none=True)
    mass_balance_reason = ma.fields.String(allow_none=True)
    exclusions = ma.fields.List(ma.fields.Dict(), allow_none=True)
    channel = ma.fields.String()
    content_hash = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    submitted_at = ma.fields.DateTime(allow_none=True)
    supersedes_id = ma.fields.Integer(allow_none=True)
    lock_version = ma.fields.Integer()
    inputs = ma.fields.Method("_inputs", metadata={"type": "array", "items": {"type": "object"}})

    def _inputs(self, sub: object) -> list[dict[str, object]]:
        out = []
        for i in sub.inputs:  # type: ignore[attr-defined]
            row = InputRowSchema().dump(i)
            row["kind"] = i.kind.value
            out.append(row)
        return out


class SaveResultSchema(ma.Schema):
    submission = ma.fields.Nested(SubmissionSchema)
    warnings = ma.fields.List(ma.fields.String())


class EvidenceUploadSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class EvidenceSchema(ma.Schema):
    id = ma.fields.Integer()
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    uploaded_at = ma.fields.DateTime()
