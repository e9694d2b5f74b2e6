"""The desired-state language: every example validates, every invalid file gets its exact error,
and valid files normalise to the state the diff expects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import assert_schema_checks_agree

from numbersync import config
from numbersync.cli import main
from numbersync.errors import InputError, UsageError
from numbersync.files import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parent.parent
INVALID = ROOT / "tests" / "data" / "invalid"
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml") if p.name != "emulator-seed.yaml")


def validate(path: str, cwd: Path) -> tuple[int, str, str]:
    result = subprocess.run(
        [sys.executable, "-m", "numbersync", "validate", "-c", path],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates(example: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "-c", str(example)])
    assert result.exit_code == 0, result.output
    count = len(config.load(str(example)).numbers)
    assert result.stdout == f"OK: {count} number{'s' if count != 1 else ''}\n"


def test_there_are_at_least_thirty_invalid_files() -> None:
    assert len(list(INVALID.glob("*.yaml"))) >= 30


@pytest.mark.parametrize("bad", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_file_gets_its_exact_errors(bad: Path) -> None:
    expected = bad.with_suffix(".expected").read_text().splitlines()
    result = CliRunner().invoke(main, ["validate", "-c", bad.name], catch_exceptions=False)
    # CliRunner runs in-process: chdir so that the printed path is the relative name.
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:-1] == expected
    count = len(expected)
    assert lines[-1] == f"Error: {count} error{'s' if count != 1 else ''} found"
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.fixture(autouse=True)
def _in_invalid_dir(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    if request.node.name.startswith("test_invalid_file_gets_its_exact_errors"):
        monkeypatch.chdir(INVALID)


def test_alias_bomb_is_refused_quickly() -> None:
    code, _, err = validate("alias_bomb.yaml", INVALID)
    assert code == 1
    assert "aliases expand to more than 100,000 nodes" in err


def test_missing_file(tmp_path: Path) -> None:
    code, out, err = validate("numbers.yaml", tmp_path)
    assert (code, out) == (1, "")
    assert err == (
        "Error: numbers.yaml: no such file\nHint: pass the desired-state file with -c FILE\n"
    )


def test_a_directory_without_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "README.md").write_text("not read\n")
    code, out, err = validate("conf", tmp_path)
    assert (code, out) == (1, "")
    assert err == (
        "Error: conf: no *.yaml or *.yml file in this directory or below it\n"
        "Hint: a directory config holds one file per team; "
        "`numbersync export -o conf --split-by group` writes one\n"
    )


def test_huge_file_is_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(UsageError, match=r"numbersync reads files up to 10,485,760 bytes"):
        config.load(str(huge))


def test_an_endless_device_is_refused_after_the_limit() -> None:
    # /dev/zero has no size to check first: the reader must count what it reads and stop.
    with pytest.raises(UsageError, match=r"/dev/zero is 10,5\d\d,\d\d\d bytes"):
        config.load("/dev/zero")


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "numbers.yaml"
    path.write_text(text)
    return str(path)


def test_normalises_numbers_sets_and_defaults(tmp_path: Path) -> None:
    state = config.load(
        write(
            tmp_path,
            "version: 1\n"
            "defaults:\n"
            "  inbound_ring_duration: 30\n"
            "  press_1_to_accept: false\n"
            "numbers:\n"
            "  +1 (650) 333-4444:\n"
            "    forward_to: +1 650 555 0100\n"
            "    inbound_ring_duration: 45\n"
            "    participants: [Alice@Example.com, alice@example.com, user_b]\n"
            "    phone_numbers: [+14155550199, '+1 415 555 0199', '+1 415-555-0100']\n"
            "  phon_abc:\n"
            "    label: By id\n"
            "  '+442079460958':\n",
        )
    )
    first, second, by_id = state.numbers
    assert (first.number, first.id, first.key) == ("+16503334444", None, "+1 (650) 333-4444")
    assert dict(first.fields) == {
        "forward_to": "+16505550100",
        "inbound_ring_duration": 45,
        "participants": ("Alice@Example.com", "user_b"),
        "phone_numbers": ("+14155550199", "+14155550100"),
        "press_1_to_accept": False,
    }
    assert first.position.line == 6
    assert first.position_of("inbound_ring_duration").line == 8
    assert first.position_of("press_1_to_accept").line == 4  # inherited: points at defaults
    # The file's own index: the second item was a duplicate, the third is kept as the second.
    assert first.fields["phone_numbers"][1] == "+14155550100"
    assert first.file_index("phone_numbers", 1) == 2
    assert first.position_of("phone_numbers[2]").col == 54
    assert first.path_of("phone_numbers[2]") == ("numbers", "+1 (650) 333-4444", "phone_numbers", 2)
    assert first.path_of("press_1_to_accept") == ("defaults", "press_1_to_accept")
    assert first.layer_of("press_1_to_accept") == "file"
    assert first.file == str(tmp_path / "numbers.yaml")
    assert (second.number, dict(second.fields)) == (
        "+442079460958",
        {"inbound_ring_duration": 30, "press_1_to_accept": False},
    )
    assert (by_id.number, by_id.id, by_id.fields["label"]) == (None, "phon_abc", "By id")
    assert state.fingerprint.startswith("sha256:") and len(state.fingerprint) == 71
    assert state.safety.max_change_percent == 30.0


def test_unquoted_phone_numbers_keep_their_plus(tmp_path: Path) -> None:
    state = config.load(
        write(
            tmp_path,
            "version: 1\nnumbers:\n  +16503334444:\n    forward_to: +16505550100\n"
            "    phone_numbers:\n      - +14155550199\n",
        )
    )
    (number,) = state.numbers
    assert number.number == "+16503334444"
    assert number.fields["forward_to"] == "+16505550100"
    assert number.fields["phone_numbers"] == ("+14155550199",)


def test_anchors_and_merge_keys_are_supported(tmp_path: Path) -> None:
    state = config.load(
        write(
            tmp_path,
            "version: 1\nnumbers:\n"
            "  '+16503334444': &sales\n    participants: [alice@example.com]\n    label: Sales\n"
            "  '+16503334445':\n    <<: *sales\n    label: Sales 2\n",
        )
    )
    second = state.numbers[1]
    assert dict(second.fields) == {"label": "Sales 2", "participants": ("alice@example.com",)}


def test_greeting_null_is_kept_as_a_managed_clear(tmp_path: Path) -> None:
    state = config.load(
        write(tmp_path, "version: 1\nnumbers:\n  '+16503334444':\n    voicemail_greeting_url:\n")
    )
    assert dict(state.numbers[0].fields) == {"voicemail_greeting_url": None}


def test_safety_block(tmp_path: Path) -> None:
    state = config.load(
        write(
            tmp_path,
            "version: 1\nsafety:\n  max_change_percent: 50\n  min_managed: 4\nnumbers: {}\n",
        )
    )
    assert (state.safety.max_change_percent, state.safety.min_managed) == (50.0, 4)


def test_groups_keep_their_members_as_written_without_duplicates(tmp_path: Path) -> None:
    state = config.load(
        write(
            tmp_path,
            "version: 1\n"
            "numbers:\n"
            "  '+16503334444': {participant_groups: [Support]}\n"
            "groups:\n"
            "  Support:\n"
            "    members:\n"
            "      - carol@example.com\n"
            "      - user_b\n"
            "      - Carol@Example.com\n"
            "      - alice@example.com\n"
            "  group_empty:\n"
            "    members: []\n",
        )
    )
    support, empty = state.groups
    assert (support.key, support.members) == (
        "Support",
        ("carol@example.com", "user_b", "alice@example.com"),
    )
    assert support.file == str(tmp_path / "numbers.yaml")
    assert {name: (p.line, p.col) for name, p in support.positions.items()} == {
        "": (5, 3),
        "members": (7, 7),
        "members[0]": (7, 9),
        "members[1]": (8, 9),
        "members[3]": (10, 9),  # the file's index: the third item was a duplicate
    }
    assert (empty.key, empty.members, empty.position.line) == ("group_empty", (), 11)


def test_a_file_of_groups_alone_needs_no_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\ngroups:\n  Support: {members: [user_a]}\n")
    assert config.load(path).numbers == ()
    result = CliRunner().invoke(main, ["validate", "-c", path])
    assert (result.exit_code, result.stdout) == (0, "OK: 0 numbers, 1 group\n")


def test_a_group_of_1000_members_loads_and_a_bad_one_is_found_at_its_line(
    tmp_path: Path,
) -> None:
    members = "".join(f"      - user{n}@example.com\n" for n in range(1000))
    text = f"version: 1\ngroups:\n  Everyone:\n    members:\n{members}"
    (group,) = config.load(write(tmp_path, text)).groups
    assert len(group.members) == 1000
    assert group.positions["members[999]"].line == 1004

    with pytest.raises(InputError) as caught:
        config.load(write(tmp_path, text + "      - nobody\n"))
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{tmp_path / 'numbers.yaml'}:1005:9: $.groups.Everyone.members[1000]: must be a user "
        'email or a user id (user_...), got "nobody"'
    ]


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        config.load(
            write(
                tmp_path,
                "version: 3\nnumbers:\n  '+16503334444':\n    label: [x]\n"
                "    inbound_ring_duration: 9\n",
            )
        )
    assert [(d.position.line, d.path) for d in caught.value.diagnostics] == [
        (1, "$.version"),
        (4, '$.numbers["+16503334444"].label'),
        (5, '$.numbers["+16503334444"].inbound_ring_duration'),
    ]


def _documents() -> list[Path]:
    files = [*INVALID.glob("*.yaml"), *EXAMPLES, *(ROOT / "tests" / "data" / "e2e").glob("*.yaml")]
    return sorted(files)


@pytest.mark.parametrize("path", _documents(), ids=lambda p: p.name)
def test_the_quick_schema_check_agrees_with_jsonschema(path: Path) -> None:
    assert_schema_checks_agree(str(path))


def test_the_schema_command_prints_and_writes_the_packaged_schema(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from numbersync.cli import main

    shown = CliRunner().invoke(main, ["schema"])
    assert shown.exit_code == 0
    assert json.loads(shown.stdout) == config.schema()

    target = tmp_path / "numbersync.schema.json"
    written = CliRunner().invoke(main, ["schema", "-o", str(target)])
    assert written.exit_code == 0
    assert written.stderr == f"Wrote the schema to {target}\n"
    assert target.read_text() == shown.stdout


def test_the_generated_schema_check_is_the_schema_of_today() -> None:
    generated = Path(config.QUICK_CHECK_MODULE).read_text(encoding="utf-8")
    assert generated == config.quick_check_source(), (
        "numbersync/_schema_check.py is out of date: run `python -m numbersync.config`"
    )


@pytest.mark.timeout(120)
def test_a_file_of_200000_mistakes_is_refused_with_the_first_100(tmp_path: Path) -> None:
    # A file under the size limit whose every list item is wrong: before the cap, one line per
    # item (and a sort of them all) took minutes and gigabytes for a 10 MB file.
    items = 200_000
    bad = tmp_path / "numbers.yaml"
    bad.write_text(
        'version: 1\nnumbers:\n  "+14155550100":\n    participants: ['
        + ", ".join(["a"] * items)
        + "]\n"
    )

    result = CliRunner().invoke(main, ["validate", "-c", str(bad)])

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 102
    first = '$.numbers["+14155550100"].participants[0]: must be a user email or a user id'
    assert lines[0].startswith(f"{bad}:4:20: {first}")
    assert "participants[99]:" in lines[99]
    assert lines[100:] == ["and 199900 more", "Error: 200000 errors found"]


def test_the_cap_keeps_the_first_diagnostics_in_file_order() -> None:
    from numbersync.errors import Diagnostic, Position

    found = [Diagnostic(Position("f.yaml", line, 1), "$", "wrong") for line in range(300, 0, -1)]
    error = InputError([*found, found[-1]])  # a problem shown, found twice, counts once

    assert [d.position.line for d in error.diagnostics] == list(range(1, 101))
    assert (error.more, error.message) == (200, "300 errors found")
