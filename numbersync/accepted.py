"""Accepted drift: the `accepted` entries of a number (Close's value of a field, kept for a while
with a reason and an `until` day), their offline checks, whether each still holds against Close,
and the date checks of `validate`. Days are UTC days; "today" is always passed in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from numbersync import phone
from numbersync.errors import Diagnostic, Path, json_path
from numbersync.models import (
    MANAGED_FIELDS,
    SET_FIELDS,
    Acceptance,
    DesiredGroup,
    DesiredNumber,
    DesiredState,
    Value,
)
from numbersync.yamlsource import Document

WARN_DAYS = 7  # validate warns about acceptances that end this many days from today or sooner
_TEXT_FIELDS = frozenset({"label", "voicemail_greeting_url"})
_FLAGS = frozenset({"forward_to_enabled", "press_1_to_accept"})
# A managed group's membership (`groups: NAME: {members: ...}`) takes the same entries as a
# number's fields: Close's members are user ids.
_ID_PREFIX = {"participants": "user_", "participant_groups": "group_", "members": "user_"}
ACCEPTABLE = frozenset({*MANAGED_FIELDS, "members"})


def today() -> date:
    """Today's UTC day: the one clock of acceptances (tests replace it)."""
    return datetime.now(UTC).date()


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# --- reading the file --------------------------------------------------------------------------


def until_texts(data: Any) -> None:
    """YAML reads an unquoted `until: 2027-01-15` as a date: put it back as the text the schema
    checks (YYYY-MM-DD), in place, under numbers and groups."""
    if not isinstance(data, dict):
        return
    entries = [data.get(kind) for kind in ("numbers", "groups")]
    for settings in (s for found in entries if isinstance(found, dict) for s in found.values()):
        accepted = settings.get("accepted") if isinstance(settings, dict) else None
        if not isinstance(accepted, dict):
            continue
        for entry in accepted.values():
            if isinstance(entry, dict) and isinstance(entry.get("until"), date):
                until = entry["until"]
                # A timestamp (2027-01-15T10:00) is no day: its text fails the schema's pattern.
                entry["until"] = str(until) if isinstance(until, datetime) else until.isoformat()


def is_phone_value(field: Path) -> bool:
    """Whether `field` (a path below a number) is an accepted phone number: YAML reads an
    unquoted one as an integer, whose written text is put back."""
    return field[:1] == ("accepted",) and (
        field[1:] == ("forward_to", "value")
        or (len(field) == 4 and field[1:3] == ("phone_numbers", "value"))
    )


def entry_errors(
    doc: Document, path: Path, accepted: Mapping[str, Any], failed: set[str]
) -> Iterator[Diagnostic]:
    """What the schema cannot say about a number's `accepted` entries (at `path`): a real day,
    a reason that says something, a value of the field's kind."""
    for name, entry in accepted.items():
        if not isinstance(entry, dict) or name not in ACCEPTABLE:
            continue
        at: Path = (*path, name)
        until = entry.get("until")
        if (
            isinstance(until, str)
            and json_path((*at, "until")) not in failed
            and parse_day(until) is None
        ):
            yield _diag(doc, (*at, "until"), f'"{until}" is not a day of the calendar')
        reason = entry.get("reason")
        if isinstance(reason, str) and reason and not reason.strip():
            yield _diag(doc, (*at, "reason"), "must say why the difference is accepted")
        if "value" in entry:
            problem = _value_problem(name, entry["value"])
            if problem:
                yield _diag(doc, (*at, "value"), problem)


