"""Read what the plan needs from Close, and nothing more, all at once: the numbers (pages read
concurrently), users and groups only when the file names them by email or name, and /me/ for the
advisory permission check."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from numbersync.errors import Abandoned, ApiError
from numbersync.live import Directory
from numbersync.models import RINGING_FIELDS, LiveNumber, Me, User
from numbersync.stopping import in_background, results

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
    """The fields to read for these managed ones, and always the three a number rings: they say
    whose personal number it is (Close lets only its owner change it), and whether a number a
    change empties still rings something else (or nothing). Forwarding needs its target too."""
    wanted = set(managed) | set(RINGING_FIELDS)
    if "forward_to_enabled" in wanted:
        wanted.add("forward_to")
    return sorted(wanted)


def needs_directory(state: DesiredState) -> tuple[bool, bool]:
    """Whether the users and the groups must be read: to resolve emails and names, and to check
    that every id belongs to the organization, before anything is sent."""
    users = any(number.fields.get("participants") for number in state.numbers)
    groups = any(number.fields.get("participant_groups") for number in state.numbers)
    return users, groups


def fetch_for_plan(client: CloseClient, state: DesiredState) -> Account:
    """The numbers with the fields the file manages, the users and groups when the file names
    them by email or name, and /me/: all four read at the same time."""
    fields = fields_to_fetch(name for number in state.numbers for name in number.fields)
    want_users, want_groups = needs_directory(state)
    numbers, users, groups, me = _together(
        client,
        lambda: client.list_phone_numbers(fields, expect=len(state.numbers)),
        lambda: tuple(client.list_users()) if want_users else None,
        lambda: tuple(client.list_groups()) if want_groups else None,
        lambda: _advisory_me(client),
    )
    return Account(tuple(numbers), Directory(users=users, groups=groups), me)


def fetch_everything(client: CloseClient) -> Account:
    """All numbers with every managed field, users and groups: what export writes out; and
    /me/, to tell the caller's personal numbers from their teammates'."""
    numbers, users, groups, me = _together(
        client,
        client.list_phone_numbers,
        lambda: tuple(client.list_users()),
        lambda: tuple(client.list_groups()),
        lambda: _advisory_me(client),
    )
    return Account(tuple(numbers), Directory(users=users, groups=groups), me)


def fetch_numbers(client: CloseClient, managed: Iterable[str], expect: int) -> list[LiveNumber]:
    """The numbers with these managed fields (and those the safety rail needs beside them)."""
    fields = fields_to_fetch(managed)
    numbers: list[LiveNumber] = _together(
        client, lambda: client.list_phone_numbers(fields, expect=expect)
    )[0]
    return numbers


def _together(client: CloseClient, *calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread; their results in order, or the first call's error.
    Once the client is stopped (a signal), Stopped at once: the reads still on the wire are
    left to their daemon threads, which the closed client ends."""
    futures = [in_background(f"numbersync-fetch-{n}", call) for n, call in enumerate(calls)]
    return results(futures, client.stop)


def _advisory_me(client: CloseClient) -> Me | None:
    """/me/ only feeds an advisory warning: when it fails, the plan goes on without it."""
    try:
        return client.me()
    except Abandoned:
        return None  # the run is stopping: nothing to say
    except ApiError as exc:
        log.info("GET /me/ failed, so the plan has no permission check: %s", exc.message)
        return None


def role_permissions(client: CloseClient, role_id: str) -> frozenset[str] | None:
    """The permissions of the caller's role (`GET /role/{id}/`); None when they cannot be read,
    which means no warning, as when /me/ fails."""
    try:
        return client.role(role_id).permissions
    except ApiError as exc:  # Abandoned included: the run is stopping
        log.info("GET /role/%s/ failed, so the plan has no permission check: %s", role_id, exc)
        return None


def users_to_name(client: CloseClient, account: Account, people: set[str]) -> tuple[User, ...]:
    """The users to name `people` by email: the teammates whose personal numbers a plan marks,
    and who a number rings before and after a change of its ringing. /user/ is read for them
    only when the plan did not read it already (the file names nobody by email): a plan that
    shows nobody costs no request. None when that read fails: the plan names them by id."""
    if account.directory.users is not None or not people:
        return ()
    try:
        return tuple(client.list_users())
    except ApiError as exc:
        log.info("GET /user/ failed, so people are named by id: %s", exc.message)
        return ()
