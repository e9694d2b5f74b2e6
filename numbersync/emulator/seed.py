"""Emulator seeds: read and validate a YAML seed (or the same as a dict), and generate large
deterministic ones for tests and benchmarks.

Seed format (every key optional unless marked; unknown keys are refused)::

    organization: {id: orga_..., name: Acme}        # the primary organization: every credential
                                                    # acts in it, the numbers and groups are its
                                                    # default: a fixed id, name "Emulator"
    other_organizations:                            # organizations some users also belong to
      - {id: orga_..., name: Acme Labs}             # id default: derived from the name
    users:                                          # the users of every organization
      - id: user_...                                # default: derived from the email
        email: alice@acme.example                   # required, unique (case-insensitive)
        first_name: Alice
        last_name: Archer
        organizations: [orga_..., orga_...]         # ids; default: [the primary organization]
        active: true                                # false: membership of the primary inactive
        role_id: admin                              # admin, superuser, user, restricteduser or
                                                    # one of roles (role_...); default: admin
                                                    # with the permission below, else user
        permissions: [manage_group_numbers]         # what /me/ reports, nothing more; null:
                                                    # /me/ shows no permissions list
        manage_numbers: true                        # may manage group numbers; default: the
                                                    # permission in the role or in permissions
        image: null
        date_created: "2024-01-01T00:00:00+00:00"   # and date_updated
    roles:                                          # custom roles, beside the built-in admin,
      - id: role_...                                # superuser, user and restricteduser
        name: Team lead                             # required
        permissions: [calling, manage_group_numbers]
    groups:
      - id: group_...                               # default: derived from the name
        name: Sales EMEA                            # required, unique
        members: [alice@acme.example, user_...]     # user ids or emails
    api_keys:                                       # HTTP Basic, key as username
      - {key: api_..., user: admin@acme.example}    # user: an id or an email
    oauth_tokens:                                   # Authorization: Bearer
      - {token: oauth_..., user: user_..., expires_after: 50}
    numbers:                                        # served in this order (creation order)
      - number: "+16503334444"                      # required, E.164, unique
        id: phon_...                                # default: derived from the number
        type: internal                              # or external, virtual
        label: Sales                                # ... any documented field of a phone number;
        participants: [alice@acme.example]          #     participants by id or email,
        participant_groups: [Sales EMEA]            #     groups by id or name
        user_id: bob@acme.example                   # only with no participants and no groups
    rate_limits:                                    # see RateLimits
      limit: 40                                     # per credential and endpoint group, per window
      window: 8                                     # seconds
      organization: {limit: 120, window: 8}         # per organization and endpoint group
      endpoint_groups:                              # name -> "METHOD /path/" (* = one segment)
        reads: ["GET /phone_number/", "GET /phone_number/*/", "GET /user/", "GET /group/"]
        writes: ["PUT /phone_number/*/"]
      groups: {"writes": [5, 1]}                    # per-credential (limit, window) of a group
      separator: "; "                               # and reset_format, retry_after, body_on_429
    faults: {latency: 0, error_rate: 0, schedule: ["503", ok], match: PUT}     # see Faults
    quirks: {permission_error: 400, deprecated_fields: false, personal_numbers: true,
             personal_number_error: 404, personal_members: group,
             forwarding_needs_target: true}                                     # see Quirks

Writable fields are validated as PUT validates them (except that label, forward_to and
inbound_ring_duration may be null, as on a real account); missing fields get the defaults of a
freshly rented number; derived fields (the *_formatted ones, user_id, is_group_number) are
recomputed. At least one API key or OAuth token is required.

Where Close is less tidy than its docs, the seed chooses (the default is always the tidy case):

- Users of several organizations. `GET /user/` lists every user who shares an active membership
  with the caller (users of the caller's other organizations included), each with
  `organizations`: the ids of their active memberships. `/me/` lists the caller's organizations
  and one membership each; the emulator models roles in the primary organization only, so in any
  other the caller is a plain `user` with no permissions granted. A participant, a group member
  and a credential's user must be a member of the primary organization.
- Former members (`active: false`): no longer in `GET /user/` nor in their own `organizations`,
  but `GET /user/{id}/` still answers them to users of the primary organization, and a number
  may still list them as participants. A PUT that adds one (or a user of another organization)
  gets a 400 field error on `participants`; one that keeps a former member already on the
  number is accepted (Close's behaviour is undocumented; refusing would make such a number
  uneditable until someone removed them). A credential needs an active member.
- Who may manage group numbers is `manage_numbers`, else the string manage_group_numbers (Close's
  name, from a real role record) in the role's permissions or in `permissions`. The built-in
  roles' permissions are served by `GET /role/` and `GET /role/{id}/` (admin and superuser hold
  it, user and restricteduser do not), custom ones from `roles`. /me/ shows `permissions` as
  `permissions_granted` whatever that truth is, since Close's own example admin has
  `permissions_granted: [bulk_edit, export]`; `permissions: null` leaves the list out. The old
  guess manage_team_phone_numbers is refused: Close has no such permission.
  `quirks.permission_error` picks how a forbidden PUT is refused: 403 `{"error": ...}` or 400
  `{"errors": ["You need the ..."], "field-errors": {}}`.
- Personal numbers (one member, no groups, no external numbers): only their member may change
  them ("You can only update your own personal numbers"), refused as
  `quirks.personal_number_error` says (403, 400 with an `errors` list, or 404); switched off by
  `quirks.personal_numbers: false`. Writing participants, participant_groups or phone_numbers
  so that one rings anyone else is refused with a 400 field error, or with
  `quirks.personal_members: group` makes it a group number. `quirks.forwarding_needs_target`
  (on by default) refuses a write that leaves forwarding on with no forward_to.
- `expires_after: N` on a key or token: its first N requests are served (whatever they answer,
  429s included; requests faulted before authentication do not count), every later one gets the
  same 401 as an unknown credential. `Emulator.credential_uses_left` holds what is left.
- Rate limits per credential and per organization, in fixed windows opened by a group's first
  request; the `RateLimit` header describes the limit with the fewest requests remaining (the
  credential's on a tie), so its numbers may jump between answers; a 429 describes the used-up
  limit that resets last, with remaining=0. The fault "429-bare" (scheduled, or the share
  `rate_429_bare`) is a 429 from the edge: no body, no RateLimit, no Retry-After.
- `quirks.deprecated_fields: false`: no answer carries `user_id` or `is_group_number`, and the
  list filters of the same names are ignored.
- The old personal-number shape: `user_id` (an id or email of a member, current or former) on a
  number with no participants and no participant_groups makes it that user's personal number:
  served with `participants: []` and that `user_id`, and its owner counts as its sole member
  (for the permission rule, /me/ and participant_user_id). A PUT that writes participants or
  participant_groups turns it into the current shape. Elsewhere a seed's `user_id` is ignored.
- External numbers (`type: external`, outbound caller id only) take inbound settings in seeds
  and PUTs like any number; Close does not use them for calls, and the emulator does not judge.
- The fault "corrupt-gzip-after-write" runs the request, then answers its status with
  `Content-Encoding: gzip` and a body that is not valid gzip; the request log records the real
  status and `fault="corrupt-gzip-after-write"`.
- The fault "hang-after-write" runs the request, then never answers: the connection stays open
  until the emulator stops (at most two minutes), like a gateway that stalled after the write.
"""