def _value_problem(name: str, value: Any) -> str | None:
    """Why `value` cannot be what Close has for the field `name`, or None."""
    if name in _FLAGS:
        return None if isinstance(value, bool) else f"must be true or false, got {_shown(value)}"
    if name == "inbound_ring_duration":
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
        return None if ok else f"must be a number of seconds or null, got {_shown(value)}"
    if name in _TEXT_FIELDS:
        return None if value is None or isinstance(value, str) else _not_text(value)
    if name == "forward_to":
        if value is None:
            return None
        if not isinstance(value, str):
            return _not_text(value)
        return None if phone.to_e164(value) else f'"{value}" is not a valid phone number'
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return f"must be a list of strings, as Close has it, got {_shown(value)}"
    prefix = _ID_PREFIX.get(name)
    for item in value:
        if prefix and not item.startswith(prefix):
            what = "user ids" if prefix == "user_" else "group ids"
            return f'must list {what} ({prefix}...), as Close has them, got "{item}"'
        if name == "phone_numbers" and not phone.to_e164(item):
            return f'"{item}" is not a valid phone number'
    return None


def _not_text(value: Any) -> str:
    return f"must be a string or null, got {_shown(value)}"


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    import json  # error messages only: a valid file never needs it

    return json.dumps(value, ensure_ascii=False, default=str)


def acceptances(doc: Document, base: Path, accepted: Mapping[str, Any]) -> tuple[Acceptance, ...]:
    """The checked `accepted` entries of the number (or group) at `base`, their values
    normalised as Close's side is."""
    from numbersync.live import normalise_live  # only for a file that accepts drift

    found = []
    for name, entry in accepted.items():
        path: Path = (*base, "accepted", name)
        value = normalise_live(name, entry["value"])
        if name == "members":
            value = tuple(dict.fromkeys(value))
        if name == "forward_to" and value is not None:
            value = phone.to_e164(value) or value
        found.append(
            Acceptance(
                field=name,
                value=value,
                reason=entry["reason"].strip(),
                until=date.fromisoformat(entry["until"]),
                position=doc.position(path, key=True),
                path=path,
                until_position=doc.position((*path, "until")),
            )
        )
    return tuple(found)


def unmanaged_errors(number: DesiredNumber) -> Iterator[Diagnostic]:
    """An acceptance of a field the number does not manage accepts nothing: an error."""
    for acceptance in number.accepted:
        if acceptance.field not in number.fields:
            message = (
                f"{acceptance.field} is not managed for this number (neither the number nor "
                "its defaults set it): there is no difference to accept"
            )
            yield Diagnostic(acceptance.position, json_path(acceptance.path), message)


# --- validate's dates --------------------------------------------------------------------------


def date_findings(state: DesiredState, day: date) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """The acceptances `validate` refuses on `day` (past, or further ahead than the maximum)
    and those it warns about (ending within WARN_DAYS days), each at its `until`."""
    errors, warnings = [], []
    held = [a for number in state.numbers for a in number.accepted]
    held += [a for group in state.groups for a in group.accepted]
    for acceptance in held:
        where = (*acceptance.path, "until")
        position = acceptance.until_position or acceptance.position
        problem = lapse(acceptance, day, state.max_accept_days)
        if problem:
            errors.append(Diagnostic(position, json_path(where), problem))
            continue
        left = (acceptance.until - day).days
        if left <= WARN_DAYS:
            when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
            message = (
                f"warning: the acceptance of {acceptance.field} ends {when} "
                f"({acceptance.until}); then the difference is drift again"
            )
            warnings.append(Diagnostic(position, json_path(where), message))
    return errors, warnings


def lapse(acceptance: Acceptance, day: date, max_days: int) -> str | None:
    """Why the acceptance's date no longer lets it hold on `day`, or None."""
    if acceptance.until < day:
        return f"the acceptance expired on {acceptance.until} (today is {day})"
    ahead = (acceptance.until - day).days
    if ahead > max_days:
        return (
            f"until {acceptance.until} is {ahead} days ahead, more than the {max_days} an "
            "acceptance may run (accepted_drift.max_days)"
        )
    return None


# --- the plan ----------------------------------------------------------------------------------


