"""API resources: an organization's results per period and a product's breakdown, for the
maker's members (the same rule as its portfolio and dashboard pages)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from footprint_platform.api.auth import api_actor, authenticate_api_request
from footprint_platform.api.blueprint import Blueprint
from footprint_platform.api.pagination import FilteredQuerySchema, page
from footprint_platform.api.schemas_results import BreakdownSchema, ResultPage
from footprint_platform.extensions import db
from footprint_platform.services.catalogue import catalog, listings
from footprint_platform.services.graph import breakdowns

blp = Blueprint("api_results", __name__, description="Results and breakdowns")
blp.before_request(authenticate_api_request)
DOC = {"security": [{"bearerAuth": []}]}


@blp.route("/organizations/<int:org_id>/results")
class Results(MethodView):
    @blp.etag
    @blp.doc(**DOC)
    @blp.arguments(FilteredQuerySchema, location="query")
    @blp.response(200, ResultPage)
    def get(self, args: dict[str, Any], org_id: int) -> Any:
        """The newest result of each of the organization's products per period: total, stages,
        primary-data share, data quality and basis. Filter by `period` and `category`; page
        with `cursor`. Send the ETag back as If-None-Match to get 304 when nothing changed."""
        catalog.get_organization(db.session, org_id)
        rows = listings.results(
            db.session,
            api_actor(),
            org_id,
            period=args["period"],
            category=args["category"],
            after=args["cursor"],
            limit=args["limit"],
        )
        return page(rows, args["limit"], lambda r: r.key)


@blp.route("/products/<int:product_id>/breakdown")
class Breakdown(MethodView):
    @blp.etag
    @blp.doc(**DOC)
    @blp.response(200, BreakdownSchema)
    def get(self, product_id: int) -> Any:
        """The product's newest result by tier and category of its upstream, with the data
        quality of each group, as the maker's members see it on the product's page: no
        upstream product or supplier is named."""
        found = breakdowns.explain_latest(db.session, api_actor(), product_id)
        return breakdowns.as_groups(found)
