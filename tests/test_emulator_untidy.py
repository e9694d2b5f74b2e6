"""The emulator where the real Close is less tidy than its docs, each mode as a seed switches it on:
users of several organizations, former members still on numbers, roles and permissions apart from
what /me/ lists, 400-style permission errors, credentials that expire, answers without deprecated
fields, old personal numbers, external numbers, and the combined "wild" Acme seed. Every test talks
HTTP to a real server on 127.0.0.1.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from numbersync.emulator import Emulator, Faults, Quirks, RecordedRequest, SeedError, load_seed

REPO = Path(__file__).resolve().parent.parent
WILD_SEED = REPO / "tests" / "data" / "seeds" / "acme-wild.yaml"
TIDY_SEED = REPO / "examples" / "emulator-seed.yaml"

ACME = "orga_acme000000000000000000000000000000000000000"
LABS = "orga_labs000000000000000000000000000000000000000"
ELSEWHERE = "orga_elsewhere00000000000000000000000000000000"
ADMIN = "user_admin000000000000000000000000000000000000"
DAVE = "user_dave0000000000000000000000000000000000000"
ALICE = "user_alice000000000000000000000000000000000000"
FRANK = "user_frank000000000000000000000000000000000000"  # left Acme
LABS_ALICE = "user_labsAlice00000000000000000000000000000000"
ZED = "user_zed00000000000000000000000000000000000000"  # only in an organization nobody shares
ADMIN_KEY = "api_admin.fake0000"
DAVE_KEY = "api_dave.fake0000"
DAVE_TOKEN = "oauth_dave.fake0000"
SHARED = "phon_shared000000000000000000000000000000000001"
DAVES_OLD = "phon_davesOld0000000000000000000000000000000001"
CALLER_ID = "phon_callerId00000000000000000000000000000000001"
DEPRECATED = {"user_id", "is_group_number"}
PERMISSION = 'You need the "Manage Team Phone Numbers" permission to change'


def make_seed(**top: Any) -> dict[str, Any]:
    """Acme with a second organization (Labs, shared by the admin), a third nobody shares, a
    former member on a shared number, an old personal number of Dave's and an external number."""
    seed: dict[str, Any] = {
        "organization": {"id": ACME, "name": "Acme"},
        "other_organizations": [
            {"id": LABS, "name": "Acme Labs"},
            {"id": ELSEWHERE, "name": "Elsewhere"},
        ],
        "users": [
            {
                "id": ADMIN,
                "email": "admin@acme.example",
                "role_id": "admin",
                "permissions": ["bulk_edit", "export"],
                "organizations": [LABS, ACME],
            },
            {"id": DAVE, "email": "dave@acme.example", "first_name": "Dave"},
            {"id": ALICE, "email": "alice@acme.example", "first_name": "Alice"},
            {"id": FRANK, "email": "frank@acme.example", "active": False},
            {"id": LABS_ALICE, "email": "alice@labs.example", "organizations": [LABS]},
            {"id": ZED, "email": "zed@elsewhere.example", "organizations": [ELSEWHERE]},
        ],
        "api_keys": [
            {"key": ADMIN_KEY, "user": ADMIN},
            {"key": DAVE_KEY, "user": DAVE},
        ],
        "oauth_tokens": [{"token": DAVE_TOKEN, "user": DAVE}],
        "numbers": [
            {"id": SHARED, "number": "+16503334444", "participants": [FRANK, ALICE]},
            {"id": DAVES_OLD, "number": "+16503334445", "participants": [], "user_id": DAVE},
            {
                "id": CALLER_ID,
                "number": "+16505550177",
                "type": "external",
                "participants": [ALICE],
                "inbound_ring_duration": 45,
                "forward_to": "+16505550100",
                "forward_to_enabled": True,
                "phone_numbers": ["+14155550123"],
            },
        ],
    }
    seed.update(top)
    return seed


