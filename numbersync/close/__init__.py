"""The Close API client: settings from the environment, paginated reads, paced and retried
writes, and errors that say what Close answered (see client.py, ratelimit.py, settings.py)."""

from numbersync.close.client import CloseClient
from numbersync.close.logs import configure_logging
from numbersync.close.ratelimit import RateLimit, parse_rate_limit, parse_retry_after
from numbersync.close.retry import Stats
from numbersync.close.settings import DEFAULT_API_URL, Secret, Settings

__all__ = [
    "DEFAULT_API_URL",
    "CloseClient",
    "RateLimit",
    "Secret",
    "Settings",
    "Stats",
    "configure_logging",
    "parse_rate_limit",
    "parse_retry_after",
]
