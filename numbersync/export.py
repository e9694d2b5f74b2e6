"""Write the account's current settings as desired state that loads back exactly and plans clean:
people as emails and groups as names where the plan reads them back to the same id (else the id,
with a comment saying why), every string escaped so that YAML reads it back as it was, and the
members of the groups whose members were read. One file, or a directory: a root numbersync.yaml
with shared defaults and a file per group."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from numbersync import __version__
from numbersync.account import LiveNumber, Me
from numbersync.config import ROOT_FILE
from numbersync.errors import UsageError
from numbersync.escape import LEGACY_COMMAND, is_safe
from numbersync.live import Directory, normalise_live, same_value, sole_member
from numbersync.modeline import modeline
from numbersync.models import INBOUND_FIELDS, MANAGED_FIELDS, SET_FIELDS, Policy, Value
from numbersync.output import write_atomic
from numbersync.policy import type_problem

UNASSIGNED = "unassigned"
# Names Windows refuses for a file, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}
_ROOT_ABOUT = (
    "# The root of this directory: defaults for the numbers of every file here. A file's own",
    "# defaults, and a number's own settings, come before these.",
)
# An external number is outbound caller ID only: Close uses none of its inbound settings.
_EXTERNAL = "external"


# --- strings YAML reads back exactly --------------------------------------------------------------

# YAML's own escapes, where it has one: a raw NEL, U+2028 or U+2029 would be read as a line break
# (folding the string), a raw C0 or C1 control or DEL is refused by the loader.
_NAMED_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}
# What a YAML file may not hold raw beyond what `escape.is_safe` refuses: the non-characters.
_NOT_CHARACTERS = frozenset("\ufffe\uffff")


class UnwritableText(ValueError):
    """A string no YAML file can hold: it has a lone surrogate (JSON can carry `\\ud800`; UTF-8
    cannot encode it, and YAML refuses it even escaped)."""

    def __init__(self, char: str) -> None:
        super().__init__(f"U+{ord(char):04X}")
        self.char = char


def _is_surrogate(char: str) -> bool:
    return 0xD800 <= ord(char) <= 0xDFFF


def _escaped(text: str, *, strict: bool) -> str:
    """`text` with every character YAML cannot read back raw in a double-quoted string escaped;
    emoji, accents and right-to-left letters stay as they are, bidi controls do not (a reviewer
    must see them). A lone surrogate raises when `strict`, else is shown as `\\udXXX`."""
    plain = is_safe(text) and '"' not in text and "\\" not in text and "##" not in text
    if plain and text.isprintable():
        return text  # the usual case: nothing to escape
    out = []
    for char in text:
        if char in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[char])
        elif _is_surrogate(char) and strict:
            raise UnwritableText(char)
        elif _is_surrogate(char) or char in _NOT_CHARACTERS or not is_safe(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    # A file printed to a CI log (export without -o) must not hold a runner's `##[command]`.
    return LEGACY_COMMAND.sub(r"\\x23", "".join(out))


def yaml_string(text: str) -> str:
    """`text` as a YAML double-quoted string that loads back as exactly `text` (which also keeps
    `yes`, `null` or `+1...` a string); raises UnwritableText when no YAML file can hold it."""
    return f'"{_escaped(text, strict=True)}"'


def _shown(text: str) -> str:
    """`text` quoted for a comment: never unloadable, never more than one line."""
    return f'"{_escaped(text, strict=False)}"'


def unwritable(value: Value) -> str | None:
    """The first character of `value` (a string, or a list of them) that no YAML file can hold."""
    for text in value if isinstance(value, list | tuple) else [value]:
        if isinstance(text, str):
            bad = next((c for c in text if _is_surrogate(c)), None)
            if bad:
                return bad
    return None


def _scalar(value: Any) -> str:
    return yaml_string(value) if isinstance(value, str) else json.dumps(value)


def _flow(items: Iterable[str]) -> str:
    return "[" + ", ".join(yaml_string(item) for item in items) + "]"


# --- people and groups as the plan reads them back -----------------------------------------------


def _how_many(count: int) -> str:
    return {2: "two", 3: "three"}.get(count, str(count))


class _Names:
    """How a user id or group id is written: the email or the name when the plan resolves it to
    that same id (an active member of the numbers' organization, the only one with that email
    or name), else the id; `reasons` says why, for the comment beside it."""

    def __init__(self, directory: Directory) -> None:
        self.users = {u.id: u for u in directory.users or ()}
        self.groups = {g.id: g for g in directory.groups or ()}
        # Counted over everyone /user/ lists, of every organization: an email another user also
        # has stays an id even when that user is elsewhere, so no reading of it can be ambiguous.
        self._emails = Counter(u.email.casefold() for u in self.users.values())
        self._names = Counter(g.name for g in self.groups.values())
        self.reasons: dict[str, str] = {}

    def user(self, user_id: str, organization: str | None) -> str:
        user = self.users.get(user_id)
        reason = None
        if user is None:
            reason = "not an active member of the organization (deactivated or removed)"
        elif not user.member_of(organization):
            reason = "a user of another organization, not an active member of this one"
        elif not user.email:
            reason = "Close lists no email for this user"
        elif self._emails[user.email.casefold()] > 1:
            count = _how_many(self._emails[user.email.casefold()])
            reason = f"{_shown(user.email)} ({count} users have this email)"
        elif unwritable(user.email):
            reason = f"{_shown(user.email)} (no YAML file can hold this email)"
        if user is not None and reason is None:
            return user.email
        self.reasons[user_id] = str(reason)
        return user_id

    def group(self, group_id: str, organization: str | None) -> str:
        group = self.groups.get(group_id)
        reason = None
        if group is None:
            reason = "not one of the organization's groups"
        elif organization and group.organization_id not in (None, organization):
            reason = "a group of another organization"
        elif not group.name:
            reason = "Close lists no name for this group"
        elif self._names[group.name] > 1:
            reason = (
                f"{_shown(group.name)} ({_how_many(self._names[group.name])} groups have this name)"
            )
        elif unwritable(group.name):
            reason = f"{_shown(group.name)} (no YAML file can hold this name)"
        if group is not None and reason is None:
            return group.name
        self.reasons[group_id] = str(reason)
        return group_id

    def file_name(self, group_id: str) -> str:
        """The group's name even when it is ambiguous: file names only need to be told apart."""
        group = self.groups.get(group_id)
        return group.name if group and group.name else group_id


