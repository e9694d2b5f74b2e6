"""Commands that need no Close account: `emulator` (the local Close API) and `demo`."""

from __future__ import annotations

import sys

import click

from numbersync.cli.common import epilog, reports_errors


@click.command(epilog=epilog(None, "0 every step behaved as expected; 1 otherwise"))
@reports_errors
def demo() -> None:
    """Walk through validate, plan, apply on the emulator: Acme's sample, a scratch copy."""
    from numbersync.demo import run_demo

    sys.exit(run_demo(click.echo))


@click.command(epilog=epilog(None, "0 stopped by Ctrl-C; 1 an error (a bad seed, a busy port)"))
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port to bind (default: a free one)."
)
@click.option(
    "--seed",
    "seed_path",
    metavar="FILE",
    help="Seed YAML: users, groups, keys, numbers (default: the Acme sample built into "
    "numbersync, a copy of examples/emulator-seed.yaml).",
)
@click.option(
    "--latency", type=click.FloatRange(min=0), metavar="S", help="Seconds added to every response."
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    metavar="X",
    help="Share of requests (0..1) answered with a 5xx.",
)
@click.option(
    "--rate-limit", metavar="N/S", help="Allow N requests per S seconds per key and endpoint group."
)
@reports_errors
def emulator(
    host: str,
    port: int,
    seed_path: str | None,
    latency: float | None,
    error_rate: float | None,
    rate_limit: str | None,
) -> None:
    """Run the local Close API emulator until Ctrl-C, printing the exports to paste first."""
    from numbersync.emulator.serve import serve

    serve(
        host=host,
        port=port,
        seed=seed_path,
        latency=latency,
        error_rate=error_rate,
        rate_limit=rate_limit,
    )
