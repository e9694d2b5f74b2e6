"""`numbersync plan` end to end: the real CLI against the emulator over real sockets.

Each test asserts what a user or a CI job relies on: the exact requests a plan makes (and that
it never writes), the exact lines it prints, its exit codes, and that equal settings written
differently never show up as a diff.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers import cli

from numbersync.emulator import Emulator, generate_seed

# The tidy Acme seed, and Acme as the real Close may be (tests/data/seeds/acme-wild.yaml).
TIDY_AND_WILD = pytest.mark.parametrize("emulator", ["tidy", "wild"], indirect=True)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ACME_SEED = EXAMPLES / "emulator-seed.yaml"
NUMBERS_YAML = EXAMPLES / "numbers.yaml"

ALICE = "user_alice000000000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
CAROL = "user_carol000000000000000000000000000000000000"
SALES_EMEA = "group_salesEmea0000000000000"
SUPPORT = "group_support000000000000000"
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
SUPPORT_LINE = "phon_demoSupportLine00000000000000000000001"
ALICE_DIRECT = "phon_demoAliceDirect00000000000000000000001"
NIGHT_LINE = "phon_demoNightLine0000000000000000000000001"
GREETING = "https://cdn.acme.example/greetings/support.mp3"

# What every phone-number list asks for besides the managed fields the file names.
BASE_FIELDS = "id,number,number_formatted,date_updated,organization_id,type,user_id"
# Read with any managed field: they say whose personal number a number is.
RINGING = "participants,participant_groups,phone_numbers"
ALL_FIELDS = (
    f"{BASE_FIELDS},label,forward_to,forward_to_enabled,inbound_ring_duration,participants,"
    "participant_groups,phone_numbers,press_1_to_accept,voicemail_greeting_url"
)
ME = ("GET", "/me/", {})
USERS = ("GET", "/user/", {"_limit": "100", "_skip": "0"})
GROUPS = ("GET", "/group/", {"_fields": "id,name,organization_id"})
# The members of Sales EMEA, the one group the Sales line rings: read once a plan changes who
# the line rings.
SALES_MEMBERS = ("GET", f"/group/{SALES_EMEA}/", {"_fields": "id,members"})

# The text plan of examples/numbers.yaml against the Acme seed, as a user sees it.
ACME_PLAN = (Path(__file__).parent / "data" / "e2e" / "acme-plan.txt").read_text()


def extra(emu: Emulator) -> int:
    """How many more numbers than the tidy Acme's 11 the emulator serves (2 in the wild)."""
    return len(emu.state) - 11


def acme_plan(emu: Emulator) -> str:
    """The plan of examples/numbers.yaml against either Acme seed."""
    return ACME_PLAN.replace("6 unmanaged.", f"{6 + extra(emu)} unmanaged.")


def calls(emu: Emulator) -> list[tuple[str, str, dict[str, str]]]:
    """The requests the emulator received, in a fixed order: a plan reads its pages, the users,
    the groups and /me/ at the same time, so they arrive in any order."""
    return ordered([(r.method, r.path, r.query) for r in emu.requests])


def ordered(
    requests: list[tuple[str, str, dict[str, str]]],
) -> list[tuple[str, str, dict[str, str]]]:
    return sorted(requests, key=repr)


def list_calls(count: int, fields: str) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("GET", "/phone_number/", {"_fields": fields, "_limit": "100", "_skip": str(100 * page)})
        for page in range(count)
    ]


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def labels_file(path: Path, seed: dict[str, Any], changed: frozenset[int] = frozenset()) -> str:
    """A file that manages the label of every number of a generated seed, one line each; the
    numbers whose index is in `changed` get a new label."""
    lines = ["version: 1", "numbers:" if seed["numbers"] else "numbers: {}"]
    for i, number in enumerate(seed["numbers"]):
        label = f"Renamed {i}" if i in changed else number["label"]
        lines.append(f'  "{number["number"]}": {{label: "{label}"}}')
    return write(path, "\n".join(lines) + "\n")


