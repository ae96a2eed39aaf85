"""API resources: declarations (make a draft, send it to a verifier, publish, withdraw) and,
for verification bodies, what they were asked to verify. The services decide who may: the
maker's editors declare and publish, the verifier asked decides."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from footprint_platform.api.auth import api_actor, authenticate_api_request
from footprint_platform.api.blueprint import Blueprint
from footprint_platform.api.pagination import CursorQuerySchema, FilteredQuerySchema, page
from footprint_platform.api.schemas_results import (
    AskVerificationSchema,
    AssignmentSchema,
    DecisionSchema,
    DeclarationPage,
    DeclarationSchema,
    DeclareSchema,
    VerificationPage,
    VerificationSchema,
)
from footprint_platform.extensions import db
from footprint_platform.policy import Action
from footprint_platform.services.catalogue import catalog, listings
from footprint_platform.services.disclosure import declarations, publication
from footprint_platform.services.pact import delivery as pact_delivery

blp = Blueprint("api_declarations", __name__, description="Declarations and verification")
blp.before_request(authenticate_api_request)
DOC = {"security": [{"bearerAuth": []}]}


def _by_id(item: Any) -> list[Any]:
    return [item.id]


@blp.route("/organizations/<int:org_id>/declarations")
class Declarations(MethodView):
    @blp.etag
    @blp.doc(**DOC)
    @blp.arguments(FilteredQuerySchema, location="query")
    @blp.response(200, DeclarationPage)
    def get(self, args: dict[str, Any], org_id: int) -> Any:
        """The organization's declarations, every version, newest first (members)."""
        catalog.get_organization(db.session, org_id)
        rows = listings.declarations(
            db.session,
            api_actor(),
            org_id,
            period=args["period"],
            category=args["category"],
            after=args["cursor"],
            limit=args["limit"],
        )
        return page(rows, args["limit"], _by_id)

    @blp.doc(**DOC)
    @blp.arguments(DeclareSchema)
    @blp.response(201, DeclarationSchema)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Make a draft declaration from the period's latest result of one of the
        organization's products, pinned to its inputs (write token)."""
        catalog.get_organization(db.session, org_id)
        return declarations.declare_for(
            db.session,
            api_actor(),
            org_id,
            data["product_id"],
            (data["period_start"], data["period_end"]),
            data["reason"],
            data["rule_code"],
        )


@blp.route("/declarations/<int:declaration_id>")
class DeclarationResource(MethodView):
    @blp.etag
    @blp.doc(**DOC)
    @blp.response(200, DeclarationSchema)
    def get(self, declaration_id: int) -> Any:
        """One declaration (the maker's members)."""
        return publication.declaration_for(
            db.session, api_actor(), declaration_id, Action.VIEW_PRODUCTS
        )


@blp.route("/declarations/<int:declaration_id>/verification")
class AskVerification(MethodView):
    @blp.doc(**DOC)
    @blp.arguments(AskVerificationSchema)
    @blp.response(201, VerificationSchema)
    def post(self, data: dict[str, Any], declaration_id: int) -> Any:
        """Send the declaration to a verification body (write token)."""
        return publication.request_verification(
            db.session, api_actor(), declaration_id, data["verifier_id"]
        )


@blp.route("/declarations/<int:declaration_id>/publish")
class Publish(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, DeclarationSchema)
    def post(self, declaration_id: int) -> Any:
        """Publish a draft: verified, or self-declared where its rule allows (write token)."""
        return pact_delivery.publish_and_announce(db.session, api_actor(), declaration_id)


@blp.route("/declarations/<int:declaration_id>/withdraw")
class Withdraw(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, DeclarationSchema)
    def post(self, declaration_id: int) -> Any:
        """Withdraw a published declaration; it stays public, marked withdrawn (write token)."""
        return publication.withdraw(db.session, api_actor(), declaration_id)


@blp.route("/organizations/<int:org_id>/verifications")
class Verifications(MethodView):
    @blp.etag
    @blp.doc(**DOC)
    @blp.arguments(CursorQuerySchema, location="query")
    @blp.response(200, VerificationPage)
    def get(self, args: dict[str, Any], org_id: int) -> Any:
        """What the verification body was asked to verify, newest first (its members)."""
        catalog.get_organization(db.session, org_id)
        rows = listings.verifications(
            db.session, api_actor(), org_id, after=args["cursor"], limit=args["limit"]
        )
        return page(rows, args["limit"], _by_id)


@blp.route("/verifications/<int:verification_id>")
class VerificationResource(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, AssignmentSchema)
    def get(self, verification_id: int) -> Any:
        """One assignment with the declaration under review (the verifier asked; every read
        is logged for the declaration's owner)."""
        work = publication.open_assignment(db.session, api_actor(), verification_id)
        return work.verification


@blp.route("/verifications/<int:verification_id>/decision")
class Decision(MethodView):
    @blp.doc(**DOC)
    @blp.arguments(DecisionSchema)
    @blp.response(200, VerificationSchema)
    def post(self, data: dict[str, Any], verification_id: int) -> Any:
        """Verify or reject (findings required to reject; the verifier's write token)."""
        return publication.decide(
            db.session,
            api_actor(),
            verification_id,
            data["verdict"],
            data["findings"] or "",
            data["accepted"],
            publication.Statement(**{k: data[k] or "" for k in publication.STATEMENT_FIELDS}),
        )
