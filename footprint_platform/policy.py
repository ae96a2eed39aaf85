"""Who may do what: the one place authorization is decided.

An *actor* is a signed-in person (web) or an organization's API token (API). A person acts for an
organization only through a membership, in the role it grants (viewer < editor < admin). A token
acts for its own organization as a viewer (read scope) or an editor (write scope); it can never
manage people or tokens. Some actions also need the organization to hold a role in the chain.

A PACT partner (a host system holding a data owner's PACT client credentials) is an actor with a
`pact` grant and no membership: it may only read, over PACT, what that owner shared with the
partner organization (the service checks the shares), and post PACT events (requests, notices)
to that owner, and nothing else on Tanlian.

The catalogue — organizations' names, roles and countries, and products' names, categories,
declared units and part numbers — is visible to every signed-in actor: a buyer must find its
supplier's product to link it (docs/design.md, glossary). Sites, members, tokens and audit records
are visible only inside the organization. Primary data is governed by its own rules, there in
"Who may see what".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NoReturn

from footprint_platform.errors import NotAllowed, NotFound
from footprint_platform.models import MemberRole, OrgRole


class Action(enum.StrEnum):
    READ_CATALOGUE = "read_catalogue"
    VIEW_ORGANIZATION = "view_organization"
    EDIT_ORGANIZATION = "edit_organization"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_TOKENS = "manage_tokens"
    VIEW_AUDIT = "view_audit"
    VIEW_SITES = "view_sites"
    EDIT_SITES = "edit_sites"
    VIEW_PRODUCTS = "view_products"
    EDIT_PRODUCTS = "edit_products"
    VIEW_RESULTS = "view_results"
    EXPORT_RESULTS = "export_results"
    SAVE_SCENARIOS = "save_scenarios"
    VIEW_SUBMISSIONS = "view_submissions"
    EDIT_SUBMISSIONS = "edit_submissions"
    SHARE_FOOTPRINTS = "share_footprints"
    MANAGE_PACT_CLIENTS = "manage_pact_clients"
    MANAGE_WEBHOOKS = "manage_webhooks"
    READ_PACT_FOOTPRINTS = "read_pact_footprints"
    SEND_PACT_EVENTS = "send_pact_events"
    VIEW_REQUESTS = "view_requests"
    REQUEST_DATA = "request_data"
    ANSWER_REQUESTS = "answer_requests"
    VIEW_VERIFICATIONS = "view_verifications"
    VERIFY = "verify"
    ADMINISTER_PLATFORM = "administer_platform"


@dataclass(frozen=True)
class Rule:
    min_role: MemberRole | None  # None: any signed-in actor, no membership needed
    org_roles: frozenset[OrgRole] = frozenset()  # the organization must hold one of these
    people_only: bool = False  # API tokens may not do this
    # the role a token needs instead of min_role (a write token acts as an editor; an admin
    # made it, and only an admin can)
    token_role: MemberRole | None = None


_MAKERS = frozenset({OrgRole.SUPPLIER, OrgRole.BUYER})

RULES: dict[Action, Rule] = {
    Action.READ_CATALOGUE: Rule(None),
    Action.VIEW_ORGANIZATION: Rule(MemberRole.VIEWER),
    Action.EDIT_ORGANIZATION: Rule(MemberRole.ADMIN, people_only=True),
    Action.MANAGE_MEMBERS: Rule(MemberRole.ADMIN, people_only=True),
    Action.MANAGE_TOKENS: Rule(MemberRole.ADMIN, people_only=True),
    Action.VIEW_AUDIT: Rule(MemberRole.ADMIN, people_only=True),
    Action.VIEW_SITES: Rule(MemberRole.VIEWER),
    Action.EDIT_SITES: Rule(MemberRole.EDITOR, _MAKERS),
    Action.VIEW_PRODUCTS: Rule(MemberRole.VIEWER),
    Action.EDIT_PRODUCTS: Rule(MemberRole.EDITOR, _MAKERS),
    # A product's result and where it comes from (grouped by stage, tier and category, never a
    # named supplier's figure) are for the maker's members (docs/design.md "Who may see what").
    Action.VIEW_RESULTS: Rule(MemberRole.VIEWER),
    # The same results of a period as one file for analysis tools (CSV, Parquet): the maker's
    # own members, nothing they could not read on its pages.
    Action.EXPORT_RESULTS: Rule(MemberRole.VIEWER),
    # What-if scenarios on the maker's own product (evaluated under VIEW_RESULTS) change no
    # data: any member, analysts included, may save and delete them (audited).
    Action.SAVE_SCENARIOS: Rule(MemberRole.VIEWER),
    # A supplier's primary data is seen only inside the supplier (docs/design.md).
    Action.VIEW_SUBMISSIONS: Rule(MemberRole.VIEWER),
    # Whoever links products in the data asks their makers for consent (link requests).
    Action.EDIT_SUBMISSIONS: Rule(MemberRole.EDITOR, _MAKERS),
    # Showing a product's footprint by name to a customer is a person's decision; so is
    # accepting or declining a customer's link request (accepting is a share).
    Action.SHARE_FOOTPRINTS: Rule(MemberRole.EDITOR, _MAKERS, people_only=True),
    # Credentials for a partner's PACT host system are secrets, like API tokens: admins only.
    Action.MANAGE_PACT_CLIENTS: Rule(MemberRole.ADMIN, _MAKERS, people_only=True),
    # Webhook endpoints and their delivery log: the organization's admins on the web, and an
    # integration's own write token (an integration registers its own callback address).
    Action.MANAGE_WEBHOOKS: Rule(MemberRole.ADMIN, token_role=MemberRole.EDITOR),
    # Only PACT partners, for their data owner (see `allowed`); the service checks the shares.
    Action.READ_PACT_FOOTPRINTS: Rule(MemberRole.VIEWER),
    # Only PACT partners, to their data owner's /3/events (requests, notices).
    Action.SEND_PACT_EVENTS: Rule(MemberRole.VIEWER),
    # Data requests: both sides' members see them; buyers ask, suppliers answer.
    Action.VIEW_REQUESTS: Rule(MemberRole.VIEWER),
    Action.REQUEST_DATA: Rule(MemberRole.EDITOR, frozenset({OrgRole.BUYER})),
    Action.ANSWER_REQUESTS: Rule(MemberRole.EDITOR, frozenset({OrgRole.SUPPLIER})),
    # A verifier sees what it has been asked to verify (the service checks the assignment).
    Action.VIEW_VERIFICATIONS: Rule(MemberRole.VIEWER, frozenset({OrgRole.VERIFIER})),
    Action.VERIFY: Rule(MemberRole.EDITOR, frozenset({OrgRole.VERIFIER})),
    # Operator staff create organizations and invite their first administrator.
    Action.ADMINISTER_PLATFORM: Rule(MemberRole.ADMIN, frozenset({OrgRole.OPERATOR}), True),
}


@dataclass(frozen=True)
class PactGrant:
    """What a PACT client stands for: the data owner that issued it and the partner it names."""

    client_pk: int
    owner_id: int
    partner_id: int


@dataclass(frozen=True)
class Actor:
    """Who is acting, for audit and authorization. `roles` maps organization id to the member
    role held there; `org_roles` maps the same ids to the organizations' chain roles."""

    user_id: int | None
    roles: dict[int, MemberRole]
    org_roles: dict[int, frozenset[OrgRole]] = field(default_factory=dict)
    channel: str = "web"
    ip: str | None = None
    token_id: int | None = None
    pact: PactGrant | None = None

    @property
    def organization_ids(self) -> list[int]:
        return sorted(self.roles)

    @property
    def acting_organization_id(self) -> int | None:
        """For a token: its organization; for a PACT client: its partner; for a person: their
        only organization, if one."""
        if self.pact is not None:
            return self.pact.partner_id
        return self.organization_ids[0] if len(self.roles) == 1 else None


