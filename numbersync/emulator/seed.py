"""Emulator seeds: read a YAML seed (or the same as a dict), check it against
schemas/emulator-seed.schema.json and the rules a schema cannot say, and build what the emulator
serves; and generate large deterministic seeds for tests and benchmarks.

docs/emulator.md describes the format and what each key makes the emulator do.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path as FilePath
from typing import Any, Literal

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
from numbersync.errors import Diagnostic, InputError, Path, Position, UsageError, json_path
from numbersync.files import UnreadableError, read_file
from numbersync.resources import shipped_text
from numbersync.yamlsource import Document, parse

DEFAULT_SEED_NAME = "default_seed.yaml"
SeedSource = Mapping[str, Any] | str | os.PathLike[str] | None


def _gravatar(email: str) -> str:
    """A user's `image` when the seed gives none: the avatar Close shows for a user with none of
    their own (both of its user examples have one; `image` is a string in every user it
    documents). A seed may still say `image: null`."""
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}"


_EPOCH = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)  # fixed, so seeds build identically every time
# A name some seeds used before a real Close role record showed the permission's name.
_NOT_A_PERMISSION = "manage_team_phone_numbers"

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
    """A seed that cannot be served. `diagnostics` holds every problem, `problems` the same as
    "$.path: message" lines; each is shown under the message, at its position in a seed file."""

    def __init__(self, name: str, diagnostics: list[Diagnostic], *, positions: bool) -> None:
        # A file's problems in file order, as the desired state's; a dict's in the order checked.
        self.diagnostics = sorted(diagnostics) if positions else diagnostics
        diagnostics = self.diagnostics
        self.problems = [f"{d.path}: {d.message}" for d in diagnostics]
        super().__init__(
            f"invalid emulator seed {name}",
            hint="The seed format is described in docs/emulator.md.",
            details=[
                f"{d.position}: {problem}" if positions else problem
                for d, problem in zip(diagnostics, self.problems, strict=True)
            ],
        )


@dataclass(frozen=True)
class SeedDocument:
    """Seed data, a name for messages, and the positions of its parts when it came from a file."""

    name: str
    doc: Document
    from_file: bool

    @property
    def data(self) -> Any:
        return self.doc.data


@dataclass(frozen=True)
class BuiltSeed:
    """A validated seed: the state to serve and the fault, rate-limit and quirk settings it asks
    for."""

    state: State
    faults: Faults
    rate_limits: RateLimits
    quirks: Quirks


def default_seed_path() -> FilePath:
    """The seed `numbersync emulator` and the demo serve (Acme; examples/emulator-seed.yaml)."""
    return FilePath(str(resources.files("numbersync.emulator") / DEFAULT_SEED_NAME))


@cache
def schema() -> dict[str, Any]:
    """The seed's JSON Schema: shipped inside the package, or read from the source tree."""
    loaded: dict[str, Any] = json.loads(shipped_text("schemas/emulator-seed.schema.json"))
    return loaded


@cache
def _validator() -> Any:
    from numbersync.schemacheck import validator

    return validator(schema())


def load_seed(source: SeedSource) -> dict[str, Any]:
    """Read a seed (a YAML path, a dict, or None for MINIMAL_SEED) and validate it whole.

    Returns the seed as a plain dict; raises SeedError listing every problem.
    """
    seed = read_seed(source)
    build_seed(seed)
    return dict(seed.data)  # build_seed proved it is a mapping


def read_seed(source: SeedSource) -> SeedDocument:
    """The raw seed with a name for messages (and positions, from a file), not yet validated."""
    if source is None:
        return _in_memory(copy.deepcopy(MINIMAL_SEED), "(minimal seed)")
    if isinstance(source, Mapping):
        return _in_memory(source, "(dict)")
    name = os.fspath(source)
    try:
        doc = parse(name, read_file(name))
    except UnreadableError as exc:
        message = f"cannot read the file: {exc.reason}"
        diagnostic = Diagnostic(Position(name, 1, 1), "$", message)
        raise SeedError(name, [diagnostic], positions=False) from None
    except InputError as exc:
        raise SeedError(name, list(exc.diagnostics), positions=True) from None
    return SeedDocument(name, doc, from_file=True)


