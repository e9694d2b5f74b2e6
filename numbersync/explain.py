"""`numbersync explain`: where each managed field of one number gets its value (the number itself,
its file's defaults, or the root's defaults of a directory) with the FILE:LINE that set it, or
where a managed group's members are set, and, when asked, the value Close has now beside it.
Pure: the CLI fetches, this module only reads."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from numbersync import phone
from numbersync.account import Group, LiveNumber
from numbersync.errors import Diagnostic, InputError, Position, UsageError, json_path
from numbersync.escape import escape
from numbersync.live import normalise_live
from numbersync.models import (
    MANAGED_FIELDS,
    DesiredGroup,
    DesiredNumber,
    DesiredState,
    Layer,
    Value,
)
from numbersync.render import value_text

LAYERS: dict[Layer, str] = {
    "number": "the number itself",
    "file": "its file's defaults",
    "root": "the root's defaults",
}


@dataclass(frozen=True)
class Origin:
    """One managed field of a number: its effective value and where it was set."""

    field: str
    value: Value
    position: Position
    layer: Layer


def origins(desired: DesiredNumber) -> list[Origin]:
    """The managed fields of `desired` in the order of MANAGED_FIELDS."""
    return [
        Origin(name, desired.fields[name], desired.position_of(name), desired.layer_of(name))
        for name in MANAGED_FIELDS
        if name in desired.fields
    ]


def find_group(state: DesiredState, text: str) -> DesiredGroup | None:
    """The managed group whose key is `text`, exactly as the config writes it."""
    return next((group for group in state.groups if group.key == text), None)


def find(state: DesiredState, text: str, live: Sequence[LiveNumber] | None = None) -> DesiredNumber:
    """The number `text` names (any form, its key as written, or its phon_ id). With the live
    numbers, a number the config names by its phon_ id is found by its number too."""
    e164 = phone.to_e164(text)
    for desired in state.numbers:
        if text in (desired.key, desired.id) or (e164 and desired.number == e164):
            return desired
    current = next((n for n in live or () if n.id == text or n.number == e164), None)
    if current is not None:
        for desired in state.numbers:
            if current.id == desired.id or current.number == desired.number:
                return desired
    # A text that is a number names no group: only other texts are said to be neither.
    maybe_group = bool(state.groups) and e164 is None and not text.startswith("phon_")
    what = "a number or a group" if maybe_group else "a number"
    hint = "name a number the config manages, in any form, or its phon_ id"
    if maybe_group:
        hint += ", or a group by its key under groups:"
        close = difflib.get_close_matches(text, [group.key for group in state.groups], n=1)
        hint += f' (did you mean "{close[0]}"?)' if close else ""
    if any(desired.id for desired in state.numbers) and not live:
        hint += "; add --live to find a number the config names by its id"
    raise UsageError(f"{text} is not {what} in {state.path}", hint=hint)


def group_of(desired: DesiredGroup, groups: Sequence[Group]) -> Group:
    """The group of Close that `desired` names (by id, or by its exact name); an InputError at
    its key when Close has none, or more than one of that name."""
    found = [g for g in groups if desired.key in (g.id, g.name)]
    if len(found) == 1:
        return found[0]
    if found:
        message = f"{len(found)} groups of Close are named {desired.key!r}; name it by its id"
    else:
        close = difflib.get_close_matches(desired.key, [g.name for g in groups], n=1)
        message = f"group {desired.key!r} is not in the Close account"
        message += f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError([Diagnostic(desired.position, json_path(("groups", desired.key)), message)])


def live_of(desired: DesiredNumber, live: Sequence[LiveNumber]) -> LiveNumber:
    """The live number for `desired`; an InputError at its key when Close has no such number."""
    for current in live:
        if current.id == desired.id or (desired.number and current.number == desired.number):
            return current
    what = "phone number id" if desired.id else "number"
    message = f"{what} {desired.key!r} is not in the Close account"
    raise InputError([Diagnostic(desired.position, json_path(desired.path_of()), message)])


def render_explain(desired: DesiredNumber, live: LiveNumber | None = None) -> str:
    """A heading naming the number and where it is written, then one row per managed field:
    the FILE:LINE that set it, which layer that is, its value (and the value Close has). The
    narrow columns first: a value may be a long list."""
    number = phone.display(desired.number) if desired.number else desired.key
    where = desired.position
    out = [escape(f"{number} in {where.file}:{where.line}")]
    header = ["field", "set at", "by", "value"]
    if live is not None:
        header.append("Close has")
    rows = [header]
    for origin in origins(desired):
        row = [
            origin.field,
            f"{origin.position.file}:{origin.position.line}",
            LAYERS[origin.layer],
            _shown(origin.value),
        ]
        if live is not None:
            row.append(
                _shown(normalise_live(origin.field, live.fields.get(origin.field), live.raw))
            )
        rows.append([escape(cell) for cell in row])
    if len(rows) > 1:
        widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            out.append("  " + "  ".join([*cells, row[-1]]).rstrip())
    unmanaged = [name for name in MANAGED_FIELDS if name not in desired.fields]
    if unmanaged:
        out.append(f"Not managed (never compared or sent): {', '.join(unmanaged)}")
    for rule, reason in desired.waivers.items():
        line = desired.position_of(f"waive.{rule}").line
        out.append(escape(f"Policy waived: {rule} at {where.file}:{line}: {_shown(reason)}"))
    return "\n".join(out) + "\n"


def _shown(value: Value) -> str:
    return value_text(list(value) if isinstance(value, tuple) else value)


def render_group(group: DesiredGroup, live: Sequence[str] | None = None) -> str:
    """A heading naming the group and where it is written, then the FILE:LINE that sets its
    members and the members (and those Close has: user ids, as Close stores them)."""
    where = group.position
    members = group.positions.get("members", where)
    header = ["field", "set at", "value"]
    row = ["members", f"{members.file}:{members.line}", _shown(group.members)]
    if live is not None:
        header.append("Close has")
        row.append(_shown(tuple(live)))
    rows = [header, [escape(cell) for cell in row]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    out = [escape(f"group {group.key} in {where.file}:{where.line}")]
    for r in rows:
        cells = [cell.ljust(width) for cell, width in zip(r, widths, strict=False)]
        out.append("  " + "  ".join([*cells, r[-1]]).rstrip())
    out.append("Managed as a set: apply adds the members Close lacks and removes the others.")
    return "\n".join(out) + "\n"
