"""The emulator behaves like the documented Close API: pagination, filters and `_fields`, the
shapes of numbers, users, /me/ and groups, PUT validation and PATCH semantics, auth, permissions,
the request log and seeds. Every test talks HTTP to a real server on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import phonenumbers
import pytest
import yaml

from numbersync.emulator import (
    Emulator,
    Faults,
    Quirks,
    RateLimits,
    RecordedRequest,
    SeedError,
    generate_seed,
    load_seed,
)
from numbersync.emulator.seed import schema as seed_schema
from numbersync.emulator.state import format_number, make_id

ADMIN_KEY = "api_demo_admin.fake0000"
DAVE_KEY = "api_demo_dave.fake0000"
ADMIN_TOKEN = "oauth_demo_admin.fake0000"
ALICE = "user_alice000000000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
CAROL = "user_carol000000000000000000000000000000000000"
DAVE = "user_dave0000000000000000000000000000000000000"
SALES_EMEA = "group_salesEmea0000000000000"
SUPPORT = "group_support000000000000000"
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
SUPPORT_LINE = "phon_demoSupportLine00000000000000000000001"
ALICE_DIRECT = "phon_demoAliceDirect00000000000000000000001"
LONDON = "phon_demoLondon0000000000000000000000000001"
NIGHT_LINE = "phon_demoNightLine0000000000000000000000001"
BOB_DIRECT = "phon_demoBobDirect0000000000000000000000001"
PORTED = "phon_demoPortedLine000000000000000000000001"
REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

# Every documented field of a phone number (close-api.md §1.3 and §1.6), written out here rather
# than imported so that the emulator's own list is checked, not trusted.
DOCUMENTED_FIELDS = {
    "id", "organization_id", "number", "number_formatted", "type", "label", "forward_to",
    "forward_to_formatted", "forward_to_enabled", "voicemail_greeting_url", "participants",
    "participant_groups", "phone_numbers", "phone_numbers_formatted", "inbound_ring_duration",
    "press_1_to_accept", "user_id", "is_group_number", "is_verified", "is_premium", "sms_enabled",
    "mms_enabled", "was_ported", "supports_sms_to_countries", "supports_mms_to_countries",
    "country", "carrier", "carrier_type", "address_id", "bundle_id", "last_billed_price",
    "next_billing_on", "date_created", "date_updated",
}  # fmt: skip


# verify=False everywhere: these are plain-http loopback calls, and it spares each client the
# ~70 ms of loading the CA bundle.
@pytest.fixture
def api(emulator: Emulator) -> Iterator[httpx.Client]:
    """An httpx client on the Acme emulator with the admin key."""
    with httpx.Client(
        base_url=emulator.url, auth=(ADMIN_KEY, ""), timeout=5, verify=False
    ) as client:
        yield client


@pytest.fixture
def dave(emulator: Emulator) -> Iterator[httpx.Client]:
    """The restricted user's client: no "Manage Team Phone Numbers"."""
    with httpx.Client(
        base_url=emulator.url, auth=(DAVE_KEY, ""), timeout=5, verify=False
    ) as client:
        yield client


def client_for(emu: Emulator, key: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=emu.url, auth=(key or emu.admin_key, ""), timeout=5, verify=False)


# -- pagination, filters, _fields ----------------------------------------------------------------


@pytest.mark.parametrize(("count", "pages"), [(0, 1), (1, 1), (100, 1), (101, 2), (250, 3)])
def test_pagination_walks_every_number_once_in_creation_order(
    start_emulator: Callable[..., Emulator], count: int, pages: int
) -> None:
    emu = start_emulator(generate_seed(count, users=3, groups=1))
    seen: list[str] = []
    flags: list[bool] = []
    with client_for(emu) as client:
        while True:
            body = client.get("/phone_number/", params={"_skip": len(seen)}).json()
            seen += [obj["id"] for obj in body["data"]]
            flags.append(body["has_more"])
            if not body["has_more"]:
                break
    assert len(flags) == pages
    assert flags == [True] * (pages - 1) + [False]
    assert seen == [f"phon_gen{i:040d}" for i in range(count)]