from __future__ import annotations

import copy
import hashlib
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from numbersync.emulator.faults import Faults
from numbersync.emulator.quirks import Quirks
from numbersync.emulator.ratelimit import RateLimits
from numbersync.emulator.settings import SettingsError
from numbersync.emulator.state import (
    BUILT_IN_ROLES,
    DERIVED_FIELDS,
    E164,
    MANAGE_PERMISSION,
    Credential,
    Group,
    Organization,
    Role,
    State,
    User,
    iso,
    make_id,
    number_defaults,
    parse_iso,
    validate_fields,
)
from numbersync.errors import UsageError

DEFAULT_SEED_NAME = "default_seed.yaml"


def _gravatar(email: str) -> str:
    """A user's `image` when the seed gives none: the avatar Close shows for a user with none of
    their own (both of its user examples have one; `image` is a string in every user it
    documents). A seed may still say `image: null`."""
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}"


_EPOCH = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)  # fixed, so seeds build identically every time
_TOP_KEYS = frozenset(
    {"organization", "other_organizations", "users", "groups", "api_keys", "oauth_tokens"}
    | {"numbers", "rate_limits", "faults", "quirks", "roles"}
)
# The guess at the permission's name before a real Close role record showed it.
_NOT_A_PERMISSION = "manage_team_phone_numbers"
_USER_KEYS = frozenset(
    {"id", "email", "first_name", "last_name", "permissions", "role_id", "image"}
    | {"date_created", "date_updated", "organizations", "active", "manage_numbers"}
)

