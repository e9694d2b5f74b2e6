"""Read a YAML file into plain Python data plus the file position of every key and value, built
straight from libyaml's parse events (no node graph) and typed as PyYAML's SafeLoader types them.

PyYAML keeps the last of two duplicate keys without a word and expands aliases without limit;
this reader refuses both, and oversized or non-UTF-8 files, reporting each problem as a Diagnostic.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from operator import countOf
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamStartEvent,
)

from numbersync.errors import Diagnostic, InputError, Path, Position, json_path

# Aliases are handy (a shared participants list), but a "billion laughs" document expands to
# billions of nodes from a few lines: refuse once aliases alone have produced this many nodes.
MAX_ALIAS_NODES = 100_000
# The deepest valid value is 4 levels down ($.numbers["+1..."].participants[0]); libyaml accepts
# 1,000, enough to exhaust Python's recursion limit in the builder below.
MAX_DEPTH = 50

LineCol = tuple[int, int]  # 1-based; a Position is made only for the few that get reported

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# libyaml's composer words two of its errors differently from PyYAML's (no anchor name).
_CPARSERS: tuple[type[Any], ...] = ()
if hasattr(yaml, "CSafeLoader"):
    from yaml._yaml import CParser

    _CPARSERS = (CParser,)
_ROOT = 2  # the root node's first event, after the stream's and the document's starts
_NODE_STARTS = (ScalarEvent, SequenceStartEvent, MappingStartEvent)
_COLLECTION_STARTS = (SequenceStartEvent, MappingStartEvent)
_COLLECTION_ENDS = (SequenceEndEvent, MappingEndEvent)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG
_SEQ_TAG = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG
_MAP_TAG = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_INT_TAG = "tag:yaml.org,2002:int"
# Tags whose constructor is a pure function of the text with an immutable result: one value can
# stand for every scalar of the same text (30, true, ~), without asking the constructor again.
_PURE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")
)
_NOTHING = object()
# The first characters of the plain scalars the resolver may read as a merge key (`<<`; None:
# whatever they start with): an untagged scalar key starting otherwise is no merge, without
# resolving its tag.
_MERGE_FIRSTS = frozenset(
    first
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
    if any(tag == _MERGE_TAG for tag, _ in resolvers)
)


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
        line, col = self.place(path, key=key)
        return Position(self.file, line, col)

    def place(self, path: Path, *, key: bool = False) -> LineCol:
        """`position` as a line and a column, for places kept before any is reported."""
        found = self.keys.get(path) if key else None
        if found is None:
            found = self.values.get(path)
            while found is None and path:
                path = path[:-1]
                found = self.values.get(path)
        return found or (1, 1)


def parse(file: str, raw: bytes) -> Document:
    """Parse YAML bytes; raises InputError with every duplicate key, or the first syntax error."""
    text = _decode(file, raw)
    # Reading 10,000 numbers makes a million small objects (events, marks, paths, positions) and
    # not one reference cycle: a collection meanwhile would free nothing, only walk them all.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse(file, raw, text)
    finally:
        if collecting:
            gc.enable()


def _parse(file: str, raw: bytes, text: str) -> Document:
    try:
        events, aliases = _read_events(text)
    except yaml.MarkedYAMLError as exc:
        raise InputError([_syntax_diagnostic(file, text, exc)]) from None
    except yaml.YAMLError as exc:  # unmarked: rare, but never a traceback
        raise InputError([Diagnostic(Position(file, 1, 1), "$", f"YAML error: {exc}")]) from None
    if len(events) == 2:  # the stream's start and end: no document at all
        return Document(file, None, {}, {}, raw, {})
    builder = _Builder(file, events, aliases)
    data, _ = builder.build(_ROOT, ())
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


def _read_events(text: str) -> tuple[list[Any], dict[int, int]]:
    """Every parse event of `text`, and for each alias event the index of the node it names;
    raises the error PyYAML's composer would have raised first (syntax or composition)."""
    loader = _Loader(text)
    events: list[Any] = []
    failure: Exception | None = None
    try:
        while True:
            try:
                # A loop in C: the parser's own pace, one Python object per event.
                events.extend(iter(loader.get_event, None))
                break
            except UnicodeDecodeError:
                # libyaml's binding decodes a %TAG directive's prefix for a document-start event
                # (the composer never looks at it), and %C0%80 escapes are not UTF-8: a directive
                # no tag uses stays as harmless as the composer found it.
                if events and events[-1].__class__ is StreamStartEvent:
                    events.append(DocumentStartEvent())  # where nothing reads it
                    continue
                if events and events[-1].__class__ is DocumentEndEvent:
                    # A second document, refused at a start whose mark this event never carried:
                    # the composer says where.
                    yaml.compose(text, Loader=_Loader)
                raise
    except Exception as exc:
        # The composer met an alias or an anchor it refuses before a later syntax error: the
        # events that came before the failure are checked first.
        failure = exc
    finally:
        loader.dispose()
    aliases = _check_composition(events, text, libyaml=isinstance(loader, _CPARSERS))
    if failure is not None:
        raise failure
    return events, aliases


