"""Groups as a managed kind: the file's `groups:` against the members Close has, compared as
sets. Only the groups the file lists are managed; none is ever created or deleted. Each change
says which managed numbers start or stop ringing whom through it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from numbersync import phone, ringing
from numbersync.account import Group, GroupChange
from numbersync.errors import Diagnostic, json_path
from numbersync.kinds import Context, Diffed, Kind, Line
from numbersync.models import DesiredGroup, DesiredState, Value

SHOWN_NUMBERS = 5  # numbers named on a member's line; the rest are counted


class Groups:
    name = "groups"

    def members_to_read(self, state: DesiredState, groups: Sequence[Group]) -> set[str]:
        """The managed groups that exist in Close, by id: a key that names none, or two, is the
        diff's error to report, with no read for it."""
        ids = {g.id for g in groups}
        by_name: dict[str, list[str]] = {}
        for group in groups:
            by_name.setdefault(group.name, []).append(group.id)
        found = set()
        for desired in state.groups:
            if desired.key in ids:
                found.add(desired.key)
            elif len(by_name.get(desired.key, ())) == 1:
                found.add(by_name[desired.key][0])
        return found

    def diff(self, state: DesiredState, context: Context) -> Diffed[GroupChange]:
        problems: list[Diagnostic] = []
        notes: list[str] = []
        wanted: list[tuple[DesiredGroup, str, tuple[str, ...], tuple[str, ...]]] = []
        seen: dict[str, DesiredGroup] = {}
        for desired in state.groups:
            group_id, error, _ = context.resolve.group(desired.key)
            if error:
                problems.append(_problem(desired, "", error))
                # Its members are checked all the same: every error of the file at once.
                _resolve_members(desired, (), context, problems, notes)
                continue
            if group_id in seen:
                problems.append(_problem(desired, "", _same_group(desired, seen[group_id])))
                continue
            seen[group_id] = desired
            present = (context.members or {}).get(group_id)
            if present is None:
                # The fetch reads every managed group that exists; this one's read failed.
                message = (
                    f"the members of {desired.key!r} could not be read from Close (run with "
                    "-v to see why), so they cannot be compared"
                )
                problems.append(_problem(desired, "", message))
                continue
            after = _resolve_members(desired, present, context, problems, notes)
            wanted.append((desired, group_id, present, after))
        if problems:
            return Diffed((), tuple(problems), tuple(notes))
        changes = [
            GroupChange(
                group_id,
                context.resolve.group_name(group_id),
                desired.key,
                present,
                after,
                desired.file or state.path,
            )
            for desired, group_id, present, after in wanted
            if set(present) != set(after)
        ]
        reached = with_reach(changes, context.numbers, context.members or {})
        return Diffed(tuple(reached), (), tuple(notes))

    def names(self, change: GroupChange) -> tuple[str, ...]:
        return (change.id, change.name, change.key, change.file)

    def header(self, change: GroupChange) -> str:
        return f"group {change.name}"

    def lines(self, change: GroupChange, emails: Mapping[str, str]) -> list[Line]:
        out: list[Line] = []
        for marker, users, verb in (("+", change.added, "more"), ("-", change.removed, "fewer")):
            for user_id in users:
                out.append((marker, f"{_user(user_id, emails)} ({_rings(change, user_id, verb)})"))
        return out

    def user_ids(self, change: GroupChange) -> set[str]:
        return {*change.added, *change.removed}

    def document(self, change: GroupChange, emails: Mapping[str, str]) -> dict[str, Any]:
        def members(users: tuple[str, ...]) -> list[dict[str, Any]]:
            return [
                {
                    "user_id": user_id,
                    "email": emails.get(user_id),
                    "numbers": list(change.reach.get(user_id, ())),
                }
                for user_id in users
            ]

        return {
            "id": change.id,
            "name": change.name,
            "key": change.key,
            "file": change.file,
            "before": list(change.before),
            "after": list(change.after),
            "added": members(change.added),
            "removed": members(change.removed),
            "numbers": list(change.numbers),
        }

    def from_document(self, row: Mapping[str, Any]) -> GroupChange:
        reach = {
            member["user_id"]: tuple(member["numbers"])
            for side in ("added", "removed")
            for member in row[side]
        }
        return GroupChange(
            row["id"],
            row["name"],
            row["key"],
            tuple(row["before"]),
            tuple(row["after"]),
            row["file"],
            tuple(row["numbers"]),
            reach,
        )

    def drift(
        self, change: GroupChange, members: Mapping[str, tuple[str, ...]], emails: Mapping[str, str]
    ) -> list[str]:
        """Each member added or removed in Close since the plan read the group."""
        now = members.get(change.id)
        if now is None:
            return [f"group {change.name}: its members could not be read from Close"]
        before, current = set(change.before), set(now)
        found = [
            f"group {change.name}: {_user(u, emails)} was added in Close since the plan"
            for u in now
            if u not in before
        ]
        found += [
            f"group {change.name}: {_user(u, emails)} was removed in Close since the plan"
            for u in change.before
            if u not in current
        ]
        return found


