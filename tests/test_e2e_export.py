"""`numbersync export` end to end: the real CLI against the emulator over real sockets.

The promise is that an export validates and plans clean: every test that exports plans the result
again through the CLI and expects `No changes.`, for the Acme account (which uses every field),
generated accounts, awkward labels, an empty account and emails shared by two users.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import cli

from numbersync.emulator import Emulator, generate_seed

pytestmark = pytest.mark.usefixtures("time_limit")

REPO = Path(__file__).resolve().parent.parent
ACME_SEED = REPO / "examples" / "emulator-seed.yaml"
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
ACME_EXPORT = Path(__file__).resolve().parent / "data" / "e2e" / "acme-export.yaml"

NIGHT_LINE = "phon_demoNightLine0000000000000000000000001"
NIGHT_SHIFT = "group_nightShift000000000000"
ALL_FIELDS = (
    "id,number,number_formatted,date_updated,organization_id,type,user_id,label,forward_to,"
    "forward_to_enabled,inbound_ring_duration,participants,participant_groups,phone_numbers,"
    "press_1_to_accept,voicemail_greeting_url"
)
HEADER = re.compile(
    r"# yaml-language-server: \$schema=https://numbersync\.dev/schemas/v1/numbersync\.schema\.json\n"
    r"# Exported from (?P<url>\S+) on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by numbersync \S+\.\n"
    r"# Every number of the account is listed: delete the ones you do not want to manage\.\n"
)


def export_and_replan(emu: Emulator, path: Path, count: int) -> str:
    """Export to `path`, then check that it validates and plans clean; returns the text."""
    exported = cli(emu, "export", "-o", str(path))
    assert exported.exit_code == 0, exported.output
    assert exported.stdout == ""
    assert exported.stderr == f"Wrote {count} numbers to {path}\n"
    text = path.read_text()

    validated = cli(emu, "validate", "-c", str(path))
    assert validated.exit_code == 0, validated.output
    assert validated.stdout == f"OK: {count} numbers\n"

    emu.reset_log()
    planned = cli(emu, "plan", "-c", str(path), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert planned.stdout == f"No changes. {count} managed numbers match the file; 0 unmanaged.\n"
    assert all(r.method == "GET" for r in emu.requests)
    return text


def test_the_acme_export_is_exactly_the_account_and_plans_clean(
    emulator: Emulator, tmp_path: Path
) -> None:
    text = export_and_replan(emulator, tmp_path / "exported.yaml", 11)

    header = HEADER.match(text)
    assert header is not None, text[:400]
    assert header["url"] == emulator.url
    # Participants as emails, groups as names, null ring durations as 30, every writable
    # field of every number; labels and forwarding Close holds as null are left out.
    assert text[header.end() :] == ACME_EXPORT.read_text()


def test_export_reads_every_number_in_pages_plus_users_and_groups(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    seed = generate_seed(250)
    emu = start_emulator(seed)

    result = cli(emu, "export")

    assert result.exit_code == 0, result.output
    assert HEADER.match(result.stdout)
    # Pages past the first are read ahead, up to --concurrency (8) at once: up to 7 may ask
    # past the end (SPEC 6: at most ceil(N/100) + concurrency - 1 list requests).
    pages = [r for r in emu.requests if r.path == "/phone_number/"]
    assert all(r.method == "GET" and r.query["_fields"] == ALL_FIELDS for r in pages)
    skips = sorted(int(r.query["_skip"]) for r in pages)
    assert skips == list(range(0, 100 * len(skips), 100))
    assert 3 <= len(skips) <= 3 + 8 - 1
    assert sorted(
        (r.method, r.path, r.query) for r in emu.requests if r.path != "/phone_number/"
    ) == [
        ("GET", "/group/", {"_fields": "id,name,organization_id"}),
        ("GET", "/user/", {"_limit": "100", "_skip": "0"}),
    ]
    # Standard output and -o carry the same file.
    path = tmp_path / "exported.yaml"
    text = export_and_replan(emu, path, 250)
    assert HEADER.sub("", text) == HEADER.sub("", result.stdout)
    assert "user_gen" not in text  # every participant by email
    assert text.count('"+1650') == 250


AWKWARD_LABELS = [
    "yes",
    "null",
    "123",
    "- dash first",
    '"Quoted" # not a comment',
    "Zürich: Empfang & Zentrale",
    "it's {braces} [brackets]",
    "  spaced  ",
    "tab\there",
    "",
]


def test_labels_yaml_would_misread_survive_the_round_trip(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    seed = generate_seed(len(AWKWARD_LABELS))
    for number, label in zip(seed["numbers"], AWKWARD_LABELS, strict=True):
        number["label"] = label
    emu = start_emulator(seed)

    export_and_replan(emu, tmp_path / "exported.yaml", len(AWKWARD_LABELS))


def test_a_number_ringing_only_a_one_member_group_exports_without_participants(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Close names the group's only member in the deprecated user_id; that is no participant.
    emulator.state.set_number_fields(
        NIGHT_LINE, {"participants": [], "participant_groups": [NIGHT_SHIFT]}
    )

    text = export_and_replan(emulator, tmp_path / "exported.yaml", 11)

    night = text.split('  "+16503334447":\n')[1].split('\n  "')[0]
    assert night.splitlines()[3:6] == [
        "    participants: []",
        '    participant_groups: ["Night Shift"]',
        '    phone_numbers: ["+14155550124", "+14155550123"]',
    ]


@pytest.mark.usefixtures("email_twins")
def test_an_email_shared_by_two_users_is_exported_as_their_ids(
    emulator: Emulator, tmp_path: Path
) -> None:
    # A twin is made a participant behind the validation's back.
    emulator.state.set_number_fields(
        "phon_demoBobDirect0000000000000000000000001",
        {"participants": ["user_bob00000000000000000000000000000000000000", "user_twin2"]},
    )

    text = export_and_replan(emulator, tmp_path / "exported.yaml", 11)

    assert '    participants: ["bob@acme.example", "user_twin2"]\n' in text


def test_an_export_after_apply_shows_the_applied_values(emulator: Emulator, tmp_path: Path) -> None:
    applied = cli(emulator, "apply", "-c", str(NUMBERS_YAML), "--auto-approve")
    assert applied.exit_code == 0, applied.output

    text = export_and_replan(emulator, tmp_path / "exported.yaml", 11)

    sales = text.split('  "+16503334444":\n')[1].split('\n  "')[0]
    assert sales.splitlines() == [
        '    label: "Sales line"',
        "    forward_to_enabled: false",
        "    inbound_ring_duration: 45",
        '    participants: ["alice@acme.example", "bob@acme.example"]',
        '    participant_groups: ["Sales EMEA"]',
        "    phone_numbers: []",
        "    press_1_to_accept: false",
        '    voicemail_greeting_url: "https://cdn.acme.example/greetings/sales.mp3"',
    ]


def test_an_empty_account_exports_an_empty_mapping_that_plans_clean(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emu = start_emulator(None)  # one admin, no numbers
    path = tmp_path / "exported.yaml"

    exported = cli(emu, "export", "-o", str(path))
    validated = cli(emu, "validate", "-c", str(path))
    planned = cli(emu, "plan", "-c", str(path), "--detailed-exitcode")

    assert exported.exit_code == 0, exported.output
    assert HEADER.sub("", path.read_text()) == "version: 1\nnumbers: {}\n"
    assert validated.stdout == "OK: 0 numbers\n"
    assert planned.exit_code == 0, planned.output
    assert planned.stdout == "No changes. 0 managed numbers match the file; 0 unmanaged.\n"


def test_a_failed_export_writes_no_file(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "exported.yaml"

    result = cli(emulator, "export", "-o", str(path), key="api_wrong.fake0000")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0] == (
        "Error: GET /phone_number/ (401): CLOSE_API_KEY was rejected"
    )
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []
