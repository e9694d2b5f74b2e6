"""The credential never leaks: not in logs at DEBUG (ours, httpx's, httpcore's), exception text,
hints, reprs, or formatted tracebacks (even with their local variables), whatever goes wrong."""

from __future__ import annotations

import base64
import logging
import random
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from numbersync.close import CloseClient, Settings
from numbersync.errors import ApiError

CANARY = "api_CANARY.b7e1c0ffee5eed"
FORMS = (
    CANARY,
    base64.b64encode(f"{CANARY}:".encode()).decode(),  # the Basic header's value
    base64.b64encode(CANARY.encode()).decode()[:16],
)


def leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def everything_about(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    parts.append(
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    )
    parts += [str(getattr(exc, "hint", "")), repr(vars(exc))]
    return "\n".join(parts)


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], str]]:
    # Everything, from every logger: httpx and httpcore log at DEBUG too.
    with caplog.at_level(logging.DEBUG):
        for name in ("httpx", "httpcore", "numbersync"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        try:
            yield lambda: caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
        finally:
            for name in ("httpx", "httpcore", "numbersync"):
                logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.slow
@pytest.mark.parametrize("variable", ["CLOSE_API_KEY", "CLOSE_ACCESS_TOKEN"])
def test_the_credential_appears_nowhere(
    variable: str,
    captured: Callable[[], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    crashes = []

    # The handler reads the header inline: a local holding it would show up in the tracebacks
    # with locals that this test renders, and that would be the test's leak, not the client's.
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/me/"):
            return httpx.Response(
                200,
                json={"id": "user_1", "email": "a@example.com"},
                headers={"RateLimit": "limit=5, remaining=4, reset=1"},
            )
        if path.endswith("/user/"):  # a hostile server that echoes the request back
            echo = f"bad credentials: {request.headers['Authorization']} {CANARY}"
            return httpx.Response(401, text=echo)
        if path.endswith("/group/"):
            return httpx.Response(
                500, text=f"boom {request.headers['Authorization']}", headers={"RateLimit": CANARY}
            )
        if path.endswith("/phone_number/"):
            raise httpx.ReadError(
                f"connection reset while sending {request.headers['Authorization']}"
            )
        crashes.append(True)
        raise RuntimeError("the transport blew up")

    settings = Settings.from_env(
        {variable: CANARY, "CLOSE_API_URL": "https://close.example/api/v1"}
    )
    failures: list[BaseException] = []
    client = CloseClient(
        settings,
        transport=httpx.MockTransport(handler),
        sleep=lambda seconds: None,
        rng=random.Random(0),
        max_attempts=3,
    )
    with client:
        assert client.me().user_id == "user_1"
        for call in (client.list_users, client.list_groups, client.list_phone_numbers):
            with pytest.raises(ApiError) as caught:
                call()
            failures.append(caught.value)
        with pytest.raises(RuntimeError) as crashed:
            client.get_phone_number("phon_1")
        failures.append(crashed.value)
        texts = [repr(client), str(client.stats), repr(settings), str(vars(settings))]
    assert crashes, "the crash scenario did run"
    assert "401" in str(failures[0]) and "gave up after 3" in str(failures[1])
    texts += [everything_about(exc) for exc in failures]
    out, err = capsys.readouterr()
    texts += [captured(), out, err]
    assert leaks("\n".join(texts)) == []


def seed_with_canary() -> dict[str, Any]:
    """Three numbers, and the canary as a valid key (built here so no test frame holds it)."""
    from numbersync.emulator import generate_seed

    seed = generate_seed(3)
    seed["api_keys"].append({"key": CANARY, "user": seed["users"][0]["id"]})
    return seed


@pytest.mark.slow
def test_over_real_sockets_nothing_leaks(
    start_emulator: Callable[..., object], captured: Callable[[], str]
) -> None:
    from numbersync.emulator import Emulator, Faults

    emu = start_emulator(seed_with_canary(), faults=Faults(schedule=["drop", "503"]))
    assert isinstance(emu, Emulator)
    good = Settings.from_env({"CLOSE_API_KEY": CANARY, "CLOSE_API_URL": emu.url})
    bad = Settings.from_env({"CLOSE_API_KEY": CANARY + "x", "CLOSE_API_URL": emu.url})
    failures: list[BaseException] = []
    with CloseClient(good) as client:
        assert len(client.list_phone_numbers()) == 3  # after a dropped connection and a 503
    with CloseClient(bad) as client, pytest.raises(ApiError) as caught:
        client.me()
    failures.append(caught.value)
    emu.faults = Faults(drop_rate=1.0)
    with CloseClient(good, max_attempts=2) as client, pytest.raises(ApiError) as caught:
        client.me()
    failures.append(caught.value)
    texts = [captured(), *(everything_about(exc) for exc in failures)]
    assert "CLOSE_API_KEY was rejected" in texts[1]
    assert leaks("\n".join(texts)) == []


def echoing(text: str) -> str:
    """`text` with KEY as the credential and ESCAPED as the credential behind JSON's `\\u`
    escapes (worked out where it is used: a test's locals show in the tracebacks it renders)."""
    escaped = "".join(f"\\u{ord(char):04x}" for char in CANARY)
    return text.replace("ESCAPED", escaped).replace("KEY", CANARY)


@pytest.mark.parametrize(
    ("status", "reason", "body"),
    [
        (400, "Bad Request", '{"field-errors": {"KEY": "x", "ESCAPED": "y"}}'),
        (400, "Bad Request", '{"errors": ["ESCAPED"], "field-errors": {}}'),
        (400, "Bad Request", '{"field-errors": {"label": ["ESCAPED"]}}'),
        (409, "Conflict KEY", "{}"),
        (418, "Teapot", '[{"ESCAPED": [[["ESCAPED"]]]}]'),
        (503, "Down KEY", '"ESCAPED"'),
        (429, "Slow down KEY", ""),
    ],
)
def test_an_error_answer_echoing_the_credential_anywhere_raises_an_error_without_it(
    status: int, reason: str, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    """In the reason phrase, in a `field-errors` key or value, in an `errors` item, in a body of
    no known shape, raw or behind JSON's `\\u` escapes. (httpx's own log line quotes the
    reason phrase as it came: numbersync leaves that logger quiet at every -v, so only its
    own log records are searched here.)"""
    caplog.set_level(logging.DEBUG, logger="numbersync")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            content=echoing(body).encode(),
            headers={"Content-Type": "application/json", "X-Echo": echoing("KEY")},
            extensions={"reason_phrase": echoing(reason).encode()},
        )

    settings = Settings.from_env({"CLOSE_API_KEY": CANARY, "CLOSE_API_URL": "https://x.example"})
    with (
        CloseClient(
            settings, transport=httpx.MockTransport(handler), sleep=lambda s: None, max_attempts=2
        ) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.update_phone_number("phon_1", {"label": "x"})
    assert "****" in str(caught.value) + str(caught.value.field_errors)
    logged = "\n".join(str(r.__dict__) for r in caplog.records if r.name.startswith("numbersync"))
    assert "retrying" in logged or status < 500
    assert leaks(everything_about(caught.value) + logged) == []


@pytest.mark.parametrize(
    "written",
    [
        "api_a/b\\\\c.KEY",  # as the credential is: found in the raw text
        "api_a\\/b\\\\c.KEY",  # `/` escaped, as some servers write it
        "\\u0061pi_a/b\\u005cc.KEY",  # letters and the backslash as \u escapes
        "api_a/b\\\\c.\\u004bEY",
    ],
)
def test_read_json_scrubs_the_credential_however_json_writes_it(written: str) -> None:
    from numbersync.close.transport import read_json, scrubber

    settings = Settings.from_env(
        {"CLOSE_API_KEY": "api_a/b\\c.KEY", "CLOSE_API_URL": "https://x.example"}
    )
    body = f'{{"data": [{{"label": "x {written} y"}}], "{written}": ["{written}"]}}'
    document = read_json(httpx.Response(200, content=body.encode()), scrubber(settings))
    assert document == {"data": [{"label": "x **** y"}], "****": ["****"]}
