"""Read a YAML file into plain Python data plus the file position of every key and value.

PyYAML keeps the last of two duplicate keys without a word and expands aliases without limit;
this reader refuses both, and oversized or non-UTF-8 files, reporting each problem as a Diagnostic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

from numbersync.errors import Diagnostic, InputError, Position, UsageError

MAX_FILE_BYTES = 10 * 1024 * 1024
# Aliases are handy (a shared participants list), but a "billion laughs" document expands to
# billions of nodes from a few lines: refuse once aliases alone have produced this many nodes.
MAX_ALIAS_NODES = 100_000
# The deepest valid value is 4 levels down ($.numbers["+1..."].participants[0]); libyaml accepts
# 1,000, enough to exhaust Python's recursion limit in the builder below.
MAX_DEPTH = 50

Path = tuple[str | int, ...]
LineCol = tuple[int, int]  # 1-based; a Position is made only for the few that get reported

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


def _line_col(node: yaml.Node) -> LineCol:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass(frozen=True)
class Document:
    """A parsed file: its data, and where each path's value and (for mapping entries) key stand."""

    file: str
    data: Any
    values: dict[Path, LineCol]
    keys: dict[Path, LineCol]
    raw_text: bytes
    # The text of plain scalars that YAML read as integers, so that an unquoted phone number
    # (`forward_to: +16505550100`, which YAML reads as 16505550100) can be taken as written.
    int_texts: dict[Path, str]

    def position(self, path: Path, *, key: bool = False) -> Position:
        """The position of `path` (of its key when `key`), or of its nearest known ancestor."""
        if key and path in self.keys:
            return Position(self.file, *self.keys[path])
        while path not in self.values and path:
            path = path[:-1]
        return Position(self.file, *self.values.get(path, (1, 1)))


def json_path(path: Path) -> str:
    """`$.numbers["+16503334444"].participants[0]`, as check-jsonschema prints paths."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            out += f'["{escaped}"]'
    return out


class UnreadableError(UsageError):
    """A file that cannot be read; `reason` says why without naming the file."""

    def __init__(self, message: str, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.reason = reason


def read_file(path: str) -> bytes:
    """The file's bytes, or an UnreadableError saying plainly why it cannot be read."""
    try:
        if os.path.isdir(path):
            reason = "a directory, not a YAML file"
            raise UnreadableError(f"{path} is {reason}", reason, "pass a file with -c FILE")
        with open(path, "rb") as handle:
            # Read in chunks rather than read(MAX + 1), which allocates the whole limit up front,
            # and count what arrives: a pipe or a device has no size to check beforehand.
            data = bytearray()
            while chunk := handle.read(1 << 16):
                data += chunk
                if len(data) > MAX_FILE_BYTES:
                    size = max(os.fstat(handle.fileno()).st_size, len(data))
                    limit = f"{size:,} bytes; numbersync reads files up to {MAX_FILE_BYTES:,} bytes"
                    raise UnreadableError(f"{path} is {limit}", f"the file is {limit}")
            return bytes(data)
    except FileNotFoundError:
        raise UnreadableError(
            f"{path}: no such file", "no such file", "pass the desired-state file with -c FILE"
        ) from None
    except PermissionError:
        raise UnreadableError(f"{path}: permission denied", "permission denied") from None
    except OSError as exc:
        reason = f"cannot read the file ({exc.strerror})"
        raise UnreadableError(f"{path}: {reason}", reason) from None


def parse(file: str, raw: bytes) -> Document:
    """Parse YAML bytes; raises InputError with every duplicate key, or the first syntax error."""
    text = _decode(file, raw)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise InputError([_syntax_diagnostic(file, text, exc)]) from None
    except yaml.YAMLError as exc:  # unmarked: rare, but never a traceback
        raise InputError([Diagnostic(Position(file, 1, 1), "$", f"YAML error: {exc}")]) from None
    except RecursionError:  # the pure-Python composer, when libyaml is missing
        message = f"YAML nested too deeply (at most {MAX_DEPTH} levels are read)"
        raise InputError([Diagnostic(Position(file, 1, 1), "$", message)]) from None
    builder = _Builder(file)
    data = builder.build(node, ()) if node is not None else None
    if builder.errors:
        raise InputError(builder.errors)
    return Document(file, data, builder.values, builder.keys, raw, builder.int_texts)