def test_limit_and_skip_select_a_window(start_emulator: Callable[..., Emulator]) -> None:
    emu = start_emulator(generate_seed(10, users=2, groups=0))
    with client_for(emu) as client:
        body = client.get("/phone_number/", params={"_skip": 8, "_limit": 5}).json()
        empty = client.get("/phone_number/", params={"_skip": 50}).json()
    assert [obj["number"] for obj in body["data"]] == ["+16502000008", "+16502000009"]
    assert body["has_more"] is False
    assert empty == {"data": [], "has_more": False}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"_limit": "101"}, "_limit", "Ensure this value is less than or equal to 100."),
        ({"_limit": "-1"}, "_limit", "Ensure this value is greater than or equal to 0."),
        ({"_limit": "ten"}, "_limit", "A valid integer is required."),
        ({"_skip": "-5"}, "_skip", "Ensure this value is greater than or equal to 0."),
        ({"_skip": "1.5"}, "_skip", "A valid integer is required."),
    ],
)
def test_bad_paging_parameters_are_400_with_the_parameter_named(
    api: httpx.Client, params: dict[str, str], field: str, message: str
) -> None:
    response = api.get("/phone_number/", params=params)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [f"Invalid query parameter {field}."],
        "field-errors": {field: message},
    }


def test_user_list_limit_is_capped_too(api: httpx.Client) -> None:
    assert api.get("/user/", params={"_limit": 101}).status_code == 400


def test_fields_limits_the_keys_returned(api: httpx.Client) -> None:
    listed = api.get("/phone_number/", params={"_fields": "id,number,nonexistent"}).json()
    one = api.get(f"/phone_number/{LONDON}/", params={"_fields": "label"}).json()
    assert all(set(obj) == {"id", "number"} for obj in listed["data"])
    assert one == {"label": "London office"}


def test_number_filter_matches_exact_e164(api: httpx.Client) -> None:
    found = api.get("/phone_number/", params={"number": "+16503334444"}).json()
    formatted = api.get("/phone_number/", params={"number": "+1 650-333-4444"}).json()
    assert [obj["id"] for obj in found["data"]] == [SALES_LINE]
    assert formatted == {"data": [], "has_more": False}


def test_participant_filter_includes_numbers_reached_through_groups(api: httpx.Client) -> None:
    body = api.get("/phone_number/", params={"participant_user_id": ALICE}).json()
    # Sales line and Alice direct list her; London and the ported line ring Sales EMEA, her group.
    assert [obj["id"] for obj in body["data"]] == [SALES_LINE, ALICE_DIRECT, LONDON, PORTED]


def test_default_page_size_is_100(start_emulator: Callable[..., Emulator]) -> None:
    emu = start_emulator(generate_seed(150, users=2, groups=0))
    with client_for(emu) as client:
        body = client.get("/phone_number/").json()
    assert len(body["data"]) == 100
    assert body["has_more"] is True


# -- object shapes -------------------------------------------------------------------------------


def test_every_number_carries_every_documented_field(api: httpx.Client) -> None:
    numbers = api.get("/phone_number/").json()["data"]
    assert len(numbers) == 11
    assert all(set(obj) == DOCUMENTED_FIELDS for obj in numbers)


def test_formatted_and_deprecated_fields_are_derived(api: httpx.Client) -> None:
    alice = api.get(f"/phone_number/{ALICE_DIRECT}/").json()
    london = api.get(f"/phone_number/{LONDON}/").json()
    support = api.get(f"/phone_number/{SUPPORT_LINE}/").json()
    assert alice["number_formatted"] == "+1 650-333-4446"
    assert alice["forward_to_formatted"] == "+1 650-555-0100"
    assert (alice["user_id"], alice["is_group_number"]) == (ALICE, False)
    assert london["number_formatted"] == "+44 20 7946 0958"
    assert (london["user_id"], london["is_group_number"]) == (None, True)  # carol + Sales EMEA
    assert london["country"] == "GB"
    assert support["phone_numbers_formatted"] == ["+1 415-555-0199"]
    assert support["inbound_ring_duration"] is None  # Close's "default of 30 seconds"


def test_unknown_number_is_404(api: httpx.Client) -> None:
    response = api.get("/phone_number/phon_doesNotExist/")
    assert response.status_code == 404
    assert "error" in response.json()


def test_users_list_and_get(api: httpx.Client) -> None:
    page = api.get("/user/", params={"_limit": 4}).json()
    rest = api.get("/user/", params={"_skip": 4}).json()
    alice = api.get(f"/user/{ALICE}/").json()
    assert page["has_more"] is True and rest["has_more"] is False
    assert len(page["data"]) + len(rest["data"]) == 6
    assert set(alice) == {
        "id", "email", "first_name", "last_name", "image", "organizations",
        "date_created", "date_updated",
    }  # fmt: skip
    assert alice["email"] == "alice@acme.example"
    assert api.get("/user/user_nobody/").status_code == 404


