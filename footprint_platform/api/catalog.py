"""API resources of the catalogue: organizations, sites and products."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from footprint_platform.api.auth import api_actor, authenticate_api_request
from footprint_platform.api.blueprint import Blueprint
from footprint_platform.extensions import db
from footprint_platform.policy import Action, authorize
from footprint_platform.schemas import (
    ListQuerySchema,
    OrganizationSchema,
    ProductInputSchema,
    ProductPatchSchema,
    ProductQuerySchema,
    ProductSchema,
    SiteInputSchema,
    SitePatchSchema,
    SiteSchema,
)
from footprint_platform.services.catalogue import catalog

blp = Blueprint("api_catalog", __name__, description="Organizations, sites and products")
blp.before_request(authenticate_api_request)
SECURITY = [{"bearerAuth": []}]


def _page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item)),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
            "total": ma.fields.Integer(),
        },
        name=name,
    )


OrganizationPage = _page_schema(OrganizationSchema, "OrganizationPage")
SitePage = _page_schema(SiteSchema, "SitePage")
ProductPage = _page_schema(ProductSchema, "ProductPage")


class OrgQuerySchema(ListQuerySchema):
    role = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(["supplier", "buyer", "verifier", "operator"]),
    )


def _paginate(stmt: Any, args: dict[str, Any]) -> dict[str, Any]:
    page = db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False)
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


def _doc(**extra: Any) -> dict[str, Any]:
    return {"security": SECURITY, **extra}


@blp.route("/organizations")
class Organizations(MethodView):
    @blp.doc(**_doc())
    @blp.arguments(OrgQuerySchema, location="query")
    @blp.response(200, OrganizationPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The organizations in the catalogue (name, country, roles)."""
        authorize(api_actor(), Action.READ_CATALOGUE)
        role = args.get("role")
        return _paginate(catalog.organizations_query(args.get("q"), role), args)


@blp.route("/organizations/<int:org_id>")
class OrganizationResource(MethodView):
    @blp.doc(**_doc())
    @blp.response(200, OrganizationSchema)
    def get(self, org_id: int) -> Any:
        """One organization's catalogue entry."""
        authorize(api_actor(), Action.READ_CATALOGUE)
        return catalog.get_organization(db.session, org_id)


@blp.route("/organizations/<int:org_id>/sites")
class Sites(MethodView):
    @blp.doc(**_doc())
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, SitePage)
    def get(self, args: dict[str, Any], org_id: int) -> Any:
        """The organization's production sites (members only)."""
        catalog.get_organization(db.session, org_id)
        authorize(api_actor(), Action.VIEW_SITES, org_id)
        return _paginate(catalog.sites_query(org_id), args)

    @blp.doc(**_doc())
    @blp.arguments(SiteInputSchema)
    @blp.response(201, SiteSchema)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Register a production site (write token)."""
        catalog.get_organization(db.session, org_id)
        return catalog.create_site(db.session, api_actor(), org_id, data)


@blp.route("/sites/<int:site_id>")
class SiteResource(MethodView):
    @blp.doc(**_doc())
    @blp.response(200, SiteSchema)
    def get(self, site_id: int) -> Any:
        """One site (members only)."""
        return catalog.get_site(db.session, api_actor(), site_id)

    @blp.doc(**_doc())
    @blp.arguments(SitePatchSchema(partial=True))
    @blp.response(200, SiteSchema)
    def patch(self, data: dict[str, Any], site_id: int) -> Any:
        """Change a site; send `version` to refuse the change if someone else changed it."""
        return catalog.update_site(db.session, api_actor(), site_id, data)


@blp.route("/products")
class Products(MethodView):
    @blp.doc(**_doc())
    @blp.arguments(ProductQuerySchema, location="query")
    @blp.response(200, ProductPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Search the product catalogue by part number or name, category and maker."""
        authorize(api_actor(), Action.READ_CATALOGUE)
        stmt = catalog.products_query(args["organization_id"], args["category"], args["q"])
        return _paginate(stmt, args)


@blp.route("/organizations/<int:org_id>/products")
class OrganizationProducts(MethodView):
    @blp.doc(**_doc())
    @blp.arguments(ProductInputSchema)
    @blp.response(201, ProductSchema)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Register a product made at one of the organization's sites (write token)."""
        catalog.get_organization(db.session, org_id)
        return catalog.create_product(db.session, api_actor(), org_id, data)


@blp.route("/products/<int:product_id>")
class ProductResource(MethodView):
    @blp.doc(**_doc())
    @blp.response(200, ProductSchema)
    def get(self, product_id: int) -> Any:
        """One product's catalogue entry."""
        return catalog.get_product(db.session, api_actor(), product_id)

    @blp.doc(**_doc())
    @blp.arguments(ProductPatchSchema(partial=True))
    @blp.response(200, ProductSchema)
    def patch(self, data: dict[str, Any], product_id: int) -> Any:
        """Change a product; send `version` to refuse the change if someone else changed it."""
        return catalog.update_product(db.session, api_actor(), product_id, data)
