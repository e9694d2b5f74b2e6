"""Saved plans read back: any plan `plan --out` writes (of any size) is read as it was made, the
plan schema describes exactly what `savedplan.write.plan_document` writes, and a hand-edited plan that the
format could not hold is refused, every problem at its JSON path, before any request."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import cli
from test_render import plans

from numbersync import render
from numbersync.cli import main
from numbersync.errors import json_path
from numbersync.files import MAX_FILE_BYTES
from numbersync.models import MANAGED_FIELDS
from numbersync.plan import FieldChange, FileSummary, NumberChange, Plan
from numbersync.savedplan import read, write

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "data" / "golden"
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
GOLDEN_PLANS = sorted(
    p.name for p in GOLDEN.glob("*.json") if "changes" in json.loads(p.read_text())
)
HINT = (
    "Hint: make the plan again with `numbersync plan --out PLANFILE`; a plan file is not edited "
    "by hand\n"
)


def validators_agree(document: Any) -> list[str]:
    """The schema's problems with `document` as savedplan.read words them, after checking that the
    compiled quick check and jsonschema agree on whether there are any."""
    quick = read._quick_failure(document) is None
    thorough = next(iter(read._validator().iter_errors(document)), None) is None
    assert quick == thorough
    return [f"{json_path(p)}: {m}" for p, m in read.schema_problems(document)]


# --- the schema describes what write.plan_document writes --------------------------------------------


def test_the_schema_names_every_managed_field_and_a_rule_for_each() -> None:
    change = read.schema()["$defs"]["change"]
    rules = [rule["if"]["properties"]["field"]["const"] for rule in change["allOf"]]
    assert change["properties"]["field"]["enum"] == list(MANAGED_FIELDS)
    assert rules == list(MANAGED_FIELDS)


@pytest.mark.parametrize("name", GOLDEN_PLANS)
def test_every_golden_plan_matches_the_schema_and_reads_back_as_written(name: str) -> None:
    path = GOLDEN / name
    document = json.loads(path.read_text())
    assert validators_agree(document) == []
    assert write.plan_document(read.read_plan(str(path))) == document


def test_the_plans_behind_the_golden_files_match_the_schema(tmp_path: Path) -> None:
    for name, plan in plans(tmp_path).items():
        document = json.loads(render.render_json(plan))
        assert read.schema_problems(document) == [], name


@pytest.mark.parametrize("emulator", ["tidy", "wild"], indirect=True)
def test_a_plan_of_the_acme_emulator_matches_the_schema_and_reads_back_as_written(
    emulator: Any, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", str(saved))
    assert result.exit_code == 0, result.output
    document = json.loads(saved.read_text())
    assert len(document["changes"]) == 6
    assert validators_agree(document) == []
    assert write.plan_document(read.read_plan(str(saved))) == document


# --- any size ----------------------------------------------------------------------------------


def big_plan(numbers: int, label_length: int) -> Plan:
    """A plan that renames `numbers` numbers to long labels: big on disk, few rows to check."""
    changes = tuple(
        NumberChange(
            f"phon_big{i:08d}",
            f"+1650{i:07d}",
            f"Line {i} " + "x" * label_length,
            f"+1650{i:07d}",
            (
                FieldChange(
                    "label", f"Old {i} " + "y" * label_length, f"Line {i} " + "x" * label_length
                ),
            ),
            "numbers.yaml",
            "2026-11-30T14:02:11.500000+00:00",
        )
        for i in range(numbers)
    )
    return Plan(
        changes=changes,
        unchanged=(),
        unmanaged=(),
        config_path="numbers.yaml",
        fingerprint="sha256:" + "0" * 64,
        files=(FileSummary("numbers.yaml", numbers, 0),),
    )


def test_a_plan_over_the_yaml_readers_limit_reads_back_whole(tmp_path: Path) -> None:
    plan = big_plan(2_000, 2_000)
    path = tmp_path / "plan.json"
    path.write_text(render.render_json(plan))
    assert path.stat().st_size > MAX_FILE_BYTES  # 10 MiB, what the YAML reader takes

    saved = read.read_plan(str(path))

    assert saved == plan


def test_a_device_that_never_ends_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read, "MAX_PLAN_BYTES", 1 << 20)

    result = CliRunner().invoke(main, ["show", "/dev/zero"])

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: /dev/zero is 1,114,112 bytes; numbersync reads files up to 1,048,576 bytes\n"
    )


def test_a_pipe_that_never_ends_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read, "MAX_PLAN_BYTES", 1 << 20)
    reader, writer = os.pipe()

    def endless() -> None:
        try:
            while True:
                os.write(writer, b"{" * 65_536)
        except OSError:  # the reader gave up
            os.close(writer)

    feeding = threading.Thread(target=endless, daemon=True)
    feeding.start()
    try:
        result = CliRunner().invoke(main, ["show", f"/dev/fd/{reader}"])
    finally:
        os.close(reader)
    feeding.join(timeout=10)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: /dev/fd/{reader} is ")
    assert result.stderr.endswith(" bytes; numbersync reads files up to 1,048,576 bytes\n")


def test_a_missing_plan_file_says_how_to_make_one(tmp_path: Path) -> None:
    missing = tmp_path / "plan.json"

    result = CliRunner().invoke(main, ["show", str(missing)])

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {missing}: no such file\nHint: save one with `numbersync plan --out PLANFILE`\n"
    )


# --- hand-edited plans: refused before any request ---------------------------------------------

Edit = Callable[[dict[str, Any]], str]


def edit(change: Callable[[dict[str, Any]], None]) -> Edit:
    def text(document: dict[str, Any]) -> str:
        change(document)
        return json.dumps(document, indent=2)

    return text


def set_row(index: int, **values: Any) -> Edit:
    return edit(lambda d: d["changes"][index].update(values))


def twice(document: dict[str, Any]) -> str:
    """The ring duration written twice in one row: json keeps the second."""
    text = json.dumps(document, indent=2)
    return text.replace('"after": 45,', '"after": 45,\n      "after": 90,', 1)


GROUPS_41 = [f"group_g{i:02d}" for i in range(41)]
# The Acme plan's rows: 0-2 the sales line (label, inbound_ring_duration, participants), 3-4 the
# support line (participant_groups, voicemail_greeting_url), 5 Alice's line (forward_to_enabled).
EDITS: dict[str, tuple[Edit, list[str]]] = {
    "a ring duration as text": (
        set_row(1, after="45"),
        ['$.changes[1].after: inbound_ring_duration must be an integer from 15 to 90, got "45"'],
    ),
    "a ring duration out of range": (
        set_row(1, after=91),
        ["$.changes[1].after: inbound_ring_duration must be an integer from 15 to 90, got 91"],
    ),
    "a boolean as text": (
        set_row(5, after="yes"),
        ['$.changes[5].after: forward_to_enabled must be true or false, got "yes"'],
    ),
    "a label that is an object": (
        set_row(0, after={"label": "Sales", "participants": ["user_mallory"]}),
        ["$.changes[0].after: label must be a string, got an object"],
    ),
    "a field numbersync does not manage": (
        set_row(0, field="user_id", after="user_mallory"),
        [
            '$.changes[0].field: must be one of the fields numbersync manages, got "user_id"',
        ],
    ),
    "a misspelt field": (
        set_row(0, field="lable"),
        [
            '$.changes[0].field: must be one of the fields numbersync manages, got "lable" '
            "(did you mean 'label'?)"
        ],
    ),
    "an id that is not a phone number's": (
        set_row(0, id="user_mallory"),
        [
            "$.changes[0].id: must be a Close phone number id (phon_ and letters or digits), "
            'got "user_mallory"'
        ],
    ),
    "an id that walks the path": (
        edit(lambda d: [row.update(id="phon_x/../../user/me") for row in d["changes"][:3]]),
        [
            f"$.changes[{i}].id: must be a Close phone number id (phon_ and letters or digits), "
            'got "phon_x/../../user/me"'
            for i in range(3)
        ],
    ),
    "an id with a newline after it": (
        set_row(5, id="phon_demoAliceDirect00000000000000000000001\n"),
        [
            "$.changes[5].id: must be a Close phone number id (phon_ and letters or digits), "
            'got "phon_demoAliceDirect00000000000000000000001\\n"'
        ],
    ),
    "an extra key in a row": (
        set_row(2, body={"participants": ["user_mallory"]}),
        ["$.changes[2].body: unknown key 'body'"],
    ),
    "41 groups": (
        set_row(3, after=GROUPS_41),
        [
            "$.changes[3].after: participant_groups must be a list of at most 40 group ids, "
            "each once, got 41"
        ],
    ),
    "a group name instead of its id": (
        set_row(3, after=["Support"]),
        [
            "$.changes[3].after[0]: each group must be a group id (group_ and letters or "
            'digits), got "Support"'
        ],
    ),
    "an email instead of a user id": (
        set_row(2, after=["alice@acme.example", "user_bob00000000000000000000000000000000000000"]),
        [
            "$.changes[2].after[0]: each participant must be a user id (user_ and letters or "
            'digits), got "alice@acme.example"'
        ],
    ),
    "an http greeting": (
        set_row(4, after="http://cdn.acme.example/greetings/support.mp3"),
        [
            "$.changes[4].after: voicemail_greeting_url must be an https:// URL, or null, "
            'got "http://cdn.acme.example/greetings/support.mp3"'
        ],
    ),
    "a forward_to that is no E.164 number": (
        set_row(5, field="forward_to", before=None, after="+1 650 555 0100", risk=None),
        [
            "$.changes[5].after: forward_to must be a phone number in E.164 form (+ and up to "
            '15 digits), got "+1 650 555 0100"'
        ],
    ),
    "a before of the wrong type": (
        set_row(1, before="30"),
        ['$.changes[1].before: inbound_ring_duration must be an integer, got "30"'],
    ),
    "a key written twice": (
        twice,
        ["$.changes[1].after: written twice in one object; a plan names each key once"],
    ),
    "a field changed twice": (
        edit(lambda d: d["changes"].insert(1, {**d["changes"][0], "after": "Mallory"})),
        [
            "$.changes[1].field: a second change of label for "
            "phon_demoSalesLine0000000000000000000000001 (the first is $.changes[0])"
        ],
    ),
    "rows of one number that disagree": (
        set_row(1, number="+16503334449"),
        [
            "$.changes[1].number: differs from $.changes[0].number, the first change of "
            "phon_demoSalesLine0000000000000000000000001"
        ],
    ),
    "a risk hidden": (
        set_row(5, risk=None),
        ['$.changes[5].risk: must be "switches forwarding on" for this change, got null'],
    ),
    "a count that is not the plan's": (
        edit(lambda d: d["summary"].update(risky=0)),
        ["$.summary.risky: must be 1 (the numbers with a risky change), got 0"],
    ),
    "a ring risk that is not the one its sides make": (
        edit(lambda d: d["rings"][0].update(risk="stops ringing 1 person")),
        ['$.rings[0].risk: must be null for this change, got "stops ringing 1 person"'],
    ),
    "who rings, for a number the plan does not change": (
        edit(lambda d: d["rings"][0].update(id="phon_demoBobDirect0000000000000000000000001")),
        [
            "$.rings[0].id: phon_demoBobDirect0000000000000000000000001 is not a number the "
            "changes name"
        ],
    ),
    "a group member that is no user id": (
        edit(lambda d: d["rings"][0]["after"]["groups"][0].update(members=["bob"])),
        ["$.rings[0].after.groups[0].members: must be null or a list of user ids, got a list"],
    ),
    "a rail out of range and a key missing": (
        edit(lambda d: d.update(safety={"max_change_percent": 1000})),
        [
            "$.safety: missing required key 'min_managed'",
            "$.safety.max_change_percent: must be from 0 to 100, got 1000",
        ],
    ),
    "a forged fingerprint": (
        edit(lambda d: d["config"].update(fingerprint="whatever")),
        [
            '$.config.fingerprint: must be sha256: and 64 hexadecimal digits, got "whatever"',
        ],
    ),
    "every problem at once, in the file's order": (
        edit(
            lambda d: (
                d["changes"][0].update(after=12),
                d["changes"][3].update(after="group_support000000000000000"),
                d.update(surprise=True),
            )
        ),
        [
            "$.changes[0].after: label must be a string, got 12",
            "$.changes[3].after: participant_groups must be a list of at most 40 group ids, "
            'each once, got "group_support000000000000000"',
            "$.surprise: unknown key 'surprise'",
        ],
    ),
}


@pytest.fixture(scope="module")
def acme_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The saved plan of examples/numbers.yaml against the Acme emulator."""
    from numbersync.emulator import Emulator

    saved = tmp_path_factory.mktemp("acme") / "plan.json"
    with Emulator(REPO / "examples" / "emulator-seed.yaml") as emu:
        result = cli(emu, "plan", "-c", str(NUMBERS_YAML), "--out", str(saved))
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(saved.read_text())
    return document