def _in_memory(data: Mapping[str, Any], name: str) -> SeedDocument:
    return SeedDocument(name, Document(name, data, {}, {}, b"", {}), from_file=False)


def build_seed(seed: SeedDocument) -> BuiltSeed:
    """Validate a seed and build what the emulator serves; SeedError lists every problem."""
    from numbersync.config import explain_errors

    doc, data = seed.doc, seed.data
    problems = list(explain_errors(doc, _validator().iter_errors(data)))
    if not isinstance(data, Mapping):
        raise SeedError(seed.name, problems, positions=seed.from_file)
    # The schema has reported every malformed part; the builder reads past them with defaults,
    # so that one run also reports what is wrong between the parts.
    builder = _Builder(doc, problems)
    organization = builder.organization(data.get("organization"))
    others = builder.other_organizations(data.get("other_organizations"))
    roles = builder.roles(data.get("roles"))
    users = builder.users(data.get("users"))
    groups = builder.groups(data.get("groups"))
    credentials = builder.credentials("api_keys", "key", data.get("api_keys"))
    credentials += builder.credentials("oauth_tokens", "token", data.get("oauth_tokens"))
    if not credentials:
        builder.problem(
            ("api_keys",), "at least one API key or OAuth token is needed to call the API"
        )
    numbers = builder.numbers(organization, data.get("numbers"))
    faults = Faults()
    rate_limits = RateLimits()
    quirks = Quirks()
    try:
        faults = Faults.from_mapping(_mapping(data.get("faults")))
    except (TypeError, ValueError) as exc:
        builder.problem(("faults",), str(exc))
    try:
        rate_limits = RateLimits.from_mapping(_mapping(data.get("rate_limits")))
    except SettingsError as exc:
        builder.settings_problems("rate_limits", exc)
    except (TypeError, ValueError) as exc:
        builder.problem(("rate_limits",), str(exc))
    try:
        quirks = Quirks.from_mapping(_mapping(data.get("quirks")))
    except SettingsError as exc:
        builder.settings_problems("quirks", exc)
    except (TypeError, ValueError) as exc:
        builder.problem(("quirks",), str(exc))
    if problems:
        raise SeedError(seed.name, problems, positions=seed.from_file)
    state = State(
        organization, users, groups, credentials, numbers, other_organizations=others, roles=roles
    )
    return BuiltSeed(state, faults, rate_limits, quirks)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(entry: Mapping[str, Any], key: str, default: str = "") -> str:
    value = entry.get(key, default)
    return value if isinstance(value, str) and value else ""


def _entries(section: str, value: Any) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    """The mapping entries of a list section, each with its path (the schema reports others)."""
    if isinstance(value, list):
        for index, entry in enumerate(value):
            if isinstance(entry, Mapping):
                yield (section, index), entry


