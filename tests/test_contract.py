"""The contract with Close's published API description (tests/data/close-openapi/): every answer
the emulator gives numbersync fits Close's schema for it, every request numbersync sends fits the
request schema, and a schemathesis run over the endpoints numbersync uses finds no 5xx and no
answer outside the schema. Every difference we keep is in differences.json with its reason; a new
one fails, and so does a kept one that no longer shows up.

NUMBERSYNC_CONTRACT_EXAMPLES (default 25) is the number of examples per endpoint in the
schemathesis run; `make test` draws the same ones every run (see conftest.py).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from contract import (
    DOC,
    SCHEMAS,
    Difference,
    Exchange,
    allowed,
    answer_differences,
    differences,
    kept_differences,
    operation,
    request_differences,
)
from helpers import cli
from hypothesis import HealthCheck, settings

from numbersync.close.client import BASE_FIELDS
from numbersync.emulator import Emulator
from numbersync.emulator.api import Route, resolve
from numbersync.models import MANAGED_FIELDS

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
SEEDS = {
    "tidy": REPO / "examples" / "emulator-seed.yaml",
    "wild": REPO / "tests" / "data" / "seeds" / "acme-wild.yaml",
}
DAVE_KEY = "api_demo_dave.fake0000"  # both Acme seeds: a user who may not manage team numbers
EXAMPLES = int(os.environ.get("NUMBERSYNC_CONTRACT_EXAMPLES", "25"))

# The endpoints the schemathesis run covers: those numbersync uses. Adding one is one line here
# (it must be in close-openapi.json); one the emulator does not serve yet is left out of the run.
ENDPOINTS = [
    ("GET", "/phone_number/"),
    ("GET", "/phone_number/{id}/"),
    ("PUT", "/phone_number/{id}/"),
    ("GET", "/user/"),
    ("GET", "/user/{id}/"),
    ("GET", "/me/"),
    ("GET", "/group/"),
    ("GET", "/group/{id}/"),
    ("GET", "/role/"),
    ("GET", "/role/{id}/"),
]


def exchanges(emu: Emulator) -> Iterator[Exchange]:
    for r in emu.requests:
        yield Exchange(r.method, r.path, r.query, r.body, r.status, r.answer)


# --- the vendored document ----------------------------------------------------------------------


def test_the_vendored_document_is_data_without_closes_prose() -> None:
    def walk(node: Any, path: str) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                prose = ("description", "summary", "example", "examples", "title")
                if key in prose and value not in ("", None):
                    yield f"{path}.{key}"
                yield from walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{path}[{index}]")

    # (info.title is ours: OpenAPI requires one.)
    assert list(walk(DOC["paths"], "$.paths")) == []
    assert list(walk(DOC["components"], "$.components")) == []


def test_every_reference_in_the_document_resolves() -> None:
    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = set(refs(DOC))
    assert found, "the document uses references"
    assert {
        ref for ref in found if ref.removeprefix("#/components/schemas/") not in SCHEMAS
    } == set()


def test_every_field_numbersync_reads_or_writes_is_in_closes_schemas() -> None:
    number = set(SCHEMAS["PhoneNumber"]["properties"])
    update = set(SCHEMAS["UpdatePhoneNumber"]["properties"])

    assert set(BASE_FIELDS) - number == set()
    assert set(MANAGED_FIELDS) - number == set()
    assert set(MANAGED_FIELDS) - update == set()


def test_the_update_schema_refuses_what_close_refuses() -> None:
    assert differences("UpdatePhoneNumber", {"label": "Sales", "participant_groups": ["g"]}) == []
    assert differences("UpdatePhoneNumber", {"id": "phon_x", "forward_to": None}) == [
        Difference(
            "UpdatePhoneNumber",
            "$",
            "unexpected (Additional properties are not allowed ('id' was unexpected))",
        ),
        Difference("UpdatePhoneNumber", "$.forward_to", "type (null)"),
    ]
    assert differences("UpdatePhoneNumber", {"participant_groups": ["g"] * 41}) == [
        Difference(
            "UpdatePhoneNumber",
            "$.participant_groups",
            "maxItems (['g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g', 'g'] is too long)",
        ),
    ]
    assert differences("UpdatePhoneNumber", {"inbound_ring_duration": 91}) == [
        Difference(
            "UpdatePhoneNumber",
            "$.inbound_ring_duration",
            "maximum (91 is greater than the maximum of 90)",
        ),
    ]


def test_fields_asked_for_must_be_there_and_no_others() -> None:
    # `_fields=id,number,label`: a number with just those fits; without `label` it does not,
    # whatever else the full object requires.
    assert (
        differences(
            "PhoneNumber", {"id": "phon_x", "number": "+1", "label": "A"}, ["id", "number", "label"]
        )
        == []
    )
    assert differences(
        "PhoneNumberList",
        {"data": [{"id": "phon_x", "number": "+1"}], "has_more": False},
        ["id", "number", "label"],
    ) == [
        Difference("PhoneNumber", "$", "missing label"),
    ]
    assert Difference("PhoneNumber", "$", "missing organization_id") in differences(
        "PhoneNumber", {"id": "phon_x"}
    )
    assert differences(
        "PhoneNumber", {"id": "phon_x", "date_updated": "2024-01-15 09:00"}, ["id", "date_updated"]
    ) == [
        Difference(
            "PhoneNumber", "$.date_updated", "format ('2024-01-15 09:00' is not a 'date-time')"
        ),
    ]


def test_every_kept_difference_gives_a_reason_and_a_seed() -> None:
    kept = kept_differences()
    assert kept
    for entry in kept:
        assert entry.reason.strip(), entry
        assert entry.seeds and entry.seeds <= set(SEEDS), entry
        assert entry.difference.schema in SCHEMAS, entry


# --- what numbersync sends and gets -------------------------------------------------------------


def _sweep(emu: Emulator) -> None:
    """Read every object the seed has, as a client would: what numbersync's own run skips (a
    single number, each user, each group with its members) is answered with the same code."""
    with httpx.Client(base_url=emu.url, auth=(emu.admin_key, "")) as client:
        for path in ("/phone_number/", "/user/", "/me/", "/group/"):
            client.get(path)
        for number in emu.state.numbers():
            client.get(f"/phone_number/{number['id']}/")
        for user in emu.state.users:
            client.get(f"/user/{user.id}/")
        for group in emu.state.groups:
            client.get(f"/group/{group.id}/", params={"_fields": "id,name,organization_id,members"})
        if isinstance(resolve("GET", "/role/"), Route):
            roles = client.get("/role/").json().get("data", [])
            for role in roles:
                client.get(f"/role/{role['id']}/")


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_numbersync_and_the_emulator_keep_to_closes_schemas(seed: str, tmp_path: Path) -> None:
    with Emulator(SEEDS[seed]) as emu:
        assert cli(emu, "plan", "-c", str(NUMBERS_YAML)).exit_code == 0
        # A user who may not manage team numbers: Close refuses each change (403, or 400 with an
        # `errors` list in the wild), and that refusal's body is checked too.
        assert (
            cli(emu, "apply", "-c", str(NUMBERS_YAML), "--auto-approve", key=DAVE_KEY).exit_code
            == 1
        )
        assert cli(emu, "apply", "-c", str(NUMBERS_YAML), "--auto-approve").exit_code == 0
        assert cli(emu, "export", "-o", str(tmp_path / "exported.yaml")).exit_code == 0
        used = {(e.method, operation(e.method, e.path).template) for e in exchanges(emu)}  # type: ignore[union-attr]
        refusals = [e.status for e in exchanges(emu) if e.method == "PUT" and e.status >= 400]
        _sweep(emu)
        sent = {d for e in exchanges(emu) for d in request_differences(e)}
        answered = {d for e in exchanges(emu) for d in answer_differences(e)}

    assert {("GET", "/phone_number/"), ("PUT", "/phone_number/{id}/"), ("GET", "/me/")} <= used
    assert {("GET", "/user/"), ("GET", "/group/")} <= used
    assert refusals and set(refusals) == ({400} if seed == "wild" else {403})
    assert sent == set()
    kept = allowed(seed)
    assert sorted(map(str, answered - kept)) == [], "new differences from Close's schemas"
    assert sorted(map(str, kept - answered)) == [], "kept differences that no longer show up"


# --- the schemathesis run -----------------------------------------------------------------------


def _ids(seed: Path) -> dict[str, list[str]]:
    """The ids the run's path parameters take: the seed's own, plus one that exists nowhere."""
    with Emulator(seed) as emu:
        state = emu.state
        ids = {
            "phone_number": [n["id"] for n in state.numbers()],
            "user": [u.id for u in state.users],
            "group": [g.id for g in state.groups],
            "role": [],
        }
        if isinstance(resolve("GET", "/role/"), Route):
            with httpx.Client(base_url=emu.url, auth=(emu.admin_key, "")) as client:
                ids["role"] = [r["id"] for r in client.get("/role/").json().get("data", [])]
    return {family: [*found, f"{family[:4]}_missing"] for family, found in ids.items()}


def _served(method: str, template: str) -> bool:
    return isinstance(resolve(method, template.replace("{id}", "x")), Route)


def _run_document(seed: Path) -> dict[str, Any]:
    """close-openapi.json cut to the endpoints of the run that the emulator serves, each path
    parameter taking the seed's ids, so that most requests reach a real object."""
    doc = copy.deepcopy(DOC)
    ids = _ids(seed)
    paths: dict[str, Any] = {}
    for method, template in ENDPOINTS:
        if not _served(method, template):
            continue
        spec = doc["paths"][template][method.lower()]
        for parameter in spec.get("parameters", []):
            if parameter["in"] == "path":
                parameter["schema"] = {"type": "string", "enum": ids[template.split("/")[1]]}
        paths.setdefault(template, {})[method.lower()] = spec
    doc["paths"] = paths
    del doc["security"]  # the run authenticates as the seed's admin, never with made-up headers
    return doc


RUN_SEED = SEEDS["tidy"]
schema = schemathesis.openapi.from_dict(_run_document(RUN_SEED))


@pytest.fixture(scope="module")
def run_emulator() -> Iterator[Emulator]:
    """One emulator for the whole run: PUTs change it as they would change Close."""
    with Emulator(RUN_SEED) as emu:
        yield emu


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_generated_requests_get_no_5xx_and_answers_that_fit(
    case: schemathesis.Case, run_emulator: Emulator
) -> None:
    run_emulator.reset_log()
    response = case.call(base_url=run_emulator.url, auth=(run_emulator.admin_key, ""))
    assert response.status_code < 500, response.text
    (logged,) = list(exchanges(run_emulator))
    if operation(logged.method, logged.path) is None:
        # schemathesis also tries methods Close does not document on a path: refused, no more.
        assert logged.status == 405, (case.method, case.path, response.text)
        return
    found = set(answer_differences(logged)) - allowed("tidy")
    assert sorted(map(str, found)) == [], (case.method, case.path, response.text)