def _decode(file: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        message = f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be decoded)"
        raise InputError([Diagnostic(Position(file, line, col), "$", message)]) from None


def _syntax_diagnostic(file: str, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    if context.startswith("while"):
        message = f"{problem} ({context})"
    else:
        message = f"{context} {problem}".strip()
    if mark and text[mark.index : mark.index + 1] == "\t":
        message += "; YAML does not allow tabs for indentation, use spaces"
    return Diagnostic(Position(file, line, col), "$", f"YAML syntax error: {message}")


class _Builder:
    """Turns a composed node graph into Python data, recording positions and refusing duplicates."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[Path, LineCol] = {}
        self.keys: dict[Path, LineCol] = {}
        self.int_texts: dict[Path, str] = {}
        self.errors: list[Diagnostic] = []
        self._constructor = yaml.constructor.SafeConstructor()
        self._seen: set[int] = set()
        self._alias_nodes = 0
        self._bomb = False
        self._depth = 0

    def _position(self, node: yaml.Node) -> Position:
        return Position(self.file, *_line_col(node))

    def build(self, node: yaml.Node, path: Path) -> Any:
        if self._bomb:
            return None
        if self._depth >= MAX_DEPTH:
            self._bomb = True
            message = f"nested more than {MAX_DEPTH} levels deep; refusing to load"
            self.errors.append(Diagnostic(self._position(node), json_path(path), message))
            return None
        self._depth += 1
        try:
            return self._build(node, path)
        finally:
            self._depth -= 1

    def _build(self, node: yaml.Node, path: Path) -> Any:
        if id(node) in self._seen:  # reached again through an alias
            self._alias_nodes += 1
            if self._alias_nodes > MAX_ALIAS_NODES:
                self._bomb = True
                message = f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes; refusing to load"
                self.errors.append(Diagnostic(self._position(node), "$", message))
                return None
        else:
            self._seen.add(id(node))
        self.values.setdefault(path, _line_col(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:int":
            self.int_texts[path] = str(node.value)
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        if node.tag == _STR_TAG:  # most values: no need for the constructor's dispatch
            return node.value
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            message = getattr(exc, "problem", None) or str(exc)
            self.errors.append(Diagnostic(self._position(node), json_path(path), message))
            return None

    def _key_text(self, node: yaml.Node) -> str | None:
        # Keys are always names or phone numbers: keep the text as written, so that an unquoted
        # +16503334444 stays a phone number instead of becoming the integer 16503334444.
        if isinstance(node, yaml.ScalarNode):
            return str(node.value)
        return None

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, LineCol] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self._merge_sources(value_node, path))
                continue
            key = self._key_text(key_node)
            if key is None:
                message = "mapping keys must be plain text, not a list or mapping"
                self.errors.append(Diagnostic(self._position(key_node), json_path(path), message))
                continue
            if key in first_seen:
                message = f'duplicate key "{key}" (first defined at line {first_seen[key][0]})'
                self.errors.append(Diagnostic(self._position(key_node), json_path(path), message))
                continue
            first_seen[key] = self.keys[(*path, key)] = _line_col(key_node)
            result[key] = self.build(value_node, (*path, key))
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_sources(self, node: yaml.Node, path: Path) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):
                message = "a merge key (<<) takes a mapping or a list of mappings"
                self.errors.append(Diagnostic(self._position(source), json_path(path), message))
                continue
            # Through build, so that merges nested in merges count towards MAX_DEPTH too.
            built = self.build(source, path)
            if isinstance(built, dict):
                merged.update(built)
        return merged
