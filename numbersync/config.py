"""Load the desired-state file: parse, check against the JSON Schema and the semantic rules, and
normalise it into a DesiredState. Every problem is collected and raised at once as an InputError."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from numbersync import phone
from numbersync.errors import Diagnostic, InputError
from numbersync.models import MANAGED_FIELDS, SET_FIELDS, DesiredNumber, DesiredState, Safety
from numbersync.resources import shipped_text
from numbersync.yamlsource import Document, Path, json_path, parse, read_file

PHONE_ID = re.compile(r"^phon_[A-Za-z0-9]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema: shipped inside the package, or read from the source tree in development."""
    loaded: dict[str, Any] = json.loads(shipped_text("schemas/numbersync.schema.json"))
    return loaded


def load(path: str) -> DesiredState:
    """Read, validate and normalise the desired-state file at `path`."""
    raw = read_file(path)
    return load_document(parse(path, raw))


def load_document(doc: Document) -> DesiredState:
    if doc.data is None:
        raise InputError(
            [_diag(doc, (), "the file is empty; expected a mapping with 'version' and 'numbers'")]
        )
    data = _with_phone_texts(doc)
    errors = list(_schema_errors(doc, data))
    failed = {e.path for e in errors}
    errors.extend(_semantic_errors(doc, data, failed))
    if errors:
        raise InputError(errors)
    return _normalise(doc, data)


def _diag(doc: Document, path: Path, message: str, *, key: bool = False) -> Diagnostic:
    return Diagnostic(doc.position(path, key=key), json_path(path), message)


def _is_phone_path(path: Path) -> bool:
    """forward_to and phone_numbers items, in a number or in defaults."""
    if path[:1] == ("numbers",):
        field = path[2:]
    elif path[:1] == ("defaults",):
        field = path[1:]
    else:
        return False
    return field == ("forward_to",) or (len(field) == 2 and field[0] == "phone_numbers")


def _with_phone_texts(doc: Document) -> Any:
    """Put back the written text of unquoted phone numbers that YAML turned into integers."""
    data = doc.data
    for path, text in doc.int_texts.items():
        if _is_phone_path(path):
            container = data
            for part in path[:-1]:
                container = container[part]
            container[path[-1]] = text
    return data


# --- schema -----------------------------------------------------------------------------------


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_inline_refs(schema(), schema()["$defs"]))


@cache
def _quick_check() -> Callable[[Any], Any]:
    """The same schema compiled to Python by fastjsonschema: about twenty times faster on a
    valid file, but it stops at the first error, so jsonschema still explains every error."""
    import fastjsonschema

    inlined = _inline_refs(schema(), schema()["$defs"])
    # Without `$schema` it compiles as draft-07, which has every keyword this schema uses once
    # its `$defs` are inlined; tests/test_config.py checks the two agree on every test file.
    del inlined["$schema"]
    check: Callable[[Any], Any] = fastjsonschema.compile(inlined)
    return check


