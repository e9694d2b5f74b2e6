"""The diff: desired state against live numbers, as a Plan. Pure: no I/O, deterministic order.

Both sides are normalised before comparing (E.164, sets, emails and group names resolved to ids,
a null ring duration read as Close's default of 30) so that no perpetual diff can arise.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from numbersync import phone
from numbersync.errors import Diagnostic, InputError, UsageError
from numbersync.models import (
    DEFAULT_RING_DURATION,
    SET_FIELDS,
    UNPRIVILEGED_FIELDS,
    DesiredNumber,
    DesiredState,
    Group,
    LiveNumber,
    Me,
    Safety,
    User,
    Value,
)
from numbersync.yamlsource import json_path

PERMISSION_NAME = "Manage Team Phone Numbers"
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


@dataclass(frozen=True)
class NumberChange:
    """The changed fields of one number, and what the PUT that applies them carries."""

    id: str
    number: str
    label: str | None
    key: str  # the number's key in the file, to point errors at the right line
    fields: tuple[FieldChange, ...]

    @property
    def body(self) -> dict[str, Any]:
        """The PUT body: only the changed fields; set fields as the full desired list, since
        Close replaces lists whole."""
        return {c.field: list(c.after) if c.field in SET_FIELDS else c.after for c in self.fields}


@dataclass(frozen=True)
class UnmanagedNumber:
    id: str
    number: str
    label: str | None


@dataclass(frozen=True)
class Directory:
    """Users and groups of the organization, when the file needed them (emails or names)."""

    users: tuple[User, ...] | None = None
    groups: tuple[Group, ...] | None = None


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

    @property
    def managed(self) -> int:
        return len(self.changes) + len(self.unchanged)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)


def normalise_live(name: str, value: Value, raw: Mapping[str, Any] | None = None) -> Value:
    """A live value in the form the file's values take, so that equal settings compare equal."""
    if name == "inbound_ring_duration":
        return DEFAULT_RING_DURATION if value is None else value
    if name == "forward_to":
        return phone.to_e164(value) or value if isinstance(value, str) and value else None
    if name in SET_FIELDS:
        items = [str(item) for item in value or ()]
        if (
            name == "participants"
            and not items
            and raw
            and raw.get("user_id")
            and not raw.get("participant_groups")
        ):
            # Older personal numbers list their owner only in the deprecated `user_id`. A number
            # that rings groups may hold its sole group member there, who is no participant.
            items = [str(raw["user_id"])]
        if name == "phone_numbers":
            items = [phone.to_e164(item) or item for item in items]
        return tuple(dict.fromkeys(items))
    return value


def effective_live_fields(live: LiveNumber) -> dict[str, Value]:
    return {name: normalise_live(name, live.fields.get(name), live.raw) for name in live.fields}


def build_plan(
    state: DesiredState,
    live: Sequence[LiveNumber],
    directory: Directory = Directory(),
    *,
    me: Me | None = None,
    targets: Sequence[str] = (),
) -> Plan:
    """Diff the desired state against the live numbers; raises InputError with every plan-time
    problem (unknown number, email or group) at its file position, and produces no plan then."""
    problems: list[Diagnostic] = []
    resolver = _Resolver(directory)
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
            line = other.position.line
            message = f"{desired.key!r} is the same Close number as {other.key!r} (line {line})"
            problems.append(_problem(desired, "", message))
            continue
        matched[current.id] = desired
        pairs.append((desired, current))
    selected = _select(pairs, targets, state)

    changes: list[NumberChange] = []
    unchanged: list[str] = []
    for desired, current in selected:
        wanted = resolver.resolve(desired, problems)
        have = effective_live_fields(current)
        diffs = []
        for name, after in wanted.items():
            before = have.get(name, normalise_live(name, None))
            if not same_value(name, before, after):
                diffs.append(FieldChange(name, before, after))
        if diffs:
            label = wanted.get("label", current.fields.get("label"))
            changes.append(
                NumberChange(current.id, current.number, label, desired.key, tuple(diffs))
            )
        else:
            unchanged.append(current.number)
    if problems:
        raise InputError(
            problems, hint="fix the file, or check that the key belongs to this account"
        )

    unmanaged = sorted(
        (
            UnmanagedNumber(n.id, n.number, n.fields.get("label"))
            for n in live
            if n.id not in matched
        ),
        key=lambda u: u.number,
    )
    changes.sort(key=lambda c: c.number)
    live_by_id = {n.id: n for n in live}
    return Plan(
        changes=tuple(changes),
        unchanged=tuple(sorted(unchanged)),
        unmanaged=tuple(unmanaged),
        warnings=tuple(_permission_warnings(changes, live_by_id, me)),
        emails=resolver.emails,
        group_names=resolver.group_names,
        config_path=state.path,
        fingerprint=state.fingerprint,
        safety=state.safety,
    )


def same_value(name: str, a: Value, b: Value) -> bool:
    """Equality of two normalised values: set fields ignore order."""
    if name in SET_FIELDS:
        return set(a or ()) == set(b or ())
    return bool(a == b)


def _select(
    pairs: list[tuple[DesiredNumber, LiveNumber]], targets: Sequence[str], state: DesiredState
) -> list[tuple[DesiredNumber, LiveNumber]]:
    """Only the numbers named by --target (any form, or an id); all of them without targets."""
    if not targets:
        return pairs
    chosen, missing = select_targets(
        pairs, targets, lambda pair: (pair[1].id, pair[1].number, pair[0].key)
    )
    if missing:
        raise UsageError(f"--target {', '.join(missing)}: not a number in {state.path}")
    return chosen


