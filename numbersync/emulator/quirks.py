"""Switches for where the emulated Close answers less tidily than its docs, or where they are
silent (how a forbidden change is refused, whether deprecated fields are still served, what a
write to a personal number does), read on every request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from numbersync.emulator.settings import SettingsError
from numbersync.emulator.state import GROUP_PERMISSION, Rules

# Deprecated on 2026-07-21 (fields and list filters alike), to be removed.
DEPRECATED_FIELDS: tuple[str, ...] = ("user_id", "is_group_number")
PERMISSION_ERROR_STATUSES = (403, 400)
PERSONAL_NUMBER_STATUSES = (403, 400, 404)
PERSONAL_MEMBERS = ("refuse", "group")


@dataclass
class Quirks:
    """How the emulator departs from the tidy documented API. Mutable: a test may change it while
    the server runs. The defaults are the tidy behaviour.

    `permission_error`: 403 answers a forbidden PUT with `{"error": "..."}`; 400 answers it as a
    validation error, `{"errors": ["..."], "field-errors": {}}` (Close's status for this case is
    undocumented, close-api.md section 9). `deprecated_fields`: False drops `user_id` and
    `is_group_number` from every phone number answered (list, get, PUT, /me/) and ignores the
    `user_id` and `is_group_number` list filters, as an API ignores unknown query parameters.

    Personal numbers (one member, no groups, no external numbers). `personal_numbers`: True
    refuses a write by anyone but its member ("You can only update your own personal numbers"),
    answered as `personal_number_error` says: 403 `{"error": ...}`, 400 with an `errors` list,
    or 404 as if the number were not there (Close documents none of them). `personal_members`:
    "refuse" answers a write of participants, participant_groups or phone_numbers that would
    change who a personal number rings with a 400 field error; "group" makes it a group number.
    `forwarding_needs_target`: True refuses, with a 400 field error, a write that leaves
    forwarding on with no forward_to.

    `group_permission`: the permission string a caller's role (or /me/ list) must grant for
    group writes (members, create, rename); Close documents none, so this is the emulator's
    guess. A refusal is answered as `permission_error` says.
    """

    permission_error: int = 403
    deprecated_fields: bool = True
    personal_numbers: bool = True
    personal_number_error: int = 403
    personal_members: str = "refuse"
    forwarding_needs_target: bool = True
    group_permission: str = GROUP_PERMISSION

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
        status = self.personal_number_error
        if isinstance(status, bool) or status not in PERSONAL_NUMBER_STATUSES:
            problems.append(f"personal_number_error: must be 403, 400 or 404, got {status!r}")
        for name in ("deprecated_fields", "personal_numbers", "forwarding_needs_target"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                problems.append(f"{name}: must be true or false, got {value!r}")
        if not isinstance(self.group_permission, str) or not _PERMISSION.match(
            self.group_permission
        ):
            problems.append(
                "group_permission: must be a snake_case permission name, got "
                f"{self.group_permission!r}"
            )
        if self.personal_members not in PERSONAL_MEMBERS:
            problems.append(
                f"personal_members: must be refuse or group, got {self.personal_members!r}"
            )
        return problems

    @property
    def rules(self) -> Rules:
        """The write rules these quirks ask of the state."""
        group = self.personal_members == "group"
        return Rules(
            self.personal_numbers, "group" if group else "refuse", self.forwarding_needs_target
        )


_FIELDS = frozenset(
    {"permission_error", "deprecated_fields", "personal_numbers", "personal_number_error"}
    | {"personal_members", "forwarding_needs_target", "group_permission"}
)
_PERMISSION = re.compile(r"^[a-z][a-z0-9_]*$")
