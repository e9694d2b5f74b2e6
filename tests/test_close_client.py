"""CloseClient over httpx.MockTransport: the requests it sends, how it pages, which failures it
retries and for how long, and the message each error ends up with. No sleeping: time is fake."""

from __future__ import annotations

import base64
import json
import logging
import random
import ssl
import threading
from collections.abc import Callable, Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from helpers import FakeTime

import numbersync
from numbersync.account import Group, Me, Membership
from numbersync.close import CloseClient, Settings
from numbersync.close import client as client_module
from numbersync.errors import Abandoned, ApiError
from numbersync.fetch import fetch_everything
from numbersync.models import MANAGED_FIELDS
from numbersync.stopping import Stop

KEY = "api_test.key0000"
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records requests and answers from a script or a function."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_client(fake_time: FakeTime) -> Iterator[Callable[..., CloseClient]]:
    made: list[CloseClient] = []

    def make(handler: Handler, env: dict[str, str] | None = None, **kwargs: Any) -> CloseClient:
        settings = Settings.from_env(env or {"CLOSE_API_KEY": KEY})
        options: dict[str, Any] = {
            "clock": fake_time.clock,
            "sleep": fake_time.sleep,
            "rng": random.Random(0),
            **kwargs,
        }
        client = CloseClient(settings, transport=httpx.MockTransport(handler), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def number(i: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"phon_{i}", "number": f"+1650555{i:04d}", **fields}


def page_server(items: list[dict[str, Any]], page_size: int = 100) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("_skip", "0"))
        limit = int(request.url.params.get("_limit", str(page_size)))
        data = items[skip : skip + min(limit, page_size)]
        return httpx.Response(200, json={"data": data, "has_more": skip + len(data) < len(items)})

    return handle


# --- what goes on the wire ---------------------------------------------------------------------