# --- one number as written ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One number as written: its key (the number; its id when the number cannot be written),
    every managed field as the file says it, and comment lines above them. `warnings` are also
    printed: what Close holds that the file could not."""

    live: LiveNumber
    key: str
    settings: dict[str, Value]
    warnings: tuple[str, ...]
    owner: str | None = None  # a teammate's personal number: their email (or id)
    # Policy rules the number breaks as Close has it, each with the reason the waiver gives: an
    # export must validate, and the waiver puts the breach in front of reviewers.
    waivers: Mapping[str, str] = field(default_factory=dict)

    @property
    def external(self) -> bool:
        return self.live.type == _EXTERNAL

    def own(self, defaults: Mapping[str, Value]) -> dict[str, Value]:
        """The fields the number's own entry writes under `defaults`. An external number writes
        no inbound setting: Close does not use them, and it takes none from defaults either
        (plan.INBOUND_FIELDS)."""
        return {
            name: value
            for name, value in self.settings.items()
            if not (self.external and name in INBOUND_FIELDS)
            and (name not in defaults or not same_value(name, value, defaults[name]))
        }

    def comments(self) -> list[str]:
        lines = list(self.warnings)
        if self.owner:
            lines.append(
                f"personal number of {_escaped(self.owner, strict=False)}: only its owner can "
                "change it"
            )
        if self.external:
            lines.append(
                "external: Close uses it only as outbound caller ID, so only its label is managed"
            )
        return lines


def _entry(live: LiveNumber, names: _Names, me: Me | None) -> _Entry:
    """Every managed field of `live` as a file writes it; label and forward_to that Close holds
    as null are left out (the API cannot set them to null: they stay unmanaged), and so is a
    field no YAML file can hold, with a warning."""
    settings: dict[str, Value] = {}
    warnings: list[str] = []
    organization = live.organization_id
    for name in MANAGED_FIELDS:
        if name not in live.fields:
            continue
        value = normalise_live(name, live.fields[name], live.raw)
        if name == "participants":
            value = [names.user(v, organization) for v in value]
        elif name == "participant_groups":
            value = [names.group(v, organization) for v in value]
        elif name in SET_FIELDS:
            value = list(value)
        elif value is None and name != "voicemail_greeting_url":
            continue
        bad = unwritable(value)
        if bad:
            warnings.append(
                f"{name} not exported: Close holds U+{ord(bad):04X} in it (a lone surrogate), "
                "which no YAML file can hold; it stays unmanaged until it is fixed in Close"
            )
            continue
        settings[name] = value
    key = live.number if not unwritable(live.number) else live.id
    owner = sole_member(live)
    entry = _Entry(live, key, settings, tuple(warnings), waivers=_default_policy_waivers(settings))
    if owner is None or me is None or owner == me.user_id:
        return entry
    return replace(entry, owner=names.user(owner, organization))


def _default_policy_waivers(settings: Mapping[str, Value]) -> dict[str, str]:
    """A waiver of the number types refused by default (premium-rate, shared-cost, unknown)
    when Close forwards to or rings one: the export says so instead of writing a file that
    `validate` refuses."""
    numbers = [settings.get("forward_to"), *(settings.get("phone_numbers") or ())]
    problems = [p for n in numbers if isinstance(n, str) for p in [type_problem(Policy(), n)] if p]
    if not problems:
        return {}
    return {"refused_number_types": f"exported as Close has it: {'; '.join(problems)}"}


# --- writing --------------------------------------------------------------------------------------


def _why(items: Iterable[str], reasons: Mapping[str, str]) -> str:
    """A comment for the end of a list's line: why each id in it is not written as a name."""
    said = [f"{_escaped(item, strict=False)}: {reasons[item]}" for item in items if item in reasons]
    return f"  # {'; '.join(said)}" if said else ""


