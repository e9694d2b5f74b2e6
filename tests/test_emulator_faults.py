"""The emulator's rate limits and injected faults: the header variants seen from Close, 429s per
key and per organization in endpoint groups the seed sets, windows on an injected clock, and every
fault kind, reproducibly.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from helpers import FakeTime

from numbersync.emulator import (
    Emulator,
    Faults,
    RateLimits,
    RecordedRequest,
    SeedError,
    generate_seed,
    load_seed,
)

NUMBER = "phon_gen" + "0" * 40
PATH = f"/phone_number/{NUMBER}/"
ADMIN_KEY = "api_gen_admin.fake0"
USER1_KEY = "api_gen_user1.fake0"
ADMIN_TOKEN = {"Authorization": "Bearer oauth_gen_admin.fake0"}


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


def on_clock(
    start_emulator: Callable[..., Emulator], limits: RateLimits, **kwargs: Any
) -> tuple[Emulator, FakeTime]:
    """A generated emulator whose rate-limit windows run on fake time."""
    fake = FakeTime()
    emu = start_emulator(generate_seed(3, users=2, groups=1), rate_limits=limits, clock=fake.clock)
    return emu, fake


def client_with(emu: Emulator, key: str | None = None, **kwargs: Any) -> httpx.Client:
    # verify=False: plain http on loopback; it spares loading the CA bundle for every client.
    auth = None if "headers" in kwargs else (key or ADMIN_KEY, "")
    return httpx.Client(base_url=emu.url, auth=auth, timeout=5, verify=False, **kwargs)


def limit_header(response: httpx.Response) -> str:
    return response.headers["RateLimit"]


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
    emu, fake = on_clock(start_emulator, RateLimits(groups={"PUT phone_number": (3, 8)}))
    with client_with(emu) as client, client_with(emu, headers=ADMIN_TOKEN) as token:
        allowed = [client.put(PATH, json={"label": f"L{i}"}) for i in range(3)]
        fake.sleep(2.5)
        refused = client.put(PATH, json={"label": "too many"})
        other_group = client.get(PATH)
        # The same user's OAuth token is another credential, so another bucket.
        other_credential = token.put(PATH, json={"label": "x"})
        fake.sleep(5.4)  # 7.9 s into the window: still closed
        still_refused = client.put(PATH, json={"label": "still too many"})
        fake.sleep(0.1)
        after_reset = client.put(PATH, json={"label": "again"})
    assert [limit_header(r) for r in allowed] == [
        "limit=3, remaining=2, reset=8",
        "limit=3, remaining=1, reset=8",
        "limit=3, remaining=0, reset=8",
    ]
    assert refused.status_code == 429
    assert limit_header(refused) == "limit=3, remaining=0, reset=6"  # ceil(5.5)
    assert refused.headers["Retry-After"] == "6"
    assert refused.json() == {
        "error": {
            "message": "API call count exceeded for this period.",
            "rate_reset": 5.5,
            "rate_limit": 3,
        }
    }
    assert other_group.status_code == 200
    assert other_credential.status_code == 200
    assert (still_refused.status_code, still_refused.headers["Retry-After"]) == (429, "1")
    assert (after_reset.status_code, limit_header(after_reset)) == (
        200,
        "limit=3, remaining=2, reset=8",
    )
    assert label(emu) == "again"
    assert [r.status for r in emu.requests if r.method == "PUT"] == [
        *[200] * 3, 429, 200, 429, 200,
    ]  # fmt: skip


def test_a_refused_request_is_not_counted(start_emulator: Callable[..., Emulator]) -> None:
    emu, fake = on_clock(start_emulator, RateLimits(limit=2, window=8))
    with client_with(emu) as client:
        statuses = [client.get("/me/").status_code for _ in range(5)]
        fake.sleep(8)
        after = client.get("/me/")
    assert statuses == [200, 200, 429, 429, 429]
    assert limit_header(after) == "limit=2, remaining=1, reset=8"


# -- per organization, endpoint groups, header switching ---------------------------------------


def test_the_organization_limit_is_shared_by_every_credential(
    start_emulator: Callable[..., Emulator],
) -> None:
    limits = RateLimits(limit=3, window=8, organization=(4, 8))
    emu, fake = on_clock(start_emulator, limits)
    with (
        client_with(emu) as admin,
        client_with(emu, USER1_KEY) as user1,
        client_with(emu, headers=ADMIN_TOKEN) as token,
    ):
        first = [admin.get("/me/") for _ in range(3)]
        fake.sleep(1)
        last_of_the_org = user1.get("/me/")
        fake.sleep(1)
        refused = token.get("/me/")  # its own limit is untouched, the organization's is not
        other_group = token.get(PATH)
    assert [limit_header(r) for r in first] == [
        "limit=3, remaining=2, reset=8",
        "limit=3, remaining=1, reset=8",
        "limit=3, remaining=0, reset=8",
    ]
    assert limit_header(last_of_the_org) == "limit=4, remaining=0, reset=7"
    assert refused.status_code == 429
    assert limit_header(refused) == "limit=4, remaining=0, reset=6"
    assert refused.headers["Retry-After"] == "6"
    assert refused.json()["error"]["rate_limit"] == 4
    assert other_group.status_code == 200
    assert [r.status for r in emu.requests] == [200, 200, 200, 200, 429, 200]


def test_the_header_describes_the_limit_closer_to_exhaustion_and_jumps_between_them(
    start_emulator: Callable[..., Emulator],
) -> None:
    limits = RateLimits(limit=5, window=8, organization=(8, 10), separator="; ")
    emu, fake = on_clock(start_emulator, limits)
    with client_with(emu) as admin, client_with(emu, USER1_KEY) as user1:
        seen = [limit_header(admin.get("/me/"))]  # key: 4 left; organization: 7
        fake.sleep(1)
        seen += [limit_header(user1.get("/me/")) for _ in range(4)]  # its key: 1; organization: 3
        seen.append(limit_header(admin.get("/me/")))  # key: 3; organization: 2
        fake.sleep(7)  # the keys' windows close; the organization's has 2 s to go
        seen.append(limit_header(admin.get("/me/")))  # key: 4; organization: 1
        fake.sleep(2)  # now the organization's closes too
        seen.append(limit_header(admin.get("/me/")))  # key: 3; organization: 7
    assert seen == [
        "limit=5; remaining=4; reset=8",
        "limit=5; remaining=4; reset=8",
        "limit=5; remaining=3; reset=8",
        "limit=5; remaining=2; reset=8",
        "limit=5; remaining=1; reset=8",
        "limit=8; remaining=2; reset=9",
        "limit=8; remaining=1; reset=2",
        "limit=5; remaining=3; reset=6",
    ]


def test_a_429_shows_the_used_up_limit_that_frees_last(
    start_emulator: Callable[..., Emulator],
) -> None:
    limits = RateLimits(limit=2, window=3, organization=(2, 20))
    emu, fake = on_clock(start_emulator, limits)
    with client_with(emu) as client:
        client.get("/me/"), client.get("/me/")
        refused = client.get("/me/")  # both used up: the organization's frees in 20 s
        fake.sleep(3)
        still = client.get("/me/")  # the key's is free again, the organization's is not
    assert limit_header(refused) == "limit=2, remaining=0, reset=20"
    assert limit_header(still) == "limit=2, remaining=0, reset=17"
    assert [r.status for r in emu.requests] == [200, 200, 429, 429]


ENDPOINT_GROUPS = {
    "reads": ["GET /phone_number/", "GET /phone_number/*/", "GET /user/", "GET /group/"],
    "writes": ["PUT /phone_number/*/"],
}


def test_endpoint_groups_from_the_seed_count_requests_together(
    start_emulator: Callable[..., Emulator],
) -> None:
    seed = generate_seed(3, users=2, groups=1)
    seed["rate_limits"] = {
        "limit": 3,
        "window": 8,
        "endpoint_groups": ENDPOINT_GROUPS,
        "groups": {"writes": [1, 8]},
    }
    emu = start_emulator(seed, clock=FakeTime().clock)
    with client_with(emu) as client:
        reads = [
            client.get("/phone_number/"),
            client.get(PATH),
            client.get("/user/"),
            client.get("/group/"),  # the fourth read: refused
        ]
        fallback = client.get("/me/")  # in no group: counted as "GET me"
        unmatched = client.get("/group/group_gen0000000000000000000/")  # "GET group"
        writes = [client.put(PATH, json={"label": "w"}), client.put(PATH, json={"label": "x"})]
    assert [r.status_code for r in reads] == [200, 200, 200, 429]
    assert [limit_header(r) for r in reads] == [
        "limit=3, remaining=2, reset=8",
        "limit=3, remaining=1, reset=8",
        "limit=3, remaining=0, reset=8",
        "limit=3, remaining=0, reset=8",
    ]
    assert limit_header(fallback) == "limit=3, remaining=2, reset=8"
    assert limit_header(unmatched) == "limit=3, remaining=2, reset=8"
    assert [r.status_code for r in writes] == [200, 429]
    assert limit_header(writes[1]) == "limit=1, remaining=0, reset=8"
    assert label(emu) == "w"


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("GET", "/phone_number/", "reads"),
        ("GET", f"/phone_number/{NUMBER}/", "reads"),
        ("PUT", f"/phone_number/{NUMBER}/", "writes"),
        ("PUT", "/phone_number/", "PUT phone_number"),  # `*` is one segment, never none
        ("GET", "/user/user_x/", "GET user"),
        ("GET", "/me/", "GET me"),
    ],
)
def test_a_request_is_counted_in_its_first_matching_group(
    method: str, path: str, group: str
) -> None:
    limits = RateLimits(endpoint_groups=ENDPOINT_GROUPS)
    assert limits.group_of(method, path) == group


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
    emu, _ = on_clock(start_emulator, RateLimits(limit=None, organization=(1, 5)))
    with client_with(emu) as client:
        free = client.get("/me/")  # limit=None turns the organization's limit off too
        emu.rate_limits.limit, emu.rate_limits.window = 1, 5.0
        emu.rate_limits.organization = None
        first, second = client.get("/me/"), client.get("/me/")
        emu.rate_limits.groups["GET me"] = None  # one group unlimited again
        third = client.get("/me/")
        emu.rate_limits.organization = (1, 5)  # ...for the credential, not for the organization
        fourth, fifth = client.get("/me/"), client.get("/me/")
        emu.rate_limits.endpoint_groups["mine"] = ["GET /me/"]  # counted afresh, elsewhere
        sixth = client.get("/me/")
    assert "RateLimit" not in free.headers and "RateLimit" not in third.headers
    assert [r.status_code for r in (first, second, third)] == [200, 429, 200]
    assert [r.status_code for r in (fourth, fifth)] == [200, 429]
    assert limit_header(fourth) == "limit=1, remaining=0, reset=5"
    assert (sixth.status_code, limit_header(sixth)) == (200, "limit=1, remaining=0, reset=5")


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
    shaped = RateLimits.from_mapping(
        {"organization": {"limit": 120, "window": 8}, "endpoint_groups": ENDPOINT_GROUPS}
    )
    assert shaped.organization == (120, 8.0)
    assert shaped.endpoint_groups == ENDPOINT_GROUPS


BASE_SEED: dict[str, Any] = {
    "users": [{"email": "a@x.example", "role_id": "admin"}],
    "api_keys": [{"key": "api_a.fake", "user": "a@x.example"}],
}
BAD_LIMITS: list[tuple[dict[str, Any], list[str]]] = [
    ({"organization": {"limit": 0, "window": 8}}, ["$.rate_limits.organization.limit: must be a positive integer, got 0"]),
    ({"organization": {"limit": 120, "window": -1}}, ["$.rate_limits.organization.window: must be a positive number of seconds, got -1.0"]),
    ({"organization": {"limit": 120}}, ["$.rate_limits.organization: must be {limit: N, window: SECONDS}, got {'limit': 120}"]),
    ({"organization": [120, 8]}, ["$.rate_limits.organization: must be {limit: N, window: SECONDS}, got [120, 8]"]),
    ({"endpoint_groups": ["GET /me/"]}, ['$.rate_limits.endpoint_groups: must map a group name to a list of "METHOD /path/"']),
    ({"endpoint_groups": {"reads": []}}, ["$.rate_limits.endpoint_groups['reads']: must be a non-empty list of \"METHOD /path/\" patterns"]),
    ({"endpoint_groups": {"reads": ["GET /me/", "GET phone_number", "GET /phone_number/phon_*/", "FETCH /me/"]}}, [
        "$.rate_limits.endpoint_groups['reads'][1]: expected \"METHOD /path/\" such as \"GET /phone_number/*/\" (`*` stands for one whole path segment), got 'GET phone_number'",
        "$.rate_limits.endpoint_groups['reads'][2]: expected \"METHOD /path/\" such as \"GET /phone_number/*/\" (`*` stands for one whole path segment), got 'GET /phone_number/phon_*/'",
        "$.rate_limits.endpoint_groups['reads'][3]: expected \"METHOD /path/\" such as \"GET /phone_number/*/\" (`*` stands for one whole path segment), got 'FETCH /me/'",
    ]),
    ({"endpoint_groups": {"reads": ["GET /me/"], "more": ["GET /me/"]}}, ["$.rate_limits.endpoint_groups['more'][0]: 'GET /me/' is already in group 'reads'"]),
    ({"groups": {"writes": [5, 1]}}, ["$.rate_limits.groups['writes']: not an endpoint group; expected a name from endpoint_groups or \"METHOD family\" such as \"PUT phone_number\""]),
    ({"groups": {"writes": 5}}, ["$.rate_limits.groups['writes']: must be [limit, window_seconds] or null"]),
    ({"retry_after": "no", "colour": 1}, [
        "$.rate_limits.colour: unknown key; expected some of ['body_on_429', 'endpoint_groups', 'groups', 'limit', 'organization', 'reset_format', 'retry_after', 'separator', 'window']",
    ]),
    ({"retry_after": "no"}, ["$.rate_limits.retry_after: must be true or false, got 'no'"]),
]  # fmt: skip


@pytest.mark.parametrize(("limits", "problems"), BAD_LIMITS, ids=[str(p) for p, _ in BAD_LIMITS])
def test_bad_rate_limits_in_a_seed_are_reported_with_their_path(
    limits: dict[str, Any], problems: list[str]
) -> None:
    with pytest.raises(SeedError) as caught:
        load_seed({**BASE_SEED, "rate_limits": limits})
    assert caught.value.problems == problems


# -- faults --------------------------------------------------------------------------------------


def test_latency_is_added_to_every_response(start_emulator: Callable[..., Emulator]) -> None:
    _emu, client = make(start_emulator, faults=Faults(latency=0.15))
    with client:
        started = time.perf_counter()
        for _ in range(3):
            assert client.get("/me/").status_code == 200
        elapsed = time.perf_counter() - started
    assert elapsed >= 0.45


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
    "faults",
    [Faults(schedule=["429-bare"], match="PUT"), Faults(rate_429_bare=1.0)],
    ids=["scheduled", "share"],
)
def test_a_bare_429_from_the_edge_has_no_body_and_no_rate_limit_headers(
    start_emulator: Callable[..., Emulator], faults: Faults
) -> None:
    emu, client = make(start_emulator, faults=faults)
    with client:
        response = client.put(PATH, json={"label": "not applied"})
    assert response.status_code == 429
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"
    for name in ("RateLimit", "Retry-After", "Content-Type", "RateLimit-Reset"):
        assert name not in response.headers
    assert label(emu) == "Line 0"
    assert emu.requests == [
        RecordedRequest("PUT", PATH, {}, {"label": "not applied"}, 429, "429-bare")
    ]


def test_corrupt_gzip_after_write_applies_the_write_and_garbles_the_answer(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu, client = make(
        start_emulator, faults=Faults(schedule=["corrupt-gzip-after-write"], match="PUT")
    )
    with client:
        with pytest.raises(httpx.DecodingError):
            client.put(PATH, json={"label": "applied anyway"})
        applied = label(emu)
        intact = client.put(PATH, json={"label": "readable"})
    assert applied == "applied anyway"
    assert intact.status_code == 200 and intact.json()["label"] == "readable"
    assert [(r.body, r.status, r.fault) for r in emu.requests if r.method == "PUT"] == [
        ({"label": "applied anyway"}, 200, "corrupt-gzip-after-write"),
        ({"label": "readable"}, 200, None),
    ]


def test_the_corrupt_body_is_gzip_that_cannot_be_decoded(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu, _ = make(start_emulator, faults=Faults(schedule=["corrupt-gzip-after-write"]))
    # The raw bytes, as sent: reading the body normally would make httpx decode it.
    with httpx.Client(base_url=emu.url, auth=(ADMIN_KEY, ""), verify=False) as client:
        request = client.build_request("PUT", PATH, json={"label": "changed"})
        response = client.send(request, stream=True)
        body = b"".join(response.iter_raw())
        response.close()
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Type"] == "application/json"
    assert body[:3] == b"\x1f\x8b\x08"
    with pytest.raises((OSError, EOFError, zlib.error)):
        gzip.decompress(body)
    assert label(emu) == "changed"


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
    assert elapsed >= 0.35


@pytest.mark.slow
def test_scheduled_slow_uses_a_default_duration(start_emulator: Callable[..., Emulator]) -> None:
    emu, client = make(start_emulator, faults=Faults(schedule=["slow"]))
    with client:
        started = time.perf_counter()
        assert client.get("/me/").status_code == 200
        slow = time.perf_counter() - started
        assert client.get("/me/").status_code == 200
    assert slow >= 0.9
    assert [r.fault for r in emu.requests] == ["slow", None]  # the second was not slowed


def test_504_after_write_really_applies_the_write(start_emulator: Callable[..., Emulator]) -> None:
    emu, client = make(start_emulator, faults=Faults(schedule=["504-after-write"], match="PUT"))
    with client:
        response = client.put(PATH, json={"label": "applied anyway"})
        now = client.get(PATH).json()
    assert response.status_code == 504
    assert now["label"] == "applied anyway"
    assert [(r.status, r.fault) for r in emu.requests] == [(504, "504-after-write"), (200, None)]


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
        ({"rate_429": 0.6, "rate_429_bare": 0.6}, "must not exceed 1"),
        ({"rate_429_bare": -0.1}, "rate_429_bare must be between 0 and 1"),
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


@pytest.mark.timeout(30)
def test_hang_after_write_applies_the_write_and_never_answers(
    start_emulator: Callable[..., Emulator],
) -> None:
    emu, _ = make(start_emulator, faults=Faults(schedule=["hang-after-write"], match="PUT"))
    with (
        httpx.Client(base_url=emu.url, auth=(ADMIN_KEY, ""), timeout=0.5) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.put(PATH, json={"label": "applied, never confirmed"})
    assert label(emu) == "applied, never confirmed"
    assert [(r.status, r.fault) for r in emu.requests] == [(200, "hang-after-write")]
    emu.stop()  # releases the held request at once
