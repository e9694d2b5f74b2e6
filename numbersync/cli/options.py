"""Options that the group and every command share, apart from the commands so that both can
import them without a loop (the group loads the commands lazily)."""

from __future__ import annotations

import click


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: int) -> None:
    # Accepted before and after the command name; counts add up (`-v plan -v` is -vv).
    root = ctx.find_root()
    total = root.meta.get("numbersync.verbosity", 0) + value
    root.meta["numbersync.verbosity"] = total
    if value:
        from numbersync.close import configure_logging

        configure_logging(total)


verbose_option = click.option(
    "-v",
    "--verbose",
    count=True,
    expose_value=False,
    callback=_set_verbosity,
    help="Log each API request to stderr (-vv: with rate-limit headers).",
)