def client(emu: Emulator, key: str = ADMIN_KEY) -> httpx.Client:
    # verify=False: plain http on loopback; it spares loading the CA bundle for every client.
    return httpx.Client(base_url=emu.url, auth=(key, ""), timeout=5, verify=False)


@pytest.fixture
def emu(start_emulator: Callable[..., Emulator]) -> Emulator:
    return start_emulator(make_seed())


@pytest.fixture
def admin(emu: Emulator) -> Iterator[httpx.Client]:
    with client(emu) as api:
        yield api


@pytest.fixture
def dave(emu: Emulator) -> Iterator[httpx.Client]:
    with client(emu, DAVE_KEY) as api:
        yield api


def ids(response: httpx.Response) -> list[str]:
    return [item["id"] for item in response.json()["data"]]


# -- users of several organizations --------------------------------------------------------------


def test_user_list_holds_everyone_who_shares_an_organization_with_the_caller(
    admin: httpx.Client, dave: httpx.Client
) -> None:
    seen_by_admin = admin.get("/user/").json()["data"]
    assert [(u["id"], u["organizations"]) for u in seen_by_admin] == [
        (ADMIN, [LABS, ACME]),
        (DAVE, [ACME]),
        (ALICE, [ACME]),
        (LABS_ALICE, [LABS]),  # a member of Labs only: not a user of Acme
    ]
    assert ids(dave.get("/user/")) == [ADMIN, DAVE, ALICE]  # Dave shares only Acme
    assert ids(admin.get("/user/", params={"_skip": 3})) == [LABS_ALICE]


@pytest.mark.parametrize(
    ("key", "user_id", "status", "organizations"),
    [
        (ADMIN_KEY, LABS_ALICE, 200, [LABS]),
        (DAVE_KEY, LABS_ALICE, 404, None),  # no organization in common
        (ADMIN_KEY, ZED, 404, None),
        (ADMIN_KEY, FRANK, 200, []),  # a former member of Acme: still answered
        (DAVE_KEY, FRANK, 200, []),
        (DAVE_KEY, "user_nobody", 404, None),
    ],
)
def test_one_user_is_answered_to_those_who_share_or_shared_an_organization(
    emu: Emulator, key: str, user_id: str, status: int, organizations: list[str] | None
) -> None:
    with client(emu, key) as api:
        response = api.get(f"/user/{user_id}/")
    assert response.status_code == status
    if organizations is None:
        assert response.json() == {"error": f"No user with id {user_id}."}
    else:
        assert response.json()["organizations"] == organizations


def test_me_lists_every_organization_and_one_membership_each(
    admin: httpx.Client, dave: httpx.Client
) -> None:
    me = admin.get("/me/").json()
    assert me["organizations"] == [
        {"id": LABS, "name": "Acme Labs"},
        {"id": ACME, "name": "Acme"},
    ]
    assert me["memberships"] == [
        {"organization_id": LABS, "role_id": "user", "permissions_granted": []},
        {"organization_id": ACME, "role_id": "admin", "permissions_granted": ["bulk_edit", "export"]},
    ]  # fmt: skip
    dave_me = dave.get("/me/").json()
    assert dave_me["organizations"] == [{"id": ACME, "name": "Acme"}]
    assert dave_me["memberships"] == [
        {"organization_id": ACME, "role_id": "user", "permissions_granted": []}
    ]


# -- participants must be active members -----------------------------------------------------------


@pytest.mark.parametrize(
    ("number_id", "participants", "message"),
    [
        (SHARED, [ALICE, LABS_ALICE], f"Not an active member of this organization: {LABS_ALICE}."),
        (DAVES_OLD, [ALICE, FRANK], f"Not an active member of this organization: {FRANK}."),
        (SHARED, [ZED], f"Not an active member of this organization: {ZED}."),
        (
            SHARED,
            ["user_nobody", LABS_ALICE],
            "Not a user of this organization: user_nobody. "
            f"Not an active member of this organization: {LABS_ALICE}.",
        ),
    ],
    ids=["other-organization", "former-member-added", "unshared-organization", "both"],
)
def test_a_put_naming_someone_who_is_not_an_active_member_is_a_field_error(
    emu: Emulator, admin: httpx.Client, number_id: str, participants: list[str], message: str
) -> None:
    before = emu.state.number(number_id)
    response = admin.put(f"/phone_number/{number_id}/", json={"participants": participants})
    assert response.status_code == 400
    assert response.json() == {"errors": [], "field-errors": {"participants": message}}
    assert emu.state.number(number_id) == before


