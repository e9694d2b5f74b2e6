"""Emulator seeds: read and validate a YAML seed (or the same as a dict), and generate large
deterministic ones for tests and benchmarks.

Seed format (every key optional unless marked; unknown keys are refused)::

    organization: {id: orga_..., name: Acme}        # default: a fixed id, name "Emulator"
    users:                                          # the organization's members
      - id: user_...                                # default: derived from the email
        email: alice@acme.example                   # required, unique (case-insensitive)
        first_name: Alice
        last_name: Archer
        permissions: [manage_team_phone_numbers]    # snake_case, as /me/ reports them
        role_id: admin                              # default: admin with the permission, else user
        image: null
        date_created: "2024-01-01T00:00:00+00:00"   # and date_updated
    groups:
      - id: group_...                               # default: derived from the name
        name: Sales EMEA                            # required, unique
        members: [alice@acme.example, user_...]     # user ids or emails
    api_keys:                                       # HTTP Basic, key as username
      - {key: api_..., user: admin@acme.example}    # user: an id or an email
    oauth_tokens:                                   # Authorization: Bearer
      - {token: oauth_..., user: user_...}
    numbers:                                        # served in this order (creation order)
      - number: "+16503334444"                      # required, E.164, unique
        id: phon_...                                # default: derived from the number
        label: Sales                                # ... any documented field of a phone number;
        participants: [alice@acme.example]          #     participants by id or email,
        participant_groups: [Sales EMEA]            #     groups by id or name
    rate_limits: {limit: 1000, window: 1, groups: {"PUT phone_number": [5, 1]}, separator: ", ",
                  reset_format: int, retry_after: true, body_on_429: true}     # see RateLimits
    faults: {latency: 0, error_rate: 0, schedule: ["503", ok], match: PUT}     # see Faults

Writable fields are validated as PUT validates them (except that label, forward_to and
inbound_ring_duration may be null, as on a real account); missing fields get the defaults of a
freshly rented number; derived fields (the *_formatted ones, user_id, is_group_number) are
recomputed. At least one API key or OAuth token is required.
"""

from __future__ import annotations

import copy
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
from numbersync.emulator.ratelimit import RateLimits
from numbersync.emulator.state import (
    DERIVED_FIELDS,
    E164,
    MANAGE_PERMISSION,
    Credential,
    Group,
    Organization,
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
_EPOCH = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)  # fixed, so seeds build identically every time
_TOP_KEYS = frozenset(
    {"organization", "users", "groups", "api_keys", "oauth_tokens", "numbers"}
    | {"rate_limits", "faults"}
)
_USER_KEYS = frozenset(
    {"id", "email", "first_name", "last_name", "permissions", "role_id", "image"}
    | {"date_created", "date_updated"}
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
    """A validated seed: the state to serve and the fault and rate-limit settings it asks for."""

    state: State
    faults: Faults
    rate_limits: RateLimits


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
    users = builder.users(data.get("users"))
    groups = builder.groups(data.get("groups"))
    credentials = builder.credentials("api_keys", "key", data.get("api_keys"))
    credentials += builder.credentials("oauth_tokens", "token", data.get("oauth_tokens"))
    if not credentials:
        problems.append("api_keys: at least one API key or OAuth token is needed to call the API")
    numbers = builder.numbers(organization, data.get("numbers"))
    faults = Faults()
    rate_limits = RateLimits()
    try:
        faults = Faults.from_mapping(builder.mapping("faults", data.get("faults")))
    except (TypeError, ValueError) as exc:
        problems.append(f"faults: {exc}")
    try:
        rate_limits = RateLimits.from_mapping(
            builder.mapping("rate_limits", data.get("rate_limits"))
        )
    except (TypeError, ValueError) as exc:
        problems.append(f"rate_limits: {exc}")
    if problems:
        raise SeedError(name, problems)
    state = State(organization, users, groups, credentials, numbers)
    return BuiltSeed(state, faults, rate_limits)


class _Builder:
    """Turns each part of a seed into state objects, appending problems instead of raising so
    that one run reports everything wrong with the seed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.users_by_id: dict[str, User] = {}
        self.user_ids_by_email: dict[str, str] = {}
        self.groups_by_id: dict[str, Group] = {}
        self.group_ids_by_name: dict[str, str] = {}

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
        return Organization(self.text("organization", entry, "id", make_id("orga", name)), name)

    def users(self, value: Any) -> list[User]:
        for path, entry in self.entries("users", value):
            self.unknown(path, entry, _USER_KEYS)
            email = self.text(path, entry, "email", None)
            user_id = self.text(path, entry, "id", make_id("user", email.casefold()))
            if user_id and not user_id.startswith("user_"):
                self.problems.append(f"{path}.id: a user id starts with user_")
            permissions = entry.get("permissions", [])
            if not isinstance(permissions, list) or not all(
                isinstance(p, str) for p in permissions
            ):
                self.problems.append(f"{path}.permissions: expected a list of strings")
                permissions = []
            default_role = "admin" if MANAGE_PERMISSION in permissions else "user"
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
                permissions=frozenset(permissions),
                role_id=self.text(path, entry, "role_id", default_role),
                image=entry.get("image"),
                date_created=str(created),
                date_updated=str(entry.get("date_updated", created)),
            )
            self.users_by_id.setdefault(user_id, user)
            self.user_ids_by_email.setdefault(email.casefold(), user_id)
        return list(self.users_by_id.values())

    def user_ref(self, path: str, ref: Any) -> str | None:
        """A user id, or an email resolved to one; None (and a problem) when neither."""
        if isinstance(ref, str):
            if ref in self.users_by_id:
                return ref
            if ref.casefold() in self.user_ids_by_email:
                return self.user_ids_by_email[ref.casefold()]
        self.problems.append(f"{path}: {ref!r} is neither a user id nor the email of a user")
        return None

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
            self.unknown(entry_path, entry, frozenset({secret_key, "user"}))
            secret = self.text(entry_path, entry, secret_key, None)
            user_id = self.user_ref(f"{entry_path}.user", entry.get("user"))
            if secret in seen:
                # Not echoing the secret: seeds hold fake keys, but the habit matters.
                self.problems.append(f"{entry_path}.{secret_key}: duplicate {secret_key}")
            seen.add(secret)
            if secret and user_id:
                found.append(Credential(kind, secret, user_id, f"{kind} {len(found) + 1}"))
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
                fields, user_ids=self.users_by_id, group_ids=self.groups_by_id, seeding=True
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
    }
