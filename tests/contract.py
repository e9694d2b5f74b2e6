"""Close's published API description (tests/data/close-openapi/), as the contract tests read it:
which schema an answer or a request body must fit, every way a JSON value departs from it, and the
differences we keep (differences.json), each with its reason.

A difference is named by where it is and what it is, so that the allow-list can match it exactly:
`PhoneNumber $.label type (null)` is a null label in a phone number, wherever the number was
served (a list page, a single number, a PUT's answer). List envelopes are checked apart from their
items, and each item against its own schema, for that reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

CONTRACT_DIR = Path(__file__).resolve().parent / "data" / "close-openapi"
DOC: dict[str, Any] = json.loads((CONTRACT_DIR / "close-openapi.json").read_text())
SCHEMAS: dict[str, Any] = DOC["components"]["schemas"]
REF_PREFIX = "#/components/schemas/"

# RFC 3339 date-time, which OpenAPI's `format: date-time` means (jsonschema checks it only with an
# optional package, so the check is spelled out here).
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(
    lambda value: not isinstance(value, str) or bool(_DATE_TIME.match(value))
)


@dataclass(frozen=True, order=True)
class Difference:
    """One way a JSON value departs from a schema: `schema` is the component checked, `path` where
    in the value (list indexes as [*]), `kind` what: "missing user_id", "unexpected id",
    "type (null)" (with the JSON type found), "maximum 90", "format date-time"."""

    schema: str
    path: str
    kind: str

    def __str__(self) -> str:
        return f"{self.schema} {self.path} {self.kind}"


@dataclass(frozen=True)
class Kept:
    """A difference we keep (differences.json): where it shows up and why."""

    difference: Difference
    seeds: frozenset[str]
    reason: str


def kept_differences() -> list[Kept]:
    """differences.json: each entry names a schema, a path, the kinds of difference kept there,
    the seeds (tidy, wild) whose emulator shows them, and the reason."""
    entries = json.loads((CONTRACT_DIR / "differences.json").read_text())
    return [
        Kept(
            Difference(entry["schema"], entry["path"], kind),
            frozenset(entry["seeds"]),
            entry["reason"],
        )
        for entry in entries
        for kind in entry["kinds"]
    ]


def allowed(seed: str) -> set[Difference]:
    return {kept.difference for kept in kept_differences() if seed in kept.seeds}


# -- which schema --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    template: str  # e.g. "/phone_number/{id}/"
    method: str  # lower case, as in the document
    spec: Mapping[str, Any]

    def request_schema(self) -> str | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        return _ref_name(content.get("application/json", {}).get("schema"))

    def response_schema(self, status: int) -> str | None:
        response = self.spec["responses"].get(str(status), {})
        return _ref_name(response.get("content", {}).get("application/json", {}).get("schema"))


def _ref_name(schema: Mapping[str, Any] | None) -> str | None:
    ref = (schema or {}).get("$ref")
    return ref[len(REF_PREFIX) :] if isinstance(ref, str) else None


def _template_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+\\\}", "[^/]+", re.escape(template)) + "$")


_OPERATIONS = [
    (_template_pattern(template), Operation(template, method, spec))
    for template, item in DOC["paths"].items()
    for method, spec in item.items()
]


def operation(method: str, path: str) -> Operation | None:
    """The documented operation for `method path` (path after /api/v1), or None."""
    for pattern, op in _OPERATIONS:
        if op.method == method.lower() and pattern.match(path):
            return op
    return None


# -- checking a value ----------------------------------------------------------------------------


@cache
def _validator(name: str, fields: tuple[str, ...] | None) -> Draft202012Validator:
    schemas = dict(SCHEMAS)
    target = dict(schemas[name])
    if name.endswith("List"):
        # The envelope alone: its items are checked against their own schema (see differences()).
        target["properties"] = {**target["properties"], "data": {"type": "array"}}
    elif fields is not None:
        # `_fields` asks for a subset: each field asked for that the object has must be there,
        # and none other is required.
        known = target.get("properties", {})
        target["required"] = [f for f in fields if f in known]
    schemas[name] = target
    root = {"$ref": REF_PREFIX + name, "components": {"schemas": schemas}}
    return Draft202012Validator(root, format_checker=FORMATS)


def differences(name: str, value: Any, fields: Iterable[str] | None = None) -> list[Difference]:
    """Every way `value` departs from the component schema `name`; `fields` are the `_fields`
    asked for, if any. A list's items are checked against the item schema, with the same fields.
    """
    wanted = None if fields is None else tuple(fields)
    found = [_difference(name, error) for error in _validator(name, wanted).iter_errors(value)]
    if name.endswith("List") and isinstance(value, dict) and isinstance(value.get("data"), list):
        item = _ref_name(SCHEMAS[name]["properties"]["data"]["items"])
        assert item is not None
        for entry in value["data"]:
            found.extend(differences(item, entry, wanted))
    return sorted(set(found))


def _difference(name: str, error: ValidationError) -> Difference:
    path = "$" + "".join(f".{part}" if isinstance(part, str) else "[*]" for part in error.path)
    if error.validator == "required":
        missing = re.match(r"'([^']+)' is a required property", error.message)
        kind = f"missing {missing[1] if missing else error.message}"
    elif error.validator == "additionalProperties":
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        kind = "unexpected " + ", ".join(sorted(set(error.instance) - set(known)))
    elif error.validator in ("type", "anyOf", "enum"):
        kind = f"{error.validator} ({_json_type(error.instance)})"
    else:  # a bound or a format: "maxItems 40", "format date-time"
        kind = f"{error.validator} {error.validator_value}"
    return Difference(name, path, kind)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return f"string {value!r}" if len(value) <= 40 else "string"
    return "array" if isinstance(value, list) else "object"


# -- checking what the emulator received and answered --------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as the emulator logged them."""

    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    status: int
    answer: bytes


def answer_differences(exchange: Exchange) -> Iterator[Difference]:
    """How one answer departs from the schema Close documents for it. An answer whose status has
    no documented body (401, 404, 204, a 403 refusal) is not checked; an operation Close does not
    document at all is a difference of its own."""
    op = operation(exchange.method, exchange.path)
    if op is None:
        yield Difference("(none)", f"{exchange.method} {exchange.path}", "undocumented endpoint")
        return
    name = op.response_schema(exchange.status)
    if name is None:
        return
    try:
        value = json.loads(exchange.answer)
    except ValueError:
        yield Difference(name, "$", "not JSON")
        return
    raw_fields = exchange.query.get("_fields")
    fields = [f.strip() for f in raw_fields.split(",") if f.strip()] if raw_fields else None
    yield from differences(name, value, fields)


def request_differences(exchange: Exchange) -> Iterator[Difference]:
    """How one request body departs from the schema Close documents for it."""
    op = operation(exchange.method, exchange.path)
    if op is None:
        yield Difference("(none)", f"{exchange.method} {exchange.path}", "undocumented endpoint")
        return
    name = op.request_schema()
    if name is not None:
        yield from differences(name, exchange.body)
    elif exchange.body is not None:
        yield Difference("(none)", f"{exchange.method} {op.template}", "body not documented")
