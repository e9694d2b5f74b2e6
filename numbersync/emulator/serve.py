"""`numbersync emulator`: serve a seed in the foreground on loopback, print the exports a user
pastes into a shell, log each request on stderr, and stop cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import shlex
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from numbersync.emulator.faults import Faults
from numbersync.emulator.ratelimit import RateLimits
from numbersync.emulator.seed import default_seed_path, load_seed
from numbersync.emulator.server import Emulator, RecordedRequest
from numbersync.errors import UsageError
from numbersync.loopback import is_loopback


def parse_rate_option(text: str) -> tuple[int, float]:
    """The `--rate-limit N/S` option (N requests per S seconds) as (N, S); UsageError when
    malformed. (Close's `RateLimit` header is read by close.ratelimit.parse_rate_limit.)"""
    count, slash, seconds = text.partition("/")
    try:
        limit, window = int(count), float(seconds)
    except ValueError:
        limit, window = 0, 0.0
    if not slash or limit < 1 or window <= 0:
        raise UsageError(
            f"--rate-limit must be N/S (N requests per S seconds), e.g. 20/1; got {text!r}"
        )
    return limit, window


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: str | None = None,
    latency: float | None = None,
    error_rate: float | None = None,
    rate_limit: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> None:
    """Run until interrupted. Flags override the seed's `faults` and `rate_limits`."""
    out = out or sys.stdout
    err = err or sys.stderr
    if not is_loopback(host):
        # The seeds hold well-known fake keys: anyone who can reach the port could use them.
        raise UsageError(
            f"refusing to listen on {host}: the emulator is a test tool for this machine only",
            hint="Use a loopback address such as 127.0.0.1 (the default) or ::1.",
        )
    source = Path(seed) if seed else default_seed_path()
    data = load_seed(source)
    try:
        faults = Faults.from_mapping(data.get("faults") or {})
        if latency is not None:
            faults.latency = latency
        if error_rate is not None:
            faults.error_rate = error_rate
        problems = faults.problems()
        if problems:
            raise ValueError("; ".join(problems))
    except ValueError as exc:
        raise UsageError(f"invalid fault settings: {exc}") from None
    rate_limits = RateLimits.from_mapping(data.get("rate_limits") or {})
    if rate_limit is not None:
        rate_limits.limit, rate_limits.window = parse_rate_option(rate_limit)

    def log_request(entry: RecordedRequest) -> None:
        query = "&".join(f"{k}={v}" for k, v in entry.query.items())
        status = entry.status or "dropped"
        print(f"{entry.method} {entry.path}{'?' + query if query else ''} -> {status}", file=err)

    emulator = Emulator(
        data, host=host, port=port, faults=faults, rate_limits=rate_limits, on_request=log_request
    )
    try:
        emulator.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        _announce(emulator, source, out, err)
        _wait_for_interrupt()
    finally:
        emulator.stop()
    print("# emulator stopped", file=err, flush=True)


def _announce(emulator: Emulator, source: Path, out: TextIO, err: TextIO) -> None:
    """Stdout gets only the lines to paste; everything else goes to stderr as shell comments."""
    state = emulator.state
    keys = state.api_keys
    print(f"export CLOSE_API_URL={emulator.url}", file=out)
    try:
        first = emulator.admin_key
    except LookupError:
        first = keys[0].secret if keys else ""
    if first:
        print(f"export CLOSE_API_KEY={shlex.quote(first)}", file=out)
    else:
        print(f"export CLOSE_ACCESS_TOKEN={shlex.quote(state.oauth_tokens[0].secret)}", file=out)
    out.flush()
    print(
        f"# Close API emulator serving {source}: {len(state)} numbers, {len(state.users)} users,"
        f" {len(state.groups)} groups. The keys are fake. Ctrl-C to stop.",
        file=err,
    )
    for credential in state.credentials:
        if credential.secret == first:
            continue
        user = state.user(credential.user_id)
        who = user.email if user else credential.user_id
        restricted = "" if user and user.can_manage_numbers else " (no manage permission)"
        variable = "CLOSE_API_KEY" if credential.kind == "key" else "CLOSE_ACCESS_TOKEN"
        print(
            f"#   {who}{restricted}: export {variable}={shlex.quote(credential.secret)}",
            file=err,
        )
    err.flush()


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM; both end the process the same quiet way.

    Both are handled here, SIGINT too: a process started in the background of a script inherits
    SIGINT ignored, and Python then installs no handler of its own, so `kill -INT` would do
    nothing."""

    def terminate(signum: int, frame: FrameType | None) -> Any:
        raise KeyboardInterrupt

    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, terminate) for sig in stops}
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