def test_requests_carry_the_headers_and_basic_auth(make_client: Callable[..., CloseClient]) -> None:
    recorder = Recorder(httpx.Response(200, json={"id": "user_1", "email": "a@example.com"}))
    make_client(recorder).me()
    (request,) = recorder.requests
    assert str(request.url) == "https://api.close.com/api/v1/me/"
    assert request.headers["User-Agent"] == f"numbersync/{numbersync.__version__}"
    assert request.headers["Accept"] == "application/json"
    expected = base64.b64encode(f"{KEY}:".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


def test_an_access_token_is_sent_as_bearer(make_client: Callable[..., CloseClient]) -> None:
    recorder = Recorder(httpx.Response(200, json={"id": "user_1"}))
    make_client(recorder, {"CLOSE_ACCESS_TOKEN": "oauth_tok"}).me()
    assert recorder.requests[0].headers["Authorization"] == "Bearer oauth_tok"


def test_update_puts_exactly_the_changes_and_parses_the_answer(
    make_client: Callable[..., CloseClient],
) -> None:
    full = number(1, label="Sales", forward_to=None, type="internal", date_updated="2026-01-01")
    recorder = Recorder(httpx.Response(200, json=full))
    changes = {"label": "Sales", "participants": ["user_a"]}
    live = make_client(recorder).update_phone_number("phon_1", changes)
    (request,) = recorder.requests
    assert request.method == "PUT"
    assert request.url.path == "/api/v1/phone_number/phon_1/"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == changes
    assert live.id == "phon_1"
    assert live.fields == {"label": "Sales", "forward_to": None}
    assert live.date_updated == "2026-01-01"
    assert live.number_formatted == live.number  # none given: falls back to the number
    assert live.raw["type"] == "internal"


def test_an_id_cannot_walk_to_another_path(make_client: Callable[..., CloseClient]) -> None:
    recorder = Recorder(httpx.Response(200, json=number(1)))
    make_client(recorder).get_phone_number("../user")
    assert recorder.requests[0].url.raw_path == b"/api/v1/phone_number/..%2Fuser/"


# --- pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 100, 101, 250])
def test_listing_pages_through_everything(
    make_client: Callable[..., CloseClient], count: int
) -> None:
    items = [number(i, label=f"n{i}") for i in range(count)]
    recorder = Recorder(page_server(items))
    numbers = make_client(recorder).list_phone_numbers()
    assert [n.id for n in numbers] == [item["id"] for item in items]
    skips = [int(r.url.params["_skip"]) for r in recorder.requests]
    assert skips == list(range(0, max(count, 1), 100))
    assert {r.url.params["_limit"] for r in recorder.requests} == {"100"}


def test_fields_are_requested_with_what_a_live_number_needs(
    make_client: Callable[..., CloseClient],
) -> None:
    recorder = Recorder(page_server([number(1, label="x", participants=["u"])]))
    client = make_client(recorder)
    (live,) = client.list_phone_numbers(["label"])
    fields = recorder.requests[0].url.params["_fields"].split(",")
    assert fields == [*client_module.BASE_FIELDS, "label"]
    assert {"id", "number", "number_formatted", "date_updated"} <= set(fields)
    assert live.fields == {"label": "x"}  # only what was asked for
    (live,) = client.list_phone_numbers(["participants", "label", "forward_to"])
    assert live.fields == {"label": "x", "participants": ["u"]}  # only what is present
    client.list_phone_numbers()
    fields = recorder.requests[2].url.params["_fields"].split(",")
    assert fields == [*client_module.BASE_FIELDS, *MANAGED_FIELDS]
    with pytest.raises(ValueError, match="not managed"):
        client.list_phone_numbers(["type"])


def test_shifting_pages_are_deduplicated(make_client: Callable[..., CloseClient]) -> None:
    first = [number(i) for i in range(100)]
    second = [number(99, label="fresher"), number(100)]  # a number was inserted meanwhile
    recorder = Recorder(
        httpx.Response(200, json={"data": first, "has_more": True}),
        httpx.Response(200, json={"data": second, "has_more": False}),
    )
    numbers = make_client(recorder).list_phone_numbers()
    assert len(numbers) == 101
    assert numbers[99].fields == {"label": "fresher"}


def test_a_server_that_never_stops_is_cut_off(make_client: Callable[..., CloseClient]) -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params["_skip"])
        return httpx.Response(200, json={"data": [number(skip)], "has_more": True})

    recorder = Recorder(endless)
    with pytest.raises(ApiError, match="has_more on 4 pages that held only 4 different items"):
        make_client(recorder).list_phone_numbers()
    assert len(recorder.requests) == 4


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"data": [], "has_more": True}, "has_more but sent an empty page"),
        ({"has_more": False}, "no `data` list"),
        ({"data": {"id": "phon_1"}}, "no `data` list"),
        (["not", "an", "object"], "no `data` list"),
        ({"data": [{"number": "+1"}]}, "item without an id"),
        ({"data": [{"id": "phon_1"}]}, "without an id or number"),
    ],
)
def test_malformed_pages_are_errors(
    make_client: Callable[..., CloseClient], body: Any, message: str
) -> None:
    with pytest.raises(ApiError, match=message):
        make_client(Recorder(httpx.Response(200, json=body))).list_phone_numbers()


def test_users_are_paged_and_groups_fetched_by_name(
    make_client: Callable[..., CloseClient],
) -> None:
    users = [
        {"id": f"user_{i}", "email": f"u{i}@example.com", "first_name": "U", "last_name": str(i)}
        for i in range(150)
    ]
    users[7]["organizations"] = ["orga_a", "orga_b"]
    recorder = Recorder(page_server(users))
    client = make_client(recorder)
    found = client.list_users()
    assert len(found) == 150
    assert found[7].email == "u7@example.com"
    assert found[7].name == "U 7"
    assert found[7].organizations == {"orga_a", "orga_b"}
    assert found[8].organizations is None  # Close did not say
    assert [r.url.path for r in recorder.requests] == ["/api/v1/user/"] * 2

    listed = [{"id": "group_1", "name": "Sales", "organization_id": "orga_a"}]
    groups = Recorder(httpx.Response(200, json={"data": listed, "has_more": False}))
    assert make_client(groups).list_groups() == [Group("group_1", "Sales", "orga_a")]
    assert dict(groups.requests[0].url.params) == {"_fields": "id,name,organization_id"}
    assert groups.requests[0].url.path == "/api/v1/group/"


