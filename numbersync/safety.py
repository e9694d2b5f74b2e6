"""The safety rails (SPEC 4) as one pure judgment of a plan against the live numbers: what `plan`
states as apply's verdict, and what `apply` refuses without --force."""

from __future__ import annotations

from collections.abc import Mapping

from numbersync import phone
from numbersync.live import effective_live_fields
from numbersync.models import RINGING_FIELDS, LiveNumber, Verdict
from numbersync.plan import NumberChange, Plan


def judge(plan: Plan, live: Mapping[str, LiveNumber]) -> Verdict:
    """The reasons apply refuses `plan` without --force: it changes more than the rails allow of
    the managed numbers, or it leaves a number ringing nobody."""
    safety = plan.safety
    reasons = []
    managed, changing = plan.managed, len(plan.changes)
    if managed >= safety.min_managed and changing * 100 > safety.max_change_percent * managed:
        reasons.append(
            f"it changes {changing} of {managed} managed numbers "
            f"({changing * 100 / managed:.0f}%, more than {safety.max_change_percent:g}%)"
        )
    for change in plan.changes:
        if silences(change, live.get(change.id)):
            reasons.append(
                f"it leaves {phone.display(change.number)} with no participants, no groups "
                "and no phone numbers to ring"
            )
    return Verdict(tuple(reasons))


def silences(change: NumberChange, current: LiveNumber | None) -> bool:
    """Whether this change takes away the last thing the number rings."""
    if not any(c.field in RINGING_FIELDS for c in change.fields):
        return False
    have = effective_live_fields(current) if current else {}
    after = {c.field: c.after for c in change.fields}
    return not any(after.get(name, have.get(name)) for name in RINGING_FIELDS)


def refused_by_close(plan: Plan) -> list[str]:
    """One line per change Close will refuse: a teammate's personal number, with its owner."""
    return [
        f"{phone.display(c.number)} is the personal number of {owner_name(plan, c)}"
        for c in plan.refused_by_close
    ]


def owner_name(plan: Plan, change: NumberChange) -> str:
    """The email of the owner of the personal number `change` is to (its id when unknown)."""
    owner = change.owner or ""
    return plan.emails.get(owner, owner)
