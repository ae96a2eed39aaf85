"""Marshmallow schemas: one definition of each input and output, shared by the API and the
HTML forms, with explicit validators (the OpenAPI document is a contract that fuzzers test).

One module because every input and output schema of the API and the forms sits in one place, so
a field is defined once and the OpenAPI document reads from one module; the schemas are
declarations, not logic."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from footprint_platform.battery import vehicle_categories
from footprint_platform.errors import InvalidInput
from footprint_platform.models import MemberRole, OrgRole, TokenScope
from footprint_platform.reference import country_names, load_reference
from footprint_platform.services.graph import periods

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


class DecimalString(fields.Decimal):
    """A decimal that travels as a JSON string ("55.5"), never as a binary float; numbers are
    accepted on input. Documented in OpenAPI as a string with format decimal."""

    def __init__(self, **kwargs: Any):
        metadata = {"pattern": r"^[+-]?\d+(\.\d+)?$", **kwargs.pop("metadata", {})}
        super().__init__(as_string=True, allow_nan=False, metadata=metadata, **kwargs)


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
    bpnl = fields.String(allow_none=True)
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
    bpnl = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Regexp(
            r"^BPNL[A-Z0-9]{12}$", error="A BPNL is BPNL followed by 12 capital letters or digits."
        ),
        metadata={
            "description": "Catena-X business partner number of the legal entity",
            "example": "BPNL000000000DWF",
        },
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
    capacity_kwh = DecimalString(allow_none=True)
    mass_kg = DecimalString(allow_none=True)
    vehicle_category = fields.String(allow_none=True)
    service_life_years = fields.Integer(allow_none=True)
    warranty_km = fields.Integer(allow_none=True)
    usable_energy_kwh = DecimalString(allow_none=True)
    battery_code = fields.String(allow_none=True)
    version = fields.Integer()


def _positive_decimal(max_value: int) -> DecimalString:
    def in_range(value: Any) -> None:
        if not 0 < value <= max_value:
            raise ValidationError(f"Must be greater than 0 and at most {max_value}.")

    return DecimalString(
        load_default=None,
        allow_none=True,
        places=4,
        validate=in_range,
        metadata={"description": f"decimal string, > 0 and <= {max_value}", "example": "55.5"},
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
    vehicle_category = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(vehicle_categories()),
        metadata={"description": "batteries: the vehicle category it is made for (M1, N1 …)"},
    )
    # Traction-battery warranties run 8 years or so; 30 bounds typing errors, not products.
    service_life_years = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=30),
        metadata={"description": "batteries: service life = warranty, in years"},
    )
    # A warranty by distance as well (the shorter term applies where the rule converts km).
    warranty_km = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=5_000_000),
        metadata={"description": "batteries: warranty distance, km (optional)"},
    )
    # E_total of the draft delegated act starts from the usable energy at the beginning of life.
    usable_energy_kwh = _positive_decimal(10_000)
    # Checked segment by segment in catalogue.catalog (it must also fit category and chemistry).
    battery_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={
            "description": "batteries: China's GB/T 34014 traction-battery code of one unit "
            "(24 characters; spaces and hyphens are dropped)",
            "example": "03HPB0A1A2B3C4R8F0000125",
        },
    )
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class ProductPatchSchema(ProductInputSchema):
    """A partial change of a product (API PATCH)."""


class ProductPeriodSchema(FormSchema):
    """A product of the organization and a reference period (starting a submission, making a
    declaration); `reason` says why a declaration gets a new version."""

    product_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    reason = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=500), _text]
    )


class DeclareFormSchema(ProductPeriodSchema):
    """Making a declaration: optionally under a rule named among those that apply to the
    product's category (a jurisdiction's: China's or the EU's); empty: the category's
    default."""

    rule_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


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


# marshmallow's messages (and our validators'), said in the reader's language. Matched by prefix
# because some carry values ("Must be one of: kg, t.").
_MESSAGES = (
    ("Missing data for required field.", _l("Required.")),
    ("Field may not be null.", _l("Required.")),
    ("Not a valid integer.", _l("Enter a whole number.")),
    ("Not a valid number.", _l("Enter a number.")),
    ("Not a valid decimal.", _l("Enter a number.")),
    ("Special numeric values (nan or infinity) are not permitted.", _l("Enter a finite number.")),
    ("Not a valid email address.", _l("Enter a valid e-mail address.")),
    ("Not a valid URL.", _l("Enter a web address starting with http:// or https://.")),
    ("Not a valid string.", _l("Enter text.")),
    ("Not a valid list.", _l("Choose one or more values.")),
    ("Not a valid date.", _l("Enter a date as YYYY-MM-DD.")),
    ("Must be one of:", _l("Choose one of the listed values.")),
    ("Longer than maximum length", _l("Too long.")),
    ("Shorter than minimum length", _l("Too short.")),
    ("Length must be between", _l("Too long or too short.")),
    ("Must be greater than", _l("Out of the allowed range.")),
    ("Must be less than", _l("Out of the allowed range.")),
    ("Control characters are not allowed.", _l("Control characters are not allowed.")),
    (
        "A unified social credit code has 18 characters.",
        _l("A unified social credit code has 18 characters (digits and capital letters)."),
    ),
    (
        "A BPNL is BPNL followed by",
        _l("A BPNL is BPNL followed by 12 capital letters or digits (16 characters)."),
    ),
    (
        "Letters, digits and",
        _l("Letters, digits and . _ / - only, starting with a letter or digit."),
    ),
)


def translate_message(message: str) -> str:
    for prefix, translated in _MESSAGES:
        if message.startswith(prefix):
            return str(translated)
    return message


def parse(schema: Schema, data: Any) -> dict[str, Any]:
    """Load input or raise InvalidInput naming each field and reason (in the reader's
    language)."""
    try:
        return dict(schema.load(data))
    except ValidationError as exc:
        messages = exc.normalized_messages()
        errors = {
            k: [translate_message(str(m)) for m in (v if isinstance(v, list) else [v])]
            for k, v in messages.items()
        }
        raise InvalidInput(str(_l("Some fields are invalid.")), errors) from exc


class DataRequestInputSchema(FormSchema):
    supplier_id = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    supplier_email = fields.Email(
        load_default=None, allow_none=True, validate=validate.Length(max=254)
    )
    part_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    due_date = fields.Date(required=True)
    message = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=2000), _text]
    )


class DataRequestSchema(Schema):
    id = fields.Integer()
    buyer_id = fields.Integer()
    supplier_id = fields.Integer(allow_none=True)
    supplier_email = fields.String(allow_none=True)
    product_id = fields.Integer(allow_none=True)
    part_number = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    due_date = fields.Date()
    message = fields.String(allow_none=True)
    status = fields.Function(
        lambda r: r.state(date.today()),
        metadata={
            "type": "string",
            "enum": ["pending", "overdue", "answered", "declined", "cancelled"],
        },
    )
    decline_reason = fields.String(allow_none=True)
    submission_id = fields.Integer(allow_none=True)
    substitute_reason = fields.String(allow_none=True)  # answered with another period's version
    created_at = fields.DateTime()


class DataRequestCreatedSchema(DataRequestSchema):
    join_link = fields.String(
        allow_none=True,
        metadata={"description": "one-time registration link for a supplier not yet on Tanlian"},
    )


class DeclineSchema(FormSchema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000), _text])


class LinkRequestSchema(FormSchema):
    product_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class LinkDeclineSchema(FormSchema):
    reason = fields.String(load_default="", validate=[validate.Length(max=2000), _text])


class AnswerSchema(FormSchema):
    submission_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    # only for a version of another period than the one requested (a substitute)
    substitute_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )
    confirm_substitute = fields.Boolean(load_default=False)


class InboxQuerySchema(FormSchema):
    direction = fields.String(
        load_default="incoming", validate=validate.OneOf(["incoming", "outgoing"])
    )


class PactClientInputSchema(FormSchema):
    name = _name(100)
    partner_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class PactCredentialInputSchema(FormSchema):
    """Credentials a partner's host system issued to us (services.pact.outbound checks the
    addresses); the secret is kept as typed, not stripped of inner characters."""

    # named apart from the client form's fields on the same page
    name = fields.String(
        required=True, data_key="cred_name", validate=[validate.Length(min=1, max=100), _text]
    )
    partner_id = fields.Integer(
        load_default=None,
        allow_none=True,
        data_key="cred_partner_id",
        validate=validate.Range(min=1, max=2**31 - 1),
    )
    base_url = fields.String(required=True, validate=validate.Length(min=1, max=300))
    token_url = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_secret = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PullFootprintSchema(FormSchema):
    credential_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    pf_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class PactRequestSchema(FormSchema):
    """A buyer's PACT request to a partner's host system (product ids checked by the service)."""

    credential_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    product_ids = fields.String(required=True, validate=validate.Length(min=1, max=12000))
    comment = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=2000), _text]
    )


class CatenaxRequestSchema(FormSchema):
    """A buyer's request to a partner's Catena-X PCF Exchange API (checked by the service)."""

    credential_id = fields.Integer(
        required=True, data_key="cx_credential_id", validate=validate.Range(min=1, max=2**31 - 1)
    )
    part_kind = fields.String(required=True, validate=validate.Length(min=1, max=40))
    part_id = fields.String(required=True, validate=[validate.Length(min=1, max=200), _text])
    data_model_version = fields.String(load_default="", validate=validate.Length(max=20))
    message = fields.String(
        load_default=None,
        allow_none=True,
        data_key="cx_message",
        validate=[validate.Length(max=2000), _text],
    )


class ShareSchema(FormSchema):
    product_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    buyer_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class PublicListQuerySchema(FormSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    category = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(sorted(load_reference().categories)),
    )
    chemistry = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(sorted(load_reference().chemistries)),
    )
    include_past = fields.Boolean(load_default=False)
    sort = fields.String(
        load_default="newest",
        validate=validate.OneOf(["newest", "footprint", "product", "company"]),
    )


class PeriodField(fields.String):
    """A reporting period in a query string or form (`key`), loaded as (start, end)."""

    def _deserialize(
        self, value: object, attr: str | None, data: object, **kw: object
    ) -> periods.Period:
        text = super()._deserialize(value, attr, data, **kw)
        try:
            return periods.parse_key(text)
        except ValueError as exc:
            raise ValidationError(str(_l("Not a valid period (YYYY-MM-DD:YYYY-MM-DD)."))) from exc

    def _serialize(self, value: object, attr: str | None, obj: object, **kw: object) -> str | None:
        return None if value is None else periods.key(value)  # type: ignore[arg-type]


class PeriodQuery(FormSchema):
    """A dashboard's query string: the reporting period it shows (none: the default)."""

    period = PeriodField(load_default=None, allow_none=True)


class FactorListQuerySchema(FormSchema):
    """The factor list's filters, order and page (services/catalogue/factor_tools.py)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    category = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(
            ("electricity", "fuel", "heat", "transport", "material", "process_gas", "waste")
        ),
    )
    geography = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=24), _text]
    )
    series = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(("carbon_footprint", "co2_emission", "life_cycle", "combustion")),
    )
    sort = fields.String(
        load_default="category",
        allow_none=True,
        validate=validate.OneOf(
            ("code", "name", "category", "value", "geography", "series", "year")
        ),
    )
    dir = fields.String(
        load_default="asc", allow_none=True, validate=validate.OneOf(("asc", "desc"))
    )