def test_me_reports_memberships_and_the_phone_permission(
    api: httpx.Client, dave: httpx.Client
) -> None:
    admin = api.get("/me/").json()
    me = dave.get("/me/").json()
    assert admin["email"] == "admin@acme.example"
    assert "manage_group_numbers" in admin["memberships"][0]["permissions_granted"]
    assert admin["memberships"][0]["organization_id"] == admin["organizations"][0]["id"]
    assert me["id"] == DAVE
    assert "manage_group_numbers" not in me["memberships"][0]["permissions_granted"]
    assert [number["id"] for number in me["phone_numbers"]] == [NIGHT_LINE]
    assert dave.get("/me/", params={"_fields": "id,email"}).json() == {
        "id": DAVE,
        "email": "dave@acme.example",
    }


def test_groups_list_without_members_and_get_with_members_only_on_request(
    api: httpx.Client,
) -> None:
    listed = api.get("/group/").json()
    names = api.get("/group/", params={"_fields": "name,members"}).json()
    plain = api.get(f"/group/{SUPPORT}/").json()
    full = api.get(f"/group/{SUPPORT}/", params={"_fields": "name,members"}).json()
    assert listed["has_more"] is False
    assert [set(g) for g in listed["data"]] == [{"id", "name", "organization_id"}] * 3
    assert [g["name"] for g in listed["data"]] == ["Sales EMEA", "Support", "Night Shift"]
    assert names["data"][0] == {"name": "Sales EMEA"}  # the list never carries members
    assert "members" not in plain
    assert full == {
        "name": "Support",
        "members": [
            {"user_id": BOB},
            {"user_id": "user_erin0000000000000000000000000000000000000"},
        ],
    }
    assert api.get("/group/group_nope/").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "status", "needle"),
    [
        ("GET", "/api/v1/nothing/", 404, "Not found."),
        ("GET", "/api/v1/phone_number", 404, "end with a slash: /phone_number/"),
        ("PUT", f"/api/v1/phone_number/{SALES_LINE}", 404, "end with a slash"),
        ("GET", "/api/v1/phone_number/a/b/", 404, "Not found."),
        ("GET", "/elsewhere/", 404, "lives under /api/v1/"),
        ("POST", "/api/v1/phone_number/", 405, "use GET"),
        ("DELETE", f"/api/v1/phone_number/{SALES_LINE}/", 405, "use GET, PUT"),
        ("PATCH", f"/api/v1/phone_number/{SALES_LINE}/", 405, "use GET, PUT"),
    ],
)
def test_unknown_paths_and_methods(
    emulator: Emulator, method: str, path: str, status: int, needle: str
) -> None:
    root = emulator.url.removesuffix("/api/v1")
    response = httpx.request(
        method, root + path, auth=(ADMIN_KEY, ""), json={}, timeout=5, verify=False
    )
    assert response.status_code == status
    assert needle in response.json()["error"]
    if status == 405:
        assert response.headers["Allow"]


# -- PUT: validation -----------------------------------------------------------------------------

E164_MESSAGE = "Enter a phone number in E.164 format, e.g. +16503334444."
PUT_ERRORS: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"label": 5}, {"label": "Not a valid string."}),
    ({"label": None}, {"label": "This field may not be null."}),
    ({"forward_to": None}, {"forward_to": "This field may not be null."}),
    ({"forward_to": "650 555 0100"}, {"forward_to": E164_MESSAGE}),
    ({"forward_to": "+1 650 555 0100"}, {"forward_to": E164_MESSAGE}),
    ({"forward_to": 16505550100}, {"forward_to": "Not a valid string."}),
    ({"forward_to_enabled": "yes"}, {"forward_to_enabled": "Must be a valid boolean."}),
    ({"forward_to_enabled": None}, {"forward_to_enabled": "This field may not be null."}),
    ({"inbound_ring_duration": 14}, {"inbound_ring_duration": "Ensure this value is between 15 and 90."}),
    ({"inbound_ring_duration": 91}, {"inbound_ring_duration": "Ensure this value is between 15 and 90."}),
    ({"inbound_ring_duration": True}, {"inbound_ring_duration": "A valid integer is required."}),
    ({"inbound_ring_duration": "45"}, {"inbound_ring_duration": "A valid integer is required."}),
    ({"inbound_ring_duration": 45.5}, {"inbound_ring_duration": "A valid integer is required."}),
    ({"inbound_ring_duration": None}, {"inbound_ring_duration": "This field may not be null."}),
    ({"press_1_to_accept": 1}, {"press_1_to_accept": "Must be a valid boolean."}),
    ({"voicemail_greeting_url": "http://cdn.example.com/a.mp3"}, {"voicemail_greeting_url": "Enter a secure URL starting with https://."}),
    ({"voicemail_greeting_url": "https://"}, {"voicemail_greeting_url": "Enter a secure URL starting with https://."}),
    ({"voicemail_greeting_url": 3}, {"voicemail_greeting_url": "Not a valid string."}),
    ({"participants": ALICE}, {"participants": 'Expected a list of items but got type "str".'}),
    ({"participants": [ALICE, 7]}, {"participants": "Each item must be a string."}),
    ({"participants": ["user_nobody", ALICE]}, {"participants": "Not a user of this organization: user_nobody."}),
    ({"participants": None}, {"participants": "This field may not be null."}),
    ({"participant_groups": ["group_nope"]}, {"participant_groups": "Not a group of this organization: group_nope."}),
    ({"participant_groups": {}}, {"participant_groups": 'Expected a list of items but got type "dict".'}),
    ({"phone_numbers": ["4155550199"]}, {"phone_numbers": "Not in E.164 format (e.g. +16503334444): 4155550199."}),
    ({"phone_numbers": ["+0123456"]}, {"phone_numbers": "Not in E.164 format (e.g. +16503334444): +0123456."}),
    ({"id": "phon_other"}, {"id": "This field is read-only."}),
    ({"number": "+16503339999"}, {"number": "This field is read-only."}),
    ({"number_formatted": "x"}, {"number_formatted": "This field is read-only."}),
    ({"user_id": ALICE}, {"user_id": "This field is read-only."}),
    ({"is_group_number": False}, {"is_group_number": "This field is read-only."}),
    ({"date_updated": "2030-01-01T00:00:00+00:00"}, {"date_updated": "This field is read-only."}),
    ({"sms_enabled": False}, {"sms_enabled": "This field is read-only."}),
    ({"forwad_to": "+16505550100"}, {"forwad_to": "Unknown field."}),
    ({"members": []}, {"members": "Unknown field."}),
]  # fmt: skip