KIND: Kind[GroupChange] = Groups()


def _resolve_members(
    desired: DesiredGroup,
    present: tuple[str, ...],
    context: Context,
    problems: list[Diagnostic],
    notes: list[str],
) -> tuple[str, ...]:
    """The members the file wants, as user ids in file order; a user written twice (an email
    and their id) is kept once, with a note."""
    after: dict[str, int] = {}
    indices = _file_indices(desired)
    for n, ref in enumerate(desired.members):
        user_id, error, note = context.resolve.user(ref, present)
        where = f"members[{indices[n]}]"
        if error:
            problems.append(_problem(desired, where, error))
            continue
        if note:
            notes.append(str(_problem(desired, where, note)))
        if user_id in after:
            first = desired.members[after[user_id]]
            note = f"{ref} is the same user as {first} ({user_id}): a member once"
            notes.append(str(_problem(desired, where, note)))
            continue
        after[user_id] = n
    return tuple(after)


def with_reach(
    changes: Sequence[GroupChange],
    numbers: Mapping[str, Mapping[str, Value]],
    members: Mapping[str, tuple[str, ...]],
) -> list[GroupChange]:
    """The changes with the managed numbers each member added or removed starts or stops
    ringing, every group not among `changes` keeping the members Close has."""
    after_of = {change.id: change.after for change in changes}
    out = []
    for change in changes:
        reach = _reach(change, numbers, after_of, members)
        found = sorted({n for numbers_of in reach.values() for n in numbers_of})
        out.append(replace(change, reach=reach, numbers=tuple(found)))
    return out


def _reach(
    change: GroupChange,
    numbers: Mapping[str, Mapping[str, Value]],
    after_of: Mapping[str, tuple[str, ...]],
    members: Mapping[str, tuple[str, ...]],
) -> dict[str, tuple[str, ...]]:
    """For each member added or removed, the managed numbers that start or stop ringing them
    through this change alone: every other group as the plan leaves it, this one's members
    before and after."""
    others = {**members, **after_of}
    before = {**others, change.id: change.before}
    after = {**others, change.id: change.after}
    moved = (*change.added, *change.removed)
    reach: dict[str, list[str]] = {user_id: [] for user_id in moved}
    for number, fields in numbers.items():
        if change.id not in (fields.get("participant_groups") or ()):
            continue
        rang = set(ringing.rings(fields, before).users)
        rings = set(ringing.rings(fields, after).users)
        for user_id in moved:
            if (user_id in rang) != (user_id in rings):
                reach[user_id].append(number)
    return {user_id: tuple(sorted(found)) for user_id, found in reach.items()}


def _rings(change: GroupChange, user_id: str, verb: str) -> str:
    """`rings on 2 more numbers: …` for a member added, `no longer rings on 1 number: …` for
    one removed."""
    numbers = change.reach.get(user_id, ())
    if not numbers:
        what = "rings them" if verb == "more" else "stops ringing them"
        return f"no managed number {what} through this group alone"
    shown = ", ".join(phone.display(n) for n in numbers[:SHOWN_NUMBERS])
    more = f" and {len(numbers) - SHOWN_NUMBERS} more" if len(numbers) > SHOWN_NUMBERS else ""
    if verb == "more":
        return f"rings on {len(numbers)} more number{_s(len(numbers))}: {shown}{more}"
    return f"no longer rings on {len(numbers)} number{_s(len(numbers))}: {shown}{more}"


def _user(user_id: str, emails: Mapping[str, str]) -> str:
    return emails.get(user_id) or user_id


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _file_indices(desired: DesiredGroup) -> list[int]:
    """The index in the file of each member (members keep the first of each duplicate, and
    positions name the items kept)."""
    written = sorted(
        int(name[len("members[") : -1]) for name in desired.positions if name.startswith("members[")
    )
    return written if len(written) == len(desired.members) else list(range(len(desired.members)))


def _problem(desired: DesiredGroup, name: str, message: str) -> Diagnostic:
    """A problem with the group's key ("") or a member ("members[2]", the file's index)."""
    path: tuple[str | int, ...] = ("groups", desired.key)
    if name:
        path = (*path, "members", int(name[len("members[") : -1]))
    position = desired.positions.get(name) or desired.positions.get("members") or desired.position
    return Diagnostic(position, json_path(path), message)


def _same_group(desired: DesiredGroup, other: DesiredGroup) -> str:
    where = other.position.file if other.position.file != desired.position.file else ""
    line = f"{where}:{other.position.line}" if where else f"line {other.position.line}"
    return f"{desired.key!r} is the same Close group as {other.key!r} ({line})"
