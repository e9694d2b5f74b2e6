"""The credential never appears in anything numbersync writes, whatever command runs and whatever
goes wrong, at -v and -vv: stdout, stderr, saved plans, exported files, error reports.

A canary credential is used as the API key (and, in a second pass, as the OAuth token), and every
output is searched for it, for its Basic header form (base64 of "key:") and for pieces of it.
(tests/test_close_secrets.py checks the client alone, down to log records and tracebacks.)
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from numbersync import fetch
from numbersync.cli import main
from numbersync.close import retry
from numbersync.emulator import Emulator, Faults, generate_seed

pytestmark = pytest.mark.timeout(60)

SECRET = "CANARY_5ecr3t"
KEY = f"api_{SECRET}"
TOKEN = f"oauth_{SECRET}"
FORMS = (
    SECRET,
    "5ecr3t",
    base64.b64encode(f"{KEY}:".encode()).decode(),  # the Basic header's value
    base64.b64encode(f"{KEY}:".encode()).decode()[4:20],  # and a piece of it
    base64.b64encode(TOKEN.encode()).decode()[:16],
)


def leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def canary_seed() -> dict[str, Any]:
    seed = generate_seed(12, users=3, groups=2)
    admin = seed["users"][0]["id"]
    seed["api_keys"].append({"key": KEY, "user": admin})
    seed["oauth_tokens"].append({"token": TOKEN, "user": admin})
    return seed


SEED = canary_seed()


def config_text(*, unknown_participant: bool = False) -> str:
    """Labels for every number; participants by email and groups by name on some, so that users
    and groups are read too. With `unknown_participant`, one number asks for a user id Close does
    not know, which the plan cannot check (no emails in the file) and the PUT gets a 400 for."""
    lines = ["version: 1", "numbers:"]
    for i, entry in enumerate(SEED["numbers"][:8]):
        fields = [f'label: "Secret test {i}"']
        if unknown_participant and i == 0:
            fields.append("participants: [user_nobody000000000000000000000000000000000000]")
        elif not unknown_participant and i % 2 == 0:
            fields.append(f"participants: [{SEED['users'][1]['email']}]")
            fields.append("participant_groups: [Group 1]")
        lines.append(f'  "{entry["number"]}": {{{", ".join(fields)}}}')
    return "\n".join(lines) + "\n"


class Outputs:
    """Runs numbersync in-process and keeps everything it printed, for one search at the end."""

    def __init__(self, variable: str, credential: str, verbosity: str) -> None:
        self.variable = variable
        self.credential = credential
        self.verbosity = verbosity
        self.texts: dict[str, str] = {}

    def run(self, name: str, url: str, *args: str, **env: str | None) -> Any:
        environment: dict[str, str | None] = {
            "CLOSE_API_KEY": None,
            "CLOSE_ACCESS_TOKEN": None,
            self.variable: self.credential,
            "CLOSE_API_URL": url,
            "NO_COLOR": "1",
            **env,
        }
        result = CliRunner().invoke(main, [self.verbosity, *args], env=environment)
        self.texts[name] = f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
        return result


class EchoHandler(http.server.BaseHTTPRequestHandler):
    """A server that repeats the request's Authorization header (and the key it decodes to) in
    whatever it answers: bodies, error messages, field errors, headers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization", "")
        scheme, _, value = authorization.partition(" ")
        decoded = base64.b64decode(value).decode() if scheme == "Basic" else value
        echo = f"{authorization} {decoded}"
        kind = self.server.kind  # type: ignore[attr-defined]
        json_type = {"Content-Type": "application/json"}
        if kind == "500":
            body = json.dumps({"error": f"internal error for {echo}"}).encode()
            self.answer(500, body, {**json_type, "Retry-After": "0"})
        elif kind == "400":
            body = {"errors": [f"bad {echo}"], "field-errors": {"_fields": f"no {echo}"}}
            self.answer(400, json.dumps(body).encode(), json_type)
        elif kind == "401":
            self.answer(401, json.dumps({"error": f"Invalid key {echo}"}).encode(), json_type)
        elif kind == "html":
            self.answer(200, f"<html>Welcome {echo}</html>".encode(), {"Content-Type": "text/html"})
        elif kind == "redirect":
            self.answer(302, b"", {"Location": f"https://login.example.com/?key={decoded}"})
        else:  # 429 with the echo in every rate-limit header
            headers = {"RateLimit": f"limit=1, remaining=0, reset=0.01, key={decoded}"}
            self.answer(429, echo.encode(), {**headers, "Retry-After": "0"})


