"""The diff: desired state against live numbers, as a Plan. Pure: no I/O, deterministic order.

Both sides are normalised before comparing (E.164, sets, emails and group names resolved to ids,
a null ring duration read as Close's default of 30) so that no perpetual diff can arise.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal, TypeVar

from numbersync import accepted, phone, policy, ringing
from numbersync.account import Group, GroupChange, LiveNumber, Me, Membership, User, Verdict
from numbersync.errors import Diagnostic, InputError, UsageError, json_path
from numbersync.kinds import Context, Resolved
from numbersync.kinds.groups import KIND as GROUPS
from numbersync.kinds.groups import with_reach
from numbersync.live import (
    Directory,
    effective_live_fields,
    normalise_live,
    same_value,
    sole_member,
)
from numbersync.models import (
    INBOUND_FIELDS,
    RINGING_FIELDS,
    SET_FIELDS,
    UNPRIVILEGED_FIELDS,
    DesiredGroup,
    DesiredNumber,
    DesiredState,
    Safety,
    Value,
)
from numbersync.ringing import Rings
from numbersync.unmanaged import NoLongerManaged

PERMISSION_NAME = "Manage Team Phone Numbers"
# The permission's string in a real Close role record; the check also takes any other string
# naming group or phone numbers, so that a rename does not bring false warnings back.
PERMISSION = "manage_group_numbers"
# Built-in roles that hold every permission.
MANAGING_ROLES = frozenset({"admin", "superuser"})
T = TypeVar("T")


@dataclass(frozen=True)
class FieldChange:
    """One field of one number: `before` as Close has it, `after` as the file wants it (both
    normalised; set fields as tuples, `after` in the order the file lists them)."""

    field: str
    before: Value
    after: Value

    @property
    def added(self) -> tuple[str, ...]:
        before = set(self.before or ())
        return tuple(item for item in self.after if item not in before)

    @property
    def removed(self) -> tuple[str, ...]:
        after = set(self.after or ())
        return tuple(item for item in self.before or () if item not in after)

    @property
    def risk(self) -> str | None:
        """Why this change alone may leave callers unanswered (it switches forwarding), for
        reviewers and CI labels; None when it does not. Who a number rings is judged on the
        number as a whole (NumberChange.risks): one field cannot tell."""
        if self.field == "forward_to_enabled" and bool(self.before) != bool(self.after):
            return "switches forwarding on" if self.after else "switches forwarding off"
        return None

    @property
    def removal_risk(self) -> str | None:
        """The risk plans saved before they said who rings gave a ringing field that loses
        items; only such plans are judged by it."""
        if self.field in _REMOVALS and self.removed:
            return _REMOVALS[self.field]
        return None


_REMOVALS = {
    "participants": "removes participants",
    "participant_groups": "removes groups",
    "phone_numbers": "removes phone numbers",
}


@dataclass(frozen=True)
class NumberChange:
    """The changed fields of one number, and what the PUT that applies them carries."""

    id: str
    number: str
    label: str | None
    key: str  # the number's key in the file, to point errors at the right line
    fields: tuple[FieldChange, ...]
    file: str = ""  # the config file the number is written in
    date_updated: str | None = None  # when Close last changed the number
    # The user id of the one member of a personal number that is not the caller's: Close lets
    # only them change it ("You can only update your own personal numbers").
    owner: str | None = None
    # The change makes a personal number ring more than its one user: a shared number.
    shares: bool = False
    # Who the number rings before and after, when a ringing field changes (ringing.py).
    rings_before: Rings | None = None
    rings_after: Rings | None = None

    @property
    def ring_risk(self) -> str | None:
        """Whether it rings fewer people or external numbers: judged on who rings, or, in a
        plan saved before plans said so, on the ringing fields that lose items."""
        if self.rings_before is not None and self.rings_after is not None:
            return ringing.risk(self.rings_before, self.rings_after)
        removals = [c.removal_risk for c in self.fields if c.removal_risk]
        return ", ".join(removals) or None

    @property
    def risks(self) -> tuple[str, ...]:
        found = [c.risk for c in self.fields if c.risk]
        ring = self.ring_risk
        return (*found, ring) if ring else tuple(found)

    @property
    def body(self) -> dict[str, Any]:
        """The PUT body: only the changed fields; set fields as the full desired list, since
        Close replaces lists whole."""
        return {c.field: list(c.after) if c.field in SET_FIELDS else c.after for c in self.fields}


@dataclass(frozen=True)
class AcceptedDifference:
    """A difference the file accepts (`accepted:`): Close's `before`, the file's `after` and the
    `value` accepted, with its reason and day (YYYY-MM-DD). While `holds`, it is no change:
    never applied, not counted. Otherwise `why` says why not, and the difference is planned as
    a change again (unless Close has the file's value once more). A managed group's acceptance
    (`field` "members") has the group's id and Close's name of it in `group`, and no number."""

    id: str
    number: str
    key: str
    field: str
    before: Value
    after: Value
    value: Value
    reason: str
    until: str
    holds: bool
    why: str | None = None
    file: str = ""
    label: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class UnmanagedNumber:
    id: str
    number: str
    label: str | None


@dataclass(frozen=True)
class FileSummary:
    """One file of the config: how many of its numbers change and how many do not."""

    path: str
    changes: int
    unchanged: int

    @property
    def managed(self) -> int:
        return self.changes + self.unchanged


@dataclass(frozen=True)
class Plan:
    changes: tuple[NumberChange, ...]
    unchanged: tuple[str, ...]
    unmanaged: tuple[UnmanagedNumber, ...]
    warnings: tuple[str, ...] = ()
    emails: Mapping[str, str] = field(default_factory=dict)  # user id -> email, for display
    group_names: Mapping[str, str] = field(default_factory=dict)  # group id -> name
    config_path: str = ""
    fingerprint: str = ""
    safety: Safety = field(default_factory=Safety)
    # Every file of the config in path order (one for a single file), with its counts; `changes`
    # come in the same order of files, then by number.
    files: tuple[FileSummary, ...] = ()
    # Managed numbers that --target or --exclude left out of this plan: counted, not compared.
    untargeted: int = 0
    # What apply will make of it (safety.judge); None until judged, and in plans saved before.
    verdict: Verdict | None = None
    # The managed groups whose membership changes, in file order then by name.
    groups: tuple[GroupChange, ...] = ()
    # With --base: how the plan names the base (a path or a Git ref), and what the config no
    # longer manages compared with it. Never changes: Close keeps them as they are.
    base: str | None = None
    no_longer_managed: tuple[NoLongerManaged, ...] = ()
    # The file's acceptances of drift that met a difference, held or not, in the order of changes.
    accepted: tuple[AcceptedDifference, ...] = ()

    @property
    def accepted_holding(self) -> tuple[AcceptedDifference, ...]:
        return tuple(a for a in self.accepted if a.holds)

    @property
    def accepted_lapsed(self) -> tuple[AcceptedDifference, ...]:
        return tuple(a for a in self.accepted if not a.holds)

    # The policy rules the config waives for single numbers, in the order of the numbers.
    waivers: tuple[policy.Waiver, ...] = ()

    @property
    def managed(self) -> int:
        """Every number the config manages, in this plan or left out of it by --target."""
        return len(self.changes) + len(self.unchanged) + self.untargeted

    @property
    def risky(self) -> int:
        """How many numbers have a change that shrinks who they ring or switches forwarding."""
        return sum(bool(c.risks) for c in self.changes)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.groups)

    @property
    def refused_by_close(self) -> tuple[NumberChange, ...]:
        """The changes Close will refuse: teammates' personal numbers."""
        return tuple(c for c in self.changes if c.owner)


def _makes_shared(have: Mapping[str, Value], diffs: Sequence[FieldChange]) -> bool:
    """Whether a personal number rings more than its one user after these changes."""
    after = {name: have.get(name) or () for name in RINGING_FIELDS}
    after.update({c.field: c.after or () for c in diffs if c.field in RINGING_FIELDS})
    return bool(after["participant_groups"] or after["phone_numbers"]) or (
        len(after["participants"]) > 1
    )


def build_plan(
    state: DesiredState,
    live: Sequence[LiveNumber],
    directory: Directory = Directory(),
    *,
    me: Me | None = None,
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
    today: date | None = None,
    unread: Callable[[Iterable[str]], None] | None = None,
) -> Plan:
    """Diff the desired state against the live numbers; raises InputError with every plan-time
    problem (unknown number, email or group) at its file position, and produces no plan then.
    `targets` and `excludes` (numbers, ids, keys, config files or directories) limit the numbers
    compared; the others still count as managed, for the summary and the safety rail. `today`
    (default: the UTC day now) decides which acceptances of drift still hold. `unread` is told,
    as each change is found, the groups it rings whose members were not read: a caller may start
    reading them before the plan is done."""
    day = today or accepted.today()
    found_accepted: list[AcceptedDifference] = []
    problems: list[Diagnostic] = []
    notes: list[str] = []
    resolver = _Resolver(directory, _organization(live))
    by_number = {phone.to_e164(n.number) or n.number: n for n in live}
    by_id = {n.id: n for n in live}
    matched: dict[str, DesiredNumber] = {}
    pairs: list[tuple[DesiredNumber, LiveNumber]] = []
    for desired in state.numbers:
        current = by_id.get(desired.id or "") or by_number.get(desired.number or "")
        if current is None:
            what = "phone number id" if desired.id else "number"
            message = f"{what} {desired.key!r} is not in the Close account"
            problems.append(_problem(desired, "", message))
            continue
        if current.id in matched:
            other = matched[current.id]
            where = other.position.file if other.position.file != desired.position.file else ""
            line = f"{where}:{other.position.line}" if where else f"line {other.position.line}"
            message = f"{desired.key!r} is the same Close number as {other.key!r} ({line})"
            problems.append(_problem(desired, "", message))
            continue
        matched[current.id] = desired
        pairs.append((desired, current))
    # Group keys resolve before the diff, so that --target may name a group as Close names it.
    keyed = [(g, resolver.group(g.key)[0]) for g in state.groups]
    selected, chosen_groups = _select(pairs, keyed, resolver, targets, excludes, state)
    ringing_fields: dict[str, dict[str, Value]] = {}
    # The policy counts who a number rings with its groups as the plan leaves them.
    members_after = _members_after(chosen_groups, directory.members, resolver)

    changes: list[NumberChange] = []
    unchanged: list[str] = []
    waivers: list[policy.Waiver] = []
    files = list(state.files or (state.path,))
    counts = {path: [0, 0] for path in files}
    for desired, current in selected:
        file = desired.file or state.path
        if file not in counts:  # a state made by hand, without its list of files
            files.append(file)
            counts[file] = [0, 0]
        desired = _applicable(desired, current)
        notes.extend(_unused_settings(desired, current))
        have = effective_live_fields(current)
        problems.extend(_forwarding_nowhere(desired, have))
        wanted = resolver.resolve(desired, have.get("participants", ()), problems, notes)
        if state.groups:  # a group change says which numbers it makes ring
            ringing_fields[_e164(current)] = _ringing_fields({**have, **wanted})
        if current.type != "external":  # it rings nobody, and forwards nothing: no rule applies
            found = _policy_problems(desired, have, wanted, directory, members_after, state, notes)
            if found or desired.waivers:
                problems.extend(policy.diagnostic(desired, v) for v in policy.waive(desired, found))
                waivers.extend(policy.waivers(desired, found))
        diffs = []
        acceptances = {a.field: a for a in desired.accepted} if desired.accepted else None
        for name, after in wanted.items():
            before = have.get(name, normalise_live(name, None))
            acceptance = acceptances.get(name) if acceptances else None
            if acceptance is not None:
                why = accepted.why_not(acceptance, before, after, day, state.max_accept_days)
                label = wanted.get("label", current.fields.get("label"))
                found_accepted.append(
                    AcceptedDifference(
                        current.id,
                        current.number,
                        desired.key,
                        name,
                        before,
                        after,
                        acceptance.value,
                        acceptance.reason,
                        acceptance.until.isoformat(),
                        holds=why is None,
                        why=why,
                        file=file,
                        label=label if isinstance(label, str) else None,
                    )
                )
                if why is None:
                    continue
            if not same_value(name, before, after):
                diffs.append(FieldChange(name, before, after))
        if diffs:
            label = wanted.get("label", current.fields.get("label"))
            owner = sole_member(current)
            before, after = _rings(have, diffs, directory)
            if unread is not None and before is not None and after is not None:
                unread((*before.unread, *after.unread))
            changes.append(
                NumberChange(
                    current.id,
                    current.number,
                    label,
                    desired.key,
                    tuple(diffs),
                    file,
                    current.date_updated,
                    # Without /me/ the caller is unknown: no mark rather than a wrong one.
                    owner=owner if me is not None and owner != me.user_id else None,
                    shares=owner is not None and _makes_shared(have, diffs),
                    rings_before=before,
                    rings_after=after,
                )
            )
            counts[file][0] += 1
        else:
            unchanged.append(current.number)
            counts[file][1] += 1
    for _, current in pairs if state.groups else ():
        if _e164(current) not in ringing_fields:  # left out by --target: rings as Close has it
            ringing_fields[_e164(current)] = _ringing_fields(effective_live_fields(current))
    diffed = GROUPS.diff(state, Context(resolver, directory.members, ringing_fields))
    problems.extend(diffed.problems)
    notes.extend(diffed.notes)
    if problems:
        raise InputError(
            problems, hint="fix the file, or check that the key belongs to this account"
        )
    kept = {(g.key, g.file or state.path) for g, _ in chosen_groups}
    held, group_accepted = _accepted_groups(
        chosen_groups, diffed.changes, directory.members or {}, resolver, state, day
    )
    diffed_changes = [c for c in diffed.changes if (c.key, c.file) not in held]
    if held:  # a held group keeps Close's members: who the other changes make ring counts them
        diffed_changes = with_reach(diffed_changes, ringing_fields, directory.members or {})
    group_changes = [c for c in diffed_changes if (c.key, c.file) in kept]
    group_changes.sort(key=lambda c: (order_of(files, c.file), c.name))
    # Who a number rings after the plan counts the members its groups have after it too.
    changes = _after_memberships(changes, directory.members or {}, group_changes)

    unmanaged = sorted(
        (
            UnmanagedNumber(n.id, n.number, n.fields.get("label"))
            for n in live
            if n.id not in matched
        ),
        key=lambda u: u.number,
    )
    order = {path: i for i, path in enumerate(files)}
    changes.sort(key=lambda c: (order[c.file], c.number))
    found_accepted.sort(key=lambda a: (order[a.file], a.number))
    group_accepted.sort(key=lambda a: (order_of(files, a.file), a.group or ""))
    found_accepted.extend(group_accepted)
    live_by_id = {n.id: n for n in live}
    return Plan(
        changes=tuple(changes),
        unchanged=tuple(sorted(unchanged)),
        unmanaged=tuple(unmanaged),
        warnings=(*permission_warnings(changes, live_by_id, me), *notes),
        # Only the names of ids the plan shows: /user/ lists every organization's users, whose
        # emails have no business in a plan file or a pull-request comment.
        emails=_named(
            resolver.emails,
            shown_users(changes, group_changes)
            | _accepted_ids(found_accepted, "participants")
            | {u for a in group_accepted for v in (a.before, a.after, a.value) for u in v or ()},
        ),
        group_names={
            **_named(
                resolver.group_names,
                shown_groups(changes) | _accepted_ids(found_accepted, "participant_groups"),
            ),
            **{c.id: c.name for c in group_changes},
        },
        config_path=state.path,
        fingerprint=state.fingerprint,
        safety=state.safety,
        files=tuple(FileSummary(path, *counts[path]) for path in files),
        untargeted=len(pairs) - len(selected),
        groups=tuple(group_changes),
        accepted=tuple(found_accepted),
        waivers=tuple(waivers),
    )


def _accepted_groups(
    chosen: Sequence[tuple[DesiredGroup, str]],
    changes: Sequence[GroupChange],
    members: Mapping[str, tuple[str, ...]],
    resolver: _Resolver,
    state: DesiredState,
    day: date,
) -> tuple[set[tuple[str, str]], list[AcceptedDifference]]:
    """The group changes (key, file) an acceptance of drift holds back, and every acceptance of
    a chosen group, held or not. A group without a change has Close's members as the file's."""
    change_of = {(c.key, c.file): c for c in changes}
    held: set[tuple[str, str]] = set()
    found = []
    for desired, group_id in chosen:
        if not desired.accepted or group_id not in members:
            continue
        file = desired.file or state.path
        change = change_of.get((desired.key, file))
        before = change.before if change else members[group_id]
        after = change.after if change else before
        for acceptance in desired.accepted:
            why = accepted.why_not(acceptance, before, after, day, state.max_accept_days)
            if why is None and change is not None:
                held.add((desired.key, file))
            found.append(
                AcceptedDifference(
                    group_id,
                    "",
                    desired.key,
                    acceptance.field,
                    before,
                    after,
                    acceptance.value,
                    acceptance.reason,
                    acceptance.until.isoformat(),
                    holds=why is None,
                    why=why,
                    file=file,
                    group=resolver.group_name(group_id),
                )
            )
    return held, found


def _accepted_ids(accepting: Sequence[AcceptedDifference], field: str) -> set[str]:
    """The ids of `field` the accepted differences show, before, after or accepted."""
    values = [v for a in accepting if a.field == field for v in (a.before, a.after, a.value)]
    return accepted.accepted_ids(values, field)


def order_of(files: Sequence[str], file: str) -> int:
    """A file's place in the plan's order of files (files it does not list come last)."""
    return files.index(file) if file in files else len(files)


def _after_memberships(
    changes: list[NumberChange],
    members: Mapping[str, Sequence[str]],
    groups: Sequence[GroupChange],
) -> list[NumberChange]:
    """The changes with `rings_after` counting the members `groups` leave their groups with."""
    if not groups:
        return changes
    after = {**members, **{g.id: g.after for g in groups}}
    moved = {g.id for g in groups}
    found = []
    for change in changes:
        ring = change.rings_after
        if ring is not None and moved & {g.id for g in ring.groups}:
            change = replace(change, rings_after=ringing.rings(_fields_of(ring), after))
        found.append(change)
    return found


def _e164(current: LiveNumber) -> str:
    return phone.to_e164(current.number) or current.number


def _ringing_fields(fields: Mapping[str, Value]) -> dict[str, Value]:
    return {name: fields.get(name) or () for name in RINGING_FIELDS}


def _policy_problems(
    desired: DesiredNumber,
    have: Mapping[str, Value],
    wanted: Mapping[str, Value],
    directory: Directory,
    members: Mapping[str, tuple[str, ...]] | None,
    state: DesiredState,
    notes: list[str],
) -> list[policy.Violation]:
    """The policy on what Close keeps and on who the number rings, group members (`members`, as
    the plan leaves the groups) counted where they were read (a note when members not read may
    decide it); the file's own violations too when the number has waivers, so that the plan says
    which waivers are needed."""
    rules = state.policy
    found, rung = policy.live_violations(desired, have, wanted, members, rules)
    least = rules.min_ringing or 0
    unsure = rung is not None and rung.unread and rung.count < least
    if rung is not None and unsure and "min_ringing" not in desired.waivers:
        names = ", ".join(repr(_group_name(directory, g)) for g in rung.unread)
        message = (
            f"policy min_ringing ({least}) not checked: the number rings {rung.count} "
            f"without the members of {names}, which were not read"
        )
        notes.append(str(_problem(desired, "", message)))
    if desired.waivers:
        found = [*policy.file_violations(desired, rules), *found]
    return found


def _members_after(
    groups: Sequence[tuple[DesiredGroup, str]],
    members: Mapping[str, tuple[str, ...]] | None,
    resolver: _Resolver,
) -> Mapping[str, tuple[str, ...]] | None:
    """The members of each group read, as the plan leaves the managed groups: the file's
    members where they resolve (the group diff reports those that do not)."""
    if members is None or not groups:
        return members
    after = dict(members)
    for group, group_id in groups:
        if group_id in members:
            found = (resolver.user(ref, members[group_id]) for ref in group.members)
            after[group_id] = tuple(dict.fromkeys(u for u, error, _ in found if error is None))
    return after


def _group_name(directory: Directory, group_id: str) -> str:
    """A group's name, for messages; what the file wrote when the groups were not read."""
    return next((g.name for g in directory.groups or () if g.id == group_id), group_id)


def _rings(
    have: Mapping[str, Value], diffs: Sequence[FieldChange], directory: Directory
) -> tuple[Rings | None, Rings | None]:
    """Who the number rings before and after `diffs`, when they change a ringing field."""
    changed = {c.field: c.after for c in diffs if c.field in RINGING_FIELDS}
    if not changed:
        return None, None
    before = {name: have.get(name) for name in RINGING_FIELDS}
    after = {**before, **changed}
    members = directory.members
    return ringing.rings(before, members), ringing.rings(after, members)


def with_fields(change: NumberChange, fields: Sequence[FieldChange]) -> NumberChange:
    """`change` making only `fields` (some of its own), with who it rings after them."""
    before = change.rings_before
    if before is None or change.rings_after is None:
        return replace(change, fields=tuple(fields))
    known = {**_read(before), **_read(change.rings_after)}
    rings = _rings(_fields_of(before), fields, Directory(members=known))
    return replace(change, fields=tuple(fields), rings_before=rings[0], rings_after=rings[1])


def with_members_read(
    plan: Plan,
    members: Mapping[str, Sequence[str]],
    users: Iterable[User] = (),
    groups: Iterable[Group] = (),
) -> Plan:
    """`plan` with who its changed numbers ring counting `members`, read since it was built, the
    people named from `users` and the groups from `groups`: the plan build_plan makes with them,
    when the plan changes no group's membership (a membership change's reach counts the groups
    of every number it reaches: build it again)."""

    def known(ring: Rings | None) -> Rings | None:
        if ring is None or not ring.unread:
            return ring
        return ringing.rings(_fields_of(ring), {**_read(ring), **members})

    changes = tuple(
        replace(c, rings_before=known(c.rings_before), rings_after=known(c.rings_after))
        for c in plan.changes
    )
    names = _named({g.id: g.name for g in groups}, shown_groups(changes))
    named = replace(plan, changes=changes, group_names={**names, **plan.group_names})
    return with_people_emails(named, users)


def _fields_of(ring: Rings) -> dict[str, Value]:
    """The ringing fields that ring as `ring` says."""
    return {
        "participants": ring.participants,
        "participant_groups": tuple(g.id for g in ring.groups),
        "phone_numbers": ring.phone_numbers,
    }


def _read(ring: Rings) -> dict[str, tuple[str, ...]]:
    """The members of the groups of `ring` that were read."""
    return {g.id: g.members for g in ring.groups if g.members is not None}


def _named(names: Mapping[str, str], shown: set[str]) -> dict[str, str]:
    return {key: name for key, name in names.items() if key in shown}


def shown_users(changes: Iterable[NumberChange], groups: Iterable[GroupChange] = ()) -> set[str]:
    """The user ids a plan shows: in participants before or after, who a number rings before or
    after, the owners of the personal numbers it changes, and the members a group change adds
    or removes."""
    shown: set[str] = {user for change in groups for user in GROUPS.user_ids(change)}
    for change in changes:
        for c in change.fields:
            if c.field == "participants":
                shown.update((*(c.before or ()), *(c.after or ())))
        for ring in (change.rings_before, change.rings_after):
            shown.update(ring.users if ring else ())
        if change.owner:
            shown.add(change.owner)
    return shown


def shown_groups(changes: Iterable[NumberChange]) -> set[str]:
    """The group ids a plan shows: in participant_groups, and those a number rings through."""
    shown: set[str] = set()
    for change in changes:
        for c in change.fields:
            if c.field == "participant_groups":
                shown.update((*(c.before or ()), *(c.after or ())))
        for ring in (change.rings_before, change.rings_after):
            shown.update(g.id for g in (ring.groups if ring else ()))
    return shown


def unread_groups(
    plan: Plan, live: Iterable[LiveNumber], members: Mapping[str, Sequence[str]]
) -> set[str]:
    """The groups whose members the plan needs and were not read (`members`: those read): those
    a changed number rings before or after, and the groups of each number a membership change
    seems to reach. Members read can only shrink that reach (someone may ring there through
    another group already), so the numbers outside it need no read."""
    needed = {
        group_id
        for change in plan.changes
        for ring in (change.rings_before, change.rings_after)
        for group_id in (ring.unread if ring else ())
    }
    reached = {number for change in plan.groups for number in change.numbers}
    for current in live if reached else ():
        if _e164(current) in reached:
            needed.update(str(g) for g in current.fields.get("participant_groups") or ())
    return {group_id for group_id in needed if group_id not in members}


def unnamed_people(plan: Plan) -> set[str]:
    """The users the plan shows whose email it does not know: owners of the personal numbers it
    marks, and who a number rings (/user/ was not read, the file naming nobody by email)."""
    return {u for u in shown_users(plan.changes) if u not in plan.emails}


def with_people_emails(plan: Plan, users: Iterable[User]) -> Plan:
    """The plan with the emails of the users it shows, from `users`."""
    shown = shown_users(plan.changes)
    found = {u.id: u.email for u in users if u.id in shown and u.email}
    return replace(plan, emails={**plan.emails, **found}) if found else plan


def _forwarding_nowhere(desired: DesiredNumber, have: Mapping[str, Value]) -> list[Diagnostic]:
    """Forwarding switched on (or kept on) with no number to forward to, in the file or in
    Close: Close would store it so, and calls would go nowhere."""
    if desired.fields.get("forward_to_enabled") is not True:
        return []
    if desired.fields.get("forward_to") or have.get("forward_to"):
        return []
    message = (
        "forwarding is switched on, but neither the file nor Close has a number to forward "
        "to: set forward_to"
    )
    return [_problem(desired, "forward_to_enabled", message)]


def _applicable(desired: DesiredNumber, current: LiveNumber) -> DesiredNumber:
    """The settings that apply to this number: an external number takes no inbound setting
    from `defaults` (they are meant for the numbers that ring), only those written on it."""
    if current.type != "external":
        return desired
    inherited = {
        n for n in INBOUND_FIELDS if n in desired.fields and desired.layer_of(n) != "number"
    }
    if not inherited:
        return desired
    fields = {k: v for k, v in desired.fields.items() if k not in inherited}
    return replace(desired, fields=fields)


def _unused_settings(desired: DesiredNumber, current: LiveNumber) -> list[str]:
    """A note, at the number's position, when the file sets inbound settings on an external
    number: Close accepts them but never uses them."""
    if current.type != "external":
        return []
    unused = [name for name in INBOUND_FIELDS if name in desired.fields]
    if not unused:
        return []
    message = (
        f"{phone.display(current.number)} is an external number (Close uses it only as "
        f"outbound caller ID): Close does not use its {', '.join(unused)}"
    )
    return [str(_problem(desired, "", message))]


def mismatched(
    change: NumberChange, current: LiveNumber, side: Literal["before", "after"]
) -> list[tuple[FieldChange, Value]]:
    """Each changed field whose `side` value is not what Close has, with Close's value."""
    have = effective_live_fields(current)
    found = []
    for c in change.fields:
        now = have.get(c.field, normalise_live(c.field, None))
        if not same_value(c.field, now, getattr(c, side)):
            found.append((c, now))
    return found


def drifted(change: NumberChange, current: LiveNumber) -> list[str]:
    """Each changed field whose `before` is no longer what Close has (`label was "Sales" in the
    plan, now "Sales desk"`): the change was planned from values that are gone."""
    return [
        f"{c.field} was {shown(c.before)} in the plan, now {shown(now)}"
        for c, now in mismatched(change, current, "before")
    ]


def shown(value: Value) -> str:
    """A value as JSON, the way plans and reports quote it."""
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def _select(
    pairs: list[tuple[DesiredNumber, LiveNumber]],
    keyed: list[tuple[DesiredGroup, str]],
    resolver: _Resolver,
    targets: Sequence[str],
    excludes: Sequence[str],
    state: DesiredState,
) -> tuple[list[tuple[DesiredNumber, LiveNumber]], list[tuple[DesiredGroup, str]]]:
    """The numbers and the managed groups that --target and --exclude leave in the plan."""
    what = ["a number", *(["a group"] if state.groups else ()), "a file"]
    if len(state.files) <= 1:
        what.pop()
    missing_means = f"not {' or '.join(what)} in {state.path}"
    numbers, groups = choose_each(
        [
            (pairs, lambda pair: (pair[1].id, pair[1].number, pair[0].key, pair[0].file)),
            (keyed, lambda g: (g[0].key, g[0].file, g[1], resolver.group_name(g[1]))),
        ],
        targets,
        excludes,
        missing_means,
    )
    return numbers, groups


def choose_each(
    kinds: Sequence[tuple[Sequence[Any], Callable[[Any], Iterable[str]]]],
    targets: Sequence[str],
    excludes: Sequence[str],
    missing_means: str,
) -> list[list[Any]]:
    """For each kind of item (numbers, groups), the items named by --target (all of them without
    targets), less those named by --exclude. A name that matches no item of any kind is a
    UsageError ("--target X: `missing_means`"), so that a typo never silently widens or narrows
    a plan."""
    chosen = [list(items) for items, _ in kinds]
    for flag, given in (("--target", targets), ("--exclude", excludes)):
        if not given:
            continue
        missing: set[str] | None = None
        for n, (items, names) in enumerate(kinds):
            matching, unmatched = select_targets(items, given, names)
            missing = set(unmatched) if missing is None else missing & set(unmatched)
            named = {id(item) for item in matching}
            keep = flag == "--target"
            chosen[n] = [item for item in chosen[n] if (id(item) in named) == keep]
        if missing:
            raise UsageError(f"{flag} {', '.join(sorted(missing))}: {missing_means}")
    return chosen


def select_targets(
    items: Sequence[T], targets: Sequence[str], names: Callable[[T], Iterable[str]]
) -> tuple[list[T], list[str]]:
    """The items that one of `targets` names (a number in any form, an id, a file key, or the
    config file it is in, or a directory above that file), and the targets that named none.
    `names` gives an item's id, number, key and file."""
    wanted = {_target_form(t) for t in targets}

    def named(item: T) -> set[str]:
        forms = set()
        for name in names(item):
            if _is_path(name):
                # The file, and each directory above it: `--target numbers/support`.
                path = os.path.normpath(name)
                while path and path not in forms:
                    forms.add(path)
                    path = os.path.dirname(path)
            elif name:
                forms.add(phone.to_e164(name) or name)
        return forms

    chosen = [item for item in items if named(item) & wanted]
    found = set().union(*(named(item) for item in chosen))
    return chosen, sorted(wanted - found)


def _is_path(name: str) -> bool:
    """Numbers start with `+` and ids with `phon_`; a name with a slash or a YAML suffix is
    a config file or directory."""
    return "/" in name or os.sep in name or name.endswith((".yaml", ".yml"))


def _target_form(target: str) -> str:
    if _is_path(target):
        return os.path.normpath(target)
    return phone.to_e164(target) or target


def _problem(desired: DesiredNumber, name: str, message: str) -> Diagnostic:
    """A problem with the key (""), a field, or a list item ("participants[2]", the file's
    index), at the place and JSON path where it was written (the number, or its defaults)."""
    path = json_path(desired.path_of(name))
    return Diagnostic(desired.position_of(name) if name else desired.position, path, message)


class _Resolver:
    """Emails (case-insensitive) and user ids to active members of the organization that owns
    the numbers; group names (exact) and ids to its groups. /user/ lists the users of every
    organization the caller belongs to: a user of another one is never a participant here."""

    def __init__(self, directory: Directory, organization: str | None) -> None:
        self.users = directory.users
        self.groups = directory.groups
        users = directory.users or ()
        self._members = {u.id: u for u in users if u.member_of(organization)}
        self._others = {u.id: u for u in users if not u.member_of(organization)}
        self.emails = {u.id: u.email for u in users}
        self._by_email: dict[str, list[User]] = {}
        for user in self._members.values():
            self._by_email.setdefault(user.email.casefold(), []).append(user)
        self._other_by_email = {u.email.casefold(): u for u in self._others.values()}
        # An organization unknown (no numbers to say it) keeps every group, as it keeps users.
        groups = [
            g
            for g in directory.groups or ()
            if organization is None or g.organization_id in (None, organization)
        ]
        self.group_names = {g.id: g.name for g in groups}
        self._by_name: dict[str, list[Group]] = {}
        for group in groups:
            self._by_name.setdefault(group.name, []).append(group)

    def resolve(
        self,
        desired: DesiredNumber,
        participants: Sequence[str],
        problems: list[Diagnostic],
        notes: list[str],
    ) -> dict[str, Value]:
        """The number's wanted fields with references resolved to ids; `participants` are the
        ones Close has now, since a former member may stay where they already are."""
        wanted = dict(desired.fields)
        for name, lookup in (("participants", self._user), ("participant_groups", self._group)):
            if name not in wanted:
                continue
            resolved: list[str] = []
            for n, ref in enumerate(desired.fields[name]):
                found, error, note = lookup(ref, participants)
                where = f"{name}[{desired.file_index(name, n)}]"
                if error:
                    problems.append(_problem(desired, where, error))
                    continue
                if note:
                    notes.append(str(_problem(desired, where, note)))
                if found not in resolved:
                    resolved.append(found)
            wanted[name] = tuple(resolved)
        return wanted

    def user(self, ref: str, present: Sequence[str]) -> Resolved:
        return self._user(ref, present)

    def group(self, ref: str) -> Resolved:
        return self._group(ref, ())

    def group_name(self, group_id: str) -> str:
        return self.group_names.get(group_id, group_id)

    def _user(self, ref: str, participants: Sequence[str]) -> tuple[str, str | None, str | None]:
        """(user id, error, note) for an email or a user id."""
        if self.users is None:
            return ref, None, None  # not read: Close will judge
        if ref.startswith("user_"):
            if ref in self._members:
                return ref, None, None
            if ref in self._others:
                return ref, f"{ref} ({self._others[ref].email}) is {_ANOTHER}", None
            if ref in participants:
                # Close lists them on the number, but /user/ no longer does: their membership
                # was deactivated or removed. Keeping them changes nothing.
                note = f"{ref} is a participant in Close but not an active member of the "
                note += "organization (deactivated or removed); it stays as it is"
                return ref, None, note
            return ref, f"no active member of the organization has the id {ref}", None
        matches = self._by_email.get(ref.casefold(), [])
        if len(matches) > 1:
            ids = ", ".join(u.id for u in matches)
            return ref, f"{ref} matches {len(matches)} users ({ids}); name the user by id", None
        if matches:
            return matches[0].id, None, None
        other = self._other_by_email.get(ref.casefold())
        if other is not None:
            return ref, f"{ref} is {_ANOTHER}", None
        # Emails of one domain look alike: only a near miss (a typo) is worth suggesting.
        emails = {u.email.casefold(): u.email for u in self._members.values()}
        guess = _closest(ref.casefold(), emails, cutoff=0.9)
        return ref, f"no active member of the organization has the email {ref}{guess}", None

    def _group(self, ref: str, participants: Sequence[str]) -> tuple[str, str | None, str | None]:
        """(group id, error, note) for a group name or id."""
        if self.groups is None:
            return ref, None, None
        if ref.startswith("group_"):
            if ref in self.group_names:
                return ref, None, None
            return ref, f"no group with id {ref} in the organization", None
        groups = self._by_name.get(ref, [])
        if len(groups) > 1:
            ids = ", ".join(g.id for g in groups)
            return (
                ref,
                f"{len(groups)} groups are named {ref!r} ({ids}); name the group by id",
                None,
            )
        if groups:
            return groups[0].id, None, None
        names = list(self._by_name)
        exact = [n for n in names if n.casefold() == ref.casefold()]
        guess = f" (did you mean {exact[0]!r}? names match exactly)" if exact else ""
        guess = guess or _closest(ref, {n: n for n in names}, cutoff=0.6)
        return ref, f"no group named {ref!r} in the organization{guess}", None


_ANOTHER = "a user of another organization, not of the one that owns these numbers"


def _closest(wanted: str, known: Mapping[str, str], cutoff: float) -> str:
    """` (did you mean 'x'?)` for the closest of `known` (compared by key), or ""."""
    close = difflib.get_close_matches(wanted, list(known), n=1, cutoff=cutoff)
    return f" (did you mean {known[close[0]]!r}?)" if close else ""


def holds_number_permission(permissions: Iterable[str]) -> bool:
    """Whether a permission list grants changing group numbers: `manage_group_numbers`, or any
    string naming group or phone numbers (older or future names)."""
    return any("group_number" in p or "phone_number" in p for p in permissions)


def role_to_read(membership: Membership) -> str | None:
    """The role whose permissions to read (`GET /role/{id}/`) before warning: when /me/ lists
    the caller's permissions without the one for group numbers, the role may still hold it."""
    if membership.role_id is None or membership.role_id in MANAGING_ROLES:
        return None
    if membership.permissions is None or holds_number_permission(membership.permissions):
        return None
    return membership.role_id


def _lacks_permission(membership: Membership) -> bool:
    """Close shows the caller's permissions and their role's, and neither grants changing group
    numbers. Anything it does not show (no list, a role that could not be read) is no reason to
    warn."""
    if membership.role_id in MANAGING_ROLES or membership.permissions is None:
        return False
    if holds_number_permission(membership.permissions):
        return False
    role = membership.role_permissions
    return role is not None and not holds_number_permission(role)


def role_to_read_for(plan: Plan, live: Mapping[str, LiveNumber], me: Me | None) -> str | None:
    """The caller's role to read before the plan can say whether to warn: /me/ lists their
    permissions without the one for group numbers, and some change needs it. Read only then,
    so that an admin's plan, or one that needs no permission, costs no request."""
    if me is None:
        return None
    membership = me.membership(_organization(live.values()))
    if membership is None or membership.role_permissions is not None:
        return None
    role_id = role_to_read(membership)
    if role_id is None or not _needing(plan.changes, live, me):
        return None
    return role_id


def with_role(
    plan: Plan, live: Mapping[str, LiveNumber], me: Me, role_id: str, granted: frozenset[str] | None
) -> Plan:
    """The plan with its permission warning decided on the role's permissions (`granted`, None
    when they could not be read: no warning)."""
    memberships = tuple(
        replace(m, role_permissions=granted) if m.role_id == role_id else m for m in me.memberships
    )
    warning = permission_warnings(plan.changes, live, replace(me, memberships=memberships))
    return replace(plan, warnings=(*warning, *plan.warnings)) if warning else plan


def _needing(
    changes: Sequence[NumberChange], live: Mapping[str, LiveNumber], me: Me
) -> list[NumberChange]:
    """The changes Close may refuse without the permission; a teammate's personal number is
    left out: Close refuses it whatever the permission, and the plan says so there."""
    return [
        change
        for change in changes
        if not change.owner and _needs_permission(change, live[change.id], me)
    ]


def permission_warnings(
    changes: Sequence[NumberChange], live: Mapping[str, LiveNumber], me: Me | None
) -> list[str]:
    """At most one advisory line, worded as a possibility: the server decides in the end."""
    if me is None or not changes:
        return []
    membership = me.membership(_organization(live.values()))
    if membership is None or not _lacks_permission(membership):
        return []
    needing = _needing(changes, live, me)
    if not needing:
        return []
    shown = ", ".join(phone.display(c.number) for c in needing[:3])
    more = f" and {len(needing) - 3} more" if len(needing) > 3 else ""
    count = f"{len(needing)} change{'s' if len(needing) != 1 else ''}"
    return [
        f"{count} ({shown}{more}) may need the {PERMISSION_NAME!r} permission ({PERMISSION}), "
        f"and neither /me/ nor the role {membership.role_id} shows it for {me.email}; if Close "
        "refuses one, apply reports it and goes on with the others."
    ]


def _needs_permission(change: NumberChange, live: LiveNumber, me: Me) -> bool:
    """Whether Close requires the permission for this change: anything beyond label, greeting
    and forwarding, or any change to a number the caller is not the sole member of."""
    if any(c.field not in UNPRIVILEGED_FIELDS for c in change.fields):
        return True
    return set(effective_live_fields(live).get("participants", ())) != {me.user_id}


def _organization(live: Iterable[LiveNumber]) -> str | None:
    """The organization that owns the numbers, as they say themselves."""
    owners = {n.organization_id for n in live if n.organization_id}
    return owners.pop() if len(owners) == 1 else None
