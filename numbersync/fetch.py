"""Read what the plan needs from Close, and nothing more: every number in ceil(N/100) list calls,
users and groups only when the file names them by email or name, and /me/ for the advisory check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from numbersync.models import LiveNumber, Me
from numbersync.plan import Directory, needs_directory

if TYPE_CHECKING:
    from numbersync.close import CloseClient
    from numbersync.models import DesiredState


@dataclass(frozen=True)
class Account:
    numbers: tuple[LiveNumber, ...]
    directory: Directory
    me: Me | None


def fetch_for_plan(client: CloseClient, state: DesiredState) -> Account:
    fields = sorted({name for number in state.numbers for name in number.fields})
    numbers = client.list_phone_numbers(fields)
    want_users, want_groups = needs_directory(state)
    directory = Directory(
        users=tuple(client.list_users()) if want_users else None,
        groups=tuple(client.list_groups()) if want_groups else None,
    )
    return Account(tuple(numbers), directory, client.me())


def fetch_everything(client: CloseClient) -> Account:
    """All numbers with every managed field, users and groups: what export writes out."""
    numbers = client.list_phone_numbers()
    directory = Directory(users=tuple(client.list_users()), groups=tuple(client.list_groups()))
    return Account(tuple(numbers), directory, None)
