"""What a config stops managing compared with an earlier one (`plan --base`). Pure: no I/O.

Deleting a number, a group or a field from the file means "stop managing it", never "remove it":
Close keeps what it has. A plan of such a change says `No changes.` while the diff shows a
deletion, so the plan lists what is let go, with the value Close keeps, for the reviewer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from numbersync import phone
from numbersync.account import LiveNumber
from numbersync.live import Directory, effective_live_fields, normalise_live
from numbersync.models import (
    INBOUND_FIELDS,
    MANAGED_FIELDS,
    DesiredGroup,
    DesiredNumber,
    DesiredState,
    Value,
)

if TYPE_CHECKING:
    from numbersync.plan import Plan

Kind = Literal["number", "field", "group"]


@dataclass(frozen=True)
class NoLongerManaged:
    """One thing the base config managed and the config no longer does: a whole number, one
    field of a number it still manages, or a group's membership. `name` is the number (E.164)
    or the group's name; `keeps` what Close has, normalised (a field's value, a group's member
    ids, None for a whole number or what was not read); `file` the base file that managed it."""

    kind: Kind
    id: str
    name: str
    field: str = ""
    keeps: Value = None
    label: str | None = None
    file: str = ""


def released(
    base: DesiredState,
    state: DesiredState,
    live: Sequence[LiveNumber],
    directory: Directory = Directory(),
) -> tuple[NoLongerManaged, ...]:
    """Everything `base` manages that `state` does not: numbers, then fields in the order of
    MANAGED_FIELDS, then groups. A number the base names that is not in Close is left out: it
    was never Close's to keep."""
    return (*_numbers(base, state, live), *_groups(base, state, directory))


def compared_with(
    plan: Plan,
    name: str,
    base: DesiredState,
    state: DesiredState,
    live: Sequence[LiveNumber],
    directory: Directory,
) -> Plan:
    """`plan` with what `state` no longer manages compared with `base` (named `name`), and the
    names of the users and groups the values Close keeps hold, from `directory`."""
    let_go = released(base, state, live, directory)
    users, groups = named_ids(let_go)
    emails = {u.id: u.email for u in directory.users or () if u.id in users}
    names = {g.id: g.name for g in directory.groups or () if g.id in groups}
    return replace(
        plan,
        base=name,
        no_longer_managed=let_go,
        emails={**plan.emails, **emails},
        group_names={**plan.group_names, **names},
    )


def fields_read(base: DesiredState) -> set[str]:
    """The fields to read from Close so that the plan can say what Close keeps."""
    return {name for number in base.numbers for name in number.fields}


def _numbers(
    base: DesiredState, state: DesiredState, live: Sequence[LiveNumber]
) -> Iterator[NoLongerManaged]:
    by_id = {n.id: n for n in live}
    by_number = {phone.to_e164(n.number) or n.number: n for n in live}

    def find(desired: DesiredNumber) -> LiveNumber | None:
        return by_id.get(desired.id or "") or by_number.get(desired.number or "")

    now: dict[str, DesiredNumber] = {}
    for desired in state.numbers:
        current = find(desired)
        if current is not None:
            now[current.id] = desired
    found: list[NoLongerManaged] = []
    for before in base.numbers:
        current = find(before)
        if current is None:
            continue
        number = phone.to_e164(current.number) or current.number
        label = current.fields.get("label")
        label = label if isinstance(label, str) else None
        after = now.get(current.id)
        if after is None:
            whole = NoLongerManaged("number", current.id, number, label=label, file=before.file)
            found.append(whole)
            continue
        have = effective_live_fields(current)
        for name in MANAGED_FIELDS:
            if name in before.fields and name not in after.fields:
                if _never_applied(before, current, name):
                    continue
                keeps = have.get(name, normalise_live(name, None))
                found.append(
                    NoLongerManaged("field", current.id, number, name, keeps, label, before.file)
                )
    order = {name: i for i, name in enumerate(MANAGED_FIELDS)}
    found.sort(key=lambda n: (n.name, n.kind != "number", order.get(n.field, -1)))
    return iter(found)


def _never_applied(desired: DesiredNumber, current: LiveNumber, name: str) -> bool:
    """An inbound setting an external number inherits from `defaults`: the plan never applies
    it (Close uses such a number as caller ID only), so the base did not manage it there."""
    return (
        current.type == "external" and name in INBOUND_FIELDS and desired.layer_of(name) != "number"
    )


def _groups(
    base: DesiredState, state: DesiredState, directory: Directory
) -> Iterator[NoLongerManaged]:
    """The groups whose membership the base manages and the config does not. A group is known
    by its id when the groups were read, else by its key."""
    ids = {g.id: g for g in directory.groups or ()}
    by_name = {g.name: g for g in directory.groups or ()}

    def identity(group: DesiredGroup) -> tuple[str, str]:
        known = ids.get(group.key) or by_name.get(group.key)
        return (known.id, known.name) if known else (group.key, group.key)

    kept = {identity(g)[0] for g in state.groups}
    members = directory.members or {}
    found = []
    for group in base.groups:
        group_id, name = identity(group)
        if group_id not in kept:
            keeps = members.get(group_id)
            item = NoLongerManaged("group", group_id, name, "members", keeps, None, group.file)
            found.append(item)
    return iter(sorted(found, key=lambda n: n.name))


def groups_to_read(base: DesiredState, state: DesiredState, directory: Directory) -> list[str]:
    """The ids of the base's groups the config no longer manages whose members were not read."""
    members = directory.members or {}
    return [
        n.id
        for n in _groups(base, state, directory)
        if n.id.startswith("group_") and n.id not in members
    ]


def named_ids(items: Sequence[NoLongerManaged]) -> tuple[set[str], set[str]]:
    """The user ids and group ids that the values Close keeps hold, to name them in the plan."""
    users: set[str] = set()
    groups: set[str] = set()
    for item in items:
        values = item.keeps if isinstance(item.keeps, tuple) else ()
        if item.field in ("participants", "members"):
            users.update(values)
        elif item.field == "participant_groups":
            groups.update(values)
    return users, groups


def shown_keeps(
    item: NoLongerManaged, emails: Mapping[str, str], groups: Mapping[str, str]
) -> Value:
    """What Close keeps as the plan shows it: user ids as emails, group ids as names, where the
    plan knows them."""
    if not isinstance(item.keeps, tuple):
        return item.keeps
    names = groups if item.field == "participant_groups" else emails
    if item.field not in ("participants", "members", "participant_groups"):
        return list(item.keeps)
    return [names.get(value, value) for value in item.keeps]
