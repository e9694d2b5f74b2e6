"""Checking a document against one of the project's JSON Schemas, for the desired state, the
saved plan and the emulator's seeds alike: a quick check compiled ahead of time that only says
whether a document is valid, and jsonschema's full list of errors in the project's words.

A schema node may carry `x-error`: the message for any value the node refuses, in place of the
generic wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from numbersync.errors import Path

TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
_END = re.compile(r"(?<!\\)\$")  # a `$` that ends a pattern, not an escaped one


@dataclass(frozen=True)
class SchemaProblem:
    """One schema error: where, and what is wrong there. `at_key` when the key itself is wrong
    (unknown or badly formed), so that a position points at the key, not at its value."""

    path: Path
    message: str
    at_key: bool = False


def validator(schema: Mapping[str, Any]) -> Any:
    """A jsonschema validator of `schema` with its local `$ref`s inlined (jsonschema resolves a
    reference on every use) and `pattern` as JSON Schema means it: `$` ends the string, where
    Python's `$` also matches before a final newline, as the compiled quick check does."""
    from jsonschema import Draft202012Validator, validators

    checker = validators.extend(Draft202012Validator, {"pattern": _pattern})
    return checker(inline_refs(schema))


def _pattern(validator: Any, pattern: str, instance: Any, subschema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not re.search(_END.sub(r"\\Z", pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def inline_refs(schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None) -> Any:
    """`schema` with each local `$ref` replaced by what it points at in `defs` (by default the
    schema's own `$defs`), and no `$defs`."""
    defs = schema.get("$defs", {}) if defs is None else defs

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        resolved = {k: inline(v) for k, v in node.items() if k not in ("$ref", "$defs")}
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            resolved = {**inline(defs[ref.removeprefix("#/$defs/")]), **resolved}
        return resolved

    return inline(schema)


_FASTJSONSCHEMA_IMPORT = (
    "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException"
)
_LOCAL_EXCEPTION = """\
class JsonSchemaValueException(ValueError):
    def __init__(self, message, value=None, name=None, definition=None, rule=None):
        super().__init__(message)


JsonSchemaValuesException = JsonSchemaValueException\
"""


def quick_check_source(header: str, parts: Mapping[str, Mapping[str, Any]]) -> str:
    """The source of a generated quick-check module: each part of `parts` compiled to Python by
    fastjsonschema as a function `validate` (the first part) or `validate_<name>`, which raises
    a ValueError at the first error. Generated ahead of time, so that a command neither imports
    fastjsonschema nor compiles a schema when it runs; the exception is defined in place."""
    import fastjsonschema

    chunks = []
    defs = next(iter(parts.values())).get("$defs", {})  # a later part may point into the first
    for i, (name, part) in enumerate(parts.items()):
        inlined = inline_refs(part, defs)
        # Without `$schema` it compiles as draft-07, which has every keyword these schemas use
        # once their `$defs` are inlined; the tests check the two validators agree.
        inlined.pop("$schema", None)
        inlined.pop("$id", None)  # the generated function is then named `validate`
        code = fastjsonschema.compile_to_code(inlined)
        assert code.count(_FASTJSONSCHEMA_IMPORT) == 1, "fastjsonschema's generated code changed"
        if i == 0:
            chunks.append(code.replace(_FASTJSONSCHEMA_IMPORT, _LOCAL_EXCEPTION))
            continue
        # Later parts: their own names for the function and its patterns, no second preamble.
        start = code.find("REGEX_PATTERNS = ")
        body = code[start if start >= 0 else code.index("NoneType = ") :]
        body = body.replace("NoneType = type(None)\n", "")
        body = body.replace("REGEX_PATTERNS", f"REGEX_PATTERNS_{name}")
        chunks.append(body.replace("def validate(", f"def validate_{name}("))
    return header + "\n\n".join(chunks)


def explain(error: Any) -> Iterator[SchemaProblem]:
    """A jsonschema error in the project's words."""
    path: Path = tuple(error.absolute_path)
    kind, value, sub = error.validator, error.instance, error.schema
    if kind == "additionalProperties":
        known = list(sub.get("properties", {}))
        for name in value:
            if name not in known:
                message = f"unknown key '{name}'{_guess(str(name), known)}"
                yield SchemaProblem((*path, name), message, at_key=True)
    elif kind == "required":
        for name in error.validator_value:
            if isinstance(value, dict) and name not in value:
                yield SchemaProblem(path, f"missing required key '{name}'")
    elif error.parent is None and "x-error" in sub and kind == "pattern" and _is_key(error):
        yield SchemaProblem((*path, value), f'"{value}" {sub["x-error"]}', at_key=True)
    elif kind == "minLength":
        yield SchemaProblem(path, "must not be empty")
    elif "x-error" in sub:
        yield SchemaProblem(path, f"{sub['x-error']}, got {_got(kind, value, sub)}")
    elif kind == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(TYPE_NAMES[name] for name in expected)
        yield SchemaProblem(path, f"must be {wanted}, got {describe(value)}")
    elif kind in ("minimum", "maximum") and "minimum" in sub and "maximum" in sub:
        low, high = sub["minimum"], sub["maximum"]
        yield SchemaProblem(path, f"must be between {low} and {high}, got {describe(value)}")
    elif kind == "minimum":
        yield SchemaProblem(path, f"must be at least {sub['minimum']}, got {describe(value)}")
    elif kind == "maxItems":
        what = "groups" if path and path[-1] == "participant_groups" else "items"
        yield SchemaProblem(path, f"at most {sub['maxItems']} {what} allowed, got {len(value)}")
    else:
        yield SchemaProblem(path, str(error.message))


def _is_key(error: Any) -> bool:
    return "propertyNames" in error.schema_path


def _got(kind: str, value: Any, sub: Mapping[str, Any]) -> str:
    if kind == "maxItems":
        return f"{len(value)}"
    if kind == "uniqueItems":
        import json

        seen: set[str] = set()
        for item in value:
            key = json.dumps(item, sort_keys=True)
            if key in seen:
                return f"{describe(item)} twice"
            seen.add(key)
    if kind == "enum" and isinstance(value, str):
        return describe(value) + _guess(value, [v for v in sub["enum"] if isinstance(v, str)])
    return describe(value)


def _guess(name: str, known: list[str]) -> str:
    import difflib  # error messages only: a valid file never needs it

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(value: Any) -> str:
    """A value as a message shows it: a mapping or a list by its kind, a long string cut."""
    import json  # error messages only: a valid file never needs it

    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:57] + "...", ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return str(value)