def select_targets(
    items: Sequence[T], targets: Sequence[str], names: Callable[[T], Iterable[str]]
) -> tuple[list[T], list[str]]:
    """The items that one of `targets` names (a number in any form, an id or a file key), and
    the targets that named none. `names` gives an item's id, number and key."""
    wanted = {phone.to_e164(t) or t for t in targets}

    def named(item: T) -> set[str]:
        return {phone.to_e164(name) or name for name in names(item)}

    chosen = [item for item in items if named(item) & wanted]
    found = set().union(*(named(item) for item in chosen))
    return chosen, sorted(wanted - found)


def _problem(desired: DesiredNumber, name: str, message: str) -> Diagnostic:
    path = json_path(("numbers", desired.key, *_split(name)))
    return Diagnostic(desired.position_of(name) if name else desired.position, path, message)


def _split(name: str) -> tuple[str | int, ...]:
    if not name:
        return ()
    if "[" in name:
        base, index = name[:-1].split("[")
        return (base, int(index))
    return (name,)


class _Resolver:
    """Emails to user ids (case-insensitive) and group names to group ids (exact)."""

    def __init__(self, directory: Directory) -> None:
        self.users = directory.users
        self.groups = directory.groups
        self.emails = {u.id: u.email for u in directory.users or ()}
        self.group_names = {g.id: g.name for g in directory.groups or ()}
        self._by_email: dict[str, list[User]] = {}
        for user in directory.users or ():
            self._by_email.setdefault(user.email.casefold(), []).append(user)
        self._by_name = {g.name: g for g in directory.groups or ()}

    def resolve(self, desired: DesiredNumber, problems: list[Diagnostic]) -> dict[str, Value]:
        wanted = dict(desired.fields)
        if "participants" in wanted:
            wanted["participants"] = self._refs(desired, "participants", problems, self._user)
        if "participant_groups" in wanted:
            wanted["participant_groups"] = self._refs(
                desired, "participant_groups", problems, self._group
            )
        return wanted

    def _refs(
        self, desired: DesiredNumber, name: str, problems: list[Diagnostic], lookup: Any
    ) -> tuple[str, ...]:
        resolved: list[str] = []
        for i, ref in enumerate(desired.fields[name]):
            found, error = lookup(ref)
            if error:
                problems.append(_problem(desired, f"{name}[{i}]", error))
            elif found not in resolved:
                resolved.append(found)
        return tuple(resolved)

    def _user(self, ref: str) -> tuple[str | None, str | None]:
        if ref.startswith("user_"):
            if self.users is not None and ref not in self.emails:
                return None, f"no user with id {ref} in the organization"
            return ref, None
        matches = self._by_email.get(ref.casefold(), [])
        if len(matches) > 1:
            ids = ", ".join(u.id for u in matches)
            return None, f"{ref} matches {len(matches)} users ({ids}); name the user by id"
        if not matches:
            return None, f"no user with email {ref} in the organization"
        return matches[0].id, None

    def _group(self, ref: str) -> tuple[str | None, str | None]:
        if ref.startswith("group_"):
            if self.groups is not None and ref not in self.group_names:
                return None, f"no group with id {ref} in the organization"
            return ref, None
        if ref in self._by_name:
            return self._by_name[ref].id, None
        names = list(self._by_name)
        close = [n for n in names if n.casefold() == ref.casefold()] or difflib.get_close_matches(
            ref, names, n=1
        )
        hint = f" (did you mean {close[0]!r}? names match exactly)" if close else ""
        return None, f"no group named {ref!r} in the organization{hint}"


def needs_directory(state: DesiredState) -> tuple[bool, bool]:
    """Whether the file names users by email, and groups by name (so they must be fetched)."""
    users = groups = False
    for number in state.numbers:
        users = users or any(
            not r.startswith("user_") for r in number.fields.get("participants", ())
        )
        groups = groups or any(
            not r.startswith("group_") for r in number.fields.get("participant_groups", ())
        )
    return users, groups


def _permission_warnings(
    changes: Sequence[NumberChange], live: Mapping[str, LiveNumber], me: Me | None
) -> list[str]:
    """At most one advisory line, worded as a possibility: Close does not document how /me/
    names the permission (its own example admin lists only `bulk_edit, export`), so a caller
    whose role is `admin` is never warned, nor one with any permission about phone numbers; and
    the server decides in the end."""
    if me is None or not changes:
        return []
    membership = me.membership(_organization(live.values()))
    if membership is None or membership.permissions is None or membership.role_id == "admin":
        return []
    if any("phone_number" in p for p in membership.permissions):
        return []
    needing = [change for change in changes if _needs_permission(change, live[change.id], me)]
    if not needing:
        return []
    shown = ", ".join(phone.display(c.number) for c in needing[:3])
    more = f" and {len(needing) - 3} more" if len(needing) > 3 else ""
    count = f"{len(needing)} change{'s' if len(needing) != 1 else ''}"
    return [
        f"{count} ({shown}{more}) may need the {PERMISSION_NAME!r} permission, and /me/ does "
        f"not show it for {me.email} (role {membership.role_id or 'unknown'}); if Close refuses "
        "one, apply reports it and goes on with the others."
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
