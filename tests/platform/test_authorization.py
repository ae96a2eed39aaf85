"""The authorization matrix: every route of the application, called as every kind of actor.

The table below is the policy of docs/design.md ("Who may see what") written per route. A route that
is not in the table fails `test_every_route_has_a_policy`, so a new page or endpoint cannot
ship without its authorization being decided and tested.
"""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import Session
from tests.platform.demo_ids import Ids

PERSONAS = {
    "anonymous": None,
    "owner_admin": "admin@huadong-pack.example",
    "owner_viewer": "analyst@huadong-pack.example",
    "other_supplier": "data@lanhu-lithium.example",
    "buyer": "analyst@jinghai-motors.example",
    "verifier": "verifier@qingyuan-verify.example",
    "operator": "operator@tanlian.example",
}
OK, LOGIN, FORBIDDEN, NOT_FOUND, PUBLIC = "ok", "login", "forbidden", "not_found", "public"


def _policy(**given: str) -> dict[str, str]:
    default = given.pop("others", FORBIDDEN)
    return {p: given.get(p, default) for p in PERSONAS}


EVERYONE = _policy(others=OK)
ANY_STATUS = _policy(others=PUBLIC)
SIGNED_IN = _policy(anonymous=LOGIN, others=OK)
MEMBERS = _policy(anonymous=LOGIN, owner_admin=OK, owner_viewer=OK)
ADMINS = _policy(anonymous=LOGIN, owner_admin=OK)
EDITORS = ADMINS  # the demo pack maker has an admin and a viewer; editors are tested in services
OPERATOR = _policy(anonymous=LOGIN, operator=OK)
VERIFIER = _policy(anonymous=LOGIN, verifier=OK)
BAD_TOKEN = _policy(others=NOT_FOUND)
OWNERS = ("owner_admin", "owner_viewer")


def _record(policy: dict[str, str], *parties: str) -> dict[str, str]:
    """A route to one record by its id: to whoever is no party to the record it does not exist
    (404, as for an unknown id); its owner's members and its other `parties` may know it, so
    those not allowed get 403."""
    known = {*OWNERS, *parties}
    return {p: NOT_FOUND if v == FORBIDDEN and p not in known else v for p, v in policy.items()}


RECORD_MEMBERS = _record(MEMBERS)
RECORD_EDITORS = _record(EDITORS)

SITE = {"name": "Matrix site", "country": "CN", "province": "JS", "city": "Suzhou"}


def _product(ids: Ids) -> dict[str, Any]:
    return {
        "part_number": "MX-1",
        "name_en": "Matrix pack",
        "category": "battery_pack",
        "declared_unit": "kWh",
        "site_id": ids.site,
        "chemistry": "LFP",
        "capacity_kwh": "50",
        "mass_kg": "350",
    }


def _data_request(ids: Ids) -> dict[str, Any]:
    return {
        "supplier_id": ids.other_org,
        "part_number": "LH-LC-99.5",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "due_date": "2099-12-31",
    }


