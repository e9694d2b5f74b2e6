"""Resource kinds: the things numbersync manages besides a number's own fields, each one a module
that owns every step of its kind (what to read from Close, the diff, the plan document, the
rendering, what apply sends and the staleness check), behind the `Kind` protocol below.

The pipeline (fetch, plan, render, savedplan) drives a kind only through this protocol; a new
kind is a new module here implementing it, its field on `Plan`, and its tests. Phone numbers, the
first kind, still take their own path through `plan.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from numbersync.account import Group
from numbersync.errors import Diagnostic
from numbersync.models import DesiredState, Value

# (the id it resolves to, an error, a note): as the plan's resolver answers for one reference.
Resolved = tuple[str, str | None, str | None]
C = TypeVar("C")


class Resolve(Protocol):
    """The plan's rules for references in the file: emails and user ids to active members of
    the organization, group names (exact) and ids to its groups."""

    def user(self, ref: str, present: Sequence[str]) -> Resolved:
        """`present`: the ids Close has there now (a deactivated user may stay where they are)."""
        ...

    def group(self, ref: str) -> Resolved: ...

    def group_name(self, group_id: str) -> str: ...


@dataclass(frozen=True)
class Context:
    """What a kind's diff is given besides the file: the resolver, the members Close has for
    each group read (None when none was), and each managed number's ringing fields once the
    plan is applied (E.164 -> participants, participant_groups and phone_numbers, resolved)."""

    resolve: Resolve
    members: Mapping[str, tuple[str, ...]] | None
    numbers: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)


@dataclass(frozen=True)
class Diffed(Generic[C]):
    """A kind's diff: its changes (in file order), the problems that stop the plan (at their
    file positions), and advisory notes."""

    changes: tuple[C, ...]
    problems: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()


# One line of a change's block: "+" (added), "-" (removed) or " ", and its text (unescaped).
Line = tuple[str, str]


class Kind(Protocol[C]):
    """One kind of managed resource, `C` its change type."""

    name: str  # the file's top-level key, and the plan document's `<name>_changes`

    def members_to_read(self, state: DesiredState, groups: Sequence[Group]) -> set[str]:
        """The groups (ids) whose members the diff needs, once the groups are listed."""
        ...

    def diff(self, state: DesiredState, context: Context) -> Diffed[C]: ...

    def names(self, change: C) -> tuple[str, ...]:
        """What --target and --exclude may call the change by (its file among them)."""
        ...

    def header(self, change: C) -> str:
        """The first line of the change's block in a plan (unescaped)."""
        ...

    def lines(self, change: C, emails: Mapping[str, str]) -> list[Line]: ...

    def user_ids(self, change: C) -> set[str]:
        """The users a plan names for the change: their emails go into the plan."""
        ...

    def document(self, change: C, emails: Mapping[str, str]) -> dict[str, Any]: ...

    def from_document(self, row: Mapping[str, Any]) -> C: ...

    def drift(
        self, change: C, members: Mapping[str, tuple[str, ...]], emails: Mapping[str, str]
    ) -> list[str]:
        """How Close moved away from the change's `before` since it was planned."""
        ...
