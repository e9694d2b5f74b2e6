"""Edits of a user's YAML file that change no line but the ones they add: ruamel.yaml (round trip)
finds where a mapping ends and renders the new entry, which is spliced into the original text, so
comments, order, quoting and blank lines stay as written. Every edit is checked by reading the
result back, and written whole or not at all. Reading configs stays with numbersync.yamlsource.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from numbersync.errors import UsageError
from numbersync.files import UnreadableError, read_file
from numbersync.output import write_atomic

Key = str | int
_BLANK_OR_COMMENT = re.compile(r"^[ \t]*(#.*)?(\r\n|\r|\n)?$")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_BOM = "\ufeff"


class EditError(UsageError):
    """The file cannot be edited as asked without changing other lines."""


@dataclass(frozen=True)
class Edit:
    """An edit made: the file, and the 1-based line where the new lines start."""

    path: str
    line: int
    lines: tuple[str, ...]


def add_entry(path: str, mapping: Sequence[Key], name: str, value: Any) -> Edit:
    """Add `name: value` at the end of the block mapping at `mapping` (a path of keys from the
    document's root) in the file at `path`; the mapping may also be an empty value (`KEY:` and
    nothing else), which the entry then fills. EditError, with nothing written, when the entry
    cannot be added without changing another line."""
    try:
        raw = read_file(path)
    except UnreadableError as exc:
        raise UsageError(exc.message) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    edited, at, added = insert_entry(text, mapping, name, value, where=path)
    write_atomic(path, edited, forcible=False)
    return Edit(path, at + 1, added)


def insert_entry(
    text: str, mapping: Sequence[Key], name: str, value: Any, *, where: str = "the file"
) -> tuple[str, int, tuple[str, ...]]:
    """`text` with `name: value` added at the end of the mapping at `mapping`; also the 0-based
    line where the new lines start, and those lines."""
    bom = _BOM if text.startswith(_BOM) else ""
    body = text[len(bom) :]
    yaml = _yaml()
    before = _load(yaml, body, where)
    parent, node = _find(before, mapping, where)
    # YAML's line breaks only: str.splitlines also breaks at characters YAML keeps inside a line.
    lines = _LINES.findall(body)
    newline = "\r\n" if "\r\n" in body else "\n"
    if node is None:
        # `KEY:` with nothing after it: the entry goes below the key, one step further in.
        line, column = parent.lc.key(mapping[-1])
        if not _ends_at_colon(lines[line], column):
            raise _cannot(where, mapping, "its value is not a block mapping")
        indent, at = column + _step(before), line + 1
    else:
        if not node or node.fa.flow_style():
            raise _cannot(where, mapping, "it is written in flow style ({...})")
        if name in node:
            raise _cannot(where, mapping, f"it has {name} already")
        indent = node.lc.key(next(iter(node)))[1]
        at = _end_of(lines, _next_line(before, mapping, len(lines)))
    double = body.count('"') > body.count("'")
    rendered = _render(yaml, name, value, _step(before), double)
    added = tuple(" " * indent + line for line in rendered.splitlines())
    if at == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    edited = "".join([*lines[:at], *(line + newline for line in added), *lines[at:]])
    _check(yaml, before, edited, mapping, name, value, where)
    return bom + edited, at, added


# --- finding the place --------------------------------------------------------------------------


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # a long reason stays on its line
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def _load(yaml: Any, text: str, where: str) -> Any:
    from ruamel.yaml.error import YAMLError

    try:
        return yaml.load(text)
    except YAMLError as exc:
        raise UsageError(f"{where} cannot be read as YAML to edit it ({exc})") from None


def _find(root: Any, mapping: Sequence[Key], where: str) -> tuple[Any, Any]:
    """The mapping at `mapping` (None for an empty value) and the mapping that holds it."""
    from ruamel.yaml.comments import CommentedMap

    parent, node = None, root
    for n, key in enumerate(mapping):
        if not isinstance(node, CommentedMap) or key not in node:
            raise _cannot(where, mapping[: n + 1], "it is not in the file")
        parent, node = node, node[key]
    if node is not None and not isinstance(node, CommentedMap):
        raise _cannot(where, mapping, "its value is not a mapping")
    return parent, node


def _next_line(root: Any, mapping: Sequence[Key], default: int) -> int:
    """The 0-based line of the first key after the mapping at `mapping`, in it or in any mapping
    above it; `default` (the end of the file) when none follows."""
    node = root
    chain = []
    for key in mapping:
        chain.append((node, key))
        node = node[key]
    for holder, key in reversed(chain):
        keys = list(holder)
        later = keys[keys.index(key) + 1 :]
        if later:
            line: int = holder.lc.key(later[0])[0]
            return line
    return default


def _end_of(lines: list[str], stop: int) -> int:
    """Where a mapping that ends before line `stop` ends: after its last line that is neither
    blank nor a comment (those belong with what follows)."""
    at = stop
    while at > 0 and _BLANK_OR_COMMENT.match(lines[at - 1]):
        at -= 1
    return at


def _ends_at_colon(line: str, column: int) -> bool:
    """Whether the key at `column` of `line` has nothing after its colon but a comment."""
    rest = line[column:].split("#", 1)[0].rstrip()
    return rest.endswith(":")


def _step(root: Any) -> int:
    """How far the file indents a nested mapping: from the first one it has, else 2."""
    from ruamel.yaml.comments import CommentedMap

    pending = [root]
    while pending:
        node = pending.pop(0)
        if not isinstance(node, CommentedMap):
            continue
        for key, value in node.items():
            if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
                step: int = value.lc.key(next(iter(value)))[1] - node.lc.key(key)[1]
                if step > 0:
                    return step
            pending.append(value)
    return 2


def _cannot(where: str, mapping: Sequence[Key], why: str) -> EditError:
    shown = ".".join(str(key) for key in mapping)
    return EditError(
        f"cannot add to {shown} in {where}: {why}",
        hint="write it as a block mapping (one key per line), or add the entry by hand",
    )


# --- the new lines ------------------------------------------------------------------------------


def _render(yaml: Any, name: str, value: Any, step: int, double: bool) -> str:
    """`name: value` as YAML lines, nested mappings in block style and lists in flow style;
    strings that need quotes in `double` quotes when the file mostly uses those."""
    from ruamel.yaml import YAML

    out = io.StringIO()
    dumper = YAML(typ="rt")
    dumper.width = yaml.width
    dumper.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    dumper.indent(mapping=step, sequence=step + 2, offset=step)
    dumper.dump(_styled(dumper, {name: value}, double), out)
    return out.getvalue()


def _styled(dumper: Any, value: Any, double: bool) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, Mapping):
        styled = CommentedMap((k, _styled(dumper, v, double)) for k, v in value.items())
        styled.fa.set_block_style()
        return styled
    if isinstance(value, list | tuple):
        items = CommentedSeq(_styled(dumper, v, double) for v in value)
        items.fa.set_flow_style()
        return items
    if double and isinstance(value, str) and _needs_quotes(dumper, value):
        return DoubleQuotedScalarString(value)
    return value


def _needs_quotes(dumper: Any, text: str) -> bool:
    """Whether YAML needs `text` quoted (it would read as another type, or not at all)."""
    out = io.StringIO()
    dumper.dump({"k": text}, out)
    return out.getvalue() != f"k: {text}\n"


# --- the check ----------------------------------------------------------------------------------


def _check(
    yaml: Any,
    before: Any,
    edited: str,
    mapping: Sequence[Key],
    name: str,
    value: Any,
    where: str,
) -> None:
    """The edited text reads as the old document with the entry added, and as nothing else."""
    after = _load(yaml, edited, where)
    wanted = _plain(before)
    holder = wanted
    for key in mapping[:-1]:
        holder = holder[key]
    if holder.get(mapping[-1]) is None:
        holder[mapping[-1]] = {}
    holder[mapping[-1]][name] = _plain(value)
    if _plain(after) != wanted:
        raise _cannot(where, mapping, "the file's layout there is not one this edit can follow")


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node
