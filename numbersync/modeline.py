"""The editor modeline of a config file numbersync writes, and the schema file it points at: a
numbersync.schema.json beside the output or in a directory above it (up to the repository's root),
or one written beside the output. A path, never a URL, so that editors complete offline."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SCHEMA_FILE = "numbersync.schema.json"
MODELINE = "# yaml-language-server: $schema="
# Said instead of a modeline when there is no schema file to point at (export to stdout).
NO_SCHEMA_HINT = (
    "# Editor support: `numbersync export -o FILE` also writes the schema, and points this "
    "line at it."
)


@dataclass(frozen=True)
class SchemaFile:
    """Where the schema is, and whether it is already there (else it is to be written)."""

    path: str
    exists: bool


def find_schema(directory: str) -> SchemaFile:
    """The numbersync.schema.json in `directory` or the nearest directory above it, looking no
    higher than the repository's root (the first directory holding `.git`) or the filesystem's;
    when there is none, the one to write in `directory`."""
    start = current = os.path.abspath(directory)
    while True:
        candidate = os.path.join(current, SCHEMA_FILE)
        if os.path.isfile(candidate):
            return SchemaFile(candidate, exists=True)
        parent = os.path.dirname(current)
        if os.path.exists(os.path.join(current, ".git")) or parent == current:
            return SchemaFile(os.path.join(start, SCHEMA_FILE), exists=False)
        current = parent


def relative_to(schema: str, directory: str) -> str:
    """The path of `schema` as a modeline in `directory` writes it: relative, with slashes on
    every system (a file URI when no relative path exists, as between two Windows drives)."""
    try:
        return Path(os.path.relpath(os.path.abspath(schema), os.path.abspath(directory))).as_posix()
    except ValueError:
        return Path(os.path.abspath(schema)).as_uri()


def modeline(schema: str | None) -> str:
    """The first line of a written config file: the modeline for `schema` (a path relative to
    that file's directory), or, with no schema to point at, how to get one."""
    return f"{MODELINE}{schema}" if schema else NO_SCHEMA_HINT


def write_schema(path: str) -> None:
    """Write the schema this version validates with (`numbersync schema -o` writes the same)."""
    from numbersync.output import write_atomic
    from numbersync.resources import shipped_text

    write_atomic(path, shipped_text("schemas/numbersync.schema.json"))