@pytest.fixture
def echo_server() -> Iterator[Callable[[str], str]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(kind: str) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
        server.daemon_threads = True
        server.kind = kind  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/api/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("verbosity", ["-v", "-vv"])
@pytest.mark.parametrize(
    ("variable", "credential"),
    [("CLOSE_API_KEY", KEY), ("CLOSE_ACCESS_TOKEN", TOKEN)],
    ids=["api-key", "access-token"],
)
def test_no_command_and_no_failure_prints_the_credential(
    variable: str,
    credential: str,
    verbosity: str,
    start_emulator: Callable[..., Emulator],
    echo_server: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    # Retries without waiting: what is printed is the same, the test just does not sleep.
    monkeypatch.setattr(retry, "backoff_delay", lambda attempt, rng: 0.0)
    config = tmp_path / "numbers.yaml"
    config.write_text(config_text())
    rejected = tmp_path / "rejected.yaml"
    rejected.write_text(config_text(unknown_participant=True))
    out = Outputs(variable, credential, verbosity)
    emu = start_emulator(SEED)

    assert out.run("validate", emu.url, "validate", "-c", str(config)).exit_code == 0
    result = out.run("plan", emu.url, "plan", "-c", str(config), "--out", "plan.json")
    assert result.exit_code == 0, result.output
    assert "Plan: 8 to change" in result.stdout
    for fmt in ("json", "markdown"):
        assert out.run(f"plan {fmt}", emu.url, "plan", "-c", str(config), "--format", fmt)
    result = out.run("apply saved plan", emu.url, "apply", "plan.json")
    assert result.exit_code == 0, result.output
    result = out.run("export", emu.url, "export")
    assert result.exit_code == 0 and "numbers:" in result.stdout
    assert out.run("export -o", emu.url, "export", "-o", "exported.yaml").exit_code == 0

    # A PUT that Close rejects with field errors (the plan, which checks user ids, is told
    # not to read the users, so that the unknown one reaches Close).
    monkeypatch.setattr(fetch, "needs_directory", lambda state: (False, False))
    result = out.run("apply 400", emu.url, "apply", "-c", str(rejected), "--auto-approve")
    assert result.exit_code == 1 and "Not a user of this organization" in result.output

    # Close fails every request until numbersync gives up.
    emu.faults = Faults(error_rate=1.0, error_statuses=[500])
    result = out.run("plan 500 storm", emu.url, "plan", "-c", str(config))
    assert result.exit_code == 1 and "gave up after 6 attempts" in result.stderr
    emu.faults = Faults()

    # A credential Close does not know.
    stranger = start_emulator(generate_seed(3))
    result = out.run("plan 401", stranger.url, "plan", "-c", str(config))
    assert result.exit_code == 1 and f"{variable} was rejected" in result.stderr

    # A server that repeats the credential back in everything it answers.
    for kind in ("500", "400", "401", "html", "redirect", "429"):
        result = out.run(f"echo {kind}", echo_server(kind), "plan", "-c", str(config))
        assert result.exit_code == 1, (kind, result.output)

    # The credential pasted where it does not belong, or with a stray quote.
    for name, url in [
        ("url is the key", credential),
        ("url query", f"https://api.close.com/api/v1?key={credential}"),
        ("url port", f"https://api.close.com:{credential}/api/v1"),
        ("url userinfo", f"https://{credential}@api.close.com/api/v1"),
    ]:
        assert out.run(name, url, "plan", "-c", str(config)).exit_code == 1
    quoted = {variable: f'"{credential}"'}
    assert out.run("quoted", emu.url, "plan", "-c", str(config), **quoted).exit_code == 1

    # A bug of ours that puts the client and its settings into the message: reprs are masked.
    def broken(client: Any, state: Any, *_: Any) -> Any:
        raise RuntimeError(f"{client!r} {client.settings!r} {vars(client)!r}")

    monkeypatch.setattr(fetch, "fetch_for_plan", broken)
    result = out.run("unexpected error", emu.url, "plan", "-c", str(config))
    assert "Error: unexpected RuntimeError" in result.stderr

    files = {str(p): p.read_text(errors="replace") for p in tmp_path.iterdir() if p.is_file()}
    assert {"plan.json", "exported.yaml"} <= {Path(p).name for p in files}
    found = {name: leaks(text) for name, text in {**out.texts, **files}.items() if leaks(text)}
    assert found == {}, found


def test_a_real_process_at_vv_prints_no_credential(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    """The same through a real process: nothing from logging's fallbacks, warnings or the
    interpreter reaches the terminal with the credential either."""
    emu = start_emulator(SEED, faults=Faults(schedule=["503", "drop", "429"]))
    config = tmp_path / "numbers.yaml"
    config.write_text(config_text())
    env = {**os.environ, "CLOSE_API_KEY": KEY, "CLOSE_API_URL": emu.url, "NO_COLOR": "1"}
    env.pop("CLOSE_ACCESS_TOKEN", None)
    texts = []
    for args in (
        ["-vv", "apply", "-c", str(config), "--auto-approve", "--force"],
        ["-vv", "plan", "-c", str(config), "--detailed-exitcode"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "numbersync", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        texts.append(result.stdout + result.stderr)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "retrying" in texts[0]
    assert "RateLimit" in texts[1]  # -vv shows the headers, and still not the key
    assert leaks("\n".join(texts)) == []


def json_escaped(text: str) -> str:
    """`text` as JSON writes it with every character a `\\u` escape: the same string once read."""
    return "".join(f"\\u{ord(char):04x}" for char in text)


class EchoingClose(http.server.BaseHTTPRequestHandler):
    """A Close that answers well enough for a plan and an apply to run, and repeats the caller's
    credential (raw, its Basic form, and JSON-escaped) wherever a server can put text: reason
    phrases, `field-errors` keys and values, `errors` items, error bodies of no known shape,
    and the label of a number."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def echo(self) -> tuple[str, str]:
        """The Authorization header and the credential in it; and the credential JSON-escaped."""
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        credential = base64.b64decode(value).decode()[:-1] if scheme == "Basic" else value
        return f"{scheme} {value} {credential}", json_escaped(credential)

    def answer(self, status: int, reason: str, body: str) -> None:
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    def do_GET(self) -> None:
        echo, escaped = self.echo()
        path = self.path.partition("?")[0]
        server: Any = self.server
        if path == "/api/v1/phone_number/" and not server.listed:
            server.listed = True  # the first read is refused, and retried
            self.answer(503, f"Unavailable {echo}", f'{{"note": "busy {escaped}"}}')
        elif path == "/api/v1/phone_number/":
            numbers = [
                {"id": "phon_1", "number": "+16503334444", "label": "Old"},
                {"id": "phon_2", "number": "+16503334445", "label": "Old"},
                {"id": "phon_3", "number": "+16503334446", "label": f"Hi ESCAPED {echo}"},
            ]
            body = json.dumps({"data": numbers, "has_more": False})
            self.answer(200, "OK", body.replace("ESCAPED", escaped))
        else:  # /me/: the plan goes on without it, and says why at -v
            self.answer(403, f"Forbidden {echo}", f'{{"error": "no {escaped}"}}')

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        echo, escaped = self.echo()
        if self.path.startswith("/api/v1/phone_number/phon_1/"):
            body = (
                f'{{"errors": ["{escaped}", "{echo}"], '
                f'"field-errors": {{"label {escaped}": "bad {escaped}", "{echo}": "{echo}"}}}}'
            )
            self.answer(400, f"Bad Request {echo}", body)
        else:  # a status numbersync has no words for, and a body of no known shape
            self.answer(409, f"Conflict {echo}", f'{{"{escaped}": ["{escaped}", "{echo}"]}}')


@pytest.mark.parametrize("verbosity", ["-v", "-vv"])
@pytest.mark.parametrize(
    ("variable", "credential"),
    [("CLOSE_API_KEY", KEY), ("CLOSE_ACCESS_TOKEN", TOKEN)],
    ids=["api-key", "access-token"],
)
def test_a_credential_echoed_in_reason_phrases_and_field_error_keys_is_printed_nowhere(
    variable: str,
    credential: str,
    verbosity: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(retry, "backoff_delay", lambda attempt, rng: 0.0)
    Path("numbers.yaml").write_text(
        'version: 1\nnumbers:\n  "+16503334444": {label: New}\n  "+16503334445": {label: New}\n'
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoingClose)
    server.daemon_threads = True
    server.listed = False  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    out = Outputs(variable, credential, verbosity)
    try:
        for fmt in ("text", "markdown", "json"):
            server.listed = False  # type: ignore[attr-defined]
            args = ("plan", "--format", fmt, "--show-unmanaged", "--out", f"plan-{fmt}.json")
            result = out.run(f"plan {fmt}", url, *args)
            assert result.exit_code == 0, result.output
        server.listed = False  # type: ignore[attr-defined]
        result = out.run("apply", url, "apply", "--auto-approve", "--report", "report.json")
    finally:
        server.shutdown()
        server.server_close()

    assert result.exit_code == 1, result.output
    files = {p.name: p.read_text() for p in tmp_path.iterdir()}
    found = {name: leaks(text) for name, text in {**out.texts, **files}.items() if leaks(text)}
    assert found == {}, found
    assert "retrying GET /phone_number/" in result.stderr
    assert "GET /me/ failed" in result.stderr
    report = json.loads(Path("report.json").read_text())
    assert [n["status"] for n in report["numbers"]] == ["failed", "failed"]
    scheme = "Basic" if variable == "CLOSE_API_KEY" else "Bearer"
    assert report["numbers"][1]["message"] == (
        f'PUT /phone_number/phon_2/ (409): 409 Conflict {scheme} **** ****: {{"****": ["****", '
        f'"{scheme} **** ****"]}}'
    )
    # The label that held it is shown scrubbed, as Close's words are.
    assert f'"Hi **** {scheme} **** ****"' in out.texts["plan text"]
