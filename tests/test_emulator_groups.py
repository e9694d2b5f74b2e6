"""The emulator's group writes, as Close publishes them: adding and removing members (both
idempotent), creating and renaming groups (unique names), the 404s, the refusal a caller without
the group permission gets, and membership changing who numbers ring. Every test talks HTTP to a
real server on 127.0.0.1 and reads the emulator's request log.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from numbersync.emulator import Emulator, Faults, Quirks, RateLimits, SeedError

ADMIN_KEY = "api_demo_admin.fake0000"
DAVE_KEY = "api_demo_dave.fake0000"
ALICE = "user_alice000000000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
CAROL = "user_carol000000000000000000000000000000000000"
DAVE = "user_dave0000000000000000000000000000000000000"
SALES = "group_salesEmea0000000000000"
SUPPORT = "group_support000000000000000"
NIGHT = "group_nightShift000000000000"
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
REPO = Path(__file__).resolve().parent.parent
WILD = REPO / "tests" / "data" / "seeds" / "acme-wild.yaml"
FRANK = "user_frank000000000000000000000000000000000000"  # wild: a former member of Acme
LABS_ALICE = "user_labsAlice00000000000000000000000000000000"  # wild: Acme Labs only


@pytest.fixture
def admin(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, auth=(ADMIN_KEY, "")) as client:
        yield client


def members(emu: Emulator, group_id: str) -> tuple[str, ...]:
    group = emu.state.group(group_id)
    assert group is not None
    return group.members


def log(emu: Emulator) -> list[tuple[str, str, Any, int]]:
    return [(r.method, r.path, r.body, r.status) for r in emu.requests]


# -- members -------------------------------------------------------------------------------------


def test_adding_a_member_answers_201_with_the_member_and_again_changes_nothing(
    emulator: Emulator, admin: httpx.Client
) -> None:
    first = admin.post(f"/group/{SUPPORT}/member/", json={"user_id": ALICE})
    again = admin.post(f"/group/{SUPPORT}/member/", json={"user_id": ALICE})
    got = admin.get(f"/group/{SUPPORT}/", params={"_fields": "members"})

    assert (first.status_code, first.json()) == (201, {"user_id": ALICE})
    assert (again.status_code, again.json()) == (201, {"user_id": ALICE})
    assert got.json() == {"members": [{"user_id": u} for u in (BOB, "user_erin" + "0" * 37, ALICE)]}
    assert log(emulator) == [
        ("POST", f"/group/{SUPPORT}/member/", {"user_id": ALICE}, 201),
        ("POST", f"/group/{SUPPORT}/member/", {"user_id": ALICE}, 201),
        ("GET", f"/group/{SUPPORT}/", None, 200),
    ]


def test_removing_a_member_answers_204_without_a_body_and_again_changes_nothing(
    emulator: Emulator, admin: httpx.Client
) -> None:
    first = admin.delete(f"/group/{SALES}/member/{ALICE}/")
    again = admin.delete(f"/group/{SALES}/member/{ALICE}/")

    assert (first.status_code, first.content) == (204, b"")
    assert (again.status_code, again.content) == (204, b"")
    assert members(emulator, SALES) == (CAROL,)
    assert [(m, s) for m, _, _, s in log(emulator)] == [("DELETE", 204), ("DELETE", 204)]


def test_unknown_groups_and_users_get_404(emulator: Emulator, admin: httpx.Client) -> None:
    answers = [
        admin.post("/group/group_missing/member/", json={"user_id": ALICE}),
        admin.delete(f"/group/group_missing/member/{ALICE}/"),
        admin.post(f"/group/{SALES}/member/", json={"user_id": "user_missing"}),
        admin.delete(f"/group/{SALES}/member/user_missing/"),
        admin.put("/group/group_missing/", json={"name": "Nobody"}),
    ]

    assert [(a.status_code, a.json()) for a in answers] == [
        (404, {"error": "No group with id group_missing."}),
        (404, {"error": "No group with id group_missing."}),
        (404, {"error": "No user with id user_missing."}),
        (404, {"error": "No user with id user_missing."}),
        (404, {"error": "No group with id group_missing."}),
    ]
    assert members(emulator, SALES) == (ALICE, CAROL)


def test_users_who_are_not_active_members_get_404_but_a_former_one_can_be_removed(
    start_emulator: Any,
) -> None:
    seed = yaml.safe_load(WILD.read_text())
    frank = next(u for u in seed["users"] if u["id"] == FRANK)
    support = next(g for g in seed["groups"] if g["name"] == "Support")
    support["members"] = [*support["members"], frank["email"]]
    emu = start_emulator(seed)
    support_id = support["id"]
    with httpx.Client(base_url=emu.url, auth=(emu.admin_key, "")) as client:
        labs = client.post(f"/group/{support_id}/member/", json={"user_id": LABS_ALICE})
        former = client.post(f"/group/{support_id}/member/", json={"user_id": FRANK})
        removed = client.delete(f"/group/{support_id}/member/{FRANK}/")
        gone = client.delete(f"/group/{support_id}/member/{FRANK}/")

    assert (labs.status_code, labs.json()) == (404, {"error": f"No user with id {LABS_ALICE}."})
    # Frank is still in the group from before he left: adding him again is refused like any
    # inactive user, removing him works, and once he is out he is unknown to the group's writes.
    assert (former.status_code, removed.status_code, gone.status_code) == (404, 204, 404)
    assert FRANK not in members(emu, support_id)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"user_id": "This field is required."}),
        ({"user_id": 7}, {"user_id": "Not a valid string."}),
        ({"user_id": ALICE, "role": "x"}, {"role": "Unknown field."}),
        ({"user_id": "  "}, {"user_id": "This field may not be blank."}),
    ],
)
def test_a_malformed_member_body_gets_close_s_validation_error(
    emulator: Emulator, admin: httpx.Client, body: dict[str, Any], errors: dict[str, str]
) -> None:
    answer = admin.post(f"/group/{SALES}/member/", json=body)

    assert (answer.status_code, answer.json()) == (400, {"errors": [], "field-errors": errors})
    assert members(emulator, SALES) == (ALICE, CAROL)


def test_a_body_that_is_not_an_object_is_refused(admin: httpx.Client) -> None:
    not_json = admin.post(f"/group/{SALES}/member/", content=b"{", headers={"X": "1"})
    a_list = admin.post(f"/group/{SALES}/member/", json=[ALICE])

    assert not_json.json() == {
        "errors": ["The request body is not valid JSON."],
        "field-errors": {},
    }
    assert a_list.json() == {
        "errors": ["The request body must be a JSON object."],
        "field-errors": {},
    }


# -- permission ----------------------------------------------------------------------------------

REFUSAL = {"error": 'You need the "manage_groups" permission to edit groups.'}


def test_a_caller_without_the_group_permission_gets_403_and_nothing_changes(
    emulator: Emulator,
) -> None:
    with httpx.Client(base_url=emulator.url, auth=(DAVE_KEY, "")) as dave:
        answers = [
            dave.post(f"/group/{SALES}/member/", json={"user_id": BOB}),
            dave.delete(f"/group/{SALES}/member/{ALICE}/"),
            dave.post("/group/", json={"name": "Dave's"}),
            dave.put(f"/group/{SALES}/", json={"name": "Dave's"}),
        ]

    assert [(a.status_code, a.json()) for a in answers] == [(403, REFUSAL)] * 4
    assert members(emulator, SALES) == (ALICE, CAROL)
    assert [g.name for g in emulator.state.groups] == ["Sales EMEA", "Support", "Night Shift"]


def test_the_permission_and_the_refusal_s_status_are_seed_settings(start_emulator: Any) -> None:
    seed = yaml.safe_load((REPO / "examples" / "emulator-seed.yaml").read_text())
    seed["quirks"] = {"group_permission": "manage_group_numbers", "permission_error": 400}
    emu = start_emulator(seed)
    with (
        httpx.Client(base_url=emu.url, auth=(ADMIN_KEY, "")) as admin,
        httpx.Client(base_url=emu.url, auth=(DAVE_KEY, "")) as dave,
    ):
        allowed = admin.post(f"/group/{SALES}/member/", json={"user_id": BOB})
        refused = dave.post(f"/group/{SALES}/member/", json={"user_id": DAVE})

    assert allowed.status_code == 201
    assert (refused.status_code, refused.json()) == (
        400,
        {
            "errors": ['You need the "manage_group_numbers" permission to edit groups.'],
            "field-errors": {},
        },
    )


def test_a_role_that_grants_the_permission_lets_its_users_edit_groups(start_emulator: Any) -> None:
    seed = yaml.safe_load((REPO / "examples" / "emulator-seed.yaml").read_text())
    seed["roles"] = [
        {"id": "role_groupKeeper", "name": "Group keeper", "permissions": ["manage_groups"]}
    ]
    dave = next(u for u in seed["users"] if u["email"] == "dave@acme.example")
    dave["role_id"] = "role_groupKeeper"
    emu = start_emulator(seed)
    with httpx.Client(base_url=emu.url, auth=(DAVE_KEY, "")) as client:
        answer = client.post(f"/group/{SALES}/member/", json={"user_id": DAVE})

    assert answer.status_code == 201
    assert members(emu, SALES) == (ALICE, CAROL, DAVE)


def test_a_group_permission_that_is_not_a_permission_name_is_refused() -> None:
    with pytest.raises(SeedError) as caught:
        Emulator({**_minimal(), "quirks": {"group_permission": "Manage Groups"}})
    assert caught.value.problems == [
        "$.quirks.group_permission: must be a snake_case permission name, got 'Manage Groups'"
    ]
    assert Quirks().group_permission == "manage_groups"


def _minimal() -> dict[str, Any]:
    return copy.deepcopy(
        {
            "organization": {"id": "orga_x", "name": "X"},
            "users": [{"email": "a@x.example", "permissions": ["manage_group_numbers"]}],
            "api_keys": [{"key": "k", "user": "a@x.example"}],
        }
    )


# -- creating and renaming -----------------------------------------------------------------------


def test_a_created_group_has_a_unique_name_and_no_members(
    emulator: Emulator, admin: httpx.Client
) -> None:
    created = admin.post("/group/", json={"name": "Billing"})
    twin = admin.post("/group/", json={"name": "Billing"})
    taken = admin.post("/group/", json={"name": "Support"})
    listed = admin.get("/group/")

    body = created.json()
    assert created.status_code == 201
    assert body == {
        "id": body["id"],
        "name": "Billing",
        "organization_id": "orga_acme000000000000000000000000000000000000000",
        "members": [],
    }
    assert body["id"].startswith("group_")
    duplicate = {"errors": [], "field-errors": {"name": "A group named Billing already exists."}}
    assert (twin.status_code, twin.json()) == (400, duplicate)
    assert taken.json()["field-errors"] == {"name": "A group named Support already exists."}
    assert [g["name"] for g in listed.json()["data"]] == [
        "Sales EMEA",
        "Support",
        "Night Shift",
        "Billing",
    ]


def test_renaming_keeps_names_unique_and_may_keep_its_own(
    emulator: Emulator, admin: httpx.Client
) -> None:
    renamed = admin.put(
        f"/group/{NIGHT}/", json={"name": "Late Shift"}, params={"_fields": "id,name"}
    )
    same = admin.put(f"/group/{NIGHT}/", json={"name": "Late Shift"})
    taken = admin.put(f"/group/{NIGHT}/", json={"name": "Support"})
    blank = admin.put(f"/group/{NIGHT}/", json={})

    assert (renamed.status_code, renamed.json()) == (200, {"id": NIGHT, "name": "Late Shift"})
    assert (same.status_code, same.json()["members"]) == (200, [{"user_id": DAVE}])
    assert (taken.status_code, taken.json()["field-errors"]) == (
        400,
        {"name": "A group named Support already exists."},
    )
    assert blank.json() == {"errors": [], "field-errors": {"name": "This field is required."}}
    assert [g.name for g in emulator.state.groups] == ["Sales EMEA", "Support", "Late Shift"]


def test_a_created_group_takes_members(emulator: Emulator, admin: httpx.Client) -> None:
    group_id = admin.post("/group/", json={"name": "Billing"}).json()["id"]
    added = admin.post(f"/group/{group_id}/member/", json={"user_id": BOB})

    assert added.status_code == 201
    assert members(emulator, group_id) == (BOB,)


# -- who numbers ring ----------------------------------------------------------------------------


def test_membership_changes_who_numbers_ring(emulator: Emulator, admin: httpx.Client) -> None:
    def rung(user_id: str) -> list[str]:
        page = admin.get("/phone_number/", params={"participant_user_id": user_id})
        return [n["id"] for n in page.json()["data"]]

    before = emulator.state.number(SALES_LINE)
    assert SALES_LINE not in rung(DAVE)
    with httpx.Client(base_url=emulator.url, auth=(DAVE_KEY, "")) as dave:
        mine_before = [n["id"] for n in dave.get("/me/").json()["phone_numbers"]]
        admin.post(f"/group/{SALES}/member/", json={"user_id": DAVE})
        mine_after = [n["id"] for n in dave.get("/me/").json()["phone_numbers"]]

    assert SALES_LINE in rung(DAVE)
    assert SALES_LINE not in mine_before and SALES_LINE in mine_after
    admin.delete(f"/group/{SALES}/member/{ALICE}/")
    admin.delete(f"/group/{SALES}/member/{CAROL}/")
    admin.delete(f"/group/{SALES}/member/{DAVE}/")
    after = emulator.state.number(SALES_LINE)
    assert before is not None and after is not None
    assert SALES_LINE not in rung(CAROL) and SALES_LINE in rung(ALICE)  # Alice rings directly
    # The number's own fields did not change, so neither did its date_updated.
    assert after["date_updated"] == before["date_updated"]
    assert after["participant_groups"] == before["participant_groups"]


def test_the_deprecated_fields_follow_the_members(emulator: Emulator, admin: httpx.Client) -> None:
    """A number whose one group is left with one member is a single-member number: `user_id`
    names that member, as Close documents the deprecated field."""
    group_id = admin.post("/group/", json={"name": "Solo"}).json()["id"]
    admin.post(f"/group/{group_id}/member/", json={"user_id": BOB})
    number = emulator.state.numbers()[-1]
    emulator.state.set_number_fields(
        number["id"], {"participants": [], "participant_groups": [group_id], "phone_numbers": []}
    )
    single = admin.get(f"/phone_number/{number['id']}/").json()
    admin.post(f"/group/{group_id}/member/", json={"user_id": ALICE})
    shared = admin.get(f"/phone_number/{number['id']}/").json()

    assert (single["user_id"], single["is_group_number"]) == (BOB, False)
    assert (shared["user_id"], shared["is_group_number"]) == (None, True)


# -- rate limits and faults ----------------------------------------------------------------------


def test_group_writes_count_in_the_endpoint_groups_the_seed_sets(start_emulator: Any) -> None:
    limits = RateLimits(
        limit=2,
        window=60,
        endpoint_groups={"members": ["POST /group/*/member/", "DELETE /group/*/member/*/"]},
    )
    emu = start_emulator(REPO / "examples" / "emulator-seed.yaml", rate_limits=limits)
    with httpx.Client(base_url=emu.url, auth=(ADMIN_KEY, "")) as client:
        first = client.post(f"/group/{SALES}/member/", json={"user_id": BOB})
        second = client.delete(f"/group/{SALES}/member/{ALICE}/")
        third = client.post(f"/group/{SALES}/member/", json={"user_id": DAVE})
        read = client.get(f"/group/{SALES}/")  # another endpoint group: its own budget

    assert first.headers["RateLimit"] == "limit=2, remaining=1, reset=60"
    assert second.headers["RateLimit"] == "limit=2, remaining=0, reset=60"
    assert (third.status_code, read.status_code) == (429, 200)
    assert members(emu, SALES) == (CAROL, BOB)


def test_a_write_whose_answer_is_lost_still_happened(start_emulator: Any) -> None:
    faults = Faults(schedule=["504-after-write", "drop"], match="POST /group/")
    emu = start_emulator(REPO / "examples" / "emulator-seed.yaml", faults=faults)
    with httpx.Client(base_url=emu.url, auth=(ADMIN_KEY, "")) as client:
        gateway = client.post(f"/group/{SALES}/member/", json={"user_id": BOB})
        with pytest.raises(httpx.TransportError):
            client.post(f"/group/{SALES}/member/", json={"user_id": DAVE})

    assert gateway.status_code == 504
    # The 504 came after the write; the dropped one never reached the state.
    assert members(emu, SALES) == (ALICE, CAROL, BOB)
    assert [(r.method, r.status, r.fault) for r in emu.requests] == [
        ("POST", 504, "504-after-write"),
        ("POST", 0, "drop"),
    ]