@pytest.mark.parametrize(("body", "errors"), PUT_ERRORS, ids=[str(b) for b, _ in PUT_ERRORS])
def test_put_field_errors(
    emulator: Emulator, api: httpx.Client, body: dict[str, Any], errors: dict[str, str]
) -> None:
    before = emulator.state.number(SALES_LINE)
    response = api.put(f"/phone_number/{SALES_LINE}/", json=body)
    assert response.status_code == 400
    assert response.json() == {"errors": [], "field-errors": errors}
    assert emulator.state.number(SALES_LINE) == before  # nothing applied, date_updated kept


def test_put_reports_every_field_error_at_once_and_applies_none(
    emulator: Emulator, api: httpx.Client
) -> None:
    before = emulator.state.number(SALES_LINE)
    body = {
        "label": "Fine label",
        "inbound_ring_duration": 5,
        "voicemail_greeting_url": "ftp://x/y.mp3",
        "id": "phon_x",
        "colour": "blue",
    }
    response = api.put(f"/phone_number/{SALES_LINE}/", json=body)
    assert response.json()["field-errors"] == {
        "inbound_ring_duration": "Ensure this value is between 15 and 90.",
        "voicemail_greeting_url": "Enter a secure URL starting with https://.",
        "id": "This field is read-only.",
        "colour": "Unknown field.",
    }
    assert emulator.state.number(SALES_LINE) == before


def test_too_many_groups(start_emulator: Callable[..., Emulator]) -> None:
    emu = start_emulator(generate_seed(1, users=2, groups=41))
    groups = [f"group_gen{g:019d}" for g in range(41)]
    with client_for(emu) as client:
        too_many = client.put(
            "/phone_number/phon_gen" + "0" * 40 + "/", json={"participant_groups": groups}
        )
        forty = client.put(
            "/phone_number/phon_gen" + "0" * 40 + "/",
            json={
                "participant_groups": groups[:40] + groups[:3]  # duplicates count once
            },
        )
    assert too_many.json()["field-errors"] == {
        "participant_groups": "A number accepts at most 40 groups; got 41."
    }
    assert forty.status_code == 200
    assert forty.json()["participant_groups"] == groups[:40]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[]", "The request body must be a JSON object."),
        (b'"label"', "The request body must be a JSON object."),
        (b"", "The request body must be a JSON object."),
        (b"{label: 1}", "The request body is not valid JSON."),
    ],
)
def test_put_body_must_be_a_json_object(api: httpx.Client, content: bytes, message: str) -> None:
    response = api.put(
        f"/phone_number/{SALES_LINE}/",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"errors": [message], "field-errors": {}}


def test_put_to_unknown_number_is_404(api: httpx.Client) -> None:
    assert api.put("/phone_number/phon_nope/", json={"label": "x"}).status_code == 404


# -- PUT: PATCH semantics ------------------------------------------------------------------------


def test_put_changes_only_the_given_fields(emulator: Emulator, api: httpx.Client) -> None:
    before = api.get(f"/phone_number/{SALES_LINE}/").json()
    after = api.put(f"/phone_number/{SALES_LINE}/", json={"label": "Sales line"}).json()
    assert after["label"] == "Sales line"
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"label", "date_updated"}
    assert api.get(f"/phone_number/{SALES_LINE}/").json() == after


