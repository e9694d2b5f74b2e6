"""CloseClient's group member writes over httpx.MockTransport: the exact requests, what confirms
each, and their retries through the same path as a PUT's (a 5xx or a dropped answer is sent
again, as both writes are idempotent). No sleeping: time is fake."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from helpers import FakeTime

from numbersync.close import CloseClient, Settings
from numbersync.errors import ApiError

KEY = "api_test.key0000"
GROUP = "group_support"
USER = "user_alice"
Answer = httpx.Response | Exception


class Script:
    """Answers requests in order (the last answer repeats) and keeps what was sent."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.raw_path.decode(), body))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def make_client() -> Iterator[Callable[..., CloseClient]]:
    made: list[CloseClient] = []
    fake = FakeTime()

    def make(script: Script, **kwargs: Any) -> CloseClient:
        settings = Settings.from_env({"CLOSE_API_KEY": KEY})
        client = CloseClient(
            settings,
            transport=httpx.MockTransport(script),
            clock=fake.clock,
            sleep=fake.sleep,
            rng=random.Random(0),
            **kwargs,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


ADDED = httpx.Response(201, json={"user_id": USER})
REMOVED = httpx.Response(204)
MEMBER_PATH = f"/api/v1/group/{GROUP}/member/"


def test_adding_posts_the_user_id_and_is_confirmed_by_the_member_named(
    make_client: Callable[..., CloseClient],
) -> None:
    script = Script(ADDED)
    client = make_client(script)
    client.add_group_member(GROUP, USER)
    assert script.sent == [("POST", MEMBER_PATH, {"user_id": USER})]
    assert client.stats.requests == {("POST", "group"): 1}


def test_removing_deletes_the_member_path_and_any_success_confirms_it(
    make_client: Callable[..., CloseClient],
) -> None:
    script = Script(REMOVED, httpx.Response(200))
    client = make_client(script)
    client.remove_group_member(GROUP, USER)
    client.remove_group_member(GROUP, USER)  # 200 with no body, as developer.close.com lists it
    assert script.sent == [("DELETE", f"{MEMBER_PATH}{USER}/", None)] * 2


def test_ids_cannot_walk_to_another_path(make_client: Callable[..., CloseClient]) -> None:
    script = Script(httpx.Response(201, json={"user_id": "../x"}), REMOVED)
    client = make_client(script)
    client.add_group_member("../user", "../x")
    client.remove_group_member("g", "../me")
    assert [path for _, path, _ in script.sent] == [
        "/api/v1/group/..%2Fuser/member/",
        "/api/v1/group/g/member/..%2Fme/",
    ]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(201, json={"user_id": "user_bob"}),
        httpx.Response(201, json={}),
        httpx.Response(201, json=[USER]),
    ],
    ids=["another-member", "no-member", "not-an-object"],
)
def test_an_add_answer_that_does_not_name_the_member_is_not_a_confirmation(
    make_client: Callable[..., CloseClient], answer: httpx.Response
) -> None:
    with pytest.raises(ApiError) as caught:
        make_client(Script(answer)).add_group_member(GROUP, USER)
    assert caught.value.reached is True
    assert caught.value.message == (
        f"POST /group/{GROUP}/member/: the answer does not name the member added"
    )


def test_a_5xx_then_a_dropped_answer_is_sent_again_until_confirmed(
    make_client: Callable[..., CloseClient],
) -> None:
    dropped = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    script = Script(httpx.Response(503), dropped, ADDED)
    client = make_client(script)
    client.add_group_member(GROUP, USER)
    assert script.sent == [("POST", MEMBER_PATH, {"user_id": USER})] * 3
    assert (client.stats.retries, client.stats.transport_errors) == (2, 1)


def test_a_removal_that_never_gets_an_answer_may_have_reached_close(
    make_client: Callable[..., CloseClient],
) -> None:
    dropped = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    client = make_client(Script(httpx.Response(502), dropped), max_attempts=3)
    with pytest.raises(ApiError) as caught:
        client.remove_group_member(GROUP, USER)
    assert caught.value.reached is True
    assert caught.value.message.startswith(
        f"DELETE /group/{GROUP}/member/{USER}/: gave up after 3 attempts"
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"error": "No user with id user_alice."}),
        (403, {"error": 'You need the "manage_groups" permission to edit groups.'}),
        (400, {"errors": [], "field-errors": {"user_id": "This field is required."}}),
    ],
)
def test_a_refusal_is_not_retried_and_never_reached(
    make_client: Callable[..., CloseClient], status: int, body: dict[str, Any]
) -> None:
    script = Script(httpx.Response(status, json=body))
    with pytest.raises(ApiError) as caught:
        make_client(script).add_group_member(GROUP, USER)
    assert (caught.value.status, caught.value.reached, len(script.sent)) == (status, False, 1)


def test_additions_and_removals_share_the_writes_budget(
    make_client: Callable[..., CloseClient],
) -> None:
    """Close may count a member's POST and DELETE (and PUTs) together: a removal that used up
    the budget holds back the next addition until the window resets."""
    spent = {"RateLimit": "limit=2, remaining=0, reset=5"}
    script = Script(httpx.Response(204, headers=spent), ADDED)
    client = make_client(script)
    client.remove_group_member(GROUP, "user_bob")
    client.add_group_member(GROUP, USER)
    assert [method for method, _, _ in script.sent] == ["DELETE", "POST"]
    assert client.stats.pacing_wait >= 5
