"""Read what the plan needs from Close, and nothing more, all at once: the numbers (pages read
concurrently), users and groups only when the file names them by email or name, and /me/ for the
advisory permission check. A plan begins the reads that do not depend on its file (/me/ and the
numbers) before reading the file, so that the answers are on their way while it is parsed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from numbersync.errors import Abandoned, ApiError
from numbersync.models import RINGING_FIELDS, LiveNumber, Me
from numbersync.stopping import in_background

if TYPE_CHECKING:
    from numbersync.close import CloseClient
    from numbersync.models import DesiredState
    from numbersync.plan import Directory


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


class PlanReads:
    """A plan's reads, begun at once: /me/, and the numbers with `fields` (default: every managed
    field, for a caller that has not read its file yet; `expect`: how many it manages, if
    known). `account` adds what the file needs."""

    def __init__(
        self, client: CloseClient, fields: Sequence[str] | None = None, expect: int = 0
    ) -> None:
        self._client = client
        self._numbers = client.read_phone_numbers(fields, expect=expect)
        self._me = in_background("numbersync-fetch-me", _advisory_me, client)

    def account(self, state: DesiredState) -> Account:
        """The numbers with the fields the file manages, the users and groups when the file names
        them by email or name (begun now), and /me/; the first error in that order."""
        from numbersync.plan import Directory, needs_directory  # the diff's: loaded meanwhile

        self._numbers.expect(len(state.numbers))
        fields = fields_to_fetch(name for number in state.numbers for name in number.fields)
        want_users, want_groups = needs_directory(state)
        client = self._client
        users = in_background("numbersync-fetch-users", client.list_users) if want_users else None
        groups = (
            in_background("numbersync-fetch-groups", client.list_groups) if want_groups else None
        )
        numbers = self._numbers.numbers(fields)
        directory = Directory(
            users=tuple(users.result()) if users else None,
            groups=tuple(groups.result()) if groups else None,
        )
        return Account(tuple(numbers), directory, self._me.result())


def fetch_for_plan(client: CloseClient, state: DesiredState) -> Account:
    """The numbers with the fields the file manages, the users and groups when the file names
    them by email or name, and /me/: all four read at the same time."""
    fields = fields_to_fetch(name for number in state.numbers for name in number.fields)
    return PlanReads(client, fields, len(state.numbers)).account(state)


def fetch_everything(client: CloseClient) -> Account:
    """All numbers with every managed field, users and groups: what export writes out."""
    from numbersync.plan import Directory

    numbers, users, groups = _together(
        client.list_phone_numbers,
        lambda: tuple(client.list_users()),
        lambda: tuple(client.list_groups()),
    )
    return Account(tuple(numbers), Directory(users=users, groups=groups), None)


def _together(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread; their results in order, or the first call's error."""
    futures = [in_background(f"numbersync-fetch-{n}", call) for n, call in enumerate(calls)]
    return [future.result() for future in futures]


def _advisory_me(client: CloseClient) -> Me | None:
    """/me/ only feeds an advisory warning: when it fails, the plan goes on without it."""
    try:
        return client.me()
    except Abandoned:
        return None  # the run is stopping: nothing to say
    except ApiError as exc:
        log.info("GET /me/ failed, so the plan has no permission check: %s", exc.message)
        return None