def _check_composition(events: list[Any], text: str, *, libyaml: bool) -> dict[int, int]:
    """Map each alias event to the node it names, raising the ComposerError that PyYAML's composer
    raises first for these events: an undefined alias, a duplicate anchor, a second document."""
    # The usual file, checked without a loop in Python: an anchor is written with `&`, an alias
    # with `*`, and a second document needs a `---` line.
    if (
        "&" not in text
        and "*" not in text
        and ("---" not in text or countOf(map(type, events), DocumentStartEvent) <= 1)
    ):
        return {}
    anchors: dict[str, int] = {}
    aliases: dict[int, int] = {}
    for i, event in enumerate(events):
        cls = event.__class__
        if cls is AliasEvent:
            target = anchors.get(event.anchor)
            if target is None:
                found = (
                    "found undefined alias"
                    if libyaml
                    else f"found undefined alias {event.anchor!r}"
                )
                raise ComposerError(None, None, found, event.start_mark)
            aliases[i] = target
        elif cls is DocumentStartEvent and i > 1:
            raise ComposerError(
                "expected a single document in the stream",
                events[_ROOT].start_mark,
                "but found another document",
                event.start_mark,
            )
        elif cls in _NODE_STARTS and event.anchor is not None:
            first = anchors.get(event.anchor)
            if first is not None:
                quoted = "" if libyaml else f" {event.anchor!r}"
                raise ComposerError(
                    f"found duplicate anchor{quoted}; first occurrence",
                    events[first].start_mark,
                    "second occurrence",
                    event.start_mark,
                )
            anchors[event.anchor] = i
    return aliases


