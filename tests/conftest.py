"""Shared fixtures: emulators over real sockets on loopback, generated seeds, and a time limit.

The emulator is imported inside the fixtures, so that a test module that needs none of them does
not depend on it.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from numbersync.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
EMULATOR_SEED = EXAMPLES / "emulator-seed.yaml"
# The Acme seed with every untidy mode on (see its header); same plan, more to cope with.
WILD_SEED = REPO / "tests" / "data" / "seeds" / "acme-wild.yaml"
ACME_SEEDS = {"tidy": EMULATOR_SEED, "wild": WILD_SEED}


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """-v points numbersync's logger at whatever stderr the CLI had (a CliRunner's, in-process);
    put the logger back after each test so that no test logs into another's output."""
    logger = logging.getLogger("numbersync")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A running emulator serving the Acme seed (examples/emulator-seed.yaml), fresh per test.

    `@pytest.mark.parametrize("emulator", ["tidy", "wild"], indirect=True)` runs a test against
    both the tidy seed and tests/data/seeds/acme-wild.yaml."""
    from numbersync.emulator import Emulator

    with Emulator(ACME_SEEDS[getattr(request, "param", "tidy")]) as emu:
        yield emu


@pytest.fixture
def email_twins(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Adds user_twin1 (twin@acme.example) and user_twin2 (Twin@Acme.example) to the running
    Acme emulator: one email for two users, which its seed loader refuses (Close treats emails
    case-insensitively), so they go straight into the served state. Returns their ids."""
    erin = next(u for u in emulator.state.users if u.email == "erin@acme.example")
    twins = (
        dataclasses.replace(erin, id="user_twin1", email="twin@acme.example"),
        dataclasses.replace(erin, id="user_twin2", email="Twin@Acme.example"),
    )
    monkeypatch.setattr(emulator.state, "users", (*emulator.state.users, *twins))
    return ("user_twin1", "user_twin2")


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., Emulator]]:
    """A factory: `start_emulator(seed, faults=..., rate_limits=...)` returns a running emulator
    (same arguments as Emulator); every one it started is stopped after the test."""
    from numbersync.emulator import Emulator

    started: list[Emulator] = []

    def start(seed: Any = None, **kwargs: Any) -> Emulator:
        emu = Emulator(seed, **kwargs).start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture(scope="session")
def large_seed() -> dict[str, Any]:
    """A generated seed with 10,000 numbers (deterministic; built once per session).
    Treat it as read-only: Emulator(large_seed) copies what it needs."""
    from numbersync.emulator import generate_seed

    return generate_seed(10_000)


@pytest.fixture
def time_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that runs longer than its `time_limit` mark (default 30 s) instead of hanging
    the suite: a hung socket must not stall CI. Use with
    `pytestmark = pytest.mark.usefixtures("time_limit")`; needs SIGALRM (POSIX)."""
    marker = request.node.get_closest_marker("time_limit")
    seconds = float(marker.args[0]) if marker else 30.0
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"{request.node.nodeid} took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "time_limit(seconds): the limit the time_limit fixture enforces (default 30)"
    )
