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
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from contract import (
    CONTRACT_DIR,
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numbersync import config
from numbersync.account import Group, LiveNumber, User
from numbersync.close.client import BASE_FIELDS
from numbersync.emulator import Emulator
from numbersync.emulator.api import Route, resolve
from numbersync.errors import InputError
from numbersync.live import Directory
from numbersync.models import MANAGED_FIELDS
from numbersync.plan import build_plan

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
SEEDS = {
    "tidy": REPO / "examples" / "emulator-seed.yaml",
    "wild": REPO / "tests" / "data" / "seeds" / "acme-wild.yaml",
}
DAVE_KEY = "api_demo_dave.fake0000"  # both Acme seeds: a user who may not manage team numbers
EXAMPLES = int(os.environ.get("NUMBERSYNC_CONTRACT_EXAMPLES", "25"))
# Scaled with the examples, so that `make fuzz` gets the time it needs; a hang still trips it.
pytestmark = [pytest.mark.timeout(max(60, EXAMPLES))]

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
    ("POST", "/group/"),
    ("PUT", "/group/{id}/"),
    ("POST", "/group/{group_id}/member/"),
    ("DELETE", "/group/{group_id}/member/{user_id}/"),
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
        Difference("UpdatePhoneNumber", "$", "unexpected id"),
        Difference("UpdatePhoneNumber", "$.forward_to", "type (null)"),
    ]
    assert differences("UpdatePhoneNumber", {"participant_groups": ["g"] * 41}) == [
        Difference("UpdatePhoneNumber", "$.participant_groups", "maxItems 40"),
    ]
    assert differences("UpdatePhoneNumber", {"inbound_ring_duration": 91}) == [
        Difference("UpdatePhoneNumber", "$.inbound_ring_duration", "maximum 90"),
    ]


def test_fields_asked_for_must_be_there_and_no_others() -> None:
    # `_fields=id,number,label`: a number with just those fits; without `label` it does not,
    # whatever else the full object requires.
    asked = ["id", "number", "label"]
    assert differences("PhoneNumber", {"id": "phon_x", "number": "+1", "label": "A"}, asked) == []
    page = {"data": [{"id": "phon_x", "number": "+1"}], "has_more": False}
    assert differences("PhoneNumberList", page, asked) == [
        Difference("PhoneNumber", "$", "missing label"),
    ]
    assert Difference("PhoneNumber", "$", "missing organization_id") in differences(
        "PhoneNumber", {"id": "phon_x"}
    )
    stamped = {"id": "phon_x", "date_updated": "2024-01-15 09:00"}
    assert differences("PhoneNumber", stamped, ["id", "date_updated"]) == [
        Difference("PhoneNumber", "$.date_updated", "format date-time"),
    ]


def test_every_kept_difference_gives_a_reason_and_a_seed_and_is_in_the_readme() -> None:
    kept = kept_differences()
    rows = [
        line
        for line in (CONTRACT_DIR / "README.md").read_text().splitlines()
        if line.startswith("| `")
    ]
    assert kept
    for entry in kept:
        assert entry.reason.strip(), entry
        assert entry.seeds and entry.seeds <= set(SEEDS), entry
        assert entry.difference.schema in SCHEMAS, entry
        schema, path, kind = (f"`{part}`" for part in vars(entry.difference).values())
        assert [row for row in rows if row.startswith(f"| {schema} | {path} |") and kind in row], (
            entry
        )


# --- every PUT body a plan can make -------------------------------------------------------------

USERS = (User("user_alice", "alice@acme.example"), User("user_bob", "bob@acme.example"))
GROUPS = (Group("group_sales", "Sales EMEA"), Group("group_support", "Support"))
E164S = ["+16505550100", "+442071838750", "+16505550101"]
# What the file may say for a number, drawn from the file format's own domain.
FILE_SETTINGS = st.fixed_dictionaries(
    {},
    optional={
        "label": st.text(max_size=12),
        "forward_to": st.sampled_from(["+1 650 555 0100", *E164S]),
        "forward_to_enabled": st.booleans(),
        "inbound_ring_duration": st.integers(15, 90),
        "participants": st.lists(
            st.sampled_from(["alice@acme.example", "BOB@acme.example", "user_alice"]), max_size=3
        ),
        "participant_groups": st.lists(
            st.sampled_from(["Sales EMEA", "Support", "group_sales"]), max_size=3
        ),
        "phone_numbers": st.lists(st.sampled_from(E164S), max_size=3),
        "press_1_to_accept": st.booleans(),
        "voicemail_greeting_url": st.none() | st.just("https://cdn.example.com/a.mp3"),
    },
)
# What Close may hold for it: any value its PhoneNumber schema allows for a field numbersync reads.
LIVE_SETTINGS = st.fixed_dictionaries(
    {},
    optional={
        "label": st.none() | st.text(max_size=12),
        "forward_to": st.none() | st.sampled_from(E164S),
        "forward_to_enabled": st.booleans(),
        "inbound_ring_duration": st.none() | st.integers(15, 90),
        "participants": st.lists(st.sampled_from(["user_alice", "user_bob"]), max_size=2),
        "participant_groups": st.lists(
            st.sampled_from(["group_sales", "group_support"]), max_size=2
        ),
        "phone_numbers": st.lists(st.sampled_from(E164S), max_size=2),
        "press_1_to_accept": st.booleans(),
        "voicemail_greeting_url": st.none() | st.just("https://cdn.example.com/b.mp3"),
    },
)