def no_changes(managed: int, unmanaged: int) -> str:
    if managed == 1:
        return f"No changes. 1 managed number matches the file; {unmanaged} unmanaged.\n"
    return f"No changes. {managed} managed numbers match the file; {unmanaged} unmanaged.\n"


def assert_clean_failure(result: Result) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- the requests a plan makes -------------------------------------------------------------------


@pytest.mark.parametrize(("n", "pages"), [(0, 1), (1, 1), (100, 1), (101, 2), (250, 3)])
def test_plan_reads_every_number_in_pages_of_100_and_writes_nothing(
    start_emulator: Callable[..., Emulator], tmp_path: Path, n: int, pages: int
) -> None:
    seed = generate_seed(n)
    emu = start_emulator(seed)
    config = labels_file(tmp_path / "numbers.yaml", seed)

    result = cli(emu, "plan", "-c", config)

    assert result.exit_code == 0, result.output
    # An empty account still takes one request to learn that it is empty.
    assert pages == max(1, math.ceil(n / 100))
    fields = f"{BASE_FIELDS},label,{RINGING}" if n else f"{BASE_FIELDS},{RINGING}"
    assert calls(emu) == ordered([*list_calls(pages, fields), ME])
    assert result.stdout == no_changes(n, 0)


# The three fields a number rings come together: the safety rail needs all of them to tell
# whether a change leaves a number ringing nothing.
FIELDS_OF_SALES_LINE = f"{BASE_FIELDS},participants,participant_groups,phone_numbers"


@pytest.mark.parametrize(
    ("settings", "fields", "directory"),
    [
        # Ids too are checked against the organization's users and groups before anything is
        # sent: a file that manages participants or groups reads them, whatever it names them by.
        # Who the group rings is read only for a plan that changes who the number rings.
        (
            f"participants: [{ALICE}]\n    participant_groups: [{SALES_EMEA}]",
            FIELDS_OF_SALES_LINE,
            [USERS, GROUPS],
        ),
        (
            f"participants: [alice@acme.example]\n    participant_groups: [{SALES_EMEA}]",
            FIELDS_OF_SALES_LINE,
            [USERS, GROUPS],
        ),
        (
            "participant_groups: [Sales EMEA]",
            FIELDS_OF_SALES_LINE,
            [GROUPS],
        ),
        # Groups are read with participants: a number's sole group member shows up in its
        # deprecated user_id, and must not be taken for a participant.
        ("participants: [alice@acme.example]", FIELDS_OF_SALES_LINE, [USERS]),
        ("label: Sales", f"{BASE_FIELDS},label,{RINGING}", []),
    ],
    ids=["ids", "emails", "group-names", "participants-only", "no-sets"],
)
def test_users_and_groups_are_read_only_when_the_file_names_them(
    emulator: Emulator,
    tmp_path: Path,
    settings: str,
    fields: str,
    directory: list[tuple[str, str, dict[str, str]]],
) -> None:
    config = write(
        tmp_path / "numbers.yaml", f'version: 1\nnumbers:\n  "+16503334444":\n    {settings}\n'
    )

    result = cli(emulator, "plan", "-c", config, "--detailed-exitcode")

    assert result.exit_code == 0, result.output
    assert result.stdout == no_changes(1, 10)
    assert calls(emulator) == ordered([*list_calls(1, fields), *directory, ME])


def test_a_plan_that_changes_who_a_number_rings_reads_its_groups_members(
    emulator: Emulator, tmp_path: Path
) -> None:
    # The Sales line rings Alice and Sales EMEA. Taking Alice off it changes who it rings: the
    # plan reads the group's members, the groups to name it and the users to name the people.
    config = write(
        tmp_path / "numbers.yaml", 'version: 1\nnumbers:\n  "+16503334444":\n    participants: []\n'
    )

    result = cli(emulator, "plan", "-c", config)

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "  ~ +1 650-333-4444  (last changed in Close 2024-01-15 09:00 UTC)\n"
        "      participants:\n"
        f"        - {ALICE} (alice@acme.example)\n"
        "      rings:\n"
        "          alice@acme.example (via Sales EMEA)\n"
        "          carol@acme.example (via Sales EMEA)\n"
        "\n"
        "Safety: apply will go ahead: no safety rail refuses this plan.\n"
        "Plan: 1 to change, 0 unchanged, 10 unmanaged.\n"
    )
    assert calls(emulator) == ordered(
        [*list_calls(1, FIELDS_OF_SALES_LINE), ME, SALES_MEMBERS, GROUPS, USERS]
    )


