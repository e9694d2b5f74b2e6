"""Read what the plan needs from Close, and nothing more, all at once: the numbers (pages read
concurrently), users and groups only when the file names them by email or name, the members of
the groups the managed numbers ring when the file uses groups, and /me/ for the advisory
permission check."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from numbersync import phone
from numbersync.account import Group, LiveNumber, Me, User
from numbersync.errors import Abandoned, ApiError
from numbersync.kinds.groups import KIND as GROUPS
from numbersync.live import Directory
from numbersync.models import RINGING_FIELDS
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
    users = any(number.fields.get("participants") for number in state.numbers) or any(
        group.members for group in state.groups
    )
    groups = bool(state.groups) or any(
        number.fields.get("participant_groups") for number in state.numbers
    )
    return users, groups


def group_refs(state: DesiredState) -> set[str]:
    """The groups the file names (names or ids) on its numbers: when there are none, no group's
    members are read."""
    return {ref for number in state.numbers for ref in number.fields.get("participant_groups", ())}


def fetch_for_plan(client: CloseClient, state: DesiredState, also: Iterable[str] = ()) -> Account:
    """The numbers with the fields the file manages (and the fields `also` names: those a base
    config managed, to say what Close keeps), the users and groups when the file names them by
    email or name, and /me/: all four read at the same time. The members of the groups the file
    manages come too, one GET each once /group/ answered: the diff compares them. When the
    policy counts who every number rings, also the members of every group a managed number
    rings, in the file or in Close (see `MemberReads`). Other groups' members are read only when
    a plan needs them (`numbersync.planning`)."""
    managed = {name for number in state.numbers for name in number.fields}
    fields = fields_to_fetch(managed | set(also))
    want_users, want_groups = needs_directory(state)
    # min_ringing counts group members on every managed number, changed or not.
    every = state.policy.min_ringing is not None
    refs = group_refs(state) if every else set()
    reads = MemberReads(client) if refs or state.groups else None
    compared: set[str] = set()

    def groups() -> tuple[Group, ...] | None:
        if not want_groups:
            return None
        found = tuple(client.list_groups())
        if reads is not None:
            reads.start(g.id for g in found if g.name in refs)
            # The groups the file manages: their members are what the diff compares.
            compared.update(GROUPS.members_to_read(state, found))
            reads.start(sorted(compared))
        return found

    if reads is not None:
        reads.start(ref for ref in sorted(refs) if ref.startswith("group_"))
    # /group/ starts first: the pacer lets only a few requests go before any answer, and the
    # members of the groups the file names wait for it. Errors still come in the usual order.
    listing = in_background("numbersync-fetch-groups", groups)
    numbers, users, me = _together(
        client,
        lambda: client.list_phone_numbers(fields, expect=len(state.numbers)),
        lambda: tuple(client.list_users()) if want_users else None,
        lambda: _advisory_me(client),
    )
    listed = results([listing], client.stop)[0]
    members = None
    if reads is not None:
        if every:
            reads.start(_rung_groups(state, numbers))
        members = reads.members(required=compared)
    return Account(tuple(numbers), Directory(users=users, groups=listed, members=members), me)


def _rung_groups(state: DesiredState, live: Sequence[LiveNumber]) -> list[str]:
    """The groups Close has on the numbers the file manages (by id or number)."""
    ids = {number.id for number in state.numbers if number.id}
    e164 = {number.number for number in state.numbers if number.number}
    found: dict[str, None] = {}
    for number in live:
        if number.id in ids or (phone.to_e164(number.number) or number.number) in e164:
            found.update(
                dict.fromkeys(str(g) for g in number.fields.get("participant_groups") or ())
            )
    return list(found)


# Group member reads in flight for each page the client may read at once. They are small and
# all wait for /group/: read `concurrency` at a time they would add a round trip for every
# `concurrency` groups to each plan. The pacer, as for every request, keeps them within Close's
# rate limits; --concurrency still scales them down.
MEMBER_READS_PER_SLOT = 4


class MemberReads:
    """The members of groups, each group read once (`GET /group/{id}/`) on a thread of its own
    as soon as its id is known, at most MEMBER_READS_PER_SLOT times the client's concurrency at
    once, through the client's pacer. A group whose read fails is left out: the plan then says
    its members were not read, never guesses them."""

    def __init__(self, client: CloseClient) -> None:
        self._client = client
        self._slots = threading.BoundedSemaphore(max(1, client.concurrency) * MEMBER_READS_PER_SLOT)
        self._lock = threading.Lock()
        self._reads: dict[str, Future[tuple[str, ...] | None]] = {}
        self._errors: dict[str, ApiError] = {}

    def start(self, group_ids: Iterable[str]) -> None:
        for group_id in group_ids:
            with self._lock:
                if group_id in self._reads:
                    continue
                name = f"numbersync-members-{len(self._reads)}"
                self._reads[group_id] = in_background(name, self._read, group_id)

    def _read(self, group_id: str) -> tuple[str, ...] | None:
        with self._slots:
            try:
                return self._client.group_members(group_id)
            except Abandoned:
                raise
            except ApiError as exc:
                log.info("GET /group/%s/ failed, so its members are not known: %s", group_id, exc)
                self._errors[group_id] = exc
                return None

    def members(self, required: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
        """Every group started, once read: its members by group id. A group of `required` whose
        read failed raises its error instead: nothing can be planned without its members."""
        with self._lock:
            reads = dict(self._reads)
        found = results(list(reads.values()), self._client.stop)
        for group_id in required:
            if group_id in self._errors:
                raise self._errors[group_id]
        return {g: m for g, m in zip(reads, found, strict=True) if m is not None}


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


def advisory_groups(client: CloseClient) -> tuple[Group, ...] | None:
    """The groups, only to name those a plan shows: when the read fails, they keep their ids."""
    try:
        return tuple(client.list_groups())
    except Abandoned:
        return None
    except ApiError as exc:
        log.info("GET /group/ failed, so groups are named by id: %s", exc.message)
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
