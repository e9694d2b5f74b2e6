"""Read what the plan needs from Close, and nothing more: every number in ceil(N/100) list calls,
users and groups only when the file names them by email or name, and /me/ for the advisory check."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from numbersync.errors import ApiError
from numbersync.models import RINGING_FIELDS, LiveNumber, Me
from numbersync.plan import Directory, needs_directory

if TYPE_CHECKING:
    from numbersync.close import CloseClient
    from numbersync.models import DesiredState


log = logging.getLogger("numbersync.fetch")


@dataclass(frozen=True)
class Account:
    numbers: tuple[LiveNumber, ...]
    directory: Directory
    me: Me | None


def fields_to_fetch(managed: Iterable[str]) -> list[str]:
    """The fields to read for these managed ones: a file that manages one of the fields a number
    rings also needs the other two, or the safety rail could not tell that a number it empties
    still rings something else (or nothing)."""
    wanted = set(managed)
    if wanted & set(RINGING_FIELDS):
        wanted |= set(RINGING_FIELDS)
    return sorted(wanted)


def fetch_for_plan(client: CloseClient, state: DesiredState) -> Account:
    numbers = client.list_phone_numbers(
        fields_to_fetch(name for number in state.numbers for name in number.fields)
    )
    want_users, want_groups = needs_directory(state)
    directory = Directory(
        users=tuple(client.list_users()) if want_users else None,
        groups=tuple(client.list_groups()) if want_groups else None,
    )
    return Account(tuple(numbers), directory, _advisory_me(client))


def _advisory_me(client: CloseClient) -> Me | None:
    """/me/ only feeds an advisory warning: when it fails, the plan goes on without it."""
    try:
        return client.me()
    except ApiError as exc:
        log.info("GET /me/ failed, so the plan has no permission check: %s", exc.message)
        return None


def fetch_everything(client: CloseClient) -> Account:
    """All numbers with every managed field, users and groups: what export writes out."""
    numbers = client.list_phone_numbers()
    directory = Directory(users=tuple(client.list_users()), groups=tuple(client.list_groups()))
    return Account(tuple(numbers), directory, None)