# An empty organization with one admin and its key: what Emulator(None) serves.
MINIMAL_SEED: dict[str, Any] = {
    "organization": {"id": "orga_emulator0000000000000000000000000000000000", "name": "Emulator"},
    "users": [
        {
            "id": "user_emulatorAdmin000000000000000000000000000",
            "email": "admin@emulator.example",
            "first_name": "Emulator",
            "last_name": "Admin",
            "permissions": [MANAGE_PERMISSION],
        }
    ],
    "api_keys": [{"key": "api_emulator_admin.fake0000", "user": "admin@emulator.example"}],
    "numbers": [],
}


class SeedError(UsageError):
    """A seed that cannot be served; the message lists every problem, one per line."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(
            f"invalid emulator seed {name}:\n{lines}",
            hint="The seed format is described in numbersync/emulator/seed.py.",
        )


@dataclass(frozen=True)
class BuiltSeed:
    """A validated seed: the state to serve and the fault, rate-limit and quirk settings it asks
    for."""

    state: State
    faults: Faults
    rate_limits: RateLimits
    quirks: Quirks


def default_seed_path() -> Path:
    """The seed `numbersync emulator` and the demo serve (Acme; examples/emulator-seed.yaml)."""
    return Path(str(resources.files("numbersync.emulator") / DEFAULT_SEED_NAME))


def load_seed(source: Mapping[str, Any] | str | os.PathLike[str] | None) -> dict[str, Any]:
    """Read a seed (a YAML path, a dict, or None for MINIMAL_SEED) and validate it whole.

    Returns the seed as a plain dict; raises SeedError listing every problem.
    """
    data, name = read_seed(source)
    build_seed(data, name=name)
    return dict(data)  # build_seed proved it is a mapping


def read_seed(source: Mapping[str, Any] | str | os.PathLike[str] | None) -> tuple[Any, str]:
    """The raw seed data and a name for messages, without validating it."""
    if source is None:
        return copy.deepcopy(MINIMAL_SEED), "(minimal seed)"
    if isinstance(source, Mapping):
        return source, "(dict)"
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader), str(path)
    except yaml.YAMLError as exc:
        raise SeedError(str(path), [f"not valid YAML: {exc}"]) from None


def build_seed(data: Any, *, name: str = "(dict)") -> BuiltSeed:
    """Validate seed data and build what the emulator serves; SeedError lists every problem."""
    if not isinstance(data, Mapping):
        raise SeedError(name, ["the seed must be a mapping with users, api_keys, numbers, ..."])
    problems: list[str] = []
    builder = _Builder(problems)
    for key in sorted(set(data) - _TOP_KEYS, key=str):
        problems.append(f"{key}: unknown key; expected some of {', '.join(sorted(_TOP_KEYS))}")
    organization = builder.organization(data.get("organization"))
    others = builder.other_organizations(data.get("other_organizations"))
    roles = builder.roles(data.get("roles"))
    users = builder.users(data.get("users"))
    groups = builder.groups(data.get("groups"))
    credentials = builder.credentials("api_keys", "key", data.get("api_keys"))
    credentials += builder.credentials("oauth_tokens", "token", data.get("oauth_tokens"))
    if not credentials:
        problems.append("api_keys: at least one API key or OAuth token is needed to call the API")
    numbers = builder.numbers(organization, data.get("numbers"))
    faults = Faults()
    rate_limits = RateLimits()
    quirks = Quirks()
    try:
        faults = Faults.from_mapping(builder.mapping("faults", data.get("faults")))
    except (TypeError, ValueError) as exc:
        problems.append(f"faults: {exc}")
    try:
        rate_limits = RateLimits.from_mapping(
            builder.mapping("rate_limits", data.get("rate_limits"))
        )
    except SettingsError as exc:
        problems += [f"rate_limits.{problem}" for problem in exc.problems]
    except (TypeError, ValueError) as exc:
        problems.append(f"rate_limits: {exc}")
    try:
        quirks = Quirks.from_mapping(builder.mapping("quirks", data.get("quirks")))
    except SettingsError as exc:
        problems += [f"quirks.{problem}" for problem in exc.problems]
    except (TypeError, ValueError) as exc:
        problems.append(f"quirks: {exc}")
    if problems:
        raise SeedError(name, problems)
    state = State(
        organization, users, groups, credentials, numbers, other_organizations=others, roles=roles
    )
    return BuiltSeed(state, faults, rate_limits, quirks)


class _Builder:
    """Turns each part of a seed into state objects, appending problems instead of raising so
    that one run reports everything wrong with the seed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.primary = ""  # the organization's id, once read
        self.organization_ids: list[str] = []
        self.users_by_id: dict[str, User] = {}
        self.user_ids_by_email: dict[str, str] = {}
        self.groups_by_id: dict[str, Group] = {}
        self.group_ids_by_name: dict[str, str] = {}
        self.roles_by_id: dict[str, Role] = dict(BUILT_IN_ROLES)

    def mapping(self, path: str, value: Any) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problems.append(f"{path}: expected a mapping")
            return {}
        return value

    def entries(self, path: str, value: Any) -> list[tuple[str, Mapping[str, Any]]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append(f"{path}: expected a list")
            return []
        found = []
        for index, entry in enumerate(value):
            if isinstance(entry, Mapping):
                found.append((f"{path}[{index}]", entry))
            else:
                self.problems.append(f"{path}[{index}]: expected a mapping")
        return found

    def text(self, path: str, entry: Mapping[str, Any], key: str, default: str | None) -> str:
        value = entry.get(key, default)
        if not isinstance(value, str) or not value:
            self.problems.append(
                f"{path}.{key}: {'required, ' if default is None else ''}"
                "expected a non-empty string"
            )
            return ""
        return value

    def unknown(self, path: str, entry: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for key in sorted(set(entry) - allowed, key=str):
            self.problems.append(f"{path}.{key}: unknown key; expected some of {sorted(allowed)}")

    def organization(self, value: Any) -> Organization:
        entry = self.mapping("organization", value)
        self.unknown("organization", entry, frozenset({"id", "name"}))
        name = self.text("organization", entry, "name", "Emulator")
        organization = Organization(
            self.text("organization", entry, "id", make_id("orga", name)), name
        )
        self.primary = organization.id
        self.organization_ids.append(organization.id)
        return organization

    def other_organizations(self, value: Any) -> list[Organization]:
        found = []
        for path, entry in self.entries("other_organizations", value):
            self.unknown(path, entry, frozenset({"id", "name"}))
            name = self.text(path, entry, "name", None)
            org_id = self.text(path, entry, "id", make_id("orga", name))
            if org_id and not org_id.startswith("orga_"):
                self.problems.append(f"{path}.id: an organization id starts with orga_")
            if org_id in self.organization_ids:
                self.problems.append(f"{path}.id: duplicate organization id {org_id}")
                continue
            self.organization_ids.append(org_id)
            found.append(Organization(org_id, name))
        return found

    def memberships(self, path: str, entry: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """A user's active and former organization ids, from `organizations` and `active`."""
        value = entry.get("organizations", [self.primary])
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) for item in value)
        ):
            self.problems.append(f"{path}.organizations: expected a non-empty list of ids")
            value = [self.primary]
        unknown = [item for item in value if item not in self.organization_ids]
        if unknown:
            self.problems.append(
                f"{path}.organizations: {', '.join(unknown)} is neither the organization nor "
                "one of other_organizations"
            )
        if len(set(value)) != len(value):
            self.problems.append(f"{path}.organizations: an organization is listed twice")
        active = entry.get("active", True)
        if not isinstance(active, bool):
            self.problems.append(f"{path}.active: expected true or false")
            active = True
        if active:
            return list(dict.fromkeys(value)), []
        if self.primary not in value:
            self.problems.append(
                f"{path}.active: false means the membership of the organization "
                f"{self.primary} is inactive, so organizations must list it"
            )
        return [item for item in dict.fromkeys(value) if item != self.primary], [self.primary]

    def users(self, value: Any) -> list[User]:
        for path, entry in self.entries("users", value):
            self.unknown(path, entry, _USER_KEYS)
            email = self.text(path, entry, "email", None)
            user_id = self.text(path, entry, "id", make_id("user", email.casefold()))
            if user_id and not user_id.startswith("user_"):
                self.problems.append(f"{path}.id: a user id starts with user_")
            permissions = self.permissions(f"{path}.permissions", entry.get("permissions", []))
            default_role = "admin" if MANAGE_PERMISSION in (permissions or ()) else "user"
            role_id = self.text(path, entry, "role_id", default_role)
            role = self.roles_by_id.get(role_id)
            if role_id and role is None:
                self.problems.append(
                    f"{path}.role_id: expected {', '.join(BUILT_IN_ROLES)} or the id of one "
                    f"of roles (role_...), got {role_id!r}"
                )
            manage = entry.get("manage_numbers")
            if manage is not None and not isinstance(manage, bool):
                self.problems.append(f"{path}.manage_numbers: expected true or false")
                manage = None
            active, former = self.memberships(path, entry)
            created = entry.get("date_created", iso(_EPOCH))
            for key in ("first_name", "last_name", "image"):
                if entry.get(key) is not None and not isinstance(entry[key], str):
                    self.problems.append(f"{path}.{key}: expected a string")
            for key in ("date_created", "date_updated"):
                if key in entry and not _is_timestamp(entry[key]):
                    self.problems.append(f"{path}.{key}: expected an ISO 8601 timestamp")
            if user_id in self.users_by_id:
                self.problems.append(f"{path}.id: duplicate user id {user_id}")
            if email.casefold() in self.user_ids_by_email:
                self.problems.append(f"{path}.email: duplicate email {email}")
            user = User(
                id=user_id,
                email=email,
                first_name=str(entry.get("first_name") or ""),
                last_name=str(entry.get("last_name") or ""),
                permissions=None if permissions is None else frozenset(permissions),
                role_id=role_id,
                image=entry.get("image", _gravatar(email)),
                date_created=str(created),
                date_updated=str(entry.get("date_updated", created)),
                organizations=tuple(active),
                former_organizations=tuple(former),
                manage_numbers=manage,
                role_permissions=frozenset(role.permissions if role else ()),
            )
            self.users_by_id.setdefault(user_id, user)
            self.user_ids_by_email.setdefault(email.casefold(), user_id)
        return list(self.users_by_id.values())

    def permissions(self, path: str, value: Any) -> list[str] | None:
        """A list of permission strings (None stays None: no list at all)."""
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            self.problems.append(f"{path}: expected a list of strings")
            return []
        if _NOT_A_PERMISSION in value:
            self.problems.append(
                f"{path}: {_NOT_A_PERMISSION} is not a Close permission; Close calls it "
                f"{MANAGE_PERMISSION}"
            )
        return value

    def roles(self, value: Any) -> list[Role]:
        found = []
        for path, entry in self.entries("roles", value):
            self.unknown(path, entry, frozenset({"id", "name", "permissions"}))
            name = self.text(path, entry, "name", None)
            role_id = self.text(path, entry, "id", make_id("role", name))
            if role_id and not role_id.startswith("role_"):
                self.problems.append(
                    f"{path}.id: a custom role's id starts with role_ (the built-in "
                    f"{', '.join(BUILT_IN_ROLES)} need no entry)"
                )
            elif role_id in self.roles_by_id:
                self.problems.append(f"{path}.id: duplicate role id {role_id}")
                continue
            permissions = self.permissions(f"{path}.permissions", entry.get("permissions", []))
            role = Role(role_id, name, tuple(permissions or ()))
            self.roles_by_id[role_id] = role
            found.append(role)
        return found

    def user_ref(self, path: str, ref: Any, *, active: bool = False) -> str | None:
        """A user id, or an email resolved to one, of a member of the organization (an active
        one when `active`); None (and a problem) otherwise."""
        user_id: str | None = None
        if isinstance(ref, str):
            if ref in self.users_by_id:
                user_id = ref
            elif ref.casefold() in self.user_ids_by_email:
                user_id = self.user_ids_by_email[ref.casefold()]
        if user_id is None:
            self.problems.append(f"{path}: {ref!r} is neither a user id nor the email of a user")
            return None
        user = self.users_by_id[user_id]
        if self.primary in user.organizations:
            return user_id
        if self.primary in user.former_organizations and not active:
            return user_id
        which = "an active member" if self.primary in user.former_organizations else "a member"
        self.problems.append(f"{path}: {ref!r} is not {which} of the organization {self.primary}")
        return None

    def member_ids(self) -> set[str]:
        """Users who may be seeded as participants: current and former members."""
        return {
            u.id
            for u in self.users_by_id.values()
            if self.primary in u.organizations or self.primary in u.former_organizations
        }

    def groups(self, value: Any) -> list[Group]:
        for path, entry in self.entries("groups", value):
            self.unknown(path, entry, frozenset({"id", "name", "members"}))
            name = self.text(path, entry, "name", None)
            group_id = self.text(path, entry, "id", make_id("group", name, length=22))
            if group_id and not group_id.startswith("group_"):
                self.problems.append(f"{path}.id: a group id starts with group_")
            members_raw = entry.get("members", [])
            if not isinstance(members_raw, list):
                self.problems.append(f"{path}.members: expected a list of user ids or emails")
                members_raw = []
            members = [
                self.user_ref(f"{path}.members[{i}]", ref) for i, ref in enumerate(members_raw)
            ]
            if group_id in self.groups_by_id:
                self.problems.append(f"{path}.id: duplicate group id {group_id}")
            if name in self.group_ids_by_name:
                self.problems.append(f"{path}.name: duplicate group name {name!r}")
            group = Group(group_id, name, tuple(dict.fromkeys(m for m in members if m)))
            self.groups_by_id.setdefault(group_id, group)
            self.group_ids_by_name.setdefault(name, group_id)
        return list(self.groups_by_id.values())

    def credentials(self, path: str, kind: Literal["key", "token"], value: Any) -> list[Credential]:
        secret_key = "key" if kind == "key" else "token"
        found: list[Credential] = []
        seen: set[str] = set()
        for entry_path, entry in self.entries(path, value):
            self.unknown(entry_path, entry, frozenset({secret_key, "user", "expires_after"}))
            secret = self.text(entry_path, entry, secret_key, None)
            # A credential acts in the organization, so its user must be an active member.
            user_id = self.user_ref(f"{entry_path}.user", entry.get("user"), active=True)
            expires = entry.get("expires_after")
            if expires is not None and (
                not isinstance(expires, int) or isinstance(expires, bool) or expires < 0
            ):
                self.problems.append(
                    f"{entry_path}.expires_after: expected a number of requests (0 or more), "
                    f"got {expires!r}"
                )
                expires = None
            if secret in seen:
                # Not echoing the secret: seeds hold fake keys, but the habit matters.
                self.problems.append(f"{entry_path}.{secret_key}: duplicate {secret_key}")
            seen.add(secret)
            if secret and user_id:
                label = f"{kind} {len(found) + 1}"
                found.append(Credential(kind, secret, user_id, label, expires))
        return found

    def numbers(self, organization: Organization, value: Any) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        seen_numbers: set[str] = set()
        for index, (path, entry) in enumerate(self.entries("numbers", value)):
            number = entry.get("number")
            if not isinstance(number, str) or not E164.match(number):
                self.problems.append(
                    f"{path}.number: required, in E.164 format (e.g. +16503334444)"
                )
                continue
            fields = dict(entry)
            # Seeds may name participants by email and groups by name, for readability.
            for key, resolve in (
                ("participants", self.user_ids_by_email),
                ("participant_groups", self.group_ids_by_name),
            ):
                items = fields.get(key)
                if isinstance(items, list):
                    fields[key] = [
                        resolve.get(item.casefold() if key == "participants" else item, item)
                        if isinstance(item, str)
                        else item
                        for item in items
                    ]
            changes, errors = validate_fields(
                fields,
                user_ids=self.member_ids(),
                group_ids=self.groups_by_id,
                seeding=True,
                other_user_ids=self.users_by_id,
            )
            for key, message in errors.items():
                self.problems.append(f"{path}.{key}: {message}")
            if changes.get("organization_id", organization.id) != organization.id:
                self.problems.append(f"{path}.organization_id: must be the organization's id")
            created = iso(_EPOCH + timedelta(minutes=index))
            given_id = changes.get("id")
            obj = number_defaults(number, organization.id, created, given_id)
            if "date_created" in changes and "date_updated" not in changes:
                obj["date_updated"] = changes["date_created"]
            obj.update((k, v) for k, v in changes.items() if k not in DERIVED_FIELDS)
            personal = not obj["participants"] and not obj["participant_groups"]
            if personal and entry.get("user_id") is not None:
                # The old personal shape: here user_id is data, not derived.
                obj["user_id"] = self.user_ref(f"{path}.user_id", entry["user_id"])
            if number in seen_numbers:
                self.problems.append(f"{path}.number: duplicate number {number}")
            if obj["id"] in found:
                self.problems.append(f"{path}.id: duplicate id {obj['id']}")
            seen_numbers.add(number)
            found.setdefault(obj["id"], obj)
        return list(found.values())