def test_a_former_member_already_on_a_number_may_stay_but_not_come_back(
    emu: Emulator, admin: httpx.Client
) -> None:
    path = f"/phone_number/{SHARED}/"
    assert admin.get(path).json()["participants"] == [FRANK, ALICE]  # as seeded
    kept = admin.put(path, json={"participants": [FRANK, ALICE, DAVE]})
    removed = admin.put(path, json={"participants": [ALICE]})
    back = admin.put(path, json={"participants": [ALICE, FRANK]})
    assert kept.status_code == 200 and kept.json()["participants"] == [FRANK, ALICE, DAVE]
    assert removed.status_code == 200
    assert back.status_code == 400
    assert back.json()["field-errors"] == {
        "participants": f"Not an active member of this organization: {FRANK}."
    }
    assert [(r.method, r.status) for r in emu.requests] == [
        ("GET", 200), ("PUT", 200), ("PUT", 200), ("PUT", 400),
    ]  # fmt: skip


# -- who may manage numbers, and how a refusal looks -----------------------------------------------


def test_an_admin_role_manages_numbers_whatever_me_lists(
    emu: Emulator, admin: httpx.Client
) -> None:
    response = admin.put(f"/phone_number/{SHARED}/", json={"inbound_ring_duration": 60})
    assert response.status_code == 200
    assert admin.get("/me/").json()["memberships"][1]["permissions_granted"] == [
        "bulk_edit",
        "export",
    ]
    assert emu.admin_key == ADMIN_KEY


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ({"role_id": "superuser"}, 200),
        ({"role_id": "restricteduser", "permissions": ["manage_group_numbers"]}, 200),
        ({"role_id": "role_groupLead"}, 200),  # a custom role holding manage_group_numbers
        ({"role_id": "role_salesLead", "manage_numbers": True}, 200),
        ({"role_id": "user", "manage_numbers": True}, 200),
        ({"role_id": "admin", "manage_numbers": False}, 403),
        ({"role_id": "user"}, 403),
        ({"role_id": "role_salesLead", "permissions": ["bulk_edit"]}, 403),
    ],
    ids=lambda v: str(v),
)
def test_the_seed_decides_who_may_manage_numbers_apart_from_what_me_lists(
    start_emulator: Callable[..., Emulator], user: dict[str, Any], status: int
) -> None:
    seed = make_seed(
        roles=[
            {"id": "role_salesLead", "name": "Sales lead", "permissions": ["calling"]},
            {"id": "role_groupLead", "name": "Group lead", "permissions": ["manage_group_numbers"]},
        ]
    )
    seed["users"][1].update(user)  # Dave
    emu = start_emulator(seed)
    with client(emu, DAVE_KEY) as dave:
        response = dave.put(f"/phone_number/{SHARED}/", json={"inbound_ring_duration": 60})
        me = dave.get("/me/").json()
    assert response.status_code == status
    assert me["memberships"][0]["role_id"] == user["role_id"]
    assert me["memberships"][0]["permissions_granted"] == sorted(user.get("permissions", []))


