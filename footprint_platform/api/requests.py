"""API resources: data requests between buyers and suppliers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from footprint_platform.api.auth import api_actor, authenticate_api_request
from footprint_platform.api.blueprint import Blueprint
from footprint_platform.extensions import db
from footprint_platform.links import public_url
from footprint_platform.policy import Action, authorize
from footprint_platform.schemas import (
    AnswerSchema,
    DataRequestCreatedSchema,
    DataRequestInputSchema,
    DataRequestSchema,
    DeclineSchema,
    InboxQuerySchema,
)
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.exchange import requests

blp = Blueprint("api_requests", __name__, description="Data requests")
blp.before_request(authenticate_api_request)
DOC = {"security": [{"bearerAuth": []}]}


@blp.route("/organizations/<int:org_id>/requests")
class Inbox(MethodView):
    @blp.doc(**DOC)
    @blp.arguments(InboxQuerySchema, location="query")
    @blp.response(200, DataRequestSchema(many=True))
    def get(self, args: dict[str, Any], org_id: int) -> Any:
        """Requests the organization received (incoming) or sent (outgoing)."""
        catalog.get_organization(db.session, org_id)
        authorize(api_actor(), Action.VIEW_REQUESTS, org_id)
        return db.session.scalars(requests.inbox_query(org_id, args["direction"]))

    @blp.doc(**DOC)
    @blp.arguments(DataRequestInputSchema)
    @blp.response(201, DataRequestCreatedSchema)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Ask a supplier (on Tanlian, or by e-mail) for data on a product by part number.
        For a supplier not on Tanlian the answer carries `join_link`, shown only once: send
        it to the supplier so it can register its company."""
        catalog.get_organization(db.session, org_id)
        created, token = requests.create_request(db.session, api_actor(), org_id, data)
        # Not stored: the link exists only in this answer (only its hash is in the database).
        created.join_link = public_url("auth.join_supplier", token=token) if token else None
        return created


@blp.route("/requests/<int:request_id>")
class RequestResource(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, DataRequestSchema)
    def get(self, request_id: int) -> Any:
        """One request (members of the buyer or the supplier)."""
        return requests.get_request(db.session, api_actor(), request_id)


@blp.route("/requests/<int:request_id>/decline")
class Decline(MethodView):
    @blp.doc(**DOC)
    @blp.arguments(DeclineSchema)
    @blp.response(200, DataRequestSchema)
    def post(self, data: dict[str, Any], request_id: int) -> Any:
        """The supplier declines, saying why."""
        return requests.decline(db.session, api_actor(), request_id, data["reason"])


@blp.route("/requests/<int:request_id>/cancel")
class Cancel(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, DataRequestSchema)
    def post(self, request_id: int) -> Any:
        """The buyer withdraws the request."""
        return requests.cancel(db.session, api_actor(), request_id)


@blp.route("/requests/<int:request_id>/answer")
class Answer(MethodView):
    @blp.doc(**DOC)
    @blp.arguments(AnswerSchema)
    @blp.response(200, DataRequestSchema)
    def post(self, data: dict[str, Any], request_id: int) -> Any:
        """The supplier answers with a submitted version of the requested product for the
        requested period; another period's version only with `substitute_reason` and
        `confirm_substitute: true` (the reason is shown to the buyer)."""
        return workflow.answer_request(
            db.session,
            api_actor(),
            request_id,
            data["submission_id"],
            data["substitute_reason"],
            data["confirm_substitute"],
        )