def _setting_lines(
    settings: Mapping[str, Value], indent: str, reasons: Mapping[str, str]
) -> list[str]:
    lines = []
    for name, value in settings.items():
        if name not in SET_FIELDS:
            lines.append(f"{indent}{name}: {_scalar(value)}")
            continue
        lines.append(f"{indent}{name}: {_flow(value)}{_why(value, reasons)}")
    return lines


def _numbers_lines(
    entries: Sequence[tuple[_Entry, dict[str, Value]]], reasons: Mapping[str, str]
) -> list[str]:
    if not entries:
        return ["numbers: {}"]
    lines = ["numbers:"]
    for entry, own in entries:
        key = yaml_string(entry.key)
        lines.append(f"  {key}:" if own or entry.waivers else f"  {key}: {{}}")
        # Comments are numbersync's own words around escaped values: each stays one line.
        lines.extend(f"    # {comment}" for comment in entry.comments())
        lines.extend(_setting_lines(own, "    ", reasons))
        if entry.waivers:
            lines.append("    waive:")
            lines.extend(f"      {rule}: {yaml_string(why)}" for rule, why in entry.waivers.items())
    return lines


def _groups_lines(
    group_ids: Iterable[str], members: Mapping[str, Sequence[str]], names: _Names
) -> list[str]:
    """A `groups:` block: each group by its name (its id when the name would not read back to
    it), its members as emails (ids likewise, with the reason beside them)."""
    lines = [
        "# Group members, managed as a set: delete the groups you do not want to manage.",
        "groups:",
    ]
    for group_id in group_ids:
        group = names.groups.get(group_id)
        organization = group.organization_id if group else None
        key = names.group(group_id, organization)
        people = [names.user(user_id, organization) for user_id in members[group_id]]
        lines.append(f"  {yaml_string(key)}:")
        if key in names.reasons:
            lines.append(f"    # {names.reasons[key]}")
        lines.append(f"    members: {_flow(people)}{_why(people, names.reasons)}")
    return lines