@pytest.mark.timeout(60)
def test_a_plan_over_10000_numbers_makes_100_list_requests(
    start_emulator: Callable[..., Emulator], large_seed: dict[str, Any], tmp_path: Path
) -> None:
    # large_seed: 10,000 generated numbers "+16502000000" upwards, each with a label "Line i".
    assert len(large_seed["numbers"]) == 10_000
    emu = start_emulator(large_seed)
    config = labels_file(tmp_path / "numbers.yaml", large_seed, frozenset({0, 5_000, 9_999}))

    result = cli(emu, "plan", "-c", config, "--detailed-exitcode")

    assert result.exit_code == 2, result.output
    assert result.stdout.endswith(
        "Safety: apply will go ahead: no safety rail refuses this plan.\n"
        "Close will refuse 1 change: +1 650-200-5000 is the personal number of "
        "user7@gen.example (only its owner can change it).\n"
        "Plan: 3 to change, 9997 unchanged, 0 unmanaged.\n"
    )
    # Line 5000 is user7's personal number: the admin's key may not change it.
    assert (
        '  ~ +1 650-200-5000 "Renamed 5000"  (last changed in Close 2024-01-18 20:20 UTC)\n'
        "      ! personal number of user7@gen.example: Close lets only its owner change it\n"
        '      label: "Line 5000" -> "Renamed 5000"\n'
    ) in result.stdout
    # /user/ is read once, after the pages, to name that owner: the file names nobody.
    pages = list_calls(100, f"{BASE_FIELDS},label,{RINGING}")
    assert calls(emu) == ordered([*pages, ME, USERS])


# --- no perpetual diff -----------------------------------------------------------------------------

# The Acme account exactly as it is, written the way people write: numbers in any format,
# participants in any order and case (and once by id, once by email), repeated items, external
# numbers in another order, 30 where Close holds null, a number named by its id.
SAME_AS_ACME = f"""\
version: 1
numbers:
  "+1 (650) 333-4444":
    label: Sales
    participants: [ALICE@Acme.Example]
    participant_groups: [Sales EMEA, {SALES_EMEA}]
    inbound_ring_duration: 30
    voicemail_greeting_url: https://cdn.acme.example/greetings/sales.mp3
    phone_numbers: []
    forward_to_enabled: false
    press_1_to_accept: false
  "+1 650.333.4445":
    label: Support line
    participants: []
    participant_groups: []
    phone_numbers: ["+1 415-555-0199", "+14155550199"]
    press_1_to_accept: true
    inbound_ring_duration: 30
    voicemail_greeting_url: null
  "+1-650-333-4446":
    participants: [alice@acme.example]
    forward_to: "+1 (650) 555-0100"
    forward_to_enabled: false
  "+44 20 7946 0958":
    participants: [carol@ACME.example, {CAROL}]
    participant_groups: [Sales EMEA]
    inbound_ring_duration: 60
  {NIGHT_LINE}:
    participants: [Dave@acme.example]
    phone_numbers: ["+1 (415) 555-0123", "+1 415 555 0124"]
    inbound_ring_duration: 30
  "+16503334450":
    participant_groups: [Support, Sales EMEA]
    participants: []
"""


@TIDY_AND_WILD
def test_equal_values_written_differently_plan_clean(emulator: Emulator, tmp_path: Path) -> None:
    config = write(tmp_path / "numbers.yaml", SAME_AS_ACME)

    result = cli(emulator, "plan", "-c", config, "--detailed-exitcode")

    assert result.exit_code == 0, result.output
    assert result.stdout == no_changes(6, 5 + extra(emulator))
    assert all(method == "GET" for method, _, _ in calls(emulator))


# --- plan-time problems ----------------------------------------------------------------------------

