"""The domain: what the file wants, and the vocabulary it shares with what Close has
(numbersync.account).

Plain frozen dataclasses with no behaviour beyond small derived properties; every step of the
pipeline (load -> validate -> fetch -> diff -> render -> apply) passes these between modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from numbersync.errors import Position

# The settings numbersync manages: exactly the writable fields of `PUT /phone_number/{id}/`.
MANAGED_FIELDS: tuple[str, ...] = (
    "label",
    "forward_to",
    "forward_to_enabled",
    "inbound_ring_duration",
    "participants",
    "participant_groups",
    "phone_numbers",
    "press_1_to_accept",
    "voicemail_greeting_url",
)
# Lists that Close replaces whole and that are compared as sets (order and duplicates ignored).
SET_FIELDS: frozenset[str] = frozenset({"participants", "participant_groups", "phone_numbers"})
# Settings Close uses only for calls that come in: all but the label. An external number (a
# number of yours that Close uses as outbound caller ID only) never receives them.
INBOUND_FIELDS: tuple[str, ...] = tuple(name for name in MANAGED_FIELDS if name != "label")
# What a number rings: the apply safety rail refuses a change that leaves all three empty.
RINGING_FIELDS: tuple[str, ...] = ("participants", "participant_groups", "phone_numbers")
# What a user without "Manage Team Phone Numbers" (manage_group_numbers) may still change on a
# number they alone belong to.
UNPRIVILEGED_FIELDS: frozenset[str] = frozenset(
    {"label", "voicemail_greeting_url", "forward_to", "forward_to_enabled"}
)
# Requests in flight at once, reads and writes: the fastest plan of a large account in `make
# bench`'s sweep, and enough workers to reach a write limit at Close's latency (figures in
# benchmarks/results.md). The pacer, not this number, keeps to the rate limits.
DEFAULT_CONCURRENCY = 16
DEFAULT_RING_DURATION = 30  # Close: "null means the default of 30 seconds is used"
MAX_PARTICIPANT_GROUPS = 40

# A managed value: str, bool, int, None, or a tuple of str for the set fields.
Value = Any


@dataclass(frozen=True)
class Safety:
    """The apply safety rail: refuse changing more than `max_change_percent` of the managed numbers
    when at least `min_managed` are managed, unless --force."""

    max_change_percent: float = 30.0
    min_managed: int = 10


# The number types refused in forward_to and phone_numbers when the policy names none: the routes
# of toll fraud, and numbers no country's plan knows.
DEFAULT_REFUSED_TYPES: tuple[str, ...] = ("premium_rate", "shared_cost", "unknown")


@dataclass(frozen=True)
class Policy:
    """The organization's rules (the root's `policy:`), checked by numbersync.policy. None (or
    empty) means the rule is off; the refused number types are on unless the policy says `[]`."""

    allowed_countries: tuple[str, ...] | None = None
    refused_number_types: tuple[str, ...] = DEFAULT_REFUSED_TYPES
    min_ringing: int | None = None
    allowed_greeting_hosts: tuple[str, ...] | None = None


# Where a managed value was set: the number's own entry, its file's `defaults`, or the `defaults`
# of the root numbersync.yaml of a directory (a single file's defaults are "file").
Layer = Literal["number", "file", "root"]


@dataclass(frozen=True)
class Source:
    """Where one field of a number was set. `items` is, for a set field, the index in the file of
    each item kept (duplicates are dropped), so that errors name the item the file has there."""

    layer: Layer
    items: tuple[int, ...] = ()


# How far ahead an acceptance's `until` may be, unless the root's `accepted_drift.max_days` says.
DEFAULT_MAX_ACCEPT_DAYS = 90


@dataclass(frozen=True)
class Acceptance:
    """Drift the file accepts for a while: Close's `value` of `field` (normalised as Close's side
    is), kept without a change while Close keeps exactly it and `until` (a UTC day, inclusive)
    has not passed. `position` is where the field's entry under `accepted` is written, `path`
    its JSON path, `until_position` where its day is."""

    field: str
    value: Value
    reason: str
    until: date
    position: Position
    path: tuple[str | int, ...] = ()
    until_position: Position | None = None


@dataclass(frozen=True)
class DesiredNumber:
    """One number as the file wants it, after `defaults` were merged and values normalised.

    `number` is E.164 when the key is a number, `id` is set when the key is a `phon_...` id.
    Set fields hold a tuple of references in file order without duplicates: user ids or emails
    (participants), group ids or names (participant_groups), E.164 numbers (phone_numbers).
    `file` is the config file the number is written in. `positions` maps "" (the key) and each
    field name, and "field[i]" for list items (i: the item's index in the file), to the place
    where it was written (for a value from `defaults`, the place in those defaults, which may be
    another file: the root's). `sources` says which layer set each field.
    """

    key: str
    number: str | None
    id: str | None
    fields: Mapping[str, Value]
    positions: Mapping[str, Position] = field(default_factory=dict, compare=False)
    file: str = ""
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False)
    accepted: tuple[Acceptance, ...] = ()
    # The policy rules waived for this number only, each with its reason (`waive:`); their
    # positions are in `positions` as "waive.RULE".
    waivers: Mapping[str, str] = field(default_factory=dict)

    @property
    def position(self) -> Position:
        return self.positions[""]

    def position_of(self, name: str) -> Position:
        """The position of a field (or list item), falling back to the number's key."""
        return self.positions.get(name) or self.positions.get(name.split("[")[0]) or self.position

    def layer_of(self, name: str) -> Layer:
        source = self.sources.get(name)
        return source.layer if source else "number"

    def file_index(self, name: str, n: int) -> int:
        """The index in the file of item `n` of the set field `name` (as kept in `fields`)."""
        source = self.sources.get(name)
        return source.items[n] if source and n < len(source.items) else n

    def path_of(self, name: str = "") -> tuple[str | int, ...]:
        """The JSON path of the key (""), a field or a list item ("participants[2]", the file's
        index) where it was written: under the number, or under the `defaults` that set it."""
        base, _, index = name.partition("[")
        if not base:
            return ("numbers", self.key)
        if self.layer_of(base) == "number":
            path: tuple[str | int, ...] = ("numbers", self.key, base)
        else:
            path = ("defaults", base)
        return (*path, int(index[:-1])) if index else path


@dataclass(frozen=True)
class DesiredState:
    """The whole desired state, validated and normalised: one file, or a directory of them.

    `path` is what was given (a file or a directory); `files` every file read, in sorted path
    order; `root` the directory's numbersync.yaml, when it has one. `groups` are the managed
    groups, file by file in that order, each as its file lists them."""

    path: str
    version: int
    numbers: tuple[DesiredNumber, ...]
    safety: Safety = field(default_factory=Safety)
    fingerprint: str = ""  # sha256 of the file's bytes (of every path and bytes, for a directory)
    files: tuple[str, ...] = ()
    root: str | None = None
    groups: tuple[DesiredGroup, ...] = ()
    max_accept_days: int = DEFAULT_MAX_ACCEPT_DAYS
    policy: Policy = field(default_factory=Policy)


@dataclass(frozen=True)
class DesiredGroup:
    """One group of the file's `groups:` mapping: its key (a group name or a `group_...` id) and
    the members the file wants, as written (emails or user ids, file order, no duplicates).
    `positions` maps "" (the key), "members" and "members[i]" (i: the item's index in the file).
    `accepted` holds the acceptance of its membership's drift, if the file writes one."""

    key: str
    members: tuple[str, ...]
    positions: Mapping[str, Position] = field(default_factory=dict, compare=False)
    file: str = ""
    accepted: tuple[Acceptance, ...] = ()

    @property
    def position(self) -> Position:
        return self.positions[""]