def _is_timestamp(value: Any) -> bool:
    try:
        parse_iso(value)
    except (TypeError, ValueError):
        return False
    return True


# libyaml's parser when PyYAML has it: the pure-Python one takes ~20 ms on the Acme seed.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader, except that a duplicate key is an error instead of the last one
    silently winning (a seed with two `numbers:` would otherwise lose half its numbers)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def generate_seed(
    n_numbers: int, *, users: int = 20, groups: int = 5, seed: int = 0
) -> dict[str, Any]:
    """A deterministic seed with `n_numbers` numbers, `users` users and `groups` groups.

    User 0 (admin@gen.example) has the manage permission and the first key ("api_gen_admin.fake0")
    plus an OAuth token ("oauth_gen_admin.fake0"); user 1, when there is one, is restricted and has
    its own key ("api_gen_user1.fake0"). Numbers are +16502000000 upwards, in that order, with a
    varied but reproducible mix of participants, groups, forwarding and ring durations.

    Many of them have one participant: other users' personal numbers, which Close lets only
    their owner change. These seeds serve load, fault and benchmark runs, whose applies reach
    every number with the admin's key, so the owner rule is off in them (and writing members
    makes a group number); seeds of their own test the rule.
    """
    if n_numbers < 0 or n_numbers > 7_999_999:
        raise ValueError("n_numbers must be between 0 and 7,999,999")
    if users < 1 or groups < 0:
        raise ValueError("a generated seed needs at least one user and a non-negative group count")
    rng = random.Random(seed)
    user_ids = [f"user_gen{i:038d}" for i in range(users)]
    user_list = [
        {
            "id": user_ids[i],
            "email": "admin@gen.example" if i == 0 else f"user{i}@gen.example",
            "first_name": f"User{i}",
            "last_name": "Generated",
            "permissions": [MANAGE_PERMISSION] if i == 0 else [],
        }
        for i in range(users)
    ]
    group_ids = [f"group_gen{g:019d}" for g in range(groups)]
    group_list = [
        {
            "id": group_ids[g],
            "name": f"Group {g}",
            "members": rng.sample(user_ids, k=min(len(user_ids), rng.randint(1, 4))),
        }
        for g in range(groups)
    ]
    keys = [{"key": "api_gen_admin.fake0", "user": user_ids[0]}]
    if users > 1:
        keys.append({"key": "api_gen_user1.fake0", "user": user_ids[1]})
    numbers = []
    for i in range(n_numbers):
        entry: dict[str, Any] = {
            "id": f"phon_gen{i:040d}",
            "number": f"+1650{2_000_000 + i:07d}",
            "label": f"Line {i}",
            "participants": rng.sample(user_ids, k=min(len(user_ids), rng.choice((0, 1, 1, 2, 3)))),
            "inbound_ring_duration": rng.choice((None, 20, 30, 45, 60)),
            "press_1_to_accept": rng.random() < 0.1,
        }
        if group_ids and rng.random() < 0.3:
            entry["participant_groups"] = [rng.choice(group_ids)]
        if rng.random() < 0.2:
            entry["forward_to"] = f"+1415555{rng.randrange(10_000):04d}"
            entry["forward_to_enabled"] = rng.random() < 0.7
        if rng.random() < 0.2:
            entry["phone_numbers"] = [f"+1415556{rng.randrange(10_000):04d}"]
        if rng.random() < 0.3:
            entry["voicemail_greeting_url"] = f"https://cdn.gen.example/greetings/{i}.mp3"
        numbers.append(entry)
    return {
        "organization": {"id": "orga_gen" + "0" * 40, "name": f"Generated {seed}"},
        "users": user_list,
        "groups": group_list,
        "api_keys": keys,
        "oauth_tokens": [{"token": "oauth_gen_admin.fake0", "user": user_ids[0]}],
        "numbers": numbers,
        "quirks": {"personal_numbers": False, "personal_members": "group"},
    }