@pytest.mark.parametrize(
    ("memberships", "expected"),
    [
        (
            [
                {"organization_id": "orga_a", "role_id": "admin", "permissions_granted": ["x"]},
                {"organization_id": "orga_b", "role_id": "user", "permissions_granted": []},
            ],
            (
                Membership("orga_a", "admin", frozenset({"x"})),
                Membership("orga_b", "user", frozenset()),
            ),
        ),
        ([{"role_id": "restricteduser"}], (Membership(None, "restricteduser", None),)),
        ([], ()),
        (None, ()),
        ("not a list", ()),
    ],
    ids=["two", "no-permissions", "empty", "missing", "malformed"],
)
def test_me_reads_each_membership(
    make_client: Callable[..., CloseClient], memberships: Any, expected: tuple[Membership, ...]
) -> None:
    body: dict[str, Any] = {"id": "user_1", "email": "me@example.com"}
    if memberships is not None:
        body["memberships"] = memberships
    me = make_client(Recorder(httpx.Response(200, json=body))).me()
    assert me == Me("user_1", "me@example.com", expected)


# --- errors ------------------------------------------------------------------------------------


def fail(
    handler_answer: httpx.Response, make_client: Callable[..., CloseClient], **kw: Any
) -> ApiError:
    recorder = Recorder(handler_answer)
    client = make_client(recorder, **kw)
    with pytest.raises(ApiError) as caught:
        client.update_phone_number("phon_1", {"label": "x"})
    assert len(recorder.requests) == 1, "a client error must not be retried"
    return caught.value


def test_400_keeps_close_field_errors(make_client: Callable[..., CloseClient]) -> None:
    body = {"errors": ["Bad things."], "field-errors": {"inbound_ring_duration": "Too long."}}
    error = fail(httpx.Response(400, json=body), make_client)
    assert error.status == 400
    assert error.field_errors == {"inbound_ring_duration": "Too long."}
    assert "Bad things." in error.message
    assert "inbound_ring_duration: Too long." in error.message
    assert error.message.startswith("PUT /phone_number/phon_1/ (400):")


def test_400_with_only_an_error_text(make_client: Callable[..., CloseClient]) -> None:
    error = fail(httpx.Response(400, json={"error": "_limit too high"}), make_client)
    assert error.detail == "Close rejected the request: _limit too high"
    assert error.field_errors == {}


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"CLOSE_API_KEY": KEY}, "CLOSE_API_KEY"),
        ({"CLOSE_ACCESS_TOKEN": KEY}, "CLOSE_ACCESS_TOKEN"),
    ],
)
def test_401_names_the_credential_that_was_rejected(
    make_client: Callable[..., CloseClient], env: dict[str, str], name: str
) -> None:
    error = fail(httpx.Response(401, json={"error": "Invalid API key."}), make_client, env=env)
    assert error.detail == f"{name} was rejected"
    assert error.hint is not None


def test_402_says_a_plan_limit_was_reached(make_client: Callable[..., CloseClient]) -> None:
    error = fail(httpx.Response(402, text=""), make_client)
    assert error.detail == "a limit of your Close plan was reached"


def test_403_names_what_close_said(make_client: Callable[..., CloseClient]) -> None:
    said = "You need the Manage Team Phone Numbers permission to change participants."
    error = fail(httpx.Response(403, json={"error": said}), make_client)
    assert error.detail == f"not allowed: {said}"
    assert error.hint is not None and "Manage Team Phone Numbers" in error.hint
    bare = fail(httpx.Response(403, text=""), make_client)
    assert bare.detail == "not allowed"


def test_404_names_the_phone_number(make_client: Callable[..., CloseClient]) -> None:
    error = fail(httpx.Response(404, json={"error": "Not found."}), make_client)
    assert error.detail == "phone number phon_1 not found"
    recorder = Recorder(httpx.Response(404, text="<h1>Not Found</h1>"))
    with pytest.raises(ApiError) as caught:
        make_client(recorder).me()
    assert caught.value.hint is not None and "CLOSE_API_URL" in caught.value.hint


def test_an_unexpected_status_shows_the_body_cut_short(
    make_client: Callable[..., CloseClient],
) -> None:
    error = fail(httpx.Response(418, text="tea " * 500), make_client)
    assert error.status == 418
    assert error.detail.startswith("418 I'm a teapot: tea tea")
    assert len(error.detail) < 260
    assert error.detail.endswith("…")


def test_a_success_that_is_not_json_is_an_error(make_client: Callable[..., CloseClient]) -> None:
    recorder = Recorder(httpx.Response(200, text="<html>login page</html>"))
    with pytest.raises(ApiError, match="not JSON: <html>login page</html>"):
        make_client(recorder).me()


def test_a_redirect_is_reported_not_followed(make_client: Callable[..., CloseClient]) -> None:
    recorder = Recorder(httpx.Response(301, headers={"Location": "https://elsewhere.example/"}))
    with pytest.raises(ApiError, match=r"redirect to https://elsewhere\.example/"):
        make_client(recorder).me()
    assert len(recorder.requests) == 1


