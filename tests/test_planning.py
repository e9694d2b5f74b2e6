"""A plan completed with the members it needs: which groups are read, when, and how the plan
names them; against a client that only answers group reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from numbersync import config
from numbersync.account import Group, LiveNumber, User
from numbersync.errors import ApiError
from numbersync.fetch import Account
from numbersync.live import Directory
from numbersync.plan import Plan, build_plan
from numbersync.planning import plan_with_members
from numbersync.stopping import Stop

ALICE = User("user_alice", "alice@acme.example", organizations=frozenset({"orga_acme"}))
CAROL = User("user_carol", "carol@acme.example", organizations=frozenset({"orga_acme"}))
SALES = Group("group_sales", "Sales EMEA", "orga_acme")
NIGHT = Group("group_night", "Night shift", "orga_acme")
MEMBERS = {"group_sales": ("user_alice", "user_carol"), "group_night": ("user_carol",)}


class GroupReader:
    """What plan_with_members asks of a client: group members and the list of groups, logged."""

    concurrency = 1

    def __init__(self, *, groups_fail: bool = False) -> None:
        self.stop = Stop()
        self.groups_fail = groups_fail
        self.log: list[str] = []

    def group_members(self, group_id: str) -> tuple[str, ...]:
        self.log.append(f"/group/{group_id}/")
        return MEMBERS[group_id]

    def list_groups(self) -> list[Group]:
        self.log.append("/group/")
        if self.groups_fail:
            raise ApiError("GET", "/group/", 500, "server error")
        return [SALES, NIGHT]


def live(number: str, **fields: object) -> LiveNumber:
    id = "phon_" + number.lstrip("+")
    fields = {"participants": [], "participant_groups": [], "phone_numbers": [], **fields}
    return LiveNumber(id, number, number, None, fields, {**fields, "id": id}, "orga_acme")


NUMBERS = [
    # The Sales line rings Alice and Sales EMEA; the night line rings Night shift.
    live("+16503334444", participants=["user_alice"], participant_groups=["group_sales"]),
    live("+16503334447", label="Night", participant_groups=["group_night"]),
]


def planned(tmp_path: Path, numbers: str, client: GroupReader) -> Plan:
    path = tmp_path / "numbers.yaml"
    path.write_text(f"version: 1\nnumbers:\n{numbers}")
    state = config.load(str(path))
    # The users were read; the file names no group, so /group/ was not.
    account = Account(tuple(NUMBERS), Directory(users=(ALICE, CAROL)), None)

    def build(read: Account, unread: Callable[[Iterable[str]], None]) -> Plan:
        return build_plan(state, read.numbers, read.directory, unread=unread)

    plan, _ = plan_with_members(client, account, build)  # type: ignore[arg-type]  # a fake client
    return plan


def test_a_plan_that_changes_no_ones_ringing_reads_nothing(tmp_path: Path) -> None:
    client = GroupReader()
    plan = planned(tmp_path, "  '+16503334447': {label: Night line}\n", client)
    assert client.log == []
    assert plan.changes[0].rings_before is None


@pytest.mark.parametrize("groups_fail", [False, True])
def test_a_change_of_ringing_reads_its_groups_and_names_them(
    tmp_path: Path, groups_fail: bool
) -> None:
    client = GroupReader(groups_fail=groups_fail)
    plan = planned(tmp_path, "  '+16503334444': {participants: []}\n", client)

    assert sorted(client.log) == ["/group/", "/group/group_sales/"]
    (change,) = plan.changes
    assert change.rings_after is not None
    assert change.rings_after.users == ("user_alice", "user_carol")
    assert change.rings_after.unread == ()
    assert plan.emails == {"user_alice": "alice@acme.example", "user_carol": "carol@acme.example"}
    # A failing /group/ only leaves the group named by its id.
    assert plan.group_names == ({} if groups_fail else {"group_sales": "Sales EMEA"})
