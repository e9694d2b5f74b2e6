"""Data files that have one copy in the source tree and are force-included into the wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent


def shipped_text(path: str) -> str:
    """The text of `path` (relative to the project root, e.g. `schemas/x.json`): the copy inside
    the installed package, or, in a source checkout, the file itself."""
    packaged = resources.files("numbersync") / path
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (SOURCE_ROOT / path).read_text(encoding="utf-8")
