"""API resources: an organization's shares and link requests. Making or revoking a share and
accepting or declining a link request (a share) are a person's decision (policy.py): they are
on the web pages only. A client may read them, and a buyer's client may ask for a link."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from footprint_platform.api.auth import api_actor, authenticate_api_request
from footprint_platform.api.blueprint import Blueprint
from footprint_platform.api.pagination import CursorQuerySchema, page
from footprint_platform.api.schemas_results import (
    LinkAskSchema,
    LinkRequestPage,
    LinkRequestSchema,
    SharePage,
)
from footprint_platform.extensions import db
from footprint_platform.services.catalogue import catalog, listings
from footprint_platform.services.relations import links

blp = Blueprint("api_sharing", __name__, description="Shares and link requests")
blp.before_request(authenticate_api_request)
DOC = {"security": [{"bearerAuth": []}]}


class LinkQuerySchema(CursorQuerySchema):
    direction = ma.fields.String(
        load_default="incoming", validate=ma.validate.OneOf(["incoming", "outgoing"])
    )


def _by_id(item: Any) -> list[Any]:
    return [item.id]


@blp.route("/organizations/<int:org_id>/shares")
class Shares(MethodView):
    @blp.etag
    @blp.doc(**DOC)
    @blp.arguments(CursorQuerySchema, location="query")
    @blp.response(200, SharePage)
    def get(self, args: dict[str, Any], org_id: int) -> Any:
        """Which customers see which of the organization's products by name (revoked shares
        stay, marked), newest first."""
        catalog.get_organization(db.session, org_id)
        rows = listings.shares(
            db.session, api_actor(), org_id, after=args["cursor"], limit=args["limit"]
        )
        return page(rows, args["limit"], _by_id)


@blp.route("/organizations/<int:org_id>/link-requests")
class LinkRequests(MethodView):
    @blp.etag
    @blp.doc(**DOC)
    @blp.arguments(LinkQuerySchema, location="query")
    @blp.response(200, LinkRequestPage)
    def get(self, args: dict[str, Any], org_id: int) -> Any:
        """Link requests the organization received (`incoming`) or sent (`outgoing`)."""
        catalog.get_organization(db.session, org_id)
        rows = listings.link_requests(
            db.session,
            api_actor(),
            org_id,
            args["direction"],
            after=args["cursor"],
            limit=args["limit"],
        )
        return page(rows, args["limit"], _by_id)

    @blp.doc(**DOC)
    @blp.arguments(LinkAskSchema)
    @blp.response(201, LinkRequestSchema)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Ask a product's maker to agree that the organization's submissions link it (write
        token); an open request is answered again."""
        catalog.get_organization(db.session, org_id)
        return links.ask(db.session, api_actor(), org_id, data["product_id"])


@blp.route("/link-requests/<int:request_id>")
class LinkRequestResource(MethodView):
    @blp.etag
    @blp.doc(**DOC)
    @blp.response(200, LinkRequestSchema)
    def get(self, request_id: int) -> Any:
        """One link request (members of either side)."""
        return links.get(db.session, api_actor(), request_id)


@blp.route("/link-requests/<int:request_id>/cancel")
class CancelLink(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, LinkRequestSchema)
    def post(self, request_id: int) -> Any:
        """The buyer withdraws its pending request (write token)."""
        return links.cancel(db.session, api_actor(), request_id)
