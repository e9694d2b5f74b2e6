"""A plan made against Close: built from what was read, then completed once the members of the
groups it needs and lacks are read (`fetch_for_plan` reads only those the diff compares)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING

from numbersync.account import Group
from numbersync.fetch import Account, MemberReads, advisory_groups
from numbersync.plan import Plan, shown_groups, unread_groups, with_members_read
from numbersync.stopping import in_background, results

if TYPE_CHECKING:
    from numbersync.close import CloseClient

# Makes the plan of an account, telling `unread` of the groups it finds it needs (build_plan's
# `unread`).
Build = Callable[[Account, Callable[[Iterable[str]], None]], Plan]


def plan_with_members(client: CloseClient, account: Account, build: Build) -> tuple[Plan, Account]:
    """The plan `build` makes of `account`, completed once the members of the groups it needs
    and lacks are read: those rung before or after by the numbers it changes (their reads start
    while the plan is still being built), and those beside a managed group it changes on a
    number (who that change makes ring counts them). A plan that changes no one's ringing reads
    none; a group whose read fails stays unread in the plan. Only a plan that changes a group's
    membership is built again: the others need only who their changed numbers ring. The groups
    it shows are named: /group/ is read beside the members when the file named no group."""
    reads = MemberReads(client)
    listing: list[Future[tuple[Group, ...] | None]] = []

    def name_them() -> None:
        if not listing and account.directory.groups is None:
            listing.append(in_background("numbersync-fetch-groups", advisory_groups, client))

    def unread(group_ids: Iterable[str]) -> None:
        found = list(group_ids)
        if found:
            name_them()
            reads.start(found)

    plan = build(account, unread)
    missing = unread_groups(plan, account.numbers, account.directory.members or {})
    reads.start(missing)
    if shown_groups(plan.changes):
        name_them()
    if not missing and not listing:
        return plan, account
    directory = account.directory
    directory = replace(directory, members={**(directory.members or {}), **reads.members()})
    account = replace(account, directory=directory)
    if plan.groups:
        return build(account, reads.start), account
    groups = results(listing, client.stop)[0] if listing else None
    read = with_members_read(plan, directory.members or {}, directory.users or (), groups or ())
    return read, account
