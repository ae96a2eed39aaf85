"""API resources: the organization's webhook endpoints and their delivery log, for an
integration's own write token (it registers its own callback address) or, on the web, the
organization's administrators (services/notify/webhooks.py)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from footprint_platform.api.auth import api_actor, authenticate_api_request
from footprint_platform.api.blueprint import Blueprint
from footprint_platform.extensions import db
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.notify import webhooks

blp = Blueprint("api_webhooks", __name__, description="Webhooks")
blp.before_request(authenticate_api_request)
DOC = {"security": [{"bearerAuth": []}]}


class EndpointSchema(ma.Schema):
    id = ma.fields.Integer()
    organization_id = ma.fields.Integer()
    url = ma.fields.String()
    events = ma.fields.List(ma.fields.String(metadata={"enum": list(webhooks.EVENTS)}))
    created_at = ma.fields.DateTime()
    disabled_at = ma.fields.DateTime(allow_none=True)


class EndpointCreatedSchema(EndpointSchema):
    secret = ma.fields.String(
        metadata={"description": "the HMAC signing secret, shown only in this answer"}
    )


class EndpointInputSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    url = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    events = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(webhooks.EVENTS)),
        required=True,
        validate=ma.validate.Length(min=1, max=len(webhooks.EVENTS)),
    )


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    endpoint_id = ma.fields.Integer()
    event = ma.fields.String()
    event_id = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["pending", "sent", "failed"]})
    attempts = ma.fields.Integer()
    last_status = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    next_attempt_at = ma.fields.DateTime()
    created_at = ma.fields.DateTime()
    sent_at = ma.fields.DateTime(allow_none=True)


@blp.route("/organizations/<int:org_id>/webhooks")
class Endpoints(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, EndpointSchema(many=True))
    def get(self, org_id: int) -> Any:
        """The organization's active endpoints (write token)."""
        catalog.get_organization(db.session, org_id)
        return webhooks.endpoints(db.session, api_actor(), org_id)

    @blp.doc(**DOC)
    @blp.arguments(EndpointInputSchema)
    @blp.response(201, EndpointCreatedSchema)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Register an endpoint for some events. The answer carries its signing secret, shown
        only once: verify each call's `Tanlian-Signature` with it (see the README)."""
        catalog.get_organization(db.session, org_id)
        made, secret = webhooks.create_endpoint(
            db.session, api_actor(), org_id, data["url"], data["events"]
        )
        made.secret = secret  # not stored: only in this answer (the row holds it sealed)
        return made


@blp.route("/webhooks/<int:endpoint_id>")
class EndpointResource(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, EndpointSchema)
    def delete(self, endpoint_id: int) -> Any:
        """Stop calling the endpoint; its delivery log stays (write token)."""
        return webhooks.disable_endpoint(db.session, api_actor(), endpoint_id)


@blp.route("/organizations/<int:org_id>/webhook-deliveries")
class Deliveries(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, DeliverySchema(many=True))
    def get(self, org_id: int) -> Any:
        """The newest 50 deliveries: event, status, attempts, the endpoint's last answer."""
        catalog.get_organization(db.session, org_id)
        return webhooks.deliveries_query(db.session, api_actor(), org_id)
