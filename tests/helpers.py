"""Helpers shared by several test modules (pytest puts tests/ on sys.path)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TypeVar

from click.testing import CliRunner, Result

from numbersync import config
from numbersync.cli import main
from numbersync.errors import InputError, UsageError
from numbersync.files import read_file
from numbersync.yamlsource import parse

if TYPE_CHECKING:
    from numbersync.emulator import Emulator


def cli(emu: Emulator, *args: str, key: str | None = None) -> Result:
    """Run `numbersync ARGS` in-process against `emu`, with its admin key unless `key`; stdin
    is not a terminal and colour is off."""
    env: dict[str, str | None] = {
        "CLOSE_API_URL": emu.url,
        "CLOSE_API_KEY": key or emu.admin_key,
        "CLOSE_ACCESS_TOKEN": None,
        "NO_COLOR": "1",
    }
    return CliRunner().invoke(main, list(args), env=env)


class FakeTime:
    """A clock and a sleep that only move forward when slept on, recording every sleep."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def assert_schema_checks_agree(path: str) -> None:
    """config's compiled fast path may only skip jsonschema when jsonschema finds nothing."""
    try:
        doc = parse(path, read_file(path))
    except (InputError, UsageError):
        return  # refused before the schema: nothing to compare
    if doc.data is None:
        return
    data = config._with_phone_texts(doc)
    thorough = next(iter(config._validator().iter_errors(data)), None) is None
    assert config.is_valid_quickly(data) == thorough, path


H = TypeVar("H", bound=BaseHTTPRequestHandler)


@contextmanager
def fake_api(base: type[H], **attributes: Any) -> Iterator[tuple[str, type[H]]]:
    """A fake REST API on 127.0.0.1: a fresh subclass of `base` with `attributes` of its own
    (what it answers, what it was asked) served on a free port until the block ends; its URL
    and the class."""
    handler = type("Handler", (base,), attributes)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