# --- retries -----------------------------------------------------------------------------------

OK = httpx.Response(200, json={"id": "user_1"})


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"RateLimit": "limit=10, remaining=0, reset=3"}, 3.0),
        ({"ratelimit": "reset=2.5;limit=10;remaining=0"}, 2.5),
        ({"RateLimit": "limit=10, remaining=0, reset=4", "Retry-After": "9"}, 4.0),
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "soon", "RateLimit-Reset": "5"}, 5.0),
    ],
)
def test_a_429_waits_what_the_server_says(
    make_client: Callable[..., CloseClient],
    fake_time: FakeTime,
    headers: dict[str, str],
    wait: float,
) -> None:
    recorder = Recorder(httpx.Response(429, headers=headers), OK)
    client = make_client(recorder)
    assert client.me().user_id == "user_1"
    assert len(recorder.requests) == 2
    (slept,) = fake_time.sleeps
    assert wait <= slept <= wait + 0.05  # plus a little jitter
    assert client.stats.statuses[429] == 1
    assert client.stats.retries == 1


def test_a_429_with_an_http_date(
    make_client: Callable[..., CloseClient], fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numbersync.close.ratelimit as ratelimit

    monkeypatch.setattr(ratelimit.time, "time", lambda: 2_000_000.0)
    date = formatdate(2_000_012, usegmt=True)
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": date}), OK)
    make_client(recorder).me()
    assert 12.0 <= fake_time.sleeps[0] <= 12.05


def test_a_bare_429_backs_off(make_client: Callable[..., CloseClient], fake_time: FakeTime) -> None:
    recorder = Recorder(httpx.Response(429), httpx.Response(429), OK)
    make_client(recorder).me()
    assert len(fake_time.sleeps) == 2
    assert 0 <= fake_time.sleeps[0] <= 0.5
    assert 0 <= fake_time.sleeps[1] <= 1.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(
    make_client: Callable[..., CloseClient], fake_time: FakeTime, status: int
) -> None:
    recorder = Recorder(httpx.Response(status), httpx.Response(status), OK)
    client = make_client(recorder)
    assert client.me().user_id == "user_1"
    assert len(recorder.requests) == 3
    assert client.stats.retries == 2
    assert client.stats.retry_wait == pytest.approx(sum(fake_time.sleeps))


def test_a_put_is_retried_after_a_503(make_client: Callable[..., CloseClient]) -> None:
    recorder = Recorder(httpx.Response(503), httpx.Response(200, json=number(1, label="x")))
    live = make_client(recorder).update_phone_number("phon_1", {"label": "x"})
    assert live.fields["label"] == "x"
    assert [json.loads(r.content) for r in recorder.requests] == [{"label": "x"}] * 2


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
    ],
)
def test_transport_errors_are_retried(
    make_client: Callable[..., CloseClient], exc: Exception
) -> None:
    recorder = Recorder(exc, OK)
    client = make_client(recorder)
    assert client.me().user_id == "user_1"
    assert client.stats.transport_errors == 1
    assert client.stats.retries == 1


def test_retries_give_up_after_the_attempt_cap(
    make_client: Callable[..., CloseClient], fake_time: FakeTime
) -> None:
    recorder = Recorder(httpx.Response(500, text="Internal Server Error: database is on fire"))
    with pytest.raises(ApiError) as caught:
        make_client(recorder, max_attempts=4).me()
    assert len(recorder.requests) == 4
    assert len(fake_time.sleeps) == 3
    assert caught.value.status == 500
    assert caught.value.detail == (
        "gave up after 4 attempts: 500 Internal Server Error: "
        "Internal Server Error: database is on fire"
    )
    assert caught.value.hint is not None


def test_a_non_json_500_is_shown_truncated(make_client: Callable[..., CloseClient]) -> None:
    recorder = Recorder(httpx.Response(500, text="x" * 5000))
    with pytest.raises(ApiError) as caught:
        make_client(recorder, max_attempts=1).me()
    assert caught.value.detail == "gave up after 1 attempts: 500 Internal Server Error: " + (
        "x" * 200 + "…"
    )


