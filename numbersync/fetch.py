"""Read what the plan needs from Close, and nothing more, all at once: the numbers (pages read
concurrently), users and groups only when the file names them by email or name, and /me/ for the
advisory permission check."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
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


def fetch_for_plan(client: CloseClient, state: DesiredState, also: Iterable[str] = ()) -> Account:
    """The numbers with the fields the file manages (and the fields `also` names: those a base
    config managed, to say what Close keeps), the users and groups when the file names them by
    email or name, and /me/: all four read at the same time."""
    managed = {name for number in state.numbers for name in number.fields}
    fields = fields_to_fetch(managed | set(also))
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


def fetch_members(client: CloseClient, group_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The member ids of each of `group_ids` (one GET each, the list of groups does not carry
    them), read `client.concurrency` at a time through the client's pacer."""
    pending = iter(group_ids)
    taking = threading.Lock()
    found: dict[str, tuple[str, ...]] = {}

    def read_some() -> None:
        while True:
            with taking:
                group_id = next(pending, None)
            if group_id is None:
                return
            found[group_id] = client.group_members(group_id)

    readers = min(max(1, client.concurrency), len(group_ids))
    _together(client, *[read_some] * readers)
    return {group_id: found[group_id] for group_id in group_ids}


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


def owner_users(client: CloseClient, account: Account, owners: set[str]) -> tuple[User, ...]:
    """The users to name `owners` (teammates whose personal numbers a plan marks) by email. /user/
    is read for them only when the plan did not read it already (the file names nobody by email);
    none when there is no one to name, or when that read fails: the plan names them by id."""
    if account.directory.users is not None or not owners:
        return ()
    try:
        return tuple(client.list_users())
    except ApiError as exc:
        log.info("GET /user/ failed, so owners are named by id: %s", exc.message)
        return ()


def fetch_for_base(
    client: CloseClient, account: Account, base: DesiredState, state: DesiredState
) -> Directory:
    """The directory `account` read, with what is needed to say what Close keeps of what the
    config no longer manages compared with `base`: the groups and the members of the base's
    groups it lets go, and the users to name the people those values hold. Each list is read
    only when something let go needs it."""
    from numbersync.unmanaged import groups_to_read, named_ids, released

    directory = account.directory
    if base.groups and directory.groups is None:
        directory = replace(directory, groups=tuple(client.list_groups()))
    missing = groups_to_read(base, state, directory)
    if missing:
        read = {group_id: client.group_members(group_id) for group_id in missing}
        directory = replace(directory, members={**(directory.members or {}), **read})
    let_go = released(base, state, account.numbers, directory)
    users, groups = named_ids(let_go)
    if users and directory.users is None:
        directory = replace(directory, users=tuple(client.list_users()))
    if groups and directory.groups is None:
        directory = replace(directory, groups=tuple(client.list_groups()))
    return directory
