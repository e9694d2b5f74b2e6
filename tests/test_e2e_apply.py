"""`numbersync apply` end to end: the real CLI against the emulator over real sockets.

What is asserted is what Close receives (every PUT and its exact body, from the emulator's request
log), what Close ends up holding, and what the user reads: the per-number report, the refusals
(unsafe, stale, unconfirmed) that write nothing, and convergence after failures and interrupts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from helpers import cli

from numbersync import fetch
from numbersync.cli import applying
from numbersync.close import CloseClient, Settings
from numbersync.emulator import Emulator, Faults, generate_seed

# The tidy Acme seed, and Acme as the real Close may be (tests/data/seeds/acme-wild.yaml).
TIDY_AND_WILD = pytest.mark.parametrize("emulator", ["tidy", "wild"], indirect=True)

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"

DAVE_KEY = "api_demo_dave.fake0000"
ALICE = "user_alice000000000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
CAROL = "user_carol000000000000000000000000000000000000"
SALES_EMEA = "group_salesEmea0000000000000"
SUPPORT = "group_support000000000000000"
# The members of the groups examples/numbers.yaml rings: one GET each, once its plan needs them.
MEMBER_READS = [("GET", f"/group/{SALES_EMEA}/"), ("GET", f"/group/{SUPPORT}/")]
NIGHT_SHIFT = "group_nightShift000000000000"
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
SUPPORT_LINE = "phon_demoSupportLine00000000000000000000001"
ALICE_DIRECT = "phon_demoAliceDirect00000000000000000000001"
NIGHT_LINE = "phon_demoNightLine0000000000000000000000001"

# The text plan of examples/numbers.yaml against the Acme seed.
ACME_PLAN = (Path(__file__).parent / "data" / "e2e" / "acme-plan.txt").read_text()
# What examples/numbers.yaml asks of the three numbers it changes: the PUT bodies.
ACME_PUTS = {
    SALES_LINE: {"label": "Sales line", "inbound_ring_duration": 45, "participants": [ALICE, BOB]},
    SUPPORT_LINE: {
        "participant_groups": [SUPPORT],
        "voicemail_greeting_url": "https://cdn.acme.example/greetings/support.mp3",
    },
    ALICE_DIRECT: {"forward_to_enabled": True},
}
ACME_APPLIED = """
  applied   +1 650-333-4444    label, inbound_ring_duration, participants
  applied   +1 650-333-4445    participant_groups, voicemail_greeting_url
  applied   +1 650-333-4446    forward_to_enabled
Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent.
"""


def extra(emu: Emulator) -> int:
    """How many more numbers than the tidy Acme's 11 the emulator serves (2 in the wild)."""
    return len(emu.state) - 11


def acme_plan(emu: Emulator) -> str:
    """The plan of examples/numbers.yaml against either Acme seed."""
    return ACME_PLAN.replace("6 unmanaged.", f"{6 + extra(emu)} unmanaged.")


def puts(emu: Emulator) -> dict[str, Any]:
    """Every PUT the emulator received, as {number id: body}; fails on two PUTs to one number."""
    sent = [r for r in emu.requests if r.method == "PUT"]
    by_id = {r.path.split("/")[2]: r.body for r in sent}
    assert len(by_id) == len(sent), f"a number was written twice: {[r.path for r in sent]}"
    return by_id


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def labels_file(
    path: Path, seed: dict[str, Any], changed: range | list[int], header: str = ""
) -> str:
    """Manage the label of every number of a generated seed; those in `changed` get "New i"."""
    lines = ["version: 1", *header.splitlines(), "numbers:"]
    for i, number in enumerate(seed["numbers"]):
        label = f"New {i}" if i in changed else number["label"]
        lines.append(f'  "{number["number"]}": {{label: "{label}"}}')
    return write(path, "\n".join(lines) + "\n")


def number_id(i: int) -> str:
    return f"phon_gen{i:040d}"  # generate_seed's ids


def assert_clean_failure(result: Result) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- minimal, exact writes -------------------------------------------------------------------------

EVERY_FIELD = """\
version: 1
numbers:
  # Every managed field changes.
  "+16503334444":
    label: Sales hotline
    forward_to: "+1 (650) 555-0199"
    forward_to_enabled: true
    inbound_ring_duration: 75
    participants: [Carol@Acme.Example, bob@acme.example, BOB@acme.example]
    participant_groups: [Support]
    phone_numbers: ["+1 650 555 0123", "+1 415 555 0100"]
    press_1_to_accept: true
    voicemail_greeting_url: null
  # One field of five changes.
  "+16503334446":
    label: Alice direct
    forward_to: "+1 650 555 0100"
    forward_to_enabled: true
    inbound_ring_duration: 30
    participants: [alice@acme.example]
  # Nothing changes.
  "+44 20 7946 0958":
    label: London office
    participants: [carol@acme.example]
    participant_groups: [Sales EMEA]
    inbound_ring_duration: 60
"""