def test_a_gateway_page_is_shown_as_words(make_client: Callable[..., CloseClient]) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    answer = httpx.Response(502, text=page, headers={"Content-Type": "text/html"})
    with pytest.raises(ApiError) as caught:
        make_client(Recorder(answer), max_attempts=1).me()
    assert caught.value.detail.endswith("502 Bad Gateway: 502 Bad Gateway 502 Bad Gateway")


def test_transport_errors_give_up_with_a_clear_message(
    make_client: Callable[..., CloseClient],
) -> None:
    recorder = Recorder(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(ApiError) as caught:
        make_client(recorder).me()
    assert len(recorder.requests) == 6
    assert caught.value.status is None
    assert caught.value.message == (
        "GET /me/: gave up after 6 attempts: ConnectError: [Errno 111] Connection refused"
    )
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_the_total_wait_is_capped(
    make_client: Callable[..., CloseClient], fake_time: FakeTime
) -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "120"}))
    with pytest.raises(ApiError) as caught:
        make_client(recorder).me()
    assert len(recorder.requests) == 1
    assert fake_time.sleeps == []
    assert "the server asked to wait 120.0 s more, beyond the 60 s retry budget" in str(
        caught.value
    )
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "20"}))
    with pytest.raises(ApiError, match="gave up after 3 attempts"):
        make_client(recorder, max_wait=45).me()


def test_backoff_waits_stay_within_the_caps(
    make_client: Callable[..., CloseClient], fake_time: FakeTime
) -> None:
    recorder = Recorder(httpx.Response(503))
    with pytest.raises(ApiError):
        make_client(recorder, max_attempts=12).me()
    assert len(fake_time.sleeps) == 11
    assert all(0 <= wait <= 10.0 for wait in fake_time.sleeps)
    assert sum(fake_time.sleeps) <= 60.0


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 405, 409, 422])
def test_client_errors_are_never_retried(
    make_client: Callable[..., CloseClient], fake_time: FakeTime, status: int
) -> None:
    recorder = Recorder(httpx.Response(status, json={"error": "no"}))
    with pytest.raises(ApiError):
        make_client(recorder).me()
    assert len(recorder.requests) == 1
    assert fake_time.sleeps == []


def test_an_untrusted_certificate_is_not_retried(
    make_client: Callable[..., CloseClient],
) -> None:
    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    recorder = Recorder(error)
    with pytest.raises(ApiError) as caught:
        make_client(recorder).me()
    assert len(recorder.requests) == 1
    assert caught.value.hint is not None and "SSL_CERT_FILE" in caught.value.hint


# --- logging and stats -------------------------------------------------------------------------


