"""The safety rails (SPEC 4) as one pure judgment of a plan against the live numbers: what `plan`
states as apply's verdict, and what `apply` refuses without --force."""

from __future__ import annotations

from collections.abc import Mapping

from numbersync import phone, ringing
from numbersync.account import LiveNumber, Verdict
from numbersync.live import effective_live_fields
from numbersync.models import RINGING_FIELDS
from numbersync.plan import NumberChange, Plan


def judge(plan: Plan, live: Mapping[str, LiveNumber]) -> Verdict:
    """The reasons apply refuses `plan` without --force: it changes more than the rails allow of
    the managed numbers (counting those whose ringing a group's membership change alters), or
    it leaves a number ringing nobody."""
    safety = plan.safety
    reasons = []
    managed = plan.managed
    changed = {c.number for c in plan.changes}
    through = {n for group in plan.groups for n in group.numbers} - changed
    changing = len(changed) + len(through)
    if managed >= safety.min_managed and changing * 100 > safety.max_change_percent * managed:
        how = f", {len(through)} of them through group membership" if through else ""
        reasons.append(
            f"it changes {changing} of {managed} managed numbers{how} "
            f"({changing * 100 / managed:.0f}%, more than {safety.max_change_percent:g}%)"
        )
    for change in plan.changes:
        if silences(change, live.get(change.id)):
            reasons.append(
                f"it leaves {phone.display(change.number)} ringing nobody: no participants, "
                "no group with a member and no phone numbers"
            )
    for number in silenced_by_groups(plan, live):
        reasons.append(
            f"it leaves {phone.display(number)} ringing nobody: its groups lose their last "
            "members, and it has no participants and no phone numbers"
        )
    return Verdict(tuple(reasons))


def silenced_by_groups(plan: Plan, live: Mapping[str, LiveNumber]) -> list[str]:
    """The numbers, managed or not, whose fields the plan leaves alone and whose groups its
    membership changes leave without a member, so that they ring nobody (and rang someone
    before). Only the members of the groups the plan changes are known here: a number that also
    rings another group is never guessed silent."""
    before = {g.id: g.before for g in plan.groups}
    after = {g.id: g.after for g in plan.groups}
    changed = {c.id for c in plan.changes}
    found = []
    for current in live.values():
        if current.id in changed:
            continue
        fields = effective_live_fields(current)
        if not set(fields.get("participant_groups") or ()) & set(after):
            continue
        if ringing.rings(fields, after).nobody and not ringing.rings(fields, before).nobody:
            found.append(phone.to_e164(current.number) or current.number)
    return sorted(found)


def silences(change: NumberChange, current: LiveNumber | None) -> bool:
    """Whether this change takes away the last thing the number rings: who it rings after,
    group members counted (a number left with only empty groups rings nobody); by its fields
    alone when the plan does not say who rings."""
    if not any(c.field in RINGING_FIELDS for c in change.fields):
        return False
    if change.rings_after is not None:
        return change.rings_after.nobody
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