@TIDY_AND_WILD
def test_apply_sends_one_put_per_changed_number_with_only_the_changed_fields(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(tmp_path / "numbers.yaml", EVERY_FIELD)

    result = cli(emulator, "apply", "-c", config, "--auto-approve", "--concurrency", "1")

    assert result.exit_code == 0, result.output
    assert puts(emulator) == {
        SALES_LINE: {
            "label": "Sales hotline",
            "forward_to": "+16505550199",
            "forward_to_enabled": True,
            "inbound_ring_duration": 75,
            # Whole lists, in the file's order, duplicates dropped.
            "participants": [CAROL, BOB],
            "participant_groups": [SUPPORT],
            "phone_numbers": ["+16505550123", "+14155550100"],
            "press_1_to_accept": True,
            "voicemail_greeting_url": None,
        },
        ALICE_DIRECT: {"forward_to_enabled": True},
    }
    assert result.stdout.endswith(
        "\n"
        "  applied   +1 650-333-4444    label, forward_to, forward_to_enabled, "
        "inbound_ring_duration, participants, participant_groups, phone_numbers, "
        "press_1_to_accept, voicemail_greeting_url\n"
        "  applied   +1 650-333-4446    forward_to_enabled\n"
        "Apply complete: 2 applied, 0 failed, 0 unknown, 0 not sent.\n"
    )
    assert result.stderr == ("[1/2] +1 650-333-4444: applied\n[2/2] +1 650-333-4446: applied\n")
    sales = emulator.state.number(SALES_LINE)
    assert sales is not None
    body = puts(emulator)[SALES_LINE]
    assert {name: sales[name] for name in body} == body


@TIDY_AND_WILD
def test_a_second_apply_sends_nothing(emulator: Emulator) -> None:
    first = cli(emulator, "apply", "-c", str(NUMBERS_YAML), "--auto-approve")
    assert first.exit_code == 0, first.output
    assert first.stdout == acme_plan(emulator) + ACME_APPLIED
    assert puts(emulator) == ACME_PUTS
    emulator.reset_log()

    second = cli(emulator, "apply", "-c", str(NUMBERS_YAML), "--auto-approve")

    assert second.exit_code == 0, second.output
    assert second.stdout == (
        f"No changes. 5 managed numbers match the file; {6 + extra(emulator)} unmanaged.\n"
    )
    assert second.stderr == ""
    # Read at the same time, so in any order; nothing changes who a number rings, so no
    # group's members are read.
    assert sorted((r.method, r.path) for r in emulator.requests) == [
        ("GET", "/group/"),
        ("GET", "/me/"),
        ("GET", "/phone_number/"),
        ("GET", "/user/"),
    ]


@TIDY_AND_WILD
def test_moving_a_number_from_its_member_to_a_one_member_group_converges(
    emulator: Emulator, tmp_path: Path
) -> None:
    # The night line rings Dave directly; the file hands it to the Night Shift group, whose only
    # member is Dave. Close then reports Dave as the number's (deprecated) `user_id`, which must
    # not be read back as a participant: that would be a diff no apply can remove.
    config = write(
        tmp_path / "numbers.yaml",
        f"version: 1\nnumbers:\n  {NIGHT_LINE}:\n"
        "    participants: []\n    participant_groups: [Night Shift]\n",
    )

    first = cli(emulator, "apply", "-c", config, "--auto-approve")
    second = cli(emulator, "apply", "-c", config, "--auto-approve")

    assert first.exit_code == 0, first.output
    assert first.stdout.endswith(
        "  applied   +1 650-333-4447    participants, participant_groups\n"
        "Apply complete: 1 applied, 0 failed, 0 unknown, 0 not sent.\n"
    )
    assert puts(emulator) == {NIGHT_LINE: {"participants": [], "participant_groups": [NIGHT_SHIFT]}}
    assert second.exit_code == 0, second.output
    assert second.stdout == (
        f"No changes. 1 managed number matches the file; {10 + extra(emulator)} unmanaged.\n"
    )


# --- saved plans -----------------------------------------------------------------------------------


@TIDY_AND_WILD
def test_a_fresh_saved_plan_is_applied_without_asking(emulator: Emulator, tmp_path: Path) -> None:
    planfile = str(tmp_path / "plan.json")
    assert cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", planfile).exit_code == 0
    emulator.reset_log()

    # No --auto-approve and no terminal: the saved plan was the review.
    result = cli(emulator, "apply", planfile)

    assert result.exit_code == 0, result.output
    assert result.stdout == acme_plan(emulator) + ACME_APPLIED
    assert "Note:" not in result.stderr
    assert puts(emulator) == ACME_PUTS
    # Its config is here, unchanged: the plan is checked against a fresh plan of it, made from
    # the numbers (which the stale check reads too), users and groups read at the same time.
    assert sorted((r.method, r.path) for r in emulator.requests if r.method == "GET") == [
        ("GET", "/group/"),
        *MEMBER_READS,
        ("GET", "/me/"),
        ("GET", "/phone_number/"),
        ("GET", "/user/"),
    ]


@TIDY_AND_WILD
def test_a_stale_saved_plan_is_refused_whole_naming_each_drifted_field(
    emulator: Emulator, tmp_path: Path
) -> None:
    planfile = str(tmp_path / "plan.json")
    assert cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", planfile).exit_code == 0
    # Someone changes two numbers in Close after the plan was reviewed: once in the app, once
    # through the API.
    emulator.state.set_number_fields(SALES_LINE, {"label": "Sales (renamed in Close)"})
    with httpx.Client(base_url=emulator.url, auth=(emulator.admin_key, "")) as api:
        api.put(
            f"/phone_number/{ALICE_DIRECT}/", json={"forward_to_enabled": True}
        ).raise_for_status()
    emulator.reset_log()

    result = cli(emulator, "apply", planfile)

    assert_clean_failure(result)
    assert result.stdout == ""
    assert result.stderr == (
        "Error: the saved plan is stale, nothing was applied; Close changed since it was made:\n"
        '  +1 650-333-4444: label was "Sales" in the plan, now "Sales (renamed in Close)"\n'
        "  +1 650-333-4446: forward_to_enabled was false in the plan, now true\n"
        f"Hint: make a new plan with `numbersync plan -c {NUMBERS_YAML} --out PLANFILE` and "
        "review it\n"
    )
    assert puts(emulator) == {}


def saved_acme_plan(emulator: Emulator, path: Path, config: Path = NUMBERS_YAML) -> dict[str, Any]:
    """Save the plan of `config` against the emulator at `path`, forget the requests it made,
    and return the saved document, to edit."""
    assert cli(emulator, "plan", "-c", str(config), "--out", str(path)).exit_code == 0
    emulator.reset_log()
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def forge_forward_to(document: dict[str, Any]) -> None:
    """A well-typed change of a field the config leaves alone on the sales line."""
    row = {**document["changes"][0], "field": "forward_to", "before": None}
    document["changes"].insert(1, {**row, "after": "+16505550666", "risk": None})


def forge_unmanaged(document: dict[str, Any]) -> None:
    """A well-typed change of a number the config does not name: Bob's direct line."""
    document["changes"].append(
        {
            **document["changes"][0],
            "id": "phon_demoBobDirect0000000000000000000000001",
            "number": "+16503334448",
            "key": "+16503334448",
            "label": "Forged",
            "date_updated": None,
            "before": "Bob direct",
            "after": "Forged",
        }
    )
    document["summary"]["change"] += 1


def forge_participants(document: dict[str, Any]) -> None:
    """Carol instead of Bob, and the plan's name map calling Carol bob@acme.example."""
    document["changes"][2]["after"] = [ALICE, CAROL]
    document["users"][CAROL] = "bob@acme.example"


UNREVIEWED: dict[str, tuple[Callable[[dict[str, Any]], None], list[str]]] = {
    "an after the config does not ask for": (
        lambda d: d["changes"][0].update(after="Sales (forged)"),
        [
            '+1 650-333-4444: label is "Sales (forged)" in the plan, the config asks for "Sales line"'
        ],
    ),
    "an id the users map launders": (
        forge_participants,
        [
            f'+1 650-333-4444: participants is ["{ALICE}", "{CAROL}"] in the plan, the config '
            f'asks for ["{ALICE}", "{BOB}"]'
        ],
    ),
    "a field the config leaves alone on that number": (
        forge_forward_to,
        ['+1 650-333-4444: forward_to "+16505550666" is not a change the config asks for'],
    ),
    "a number the config does not name": (
        forge_unmanaged,
        ['+1 650-333-4448: label "Forged" is not a change the config asks for'],
    ),
}


@pytest.mark.parametrize("case", list(UNREVIEWED))
def test_a_saved_plan_that_is_not_what_its_unchanged_config_asks_is_refused_whole(
    case: str, emulator: Emulator, tmp_path: Path
) -> None:
    # Well-typed and with the config's own fingerprint: only what the config asks can tell.
    forge, details = UNREVIEWED[case]
    planfile = tmp_path / "plan.json"
    document = saved_acme_plan(emulator, planfile)
    forge(document)
    planfile.write_text(json.dumps(document))

    result = cli(emulator, "apply", str(planfile), "--auto-approve")

    assert_clean_failure(result)
    assert result.stdout == ""
    assert result.stderr == (
        "Error: the saved plan is not what its config asks, nothing was applied; "
        f"{NUMBERS_YAML} is unchanged since the plan was made, and asks otherwise:\n"
        + "".join(f"  {line}\n" for line in details)
        + f"Hint: make a new plan with `numbersync plan -c {NUMBERS_YAML} --out PLANFILE` and "
        "review it; a plan file is not edited by hand\n"
    )
    assert puts(emulator) == {}


def test_a_saved_change_of_a_field_its_config_never_manages_is_refused_before_any_request(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text('version: 1\nnumbers:\n  "+16503334444": {label: Sales line}\n')
    planfile = tmp_path / "plan.json"
    document = saved_acme_plan(emulator, planfile, config)
    row = {**document["changes"][0], "field": "press_1_to_accept", "before": False}
    document["changes"].append({**row, "after": True})
    planfile.write_text(json.dumps(document))

    result = cli(emulator, "apply", str(planfile), "--auto-approve")

    assert_clean_failure(result)
    assert result.stderr.splitlines()[:2] == [
        "Error: the saved plan is not what its config asks, nothing was applied; "
        f"{config} is unchanged since the plan was made, and asks otherwise:",
        "  +1 650-333-4444: press_1_to_accept true is not a change the config asks for",
    ]
    assert emulator.requests == []


UNVERIFIED_HINT = (
    "Hint: give the config the plan was made from, as it was reviewed: `numbersync apply {planfile} "
    "-c {config}` (or --unverified-plan to apply it without this check)\n"
)


def forge_forwarding(document: dict[str, Any]) -> None:
    """The issue's forgery: Alice's direct line forwards to a number outside the organization."""
    row = next(r for r in document["changes"] if r["field"] == "forward_to_enabled")
    at = document["changes"].index(row)
    document["changes"].insert(
        at,
        {
            **row,
            "field": "forward_to",
            "before": "+16505550100",
            "after": "+33612345678",
            "risk": None,
        },
    )


def test_a_forged_plan_naming_a_config_that_is_not_here_is_refused_with_no_request(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Only `config.path` changed, the fingerprint kept: the config it names cannot vouch for it.
    planfile = tmp_path / "plan.json"
    document = saved_acme_plan(emulator, planfile)
    gone = tmp_path / "elsewhere" / "numbers.yaml"
    document["config"]["path"] = str(gone)
    forge_forwarding(document)
    planfile.write_text(json.dumps(document))

    result = cli(emulator, "apply", str(planfile))

    assert_clean_failure(result)
    assert result.stdout == ""
    assert result.stderr == (
        "Error: the saved plan cannot be verified, nothing was applied: its config "
        f"{gone} is not here\n" + UNVERIFIED_HINT.format(planfile=planfile, config=gone)
    )
    assert emulator.requests == []


@pytest.mark.parametrize("what", ["changed", "gone", "another", "device"])
def test_a_saved_plan_whose_config_is_not_the_one_it_was_made_from_is_refused(
    what: str, emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text(NUMBERS_YAML.read_text())
    planfile = tmp_path / "plan.json"
    document = saved_acme_plan(emulator, planfile, config)
    flags: tuple[str, ...] = ()
    if what == "device":
        # A path that reading could hang on (a pipe, a terminal) is never read.
        config = Path(os.devnull)
        document["config"]["path"] = str(config)
        planfile.write_text(json.dumps(document))
        why = f"its config {config} is neither a file nor a directory"
    elif what == "gone":
        config.unlink()
        why = f"its config {config} is not here"
    elif what == "changed":
        config.write_text(config.read_text() + "# reviewed\n")
        why = f"its config {config} is not the one it was made from (another fingerprint)"
    else:
        other = tmp_path / "other.yaml"
        other.write_text(NUMBERS_YAML.read_text() + "# another\n")
        flags = ("-c", str(other))
        why = f"-c {other} is not the config it was made from (another fingerprint)"

    result = cli(emulator, "apply", str(planfile), *flags)

    assert_clean_failure(result)
    assert result.stderr == (
        f"Error: the saved plan cannot be verified, nothing was applied: {why}\n"
        + UNVERIFIED_HINT.format(planfile=planfile, config=config)
    )
    assert emulator.requests == []


UNVERIFIED_WARNING = [
    "Warning: --unverified-plan: the saved plan is applied WITHOUT checking it against the config "
    "it was made from ({why}).",
    "Warning: skipped: that each change is one the config asks for, and the config's safety rails "
    "(the plan's apply, no looser than the defaults, over the numbers it names).",
    "Warning: still checked: the plan's format, that each number is its id in Close, and that "
    "every before value is what Close has.",
]


def test_an_unverified_plan_is_applied_only_when_asked_and_says_so_loudly(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text(NUMBERS_YAML.read_text())
    planfile = tmp_path / "plan.json"
    saved_acme_plan(emulator, planfile, config)
    config.unlink()
    report = tmp_path / "report.json"

    result = cli(emulator, "apply", str(planfile), "--unverified-plan", "--report", str(report))

    assert result.exit_code == 0, result.output
    why = f"its config {config} is not here"
    assert result.stderr.splitlines()[:3] == [w.format(why=why) for w in UNVERIFIED_WARNING]
    # No names from the file beside the ids: only a verified plan's are Close's own; nor who
    # rings, which only the file says.
    shown = acme_plan(emulator).replace(" (bob@acme.example)", "").replace(" (Support)", "")
    shown = re.sub(r"      rings:\n(?:        .*\n)*", "", shown)
    assert result.stdout == shown + ACME_APPLIED.replace(
        "Apply complete",
        "Unverified: applied without checking it against its config (--unverified-plan): "
        f"{why}.\nApply complete",
    )
    assert puts(emulator) == ACME_PUTS
    # Staleness and ids need the numbers only: no users, groups or /me/.
    assert [(r.method, r.path) for r in emulator.requests if r.method == "GET"] == [
        ("GET", "/phone_number/")
    ]
    assert json.loads(report.read_text())["unverified"] == why


def test_a_plan_is_verified_against_the_config_given_with_c(
    emulator: Emulator, tmp_path: Path
) -> None:
    # The plan was made elsewhere (its path is not here): -c names the reviewed config.
    planfile = tmp_path / "plan.json"
    document = saved_acme_plan(emulator, planfile)
    document["config"]["path"] = "/ci/workspace/numbers.yaml"
    reviewed = json.dumps(document)
    forge_forwarding(document)
    planfile.write_text(json.dumps(document))

    forged = cli(emulator, "apply", str(planfile), "-c", str(NUMBERS_YAML))

    assert_clean_failure(forged)
    assert forged.stderr.splitlines()[:2] == [
        "Error: the saved plan is not what its config asks, nothing was applied; "
        f"{NUMBERS_YAML} is unchanged since the plan was made, and asks otherwise:",
        '  +1 650-333-4446: forward_to "+33612345678" is not a change the config asks for',
    ]
    assert puts(emulator) == {}

    planfile.write_text(reviewed)

    result = cli(emulator, "apply", str(planfile), "-c", str(NUMBERS_YAML))

    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr
    assert puts(emulator) == ACME_PUTS


@pytest.mark.parametrize("flags", [(), ("--unverified-plan",)], ids=["verified", "unverified"])
def test_a_plan_whose_number_is_not_its_id_in_close_is_refused(
    flags: tuple[str, ...], emulator: Emulator, tmp_path: Path
) -> None:
    # The sales line's changes shown as Bob's direct line: a reviewer would read the wrong
    # number, and so would the report.
    config = tmp_path / "numbers.yaml"
    config.write_text(NUMBERS_YAML.read_text())
    planfile = tmp_path / "plan.json"
    document = saved_acme_plan(emulator, planfile, config)
    for row in [*document["changes"], *document["rings"]]:
        if row["id"] == SALES_LINE:
            row["number"] = "+16503334448"
    planfile.write_text(json.dumps(document))
    if flags:
        config.unlink()

    result = cli(emulator, "apply", str(planfile), *flags)

    assert_clean_failure(result)
    assert result.stderr.splitlines()[-3:] == [
        "Error: the saved plan shows numbers that are not their ids in Close, nothing was applied:",
        f"  {SALES_LINE} is +1 650-333-4448 in the plan, +1 650-333-4444 in Close",
        f"Hint: make a new plan with `numbersync plan -c {config} --out PLANFILE` and review it; "
        "a plan file is not edited by hand",
    ]
    assert puts(emulator) == {}


@pytest.mark.parametrize(
    "forge",
    [
        lambda d: d["safety"].update(max_change_percent=100),
        lambda d: d["safety"].update(min_managed=1000),
        lambda d: d["summary"].update(untargeted=100),
        lambda d: d.update(unchanged=[*d["unchanged"], *[f"+1415555{i:04d}" for i in range(90)]]),
    ],
    ids=["looser percent", "higher minimum", "untargeted", "unchanged"],
)
def test_the_rails_and_the_managed_count_are_the_configs_whatever_the_plan_says(
    forge: Callable[[dict[str, Any]], None],
    start_emulator: Callable[..., Emulator],
    tmp_path: Path,
) -> None:
    seed = generate_seed(10)
    emu = start_emulator(seed)
    config = labels_file(tmp_path / "numbers.yaml", seed, range(4))
    planfile = tmp_path / "plan.json"
    assert cli(emu, "plan", "-c", config, "--out", str(planfile)).exit_code == 0
    document = json.loads(planfile.read_text())
    forge(document)
    document["summary"]["unchanged"] = len(document["unchanged"])
    planfile.write_text(json.dumps(document))
    emu.reset_log()

    result = cli(emu, "apply", str(planfile))

    assert_clean_failure(result)
    assert result.stderr == (
        "Error: refusing to apply: it changes 4 of 10 managed numbers (40%, more than 30%)\n"
        + REFUSED_HINT
    )
    assert puts(emu) == {}


def test_a_saved_plan_whose_unchanged_config_no_longer_plans_is_refused(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planfile = tmp_path / "plan.json"
    saved_acme_plan(emulator, planfile)
    # Bob leaves the organization after the review: the config's bob@acme.example names nobody.
    users = tuple(u for u in emulator.state.users if u.id != BOB)
    monkeypatch.setattr(emulator.state, "users", users)

    result = cli(emulator, "apply", str(planfile), "--auto-approve")

    assert_clean_failure(result)
    assert result.stderr == (
        "Error: the saved plan cannot be checked against its config, nothing was applied; "
        f"{NUMBERS_YAML} no longer plans against Close:\n"
        f'  {NUMBERS_YAML}:13:40: $.numbers["+1 650-333-4444"].participants[1]: no active '
        "member of the organization has the email bob@acme.example\n"
        "Hint: fix the config, then make a new plan with "
        f"`numbersync plan -c {NUMBERS_YAML} --out PLANFILE`\n"
    )
    assert puts(emulator) == {}


# --- refusals --------------------------------------------------------------------------------------


def test_without_a_terminal_apply_needs_auto_approve(emulator: Emulator) -> None:
    result = cli(emulator, "apply", "-c", str(NUMBERS_YAML))

    assert_clean_failure(result)
    assert result.stdout == ACME_PLAN
    assert result.stderr == (
        "Error: refusing to apply without confirmation: standard input is not a terminal\n"
        "Hint: review the plan, then pass --auto-approve (for CI) to apply it\n"
    )
    assert puts(emulator) == {}


REFUSED_HINT = "Hint: review the plan, then run again with --force if it is what you want\n"


@pytest.mark.parametrize(
    ("changed", "header", "flags", "refusal"),
    [
        (3, "", (), None),  # 30% is not more than 30%
        (4, "", (), "it changes 4 of 10 managed numbers (40%, more than 30%)"),
        (4, "", ("--force",), None),
        (4, "safety: {max_change_percent: 50}", (), None),
        (
            2,
            "safety: {max_change_percent: 10}",
            (),
            "it changes 2 of 10 managed numbers (20%, more than 10%)",
        ),
        (4, "safety: {min_managed: 11}", (), None),  # 10 managed: below the threshold
    ],
    ids=["at-limit", "over-limit", "forced", "raised-limit", "lowered-limit", "few-managed"],
)
def test_apply_refuses_to_change_too_many_numbers_without_force(
    start_emulator: Callable[..., Emulator],
    tmp_path: Path,
    changed: int,
    header: str,
    flags: tuple[str, ...],
    refusal: str | None,
) -> None:
    seed = generate_seed(10)
    emu = start_emulator(seed)
    config = labels_file(tmp_path / "numbers.yaml", seed, range(changed), header)

    result = cli(emu, "apply", "-c", config, "--auto-approve", *flags)

    summary = f"Plan: {changed} to change, {10 - changed} unchanged, 0 unmanaged."
    assert summary in result.stdout.splitlines()
    if refusal:
        assert_clean_failure(result)
        assert result.stderr == f"Error: refusing to apply: {refusal}\n{REFUSED_HINT}"
        assert puts(emu) == {}
    else:
        assert result.exit_code == 0, result.output
        assert puts(emu) == {number_id(i): {"label": f"New {i}"} for i in range(changed)}


@TIDY_AND_WILD
@pytest.mark.parametrize(
    ("target", "live", "field", "shown"),
    [
        # Alice's direct line, made to ring only Alice and Carol (a shared number).
        (
            ALICE_DIRECT,
            {"participants": [ALICE, CAROL], "phone_numbers": []},
            "participants",
            "+1 650-333-4446",
        ),
        # The night line, made to ring only the Night Shift group (Dave alone).
        (
            NIGHT_LINE,
            {"participants": [], "phone_numbers": [], "participant_groups": [NIGHT_SHIFT]},
            "participant_groups",
            "+1 650-333-4447",
        ),
    ],
    ids=["last-participant", "last-group"],
)
def test_apply_refuses_to_leave_a_number_ringing_nobody_without_force(
    emulator: Emulator,
    tmp_path: Path,
    target: str,
    live: dict[str, Any],
    field: str,
    shown: str,
) -> None:
    if live:
        emulator.state.set_number_fields(target, live)
    config = write(
        tmp_path / "numbers.yaml", f"version: 1\nnumbers:\n  {target}:\n    {field}: []\n"
    )

    refused = cli(emulator, "apply", "-c", config, "--auto-approve")

    assert_clean_failure(refused)
    assert refused.stderr == (
        f"Error: refusing to apply: it leaves {shown} ringing nobody: no participants, no group "
        f"with a member and no phone numbers\n{REFUSED_HINT}"
    )
    assert puts(emulator) == {}

    forced = cli(emulator, "apply", "-c", config, "--auto-approve", "--force")

    assert forced.exit_code == 0, forced.output
    assert puts(emulator) == {target: {field: []}}


@TIDY_AND_WILD
def test_emptying_participants_of_a_number_that_still_rings_phone_numbers_is_not_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    # The night line rings Dave and two external numbers; the file manages only participants.
    # The rail needs the live phone_numbers, which the plan must therefore read.
    config = write(
        tmp_path / "numbers.yaml", f"version: 1\nnumbers:\n  {NIGHT_LINE}:\n    participants: []\n"
    )

    result = cli(emulator, "apply", "-c", config, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert puts(emulator) == {NIGHT_LINE: {"participants": []}}
    assert (emulator.state.number(NIGHT_LINE) or {})["phone_numbers"] == [
        "+14155550124",
        "+14155550123",
    ]


def test_targeted_changes_count_against_every_managed_number(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    # 100 managed numbers, all with a new label; 10 of them targeted: 10%, under the 30% rail
    # (counted against the 10 targeted alone it was "10 of 10, 100%", refused).
    seed = generate_seed(100)
    emu = start_emulator(seed)
    config = labels_file(tmp_path / "numbers.yaml", seed, range(100))
    targets = [arg for i in range(10) for arg in ("--target", f"+1650{2_000_000 + i:07d}")]

    result = cli(emu, "apply", "-c", config, "--auto-approve", *targets)

    assert result.exit_code == 0, result.output
    assert "Plan: 10 to change, 0 unchanged, 0 unmanaged; 90 managed left out" in result.stdout
    assert set(puts(emu)) == {number_id(i) for i in range(10)}


def test_a_target_that_names_no_change_of_a_saved_plan_is_an_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", str(saved)).exit_code == 0

    result = cli(
        emulator, "apply", str(saved), "--target", "+16503334446", "--target", "+16503334448"
    )

    assert_clean_failure(result)
    assert result.stderr == "Error: --target +16503334448: not a change in the saved plan\n"
    assert puts(emulator) == {}


# --- failures reported per number ------------------------------------------------------------------

ONE_BAD_NUMBER = """\
version: 1
numbers:
  "+16503334444":
    label: Sales line
    participants: [user_alice000000000000000000000000000000000000, user_ghost]
  "+16503334446":
    forward_to_enabled: true
  "+16503334447":
    label: Night desk
"""


@TIDY_AND_WILD
def test_an_unknown_user_id_is_refused_at_plan_time_with_no_put(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(tmp_path / "numbers.yaml", ONE_BAD_NUMBER)

    result = cli(emulator, "apply", "-c", config, "--auto-approve")

    assert_clean_failure(result)
    assert result.stderr.startswith(
        f'{config}:5:68: $.numbers["+16503334444"].participants[1]: '
        "no active member of the organization has the id user_ghost\n"
        "Error: 1 error found\n"
    )
    assert puts(emulator) == {}


def test_a_rejected_number_points_at_its_yaml_line_and_the_others_are_applied(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan checks ids against /user/; without that read, Close is the one to refuse the
    # unknown id, with a field error (as it would a user removed between plan and apply).
    monkeypatch.setattr(fetch, "needs_directory", lambda state: (False, False))
    config = write(tmp_path / "numbers.yaml", ONE_BAD_NUMBER)

    result = cli(emulator, "apply", "-c", config, "--auto-approve", "--concurrency", "1")

    assert_clean_failure(result)
    assert result.stdout.endswith(
        "\n"
        "  failed    +1 650-333-4444    label, participants  "
        f"PUT /phone_number/{SALES_LINE}/ (400): Close rejected the request: "
        "participants: Not a user of this organization: user_ghost.\n"
        f'      {config}:5:19: $.numbers["+16503334444"].participants: '
        "Not a user of this organization: user_ghost.\n"
        "  applied   +1 650-333-4446    forward_to_enabled\n"
        "  applied   +1 650-333-4447    label\n"
        "Apply complete: 2 applied, 1 failed, 0 unknown, 0 not sent.\n"
    )
    assert puts(emulator) == {
        SALES_LINE: {"label": "Sales line", "participants": [ALICE, "user_ghost"]},
        ALICE_DIRECT: {"forward_to_enabled": True},
        NIGHT_LINE: {"label": "Night desk"},
    }
    sales, alice, night = (
        emulator.state.number(i) or {} for i in (SALES_LINE, ALICE_DIRECT, NIGHT_LINE)
    )
    assert (sales["label"], sales["participants"]) == ("Sales", [ALICE])  # refused whole
    assert alice["forward_to_enabled"] is True
    assert night["label"] == "Night desk"


@TIDY_AND_WILD
def test_a_key_without_the_permission_gets_403_naming_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Dave may rename the night line (he is its only member) but not change ring settings.
    config = write(
        tmp_path / "numbers.yaml",
        'version: 1\nnumbers:\n  "+16503334447":\n    label: Dave\'s line\n'
        '  "+16503334444":\n    inbound_ring_duration: 45\n',
    )

    result = cli(emulator, "apply", "-c", config, "--auto-approve", key=DAVE_KEY)
    status = emulator.quirks.permission_error  # 403, or Close's 400 with an errors list

    assert_clean_failure(result)
    assert result.stdout.endswith(
        "\n"
        "  failed    +1 650-333-4444    inbound_ring_duration  "
        f"PUT /phone_number/{SALES_LINE}/ ({status}): not allowed: You need the "
        '"Manage Team Phone Numbers" permission to change inbound_ring_duration.\n'
        "      hint: changing members, groups or ring settings needs the Manage Team Phone "
        "Numbers permission; without it a user may change only label, greeting and forwarding "
        "of numbers where they are the sole member\n"
        "  applied   +1 650-333-4447    label\n"
        "Apply complete: 1 applied, 1 failed, 0 unknown, 0 not sent.\n"
    )
    assert (emulator.state.number(NIGHT_LINE) or {})["label"] == "Dave's line"
    assert (emulator.state.number(SALES_LINE) or {})["inbound_ring_duration"] == 30


class IgnoresLabels(httpx.BaseTransport):
    """A Close that answers every PUT with 200 but silently drops `label` from it: the real
    socket to the emulator, with the label taken out of each PUT body on the way."""

    def __init__(self) -> None:
        self._network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            body = json.loads(request.content)
            body.pop("label", None)
            headers = [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"]
            request = httpx.Request("PUT", request.url, headers=headers, json=body)
        return self._network.handle_request(request)

    def close(self) -> None:
        self._network.close()


def test_a_value_close_did_not_take_is_reported_not_converged(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextmanager
    def client(*args: Any) -> Iterator[CloseClient]:
        with CloseClient(Settings.from_env(os.environ), transport=IgnoresLabels()) as close:
            yield close

    monkeypatch.setattr(applying, "close_client", client)

    result = cli(emulator, "apply", "-c", str(NUMBERS_YAML), "--auto-approve")

    assert_clean_failure(result)
    assert result.stdout == ACME_PLAN + (
        "\n"
        "  failed    +1 650-333-4444    label, inbound_ring_duration, participants  "
        "Close did not take every value\n"
        '      label: Close has "Sales", wanted "Sales line"\n'
        "  applied   +1 650-333-4445    participant_groups, voicemail_greeting_url\n"
        "  applied   +1 650-333-4446    forward_to_enabled\n"
        "Apply complete: 2 applied, 1 failed, 0 unknown, 0 not sent.\n"
    )
    assert puts(emulator)[SALES_LINE] == {"inbound_ring_duration": 45, "participants": [ALICE, BOB]}


# --- interrupted ------------------------------------------------------------------------------------


@pytest.mark.timeout(40)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_apply_reports_what_it_did_and_a_rerun_converges(
    start_emulator: Callable[..., Emulator], tmp_path: Path, signum: signal.Signals
) -> None:
    seed = generate_seed(40)
    emu = start_emulator(seed, faults=Faults(latency=0.2))
    changed = range(30)
    config = labels_file(tmp_path / "numbers.yaml", seed, changed)
    desired = {number_id(i): {"label": f"New {i}"} for i in changed}
    env = {
        **os.environ,
        "CLOSE_API_URL": emu.url,
        "CLOSE_API_KEY": emu.admin_key,
        "NO_COLOR": "1",
    }
    env.pop("CLOSE_ACCESS_TOKEN", None)
    args = ["apply", "-c", config, "--auto-approve", "--force", "--concurrency", "2"]
    with subprocess.Popen(
        [sys.executable, "-m", "numbersync", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        while sum(r.method == "PUT" for r in emu.requests) < 4:
            assert process.poll() is None, "apply finished before it could be interrupted"
            time.sleep(0.01)
        process.send_signal(signum)
        out, err = process.communicate(timeout=20)

    assert process.returncode == 128 + signum, out + err
    assert "Traceback" not in out + err
    first = puts(emu)
    applied = [line for line in out.splitlines() if line.startswith("  applied ")]
    not_sent = [line for line in out.splitlines() if line.startswith("  not sent ")]
    assert len(applied) == len(first), out + err
    assert len(applied) >= 4 and not_sent
    assert len(applied) + len(not_sent) == 30
    assert all(line.endswith("  label  interrupted before it was sent") for line in not_sent)
    assert "Apply complete" not in out
    assert out.endswith(
        f"Interrupted: {len(applied)} applied, 0 failed, 0 unknown, {len(not_sent)} not sent.\n"
        "Hint: run apply again to converge: it sends only what is still different.\n"
    )
    emu.reset_log()

    rerun = cli(emu, "apply", "-c", config, "--auto-approve", "--force")

    assert rerun.exit_code == 0, rerun.output
    second = puts(emu)
    assert rerun.stdout.endswith(
        f"Apply complete: {len(not_sent)} applied, 0 failed, 0 unknown, 0 not sent.\n"
    )
    assert set(first).isdisjoint(second)
    # Each number was written once, with nothing but its desired value.
    assert {**first, **second} == desired
    labels = {n["id"]: n["label"] for n in emu.state.numbers()}
    assert labels == {number_id(i): f"New {i}" if i in changed else f"Line {i}" for i in range(40)}


@TIDY_AND_WILD
def test_an_old_personal_number_plans_clean_and_takes_a_new_member(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Bob's direct line in the old shape: no participants, its owner only in the deprecated
    # user_id (which the wild Close does not even send). The admin may move it to Alice under
    # Close's other possible behaviour (personal numbers are the owner's by default).
    emulator.quirks.personal_numbers = False
    emulator.quirks.personal_members = "group"
    bob_direct = "phon_demoBobDirect0000000000000000000000001"
    emulator.state.set_number_fields(bob_direct, {"participants": [], "user_id": BOB})
    keep = write(
        tmp_path / "keep.yaml", f"version: 1\nnumbers:\n  {bob_direct}:\n    label: Bob direct\n"
    )
    move = write(
        tmp_path / "move.yaml",
        f"version: 1\nnumbers:\n  {bob_direct}:\n    participants: [alice@acme.example]\n",
    )

    kept = cli(emulator, "plan", "-c", keep, "--detailed-exitcode")
    moved = cli(emulator, "apply", "-c", move, "--auto-approve")

    assert kept.exit_code == 0, kept.output
    assert moved.exit_code == 0, moved.output
    assert puts(emulator) == {bob_direct: {"participants": [ALICE]}}
    assert (emulator.state.number(bob_direct) or {})["participants"] == [ALICE]
    again = cli(emulator, "plan", "-c", move, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
