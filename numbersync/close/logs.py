"""Logging set-up for `-v` and `-vv`: numbersync's messages on stderr, each line escaped, since
paths, headers and server text can carry control characters."""

from __future__ import annotations

import logging
import sys

from numbersync.escape import escape


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler configure_logging installed, so that calling it again replaces it."""


class _EscapingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return escape(super().format(record))


def configure_logging(verbosity: int) -> None:
    """Log numbersync's messages to stderr: warnings by default, each request with -v, rate-limit
    headers with -vv. httpx's and httpcore's own loggers are left alone (quiet)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logger = logging.getLogger("numbersync")
    for handler in list(logger.handlers):
        if isinstance(handler, _StderrHandler):
            logger.removeHandler(handler)
    handler = _StderrHandler(sys.stderr)
    handler.setFormatter(_EscapingFormatter("%(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