PACT_ACTIONS = frozenset({Action.READ_PACT_FOOTPRINTS, Action.SEND_PACT_EVENTS})
SYSTEM = Actor(user_id=None, roles={}, channel="system")


def allowed(actor: Actor | None, action: Action, organization_id: int | None = None) -> bool:
    if actor is None:
        return False
    if actor.pact is not None or action in PACT_ACTIONS:
        return (
            actor.pact is not None
            and action in PACT_ACTIONS
            and organization_id == actor.pact.owner_id
        )
    rule = RULES[action]
    if rule.people_only and actor.token_id is not None:
        return False
    if rule.min_role is None:
        return True
    if action is Action.ADMINISTER_PLATFORM:
        return any(
            allowed(actor, Action.MANAGE_MEMBERS, o) and OrgRole.OPERATOR in r
            for o, r in actor.org_roles.items()
        )
    if organization_id is None:
        return False
    role = actor.roles.get(organization_id)
    need = rule.token_role if actor.token_id is not None and rule.token_role else rule.min_role
    if role is None or role.rank < need.rank:
        return False
    return not rule.org_roles or bool(rule.org_roles & actor.org_roles.get(organization_id, set()))


def authorize(actor: Actor | None, action: Action, organization_id: int | None = None) -> None:
    if not allowed(actor, action, organization_id):
        raise NotAllowed(f"not allowed: {action.value}")


def knows_of(actor: Actor | None, organization_ids: Iterable[int | None]) -> bool:
    """Whether the actor belongs to one of these organizations: the parties to a record (its
    owner, the other side of a request or share, the verifier asked) know that it exists."""
    return actor is not None and any(o in actor.roles for o in organization_ids if o)


def authorize_record(
    actor: Actor | None,
    action: Action,
    organization_id: int,
    missing: NotFound,
    parties: Iterable[int | None] = (),
) -> None:
    """`authorize` for a record looked up by its id. To an actor who is no party to the record
    it does not exist: `missing` (the very error an unknown id raises), so ids cannot be probed
    by telling 403 from 404. A party without the right (a viewer, the other side) gets 403."""
    if allowed(actor, action, organization_id):
        return
    refuse(actor, action, missing, [organization_id, *parties])


def refuse(
    actor: Actor | None, action: Action, missing: NotFound, parties: Iterable[int | None]
) -> NoReturn:
    """The refusal of a record to an actor not allowed `action` on it: 403 to its parties,
    `missing` (404) to everyone else."""
    if knows_of(actor, list(parties)):
        raise NotAllowed(f"not allowed: {action.value}")
    raise missing
