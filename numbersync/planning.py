"""A plan made against Close: built from what was read, then completed once the members of the
groups it needs and lacks are read (`fetch_for_plan` reads only those the diff compares)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from numbersync.fetch import Account, MemberReads
from numbersync.plan import Plan, unread_groups, with_members_read

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
    membership is built again: the others need only who their changed numbers ring."""
    reads = MemberReads(client)
    plan = build(account, reads.start)
    missing = unread_groups(plan, account.numbers, account.directory.members or {})
    if not missing:
        return plan, account
    reads.start(missing)
    directory = account.directory
    directory = replace(directory, members={**(directory.members or {}), **reads.members()})
    account = replace(account, directory=directory)
    if plan.groups:
        return build(account, reads.start), account
    return with_members_read(plan, directory.members or {}, directory.users or ()), account