PROBLEMS = """\
version: 1
numbers:
  "+16503334444":
    participants: [nobody@acme.example, alice@acme.example, twin@acme.example]
    participant_groups: [Sales EMEA, sales emea]
  "+16509999999":
    label: Not ours
  phon_doesNotExist:
    label: Not ours either
"""


@TIDY_AND_WILD
@pytest.mark.usefixtures("email_twins")
def test_plan_time_problems_are_reported_at_their_file_position(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(tmp_path / "numbers.yaml", PROBLEMS)

    result = cli(emulator, "plan", "-c", config)

    assert_clean_failure(result)
    assert result.stdout == ""
    assert result.stderr == (
        f'{config}:4:20: $.numbers["+16503334444"].participants[0]: no active member of the organization has the email nobody@acme.example\n'
        f'{config}:4:61: $.numbers["+16503334444"].participants[2]: twin@acme.example matches 2 users (user_twin1, user_twin2); name the user by id\n'
        f"{config}:5:38: $.numbers[\"+16503334444\"].participant_groups[1]: no group named 'sales emea' in the organization (did you mean 'Sales EMEA'? names match exactly)\n"
        f"{config}:6:3: $.numbers[\"+16509999999\"]: number '+16509999999' is not in the Close account\n"
        f"{config}:8:3: $.numbers.phon_doesNotExist: phone number id 'phon_doesNotExist' is not in the Close account\n"
        "Error: 5 errors found\n"
        "Hint: fix the file, or check that the key belongs to this account\n"
    )
    assert all(method == "GET" for method, _, _ in calls(emulator))


@TIDY_AND_WILD
def test_a_file_error_stops_the_plan_before_any_request(emulator: Emulator, tmp_path: Path) -> None:
    config = write(
        tmp_path / "numbers.yaml",
        'version: 1\nnumbers:\n  "+16503334444":\n    forwad_to: "+16505550100"\n',
    )

    result = cli(emulator, "plan", "-c", config)

    assert_clean_failure(result)
    assert result.stderr.splitlines()[0] == (
        f"{config}:4:5: $.numbers[\"+16503334444\"].forwad_to: unknown key 'forwad_to' (did you mean 'forward_to'?)"
    )
    assert emulator.requests == []


# --- exit codes ------------------------------------------------------------------------------------


@TIDY_AND_WILD
@pytest.mark.parametrize(
    ("config", "key", "code"),
    [
        (SAME_AS_ACME, None, 0),
        (NUMBERS_YAML.read_text(), None, 2),
        (NUMBERS_YAML.read_text(), "api_wrong.fake0000", 1),
    ],
    ids=["no-changes", "changes", "rejected-key"],
)
def test_detailed_exitcode(
    emulator: Emulator, tmp_path: Path, config: str, key: str | None, code: int
) -> None:
    path = write(tmp_path / "numbers.yaml", config)

    result = cli(emulator, "plan", "-c", path, "--detailed-exitcode", key=key)

    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    if code == 2:
        assert result.stdout == acme_plan(emulator)
    if code == 1:
        assert result.stdout == ""
        assert result.stderr.splitlines()[0] == (
            "Error: GET /phone_number/ (401): CLOSE_API_KEY was rejected"
        )
        assert "api_wrong" not in result.output
    assert all(method == "GET" for method, _, _ in calls(emulator))


@TIDY_AND_WILD
def test_without_detailed_exitcode_changes_exit_0(emulator: Emulator) -> None:
    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML))

    assert result.exit_code == 0, result.output
    assert result.stdout == acme_plan(emulator)


# --- options ---------------------------------------------------------------------------------------


@TIDY_AND_WILD
def test_target_limits_the_plan_to_the_named_numbers(emulator: Emulator) -> None:
    result = cli(
        emulator,
        "plan",
        "-c",
        str(NUMBERS_YAML),
        "--target",
        "+1 (650) 333-4446",
        "--target",
        NIGHT_LINE,
        "--detailed-exitcode",
    )

    assert result.exit_code == 2, result.output
    # The other three numbers the file manages still count (the safety rail counts them too).
    assert result.stdout == (
        '  ~ +1 650-333-4446 "Alice direct"  (last changed in Close 2024-01-15 09:02 UTC)\n'
        "      ! risk: switches forwarding on\n"
        "      forward_to_enabled: false -> true\n"
        "\n"
        "! 1 number rings fewer people or switches forwarding: +1 650-333-4446.\n"
        "Safety: apply will go ahead: no safety rail refuses this plan.\n"
        f"Plan: 1 to change, 1 unchanged, {6 + extra(emulator)} unmanaged; 3 managed left out "
        "by --target/--exclude.\n"
    )