def test_put_recomputes_derived_fields(emulator: Emulator, api: httpx.Client) -> None:
    # Bob's personal number, changed by the admin: Close's other possible behaviour.
    emulator.quirks.personal_numbers = False
    emulator.quirks.personal_members = "group"
    path = f"/phone_number/{BOB_DIRECT}/"
    before = api.get(path).json()
    shared = api.put(path, json={"participants": [BOB, ALICE, BOB]}).json()
    forwarded = api.put(
        path, json={"forward_to": "+442079460000", "phone_numbers": ["+14155550123"]}
    ).json()
    assert (before["user_id"], before["is_group_number"]) == (BOB, False)
    assert shared["participants"] == [BOB, ALICE]  # a set on Close's side: duplicates dropped
    assert (shared["user_id"], shared["is_group_number"]) == (None, True)
    assert forwarded["forward_to_formatted"] == "+44 20 7946 0000"
    assert forwarded["phone_numbers_formatted"] == ["+1 415-555-0123"]
    alone = api.put(
        path, json={"participants": [], "participant_groups": ["group_nightShift000000000000"]}
    )
    assert (alone.json()["user_id"], alone.json()["is_group_number"]) == (DAVE, False)


def test_null_greeting_clears_it(api: httpx.Client) -> None:
    response = api.put(f"/phone_number/{SALES_LINE}/", json={"voicemail_greeting_url": None})
    assert response.status_code == 200
    assert response.json()["voicemail_greeting_url"] is None


def test_date_updated_strictly_increases_even_within_a_millisecond(api: httpx.Client) -> None:
    stamps = [
        api.put(f"/phone_number/{LONDON}/", json={"label": f"L{i}"}).json()["date_updated"]
        for i in range(30)
    ]
    stamps.append(api.put(f"/phone_number/{SALES_LINE}/", json={}).json()["date_updated"])
    assert all(stamp.endswith("+00:00") for stamp in stamps)
    moments = [datetime.fromisoformat(stamp) for stamp in stamps]
    assert moments == sorted(set(moments))
    created = datetime.fromisoformat(api.get(f"/phone_number/{LONDON}/").json()["date_created"])
    assert created < moments[0]


def test_state_hook_lets_a_test_drift_the_account(emulator: Emulator, api: httpx.Client) -> None:
    before = api.get(f"/phone_number/{LONDON}/").json()
    emulator.state.set_number_fields(LONDON, {"label": "Edited in the app"})
    after = api.get(f"/phone_number/{LONDON}/").json()
    assert after["label"] == "Edited in the app"
    assert after["date_updated"] > before["date_updated"]
    assert emulator.state.numbers_by_id()[LONDON] == after
    assert LONDON in emulator.state and "phon_nope" not in emulator.state


# -- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic YXBpX3dyb25nLnNlY3JldDEyMzo="},  # api_wrong.secret123:
        {"Authorization": "Bearer oauth_wrong.secret123"},
        {"Authorization": "Basic %%%"},
        {"Authorization": "Token api_wrong.secret123"},
    ],
    ids=["none", "wrong-key", "wrong-bearer", "malformed-basic", "other-scheme"],
)
def test_unauthenticated_requests_are_401_without_echoing_the_credential(
    emulator: Emulator, headers: dict[str, str]
) -> None:
    response = httpx.get(emulator.url + "/phone_number/", headers=headers, timeout=5, verify=False)
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert "secret123" not in response.text
    assert "secret123" not in str(response.headers)
    assert emulator.requests[-1].status == 401


def test_bearer_token_and_basic_with_any_password_work(emulator: Emulator) -> None:
    bearer = httpx.get(
        emulator.url + "/me/",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=5,
        verify=False,
    )
    basic = httpx.get(emulator.url + "/me/", auth=(ADMIN_KEY, "X"), timeout=5, verify=False)
    assert bearer.status_code == basic.status_code == 200
    assert bearer.json()["email"] == "admin@acme.example"


def test_credentials_never_reach_the_log_or_reprs(emulator: Emulator, api: httpx.Client) -> None:
    api.get("/me/")
    api.put(f"/phone_number/{LONDON}/", json={"label": "x"})
    httpx.get(emulator.url + "/me/", auth=("api_typo.secret", ""), timeout=5, verify=False)
    shown = repr(emulator.requests) + repr(emulator.state.credentials)
    for secret in (ADMIN_KEY, DAVE_KEY, ADMIN_TOKEN, "api_typo.secret"):
        assert secret not in shown


# -- permissions ---------------------------------------------------------------------------------