def test_requests_and_retries_are_logged(
    make_client: Callable[..., CloseClient], caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(
        httpx.Response(503, headers={"RateLimit": "limit=5, remaining=4, reset=1"}),
        httpx.Response(200, json={"data": [], "has_more": False}),
    )
    with caplog.at_level(logging.DEBUG, logger="numbersync.http"):
        make_client(recorder).list_phone_numbers(["label"])
    lines = [record.getMessage() for record in caplog.records]
    fields = ",".join([*client_module.BASE_FIELDS, "label"])
    target = f"/phone_number/?_fields={fields}&_limit=100&_skip=0"
    assert lines[0].startswith(f"GET {target} 503 ")
    assert lines[1] == "  RateLimit: limit=5, remaining=4, reset=1"
    assert lines[2].startswith("retrying GET /phone_number/ in ")
    assert lines[2].endswith(" s after 503 Service Unavailable (attempt 2/6)")
    assert lines[3].startswith(f"GET {target} 200 ")


def test_stats_count_requests_per_endpoint_group(
    make_client: Callable[..., CloseClient],
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return httpx.Response(200, json=number(1))
        return page_server([number(i) for i in range(120)])(request)

    client = make_client(Recorder(handle))
    client.list_phone_numbers()
    client.update_phone_number("phon_1", {"label": "a"})
    client.update_phone_number("phon_2", {"label": "b"})
    assert client.stats.requests == {("GET", "phone_number"): 2, ("PUT", "phone_number"): 2}
    assert client.stats.statuses == {200: 4}


def test_configure_logging_installs_one_stderr_handler() -> None:
    from numbersync.close import configure_logging

    logger = logging.getLogger("numbersync")
    before = list(logger.handlers)
    try:
        configure_logging(1)
        configure_logging(2)
        added = [h for h in logger.handlers if h not in before]
        assert len(added) == 1
        assert logger.level == logging.DEBUG
        configure_logging(0)
        assert logger.level == logging.WARNING
    finally:
        for handler in [h for h in logger.handlers if h not in before]:
            logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


# --- what a failed write may have done, and stopping ---------------------------------------------


@pytest.mark.parametrize(
    ("answers", "reached"),
    [
        # Turned away every time: Close never acted on it.
        ([httpx.Response(429)] * 6, False),
        ([httpx.Response(503)] * 6, False),
        ([httpx.ConnectError("refused")] * 6, False),
        # A gateway that gave up, a server error, a connection dropped after sending: unknown.
        ([httpx.Response(504)] * 6, True),
        ([httpx.Response(500)] * 6, True),
        ([httpx.ReadTimeout("no answer")] * 6, True),
        ([httpx.RemoteProtocolError("dropped")] * 6, True),
        # An ambiguous attempt followed by refusals stays ambiguous.
        ([httpx.Response(502), *[httpx.Response(429)] * 5], True),
        # A definite refusal after a dropped attempt: the first may have been applied.
        ([httpx.ReadError("reset"), httpx.Response(404)], True),
        ([httpx.Response(400, json={"errors": ["No."]})], False),
    ],
    ids=[
        "429s",
        "503s",
        "connect-errors",
        "504s",
        "500s",
        "read-timeouts",
        "dropped",
        "502-then-429s",
        "dropped-then-404",
        "400",
    ],
)
def test_a_failed_write_says_whether_it_may_have_reached_close(
    make_client: Callable[..., CloseClient], answers: list[Any], reached: bool
) -> None:
    client = make_client(Recorder(*answers), max_wait=1000)
    with pytest.raises(ApiError) as caught:
        client.update_phone_number("phon_1", {"label": "x"})
    assert caught.value.reached is reached


def test_an_answer_that_cannot_be_decoded_is_that_requests_failure(
    make_client: Callable[..., CloseClient],
) -> None:
    def corrupt(request: httpx.Request) -> httpx.Response:
        body = httpx.ByteStream(b"not gzip at all")
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=body)

    recorder = Recorder(corrupt)
    client = make_client(recorder, max_attempts=2)
    with pytest.raises(ApiError) as caught:
        client.update_phone_number("phon_1", {"label": "x"})
    assert caught.value.reached is True
    assert "the answer could not be decoded: DecodingError" in caught.value.message
    assert len(recorder.requests) == 2  # decoding errors are retried like dropped connections


def test_a_stop_during_a_retry_wait_abandons_the_call_at_once(
    make_client: Callable[..., CloseClient], fake_time: FakeTime
) -> None:
    stop = Stop()

    def signal_arrives(seconds: float) -> None:
        fake_time.sleep(seconds)
        stop.set("SIGINT")

    recorder = Recorder(httpx.Response(503, headers={"Retry-After": "30"}))
    client = make_client(recorder, stop=stop, sleep=signal_arrives)
    with pytest.raises(Abandoned) as caught:
        client.update_phone_number("phon_1", {"label": "x"})
    assert len(recorder.requests) == 1
    assert caught.value.reached is False  # the only attempt was turned away
    assert caught.value.detail == "interrupted before it could be sent again"


def test_no_request_starts_once_stopped(make_client: Callable[..., CloseClient]) -> None:
    stop = Stop()
    stop.set("credential")
    recorder = Recorder(OK)
    with pytest.raises(Abandoned) as caught:
        make_client(recorder, stop=stop).me()
    assert recorder.requests == []
    assert caught.value.reached is False


def join_workers(prefix: str) -> None:
    """Wait for the worker threads a read left running (they end after their current request)."""
    for thread in threading.enumerate():
        if thread.name.startswith(prefix):
            thread.join(10)
            assert not thread.is_alive(), thread.name


@pytest.mark.timeout(30)
def test_pages_still_in_flight_when_the_client_closes_end_without_retries(
    make_client: Callable[..., CloseClient], caplog: pytest.LogCaptureFixture
) -> None:
    """Page 2 is refused while page 1 is still on the wire, and the command ends: page 1's 503,
    arriving after the client closed, is neither retried nor logged as retried."""
    release = threading.Event()

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.params["_skip"] == "100":
            return httpx.Response(400, json={"error": "bad page"})
        assert release.wait(10)
        return httpx.Response(503)

    recorder = Recorder(handle)
    client = make_client(recorder, concurrency=2)
    with caplog.at_level(logging.INFO, "numbersync.http"):
        with pytest.raises(ApiError) as caught:
            client.list_phone_numbers(["label"], expect=200)
        client.close()
        release.set()
        join_workers("numbersync-page")
    assert caught.value.status == 400
    assert client.stop.reason == "closed"
    assert sorted(r.url.params["_skip"] for r in recorder.requests) == ["0", "100"]
    assert [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()] == []


@pytest.mark.parametrize(
    ("failing", "shown"),
    [
        ({"/api/v1/user/"}, "/user/"),
        ({"/api/v1/user/", "/api/v1/group/"}, "/user/"),
        ({"/api/v1/phone_number/", "/api/v1/user/", "/api/v1/group/"}, "/phone_number/"),
    ],
)
def test_of_reads_made_together_the_first_failure_in_call_order_is_shown(
    make_client: Callable[..., CloseClient], failing: set[str], shown: str
) -> None:
    """Export reads numbers, users and groups at once, and waits for all three: the error shown
    does not depend on which answered first."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path in failing:
            return httpx.Response(401, json={"error": "Unauthorized"})
        return httpx.Response(200, json={"data": [], "has_more": False})

    with pytest.raises(ApiError) as caught:
        fetch_everything(make_client(Recorder(handle)))
    assert (caught.value.status, caught.value.path) == (401, shown)


@pytest.mark.timeout(30)
def test_a_real_wait_ends_when_the_stop_is_set(make_client: Callable[..., CloseClient]) -> None:
    # Retry-After asks for an hour: only the stop can end this call before the time limit.
    stop = Stop()
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "3600"}))
    client = make_client(recorder, stop=stop, sleep=None, max_wait=7200, pace=False)
    timer = threading.Timer(0.2, stop.set, args=("SIGTERM",))
    timer.start()
    with pytest.raises(Abandoned) as caught:
        client.me()
    timer.join()
    assert caught.value.detail == "terminated before it could be sent again"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(403, json={"error": 'You need the "Manage Team Phone Numbers" permission.'}),
        httpx.Response(
            400,
            json={
                "errors": ['You need the "Manage Team Phone Numbers" permission.'],
                "field-errors": {},
            },
        ),
    ],
    ids=["403", "400-errors-list"],
)
def test_a_permission_refusal_reads_the_same_as_403_or_400(
    make_client: Callable[..., CloseClient], answer: httpx.Response
) -> None:
    error = fail(answer, make_client)
    assert error.detail == 'not allowed: You need the "Manage Team Phone Numbers" permission.'
    assert error.hint is not None and "Manage Team Phone Numbers permission" in error.hint
    assert error.field_errors == {}


def test_group_members_are_read_one_group_at_a_time(
    make_client: Callable[..., CloseClient],
) -> None:
    body = {"id": "group_1", "members": [{"user_id": "user_a"}, {"user_id": "user_b"}]}
    recorder = Recorder(httpx.Response(200, json=body))
    assert make_client(recorder).group_members("group_1") == ("user_a", "user_b")
    assert recorder.requests[0].url.path == "/api/v1/group/group_1/"
    assert dict(recorder.requests[0].url.params) == {"_fields": "id,members"}

    with pytest.raises(ApiError, match="no list of members"):
        make_client(Recorder(httpx.Response(200, json={"id": "group_1"}))).group_members("g")


def test_closing_the_client_sums_up_what_it_sent_for_verbose_runs(
    make_client: Callable[..., CloseClient], caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.ConnectError("refused"),
        httpx.Response(200, json={"id": "user_1", "email": "a@example.com"}),
    )
    client = make_client(recorder, pace=False)
    client.me()
    with caplog.at_level(logging.INFO, logger="numbersync.http"):
        client.close()
    summaries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Close API")]
    assert summaries == [
        "Close API: 3 requests (GET 3); 2 retries after 2.8 s of waiting; 1 answered 429; "
        "1 without an answer; 0.0 s paced to the rate limits"
    ]


def test_tls_is_verified_for_https_and_plain_http_loads_no_certificate_bundle() -> None:
    from numbersync.close.transport import tls_verification

    # https: httpx's own verification, from SSL_CERT_FILE / SSL_CERT_DIR or certifi.
    assert tls_verification("https://api.close.com/api/v1") is True
    # http (loopback only): a context that would still verify, against no CA at all.
    context = tls_verification("http://127.0.0.1:8765/api/v1")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.get_ca_certs() == []
