"""A local Close API for tests, benchmarks and the demo: a real HTTP server on loopback with the
documented phone number, user, /me/ and group endpoints (group members and names writable),
validation, permissions, rate limits, fault injection, switchable departures from the docs
(quirks) and a request log. The seed format, and each way the emulator can be less tidy than
Close's docs, are described in seed.py.
"""

from numbersync.emulator.faults import FAULT_NAMES, Faults
from numbersync.emulator.quirks import Quirks
from numbersync.emulator.ratelimit import RateLimits
from numbersync.emulator.seed import (
    MINIMAL_SEED,
    SeedError,
    default_seed_path,
    generate_seed,
    load_seed,
)
from numbersync.emulator.server import Emulator, RecordedRequest
from numbersync.emulator.state import MANAGE_PERMISSION, State

__all__ = [
    "FAULT_NAMES",
    "MANAGE_PERMISSION",
    "MINIMAL_SEED",
    "Emulator",
    "Faults",
    "Quirks",
    "RateLimits",
    "RecordedRequest",
    "SeedError",
    "State",
    "default_seed_path",
    "generate_seed",
    "load_seed",
]