@pytest.mark.parametrize("case", list(EDITS))
def test_a_hand_edited_plan_is_refused_at_each_json_path_with_no_request(
    case: str, acme_plan: dict[str, Any], emulator: Any, tmp_path: Path
) -> None:
    change, problems = EDITS[case]
    edited = tmp_path / "plan.json"
    edited.write_text(change(json.loads(json.dumps(acme_plan))))

    result = cli(emulator, "apply", str(edited), "--auto-approve")

    assert result.exit_code == 1, result.output
    count = f"{len(problems)} error{'s' if len(problems) > 1 else ''}"
    assert result.stderr == (
        "".join(f"{edited}: {problem}\n" for problem in problems) + f"Error: {count} found\n" + HINT
    )
    assert result.stdout == ""
    assert emulator.requests == []


@pytest.mark.parametrize("case", [c for c in EDITS if c not in ("a key written twice",)])
def test_the_quick_check_and_jsonschema_agree_on_every_edit(
    case: str, acme_plan: dict[str, Any]
) -> None:
    change, _ = EDITS[case]
    validators_agree(json.loads(change(json.loads(json.dumps(acme_plan)))))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1, 2]", "no format_version"),
        ('{"format_version": 1, "after": NaN}', "NaN is not a JSON value"),
        ('{"format_version": 1, "after": Infinity}', "Infinity is not a JSON value"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_what_is_not_a_plan_at_all_says_so(
    text: str, reason: str, emulator: Any, tmp_path: Path
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text)

    result = cli(emulator, "apply", str(path), "--auto-approve")

    assert result.exit_code == 1
    assert result.stderr == f"Error: {path} is not a numbersync plan file ({reason})\n"
    assert emulator.requests == []


def test_a_plan_of_another_format_version_says_which(
    acme_plan: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({**acme_plan, "format_version": 2}))

    result = CliRunner().invoke(main, ["show", str(path)])

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path} has plan format 2; this numbersync reads 1\n"
        "Hint: make the plan again with this version of numbersync\n"
    )


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("1.0", "1.0"),
        ("1e0", "1.0"),
        ("true", "true"),
        ('"1"', '"1"'),
        ("0", "0"),
        ("null", "null"),
    ],
)
def test_only_the_exact_format_version_is_read(
    written: str, shown: str, acme_plan: dict[str, Any], emulator: Any, tmp_path: Path
) -> None:
    # 1.0 equals 1 in Python and in JSON Schema's `const`: only the integer the writer writes
    # is this format.
    path = tmp_path / "plan.json"
    text = json.dumps({**acme_plan, "format_version": "VERSION"})
    path.write_text(text.replace('"VERSION"', written))

    result = cli(emulator, "apply", str(path), "--auto-approve")

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path} has plan format {shown}; this numbersync reads 1\n"
        "Hint: make the plan again with this version of numbersync\n"
    )
    assert emulator.requests == []


