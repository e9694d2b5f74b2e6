"""CloseClient against the emulator over real sockets: exactly the requests a plan needs, retries
through each kind of fault, Close's errors mapped to their messages, and a paced apply that
runs at the server's limit without one 429."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from helpers import FakeTime

from numbersync.close import CloseClient, Settings
from numbersync.emulator import (
    MANAGE_PERMISSION,
    Emulator,
    Faults,
    RateLimits,
    RecordedRequest,
    generate_seed,
)
from numbersync.errors import ApiError

Start = Callable[..., Emulator]
ADMIN_TOKEN = "oauth_gen_admin.fake0"  # generate_seed's OAuth token for the admin
RESTRICTED_KEY = "api_gen_user1.fake0"  # generate_seed's key of a user without the permission


def client_for(
    emu: Emulator, *, key: str | None = None, token: str | None = None, **kw: Any
) -> CloseClient:
    env = {"CLOSE_API_URL": emu.url}
    if token is not None:
        env["CLOSE_ACCESS_TOKEN"] = token
    else:
        env["CLOSE_API_KEY"] = key if key is not None else emu.admin_key
    return CloseClient(Settings.from_env(env), **kw)


def calls(emu: Emulator, method: str, path: str) -> list[RecordedRequest]:
    return [r for r in emu.requests if r.method == method and r.path == path]


@pytest.mark.parametrize("count", [0, 1, 100, 101, 250])
def test_reading_n_numbers_takes_ceil_n_over_100_requests(
    start_emulator: Start, count: int
) -> None:
    emu = start_emulator(generate_seed(count))
    with client_for(emu) as client:
        numbers = client.list_phone_numbers()
    assert len(numbers) == count
    assert len({n.id for n in numbers}) == count
    lists = calls(emu, "GET", "/phone_number/")
    assert len(lists) == max(1, math.ceil(count / 100))
    assert len(emu.requests) == len(lists)  # nothing else, and never one GET per number
    assert [r.query["_skip"] for r in lists] == [str(100 * i) for i in range(len(lists))]
    assert {r.query["_limit"] for r in lists} == {"100"}
    assert "participants" in lists[0].query["_fields"].split(",")
    if count:
        assert numbers[0].number == "+16502000000"
        assert numbers[0].number_formatted != ""
        assert set(numbers[0].fields) <= set(numbers[0].raw)


def test_users_groups_and_me(start_emulator: Start) -> None:
    emu = start_emulator(generate_seed(2, users=150, groups=3))
    with client_for(emu) as client:
        users = client.list_users()
        groups = client.list_groups()
        me = client.me()
    assert len(users) == 150
    assert users[0].email == "admin@gen.example"
    assert len(calls(emu, "GET", "/user/")) == 2
    assert [g.name for g in groups] == ["Group 0", "Group 1", "Group 2"]
    (group_call,) = calls(emu, "GET", "/group/")
    assert group_call.query == {"_fields": "id,name,organization_id"}
    assert me.email == "admin@gen.example"
    (membership,) = me.memberships
    assert membership.permissions is not None and MANAGE_PERMISSION in membership.permissions
    assert all(u.member_of(membership.organization_id) for u in users)


def test_an_access_token_works_too(start_emulator: Start) -> None:
    emu = start_emulator(generate_seed(1))
    with client_for(emu, token=ADMIN_TOKEN) as client:
        assert client.me().email == "admin@gen.example"


# --- retries through faults --------------------------------------------------------------------


@pytest.mark.parametrize("separator", [", ", "; "])
@pytest.mark.parametrize("retry_after", [True, False], ids=["retry-after", "no-retry-after"])
@pytest.mark.parametrize("body", [True, False], ids=["json-body", "empty-body"])
def test_a_429_is_waited_out(
    start_emulator: Start, separator: str, retry_after: bool, body: bool
) -> None:
    limits = RateLimits(
        limit=1,
        window=0.3,
        reset_format="float",
        separator=separator,
        retry_after=retry_after,
        body_on_429=body,
    )
    # One clock for both sides: the client's retry sleep is what moves the emulator's window.
    fake = FakeTime()
    emu = start_emulator(generate_seed(1), rate_limits=limits, clock=fake.clock)
    # Unpaced, so that the second call really meets the limit.
    with client_for(emu, pace=False, clock=fake.clock, sleep=fake.sleep) as client:
        client.me()
        assert client.me().email == "admin@gen.example"
    assert [r.status for r in emu.requests] == [200, 429, 200]
    assert client.stats.statuses[429] == 1
    # The window's float reset (0.3 s from the first request) plus up to 0.05 of jitter, not
    # Retry-After's whole second.
    (slept,) = fake.sleeps
    assert 0.3 <= slept <= 0.35


def test_a_burst_of_429s_from_the_ingress(start_emulator: Start) -> None:
    limits = RateLimits(reset_format="int", separator="; ", retry_after=False, body_on_429=False)
    emu = start_emulator(
        generate_seed(3), faults=Faults(schedule=["429", "429"]), rate_limits=limits
    )
    with client_for(emu) as client:
        assert len(client.list_phone_numbers()) == 3
    assert [r.status for r in emu.requests] == [429, 429, 200]
    assert client.stats.statuses[429] == 2
    assert client.stats.retry_wait >= 2.0  # reset=1 twice


def test_a_503_then_success(start_emulator: Start) -> None:
    emu = start_emulator(generate_seed(3), faults=Faults(schedule=["503", "500"]))
    with client_for(emu) as client:
        assert len(client.list_phone_numbers()) == 3
    assert [r.status for r in emu.requests] == [503, 500, 200]


def test_a_dropped_connection_then_success(start_emulator: Start) -> None:
    emu = start_emulator(generate_seed(3), faults=Faults(schedule=["drop"], match="PUT"))
    with client_for(emu) as client:
        number_id = client.list_phone_numbers()[0].id
        live = client.update_phone_number(number_id, {"label": "After a drop"})
    assert live.fields["label"] == "After a drop"
    puts = [r for r in emu.requests if r.method == "PUT"]
    assert [r.status for r in puts] == [0, 200]  # 0: the connection closed without an answer
    assert client.stats.transport_errors == 1


def test_a_put_applied_before_a_504_is_safely_repeated(start_emulator: Start) -> None:
    emu = start_emulator(generate_seed(3), faults=Faults(schedule=["504-after-write"], match="PUT"))
    with client_for(emu) as client:
        number_id = client.list_phone_numbers()[0].id
        live = client.update_phone_number(
            number_id, {"label": "Twice", "inbound_ring_duration": 45}
        )
        again = client.get_phone_number(number_id)
    assert [r.status for r in emu.requests if r.method == "PUT"] == [504, 200]
    assert live.fields["label"] == again.fields["label"] == "Twice"
    assert again.fields["inbound_ring_duration"] == 45


def test_retries_give_up_with_a_clear_error(start_emulator: Start) -> None:
    emu = start_emulator(generate_seed(1), faults=Faults(error_rate=1.0, error_statuses=[503]))
    with client_for(emu, max_attempts=3) as client, pytest.raises(ApiError) as caught:
        client.list_phone_numbers()
    assert len(emu.requests) == 3
    assert caught.value.status == 503
    assert caught.value.message == (
        "GET /phone_number/ (503): gave up after 3 attempts: 503 Service Unavailable: "
        "Service temporarily unavailable. (emulated fault)"
    )


# --- Close's errors ----------------------------------------------------------------------------


def test_a_wrong_key_or_token_is_named(start_emulator: Start) -> None:
    emu = start_emulator(generate_seed(1))
    with client_for(emu, key="api_wrong") as client, pytest.raises(ApiError) as caught:
        client.me()
    assert caught.value.detail == "CLOSE_API_KEY was rejected"
    with client_for(emu, token="oauth_wrong") as client, pytest.raises(ApiError) as caught:
        client.me()
    assert caught.value.detail == "CLOSE_ACCESS_TOKEN was rejected"
    assert len(emu.requests) == 2  # never retried


def test_403_404_and_400_carry_close_words(start_emulator: Start) -> None:
    emu = start_emulator(generate_seed(3))
    with client_for(emu) as admin:
        number_id = admin.list_phone_numbers()[0].id
        with pytest.raises(ApiError) as missing:
            admin.get_phone_number("phon_missing")
        with pytest.raises(ApiError) as invalid:
            admin.update_phone_number(number_id, {"inbound_ring_duration": 5, "color": "red"})
    with client_for(emu, key=RESTRICTED_KEY) as restricted, pytest.raises(ApiError) as denied:
        restricted.update_phone_number(number_id, {"participants": []})
    assert missing.value.detail == "phone number phon_missing not found"
    assert invalid.value.status == 400
    assert set(invalid.value.field_errors) == {"inbound_ring_duration", "color"}
    assert denied.value.status == 403
    assert denied.value.detail == (
        'not allowed: You need the "Manage Team Phone Numbers" permission to change participants.'
    )
    assert all(r.status in (200, 400, 403, 404) for r in emu.requests)
    assert len(emu.requests) == 4


# --- pacing ------------------------------------------------------------------------------------


def apply_labels(client: CloseClient, ids: list[str], workers: int) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(
            pool.map(
                lambda pair: client.update_phone_number(pair[1], {"label": f"L{pair[0]}"}),
                enumerate(ids),
            )
        )
    assert [r.fields["label"] for r in results] == [f"L{i}" for i in range(len(ids))]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("reset_format", "limit", "count", "workers"),
    [("int", 50, 300, 4), ("float", 100, 200, 8)],
)
def test_a_paced_apply_meets_no_429(
    start_emulator: Start, reset_format: str, limit: int, count: int, workers: int
) -> None:
    limits = RateLimits(groups={"PUT phone_number": (limit, 1.0)}, reset_format=reset_format)
    emu = start_emulator(generate_seed(count), rate_limits=limits, faults=Faults(latency=0.05))
    with client_for(emu) as client:
        ids = [n.id for n in client.list_phone_numbers()]
        apply_labels(client, ids, workers)
    puts = [r for r in emu.requests if r.method == "PUT"]
    assert [r.status for r in puts].count(429) == 0
    assert client.stats.statuses[429] == 0
    assert len(puts) == count  # no retries either
    # How close to the limit it runs is measured by `make bench`, not asserted here.


def test_the_client_reads_a_role_and_its_permissions(start_emulator: Start) -> None:
    emu = start_emulator(generate_seed(0))
    with client_for(emu) as client:
        superuser = client.role("superuser")
        with pytest.raises(ApiError) as caught:
            client.role("role_nope")
    assert (superuser.id, superuser.name) == ("superuser", "Super User")
    assert superuser.permissions is not None and MANAGE_PERMISSION in superuser.permissions
    assert caught.value.status == 404
    assert [r.path for r in emu.requests] == ["/role/superuser/", "/role/role_nope/"]
