"""Shared fixtures: emulators over real sockets on loopback, and generated seeds. (Every test has
a time limit, from pytest-timeout: see pyproject.toml.)

The emulator is imported inside the fixtures, so that a test module that needs none of them does
not depend on it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

# `make test` draws the same examples every run, so that a landing never fails on one drawn for
# the first time; `make fuzz` (NUMBERSYNC_HYPOTHESIS=explore) draws new ones to find them.
settings.register_profile("suite", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("NUMBERSYNC_HYPOTHESIS", "suite"))

if TYPE_CHECKING:
    from numbersync.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
EMULATOR_SEED = EXAMPLES / "emulator-seed.yaml"
# The Acme seed with every untidy mode on (see its header); same plan, more to cope with.
WILD_SEED = REPO / "tests" / "data" / "seeds" / "acme-wild.yaml"
ACME_SEEDS = {"tidy": EMULATOR_SEED, "wild": WILD_SEED}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With `-m "not slow"` the end-to-end suites are not even imported: their imports
    (schemathesis among them) would cost the inner loop seconds for tests it leaves out."""
    if config.getoption("markexpr") == "not slow" and collection_path.name.startswith("test_e2e_"):
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end suites (test_e2e_*.py: the CLI against the emulator, in-process or in a
    process of its own) are slow as a whole; `pytest -m "not slow"` leaves them out."""
    for item in items:
        if item.path.name.startswith("test_e2e_"):
            item.add_marker(pytest.mark.slow)


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
