"""Switches for where the emulated Close answers less tidily than its docs (how a forbidden change
is refused, whether deprecated fields are still served), read on every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from numbersync.emulator.settings import SettingsError

# Deprecated on 2026-07-21 (fields and list filters alike), to be removed.
DEPRECATED_FIELDS: tuple[str, ...] = ("user_id", "is_group_number")
PERMISSION_ERROR_STATUSES = (403, 400)


@dataclass
class Quirks:
    """How the emulator departs from the tidy documented API. Mutable: a test may change it while
    the server runs. The defaults are the tidy behaviour.

    `permission_error`: 403 answers a forbidden PUT with `{"error": "..."}`; 400 answers it as a
    validation error, `{"errors": ["..."], "field-errors": {}}` (Close's status for this case is
    undocumented, close-api.md section 9). `deprecated_fields`: False drops `user_id` and
    `is_group_number` from every phone number answered (list, get, PUT, /me/) and ignores the
    `user_id` and `is_group_number` list filters, as an API ignores unknown query parameters.
    """

    permission_error: int = 403
    deprecated_fields: bool = True

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise SettingsError(problems)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Quirks:
        """Build from a seed's `quirks:` mapping; raises SettingsError naming every problem."""
        problems = [
            f"{key}: unknown key; expected some of {sorted(_FIELDS)}"
            for key in sorted(set(data) - _FIELDS, key=str)
        ]
        if problems:
            raise SettingsError(problems)
        return cls(**data)

    def problems(self) -> list[str]:
        """Every value that cannot be served, as "key: message" (empty when usable)."""
        problems = []
        status = self.permission_error
        if isinstance(status, bool) or status not in PERMISSION_ERROR_STATUSES:
            problems.append(f"permission_error: must be 403 or 400, got {status!r}")
        if not isinstance(self.deprecated_fields, bool):
            problems.append(
                f"deprecated_fields: must be true or false, got {self.deprecated_fields!r}"
            )
        return problems


_FIELDS = frozenset({"permission_error", "deprecated_fields"})
