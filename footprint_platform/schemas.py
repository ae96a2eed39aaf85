"""Marshmallow schemas: one definition of each input and output, shared by the API and the
HTML forms, with explicit validators (the OpenAPI document is a contract that fuzzers test)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from footprint_platform.errors import InvalidInput
from footprint_platform.models import MemberRole, OrgRole, TokenScope
from footprint_platform.reference import country_names, load_reference

_text = validate.Regexp(
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$", error="Control characters are not allowed."
)


def _name(max_len: int, required: bool = True) -> fields.String:
    return fields.String(
        required=required,
        allow_none=not required,
        validate=[validate.Length(min=1 if required else 0, max=max_len), _text],
    )


def _country() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.OneOf(sorted(country_names("en"))),
        metadata={"description": "ISO 3166-1 alpha-2 code", "example": "CN"},
    )


class FormSchema(Schema):
    """Schemas that also parse HTML forms: empty strings mean 'not given', unknown fields
    (the CSRF token, the submit button) are ignored."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _blank_to_none(self, data: Any, **_: Any) -> Any:
        if hasattr(data, "to_dict"):
            data = data.to_dict()
        if isinstance(data, dict):
            return {k: (None if v == "" else v) for k, v in data.items()}
        return data


class OrganizationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name_en = fields.String()
    name_zh = fields.String(allow_none=True)
    country = fields.String()
    roles = fields.Method("_roles", metadata={"type": "array", "items": {"type": "string"}})
    website = fields.String(allow_none=True)
    version = fields.Integer()

    def _roles(self, org: Any) -> list[str]:
        return sorted(r.value for r in org.roles)


class OrganizationUpdateSchema(FormSchema):
    name_en = _name(200)
    name_zh = _name(200, required=False)
    website = fields.URL(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=300),
        schemes={"http", "https"},
    )
    credit_code = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Regexp(
            r"^[0-9A-HJ-NPQRTUWXY]{18}$", error="A unified social credit code has 18 characters."
        ),
    )
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class OrganizationCreateSchema(OrganizationUpdateSchema):
    country = _country()
    roles = fields.List(
        fields.String(validate=validate.OneOf([r.value for r in OrgRole])),
        required=True,
        validate=validate.Length(min=1, max=4),
    )
    admin_email = fields.Email(load_default=None, allow_none=True)


class SiteSchema(Schema):
    id = fields.Integer(dump_only=True)
    organization_id = fields.Integer()
    name = fields.String()
    country = fields.String()
    province = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    grid_region = fields.String()
    version = fields.Integer()


class SiteInputSchema(FormSchema):
    name = _name(200)
    country = _country()
    province = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(sorted(load_reference().provinces)),
        metadata={"description": "Chinese province code (required for sites in China)"},
    )
    city = _name(100, required=False)
    grid_region = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=2, max=16),
        metadata={
            "description": "Grid region; derived from the province in China, "
            "the country code elsewhere, when not given"
        },
    )
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class ProductSchema(Schema):
    id = fields.Integer(dump_only=True)
    organization_id = fields.Integer()
    site_id = fields.Integer()
    name_en = fields.String()
    name_zh = fields.String(allow_none=True)
    part_number = fields.String()
    category = fields.String()
    declared_unit = fields.String()
    description = fields.String(allow_none=True)
    chemistry = fields.String(allow_none=True)
    capacity_kwh = fields.Decimal(as_string=True, allow_none=True)
    mass_kg = fields.Decimal(as_string=True, allow_none=True)
    version = fields.Integer()


def _positive_decimal(max_value: int) -> fields.Decimal:
    return fields.Decimal(
        load_default=None,
        allow_none=True,
        as_string=True,
        allow_nan=False,
        places=4,
        validate=validate.Range(min=0, min_inclusive=False, max=max_value),
    )


class SitePatchSchema(SiteInputSchema):
    """A partial change of a site (API PATCH)."""


class ProductInputSchema(FormSchema):
    site_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    name_en = _name(200)
    name_zh = _name(200, required=False)
    part_number = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=64),
            validate.Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._/\-]*$",
                error="Letters, digits and . _ / - only, starting with a letter or digit.",
            ),
        ],
    )
    category = fields.String(
        required=True, validate=validate.OneOf(sorted(load_reference().categories))
    )
    declared_unit = fields.String(
        required=True,
        validate=validate.OneOf(
            sorted({u for c in load_reference().categories.values() for u in c.units})
        ),
    )
    description = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=2000), _text]
    )
    chemistry = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(sorted(load_reference().chemistries)),
    )
    capacity_kwh = _positive_decimal(10_000)
    mass_kg = _positive_decimal(100_000)
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class ProductPatchSchema(ProductInputSchema):
    """A partial change of a product (API PATCH)."""


class InvitationInputSchema(FormSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in MemberRole]))


class ApiTokenInputSchema(FormSchema):
    name = _name(100)
    scope = fields.String(required=True, validate=validate.OneOf([s.value for s in TokenScope]))


class ListQuerySchema(FormSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class ProductQuerySchema(ListQuerySchema):
    category = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(sorted(load_reference().categories)),
    )
    organization_id = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1)
    )


def parse(schema: Schema, data: Any) -> dict[str, Any]:
    """Load input or raise InvalidInput naming each field and reason."""
    try:
        return dict(schema.load(data))
    except ValidationError as exc:
        messages = exc.normalized_messages()
        errors = {k: v if isinstance(v, list) else [str(v)] for k, v in messages.items()}
        raise InvalidInput("Some fields are invalid.", errors) from exc
