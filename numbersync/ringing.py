"""Who a number rings: its participants, the members of its participant groups and its external
numbers, from the number's ringing fields and the groups' members. Pure: plans, safety and policy
judge a number by this effective set rather than by which field changed.

    >>> ring = rings({"participants": ("user_a",), "participant_groups": ("group_s",)},
    ...              {"group_s": ("user_a", "user_c")})
    >>> sorted(ring.users), ring.via("user_c")
    (['user_a', 'user_c'], ('group_s',))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from numbersync.models import Value

# Group id -> the user ids of its members. A group missing from it was not read.
Members = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class GroupRing:
    """One participant group of a number: its members, or None when they were not read."""

    id: str
    members: tuple[str, ...] | None


@dataclass(frozen=True)
class Rings:
    """Who one number rings. `participants` are user ids rung directly, `groups` the participant
    groups with their members, `phone_numbers` the external numbers (E.164), each in the order of
    the number's fields."""

    participants: tuple[str, ...] = ()
    groups: tuple[GroupRing, ...] = ()
    phone_numbers: tuple[str, ...] = ()

    @property
    def users(self) -> tuple[str, ...]:
        """Every user rung, once: participants first, then members of each group in turn."""
        found = dict.fromkeys(self.participants)
        for group in self.groups:
            found.update(dict.fromkeys(group.members or ()))
        return tuple(found)

    @property
    def unread(self) -> tuple[str, ...]:
        """The groups whose members were not read: who they ring is unknown."""
        return tuple(g.id for g in self.groups if g.members is None)

    def via(self, user_id: str) -> tuple[str, ...]:
        """The groups through which `user_id` rings."""
        return tuple(g.id for g in self.groups if user_id in (g.members or ()))

    def direct(self, user_id: str) -> bool:
        return user_id in self.participants

    @property
    def nobody(self) -> bool:
        """Surely rings nobody: no user, no external number, and no group left unread."""
        return not (self.users or self.phone_numbers or self.unread)

    @property
    def count(self) -> int:
        """How many people and external numbers it surely rings."""
        return len(self.users) + len(self.phone_numbers)


def rings(fields: Mapping[str, Value], members: Members | None) -> Rings:
    """Who a number with these ringing fields rings (normalised and resolved: user ids, group
    ids, E.164 numbers; a missing field rings nothing). `members` maps group ids to their
    members; a group it lacks (or None: no group read) is marked unread, never guessed empty."""
    known = members or {}
    groups = tuple(
        GroupRing(g, tuple(dict.fromkeys(known[g])) if g in known else None)
        for g in dict.fromkeys(fields.get("participant_groups") or ())
    )
    return Rings(
        tuple(dict.fromkeys(fields.get("participants") or ())),
        groups,
        tuple(dict.fromkeys(fields.get("phone_numbers") or ())),
    )


def differ(before: Rings, after: Rings) -> bool:
    """Whether the two ring other people or numbers (or leave other groups unread). Only who
    rings counts: a participant who also rings through a group may move between the two."""
    return (
        set(before.users) != set(after.users)
        or set(before.phone_numbers) != set(after.phone_numbers)
        or set(before.unread) != set(after.unread)
    )


@dataclass(frozen=True)
class Loss:
    """What rang before and not after: user ids, external numbers, and groups whose members were
    not read (who they rang is unknown). `unsure`: groups unread on either side, so that who
    still rings is not fully known."""

    users: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    unsure: bool = False

    def __bool__(self) -> bool:
        return bool(self.users or self.phone_numbers or self.groups)


def lost(before: Rings, after: Rings) -> Loss:
    """What a change from `before` to `after` stops ringing. Where members are unread, who still
    rings cannot be told: a participant removed counts as lost, and so does an unread group."""
    unsure = bool(before.unread or after.unread)
    now = set(after.users)
    users = [u for u in before.users if u not in now]
    if unsure:
        kept = set(after.participants)
        users += [u for u in before.participants if u not in kept and u not in users]
    groups = tuple(g for g in before.unread if g not in set(after.unread))
    numbers = tuple(n for n in before.phone_numbers if n not in set(after.phone_numbers))
    return Loss(tuple(users), numbers, groups, unsure)


def risk(before: Rings, after: Rings) -> str | None:
    """Why the change may leave callers unanswered, by its effect: someone who rang no longer
    rings at all, or an external number is dropped. None when everyone who rang still does."""
    loss = lost(before, after)
    if not loss:
        return None
    parts = []
    if loss.users:
        parts.append(_count(len(loss.users), "person", "people"))
    if loss.phone_numbers:
        parts.append(_count(len(loss.phone_numbers), "external number", "external numbers"))
    if loss.groups:
        parts.append(f"the members of {_count(len(loss.groups), 'group', 'groups')}")
    unsure = " (group members not read)" if loss.unsure else ""
    return f"stops ringing {' and '.join(parts)}{unsure}"


def numbers_affected(
    numbers: Mapping[str, Mapping[str, Value]], before: Members, after: Members
) -> tuple[str, ...]:
    """The numbers (keys of `numbers`, each mapped to its ringing fields) whose ringing differs
    between two memberships of the groups: those a membership change alters."""
    return tuple(
        key
        for key, fields in numbers.items()
        if differ(rings(fields, before), rings(fields, after))
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
