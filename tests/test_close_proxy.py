"""Proxies never see the credential: loopback traffic (the emulator, a CI service) bypasses
HTTP_PROXY and friends, and https through a proxy is a CONNECT tunnel that carries no
Authorization header. A recording fake proxy on loopback shows what a proxy would receive."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import cli

from numbersync.cli import main
from numbersync.emulator import Emulator

KEY = "api_proxytest.secret0000"


class RecordingProxy:
    """Accepts connections, records what each sends first, answers 502 and hangs up."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.received.append(data)
                connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    recorder = RecordingProxy()
    yield recorder
    recorder.close()


def proxy_env(url: str) -> dict[str, str]:
    return {name: url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy")}


def test_loopback_requests_bypass_the_proxy(
    emulator: Emulator, proxy: RecordingProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in proxy_env(proxy.url).items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "numbers.yaml"
    config.write_text('version: 1\nnumbers:\n  "+16503334444": {label: Sales}\n')

    result = cli(emulator, "plan", "-c", str(config))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("No changes.")
    assert proxy.received == []
    assert sorted(r.path for r in emulator.requests) == ["/me/", "/phone_number/"]


def test_https_through_a_proxy_is_a_tunnel_without_the_credential(
    proxy: RecordingProxy,
) -> None:
    env = {
        **proxy_env(proxy.url),
        "CLOSE_API_URL": "https://api.close.example/api/v1",
        "CLOSE_API_KEY": KEY,
    }

    result = CliRunner().invoke(main, ["export"], env=env)

    assert result.exit_code == 1
    assert "ProxyError" in result.stderr
    assert KEY not in result.stderr
    (first, *_) = proxy.received
    assert first.startswith(b"CONNECT api.close.example:443 HTTP/1.1\r\n")
    assert b"authorization" not in first.lower()
    assert KEY.encode() not in first
