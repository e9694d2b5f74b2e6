"""The error the emulator's adjustable settings (rate limits, quirks) raise when a value cannot be
served: one "path: message" line per problem, so that a seed can report each under its own key.
"""

from __future__ import annotations


class SettingsError(ValueError):
    """Settings that cannot be served; `problems` holds one "path: message" line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