def test_restricted_user_may_change_label_greeting_and_forwarding_of_own_number(
    dave: httpx.Client,
) -> None:
    body = {
        "label": "Dave's night line",
        "voicemail_greeting_url": "https://cdn.acme.example/night.mp3",
        "forward_to": "+16505550199",
        "forward_to_enabled": True,
    }
    response = dave.put(f"/phone_number/{NIGHT_LINE}/", json=body)
    assert response.status_code == 200
    assert {key: response.json()[key] for key in body} == body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inbound_ring_duration": 45}, "inbound_ring_duration"),
        ({"participants": [DAVE, ALICE]}, "participants"),
        ({"participant_groups": [SUPPORT]}, "participant_groups"),
        ({"phone_numbers": []}, "phone_numbers"),
        ({"label": "ok", "press_1_to_accept": True}, "press_1_to_accept"),
    ],
)
def test_restricted_user_may_not_change_other_fields(
    emulator: Emulator, dave: httpx.Client, body: dict[str, Any], field: str
) -> None:
    before = emulator.state.number(NIGHT_LINE)
    response = dave.put(f"/phone_number/{NIGHT_LINE}/", json=body)
    assert response.status_code == 403
    assert response.json() == {
        "error": f'You need the "Manage Team Phone Numbers" permission to change {field}.'
    }
    assert emulator.state.number(NIGHT_LINE) == before


@pytest.mark.parametrize(
    ("number_id", "error"),
    [
        (
            SALES_LINE,
            'You need the "Manage Team Phone Numbers" permission to change a number you are not '
            "the only member of.",
        ),
        (BOB_DIRECT, "You can only update your own personal numbers."),
    ],
    ids=["shared", "not-a-member"],
)
def test_restricted_user_may_not_touch_numbers_they_are_not_alone_on(
    emulator: Emulator, dave: httpx.Client, number_id: str, error: str
) -> None:
    response = dave.put(f"/phone_number/{number_id}/", json={"label": "mine now"})
    assert response.status_code == 403
    assert response.json() == {"error": error}


def test_restricted_user_reads_everything_and_gets_400_before_403(dave: httpx.Client) -> None:
    assert len(dave.get("/phone_number/").json()["data"]) == 11
    invalid = dave.put(f"/phone_number/{SALES_LINE}/", json={"inbound_ring_duration": 5})
    assert invalid.status_code == 400


def test_admin_may_change_anything(api: httpx.Client) -> None:
    body = {
        "participants": [ALICE, BOB],
        "participant_groups": [SALES_EMEA],
        "inbound_ring_duration": 45,
        "press_1_to_accept": True,
        "phone_numbers": ["+14155550100"],
    }
    response = api.put(f"/phone_number/{SALES_LINE}/", json=body)
    assert response.status_code == 200
    assert {key: response.json()[key] for key in body} == body


# -- request log ---------------------------------------------------------------------------------


def test_request_log_records_what_was_asked_and_answered(
    emulator: Emulator, api: httpx.Client
) -> None:
    api.get("/phone_number/", params={"_limit": 2, "_fields": "id"})
    api.put(f"/phone_number/{LONDON}/", json={"label": "HQ"})
    api.put(f"/phone_number/{LONDON}/", json={"label": 1})
    httpx.get(emulator.url.removesuffix("/api/v1") + "/favicon.ico", timeout=5, verify=False)
    assert emulator.requests == [
        RecordedRequest("GET", "/phone_number/", {"_limit": "2", "_fields": "id"}, None, 200),
        RecordedRequest("PUT", f"/phone_number/{LONDON}/", {}, {"label": "HQ"}, 200),
        RecordedRequest("PUT", f"/phone_number/{LONDON}/", {}, {"label": 1}, 400),
        RecordedRequest("GET", "/favicon.ico", {}, None, 404),
    ]
    snapshot = emulator.requests
    emulator.reset_log()
    assert emulator.requests == []
    assert len(snapshot) == 4  # a snapshot, not a live view
    api.get("/me/")
    assert [r.path for r in emulator.requests] == ["/me/"]


# -- seeds ---------------------------------------------------------------------------------------


