"""Write the account's current settings as desired state that validates and plans clean:
participants as emails, groups as names, only writable fields, numbers sorted. One file, or a
directory: a root numbersync.yaml with the defaults most numbers share, and one file per group."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from numbersync import __version__
from numbersync.config import ROOT_FILE, schema
from numbersync.errors import UsageError
from numbersync.models import MANAGED_FIELDS, SET_FIELDS, LiveNumber, Value
from numbersync.output import write_atomic
from numbersync.plan import INBOUND_FIELDS, Directory, normalise_live

UNASSIGNED = "unassigned"
# Names Windows refuses for a file, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}


def _scalar(value: Any) -> str:
    # JSON scalars are valid YAML, and quoting every string keeps `yes`, `null` or `+1...` text.
    return json.dumps(value, ensure_ascii=False)


def _flow(items: Iterable[str]) -> str:
    return "[" + ", ".join(_scalar(item) for item in items) + "]"


def _header(source: str, when: str) -> list[str]:
    return [
        f"# yaml-language-server: $schema={schema()['$id']}",
        f"# Exported from {source} on {when} by numbersync {__version__}.",
    ]


class _Names:
    """User ids to emails (unless two users share one) and group ids to names."""

    def __init__(self, directory: Directory) -> None:
        taken = Counter(u.email.casefold() for u in directory.users or ())
        # An email shared by two users would be ambiguous: keep the id then.
        self.emails = {
            u.id: u.email for u in directory.users or () if taken[u.email.casefold()] == 1
        }
        self.groups = {g.id: g.name for g in directory.groups or ()}

    def settings(self, live: LiveNumber) -> dict[str, Value]:
        """The fields of `live` as a file writes them; label and forward_to that Close holds as
        null are left out (the API cannot set them to null: they stay unmanaged), and so are
        the inbound settings of an external number, which Close never uses."""
        out: dict[str, Value] = {}
        for name in MANAGED_FIELDS:
            if name not in live.fields:
                continue
            if live.type == "external" and name in INBOUND_FIELDS:
                continue
            value = normalise_live(name, live.fields[name], live.raw)
            if name == "participants":
                value = [self.emails.get(v, v) for v in value]
            elif name == "participant_groups":
                value = [self.groups.get(v, v) for v in value]
            elif name in SET_FIELDS:
                value = list(value)
            elif value is None and name != "voicemail_greeting_url":
                continue
            out[name] = value
        return out


def _setting_lines(settings: Mapping[str, Value], indent: str) -> list[str]:
    return [
        f"{indent}{name}: {_flow(value) if name in SET_FIELDS else _scalar(value)}"
        for name, value in settings.items()
    ]


def _numbers_lines(numbers: list[tuple[str, dict[str, Value]]]) -> list[str]:
    if not numbers:
        return ["numbers: {}"]
    lines = ["numbers:"]
    for number, settings in numbers:
        if settings:
            lines.append(f"  {_scalar(number)}:")
            lines.extend(_setting_lines(settings, "    "))
        else:
            lines.append(f"  {_scalar(number)}: {{}}")
    return lines


def export_yaml(
    numbers: Iterable[LiveNumber], directory: Directory, *, source: str, when: str
) -> str:
    names = _Names(directory)
    lines = [
        *_header(source, when),
        "# Every number of the account is listed: delete the ones you do not want to manage.",
        "version: 1",
        *_numbers_lines([(n.number, names.settings(n)) for n in sorted(numbers, key=_number)]),
    ]
    return "\n".join(lines) + "\n"


def _number(live: LiveNumber) -> str:
    return live.number


# --- a directory, one file per group ------------------------------------------------------------


def export_tree(
    numbers: Iterable[LiveNumber], directory: Directory, *, source: str, when: str
) -> dict[str, str]:
    """File name -> text: the root numbersync.yaml with the defaults most numbers share, one
    file per first participant group (named after the group) and unassigned.yaml for the
    numbers that ring no group."""
    names = _Names(directory)
    exported = [(live, names.settings(live)) for live in sorted(numbers, key=_number)]
    defaults = _shared_defaults(exported)
    by_group: dict[str | None, list[tuple[str, dict[str, Value]]]] = {}
    for live, settings in exported:
        groups = normalise_live("participant_groups", live.fields.get("participant_groups"))
        own = {
            k: v for k, v in settings.items() if k not in defaults or not _same(k, v, defaults[k])
        }
        by_group.setdefault(groups[0] if groups else None, []).append((live.number, own))
    stems = _file_stems([g for g in by_group if g is not None], names.groups)
    root = [
        *_header(source, when),
        "# The root of this directory: defaults for the numbers of every file here. A file's own",
        "# defaults, and a number's own settings, come before these.",
        "version: 1",
    ]
    if defaults:
        root += ["defaults:", *_setting_lines(defaults, "  ")]
    files = {ROOT_FILE: "\n".join(root) + "\n"}
    for group, members in by_group.items():
        if group is None:
            about, stem = "ring no participant group", UNASSIGNED
        else:
            about = f"ring {_scalar(names.groups.get(group, group))} first"
            stem = stems[group]
        lines = [
            *_header(source, when),
            f"# The numbers that {about}. Delete the ones you do not want to manage.",
            "version: 1",
            *_numbers_lines(members),
        ]
        files[f"{stem}.yaml"] = "\n".join(lines) + "\n"
    return dict(sorted(files.items()))


def _same(name: str, a: Value, b: Value) -> bool:
    return _key(name, a) == _key(name, b)


def _key(name: str, value: Value) -> str:
    """A value compared the way a plan compares it: set fields without regard to order."""
    return json.dumps(sorted(value) if name in SET_FIELDS else value)


def _shared_defaults(exported: list[tuple[LiveNumber, dict[str, Value]]]) -> dict[str, Value]:
    """The fields that every number sets and more than half of them to one value: that value.
    (A field some number leaves out must stay out of defaults, or that number would get it.
    External numbers take no inbound setting from defaults, so they do not count for those.)"""
    defaults: dict[str, Value] = {}
    for name in MANAGED_FIELDS:
        takers = [
            settings
            for live, settings in exported
            if not (live.type == "external" and name in INBOUND_FIELDS)
        ]
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


def _file_stems(groups: list[str], group_names: Mapping[str, str]) -> dict[str, str]:
    """A distinct file stem for each group id: its safe name, then -2, -3... on collisions
    (in the order of the names, then ids, so that an export is stable)."""
    taken = {ROOT_FILE.removesuffix(".yaml"), UNASSIGNED}
    safe = {g: file_safe(group_names.get(g, g)) for g in groups}
    stems: dict[str, str] = {}
    for group in sorted(groups, key=lambda g: (safe[g], group_names.get(g, g), g)):
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
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {directory}: {exc.strerror}") from None
    for name, text in files.items():
        write_atomic(os.path.join(directory, name), text)
