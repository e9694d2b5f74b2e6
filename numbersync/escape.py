"""Text from a file or a server, made safe to print on a terminal or in a CI log.

Control characters, Unicode line and paragraph separators and bidirectional controls are shown
as backslash escapes, so that no value can move the cursor, recolour a terminal, start a line of
its own (which GitHub Actions would run as a `::workflow-command::`) or reorder what follows it.
Every place that prints such text goes through `escape`.
"""

from __future__ import annotations

import re

# C0 and C1 controls (NEL included), DEL, the line and paragraph separators, the bidi marks,
# embeddings, overrides and isolates, and the byte-order mark.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape(text: str) -> str:
    """`text` with every unsafe character replaced by its escape (`\\n`, `\\x1b`, `\\u2028`)."""
    return _UNSAFE.sub(_shown, text)


def is_safe(text: str) -> bool:
    return _UNSAFE.search(text) is None