@settings(max_examples=EXAMPLES * 4, deadline=None, database=None)
@given(wanted=FILE_SETTINGS, held=LIVE_SETTINGS)
def test_every_put_body_a_plan_makes_fits_update_phone_number(
    wanted: dict[str, Any], held: dict[str, Any]
) -> None:
    number = "+16503334444"
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "numbers.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "numbers": {number: wanted}}))
        try:
            desired = config.load(str(path))
            current = LiveNumber("phon_1", number, number, "2026-01-01T00:00:00+00:00", held, held)
            plan = build_plan(desired, [current], Directory(USERS, GROUPS))
        except InputError:
            return  # refused before any request: nothing is sent
    for change in plan.changes:
        assert differences("UpdatePhoneNumber", change.body) == [], change.body


# --- what numbersync sends and gets -------------------------------------------------------------


def _sweep(emu: Emulator) -> None:
    """Read every object the seed has, so that the answers numbersync's own run does not ask for
    (each number alone, each user, each group with its members, each role) are checked too."""
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
        used = {
            (e.method, getattr(operation(e.method, e.path), "template", e.path))
            for e in exchanges(emu)
        }
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


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_group_writes_keep_to_closes_schemas(seed: str) -> None:
    """numbersync's membership changes (through the Applier, as apply sends them: allowed, then
    refused for a user without the group permission), and the emulator's answers to every group
    write, fit Group, GroupMember, CreateGroupMember and CreateGroup."""
    from numbersync.account import GroupChange
    from numbersync.apply import Applier
    from numbersync.close import CloseClient, Secret, Settings

    with Emulator(SEEDS[seed]) as emu:
        support, sales, *_ = emu.state.groups
        users = [u.id for u in emu.state.users if emu.state.organization.id in u.organizations]
        joining = next(u for u in users if u not in support.members)
        change = GroupChange(
            support.id, support.name, support.name, support.members, (*support.members[1:], joining)
        )
        for key in (emu.admin_key, DAVE_KEY):
            with CloseClient(Settings(emu.url, Secret(key))) as client:
                Applier(client).run((), (change,))
        with httpx.Client(base_url=emu.url, auth=(emu.admin_key, "")) as client:
            created = client.post("/group/", json={"name": "Contract"}).json()["id"]
            client.post("/group/", json={"name": "Contract"})  # taken: 400
            client.put(f"/group/{sales.id}/", json={"name": "Contract"})  # taken: 400
            client.put(f"/group/{created}/", json={"name": "Contract 2"}, params={"_fields": "id"})
            client.post(f"/group/{created}/member/", json={"user_id": joining})
            client.post(f"/group/{created}/member/", json={})  # 400
            client.delete(f"/group/{created}/member/{joining}/")
        statuses = {(e.method, e.status) for e in exchanges(emu)}
        sent = {d for e in exchanges(emu) for d in request_differences(e)}
        answered = {d for e in exchanges(emu) for d in answer_differences(e)}

    refusal = 400 if seed == "wild" else 403
    assert {("POST", 201), ("DELETE", 204), ("POST", refusal), ("DELETE", refusal)} <= statuses
    assert {("POST", 400), ("PUT", 200), ("PUT", 400)} <= statuses
    # Only the bodies numbersync sends: the two malformed ones above are the test's own.
    assert sent == {Difference("CreateGroupMember", "$", "missing user_id")}
    assert answered == set()


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE", "QUERY", "PATCH"])
def test_a_method_close_does_not_document_is_refused_not_a_server_error(
    emulator: Emulator, method: str
) -> None:
    with httpx.Client(base_url=emulator.url, auth=(emulator.admin_key, "")) as client:
        refused = client.request(method, "/phone_number/")
        after = client.get("/me/")  # the same connection still reads answers whole

    assert (refused.status_code, refused.headers["Allow"]) == (405, "GET")
    assert refused.content == (
        b""
        if method == "HEAD"
        else b'{"error":"Method ' + method.encode() + b' not allowed; use GET."}'
    )
    assert after.status_code == 200 and after.json()["email"] == "admin@acme.example"
    assert [(r.method, r.status) for r in emulator.requests] == [(method, 405), ("GET", 200)]


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
    return isinstance(resolve(method, re.sub(r"\{[^}]+\}", "x", template)), Route)


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
                # `{id}` is an object of the path's resource; `{group_id}`, `{user_id}` say theirs.
                name = parameter["name"]
                family = template.split("/")[1] if name == "id" else name.removesuffix("_id")
                parameter["schema"] = {"type": "string", "enum": ids[family]}
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