def groups_to_write(
    numbers: Iterable[LiveNumber], directory: Directory, *, every: bool = False
) -> tuple[str, ...]:
    """The groups whose members an export writes: those the exported numbers ring (a group of
    their organization), or `every` group the account lists; each once, in the order found."""
    if every:
        return tuple(dict.fromkeys(group.id for group in directory.groups or ()))
    known = {group.id: group for group in directory.groups or ()}
    used: dict[str, None] = {}
    for live in numbers:
        if live.type == _EXTERNAL:
            continue  # its groups are not written: Close does not ring it
        # As _Names.group: a group the list does not show, or of another organization, is none
        # the file can manage.
        mine = (None, live.organization_id) if live.organization_id else None
        for group_id in normalise_live("participant_groups", live.fields.get("participant_groups")):
            group = known.get(group_id)
            if group is not None and (mine is None or group.organization_id in mine):
                used[group_id] = None
    return tuple(used)


def _header(source: str, when: str, schema: str | None) -> list[str]:
    return [
        modeline(schema),
        f"# Exported from {_escaped(source, strict=False)} on {when} by numbersync {__version__}.",
    ]


class Export:
    """The account as desired state, ready to write as one file (`yaml`) or a directory
    (`tree`); `warnings` lists what Close holds that no file can, one line per field."""

    def __init__(
        self, numbers: Iterable[LiveNumber], directory: Directory, me: Me | None = None
    ) -> None:
        self._names = _Names(directory)
        self.entries = [_entry(live, self._names, me) for live in sorted(numbers, key=_number)]
        # The groups whose members were read, by name (then id), so that an export is stable.
        self._members = directory.members or {}
        self.groups = sorted(self._members, key=lambda g: (self._names.file_name(g), g))
        self.warnings = tuple(
            f"{entry.live.number}: {warning}"
            for entry in self.entries
            for warning in entry.warnings
        )

    def yaml(self, *, source: str, when: str, schema: str | None = None) -> str:
        """One file. `schema`: the schema's path relative to the file, for the modeline."""
        lines = [
            *_header(source, when, schema),
            "# Every number of the account is listed: delete the ones you do not want to manage.",
            "version: 1",
            *_numbers_lines([(e, e.own({})) for e in self.entries], self._names.reasons),
            *self._groups_block(self.groups),
        ]
        return "\n".join(lines) + "\n"

    def _groups_block(self, group_ids: Sequence[str]) -> list[str]:
        return _groups_lines(group_ids, self._members, self._names) if group_ids else []

    def tree(self, *, source: str, when: str, schema: str | None = None) -> dict[str, str]:
        """File name -> text: the root numbersync.yaml with the defaults most numbers share, one
        file per first participant group (named after the group, with that group's members when
        they were read) and unassigned.yaml for the numbers that ring no group; the members of
        the other groups go into the root. `schema`: the schema's path relative to the
        directory."""
        defaults = _shared_defaults(self.entries)
        by_group: dict[str | None, list[tuple[_Entry, dict[str, Value]]]] = {}
        for entry in self.entries:
            groups = normalise_live(
                "participant_groups", entry.live.fields.get("participant_groups")
            )
            by_group.setdefault(groups[0] if groups else None, []).append(
                (entry, entry.own(defaults))
            )
        stems = _file_stems([g for g in by_group if g is not None], self._names.file_name)
        root = [
            *_header(source, when, _below(schema, ROOT_FILE)),
            *_ROOT_ABOUT,
            "version: 1",
        ]
        if defaults:
            root += ["defaults:", *_setting_lines(defaults, "  ", self._names.reasons)]
        root += self._groups_block([g for g in self.groups if g not in by_group])
        files = {ROOT_FILE: "\n".join(root) + "\n"}
        for group, members in by_group.items():
            if group is None:
                about, stem = "ring no participant group", UNASSIGNED
            else:
                about = f"ring {_shown(self._names.file_name(group))} first"
                stem = stems[group]
            name = f"{stem}.yaml"
            lines = [
                *_header(source, when, _below(schema, name)),
                f"# The numbers that {about}. Delete the ones you do not want to manage.",
                "version: 1",
                *_numbers_lines(members, self._names.reasons),
                *self._groups_block(
                    [group] if group is not None and group in self._members else []
                ),
            ]
            files[name] = "\n".join(lines) + "\n"
        return dict(sorted(files.items()))