def test_show_refuses_a_hand_edited_plan_too(acme_plan: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(set_row(1, after=9000)(json.loads(json.dumps(acme_plan))))

    result = CliRunner().invoke(main, ["show", str(path)])

    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}: $.changes[1].after: inbound_ring_duration must be an integer from 15 to 90, "
        "got 9000\nError: 1 error found\n" + HINT
    )


def test_a_plan_of_numbersync_0_1_still_reads(acme_plan: dict[str, Any], tmp_path: Path) -> None:
    # 0.1 wrote no `files`, no `file`, `date_updated` or `risk` per change, and no `untargeted`
    # or `risky` in the summary: the same format version, read as one file.
    old = json.loads(json.dumps(acme_plan))
    del old["files"], old["summary"]["untargeted"], old["summary"]["risky"]
    for row in old["changes"]:
        del row["file"], row["date_updated"], row["risk"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(old))

    plan = read.read_plan(str(path))

    assert [c.file for c in plan.changes] == [str(NUMBERS_YAML)] * 3
    assert plan.files == (FileSummary(str(NUMBERS_YAML), 3, 0),)
    assert plan.changes[2].fields[0].risk == "switches forwarding on"


def test_a_ring_duration_written_as_a_whole_float_is_sent_as_an_integer(
    acme_plan: dict[str, Any], tmp_path: Path
) -> None:
    # JSON Schema counts 45.0 as the integer 45: the PUT carries 45, as Close documents it.
    path = tmp_path / "plan.json"
    path.write_text(set_row(1, after=45.0)(json.loads(json.dumps(acme_plan))))

    plan = read.read_plan(str(path))

    body = plan.changes[0].body
    assert body["inbound_ring_duration"] == 45
    assert type(body["inbound_ring_duration"]) is int


def test_show_renders_a_saved_plan_as_the_plan_was_rendered(tmp_path: Path) -> None:
    for name, plan in plans(tmp_path).items():
        saved = tmp_path / f"{name}.json"
        saved.write_text(render.render_json(plan))
        again = read.read_plan(str(saved))
        assert render.render_text(again) == render.render_text(plan), name
        assert render.render_markdown(again) == render.render_markdown(plan), name


def test_a_plan_saved_before_plans_said_who_rings_is_judged_by_its_fields(tmp_path: Path) -> None:
    # 0.3 wrote no `rings`, and gave each ringing field that loses items a risk of its own.
    old = json.loads((GOLDEN / "set_changes.json").read_text())
    del old["rings"]
    old["changes"][0]["risk"] = "removes participants"
    old["changes"][2]["risk"] = "removes phone numbers"
    old["summary"]["risky"] = 2
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(old))

    plan = read.read_plan(str(path))

    assert [c.risks for c in plan.changes] == [
        ("removes participants",),
        ("removes phone numbers",),
    ]
    assert plan.changes[0].rings_before is None
    assert "rings:" not in render.render_text(plan)