def test_exclude_leaves_out_the_named_numbers(emulator: Emulator) -> None:
    result = cli(
        emulator,
        "plan",
        "-c",
        str(NUMBERS_YAML),
        "--exclude",
        "+1 650-333-4444",
        "--exclude",
        "+16503334445",
        "--format",
        "json",
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {c["number"] for c in document["changes"]} == {"+16503334446"}
    assert document["summary"]["untargeted"] == 2


def test_exclude_that_matches_nothing_is_an_error(emulator: Emulator) -> None:
    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--exclude", "+16503334448")

    assert_clean_failure(result)
    assert result.stderr == f"Error: --exclude +16503334448: not a number in {NUMBERS_YAML}\n"


def test_target_that_the_file_does_not_manage_is_an_error(emulator: Emulator) -> None:
    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--target", "+16503334448")

    assert_clean_failure(result)
    assert result.stderr == f"Error: --target +16503334448: not a number in {NUMBERS_YAML}\n"


def test_show_unmanaged_lists_the_numbers_the_file_leaves_alone(emulator: Emulator) -> None:
    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--show-unmanaged")

    assert result.exit_code == 0, result.output
    unmanaged = (
        "Unmanaged (not in the file, left alone):\n"
        '    +1 650-333-4448 "Bob direct"\n'
        '    +1 650-333-4449 "Erin direct"\n'
        '    +1 650-333-4450 "Ported main line"\n'
        '    +1 650-555-0177 "Carol\'s mobile (caller ID)"\n'
        '    +1 800-555-0142 "Toll-free hotline"\n'
        '    +44 20 7946 0959 "London reception"\n'
        "\n"
    )
    risky = "! 1 number rings fewer people or switches forwarding: +1 650-333-4446.\n"
    assert result.stdout == ACME_PLAN.replace(risky, unmanaged + risky)
    # Without the flag they are only counted.
    assert "Bob direct" not in cli(emulator, "plan", "-c", str(NUMBERS_YAML)).stdout


@TIDY_AND_WILD
def test_json_plan_is_versioned_and_lists_every_field_change(emulator: Emulator) -> None:
    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--format", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    assert document["summary"] == {
        "change": 3,
        "unchanged": 2,
        "unmanaged": 6 + extra(emulator),
        "untargeted": 0,
        "risky": 1,
        "group_change": 0,
    }
    assert document["config"]["path"] == str(NUMBERS_YAML)
    assert document["config"]["fingerprint"].startswith("sha256:")
    rows = [(c["id"], c["field"], c["before"], c["after"]) for c in document["changes"]]
    assert rows == [
        (SALES_LINE, "label", "Sales", "Sales line"),
        (SALES_LINE, "inbound_ring_duration", 30, 45),
        (SALES_LINE, "participants", [ALICE], [ALICE, BOB]),
        (SUPPORT_LINE, "participant_groups", [], [SUPPORT]),
        (SUPPORT_LINE, "voicemail_greeting_url", None, GREETING),
        (ALICE_DIRECT, "forward_to_enabled", False, True),
    ]
    numbers = {c["id"]: c["number"] for c in document["changes"]}
    assert numbers == {
        SALES_LINE: "+16503334444",
        SUPPORT_LINE: "+16503334445",
        ALICE_DIRECT: "+16503334446",
    }


@TIDY_AND_WILD
def test_markdown_plan_starts_with_the_marker_the_verdict_and_the_summary(
    emulator: Emulator,
) -> None:
    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--format", "markdown")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        "<!-- numbersync-plan -->",
        "### numbersync plan",
        "",
        "**Safety:** apply will go ahead: no safety rail refuses this plan.",
        "",
        f"**Plan: 3 to change, 2 unchanged, {6 + extra(emulator)} unmanaged.**",
    ]