class _Builder:
    """Turns parse events into Python data, recording positions and refusing duplicates.

    It makes the checks, in the order, that the composer-based builder made walking nodes: a node
    is the index of its first event, and an alias builds its anchor's events again. `build`
    returns a node's value and the index after its last event."""

    def __init__(self, file: str, events: list[Any], aliases: dict[int, int]) -> None:
        self.file = file
        self.values: dict[Path, LineCol] = {}
        self.keys: dict[Path, LineCol] = {}
        self.int_texts: dict[Path, str] = {}
        self.errors: list[Diagnostic] = []
        self._events = events
        self._aliases = aliases
        self._constructor = yaml.constructor.SafeConstructor()
        # Without aliases no node is reached twice: nothing to count.
        self._seen: set[int] | None = set() if aliases else None
        self._alias_nodes = 0
        self._bomb = False
        self._depth = 0
        self._implicit = _Loader.yaml_implicit_resolvers
        self._tags: dict[str, str] = {}  # a plain scalar's text -> the tag the resolver gives it
        self._constructed: dict[tuple[str, str], Any] = {}
        self._scalar_nodes: dict[int, yaml.ScalarNode] = {}
        self._ends: dict[int, int] = {}  # a collection's first event -> the index after its last

    def _position(self, i: int) -> Position:
        mark = self._events[i].start_mark
        return Position(self.file, mark.line + 1, mark.column + 1)

    def build(self, i: int, path: Path) -> tuple[Any, int]:
        if self._bomb:
            return None, self._skip(i)
        if self._depth >= MAX_DEPTH:
            self._bomb = True
            message = f"nested more than {MAX_DEPTH} levels deep; refusing to load"
            self.errors.append(Diagnostic(self._position(i), json_path(path), message))
            return None, self._skip(i)
        self._depth += 1
        try:
            return self._build(i, path)
        finally:
            self._depth -= 1

    def _build(self, i: int, path: Path) -> tuple[Any, int]:
        seen = self._seen
        if seen is not None:
            if i in seen:  # reached again through an alias
                self._alias_nodes += 1
                if self._alias_nodes > MAX_ALIAS_NODES:
                    self._bomb = True
                    message = (
                        f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes; refusing to load"
                    )
                    self.errors.append(Diagnostic(self._position(i), "$", message))
                    return None, self._skip(i)
            else:
                seen.add(i)
        event = self._events[i]
        cls = event.__class__
        if cls is ScalarEvent:
            return self._scalar(i, event, path), i + 1
        mark = event.start_mark
        self.values.setdefault(path, (mark.line + 1, mark.column + 1))
        if cls is MappingStartEvent:
            return self._mapping(i, path)
        return self._sequence(i, path)

    def _scalar(self, i: int, event: Any, path: Path) -> Any:
        mark = event.start_mark
        self.values.setdefault(path, (mark.line + 1, mark.column + 1))
        if event.tag is None and not event.implicit[0]:
            return event.value  # quoted and untagged: a string, as _tag says
        tag = self._tag(event)
        return event.value if tag == _STR_TAG else self._typed(i, event, tag, path)

    def _value(self, j: int, path: Path) -> tuple[Any, int]:
        """Build the node at event j, an alias or not."""
        if self._events[j].__class__ is AliasEvent:
            return self.build(self._aliases[j], path)[0], j + 1
        return self.build(j, path)

    def _inline(self) -> bool:
        """Whether the children of the collection being built may be built in place when they are
        scalars: build() would only record their position (no alias counted, not too deep)."""
        return self._seen is None and self._depth < MAX_DEPTH and not self._bomb

    def _sequence(self, i: int, path: Path) -> tuple[list[Any], int]:
        events = self._events
        inline = self._inline()
        items: list[Any] = []
        event: Any
        j = i + 1
        while (event := events[j]).__class__ is not SequenceEndEvent:
            child = (*path, len(items))
            if inline and event.__class__ is ScalarEvent:
                # The bulk of a file, built without build()'s checks, which it would pass.
                items.append(self._scalar(j, event, child))
                j += 1
            else:
                item, j = self._value(j, child)
                items.append(item)
                inline = inline and not self._bomb
        return items, j + 1

    def _tag(self, event: Any) -> str:
        """The node's tag as the composer gives it: explicit, or resolved as PyYAML resolves it."""
        tag: str | None = event.tag
        if tag is not None and tag != "!":
            return tag
        if event.__class__ is MappingStartEvent:
            return _MAP_TAG
        if event.__class__ is SequenceStartEvent:
            return _SEQ_TAG
        if not event.implicit[0]:
            return _STR_TAG
        text: str = event.value
        tag = self._tags.get(text)
        if tag is None:
            implicit = self._implicit
            resolvers = implicit.get(text[0] if text else "", []) + implicit.get(None, [])
            tag = next((t for t, regexp in resolvers if regexp.match(text)), _STR_TAG)
            self._tags[text] = tag
        return tag

    def _typed(self, i: int, event: Any, tag: str, path: Path) -> Any:
        """The value of a scalar whose tag is not str, as SafeConstructor makes it."""
        text: str = event.value
        if tag == _INT_TAG:
            self.int_texts[path] = text
        pure = tag in _PURE_TAGS
        if pure:
            value = self._constructed.get((tag, text), _NOTHING)
            if value is not _NOTHING:
                return value
        # The constructor remembers nodes (one that failed is "recursive" the next time): a node
        # reached again through an alias must be the same ScalarNode.
        node = self._scalar_nodes.get(i)
        if node is None:
            node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
            if self._seen is not None:
                self._scalar_nodes[i] = node
        try:
            value = self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            message = getattr(exc, "problem", None) or str(exc)
            self.errors.append(Diagnostic(self._position(i), json_path(path), message))
            return None
        except (ValueError, OverflowError) as exc:
            # A text its tag cannot convert (2027-02-30 read as a date, `!!int abc`): the
            # constructor raises what `datetime` or `int` do, not a YAMLError.
            kind = tag.rsplit(":", 1)[-1]
            message = f"{text!r} is not a valid {kind} ({exc}); quote it to mean the text"
            self.errors.append(Diagnostic(self._position(i), json_path(path), message))
            return None
        if pure:
            self._constructed[(tag, text)] = value
        return value

    def _mapping(self, i: int, path: Path) -> tuple[dict[str, Any], int]:
        events, keys = self._events, self.keys
        inline = self._inline()
        result: dict[str, Any] = {}
        first_seen: dict[str, LineCol] = {}
        merged: dict[str, Any] = {}
        key_event: Any
        mark: Any
        j = i + 1
        while (key_event := events[j]).__class__ is not MappingEndEvent:
            k = j  # the key's node: its anchor's when the key is an alias
            if key_event.__class__ is ScalarEvent:
                j += 1
            elif key_event.__class__ is AliasEvent:
                k = self._aliases[j]
                key_event = events[k]
                j += 1
            else:
                j = self._skip(j)
            # j is now the value's first event
            if (
                key_event.__class__ is not ScalarEvent
                or key_event.tag is not None
                or key_event.value[:1] in _MERGE_FIRSTS
                or None in _MERGE_FIRSTS
            ) and self._tag(key_event) == _MERGE_TAG:
                merged.update(self._merge_sources(j, path))
                j = self._skip(j)
                inline = inline and not self._bomb
                continue
            # Keys are always names or phone numbers: keep the text as written, so that an
            # unquoted +16503334444 stays a phone number instead of becoming 16503334444.
            if key_event.__class__ is not ScalarEvent:
                message = "mapping keys must be plain text, not a list or mapping"
                self.errors.append(Diagnostic(self._position(k), json_path(path), message))
                j = self._skip(j)
                continue
            key: str = key_event.value
            if key in first_seen:
                message = f'duplicate key "{key}" (first defined at line {first_seen[key][0]})'
                self.errors.append(Diagnostic(self._position(k), json_path(path), message))
                j = self._skip(j)
                continue
            child = (*path, key)
            mark = key_event.start_mark
            first_seen[key] = keys[child] = (mark.line + 1, mark.column + 1)
            event = events[j]
            if inline and event.__class__ is ScalarEvent:  # as in _sequence
                result[key] = self._scalar(j, event, child)
                j += 1
            else:
                result[key], j = self._value(j, child)
                inline = inline and not self._bomb
        for key, value in merged.items():
            result.setdefault(key, value)
        return result, j + 1

    def _merge_sources(self, j: int, path: Path) -> dict[str, Any]:
        events = self._events
        node = self._aliases[j] if events[j].__class__ is AliasEvent else j
        sources = [node]
        if events[node].__class__ is SequenceStartEvent:
            sources = []
            j = node + 1
            while events[j].__class__ is not SequenceEndEvent:
                sources.append(self._aliases[j] if events[j].__class__ is AliasEvent else j)
                j = self._skip(j)
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            if events[source].__class__ is not MappingStartEvent:
                message = "a merge key (<<) takes a mapping or a list of mappings"
                self.errors.append(Diagnostic(self._position(source), json_path(path), message))
                continue
            # Through build, so that merges nested in merges count towards MAX_DEPTH too.
            built, _ = self.build(source, path)
            if isinstance(built, dict):
                merged.update(built)
        return merged

    def _skip(self, i: int) -> int:
        """The index after the last event of the node at i (an alias is one event)."""
        events = self._events
        if events[i].__class__ not in _COLLECTION_STARTS:
            return i + 1
        ends = self._ends
        if i not in ends:
            # Each event is scanned once at most: an alias bomb skips the same anchors often.
            open_at = [i]
            j = i + 1
            while open_at:
                cls = events[j].__class__
                if cls in _COLLECTION_STARTS:
                    if j in ends:
                        j = ends[j]
                        continue
                    open_at.append(j)
                elif cls in _COLLECTION_ENDS:
                    ends[open_at.pop()] = j + 1
                j += 1
        return ends[i]
