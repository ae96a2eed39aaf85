"""API resources: the organization's electricity instruments (green certificates, PPAs,
direct-supply contracts) as records, registered with the same validation as the web form
(services/intake/instruments.py)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from footprint_platform.api.auth import api_actor, authenticate_api_request
from footprint_platform.api.blueprint import Blueprint
from footprint_platform.extensions import db
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.intake import instruments

blp = Blueprint("api_instruments", __name__, description="Electricity instruments")
blp.before_request(authenticate_api_request)
DOC = {"security": [{"bearerAuth": []}]}


class InstrumentSchema(ma.Schema):
    id = ma.fields.Integer()
    organization_id = ma.fields.Integer()
    site_id = ma.fields.Integer()
    certificate_id = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(instruments.KINDS)})
    issuer = ma.fields.String()
    generation = ma.fields.String(metadata={"enum": list(instruments.GENERATIONS)})
    volume_kwh = ma.fields.Decimal(as_string=True)
    vintage_start = ma.fields.Date()
    vintage_end = ma.fields.Date()
    geography = ma.fields.String()
    evidence_id = ma.fields.Integer()
    claimed_product_id = ma.fields.Integer(allow_none=True)
    claimed_period_start = ma.fields.Date(allow_none=True)
    claimed_period_end = ma.fields.Date(allow_none=True)
    claimed_kwh = ma.fields.Decimal(as_string=True, allow_none=True)
    created_at = ma.fields.DateTime()


class InstrumentInputSchema(ma.Schema):
    """Loose types on purpose: the service checks every field and names what is wrong, as
    the form does."""

    class Meta:
        unknown = ma.EXCLUDE

    certificate_id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    issuer = ma.fields.String(required=True)
    generation = ma.fields.String(required=True)
    volume_kwh = ma.fields.Raw(required=True, metadata={"description": "kWh, a decimal string"})
    vintage_start = ma.fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    vintage_end = ma.fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    site_id = ma.fields.Integer(required=True)
    geography = ma.fields.String(load_default=None, allow_none=True)
    evidence_id = ma.fields.Integer(
        required=True, metadata={"description": "the retirement statement or contract"}
    )


@blp.route("/organizations/<int:org_id>/electricity-instruments")
class Instruments(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, InstrumentSchema(many=True))
    def get(self, org_id: int) -> Any:
        """The organization's registered certificates and contracts, with their claims."""
        catalog.get_organization(db.session, org_id)
        return instruments.list_for(db.session, api_actor(), org_id)

    @blp.doc(**DOC)
    @blp.arguments(InstrumentInputSchema)
    @blp.response(201, InstrumentSchema)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Register a certificate or contract (write token). Its id is refused (409) if any
        organization registered it before: a certificate counts once on the platform."""
        catalog.get_organization(db.session, org_id)
        return instruments.register(db.session, api_actor(), org_id, data)
