"""Loopback hosts: the one check that lets plain http through, keeps the credential away from
proxies and keeps the emulator on this machine. Every way a URL or a flag writes a loopback
host counts; a name counts only when it is literally `localhost`, never after resolving it."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EMULATOR_SEED
from helpers import cli

from numbersync.cli import main
from numbersync.close.settings import check_api_url
from numbersync.emulator import Emulator
from numbersync.emulator.serve import serve
from numbersync.errors import UsageError
from numbersync.loopback import is_loopback


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.8.9.10", "localhost", "LocalHost", "::1", "[::1]", "::ffff:127.0.0.1"],
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [
        "LOCALHOST.",  # a fully qualified name: only a resolver could say where it points
        "localhost.example",
        "localhost..",
        "10.0.0.1",
        "::ffff:10.0.0.1",
        "::",
        "0.0.0.0",
        "[::1",
        "api.close.com",
        "",
    ],
)
def test_not_loopback_hosts(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api/v1",
        "http://localhost:8080/api/v1",
        "http://[::1]:8080/api/v1",
        "http://[::ffff:127.0.0.1]:8080/api/v1",
    ],
)
def test_plain_http_is_allowed_to_every_loopback_form(url: str) -> None:
    assert check_api_url(url) == url


def test_plain_http_to_a_fully_qualified_localhost_is_refused() -> None:
    with pytest.raises(UsageError, match=r"plain http:// to localhost\.,"):
        check_api_url("http://LOCALHOST.:8080/api/v1")


def test_the_emulator_refuses_a_name_it_would_have_to_resolve() -> None:
    with pytest.raises(UsageError, match=r"refusing to listen on LOCALHOST\.:"):
        serve(host="LOCALHOST.")


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_a_plan_against_the_emulator_on_ipv6_loopback(
    start_emulator: Callable[..., Emulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy configured for everything must be bypassed for [::1] too.
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    emu = start_emulator(EMULATOR_SEED, host="::1")
    assert emu.url.startswith("http://[::1]:")
    config = tmp_path / "numbers.yaml"
    config.write_text('version: 1\nnumbers:\n  "+16503334444": {label: Support}\n')

    result = cli(emu, "plan", "-c", str(config))

    assert result.exit_code == 0, result.output
    assert 'label: "Sales" -> "Support"' in result.stdout
    assert sorted(r.path for r in emu.requests) == ["/me/", "/phone_number/"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_every_ipv4_loopback_form_reaches_the_emulator_past_a_proxy(
    emulator: Emulator, host: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")  # a proxy that is never there
    config = tmp_path / "numbers.yaml"
    config.write_text('version: 1\nnumbers:\n  "+16503334444": {label: Sales}\n')
    url = emulator.url.replace("127.0.0.1", host)
    env = {"CLOSE_API_URL": url, "CLOSE_API_KEY": emulator.admin_key, "CLOSE_ACCESS_TOKEN": None}

    result = CliRunner().invoke(main, ["plan", "-c", str(config)], env=env)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("No changes.")