def test_no_seed_serves_an_empty_org_with_one_admin(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu = start_emulator(None)
    with client_for(emu) as client:
        assert client.get("/phone_number/").json() == {"data": [], "has_more": False}
        me = client.get("/me/").json()
    assert "manage_group_numbers" in me["memberships"][0]["permissions_granted"]


def test_admin_key_is_the_first_key_whose_user_may_manage_numbers() -> None:
    seed = generate_seed(0, users=2, groups=0)
    seed["api_keys"].reverse()  # the restricted user's key first
    assert Emulator(seed).admin_key == "api_gen_admin.fake0"
    seed["users"][0]["permissions"] = []
    with pytest.raises(LookupError):
        _ = Emulator(seed).admin_key


def test_the_acme_seed_covers_every_number_of_the_example_file() -> None:
    seed = load_seed(EXAMPLES / "emulator-seed.yaml")
    desired = yaml.safe_load((EXAMPLES / "numbers.yaml").read_text())["numbers"]
    numbers = {n["number"] for n in seed["numbers"]}
    ids = {n.get("id") for n in seed["numbers"]}
    for key in desired:
        if key.startswith("phon_"):
            assert key in ids
        else:
            parsed = phonenumbers.parse(key)
            assert (
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) in numbers
            )
    assert 8 <= len(seed["numbers"]) <= 15
    assert len(seed["numbers"]) > len(desired)  # some numbers are unmanaged
    assert seed["api_keys"][0]["user"] == "admin@acme.example"
    dave = next(u for u in seed["users"] if u["email"] == "dave@acme.example")
    assert dave["id"] == DAVE and "manage_group_numbers" not in dave.get("permissions", [])
    assert (EXAMPLES / "emulator-seed.yaml").read_text().startswith("# THE KEYS")


BAD_SEEDS: list[tuple[dict[str, Any], str]] = [
    ({"api_keys": [{"key": "k", "user": "a@x.example"}], "colour": 1}, "$.colour: unknown key 'colour'"),
    ({1: "a key YAML cannot give, but a dict can"}, "$[1]: unknown key '1'"),
    ({"users": [{"first_name": "No email"}]}, "$.users[0]: missing required key 'email'"),
    ({"users": [{"email": "a@x.example"}, {"email": "A@x.example"}]}, "$.users[1].email: duplicate email"),
    ({"users": [{"email": "a@x.example", "id": "alice"}]}, "$.users[0].id: a user id starts with user_"),
    ({"api_keys": []}, "$.api_keys: at least one API key or OAuth token"),
    ({"api_keys": [{"key": "k", "user": "ghost@x.example"}]}, "$.api_keys[0].user: 'ghost@x.example' is neither"),
    ({"numbers": [{"number": "650 333 4444"}]}, '$.numbers[0].number: must be in E.164 format (e.g. +16503334444), got "650 333 4444"'),
    ({"numbers": [{"label": "no number"}]}, "$.numbers[0]: missing required key 'number'"),
    ({"numbers": [{"number": "+16503334444", "inbound_ring_duration": 5}]}, "$.numbers[0].inbound_ring_duration: Ensure this value is between 15 and 90."),
    ({"numbers": [{"number": "+16503334444", "participants": ["nobody@x.example"]}]}, "$.numbers[0].participants: Not a user of this organization: nobody@x.example."),
    ({"numbers": [{"number": "+16503334444", "type": "mobile"}]}, "$.numbers[0].type: Invalid value 'mobile'."),
    ({"numbers": [{"number": "+16503334444", "colour": "red"}]}, "$.numbers[0].colour: Unknown field."),
    ({"numbers": [{"number": "+16503334444"}, {"number": "+16503334444"}]}, "$.numbers[1].number: duplicate number"),
    ({"groups": [{"name": "G"}, {"name": "G"}]}, "$.groups[1].name: duplicate group name 'G'"),
    ({"faults": {"error_rate": 2}}, "$.faults: error_rate must be between 0 and 1"),
    ({"faults": {"schedule": ["boom"]}}, "$.faults: unknown fault names ['boom']"),
    ({"rate_limits": {"groups": {"PUT phone_number": [0, 1]}}}, "$.rate_limits.groups['PUT phone_number'].limit: must be a positive integer, got 0"),
    ({"rate_limits": {"separator": "|"}}, "$.rate_limits.separator: must be"),
]  # fmt: skip


@pytest.mark.parametrize(("patch", "needle"), BAD_SEEDS, ids=[n for _, n in BAD_SEEDS])
def test_bad_seeds_are_refused_with_a_clear_message(patch: dict[str, Any], needle: str) -> None:
    seed: dict[str, Any] = {
        "users": [{"email": "a@x.example", "permissions": ["manage_group_numbers"]}],
        "api_keys": [{"key": "api_a.fake", "user": "a@x.example"}],
    }
    seed.update(patch)
    with pytest.raises(SeedError) as caught:
        load_seed(seed)
    assert any(needle in line for line in caught.value.details)
    assert "api_a.fake" not in str(caught.value.details)


