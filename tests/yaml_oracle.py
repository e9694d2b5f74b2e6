"""The composer-based reader that numbersync.yamlsource.parse replaced, kept verbatim (but for the
decoding and the syntax message, which both readers share) as the test oracle for the event-based
one (tests/test_yamlsource.py): yaml.compose builds a node graph, and _Builder walks it. Not for use
outside the tests: it is two to three times slower.
"""

from __future__ import annotations

from typing import Any

import yaml

from numbersync.errors import Diagnostic, InputError, Path, Position, json_path
from numbersync.yamlsource import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    Document,
    LineCol,
    _decode,
    _syntax_diagnostic,
)

# The loader the reader under test uses; test_yamlsource swaps both for the pure-Python one.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


def _line_col(node: yaml.Node) -> LineCol:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


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
        except (ValueError, OverflowError) as exc:  # `datetime`'s and `int`'s own errors
            kind = node.tag.rsplit(":", 1)[-1]
            message = f"{node.value!r} is not a valid {kind} ({exc}); quote it to mean the text"
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
