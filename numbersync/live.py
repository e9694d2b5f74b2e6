"""Close's side in the file's terms: live values normalised to the form the file's values take,
so that equal settings compare equal, and the organization's users and groups. Plan, export and
explain all read live numbers this way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from numbersync import phone
from numbersync.account import Group, LiveNumber, User
from numbersync.models import DEFAULT_RING_DURATION, SET_FIELDS, Value


@dataclass(frozen=True)
class Directory:
    """Users and groups of the organization, when the file needed them (emails or names), and
    the members (user ids) of the groups whose members were read, by group id."""

    users: tuple[User, ...] | None = None
    groups: tuple[Group, ...] | None = None
    members: Mapping[str, tuple[str, ...]] | None = None


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


def sole_member(live: LiveNumber) -> str | None:
    """The one user of a personal number (Close's "single-member number": one participant, or
    the deprecated `user_id` of the old shape, and no groups, no external numbers); None for any
    other number, or when the answer did not carry its participants."""
    if "participants" not in live.fields:
        return None
    have = effective_live_fields(live)
    if have.get("participant_groups") or have.get("phone_numbers"):
        return None
    members: tuple[str, ...] = tuple(have.get("participants") or ())
    return members[0] if len(members) == 1 else None


def same_value(name: str, a: Value, b: Value) -> bool:
    """Equality of two normalised values: set fields ignore order."""
    if name in SET_FIELDS:
        return set(a or ()) == set(b or ())
    return bool(a == b)