def test_out_saves_the_json_plan_and_never_the_credential(
    emulator: Emulator, tmp_path: Path
) -> None:
    planfile = tmp_path / "plan.json"

    result = cli(emulator, "-vv", "plan", "-c", str(NUMBERS_YAML), "--out", str(planfile))

    assert result.exit_code == 0, result.output
    assert result.stdout == ACME_PLAN
    saved = planfile.read_text()
    printed = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--format", "json").stdout
    assert json.loads(saved) == json.loads(printed)
    key = emulator.admin_key
    basic = base64.b64encode(f"{key}:".encode()).decode()
    # -vv logs every request with its rate-limit headers: still no credential anywhere.
    assert "GET /phone_number/" in result.stderr
    for secret in (key, basic):
        assert secret not in saved
        assert secret not in result.output


# --- advisory checks and readers that go away --------------------------------------------------------


def test_a_failing_me_never_fails_a_plan(start_emulator: Callable[..., Emulator]) -> None:
    from numbersync.emulator import Faults

    # /me/ fails every attempt; the numbers list is fine.
    emu = start_emulator(ACME_SEED, faults=Faults(schedule=["500"] * 6, match="GET /me/"))

    result = cli(emu, "plan", "-c", str(NUMBERS_YAML))

    assert result.exit_code == 0, result.output
    assert result.stdout == ACME_PLAN
    assert [r.status for r in emu.requests if r.path == "/me/"] == [500] * 6


@pytest.mark.timeout(60)
def test_a_plan_whose_reader_went_away_exits_quietly(emulator: Emulator, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    # `| true` closes the pipe before the plan is written: the first write fails for certain
    # (with `| head -1` it depends on the pipe's size and on timing).
    env = {**os.environ, "CLOSE_API_URL": emulator.url, "CLOSE_API_KEY": emulator.admin_key}
    env.pop("CLOSE_ACCESS_TOKEN", None)
    command = f"{sys.executable} -m numbersync plan -c {NUMBERS_YAML} | true"

    result = subprocess.run(
        ["bash", "-c", command + '; echo "exit=${PIPESTATUS[0]}" >&2'],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )

    assert result.stderr == "exit=1\n"


# --- show: a saved plan rendered again, offline ---------------------------------------------------


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_show_renders_a_saved_plan_as_plan_printed_it_without_a_request(
    emulator: Emulator, tmp_path: Path, output_format: str
) -> None:
    saved = tmp_path / "plan.json"
    planned = cli(
        emulator, "plan", "-c", str(NUMBERS_YAML), "--out", str(saved), "--format", output_format
    )
    assert planned.exit_code == 0, planned.output
    emulator.reset_log()

    shown = cli(emulator, "show", str(saved), "--format", output_format)

    assert shown.exit_code == 0, shown.output
    assert shown.stdout == planned.stdout
    assert emulator.requests == []


def test_plan_out_says_where_the_plan_went_and_what_to_run_next(
    emulator: Emulator, tmp_path: Path
) -> None:
    saved = tmp_path / "my plan.json"

    planned = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", str(saved))

    assert planned.exit_code == 0, planned.output
    assert planned.stderr.splitlines()[-1] == (
        f"Saved the plan to {saved}. Review it again with `numbersync show '{saved}'`; apply "
        f"exactly it with `numbersync apply '{saved}'`."
    )
    assert "Saved the plan" not in planned.stdout


def test_show_refuses_what_is_not_a_plan(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from numbersync.cli import main

    bogus = tmp_path / "plan.json"
    bogus.write_text('{"hello": "world"}')
    result = CliRunner().invoke(main, ["show", str(bogus)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {bogus} is not a numbersync plan file (no format_version)\n"


def test_plan_out_with_json_output_adds_no_note(emulator: Emulator, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"

    planned = cli(
        emulator, "plan", "-c", str(NUMBERS_YAML), "--out", str(saved), "--format", "json"
    )

    assert planned.exit_code == 0, planned.output
    assert "Saved the plan" not in planned.stderr
    assert json.loads(planned.stdout) == json.loads(saved.read_text())