def is_valid_quickly(data: Any) -> bool:
    import fastjsonschema

    try:
        _quick_check()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with its local `$ref`s replaced by what they point at: jsonschema resolves a
    reference on every use, which made validating 10,000 numbers a third slower."""
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    resolved = {k: _inline_refs(v, defs) for k, v in node.items() if k not in ("$ref", "$defs")}
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):
        resolved = {**_inline_refs(defs[ref.removeprefix("#/$defs/")], defs), **resolved}
    return resolved


def _schema_errors(doc: Document, data: Any) -> Iterator[Diagnostic]:
    if is_valid_quickly(data):
        return
    for error in _validator().iter_errors(data):
        yield from _explain(doc, error)


def _explain(doc: Document, error: Any) -> Iterator[Diagnostic]:
    path: Path = tuple(error.absolute_path)
    kind, value, sub = error.validator, error.instance, error.schema
    if kind == "additionalProperties":
        known = list(sub.get("properties", {}))
        for name in value:
            if name not in known:
                hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                yield _diag(doc, (*path, name), f"unknown key '{name}'{suggestion}", key=True)
    elif kind == "required":
        for name in error.validator_value:
            if isinstance(value, dict) and name not in value:
                yield _diag(doc, path, f"missing required key '{name}'")
    elif kind == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_NAMES[t] for t in expected)
        yield _diag(doc, path, f"must be {wanted}, got {_describe(value)}")
    elif kind in ("minimum", "maximum") and "minimum" in sub and "maximum" in sub:
        low, high = sub["minimum"], sub["maximum"]
        yield _diag(doc, path, f"must be between {low} and {high}, got {value}")
    elif kind == "minimum":
        yield _diag(doc, path, f"must be at least {sub['minimum']}, got {value}")
    elif kind == "maxItems":
        what = "groups" if path and path[-1] == "participant_groups" else "items"
        yield _diag(doc, path, f"at most {sub['maxItems']} {what} allowed, got {len(value)}")
    elif kind == "minLength":
        yield _diag(doc, path, "must not be empty")
    elif error.parent is None and "x-error" in sub and kind == "pattern" and _is_key(error):
        yield _diag(doc, (*path, value), f'"{value}" {sub["x-error"]}', key=True)
    elif "x-error" in sub:
        yield _diag(doc, path, f"{sub['x-error']}, got {_describe(value)}")
    else:
        yield _diag(doc, path, error.message)


def _is_key(error: Any) -> bool:
    return "propertyNames" in error.schema_path


def _describe(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:57] + "...")
    return str(value)


# --- semantic rules ---------------------------------------------------------------------------


def _semantic_errors(doc: Document, data: Any, failed: set[str]) -> Iterator[Diagnostic]:
    if not isinstance(data, dict):
        return
    defaults = data.get("defaults")
    if isinstance(defaults, dict):
        yield from _settings_errors(doc, ("defaults",), defaults, failed)
    numbers = data.get("numbers")
    if not isinstance(numbers, dict):
        return
    seen: dict[str, str] = {}
    for key, settings in numbers.items():
        path: Path = ("numbers", key)
        if key.startswith("+"):
            e164 = phone.to_e164(key)
            if e164 is None:
                yield _diag(doc, path, f'"{key}" is not a valid phone number', key=True)
            elif e164 in seen:
                first = doc.position(("numbers", seen[e164]), key=True)
                message = f'"{key}" is the same number as "{seen[e164]}" (line {first.line})'
                yield _diag(doc, path, message, key=True)
            else:
                seen[e164] = key
        if isinstance(settings, dict):
            yield from _settings_errors(doc, path, settings, failed)


def _settings_errors(
    doc: Document, path: Path, settings: dict[str, Any], failed: set[str]
) -> Iterator[Diagnostic]:
    def unchecked(p: Path) -> bool:
        return json_path(p) not in failed

    forward = settings.get("forward_to")
    if isinstance(forward, str) and unchecked((*path, "forward_to")):
        yield from _phone_error(doc, (*path, "forward_to"), forward)
    for i, item in enumerate(_list(settings.get("phone_numbers"))):
        if isinstance(item, str) and unchecked((*path, "phone_numbers", i)):
            yield from _phone_error(doc, (*path, "phone_numbers", i), item)
    for i, item in enumerate(_list(settings.get("participants"))):
        if (
            isinstance(item, str)
            and item
            and not item.startswith("user_")
            and not EMAIL.match(item)
        ):
            message = f'must be a user email or a user id (user_...), got "{item}"'
            yield _diag(doc, (*path, "participants", i), message)
    url = settings.get("voicemail_greeting_url")
    url_path = (*path, "voicemail_greeting_url")
    if isinstance(url, str) and unchecked(url_path) and not _is_https_url(url):
        message = schema()["$defs"]["settings"]["properties"]["voicemail_greeting_url"]["x-error"]
        yield _diag(doc, url_path, f"{message}, got {_describe(url)}")


def _phone_error(doc: Document, path: Path, text: str) -> Iterator[Diagnostic]:
    if text.startswith("+") and phone.to_e164(text) is None:
        yield _diag(doc, path, f'"{text}" is not a valid phone number')


def _is_https_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in url)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --- normalisation ----------------------------------------------------------------------------


def _normalise(doc: Document, data: dict[str, Any]) -> DesiredState:
    defaults: dict[str, Any] = data.get("defaults") or {}
    numbers: list[DesiredNumber] = []
    for key, own in data["numbers"].items():
        own = own or {}
        fields: dict[str, Any] = {}
        positions = {"": doc.position(("numbers", key), key=True)}
        for name in MANAGED_FIELDS:
            if name in own:
                source: Path = ("numbers", key, name)
                value = own[name]
            elif name in defaults:
                source, value = ("defaults", name), defaults[name]
            else:
                continue
            positions[name] = doc.position(source)
            if name in SET_FIELDS:
                items = _unique(name, value)
                fields[name] = tuple(item for _, item in items)
                for n, (i, _) in enumerate(items):
                    positions[f"{name}[{n}]"] = doc.position((*source, i))
            elif name == "forward_to":
                fields[name] = phone.to_e164(value)
            else:
                fields[name] = value
        is_id = bool(PHONE_ID.match(key))
        numbers.append(
            DesiredNumber(
                key=key,
                number=None if is_id else phone.to_e164(key),
                id=key if is_id else None,
                fields=fields,
                positions=positions,
            )
        )
    numbers.sort(key=lambda n: (n.number is None, n.number or n.id or ""))
    safety_data = data.get("safety") or {}
    safety = Safety(
        max_change_percent=float(safety_data.get("max_change_percent", Safety.max_change_percent)),
        min_managed=int(safety_data.get("min_managed", Safety.min_managed)),
    )
    return DesiredState(
        path=doc.file,
        version=data["version"],
        numbers=tuple(numbers),
        safety=safety,
        fingerprint="sha256:" + hashlib.sha256(doc.raw_text).hexdigest(),
    )


def _unique(field: str, items: list[str]) -> list[tuple[int, str]]:
    """Items without duplicates, in file order, each with its index in the file; phone numbers
    compared in E.164 and emails without regard to case."""
    seen: set[str] = set()
    kept: list[tuple[int, str]] = []
    for i, item in enumerate(items):
        if field == "phone_numbers":
            item = phone.to_e164(item) or item
        identity = item.casefold() if "@" in item else item
        if identity not in seen:
            seen.add(identity)
            kept.append((i, item))
    return kept
