"""The one validation front: jsonschema's errors in the project's words (the same for the desired
state, saved plans and seeds), `$`-anchored patterns as JSON Schema means them, and the quick
checks generated from a schema in parts."""

from __future__ import annotations

from typing import Any

import pytest

from numbersync import schemacheck
from numbersync.errors import json_path

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "ring": {"type": "integer", "minimum": 15, "maximum": 90},
        "count": {"type": "integer", "minimum": 0},
        "groups": {"type": "array", "maxItems": 2},
        "users": {
            "type": "array",
            "uniqueItems": True,
            "x-error": "must be a list of users, each once",
        },
        "colour": {"enum": ["red", "green"], "x-error": "must be red or green"},
        "phone": {"type": "string", "minLength": 1, "pattern": "^\\+", "x-error": "must start +"},
        "id": {"$ref": "#/$defs/id"},
        "by_key": {"type": "object", "propertyNames": {"pattern": "^k_", "x-error": "must be k_"}},
    },
    "$defs": {"id": {"type": "string", "pattern": "^phon_[0-9]+$"}},
}

CASES = {
    "an unknown key, with the near one": (
        {"name": "a", "rign": 30},
        ["$.rign: unknown key 'rign' (did you mean 'ring'?)"],
    ),
    "a missing key": ({}, ["$: missing required key 'name'"]),
    "a mapping where a string goes": ({"name": {}}, ["$.name: must be a string, got a mapping"]),
    "a list where a mapping goes": ([], ["$: must be a mapping, got a list"]),
    "an empty string": ({"name": ""}, ["$.name: must not be empty"]),
    "a range": ({"name": "a", "ring": 91}, ["$.ring: must be between 15 and 90, got 91"]),
    "a minimum": ({"name": "a", "count": -1}, ["$.count: must be at least 0, got -1"]),
    "too many items": (
        {"name": "a", "groups": [1, 2, 3]},
        ["$.groups: at most 2 items allowed, got 3"],
    ),
    "x-error over the type": (
        {"name": "a", "users": "bob"},
        ['$.users: must be a list of users, each once, got "bob"'],
    ),
    "x-error names the repeated item": (
        {"name": "a", "users": ["bob", "al", "bob"]},
        ['$.users: must be a list of users, each once, got "bob" twice'],
    ),
    "x-error with the near enum value": (
        {"name": "a", "colour": "gren"},
        ["$.colour: must be red or green, got \"gren\" (did you mean 'green'?)"],
    ),
    "empty, and x-error for the pattern": (
        {"name": "a", "phone": ""},
        ["$.phone: must not be empty", '$.phone: must start +, got ""'],
    ),
    "a bad key, at the key": (
        {"name": "a", "by_key": {"x": 1}},
        ['$.by_key.x: "x" must be k_'],
    ),
    "`$` ends the string, even before a newline": (
        {"name": "a", "id": "phon_1\n"},
        ["$.id: 'phon_1\\n' does not match '^phon_[0-9]+$'"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_errors_are_worded_the_same_for_every_schema(case: str) -> None:
    document, expected = CASES[case]
    found = [
        f"{json_path(problem.path)}: {problem.message}"
        for error in schemacheck.validator(SCHEMA).iter_errors(document)
        for problem in schemacheck.explain(error)
    ]
    assert found == expected


def test_a_wrong_key_points_at_the_key() -> None:
    errors = schemacheck.validator(SCHEMA).iter_errors({"name": "a", "zzz": 1})
    (problem,) = [p for error in errors for p in schemacheck.explain(error)]
    assert problem == schemacheck.SchemaProblem(("zzz",), "unknown key 'zzz'", at_key=True)


def test_long_strings_are_cut_and_other_values_shown_as_json() -> None:
    assert schemacheck.describe("x" * 61) == '"' + "x" * 57 + '..."'
    assert schemacheck.describe("é") == '"é"'
    assert [schemacheck.describe(v) for v in (None, True, 1.5, [1], {})] == [
        "null",
        "true",
        "1.5",
        "a list",
        "a mapping",
    ]


def test_the_generated_quick_check_has_a_function_per_part_and_agrees() -> None:
    parts = {"validate": SCHEMA, "ring": SCHEMA["properties"]["ring"], "id": {"$ref": "#/$defs/id"}}
    namespace: dict[str, Any] = {}
    exec(schemacheck.quick_check_source("# generated\n", parts), namespace)
    assert "fastjsonschema" not in namespace  # its exception is defined in place
    for document, valid in [
        ({"name": "a", "id": "phon_1"}, True),
        ({"name": "a", "id": "phon_1\n"}, False),
    ]:
        assert schemacheck.validator(SCHEMA).is_valid(document) is valid
        if valid:
            namespace["validate"](document)
        else:
            with pytest.raises(ValueError):
                namespace["validate"](document)
    namespace["validate_ring"](15)
    with pytest.raises(ValueError):
        namespace["validate_ring"](91)
    namespace["validate_id"]("phon_2")  # a later part's reference resolves into the first's $defs
    with pytest.raises(ValueError):
        namespace["validate_id"]("user_2")