class _Builder:
    """Turns each part of a seed into state objects, checking what the schema cannot: references
    between parts, unique ids, names and numbers, and phone-number fields as a PUT checks them.
    It appends problems instead of raising, so that one run reports everything wrong."""

    def __init__(self, doc: Document, problems: list[Diagnostic]) -> None:
        self.doc = doc
        self.problems = problems
        self.primary = ""  # the organization's id, once read
        self.organization_ids: list[str] = []
        self.users_by_id: dict[str, User] = {}
        self.user_ids_by_email: dict[str, str] = {}
        self.groups_by_id: dict[str, Group] = {}
        self.group_ids_by_name: dict[str, str] = {}
        self.roles_by_id: dict[str, Role] = dict(BUILT_IN_ROLES)

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Diagnostic(self.doc.position(path), json_path(path), message))

    def settings_problems(self, section: str, exc: SettingsError) -> None:
        """A settings class's "key...: message" lines, under the seed's key for it."""
        for line in exc.problems:
            where, _, message = line.partition(": ")
            key = where.split("[", 1)[0].split(".", 1)[0]
            position = self.doc.position((section, key))
            self.problems.append(Diagnostic(position, f"$.{section}.{where}", message))

    def organization(self, value: Any) -> Organization:
        entry = _mapping(value)
        name = _text(entry, "name", "Emulator")
        organization = Organization(_text(entry, "id", make_id("orga", name)), name)
        self.primary = organization.id
        self.organization_ids.append(organization.id)
        return organization

    def other_organizations(self, value: Any) -> list[Organization]:
        found = []
        for path, entry in _entries("other_organizations", value):
            name = _text(entry, "name")
            org_id = _text(entry, "id", make_id("orga", name))
            if org_id in self.organization_ids:
                self.problem((*path, "id"), f"duplicate organization id {org_id}")
                continue
            self.organization_ids.append(org_id)
            found.append(Organization(org_id, name))
        return found

    def memberships(self, path: Path, entry: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """A user's active and former organization ids, from `organizations` and `active`."""
        value = entry.get("organizations", [self.primary])
        if not isinstance(value, list) or not value or not all(isinstance(i, str) for i in value):
            value = [self.primary]
        unknown = [item for item in value if item not in self.organization_ids]
        if unknown:
            self.problem(
                (*path, "organizations"),
                f"{', '.join(unknown)} is neither the organization nor one of other_organizations",
            )
        if len(set(value)) != len(value):
            self.problem((*path, "organizations"), "an organization is listed twice")
        active = entry.get("active", True)
        if active is not False:
            return list(dict.fromkeys(value)), []
        if self.primary not in value:
            self.problem(
                (*path, "active"),
                f"false means the membership of the organization {self.primary} is inactive, "
                "so organizations must list it",
            )
        return [item for item in dict.fromkeys(value) if item != self.primary], [self.primary]

    def users(self, value: Any) -> list[User]:
        for path, entry in _entries("users", value):
            email = _text(entry, "email")
            user_id = _text(entry, "id", make_id("user", email.casefold()))
            permissions = self.permissions((*path, "permissions"), entry.get("permissions", []))
            default_role = "admin" if MANAGE_PERMISSION in (permissions or ()) else "user"
            role_id = _text(entry, "role_id", default_role)
            role = self.roles_by_id.get(role_id)
            if role_id and role is None:
                self.problem(
                    (*path, "role_id"),
                    f"expected {', '.join(BUILT_IN_ROLES)} or the id of one of roles (role_...), "
                    f"got {role_id!r}",
                )
            manage = entry.get("manage_numbers")
            active, former = self.memberships(path, entry)
            created = entry.get("date_created", iso(_EPOCH))
            for key in ("date_created", "date_updated"):
                if isinstance(entry.get(key), str) and not _is_timestamp(entry[key]):
                    self.problem((*path, key), "expected an ISO 8601 timestamp")
            if user_id in self.users_by_id:
                self.problem((*path, "id"), f"duplicate user id {user_id}")
            if email.casefold() in self.user_ids_by_email:
                self.problem((*path, "email"), f"duplicate email {email}")
            user = User(
                id=user_id,
                email=email,
                first_name=_text(entry, "first_name"),
                last_name=_text(entry, "last_name"),
                permissions=None if permissions is None else frozenset(permissions),
                role_id=role_id,
                image=entry.get("image", _gravatar(email)),
                date_created=str(created),
                date_updated=str(entry.get("date_updated", created)),
                organizations=tuple(active),
                former_organizations=tuple(former),
                manage_numbers=manage if isinstance(manage, bool) else None,
                role_permissions=frozenset(role.permissions if role else ()),
            )
            self.users_by_id.setdefault(user_id, user)
            self.user_ids_by_email.setdefault(email.casefold(), user_id)
        return list(self.users_by_id.values())

    def permissions(self, path: Path, value: Any) -> list[str] | None:
        """A list of permission strings (None stays None: no list at all)."""
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            return []
        if _NOT_A_PERMISSION in value:
            self.problem(
                path,
                f"{_NOT_A_PERMISSION} is not a Close permission; Close calls it "
                f"{MANAGE_PERMISSION}",
            )
        return value

    def roles(self, value: Any) -> list[Role]:
        found = []
        for path, entry in _entries("roles", value):
            name = _text(entry, "name")
            role_id = _text(entry, "id", make_id("role", name))
            if role_id in self.roles_by_id:
                self.problem((*path, "id"), f"duplicate role id {role_id}")
                continue
            permissions = self.permissions((*path, "permissions"), entry.get("permissions", []))
            role = Role(role_id, name, tuple(permissions or ()))
            self.roles_by_id[role_id] = role
            found.append(role)
        return found

    def user_ref(self, path: Path, ref: Any, *, active: bool = False) -> str | None:
        """A user id, or an email resolved to one, of a member of the organization (an active
        one when `active`); None (and a problem) otherwise."""
        user_id: str | None = None
        if isinstance(ref, str):
            if ref in self.users_by_id:
                user_id = ref
            elif ref.casefold() in self.user_ids_by_email:
                user_id = self.user_ids_by_email[ref.casefold()]
        if user_id is None:
            if isinstance(ref, str):  # the schema reports any other type
                self.problem(path, f"{ref!r} is neither a user id nor the email of a user")
            return None
        user = self.users_by_id[user_id]
        if self.primary in user.organizations:
            return user_id
        if self.primary in user.former_organizations and not active:
            return user_id
        which = "an active member" if self.primary in user.former_organizations else "a member"
        self.problem(path, f"{ref!r} is not {which} of the organization {self.primary}")
        return None

    def member_ids(self) -> set[str]:
        """Users who may be seeded as participants: current and former members."""
        return {
            u.id
            for u in self.users_by_id.values()
            if self.primary in u.organizations or self.primary in u.former_organizations
        }

    def groups(self, value: Any) -> list[Group]:
        for path, entry in _entries("groups", value):
            name = _text(entry, "name")
            group_id = _text(entry, "id", make_id("group", name, length=22))
            members_raw = entry.get("members", [])
            members = [
                self.user_ref((*path, "members", i), ref)
                for i, ref in enumerate(members_raw if isinstance(members_raw, list) else [])
            ]
            if group_id in self.groups_by_id:
                self.problem((*path, "id"), f"duplicate group id {group_id}")
            if name in self.group_ids_by_name:
                self.problem((*path, "name"), f"duplicate group name {name!r}")
            group = Group(group_id, name, tuple(dict.fromkeys(m for m in members if m)))
            self.groups_by_id.setdefault(group_id, group)
            self.group_ids_by_name.setdefault(name, group_id)
        return list(self.groups_by_id.values())

    def credentials(
        self, section: str, kind: Literal["key", "token"], value: Any
    ) -> list[Credential]:
        found: list[Credential] = []
        seen: set[str] = set()
        for path, entry in _entries(section, value):
            secret = _text(entry, kind)
            # A credential acts in the organization, so its user must be an active member.
            user_id = self.user_ref((*path, "user"), entry.get("user"), active=True)
            expires = entry.get("expires_after")
            if not isinstance(expires, int) or isinstance(expires, bool) or expires < 0:
                expires = None
            if secret in seen:
                # Not echoing the secret: seeds hold fake keys, but the habit matters.
                self.problem((*path, kind), f"duplicate {kind}")
            seen.add(secret)
            if secret and user_id:
                label = f"{kind} {len(found) + 1}"
                found.append(Credential(kind, secret, user_id, label, expires))
        return found

    def numbers(self, organization: Organization, value: Any) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        seen_numbers: set[str] = set()
        for index, (path, entry) in enumerate(_entries("numbers", value)):
            number = entry.get("number")
            if not isinstance(number, str) or not E164.match(number):
                continue  # the schema reports it
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
                self.problem((*path, key), message)
            if changes.get("organization_id", organization.id) != organization.id:
                self.problem((*path, "organization_id"), "must be the organization's id")
            created = iso(_EPOCH + timedelta(minutes=index))
            given_id = changes.get("id")
            obj = number_defaults(number, organization.id, created, given_id)
            if "date_created" in changes and "date_updated" not in changes:
                obj["date_updated"] = changes["date_created"]
            obj.update((k, v) for k, v in changes.items() if k not in DERIVED_FIELDS)
            personal = not obj["participants"] and not obj["participant_groups"]
            if personal and entry.get("user_id") is not None:
                # The old personal shape: here user_id is data, not derived.
                obj["user_id"] = self.user_ref((*path, "user_id"), entry["user_id"])
            if number in seen_numbers:
                self.problem((*path, "number"), f"duplicate number {number}")
            if obj["id"] in found:
                self.problem((*path, "id"), f"duplicate id {obj['id']}")
            seen_numbers.add(number)
            found.setdefault(obj["id"], obj)
        return list(found.values())


def _is_timestamp(value: Any) -> bool:
    try:
        parse_iso(value)
    except (TypeError, ValueError):
        return False
    return True


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
