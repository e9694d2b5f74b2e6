"""The emulator's rate limits and injected faults: the header variants seen from Close, 429s per
key and endpoint group, window resets, and every fault kind, reproducibly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from numbersync.emulator import Emulator, Faults, RateLimits, generate_seed

pytestmark = pytest.mark.usefixtures("time_limit")

NUMBER = "phon_gen" + "0" * 40
PATH = f"/phone_number/{NUMBER}/"


def make(start_emulator: Callable[..., Emulator], **kwargs: Any) -> tuple[Emulator, httpx.Client]:
    emu = start_emulator(generate_seed(3, users=2, groups=1), **kwargs)
    # verify=False: plain http on loopback; it spares loading the CA bundle for every client.
    client = httpx.Client(base_url=emu.url, auth=(emu.admin_key, ""), timeout=5, verify=False)
    return emu, client


def label(emu: Emulator) -> Any:
    number = emu.state.number(NUMBER)
    assert number is not None
    return number["label"]


def header_fields(value: str, separator: str = ", ") -> dict[str, str]:
    return dict(part.split("=") for part in value.split(separator))


# -- rate limits ---------------------------------------------------------------------------------


def test_default_limits_are_generous_and_advertised(
    start_emulator: Callable[..., Emulator],
) -> None:
    _emu, client = make(start_emulator)
    with client:
        statuses = {client.get("/phone_number/").status_code for _ in range(50)}
        header = client.get("/me/").headers["RateLimit"]
    assert statuses == {200}
    assert header_fields(header) == {"limit": "1000", "remaining": "999", "reset": "1"}


def test_burst_then_429_then_the_window_resets(start_emulator: Callable[..., Emulator]) -> None:
    limits = RateLimits(groups={"PUT phone_number": (3, 0.6)})
    emu, client = make(start_emulator, rate_limits=limits)
    with client:
        allowed = [client.put(PATH, json={"label": f"L{i}"}) for i in range(3)]
        refused = client.put(PATH, json={"label": "too many"})
        other_group = client.get(PATH)
        # The same user's OAuth token is another credential, so another bucket.
        token = {"Authorization": "Bearer oauth_gen_admin.fake0"}
        with httpx.Client(base_url=emu.url, headers=token, verify=False) as other:
            other_credential = other.put(PATH, json={"label": "x"})
        time.sleep(0.65)
        after_reset = client.put(PATH, json={"label": "again"})
    assert [header_fields(r.headers["RateLimit"])["remaining"] for r in allowed] == ["2", "1", "0"]
    assert refused.status_code == 429
    assert header_fields(refused.headers["RateLimit"]) == {
        "limit": "3",
        "remaining": "0",
        "reset": "1",
    }
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["rate_limit"] == 3
    assert other_group.status_code == 200
    assert other_credential.status_code == 200
    assert after_reset.status_code == 200
    assert label(emu) == "again"
    assert [r.status for r in emu.requests if r.method == "PUT"] == [200, 200, 200, 429, 200, 200]


@pytest.mark.parametrize(
    ("limits", "header_check"),
    [
        (
            RateLimits(limit=2, separator="; "),
            lambda h: h.startswith("limit=2; remaining=0; reset="),
        ),
        (RateLimits(limit=2, reset_format="float"), lambda h: float(h.rsplit("=", 1)[1]) <= 1.0),
    ],
    ids=["semicolons", "float-reset"],
)
def test_header_variants(
    start_emulator: Callable[..., Emulator],
    limits: RateLimits,
    header_check: Callable[[str], bool],
) -> None:
    _emu, client = make(start_emulator, rate_limits=limits)
    with client:
        responses = [client.get("/me/") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert header_check(responses[1].headers["RateLimit"])
    assert header_check(responses[2].headers["RateLimit"])


def test_429_without_retry_after_or_body_like_an_ingress(
    start_emulator: Callable[..., Emulator],
) -> None:
    limits = RateLimits(limit=1, retry_after=False, body_on_429=False)
    _emu, client = make(start_emulator, rate_limits=limits)
    with client:
        client.get("/me/")
        refused = client.get("/me/")
    assert refused.status_code == 429
    assert "Retry-After" not in refused.headers
    assert refused.content == b""
    assert refused.headers["Content-Length"] == "0"
    assert "RateLimit" in refused.headers


def test_limits_can_be_disabled_and_changed_while_running(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu, client = make(start_emulator, rate_limits=RateLimits(limit=None))
    with client:
        free = client.get("/me/")
        emu.rate_limits.limit, emu.rate_limits.window = 1, 5.0
        first, second = client.get("/me/"), client.get("/me/")
        emu.rate_limits.groups["GET me"] = None  # one group unlimited again
        third = client.get("/me/")
    assert "RateLimit" not in free.headers
    assert (first.status_code, second.status_code, third.status_code) == (200, 429, 200)


def test_rate_limits_validate_their_settings() -> None:
    with pytest.raises(ValueError, match="separator"):
        RateLimits(separator=" | ")
    with pytest.raises(ValueError, match="positive integer"):
        RateLimits.from_mapping({"groups": {"GET me": [0, 1]}})
    parsed = RateLimits.from_mapping(
        {"limit": 5, "window": 2, "groups": {"PUT phone_number": [1, 1]}}
    )
    assert parsed.for_group("PUT phone_number") == (1, 1.0)
    assert parsed.for_group("GET me") == (5, 2.0)


# -- faults --------------------------------------------------------------------------------------


def test_latency_is_added_to_every_response(start_emulator: Callable[..., Emulator]) -> None:
    _emu, client = make(start_emulator, faults=Faults(latency=0.15))
    with client:
        started = time.perf_counter()
        for _ in range(3):
            assert client.get("/me/").status_code == 200
        elapsed = time.perf_counter() - started
    assert 0.45 <= elapsed < 2.0


def test_error_rate_answers_5xx_without_touching_the_state(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu, client = make(start_emulator, faults=Faults(error_rate=1.0, error_statuses=[503]))
    before = emu.state.number(NUMBER)
    with client:
        response = client.put(PATH, json={"label": "never applied"})
    assert response.status_code == 503
    assert "error" in response.json()
    assert emu.state.number(NUMBER) == before
    assert emu.requests[-1].status == 503


def test_shares_are_reproducible_from_the_seed(start_emulator: Callable[..., Emulator]) -> None:
    def statuses(seed: int) -> list[int]:
        faults = Faults(error_rate=0.3, rate_429=0.2, seed=seed)
        _emu, client = make(start_emulator, faults=faults)
        with client:
            return [client.get("/me/").status_code for _ in range(60)]

    first, again, other = statuses(1), statuses(1), statuses(2)
    assert first == again
    assert first != other
    errors = sum(s >= 500 for s in first)
    throttled = sum(s == 429 for s in first)
    assert 8 <= errors <= 30 and 3 <= throttled <= 22
    assert set(first) <= {200, 429, 500, 502, 503, 504}


def test_schedule_is_consumed_in_order_and_502_504_look_like_a_gateway(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu, client = make(start_emulator, faults=Faults(schedule=["503", "ok", "502", "504", "500"]))
    with client:
        responses = [client.get("/me/") for _ in range(6)]
    assert [r.status_code for r in responses] == [503, 200, 502, 504, 500, 200]
    assert responses[2].headers["Content-Type"] == "text/html"
    assert responses[0].json()["error"]
    assert emu.faults.schedule == []


def test_schedule_applies_only_to_matching_requests(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu, client = make(start_emulator, faults=Faults(schedule=["503", "503"], match="PUT"))
    with client:
        reads = [client.get(PATH).status_code for _ in range(3)]
        writes = [client.put(PATH, json={"label": f"w{i}"}).status_code for i in range(3)]
    assert reads == [200, 200, 200]
    assert writes == [503, 503, 200]
    assert label(emu) == "w2"


def test_match_by_method_and_path_prefix() -> None:
    faults = Faults(match="GET /phone_number/")
    assert faults.matches("GET", "/phone_number/")
    assert faults.matches("get", f"/phone_number/{NUMBER}/")
    assert not faults.matches("PUT", "/phone_number/")
    assert not faults.matches("GET", "/me/")
    assert Faults(match="/user/").matches("GET", "/user/")


def test_scheduled_429_carries_the_rate_limit_headers(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu, client = make(start_emulator, faults=Faults(schedule=["429"]))
    with client:
        response = client.put(PATH, json={"label": "not applied"})
    assert response.status_code == 429
    assert header_fields(response.headers["RateLimit"])["remaining"] == "0"
    assert response.headers["Retry-After"] == "1"
    assert label(emu) == "Line 0"


@pytest.mark.parametrize(
    "faults", [Faults(schedule=["drop"]), Faults(drop_rate=1.0)], ids=["scheduled", "share"]
)
def test_drop_closes_the_connection_without_a_response(
    start_emulator: Callable[..., Emulator], faults: Faults
) -> None:
    emu, client = make(start_emulator, faults=faults)
    with client, pytest.raises(httpx.TransportError):
        client.put(PATH, json={"label": "lost"})
    assert emu.requests[-1].status == 0
    assert emu.requests[-1].body == {"label": "lost"}
    assert label(emu) == "Line 0"


def test_after_a_drop_the_next_request_gets_through(
    start_emulator: Callable[..., Emulator],
) -> None:
    _emu, client = make(start_emulator, faults=Faults(schedule=["ok", "drop"]))
    with client:
        assert client.get("/me/").status_code == 200  # opens a keep-alive connection
        with pytest.raises(httpx.TransportError):
            client.get("/me/")
        assert client.get("/me/").status_code == 200


def test_slow_body_dribbles_the_response(start_emulator: Callable[..., Emulator]) -> None:
    _emu, client = make(start_emulator, faults=Faults(slow_body=0.4))
    with client:
        started = time.perf_counter()
        response = client.get("/phone_number/")
        elapsed = time.perf_counter() - started
        with pytest.raises(httpx.ReadTimeout):
            client.get("/phone_number/", timeout=httpx.Timeout(5, read=0.02))
    assert response.status_code == 200
    assert len(response.json()["data"]) == 3  # intact, just slow
    assert 0.35 <= elapsed < 3.0


def test_scheduled_slow_uses_a_default_duration(start_emulator: Callable[..., Emulator]) -> None:
    _emu, client = make(start_emulator, faults=Faults(schedule=["slow"]))
    with client:
        started = time.perf_counter()
        assert client.get("/me/").status_code == 200
        slow = time.perf_counter() - started
        started = time.perf_counter()
        client.get("/me/")
        fast = time.perf_counter() - started
    assert slow >= 0.9 and fast < 0.5


def test_504_after_write_really_applies_the_write(start_emulator: Callable[..., Emulator]) -> None:
    emu, client = make(start_emulator, faults=Faults(schedule=["504-after-write"], match="PUT"))
    with client:
        response = client.put(PATH, json={"label": "applied anyway"})
        now = client.get(PATH).json()
    assert response.status_code == 504
    assert now["label"] == "applied anyway"
    assert [r.status for r in emu.requests] == [504, 200]


def test_faults_can_be_changed_while_running(start_emulator: Callable[..., Emulator]) -> None:
    emu, client = make(start_emulator)
    with client:
        assert client.get("/me/").status_code == 200
        emu.faults.schedule.append("500")
        assert client.get("/me/").status_code == 500
        emu.faults = Faults(error_rate=1.0, error_statuses=[502])
        assert client.get("/me/").status_code == 502


def test_faults_come_before_authentication(start_emulator: Callable[..., Emulator]) -> None:
    # An ingress fails a request before the API sees its credentials.
    emu, _ = make(start_emulator, faults=Faults(schedule=["503"]))
    assert httpx.get(emu.url + "/me/", timeout=5, verify=False).status_code == 503


def test_no_fault_is_injected_unless_asked(start_emulator: Callable[..., Emulator]) -> None:
    emu, client = make(start_emulator, faults=Faults(schedule=["500"], match="GET /user/"))
    with client:
        statuses = {client.get("/phone_number/").status_code for _ in range(100)}
        statuses |= {client.put(PATH, json={"label": "x"}).status_code for _ in range(20)}
    assert statuses == {200}
    assert emu.faults.schedule == ["500"]


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"error_rate": 1.5}, "error_rate must be between 0 and 1"),
        ({"error_rate": 0.6, "drop_rate": 0.6}, "must not exceed 1"),
        ({"schedule": ["boom"]}, "unknown fault names"),
        ({"error_statuses": [404]}, "error_statuses must be 5xx"),
        ({"latency": -1}, "must not be negative"),
    ],
)
def test_faults_validate_their_settings(settings: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        Faults(**settings)


def test_faults_from_a_seed(start_emulator: Callable[..., Emulator]) -> None:
    seed = generate_seed(1, users=1, groups=0)
    seed["faults"] = {"schedule": [503, "ok"], "match": "GET /me/", "latency": 0}
    seed["rate_limits"] = {"groups": {"GET me": [5, 1]}, "separator": "; "}
    emu = start_emulator(seed)
    with httpx.Client(base_url=emu.url, auth=(emu.admin_key, ""), verify=False) as client:
        first, second = client.get("/me/"), client.get("/me/")
    assert (first.status_code, second.status_code) == (503, 200)
    assert second.headers["RateLimit"].startswith("limit=5; remaining=4; reset=")