# (rule, method) -> (policy, path with {placeholders}, form data factory)
WEB: dict[tuple[str, str], tuple[dict[str, str], str, Any]] = {
    ("/", "GET"): (EVERYONE, "/", None),
    ("/login", "GET"): (EVERYONE, "/login", None),
    ("/login", "POST"): (ANY_STATUS, "/login", lambda ids: {"email": "x@y.example"}),
    ("/logout", "POST"): (SIGNED_IN, "/logout", None),
    ("/invitations/<token>", "GET"): (BAD_TOKEN, "/invitations/not-a-token", None),
    ("/invitations/<token>", "POST"): (BAD_TOKEN, "/invitations/not-a-token", None),
    ("/password/forgot", "GET"): (EVERYONE, "/password/forgot", None),
    ("/password/forgot", "POST"): (EVERYONE, "/password/forgot", lambda ids: {"email": "a@b.c"}),
    ("/password/reset/<token>", "GET"): (BAD_TOKEN, "/password/reset/nope", None),
    ("/password/reset/<token>", "POST"): (BAD_TOKEN, "/password/reset/nope", None),
    ("/language/<code>", "POST"): (EVERYONE, "/language/en", None),
    ("/account/password", "GET"): (SIGNED_IN, "/account/password", None),
    # a wrong current password: refused on content (422), after the person is signed in
    ("/account/password", "POST"): (
        SIGNED_IN,
        "/account/password",
        lambda ids: {"current_password": "not-the-password", "password": "matrix-pass-1"},
    ),
    ("/catalogue", "GET"): (SIGNED_IN, "/catalogue?q=pack", None),
    ("/dashboard/", "GET"): (SIGNED_IN, "/dashboard/", None),
    # A product's dashboard is for its maker's members; its buyer sees it only as a total.
    ("/dashboard/products/<int:product_id>", "GET"): (
        MEMBERS,
        "/dashboard/products/{product}",
        None,
    ),
    # What-if scenarios on a product: its maker's members (viewers too: nothing in the data
    # changes); saving an empty scenario is refused as content (422), deleting a scenario that
    # is gone is a no-op.
    ("/dashboard/products/<int:product_id>/whatif", "GET"): (
        MEMBERS,
        "/dashboard/products/{product}/whatif?add=green_share&source=wind&share=20",
        None,
    ),
    ("/dashboard/products/<int:product_id>/whatif/save", "POST"): (
        MEMBERS,
        "/dashboard/products/{product}/whatif/save",
        lambda ids: {"name": "Matrix", "changes": "[]"},
    ),
    ("/dashboard/products/<int:product_id>/whatif/delete", "POST"): (
        MEMBERS,
        "/dashboard/products/{product}/whatif/delete",
        lambda ids: {"scenario_id": "0"},
    ),
    ("/dashboard/products/<int:product_id>/whatif/compare", "GET"): (
        MEMBERS,
        "/dashboard/products/{product}/whatif/compare?scenario=1",
        None,
    ),
    # The comparison as a file: as the pages (a scenario's changes or saved ones).
    ("/dashboard/products/<int:product_id>/whatif/export.<any(csv, xlsx):fmt>", "GET"): (
        MEMBERS,
        "/dashboard/products/{product}/whatif/export.csv?changes="
        "%5B%7B%22kind%22%3A%22green_share%22%2C%22source%22%3A%22wind%22%2C%22share%22%3A%2220%22%7D%5D",
        None,
    ),
    # The portfolio, a product's coverage and the supplier dashboard: the maker's members only.
    ("/dashboard/orgs/<int:org_id>/portfolio", "GET"): (
        MEMBERS,
        "/dashboard/orgs/{org}/portfolio?category=battery_pack",
        None,
    ),
    ("/dashboard/products/<int:product_id>/coverage", "GET"): (
        MEMBERS,
        "/dashboard/products/{product}/coverage",
        None,
    ),
    ("/dashboard/orgs/<int:org_id>/supplier", "GET"): (
        MEMBERS,
        "/dashboard/orgs/{org}/supplier",
        None,
    ),
    # the results of a period as a file for analysis tools: the maker's members only
    ("/dashboard/orgs/<int:org_id>/results.<any(csv, parquet):fmt>", "GET"): (
        MEMBERS,
        "/dashboard/orgs/{org}/results.parquet?period=2025-01-01/2025-12-31",
        None,
    ),
    ("/dashboard/static/<path:filename>", "GET"): (
        EVERYONE,
        "/dashboard/static/js/charts.js",
        None,
    ),
    ("/operator/organizations", "GET"): (OPERATOR, "/operator/organizations", None),
    ("/operator/organizations", "POST"): (
        OPERATOR,
        "/operator/organizations",
        lambda ids: {"name_en": "Matrix Org", "country": "CN", "roles": "supplier"},
    ),
    ("/orgs/<int:org_id>/", "GET"): (MEMBERS, "/orgs/{org}/", None),
    ("/orgs/<int:org_id>/edit", "GET"): (ADMINS, "/orgs/{org}/edit", None),
    ("/orgs/<int:org_id>/edit", "POST"): (
        ADMINS,
        "/orgs/{org}/edit",
        lambda ids: {"name_en": "Huadong Battery Systems"},
    ),
    ("/orgs/<int:org_id>/sites", "GET"): (MEMBERS, "/orgs/{org}/sites", None),
    ("/orgs/<int:org_id>/sites/new", "GET"): (EDITORS, "/orgs/{org}/sites/new", None),
    ("/orgs/<int:org_id>/sites/new", "POST"): (EDITORS, "/orgs/{org}/sites/new", lambda ids: SITE),
    ("/orgs/<int:org_id>/sites/<int:site_id>/edit", "GET"): (
        EDITORS,
        "/orgs/{org}/sites/{site}/edit",
        None,
    ),
    ("/orgs/<int:org_id>/sites/<int:site_id>/edit", "POST"): (
        EDITORS,
        "/orgs/{org}/sites/{site}/edit",
        lambda ids: SITE,
    ),
    ("/orgs/<int:org_id>/products", "GET"): (MEMBERS, "/orgs/{org}/products", None),
    ("/orgs/<int:org_id>/products/new", "GET"): (EDITORS, "/orgs/{org}/products/new", None),
    ("/orgs/<int:org_id>/products/new", "POST"): (EDITORS, "/orgs/{org}/products/new", _product),
    ("/orgs/<int:org_id>/products/<int:product_id>/edit", "GET"): (
        EDITORS,
        "/orgs/{org}/products/{product}/edit",
        None,
    ),
    ("/orgs/<int:org_id>/products/<int:product_id>/edit", "POST"): (
        EDITORS,
        "/orgs/{org}/products/{product}/edit",
        _product,
    ),
    ("/orgs/<int:org_id>/members", "GET"): (MEMBERS, "/orgs/{org}/members", None),
    ("/orgs/<int:org_id>/members", "POST"): (
        ADMINS,
        "/orgs/{org}/members",
        lambda ids: {"email": "m@x.example", "role": "viewer"},
    ),
    ("/orgs/<int:org_id>/members/<int:membership_id>/role", "POST"): (
        ADMINS,
        "/orgs/{org}/members/{membership}/role",
        lambda ids: {"role": "editor"},
    ),
    ("/orgs/<int:org_id>/members/<int:membership_id>/remove", "POST"): (
        ADMINS,
        "/orgs/{org}/members/{membership}/remove",
        None,
    ),
    ("/orgs/<int:org_id>/invitations/<int:invitation_id>/revoke", "POST"): (
        ADMINS,
        "/orgs/{org}/invitations/{invitation}/revoke",
        None,
    ),
    ("/orgs/<int:org_id>/tokens", "GET"): (ADMINS, "/orgs/{org}/tokens", None),
    ("/orgs/<int:org_id>/tokens", "POST"): (
        ADMINS,
        "/orgs/{org}/tokens",
        lambda ids: {"name": "ci", "scope": "read"},
    ),
    ("/orgs/<int:org_id>/tokens/<int:token_id>/revoke", "POST"): (
        ADMINS,
        "/orgs/{org}/tokens/{token}/revoke",
        None,
    ),
    ("/orgs/<int:org_id>/audit", "GET"): (ADMINS, "/orgs/{org}/audit", None),
    ("/orgs/<int:org_id>/audit.csv", "GET"): (ADMINS, "/orgs/{org}/audit.csv", None),
    ("/orgs/<int:org_id>/submissions", "GET"): (MEMBERS, "/orgs/{org}/submissions", None),
    ("/orgs/<int:org_id>/submissions", "POST"): (
        EDITORS,
        "/orgs/{org}/submissions",
        lambda ids: {
            "product_id": ids.product,
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
        },
    ),
    ("/submissions/<int:submission_id>/<step>", "GET"): (
        RECORD_MEMBERS,
        "/submissions/{draft}/materials",
        None,
    ),
    ("/submissions/<int:submission_id>/<step>", "POST"): (
        RECORD_EDITORS,
        "/submissions/{draft}/general",
        lambda ids: {"dqr": "2"},
    ),
    # Autosave (JSON) is the step's Save: the same editors; a viewer 403, others 404 (JSON).
    ("/submissions/<int:submission_id>/<step>/autosave", "POST"): (
        RECORD_EDITORS,
        "/submissions/{draft}/general/autosave",
        lambda ids: {"dqr": "2"},
    ),
    ("/submissions/<int:submission_id>/submit", "POST"): (
        RECORD_EDITORS,
        "/submissions/{draft}/submit",
        None,
    ),
    ("/submissions/<int:submission_id>/history", "GET"): (
        RECORD_MEMBERS,
        "/submissions/{submitted}/history",
        None,
    ),
    ("/submissions/<int:submission_id>/template.xlsx", "GET"): (
        RECORD_MEMBERS,
        "/submissions/{draft}/template.xlsx",
        None,
    ),
    ("/submissions/<int:submission_id>/upload", "POST"): (
        RECORD_EDITORS,
        "/submissions/{draft}/upload",
        None,
    ),
    ("/orgs/<int:org_id>/evidence", "POST"): (EDITORS, "/orgs/{org}/evidence", None),
    # Electricity instruments: members read, editors register (an empty form: 422 on content)
    ("/orgs/<int:org_id>/electricity-instruments", "GET"): (
        MEMBERS,
        "/orgs/{org}/electricity-instruments",
        None,
    ),
    ("/orgs/<int:org_id>/electricity-instruments", "POST"): (
        EDITORS,
        "/orgs/{org}/electricity-instruments",
        None,
    ),
    ("/evidence/<int:evidence_id>", "GET"): (RECORD_MEMBERS, "/evidence/{evidence}", None),
    ("/factors", "GET"): (SIGNED_IN, "/factors?category=electricity", None),
    ("/factors/<version>", "GET"): (SIGNED_IN, "/factors/2025.1", None),
    ("/factors/<version>/export.csv", "GET"): (
        SIGNED_IN,
        "/factors/2025.1/export.csv?category=electricity",
        None,
    ),
    ("/operator/factors/current.csv", "GET"): (OPERATOR, "/operator/factors/current.csv", None),
    ("/operator/factors", "GET"): (OPERATOR, "/operator/factors", None),
    ("/operator/factors", "POST"): (OPERATOR, "/operator/factors", None),
    ("/orgs/<int:org_id>/requests", "GET"): (MEMBERS, "/orgs/{org}/requests", None),
    ("/orgs/<int:org_id>/requests", "POST"): (
        EDITORS,
        "/orgs/{org}/requests",
        _data_request,
    ),
    ("/orgs/<int:org_id>/requests/pact", "POST"): (
        EDITORS,
        "/orgs/{org}/requests/pact",
        lambda ids: {
            "credential_id": ids.pact_credential,
            "product_ids": "urn:pact:partner.example:product-id:1",
        },
    ),
    ("/orgs/<int:org_id>/requests/catenax", "POST"): (
        EDITORS,
        "/orgs/{org}/requests/catenax",
        lambda ids: {
            "cx_credential_id": ids.pact_credential,
            "part_kind": "manufacturerPartId",
            "part_id": "CELL-1",
            "data_model_version": "10.0.0",
        },
    ),
    ("/requests/<int:request_id>/decline", "POST"): (
        RECORD_EDITORS,
        "/requests/{incoming}/decline",
        lambda ids: {"reason": "No capacity"},
    ),
    ("/requests/<int:request_id>", "GET"): (RECORD_MEMBERS, "/requests/{outgoing}", None),
    ("/requests/<int:request_id>/cancel", "POST"): (
        RECORD_EDITORS,
        "/requests/{outgoing}/cancel",
        None,
    ),
    # Starting the submission a request asks for: the supplier's editors, like answering it.
    ("/requests/<int:request_id>/start", "POST"): (
        RECORD_EDITORS,
        "/requests/{incoming}/start",
        None,
    ),
    # A person's own task inbox and notification settings: whoever is signed in, for themself.
    ("/tasks", "GET"): (SIGNED_IN, "/tasks", None),
    ("/account/notifications", "GET"): (SIGNED_IN, "/account/notifications", None),
    ("/account/notifications", "POST"): (
        SIGNED_IN,
        "/account/notifications",
        lambda ids: {"request_received": "digest"},
    ),
    ("/requests/<int:request_id>/answer", "POST"): (
        RECORD_EDITORS,
        "/requests/{incoming}/answer",
        lambda ids: {"submission_id": ids.answer_with},
    ),
    # Link requests: the buyer's editors ask and cancel; the supplier's editors accept (a share,
    # a person's decision) or decline; nobody else may touch them.
    ("/orgs/<int:org_id>/link-requests", "POST"): (
        EDITORS,
        "/orgs/{org}/link-requests",
        lambda ids: {"product_id": ids.other_product},
    ),
    ("/link-requests/<int:request_id>/accept", "POST"): (
        EDITORS,
        "/link-requests/{incoming_link}/accept",
        None,
    ),
    ("/link-requests/<int:request_id>/decline", "POST"): (
        EDITORS,
        "/link-requests/{incoming_link}/decline",
        lambda ids: {"reason": "Not our customer"},
    ),
    ("/link-requests/<int:request_id>/cancel", "POST"): (
        EDITORS,
        "/link-requests/{outgoing_link}/cancel",
        None,
    ),
    ("/join/<token>", "GET"): (BAD_TOKEN, "/join/not-a-token", None),
    ("/join/<token>", "POST"): (BAD_TOKEN, "/join/not-a-token", None),
    ("/orgs/<int:org_id>/declarations", "GET"): (MEMBERS, "/orgs/{org}/declarations", None),
    ("/orgs/<int:org_id>/declarations", "POST"): (
        EDITORS,
        "/orgs/{org}/declarations",
        lambda ids: {
            "product_id": ids.product,
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
    ),
    ("/declarations/<int:declaration_id>", "GET"): (
        _record(MEMBERS, "verifier"),
        "/declarations/{declaration}",
        None,
    ),
    # China's and the EU's rule side by side, from the declaration's pins: as the declaration
    ("/declarations/<int:declaration_id>/jurisdictions", "GET"): (
        _record(MEMBERS, "verifier"),
        "/declarations/{declaration}/jurisdictions",
        None,
    ),
    ("/declarations/<int:declaration_id>/verification", "POST"): (
        _record(EDITORS, "verifier"),
        "/declarations/{declaration}/verification",
        lambda ids: {"verifier_id": ids.verifier_org},
    ),
    ("/declarations/<int:declaration_id>/publish", "POST"): (
        _record(EDITORS, "verifier"),
        "/declarations/{declaration}/publish",
        None,
    ),
    ("/declarations/<int:declaration_id>/withdraw", "POST"): (
        _record(EDITORS, "verifier"),
        "/declarations/{declaration}/withdraw",
        None,
    ),
    # a draft under review: its owner's members and the verifier asked to verify it
    ("/declarations/<int:declaration_id>/export/<fmt>", "GET"): (
        _record(_policy(anonymous=LOGIN, owner_admin=OK, owner_viewer=OK, verifier=OK)),
        "/declarations/{declaration}/export/pact",
        None,
    ),
    # its signature: the same readers, drafts included (the header says "draft")
    ("/declarations/<int:declaration_id>/export/<fmt>.jws", "GET"): (
        _record(_policy(anonymous=LOGIN, owner_admin=OK, owner_viewer=OK, verifier=OK)),
        "/declarations/{declaration}/export/csv.jws",
        None,
    ),
    ("/orgs/<int:org_id>/verifications", "GET"): (
        VERIFIER,
        "/orgs/{verifier_org}/verifications",
        None,
    ),
    ("/verifications/<int:verification_id>", "GET"): (
        _record(VERIFIER),
        "/verifications/{verification}",
        None,
    ),
    ("/verifications/<int:verification_id>", "POST"): (
        _record(VERIFIER),
        "/verifications/{verification}",
        lambda ids: {"verdict": "verified", "findings": "Checked."},
    ),
    ("/orgs/<int:org_id>/shares", "GET"): (MEMBERS, "/orgs/{org}/shares", None),
    ("/orgs/<int:org_id>/shares", "POST"): (
        EDITORS,
        "/orgs/{org}/shares",
        lambda ids: {"product_id": ids.product, "buyer_id": ids.buyer_org},
    ),
    ("/shares/<int:share_id>/revoke", "POST"): (
        _record(EDITORS, "buyer"),
        "/shares/{share}/revoke",
        None,
    ),
    ("/orgs/<int:org_id>/pact", "GET"): (ADMINS, "/orgs/{org}/pact", None),
    ("/orgs/<int:org_id>/pact", "POST"): (
        ADMINS,
        "/orgs/{org}/pact",
        lambda ids: {"partner_id": ids.buyer_org, "name": "Matrix host"},
    ),
    ("/orgs/<int:org_id>/pact/<int:client_pk>/rotate", "POST"): (
        ADMINS,
        "/orgs/{org}/pact/{pact_client}/rotate",
        None,
    ),
    ("/orgs/<int:org_id>/pact/<int:client_pk>/revoke", "POST"): (
        ADMINS,
        "/orgs/{org}/pact/{pact_client}/revoke",
        None,
    ),
    ("/orgs/<int:org_id>/pact/<int:client_pk>/catenax", "POST"): (
        ADMINS,
        "/orgs/{org}/pact/{pact_client}/catenax",
        lambda ids: {"catenax_callback_url": "https://partner.example/cx"},
    ),
    ("/orgs/<int:org_id>/pact/credentials", "POST"): (
        ADMINS,
        "/orgs/{org}/pact/credentials",
        lambda ids: {
            "cred_name": "Matrix partner host",
            "base_url": "https://partner.example",
            "client_id": "c",
            "client_secret": "s",
        },
    ),
    # Webhooks: the organization's admins; a private address is refused on content (422).
    ("/orgs/<int:org_id>/webhooks", "GET"): (ADMINS, "/orgs/{org}/webhooks", None),
    ("/orgs/<int:org_id>/webhooks", "POST"): (
        ADMINS,
        "/orgs/{org}/webhooks",
        lambda ids: {"url": "https://127.0.0.1/hook", "events": "result.changed"},
    ),
    ("/orgs/<int:org_id>/webhooks/<int:endpoint_id>/delete", "POST"): (
        ADMINS,
        "/orgs/{org}/webhooks/{webhook}/delete",
        None,
    ),
    ("/orgs/<int:org_id>/pact/credentials/<int:credential_pk>/revoke", "POST"): (
        ADMINS,
        "/orgs/{org}/pact/credentials/{pact_credential}/revoke",
        None,
    ),
    ("/orgs/<int:org_id>/partner-footprints", "GET"): (
        MEMBERS,
        "/orgs/{org}/partner-footprints",
        None,
    ),
    # no file: refused on content (422), after the actor is allowed
    ("/orgs/<int:org_id>/partner-footprints", "POST"): (
        EDITORS,
        "/orgs/{org}/partner-footprints",
        None,
    ),
    ("/orgs/<int:org_id>/partner-footprints/pull", "POST"): (
        EDITORS,
        "/orgs/{org}/partner-footprints/pull",
        lambda ids: {"credential_id": ids.pact_credential, "pf_id": "not-a-uuid"},
    ),
    ("/orgs/<int:org_id>/suppliers", "GET"): (MEMBERS, "/orgs/{org}/suppliers", None),
    ("/verifications/<int:verification_id>/evidence/<int:evidence_id>", "GET"): (
        _record(VERIFIER),
        "/verifications/{verification}/evidence/{verification_evidence}",
        None,
    ),
    ("/d/<public_id>", "GET"): (EVERYONE, "/d/{public_id}", None),
    ("/d/<public_id>.csv", "GET"): (EVERYONE, "/d/{public_id}.csv", None),
    ("/d/", "GET"): (EVERYONE, "/d/?q=S7&category=vehicle_bev", None),
    ("/d.csv", "GET"): (EVERYONE, "/d.csv?sort=footprint", None),
    ("/d/<public_id>/qr.svg", "GET"): (EVERYONE, "/d/{public_id}/qr.svg", None),
    ("/q/<public_id>", "GET"): (EVERYONE, "/q/{public_id}", None),
    # both rules' published declarations side by side: the demo's public declaration (a
    # vehicle) has none, so it is not found by anyone, owner included (the published pair is
    # shown to everyone: tests/platform/test_authz_jurisdictions.py)
    ("/d/<public_id>/jurisdictions", "GET"): (BAD_TOKEN, "/d/{public_id}/jurisdictions", None),
    ("/industry", "GET"): (EVERYONE, "/industry", None),
    ("/methodology/rules/<code>", "GET"): (EVERYONE, "/methodology/rules/power_battery", None),
    ("/methodology/factors/<version>", "GET"): (EVERYONE, "/methodology/factors/2025.1", None),
    ("/d/<public_id>.pact.json", "GET"): (EVERYONE, "/d/{public_id}.pact.json", None),
    # the demo's public declaration is a vehicle: refused on content (422), for everyone alike
    ("/d/<public_id>.batterypass.json", "GET"): (EVERYONE, "/d/{public_id}.batterypass.json", None),
    # every public file's signature, the keys that verify them and the verification page
    ("/d/<public_id>.csv.jws", "GET"): (EVERYONE, "/d/{public_id}.csv.jws", None),
    ("/d/<public_id>.pact.json.jws", "GET"): (EVERYONE, "/d/{public_id}.pact.json.jws", None),
    ("/d/<public_id>.batterypass.json.jws", "GET"): (
        EVERYONE,
        "/d/{public_id}.batterypass.json.jws",
        None,
    ),
    ("/.well-known/jwks.json", "GET"): (EVERYONE, "/.well-known/jwks.json", None),
    ("/verify", "GET"): (EVERYONE, "/verify", None),
    # no files: refused on content (422), for everyone alike
    ("/verify", "POST"): (EVERYONE, "/verify", None),
    ("/d/<public_id>.aas.json", "GET"): (EVERYONE, "/d/{public_id}.aas.json", None),
    ("/d/<public_id>.aas.json.jws", "GET"): (EVERYONE, "/d/{public_id}.aas.json.jws", None),
    ("/static/<path:filename>", "GET"): (EVERYONE, "/static/css/tanlian.css", None),
    ("/api/docs", "GET"): (EVERYONE, "/api/docs", None),
    ("/api/openapi.json", "GET"): (EVERYONE, "/api/openapi.json", None),
}

TOKENS = ("none", "owner_read", "owner_write", "other_write")
A_OK, A_401, A_403 = "ok", 401, 403
CATALOGUE = {"none": A_401, "owner_read": A_OK, "owner_write": A_OK, "other_write": A_OK}
OWNER_READ = {"none": A_401, "owner_read": A_OK, "owner_write": A_OK, "other_write": A_403}
OWNER_WRITE = {"none": A_401, "owner_read": A_403, "owner_write": A_OK, "other_write": A_403}
# Authorized, then refused on content (an empty draft cannot be submitted): 422, not 403.
OWNER_WRITE_VALIDATED = {**OWNER_WRITE, "owner_write": 422}
# One record by its id: another organization's token learns nothing, not even that it exists.
RECORD_READ = {**OWNER_READ, "other_write": 404}
RECORD_WRITE = {**OWNER_WRITE, "other_write": 404}
RECORD_WRITE_VALIDATED = {**OWNER_WRITE_VALIDATED, "other_write": 404}
# Authorized, then refused on the record's state (a draft under review): 409, not 403.
RECORD_WRITE_CONFLICT = {**RECORD_WRITE, "owner_write": 409}
# Both sides of a link request may read it.
PARTIES_READ = {**CATALOGUE}
# A verification is the verifier's: its declaration's owner is a party (403), others learn
# nothing (404); the verifier's own tokens are tested in test_api_results.
VERIFIER_RECORD = {"none": A_401, "owner_read": A_403, "owner_write": A_403, "other_write": 404}
VERIFIER_ONLY = {"none": A_401, "owner_read": A_403, "owner_write": A_403, "other_write": A_403}

API: dict[tuple[str, str], tuple[dict[str, Any], str, Any]] = {
    ("/api/v1/organizations", "GET"): (CATALOGUE, "/api/v1/organizations", None),
    ("/api/v1/organizations/<int:org_id>", "GET"): (CATALOGUE, "/api/v1/organizations/{org}", None),
    ("/api/v1/organizations/<int:org_id>/sites", "GET"): (
        OWNER_READ,
        "/api/v1/organizations/{org}/sites",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/sites", "POST"): (
        OWNER_WRITE,
        "/api/v1/organizations/{org}/sites",
        lambda ids: SITE,
    ),
    ("/api/v1/sites/<int:site_id>", "GET"): (RECORD_READ, "/api/v1/sites/{site}", None),
    ("/api/v1/sites/<int:site_id>", "PATCH"): (
        RECORD_WRITE,
        "/api/v1/sites/{site}",
        lambda ids: {"city": "Wuxi"},
    ),
    ("/api/v1/products", "GET"): (CATALOGUE, "/api/v1/products?q=pack", None),
    ("/api/v1/organizations/<int:org_id>/products", "POST"): (
        OWNER_WRITE,
        "/api/v1/organizations/{org}/products",
        _product,
    ),
    ("/api/v1/products/<int:product_id>", "GET"): (CATALOGUE, "/api/v1/products/{product}", None),
    ("/api/v1/factor-releases", "GET"): (CATALOGUE, "/api/v1/factor-releases", None),
    ("/api/v1/factor-releases/<string:version>/factors", "GET"): (
        CATALOGUE,
        "/api/v1/factor-releases/latest/factors?category=transport",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/submissions", "GET"): (
        OWNER_READ,
        "/api/v1/organizations/{org}/submissions",
        None,
    ),
    ("/api/v1/products/<int:product_id>/submissions", "POST"): (
        OWNER_WRITE,
        "/api/v1/products/{product}/submissions",
        lambda ids: {"period_start": "2027-01-01", "period_end": "2027-12-31"},
    ),
    ("/api/v1/submissions/<int:submission_id>", "GET"): (
        RECORD_READ,
        "/api/v1/submissions/{draft}",
        None,
    ),
    ("/api/v1/submissions/<int:submission_id>", "PUT"): (
        RECORD_WRITE,
        "/api/v1/submissions/{draft}",
        lambda ids: {"dqr": "2", "inputs": []},
    ),
    ("/api/v1/submissions/<int:submission_id>/submit", "POST"): (
        RECORD_WRITE_VALIDATED,
        "/api/v1/submissions/{draft}/submit",
        lambda ids: {},
    ),
    ("/api/v1/submissions/<int:submission_id>/versions", "GET"): (
        RECORD_READ,
        "/api/v1/submissions/{submitted}/versions",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/requests", "GET"): (
        OWNER_READ,
        "/api/v1/organizations/{org}/requests?direction=outgoing",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/requests", "POST"): (
        OWNER_WRITE,
        "/api/v1/organizations/{org}/requests",
        _data_request,
    ),
    ("/api/v1/requests/<int:request_id>", "GET"): (
        RECORD_READ,
        "/api/v1/requests/{incoming}",
        None,
    ),
    ("/api/v1/requests/<int:request_id>/decline", "POST"): (
        RECORD_WRITE,
        "/api/v1/requests/{incoming}/decline",
        lambda ids: {"reason": "No"},
    ),
    ("/api/v1/requests/<int:request_id>/cancel", "POST"): (
        RECORD_WRITE,
        "/api/v1/requests/{outgoing}/cancel",
        None,
    ),
    ("/api/v1/requests/<int:request_id>/answer", "POST"): (
        RECORD_WRITE,
        "/api/v1/requests/{incoming}/answer",
        lambda ids: {"submission_id": ids.answer_with},
    ),
    ("/api/v1/organizations/<int:org_id>/electricity-instruments", "GET"): (
        OWNER_READ,
        "/api/v1/organizations/{org}/electricity-instruments",
        None,
    ),
    # a negative volume: refused on content (422) once the token may write
    ("/api/v1/organizations/<int:org_id>/electricity-instruments", "POST"): (
        OWNER_WRITE_VALIDATED,
        "/api/v1/organizations/{org}/electricity-instruments",
        lambda ids: {
            "certificate_id": "MATRIX-1",
            "kind": "green_certificate",
            "issuer": "registry",
            "generation": "wind",
            "volume_kwh": "-1",
            "vintage_start": "2026-01-01",
            "vintage_end": "2026-12-31",
            "site_id": ids.site,
            "evidence_id": ids.evidence,
        },
    ),
    ("/api/v1/organizations/<int:org_id>/evidence", "POST"): (
        OWNER_WRITE,
        "/api/v1/organizations/{org}/evidence",
        "file",
    ),
    ("/api/v1/products/<int:product_id>", "PATCH"): (
        OWNER_WRITE,
        "/api/v1/products/{product}",
        lambda ids: {"name_en": "Renamed"},
    ),
    # Results, breakdowns, declarations, verification, shares and link requests: the pages'
    # rules; sharing and answering link requests are people's decisions, not in the API.
    ("/api/v1/organizations/<int:org_id>/results", "GET"): (
        OWNER_READ,
        "/api/v1/organizations/{org}/results?period=2025-01-01/2025-12-31&limit=5",
        None,
    ),
    ("/api/v1/products/<int:product_id>/breakdown", "GET"): (
        OWNER_READ,
        "/api/v1/products/{product}/breakdown",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/declarations", "GET"): (
        OWNER_READ,
        "/api/v1/organizations/{org}/declarations?category=battery_pack",
        None,
    ),
    # another maker's product: refused on content (422) once the token may declare
    ("/api/v1/organizations/<int:org_id>/declarations", "POST"): (
        OWNER_WRITE_VALIDATED,
        "/api/v1/organizations/{org}/declarations",
        lambda ids: {
            "product_id": ids.other_product,
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
    ),
    ("/api/v1/declarations/<int:declaration_id>", "GET"): (
        RECORD_READ,
        "/api/v1/declarations/{declaration}",
        None,
    ),
    # the declaration is under review already: 409 once authorized
    ("/api/v1/declarations/<int:declaration_id>/verification", "POST"): (
        RECORD_WRITE_CONFLICT,
        "/api/v1/declarations/{declaration}/verification",
        lambda ids: {"verifier_id": ids.verifier_org},
    ),
    ("/api/v1/declarations/<int:declaration_id>/publish", "POST"): (
        RECORD_WRITE_CONFLICT,
        "/api/v1/declarations/{declaration}/publish",
        None,
    ),
    ("/api/v1/declarations/<int:declaration_id>/withdraw", "POST"): (
        RECORD_WRITE_CONFLICT,
        "/api/v1/declarations/{declaration}/withdraw",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/verifications", "GET"): (
        VERIFIER_ONLY,
        "/api/v1/organizations/{verifier_org}/verifications",
        None,
    ),
    ("/api/v1/verifications/<int:verification_id>", "GET"): (
        VERIFIER_RECORD,
        "/api/v1/verifications/{verification}",
        None,
    ),
    ("/api/v1/verifications/<int:verification_id>/decision", "POST"): (
        VERIFIER_RECORD,
        "/api/v1/verifications/{verification}/decision",
        lambda ids: {"verdict": "verified"},
    ),
    ("/api/v1/organizations/<int:org_id>/shares", "GET"): (
        OWNER_READ,
        "/api/v1/organizations/{org}/shares",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/link-requests", "GET"): (
        OWNER_READ,
        "/api/v1/organizations/{org}/link-requests?direction=outgoing",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/link-requests", "POST"): (
        OWNER_WRITE,
        "/api/v1/organizations/{org}/link-requests",
        lambda ids: {"product_id": ids.other_product},
    ),
    ("/api/v1/link-requests/<int:request_id>", "GET"): (
        PARTIES_READ,
        "/api/v1/link-requests/{incoming_link}",
        None,
    ),
    ("/api/v1/link-requests/<int:request_id>/cancel", "POST"): (
        OWNER_WRITE,
        "/api/v1/link-requests/{outgoing_link}/cancel",
        None,
    ),
    # Webhooks: the organization's write tokens (an integration registers its own callback);
    # a private address is refused on content (422)
    ("/api/v1/organizations/<int:org_id>/webhooks", "GET"): (
        OWNER_WRITE,
        "/api/v1/organizations/{org}/webhooks",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/webhooks", "POST"): (
        OWNER_WRITE_VALIDATED,
        "/api/v1/organizations/{org}/webhooks",
        lambda ids: {"url": "https://127.0.0.1/hook", "events": ["result.changed"]},
    ),
    ("/api/v1/webhooks/<int:endpoint_id>", "DELETE"): (
        RECORD_WRITE,
        "/api/v1/webhooks/{webhook}",
        None,
    ),
    ("/api/v1/organizations/<int:org_id>/webhook-deliveries", "GET"): (
        OWNER_WRITE,
        "/api/v1/organizations/{org}/webhook-deliveries",
        None,
    ),
}


# PACT (footprint_platform/pact): credentials are a client id and secret (HTTP Basic) at the
# token endpoint and a bearer token under /3/; a signed-in person's cookie counts for nothing.
# Expected statuses per kind of credential.
PACT_CREDENTIALS = ("none", "garbage", "session", "partner", "revoked")
PACT_READ = {"none": 401, "garbage": 401, "session": 401, "partner": 200, "revoked": 401}
PACT: dict[tuple[str, str], tuple[dict[str, int], str]] = {
    ("/.well-known/openid-configuration", "GET"): (
        dict.fromkeys(PACT_CREDENTIALS, 200),
        "/.well-known/openid-configuration",
    ),
    ("/auth/token", "POST"): (PACT_READ, "/auth/token"),
    ("/3/footprints", "GET"): (PACT_READ, "/3/footprints"),
    ("/3/footprints/<path:pf_id>", "GET"): (PACT_READ, "/3/footprints/{pact_public_id}"),
    # a PublishedEvent (a notice: nothing is sent back); only the owner's partner may post
    ("/3/events", "POST"): (PACT_READ, "/3/events"),
    # the Catena-X PCF exchange reads with the same credentials and the same shares
    ("/catenax/pcf/<path:pf_id>", "GET"): (PACT_READ, "/catenax/pcf/{pact_public_id}"),
    # the PCF Exchange API: the partner gets past authentication and is refused on content
    # (no PCF Exchange address configured for it: 400; no request of ours to it: 404)
    ("/catenax/footprintExchange/<path:request_id>", "GET"): (
        {**PACT_READ, "partner": 400},
        "/catenax/footprintExchange/5f0c8a2e-1b0d-4c41-9a57-0e6b1f3d2a01?manufacturerPartId=X",
    ),
    ("/catenax/footprintExchange/<path:request_id>", "PUT"): (
        {**PACT_READ, "partner": 404},
        "/catenax/footprintExchange/5f0c8a2e-1b0d-4c41-9a57-0e6b1f3d2a01",
    ),
}
PUBLISHED_EVENT = {
    "type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
    "specversion": "1.0",
    "id": "matrix-published-1",
    "source": "https://partner.example/3/events",
    "time": "2026-03-01T00:00:00Z",
    "data": {"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]},
}


def _path(template: str, ids: Ids) -> str:
    return template.format(
        org=ids.org,
        site=ids.site,
        product=ids.product,
        membership=ids.viewer_membership,
        invitation=ids.invitation,
        token=ids.token,
        draft=ids.draft,
        submitted=ids.submitted,
        evidence=ids.evidence,
        incoming=ids.incoming_request,
        outgoing=ids.outgoing_request,
        declaration=ids.declaration,
        verifier_org=ids.verifier_org,
        verification=ids.verification,
        share=ids.share,
        verification_evidence=ids.verification_evidence,
        evidence_not_pinned=ids.evidence,
        public_id=ids.public_id,
        pact_client=ids.pact_client,
        pact_credential=ids.pact_credential,
        pact_public_id=ids.pact_public_id,
        incoming_link=ids.incoming_link,
        outgoing_link=ids.outgoing_link,
        webhook=ids.webhook,
    )


def _classify(response: Any) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and "/login?next=" in location:
        return LOGIN
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code < 400 or response.status_code in (409, 422):
        return OK  # authorized; 409/422 refuse the content or the state, not the actor
    return f"status {response.status_code}"


def test_every_route_has_a_policy(demo_app: Flask) -> None:
    rules = {
        (r.rule, m) for r in demo_app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}
    }
    covered = set(WEB) | set(API) | set(PACT)
    assert rules - covered == set(), "routes without an authorization policy"
    assert covered - rules == set(), "policies for routes that no longer exist"


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("route", list(WEB), ids=lambda r: f"{r[1]} {r[0]}")
def test_web_route_answers_per_policy(
    prepared_app: Flask, ids: Ids, route: tuple[str, str], persona: str
) -> None:
    policy, template, data = WEB[route]
    session = Session(prepared_app.test_client())
    if PERSONAS[persona]:
        assert session.login(PERSONAS[persona]).status_code == 302
    path = _path(template, ids)
    if route[1] == "GET":
        response = session.client.get(path)
    else:
        response = session.post(path, data(ids) if data else {})
    got = _classify(response)
    expected = policy[persona]
    if expected == PUBLIC:
        assert got in (OK, "status 401", NOT_FOUND), got
    else:
        assert got == expected, f"{persona} {route}: {response.status_code}"


@pytest.mark.postgres
@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("route", list(API), ids=lambda r: f"{r[1]} {r[0]}")
def test_api_route_answers_per_policy(
    prepared_app: Flask, ids: Ids, route: tuple[str, str], token: str
) -> None:
    policy, template, data = API[route]
    secret = {
        "none": None,
        "owner_read": ids.read_secret,
        "owner_write": ids.write_secret,
        "other_write": ids.other_write_secret,
    }[token]
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    client = prepared_app.test_client()
    if data == "file":  # multipart upload
        response = client.open(
            _path(template, ids),
            method=route[1],
            headers=headers,
            data={"file": (io.BytesIO(b"meter reading 7"), "m.txt")},
            content_type="multipart/form-data",
        )
    else:
        response = client.open(
            _path(template, ids), method=route[1], headers=headers, json=data(ids) if data else None
        )
    expected = policy[token]
    if expected == A_OK:
        assert response.status_code in (200, 201), response.get_json()
    else:
        assert response.status_code == expected, response.get_json()
        body = response.get_json()
        assert set(body) >= {"code", "message"}


def _pact_headers(route: tuple[str, str], kind: str, ids: Ids) -> dict[str, str]:
    import base64

    if route[0] == "/auth/token":
        pair = {
            "garbage": "nobody:nothing",
            "partner": f"{ids.pact_client_id}:{ids.pact_secret}",
            "revoked": f"{ids.pact_client_id}:wrong-secret",
        }.get(kind)
        basic = base64.b64encode(pair.encode()).decode() if pair else None
        return {"Authorization": f"Basic {basic}"} if basic else {}
    token = {
        "garbage": "very-invalid-access-token",
        "partner": ids.pact_token,
        "revoked": ids.pact_revoked_token,
    }.get(kind)
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.mark.postgres
@pytest.mark.parametrize("kind", PACT_CREDENTIALS)
@pytest.mark.parametrize("route", list(PACT), ids=lambda r: f"{r[1]} {r[0]}")
def test_pact_route_answers_per_policy(
    prepared_app: Flask, ids: Ids, route: tuple[str, str], kind: str
) -> None:
    policy, template = PACT[route]
    session = Session(prepared_app.test_client())
    if kind == "session":
        assert session.login(PERSONAS["owner_admin"]).status_code == 302
    body: dict[str, Any] = {}
    if route[0] == "/3/events":
        body["json"] = PUBLISHED_EVENT
    elif route[1] == "POST":
        body["data"] = {"grant_type": "client_credentials"}
    response = session.client.open(
        _path(template, ids), method=route[1], headers=_pact_headers(route, kind, ids), **body
    )
    assert response.status_code == policy[kind], response.get_data(as_text=True)
    body = response.get_json()
    if response.status_code == 401:
        # PACT's error body under /3/, OAuth's at the token endpoint
        assert set(body) == (
            {"error", "error_description"} if "auth" in template else {"code", "message"}
        )


# -- another organization's record looks exactly like no record --------------------------------

UNKNOWN_ID = 2**31 - 2
RECORD_WEB = [r for r, (policy, _t, _d) in WEB.items() if NOT_FOUND in policy.values()]
RECORD_WEB = [r for r in RECORD_WEB if WEB[r][0] is not BAD_TOKEN]
RECORD_API = [r for r, (policy, _t, _d) in API.items() if 404 in policy.values()]


def _unknown(ids: Ids) -> Ids:
    """The same ids with every number naming nothing."""
    numbers = {f.name: UNKNOWN_ID for f in dataclasses.fields(ids) if f.type in (int, "int")}
    return dataclasses.replace(ids, **numbers)


def _page(response: Any, path: str) -> tuple[int, str]:
    """Status and body, without what differs on every answer (nonces, CSRF tokens) or names
    the address asked for."""
    body = response.get_data(as_text=True).replace(path, "PATH")
    body = re.sub(r"nonce(=\"|-)[^\"']+", "nonce", body)
    return response.status_code, re.sub(r'name="csrf_token" value="[^"]+"', "csrf", body)


def test_the_routes_to_one_record_cover_every_kind_of_record() -> None:
    templates = " ".join(WEB[r][1] for r in RECORD_WEB) + " ".join(API[r][1] for r in RECORD_API)
    for kind in ("submissions", "evidence", "requests", "declarations", "verifications", "shares"):
        assert f"/{kind}/" in templates, kind
    assert "/api/v1/sites/" in templates


@pytest.mark.parametrize("persona", ["other_supplier", "operator"])
def test_another_organizations_record_answers_as_an_unknown_id(
    prepared_app: Flask, ids: Ids, persona: str
) -> None:
    """403 for a real id and 404 for an unknown one would tell an outsider which ids exist:
    both answers are the same, status and body."""
    session = Session(prepared_app.test_client())
    assert session.login(PERSONAS[persona]).status_code == 302
    for route in RECORD_WEB:
        _pol, template, data = WEB[route]
        answers = []
        for some in (ids, _unknown(ids)):
            path = _path(template, some)
            if route[1] == "GET":
                response = session.client.get(path)
            else:
                response = session.post(path, data(ids) if data else {})
            answers.append(_page(response, path))
        assert answers[0] == answers[1], route
        assert answers[0][0] == 404, route


def test_another_organizations_record_answers_as_an_unknown_id_over_the_api(
    prepared_app: Flask, ids: Ids
) -> None:
    client = prepared_app.test_client()
    headers = {"Authorization": f"Bearer {ids.other_write_secret}"}
    for route in RECORD_API:
        _pol, template, data = API[route]
        answers = []
        for some in (ids, _unknown(ids)):
            response = client.open(
                _path(template, some),
                method=route[1],
                headers=headers,
                json=data(ids) if data else None,
            )
            answers.append((response.status_code, response.get_json()))
        assert answers[0] == answers[1], route
        assert answers[0][0] == 404, route
