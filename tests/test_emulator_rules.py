"""The emulator's rules where Close's documents say who may change what: only its owner changes a
personal number (its refusal status switchable), the members of a personal number (refused, or it
becomes a group number), forwarding that needs a target, and roles with Close's real names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from numbersync.emulator import Emulator

ORG = "orga_rules0000000000000000000000000000000000000"
ADMIN = "user_admin000000000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
CAROL = "user_carol000000000000000000000000000000000000"
BOBS = "phon_bobs00000000000000000000000000000000000001"
BOBS_OLD = "phon_bobsOld000000000000000000000000000000000001"
SHARED = "phon_shared000000000000000000000000000000000001"
KEYS = {
    "admin": "api_rules_admin.fake",
    "bob": "api_rules_bob.fake",
    "carol": "api_rules_carol.fake",
}


def seed(**quirks: Any) -> dict[str, Any]:
    """An admin; Bob, whose custom role holds manage_group_numbers, with a personal number (and
    one in the old shape); Carol, a plain user whose /me/ shows no permissions list."""
    return {
        "organization": {"id": ORG, "name": "Rules"},
        "roles": [
            {
                "id": "role_lead",
                "name": "Team lead",
                "permissions": ["calling", "manage_group_numbers"],
            }
        ],
        "users": [
            {"id": ADMIN, "email": "admin@rules.example", "role_id": "admin"},
            {"id": BOB, "email": "bob@rules.example", "role_id": "role_lead"},
            {"id": CAROL, "email": "carol@rules.example", "role_id": "user", "permissions": None},
        ],
        "api_keys": [{"key": key, "user": f"{name}@rules.example"} for name, key in KEYS.items()],
        "numbers": [
            {"id": BOBS, "number": "+16503334444", "label": "Bob", "participants": [BOB]},
            {"id": BOBS_OLD, "number": "+16503334445", "participants": [], "user_id": BOB},
            {"id": SHARED, "number": "+16503334446", "participants": [BOB, CAROL]},
        ],
        "quirks": quirks,
    }


def put(emu: Emulator, who: str, number_id: str, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(base_url=emu.url, auth=(KEYS[who], ""), timeout=5) as client:
        return client.put(f"/phone_number/{number_id}/", json=body)


def get(emu: Emulator, who: str, path: str) -> httpx.Response:
    with httpx.Client(base_url=emu.url, auth=(KEYS[who], ""), timeout=5) as client:
        return client.get(path)


REFUSALS = {
    403: {"error": "You can only update your own personal numbers."},
    400: {"errors": ["You can only update your own personal numbers."], "field-errors": {}},
    404: {"error": f"No phone number with id {BOBS}."},
}


@pytest.mark.parametrize("status", [403, 400, 404])
@pytest.mark.parametrize("who", ["admin", "carol"])
def test_only_its_owner_may_change_a_personal_number(
    start_emulator: Callable[..., Emulator], status: int, who: str
) -> None:
    emu = start_emulator(seed(personal_number_error=status))
    before = emu.state.number(BOBS)
    refused = put(emu, who, BOBS, {"label": "Not yours"})
    assert (refused.status_code, refused.json()) == (status, REFUSALS[status])
    assert emu.state.number(BOBS) == before
    owner = put(emu, "bob", BOBS, {"label": "Mine"})
    assert (owner.status_code, owner.json()["label"]) == (200, "Mine")


def test_the_owner_of_the_old_shape_is_its_member(start_emulator: Callable[..., Emulator]) -> None:
    emu = start_emulator(seed())
    assert put(emu, "admin", BOBS_OLD, {"label": "x"}).status_code == 403
    assert put(emu, "bob", BOBS_OLD, {"label": "x"}).status_code == 200
    # A shared number is no one's: the permission decides.
    assert put(emu, "admin", SHARED, {"label": "x"}).status_code == 200


def test_the_owner_rule_can_be_switched_off(start_emulator: Callable[..., Emulator]) -> None:
    emu = start_emulator(seed(personal_numbers=False))
    assert put(emu, "admin", BOBS, {"label": "Anyone may"}).status_code == 200
    emu.quirks.personal_numbers = True  # switched back while running
    assert put(emu, "admin", BOBS, {"label": "Not now"}).status_code == 403


MEMBERS_REFUSED = "This is a personal number: only a group number's members can be set."


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"participants": [BOB, CAROL]}, ["participants"]),
        ({"participant_groups": [], "phone_numbers": ["+14155550100"]}, ["phone_numbers"]),
        ({"participants": [CAROL]}, ["participants"]),
        ({"participants": []}, ["participants"]),
    ],
)
def test_members_set_on_a_personal_number_are_refused_by_default(
    start_emulator: Callable[..., Emulator], body: dict[str, Any], fields: list[str]
) -> None:
    emu = start_emulator(seed())
    before = emu.state.number(BOBS)
    response = put(emu, "bob", BOBS, body)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [],
        "field-errors": {name: MEMBERS_REFUSED for name in body if name in fields},
    }
    assert emu.state.number(BOBS) == before
    # Writing back its one owner changes nothing, and is no refusal.
    assert put(emu, "bob", BOBS, {"participants": [BOB]}).status_code == 200
    assert put(emu, "bob", BOBS_OLD, {"participants": [BOB]}).json()["participants"] == [BOB]


def test_or_they_make_it_a_group_number(start_emulator: Callable[..., Emulator]) -> None:
    emu = start_emulator(seed(personal_members="group"))
    response = put(emu, "bob", BOBS, {"participants": [BOB, CAROL]})
    assert response.status_code == 200
    shared = response.json()
    assert (shared["participants"], shared["user_id"], shared["is_group_number"]) == (
        [BOB, CAROL],
        None,
        True,
    )
    # Now shared, the admin may change it.
    assert put(emu, "admin", BOBS, {"label": "Team"}).status_code == 200


FORWARDING = {
    "errors": [],
    "field-errors": {"forward_to_enabled": "Call forwarding needs a forward_to number."},
}


def test_forwarding_needs_a_target(start_emulator: Callable[..., Emulator]) -> None:
    emu = start_emulator(seed())
    nowhere = put(emu, "bob", BOBS, {"forward_to_enabled": True})
    assert (nowhere.status_code, nowhere.json()) == (400, FORWARDING)
    assert emu.state.number(BOBS)["forward_to_enabled"] is False  # type: ignore[index]
    both = put(emu, "bob", BOBS, {"forward_to_enabled": True, "forward_to": "+16505550100"})
    assert (both.status_code, both.json()["forward_to"]) == (200, "+16505550100")
    emu.quirks.forwarding_needs_target = False
    emu.state.set_number_fields(BOBS, {"forward_to": None, "forward_to_enabled": False})
    assert put(emu, "bob", BOBS, {"forward_to_enabled": True}).status_code == 200


def test_roles_are_served_with_closes_names(start_emulator: Callable[..., Emulator]) -> None:
    emu = start_emulator(seed())
    listed = get(emu, "carol", "/role/").json()
    assert listed["has_more"] is False
    assert [r["id"] for r in listed["data"]] == [
        "admin",
        "superuser",
        "user",
        "restricteduser",
        "role_lead",
    ]
    superuser = get(emu, "carol", "/role/superuser/").json()
    assert set(superuser) == {"id", "name", "editable", "permissions", "organization_id"}
    assert (superuser["name"], superuser["editable"], superuser["organization_id"]) == (
        "Super User",
        False,
        ORG,
    )
    assert "manage_group_numbers" in superuser["permissions"]
    assert "manage_group_numbers" not in get(emu, "carol", "/role/user/").json()["permissions"]
    assert get(emu, "carol", "/role/role_lead/").json() == {
        "id": "role_lead",
        "name": "Team lead",
        "editable": True,
        "permissions": ["calling", "manage_group_numbers"],
        "organization_id": ORG,
    }
    missing = get(emu, "carol", "/role/role_nope/")
    assert (missing.status_code, missing.json()) == (404, {"error": "No role with id role_nope."})


def test_me_shows_the_role_and_the_permissions_the_seed_lists(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu = start_emulator(seed())
    [carol] = get(emu, "carol", "/me/").json()["memberships"]
    assert carol == {"organization_id": ORG, "role_id": "user"}  # no permissions list at all
    [bob] = get(emu, "bob", "/me/").json()["memberships"]
    assert bob == {"organization_id": ORG, "role_id": "role_lead", "permissions_granted": []}