def why_not(
    acceptance: Acceptance, before: Value, after: Value, day: date, max_days: int
) -> str | None:
    """Why the acceptance does not hold against Close's `before` (the file wants `after`), or
    None when it does: the date, then Close's value."""
    if _same(acceptance.field, before, after):
        return "Close has the file's value again: the acceptance can be removed"
    dated = lapse(acceptance, day, max_days)
    if dated:
        return dated
    if not _same(acceptance.field, before, acceptance.value):
        accepted = value_json(acceptance.value)
        return f"Close now has {value_json(before)}, not the accepted {accepted}"
    return None


def _same(field: str, a: Value, b: Value) -> bool:
    """As the diff compares: a group's members, like the set fields, as a set."""
    from numbersync.live import same_value

    if field == "members":
        return set(a or ()) == set(b or ())
    return same_value(field, a, b)


def value_json(value: Value) -> str:
    import json

    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def accepted_ids(values: Sequence[Value], field: str) -> set[str]:
    """The ids a set field's values name, for showing names beside them."""
    if field not in SET_FIELDS:
        return set()
    return {item for value in values for item in value or ()}


def _diag(doc: Document, path: Path, message: str) -> Diagnostic:
    return Diagnostic(doc.position(path), json_path(path), message)


# --- numbersync accept -------------------------------------------------------------------------


def refusal(
    state: DesiredState, desired: DesiredNumber, field: str, until: date, reason: str, day: date
) -> str | None:
    """Why `numbersync accept` must not record this acceptance, or None."""
    if field not in MANAGED_FIELDS:
        return f"{field} is not a field numbersync manages (one of: {', '.join(MANAGED_FIELDS)})"
    if field not in desired.fields:
        return (
            f"{field} is not managed for {desired.key} (neither the number nor its defaults set "
            "it): there is no difference to accept"
        )
    earlier = next((a for a in desired.accepted if a.field == field), None)
    if earlier is not None:
        return (
            f"{field} of {desired.key} is accepted already, until {earlier.until} "
            f"({earlier.position}); change or remove that entry"
        )
    return terms_refusal(state, until, reason, day)


def group_refusal(
    state: DesiredState, desired: DesiredGroup, until: date, reason: str, day: date
) -> str | None:
    """Why `numbersync accept GROUP members` must not record this acceptance, or None."""
    if desired.accepted:
        earlier = desired.accepted[0]
        return (
            f"members of group {desired.key} are accepted already, until {earlier.until} "
            f"({earlier.position}); change or remove that entry"
        )
    return terms_refusal(state, until, reason, day)


def terms_refusal(state: DesiredState, until: date, reason: str, day: date) -> str | None:
    """Why --reason or --until cannot make an acceptance, or None."""
    if not reason.strip():
        return "--reason must say why the difference is accepted"
    if until < day:
        return f"--until {until} is past (today is {day})"
    ahead = (until - day).days
    if ahead > state.max_accept_days:
        return (
            f"--until {until} is {ahead} days ahead, more than the {state.max_accept_days} an "
            "acceptance may run (accepted_drift.max_days)"
        )
    return None


def already_wanted(desired: DesiredNumber, field: str, have: Value) -> bool:
    """Whether Close's value is already what the file wants, so there is nothing to accept (a
    list of emails or group names is left to the plan, which resolves them)."""
    wanted = desired.fields[field]
    prefix = _ID_PREFIX.get(field)
    if prefix and any(not item.startswith(prefix) for item in wanted or ()):
        return False
    from numbersync.live import same_value

    return same_value(field, have, wanted)


def members_wanted(desired: DesiredGroup, have: Sequence[str]) -> bool:
    """Whether Close's members are already those the file wants (emails are left to the plan,
    which resolves them)."""
    if any(not item.startswith("user_") for item in desired.members):
        return False
    return set(desired.members) == set(have)


def entry(value: Value, reason: str, until: date) -> dict[str, Any]:
    """An acceptance as the file writes it (a set field as a list)."""
    written = list(value) if isinstance(value, tuple) else value
    return {"value": written, "reason": reason.strip(), "until": until}