def _below(schema: str | None, name: str) -> str | None:
    """`schema` (relative to the directory) as a file `name` in it, maybe in a subdirectory,
    points at it."""
    if schema is None:
        return None
    depth = name.count("/")
    return os.path.normpath("../" * depth + schema).replace(os.sep, "/") if depth else schema


def _number(live: LiveNumber) -> str:
    return live.number


def _key(name: str, value: Value) -> str:
    """A value compared the way a plan compares it: set fields without regard to order."""
    return json.dumps(sorted(value) if name in SET_FIELDS else value)


def _shared_defaults(entries: Sequence[_Entry]) -> dict[str, Value]:
    """The fields that every number sets and more than half of them to one value: that value.
    (A field some number leaves out must stay out of defaults, or that number would get it.
    External numbers take no inbound setting from defaults, so they do not count for those.)"""
    defaults: dict[str, Value] = {}
    for name in MANAGED_FIELDS:
        takers = [e.settings for e in entries if not (e.external and name in INBOUND_FIELDS)]
        values = [settings[name] for settings in takers if name in settings]
        if len(values) < 2 or len(values) < len(takers):
            continue
        key, count = Counter(_key(name, v) for v in values).most_common(1)[0]
        if count * 2 > len(values):
            defaults[name] = next(v for v in values if _key(name, v) == key)
    return defaults


def file_safe(name: str) -> str:
    """A group name as a file name on any system: ASCII letters, digits and dashes, lower case
    (so that case-insensitive file systems see no collision we did not)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    if not stem:
        return "group"
    return f"{stem}-group" if stem in _RESERVED else stem


def _file_stems(
    groups: list[str], group_names: Mapping[str, str] | Callable[[str], str]
) -> dict[str, str]:
    """A distinct file stem for each group id: its safe name, then -2, -3... on collisions
    (in the order of the names, then ids, so that an export is stable). `group_names`: a
    mapping or a function from a group id to its name."""
    if isinstance(group_names, Mapping):
        names = {g: group_names.get(g) or g for g in groups}
    else:
        names = {g: group_names(g) or g for g in groups}
    taken = {ROOT_FILE.removesuffix(".yaml"), UNASSIGNED}
    safe = {g: file_safe(names[g]) for g in groups}
    stems: dict[str, str] = {}
    for group in sorted(groups, key=lambda g: (safe[g], names[g], g)):
        stem, n = safe[group], 2
        while stem in taken:
            stem, n = f"{safe[group]}-{n}", n + 1
        taken.add(stem)
        stems[group] = stem
    return stems


def write_tree(directory: str, files: Mapping[str, str]) -> None:
    """Write `files` into `directory`, which must be new or empty: an old file left beside the
    new ones would name its numbers a second time."""
    if os.path.exists(directory):
        if not os.path.isdir(directory):
            raise UsageError(f"{directory} is a file; --split-by writes a directory")
        if os.listdir(directory):
            raise UsageError(
                f"{directory} is not empty",
                hint="export into a new or empty directory: a file left there from before "
                "would name its numbers a second time",
            )
    write_files(directory, files)


def write_files(directory: str, files: Mapping[str, str], *, force: bool = False) -> None:
    """Write each of `files` (names relative to `directory`, which is made when missing);
    `force`: replace read-only ones too."""
    for name, text in files.items():
        path = os.path.join(directory, name)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {os.path.dirname(path)}: {exc.strerror}") from None
        write_atomic(path, text, force=force)