def test_a_forbidden_change_may_be_refused_as_a_400_with_an_errors_list(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu = start_emulator(make_seed(quirks={"permission_error": 400}))
    with client(emu, DAVE_KEY) as dave:
        field = dave.put(f"/phone_number/{SHARED}/", json={"inbound_ring_duration": 60})
        not_alone = dave.put(f"/phone_number/{SHARED}/", json={"label": "mine"})
        emu.quirks.permission_error = 403  # switched back while running
        tidy = dave.put(f"/phone_number/{SHARED}/", json={"inbound_ring_duration": 60})
    assert field.status_code == 400
    assert field.json() == {
        "errors": [f"{PERMISSION} inbound_ring_duration."],
        "field-errors": {},
    }
    assert not_alone.status_code == 400
    assert not_alone.json() == {
        "errors": [f"{PERMISSION} a number you are not the only member of."],
        "field-errors": {},
    }
    assert tidy.status_code == 403
    assert tidy.json() == {"error": f"{PERMISSION} inbound_ring_duration."}
    assert [r.status for r in emu.requests] == [400, 400, 403]


# -- credentials that expire ---------------------------------------------------------------------


def test_a_credential_expires_after_its_requests(start_emulator: Callable[..., Emulator]) -> None:
    seed = make_seed()
    seed["api_keys"][1]["expires_after"] = 3
    seed["oauth_tokens"][0]["expires_after"] = 0
    seed["rate_limits"] = {"groups": {"GET me": [1, 60]}}
    emu = start_emulator(seed, faults=Faults(schedule=["503"], match="GET /user/"))
    bearer = {"Authorization": f"Bearer {DAVE_TOKEN}"}
    with client(emu, DAVE_KEY) as dave, client(emu) as admin:
        faulted = dave.get("/user/")  # refused before authentication: not counted
        served = [dave.get("/me/"), dave.get("/me/"), dave.get(f"/phone_number/{SHARED}/")]
        expired = [dave.get("/phone_number/"), dave.put(f"/phone_number/{SHARED}/", json={})]
        others = admin.get("/me/")
        token = httpx.get(emu.url + "/me/", headers=bearer, timeout=5, verify=False)
    assert faulted.status_code == 503
    assert [r.status_code for r in served] == [200, 429, 200]  # a 429 is served too
    assert [r.status_code for r in expired] == [401, 401]
    assert expired[1].json() == {"error": "Invalid API key."}  # as for a key that never was
    assert expired[1].headers["WWW-Authenticate"] == 'Basic realm="Close API"'
    assert others.status_code == 200
    assert (token.status_code, token.json()) == (
        401,
        {"error": "Invalid or expired OAuth access token."},
    )
    assert emu.credential_uses_left == {DAVE_KEY: 0, DAVE_TOKEN: 0}
    assert [(r.method, r.status) for r in emu.requests] == [
        ("GET", 503), ("GET", 200), ("GET", 429), ("GET", 200),
        ("GET", 401), ("PUT", 401), ("GET", 200), ("GET", 401),
    ]  # fmt: skip


def test_a_test_may_make_a_credential_expire_while_the_server_runs(emu: Emulator) -> None:
    with client(emu) as admin:
        before = admin.get("/me/")
        emu.credential_uses_left[ADMIN_KEY] = 2
        two = [admin.put(f"/phone_number/{SHARED}/", json={"label": f"L{i}"}) for i in range(2)]
        third = admin.put(f"/phone_number/{SHARED}/", json={"label": "never"})
        del emu.credential_uses_left[ADMIN_KEY]
        again = admin.get("/me/")
    assert [r.status_code for r in (before, *two, third, again)] == [200, 200, 200, 401, 200]
    assert (emu.state.number(SHARED) or {})["label"] == "L1"


# -- deprecated fields ---------------------------------------------------------------------------


def test_answers_may_lack_the_deprecated_fields(start_emulator: Callable[..., Emulator]) -> None:
    emu = start_emulator(make_seed(quirks={"deprecated_fields": False}))
    with client(emu) as admin, client(emu, DAVE_KEY) as dave:
        listed = admin.get("/phone_number/").json()["data"]
        one = admin.get(f"/phone_number/{SHARED}/").json()
        put = admin.put(f"/phone_number/{SHARED}/", json={"label": "x"}).json()
        mine = dave.get("/me/").json()["phone_numbers"]
        projected = admin.get("/phone_number/", params={"_fields": "id,user_id"}).json()
        filtered = admin.get("/phone_number/", params={"user_id": ALICE, "is_group_number": "no"})
        emu.quirks.deprecated_fields = True
        back = admin.get(f"/phone_number/{SHARED}/").json()
    for obj in (*listed, one, put, *mine):
        assert not DEPRECATED & set(obj)
        assert {"id", "participants", "type", "date_updated"} <= set(obj)
    assert [obj["id"] for obj in mine] == [DAVES_OLD]
    assert projected["data"] == [{"id": SHARED}, {"id": DAVES_OLD}, {"id": CALLER_ID}]
    # The filters went with the fields: ignored, like any parameter the API does not know.
    assert filtered.status_code == 200
    assert ids(filtered) == [SHARED, DAVES_OLD, CALLER_ID]
    assert (back["user_id"], back["is_group_number"]) == (None, True)


def test_while_served_the_deprecated_filters_still_filter(admin: httpx.Client) -> None:
    assert ids(admin.get("/phone_number/", params={"user_id": DAVE})) == [DAVES_OLD]
    assert ids(admin.get("/phone_number/", params={"is_group_number": "true"})) == [SHARED]


# -- the old personal-number shape ---------------------------------------------------------------


def test_an_old_personal_number_is_served_with_its_owner_as_user_id(
    admin: httpx.Client, dave: httpx.Client
) -> None:
    number = admin.get(f"/phone_number/{DAVES_OLD}/").json()
    assert (number["participants"], number["participant_groups"]) == ([], [])
    assert (number["user_id"], number["is_group_number"]) == (DAVE, False)
    assert ids(admin.get("/phone_number/", params={"participant_user_id": DAVE})) == [DAVES_OLD]
    assert [n["id"] for n in dave.get("/me/").json()["phone_numbers"]] == [DAVES_OLD]


def test_the_owner_of_an_old_personal_number_counts_as_its_sole_member(
    emu: Emulator, dave: httpx.Client
) -> None:
    path = f"/phone_number/{DAVES_OLD}/"
    forwarding = {"forward_to": "+16505550100", "forward_to_enabled": True}
    label = dave.put(path, json={"label": "Dave's old line", **forwarding})
    ring = dave.put(path, json={"inbound_ring_duration": 60})
    with client(emu) as admin:
        other = admin.put(path, json={"label": "Not the admin's"})
    assert label.status_code == 200
    assert label.json()["user_id"] == DAVE
    assert ring.status_code == 403
    assert ring.json() == {"error": f"{PERMISSION} inbound_ring_duration."}
    # Dave's personal number: nobody else may change it, an admin neither.
    assert other.status_code == 403
    assert other.json() == {"error": "You can only update your own personal numbers."}


def test_writing_participants_turns_an_old_personal_number_into_the_current_shape(
    emu: Emulator, admin: httpx.Client, dave: httpx.Client
) -> None:
    # Close's other possible behaviour: anyone with the permission may write its members.
    emu.quirks.personal_numbers = False
    emu.quirks.personal_members = "group"
    path = f"/phone_number/{DAVES_OLD}/"
    now_alice = admin.put(path, json={"participants": [ALICE]}).json()
    emptied = admin.put(path, json={"participants": []}).json()
    refused = dave.put(path, json={"label": "not mine any more"})
    emu.state.set_number_fields(DAVES_OLD, {"user_id": DAVE})  # back to the old shape
    restored = admin.get(path).json()
    assert (now_alice["participants"], now_alice["user_id"]) == ([ALICE], ALICE)
    assert (emptied["participants"], emptied["user_id"]) == ([], None)  # Dave is not back
    assert refused.status_code == 403
    assert (restored["participants"], restored["user_id"]) == ([], DAVE)


# -- external numbers ----------------------------------------------------------------------------


def test_external_numbers_carry_and_accept_inbound_settings(admin: httpx.Client) -> None:
    path = f"/phone_number/{CALLER_ID}/"
    seeded = admin.get(path).json()
    body = {
        "participants": [ALICE, DAVE],
        "inbound_ring_duration": 20,
        "forward_to_enabled": False,
        "phone_numbers": [],
        "voicemail_greeting_url": "https://cdn.acme.example/unused.mp3",
    }
    response = admin.put(path, json=body)
    assert seeded["type"] == "external"
    assert {k: seeded[k] for k in ("participants", "inbound_ring_duration", "forward_to")} == {
        "participants": [ALICE],
        "inbound_ring_duration": 45,
        "forward_to": "+16505550100",
    }
    assert response.status_code == 200  # accepted, though Close never uses them for calls
    assert response.json()["type"] == "external"
    assert {k: response.json()[k] for k in body} == body


# -- seed validation -----------------------------------------------------------------------------


def users_with(**changes: Any) -> list[dict[str, Any]]:
    users = copy.deepcopy(make_seed()["users"])
    users[2].update(changes)  # Alice
    return users


BAD_SEEDS: list[tuple[dict[str, Any], list[str]]] = [
    ({"other_organizations": {"id": LABS}}, [
        "$.other_organizations: must be a list or null, got a mapping",
        f"$.users[0].organizations: {LABS} is neither the organization nor one of other_organizations",
        f"$.users[4].organizations: {LABS} is neither the organization nor one of other_organizations",
        f"$.users[5].organizations: {ELSEWHERE} is neither the organization nor one of other_organizations",
    ]),
    ({"other_organizations": [{"id": LABS}, {"id": ELSEWHERE, "name": "E"}]}, [
        "$.other_organizations[0]: missing required key 'name'",
    ]),
    ({"other_organizations": [{"id": "labs", "name": "L"}]}, [
        '$.other_organizations[0].id: an organization id starts with orga_, got "labs"',
        f"$.users[0].organizations: {LABS} is neither the organization nor one of other_organizations",
        f"$.users[4].organizations: {LABS} is neither the organization nor one of other_organizations",
        f"$.users[5].organizations: {ELSEWHERE} is neither the organization nor one of other_organizations",
    ]),
    ({"other_organizations": [{"id": ACME, "name": "Again"}, {"id": LABS, "name": "Labs"}, {"id": ELSEWHERE, "name": "E"}]},
     [f"$.other_organizations[0].id: duplicate organization id {ACME}"]),
    ({"users": users_with(organizations=[])}, ["$.users[2].organizations: [] should be non-empty"]),
    ({"users": users_with(organizations=ACME)}, [f'$.users[2].organizations: must be a list, got "{ACME}"']),
    ({"users": users_with(organizations=[ACME, ACME])}, ["$.users[2].organizations: an organization is listed twice"]),
    ({"users": users_with(organizations=["orga_nope"])}, [
        "$.users[2].organizations: orga_nope is neither the organization nor one of other_organizations",
        f"$.numbers[0].participants: Not an active member of this organization: {ALICE}.",
        f"$.numbers[2].participants: Not an active member of this organization: {ALICE}.",
    ]),
    ({"users": users_with(active="no")}, ['$.users[2].active: must be true or false, got "no"']),
    ({"users": users_with(active=False, organizations=[LABS])}, [
        f"$.users[2].active: false means the membership of the organization {ACME} is inactive, so organizations must list it",
    ]),
    ({"users": users_with(manage_numbers="yes")}, ['$.users[2].manage_numbers: must be true or false or null, got "yes"']),
    ({"users": users_with(role_id="owner")}, [
        "$.users[2].role_id: expected admin, superuser, user, restricteduser or the id of one of roles (role_...), got 'owner'",
    ]),
    ({"groups": [{"name": "Labs", "members": [ALICE, LABS_ALICE, FRANK]}]}, [
        f"$.groups[0].members[1]: {LABS_ALICE!r} is not a member of the organization {ACME}",
    ]),
    ({"api_keys": [{"key": "api_f.fake", "user": "frank@acme.example"}, {"key": "api_l.fake", "user": LABS_ALICE}]}, [
        f"$.api_keys[0].user: 'frank@acme.example' is not an active member of the organization {ACME}",
        f"$.api_keys[1].user: {LABS_ALICE!r} is not a member of the organization {ACME}",
    ]),
    ({"api_keys": [{"key": "api_a.fake", "user": ADMIN, "expires_after": -1}]}, [
        "$.api_keys[0].expires_after: must be at least 0, got -1",
    ]),
    ({"oauth_tokens": [{"token": "oauth_a.fake", "user": ADMIN, "expires_after": True}]}, [
        "$.oauth_tokens[0].expires_after: must be an integer or null, got true",
    ]),
    ({"numbers": [{"number": "+16503334444", "participants": ["alice@labs.example"]}]}, [
        f"$.numbers[0].participants: Not an active member of this organization: {LABS_ALICE}.",
    ]),
    ({"numbers": [{"number": "+16503334444", "user_id": "zed@elsewhere.example"}]}, [
        f"$.numbers[0].user_id: 'zed@elsewhere.example' is not a member of the organization {ACME}",
    ]),
    ({"numbers": [{"number": "+16503334444", "user_id": "user_nobody"}]}, [
        "$.numbers[0].user_id: 'user_nobody' is neither a user id nor the email of a user",
    ]),
    ({"quirks": {"permission_error": 401, "deprecated_fields": "no", "colour": 1}}, [
        "$.quirks.colour: unknown key; expected some of ['deprecated_fields', "
        "'forwarding_needs_target', 'group_permission', 'permission_error', 'personal_members', "
        "'personal_number_error', 'personal_numbers']",
    ]),
    ({"quirks": {"permission_error": 401, "deprecated_fields": "no"}}, [
        "$.quirks.permission_error: must be 403 or 400, got 401",
        "$.quirks.deprecated_fields: must be true or false, got 'no'",
    ]),
    ({"quirks": {"personal_number_error": 401, "personal_numbers": 1,
                 "personal_members": "share", "forwarding_needs_target": None}}, [
        "$.quirks.personal_number_error: must be 403, 400 or 404, got 401",
        "$.quirks.personal_numbers: must be true or false, got 1",
        "$.quirks.forwarding_needs_target: must be true or false, got None",
        "$.quirks.personal_members: must be refuse or group, got 'share'",
    ]),
    ({"roles": [{"id": "role_x", "name": "X", "permissions": ["manage_team_phone_numbers"]}]}, [
        "$.roles[0].permissions: manage_team_phone_numbers is not a Close permission; Close calls "
        "it manage_group_numbers",
    ]),
    ({"roles": [{"id": "lead", "name": "Lead"}, {"name": "No id"}, {"id": "role_x"}]}, [
        "$.roles[0].id: a custom role's id starts with role_ (the built-in admin, superuser, user, "
        'restricteduser need no entry), got "lead"',
        "$.roles[2]: missing required key 'name'",
    ]),
    ({"quirks": [400]}, ["$.quirks: must be a mapping or null, got a list"]),
    ({"faults": {"schedule": ["429-bare", "corrupt-gzip", "corrupt-gzip-after-write"]}}, [
        "$.faults: unknown fault names ['corrupt-gzip']; expected some of ('ok', '500', '502', "
        "'503', '504', '429', '429-bare', 'drop', 'slow', '504-after-write', "
        "'corrupt-gzip-after-write', 'hang-after-write', 'other-id-after-write')",
    ]),
]  # fmt: skip


@pytest.mark.parametrize(("patch", "problems"), BAD_SEEDS, ids=[str(p) for p, _ in BAD_SEEDS])
def test_bad_values_of_the_new_seed_keys_are_reported_with_their_path(
    patch: dict[str, Any], problems: list[str]
) -> None:
    with pytest.raises(SeedError) as caught:
        load_seed(make_seed(**patch))
    assert caught.value.problems == problems
    assert "fake" not in str(caught.value.details)  # never a secret


def test_a_dump_with_derived_user_ids_is_still_a_valid_seed() -> None:
    seed = make_seed()
    seed["numbers"][0]["user_id"] = ALICE  # ignored: the number has participants
    emu = Emulator(seed)
    assert (emu.state.number(SHARED) or {})["user_id"] is None  # two members: derived as None


# -- the wild Acme seed --------------------------------------------------------------------------


WILD_EXTRAS = {"phon_wildFormerRepLine000000000000000000001", "phon_wildErinOldLine00000000000000000000001"}  # fmt: skip


def test_the_wild_seed_serves_the_tidy_acme_plus_its_extras(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)
    wild, tidy = Emulator("tests/data/seeds/acme-wild.yaml"), Emulator(TIDY_SEED)
    wild_numbers, tidy_numbers = wild.state.numbers_by_id(), tidy.state.numbers_by_id()
    assert set(wild_numbers) - set(tidy_numbers) == WILD_EXTRAS
    for number_id, number in tidy_numbers.items():
        assert wild_numbers[number_id] == number, number_id
    tidy_users = {u.id: u for u in tidy.state.users}
    for user in wild.state.users:
        if user.id in tidy_users:
            assert (user.email, user.first_name, user.last_name) == (
                tidy_users[user.id].email,
                tidy_users[user.id].first_name,
                tidy_users[user.id].last_name,
            )
            assert user.can_manage_numbers == tidy_users[user.id].can_manage_numbers
    assert wild.state.groups == tidy.state.groups
    assert wild.state.credentials == tidy.state.credentials
    assert wild.admin_key == tidy.admin_key
    assert WILD_SEED.read_text().startswith("# THE KEYS")


@pytest.mark.parametrize(
    ("emulator", "unmanaged_extras"), [("tidy", 0), ("wild", 2)], indirect=["emulator"]
)
def test_the_emulator_fixture_serves_either_acme(emulator: Emulator, unmanaged_extras: int) -> None:
    assert len(emulator.state) == 11 + unmanaged_extras
    wild = Quirks(400, False, personal_number_error=404)
    assert emulator.quirks == (wild if unmanaged_extras else Quirks())


def test_the_wild_seed_answers_untidily(start_emulator: Callable[..., Emulator]) -> None:
    wild = start_emulator(WILD_SEED)
    with client(wild, wild.admin_key) as admin, client(wild, "api_demo_dave.fake0000") as dave:
        numbers = admin.get("/phone_number/")
        users = admin.get("/user/")
        me = admin.get("/me/")
        dave_users = dave.get("/user/")
        forbidden = dave.put(
            "/phone_number/phon_demoSalesLine0000000000000000000000001/",
            json={"inbound_ring_duration": 45},
        )
    assert numbers.headers["RateLimit"] == "limit=300; remaining=299; reset=8"
    assert users.headers["RateLimit"] == "limit=300; remaining=298; reset=8"  # both "reads"
    assert me.headers["RateLimit"] == "limit=300; remaining=299; reset=8"  # "GET me"
    assert len(numbers.json()["data"]) == 13
    assert all(not DEPRECATED & set(obj) for obj in numbers.json()["data"])
    emails = [u["email"] for u in users.json()["data"]]
    assert "alice@acmelabs.example" in emails and "frank@acme.example" not in emails
    assert "alice@acmelabs.example" not in [u["email"] for u in dave_users.json()["data"]]
    assert me.json()["memberships"][1] == {
        "organization_id": "orga_acme000000000000000000000000000000000000000",
        "role_id": "admin",
        "permissions_granted": ["bulk_edit", "export"],
    }
    assert forbidden.status_code == 400 and forbidden.json()["field-errors"] == {}
    assert wild.quirks == Quirks(
        permission_error=400, deprecated_fields=False, personal_number_error=404
    )
    assert wild.requests[-1] == RecordedRequest(
        "PUT",
        "/phone_number/phon_demoSalesLine0000000000000000000000001/",
        {},
        {"inbound_ring_duration": 45},
        400,
    )