def test_a_seed_reports_every_problem_at_once() -> None:
    with pytest.raises(SeedError) as caught:
        load_seed({"users": [{}], "numbers": [{"number": "x"}], "faults": {"latency": "slow"}})
    assert len(caught.value.problems) == 4  # email, credentials, number, faults


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "users: []\nusers: []\n",
            'seed.yaml:2:1: $: duplicate key "users" (first defined at line 1)',
        ),
        ("users: [\n", "seed.yaml:2:1: $: YAML syntax error: did not find expected node content"),
        ("- just\n- a list\n", "seed.yaml:1:1: $: must be a mapping, got a list"),
    ],
)
def test_bad_seed_files_are_refused(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(text)
    with pytest.raises(SeedError) as caught:
        Emulator(path)
    assert caught.value.message == f"invalid emulator seed {path}"
    assert caught.value.details[0].startswith(f"{tmp_path}{os.sep}{needle}")


def test_a_seed_file_s_problems_are_shown_at_their_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(
        "users:\n"
        "  - email: a@x.example\n"
        "    permissions: [manage_group_numbers]\n"
        "  - email: A@x.example\n"
        "    colour: red\n"
        "api_keys:\n"
        "  - {key: api_a.fake, user: ghost@x.example}\n"
        "numbers:\n"
        "  - number: '650 333 4444'\n"
    )
    with pytest.raises(SeedError) as caught:
        load_seed(path)
    assert [caught.value.message, *caught.value.details] == [
        f"invalid emulator seed {path}",
        f"{path}:4:5: $.users[1].id: duplicate user id {make_id('user', 'a@x.example')}",
        f"{path}:4:12: $.users[1].email: duplicate email A@x.example",
        f"{path}:5:5: $.users[1].colour: unknown key 'colour'",
        f"{path}:7:3: $.api_keys: at least one API key or OAuth token is needed to call the API",
        f"{path}:7:29: $.api_keys[0].user: 'ghost@x.example' is neither a user id nor the email of a user",
        f'{path}:9:13: $.numbers[0].number: must be in E.164 format (e.g. +16503334444), got "650 333 4444"',
    ]
    assert caught.value.hint == "The seed format is described in docs/emulator.md."


def test_missing_seed_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError) as caught:
        load_seed(tmp_path / "absent.yaml")
    assert caught.value.details == ("$: cannot read the file: no such file",)


def test_seed_names_participants_by_email_and_groups_by_name() -> None:
    seed = load_seed(None)
    seed["groups"] = [{"name": "Night Shift", "members": ["admin@emulator.example"]}]
    seed["numbers"] = [
        {"number": "+16503334444", "participants": ["ADMIN@emulator.example"],
         "participant_groups": ["Night Shift"]},
    ]  # fmt: skip
    emu = Emulator(seed)
    (number,) = emu.state.numbers()
    assert number["participants"] == [emu.state.users[0].id]
    assert number["participant_groups"] == [emu.state.groups[0].id]
    assert number["id"].startswith("phon_") and len(number["id"]) == 48


@pytest.mark.slow
def test_generated_seeds_are_deterministic_and_large_ones_build(
    large_seed: dict[str, Any],
) -> None:
    # How fast they build is for `make bench`, not for a test on a shared machine.
    assert generate_seed(50) == generate_seed(50)
    assert generate_seed(50) != generate_seed(50, seed=1)
    seed = generate_seed(10_000)
    emu = Emulator(seed)
    assert seed == large_seed
    assert len(emu.state) == 10_000


def test_nanp_formatting_shortcut_agrees_with_phonenumbers() -> None:
    rng = random.Random(7)
    samples = [f"+1{rng.randint(2, 9)}{rng.randint(0, 99):02d}{rng.randint(2, 9)}"
               f"{rng.randint(0, 999_999):06d}" for _ in range(500)]  # fmt: skip
    samples += ["+18005550100", "+19115550100", "+12125550100"]
    for number in samples:
        parsed = phonenumbers.parse(number)
        expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        assert format_number(number) == expected, number
    assert re.fullmatch(r"\+44 20 7946 0958", format_number("+442079460958"))


def test_the_seed_schema_is_shipped_and_every_key_of_it_is_documented() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    included = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    path = "schemas/emulator-seed.schema.json"
    assert included[path] == f"numbersync/{path}"
    doc = (REPO / "docs/emulator.md").read_text()
    schema = seed_schema()
    keys = set(schema["properties"])
    for section in ("other_organizations", "roles", "groups", "api_keys", "oauth_tokens"):
        keys |= set(schema["properties"][section]["items"]["properties"])
    keys |= set(schema["$defs"]["user"]["properties"])
    keys |= {f.name for c in (Quirks, Faults, RateLimits) for f in dataclasses.fields(c) if f.init}
    missing = sorted(key for key in keys if f"`{key}`" not in doc and f"`users[].{key}`" not in doc)
    assert missing == []
