"""The account's side of the domain: Close's numbers, users, groups, memberships and roles as
read, and the changes and verdict a plan makes of them. numbersync.models names them all; they
live here so that validate, which reads no account, does not define them at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from numbersync.models import Value


@dataclass(frozen=True)
class LiveNumber:
    """One phone number as Close returned it. `fields` holds the managed fields present in the
    response, raw (not normalised); `raw` keeps the whole object for export and debugging.
    `organization_id` and `type` (internal, external, virtual) are None when Close left them out.
    """

    id: str
    number: str
    number_formatted: str
    date_updated: str | None
    fields: Mapping[str, Value]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    organization_id: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class User:
    """A user /user/ lists: of every organization the caller belongs to. `organizations` holds
    the ids of those the user is an active member of (None when Close does not say)."""

    id: str
    email: str
    name: str = ""
    organizations: frozenset[str] | None = None

    def member_of(self, organization_id: str | None) -> bool:
        if organization_id is None or self.organizations is None:
            return True
        return organization_id in self.organizations


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    organization_id: str | None = None


@dataclass(frozen=True)
class Membership:
    """The caller's role in one organization. `permissions` is None when /me/ does not list them;
    `role_permissions` are those `GET /role/{id}/` lists for the role, None when it was not read
    (or could not be). numbersync only ever reads them as a hint."""

    organization_id: str | None
    role_id: str | None
    permissions: frozenset[str] | None
    role_permissions: frozenset[str] | None = None


@dataclass(frozen=True)
class Role:
    """A role as `GET /role/{id}/` answers it; `permissions` None when it lists none."""

    id: str
    name: str
    permissions: frozenset[str] | None


@dataclass(frozen=True)
class Me:
    """The user the credential belongs to, and their memberships."""

    user_id: str
    email: str
    memberships: tuple[Membership, ...] = ()

    def membership(self, organization_id: str | None) -> Membership | None:
        """The membership in `organization_id`; when that is unknown, the only one there is."""
        if organization_id is None:
            return self.memberships[0] if len(self.memberships) == 1 else None
        return next((m for m in self.memberships if m.organization_id == organization_id), None)


@dataclass(frozen=True)
class MemberChange:
    """One membership change: `POST /group/{id}/member/` with the user id (add), or
    `DELETE /group/{id}/member/{user_id}/` (remove). Both are idempotent in Close."""

    group_id: str
    group: str  # the group's name, for display
    user_id: str
    action: Literal["add", "remove"]
    file: str = ""  # the config file the group is written in
    key: str = ""  # the group's key in that file


@dataclass(frozen=True)
class GroupChange:
    """The membership of one managed group: `before` as Close has it, `after` as the file wants
    it (user ids; `after` in file order). `numbers` are the managed numbers (E.164) whose ringing
    the change alters."""

    id: str
    name: str
    key: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    file: str = ""
    numbers: tuple[str, ...] = ()
    # For each member added or removed (user id), the managed numbers that start or stop
    # ringing them through this change: what a reviewer weighs a membership change by.
    reach: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def added(self) -> tuple[str, ...]:
        before = set(self.before)
        return tuple(u for u in self.after if u not in before)

    @property
    def removed(self) -> tuple[str, ...]:
        after = set(self.after)
        return tuple(u for u in self.before if u not in after)

    @property
    def ops(self) -> tuple[MemberChange, ...]:
        """The requests that apply it: removals first, so that a failure part-way never leaves
        the group ringing someone the file dropped together with someone it added."""
        removes = (
            MemberChange(self.id, self.name, u, "remove", self.file, self.key) for u in self.removed
        )
        adds = (MemberChange(self.id, self.name, u, "add", self.file, self.key) for u in self.added)
        return (*removes, *adds)


@dataclass(frozen=True)
class Verdict:
    """What apply will make of a plan: the reasons it refuses to apply it without --force
    (none: it goes ahead). Close's own refusals are the changes' `owner` marks."""

    reasons: tuple[str, ...] = ()

    @property
    def refuses(self) -> bool:
        return bool(self.reasons)

    @property
    def line(self) -> str:
        if self.reasons:
            return "apply will refuse this without --force: " + "; ".join(self.reasons)
        return "apply will go ahead: no safety rail refuses this plan"
