"""`numbersync export` end to end: the real CLI against the emulator over real sockets.

The promise is that an export loads back exactly and plans clean: every test that exports plans
the result again through the CLI and expects `No changes.`, for the Acme account (which uses every
field) tidy and wild, generated accounts, labels YAML would misread, an empty account, emails
shared by two users, groups sharing a name, former members and users of another organization.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import cli

from numbersync import config
from numbersync.emulator import Emulator, generate_seed
from numbersync.emulator.state import Group
from numbersync.resources import shipped_text

REPO = Path(__file__).resolve().parent.parent
ACME_SEED = REPO / "examples" / "emulator-seed.yaml"
WILD_SEED = REPO / "tests" / "data" / "seeds" / "acme-wild.yaml"
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
GOLDEN = {
    "tidy": Path(__file__).resolve().parent / "data" / "e2e" / "acme-export.yaml",
    "wild": Path(__file__).resolve().parent / "data" / "e2e" / "acme-wild-export.yaml",
}
SCHEMA = shipped_text("schemas/numbersync.schema.json")

NIGHT_LINE = "phon_demoNightLine0000000000000000000000001"
NIGHT_SHIFT = "group_nightShift000000000000"
SALES_EMEA = "group_salesEmea0000000000000"
SUPPORT = "group_support000000000000000"
CAROL = "user_carol000000000000000000000000000000000000"
ALL_FIELDS = (
    "id,number,number_formatted,date_updated,organization_id,type,user_id,label,forward_to,"
    "forward_to_enabled,inbound_ring_duration,participants,participant_groups,phone_numbers,"
    "press_1_to_accept,voicemail_greeting_url"
)
HEADER = re.compile(
    r"(?:# yaml-language-server: \$schema=(?P<schema>\S+)|(?P<hint># Editor support: .*))\n"
    r"# Exported from (?P<url>\S+) on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by numbersync \S+\.\n"
    r"# Every number of the account is listed: delete the ones you do not want to manage\.\n"
)
NO_SCHEMA_HINT = (
    "# Editor support: `numbersync export -o FILE` also writes the schema, and points this line "
    "at it.\n"
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repository (a `.git` marks its root, where the search for a schema stops) as the
    current directory."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def export_to(emu: Emulator, path: Path, count: int, *, schema_written: bool = True) -> str:
    """Export to `path` and check what it said and that its modeline points at the schema;
    returns the text."""
    exported = cli(emu, "export", "-o", str(path))
    assert exported.exit_code == 0, exported.output
    assert exported.stdout == ""
    wrote_schema = (
        f"Wrote the schema to {path.parent / 'numbersync.schema.json'}, for editors (the modeline "
        "points at it)"
    )
    assert exported.stderr.splitlines() == [
        f"Wrote {count} numbers to {path}",
        *([wrote_schema] if schema_written else []),
    ]
    text = path.read_text(encoding="utf-8")
    header = HEADER.match(text)
    assert header is not None and header["schema"], text[:400]
    assert (path.parent / header["schema"]).read_text() == SCHEMA
    return text


def plans_clean(emu: Emulator, path: Path, count: int, unmanaged: int = 0) -> None:
    validated = cli(emu, "validate", "-c", str(path))
    assert validated.exit_code == 0, validated.output
    groups = len(config.load(str(path)).groups)
    also = f", {groups} group{'s' if groups != 1 else ''}" if groups else ""
    assert validated.stdout == f"OK: {count} numbers{also}\n"

    emu.reset_log()
    planned = cli(emu, "plan", "-c", str(path), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    # A former member still on a number (the wild seed has one) stays, and the plan says what
    # they are; nothing else is said.
    *notes, summary = [line for line in planned.stdout.splitlines() if line]
    assert summary == f"No changes. {count} managed numbers match the file; {unmanaged} unmanaged."
    assert all("not an active member of the organization" in note for note in notes), notes
    assert all(r.method == "GET" for r in emu.requests)


def export_and_replan(emu: Emulator, path: Path, count: int) -> str:
    """Export to `path`, then check that it validates and plans clean; returns the text."""
    text = export_to(emu, path, count)
    plans_clean(emu, path, count)
    return text


def section(text: str, number: str) -> list[str]:
    """The lines of one number's entry in an exported file."""
    return text.split(f'  "{number}":', 1)[1].split('\n  "')[0].splitlines()[1:]


def golden(seed: str, text: str) -> str:
    path = GOLDEN[seed]
    if os.environ.get("NUMBERSYNC_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("emulator", "count"), [("tidy", 11), ("wild", 13)], indirect=["emulator"])
def test_the_acme_export_is_exactly_the_account(emulator: Emulator, count: int, repo: Path) -> None:
    text = export_to(emulator, repo / "numbers.yaml", count)

    header = HEADER.match(text)
    assert header is not None
    assert header["schema"] == "numbersync.schema.json"
    assert header["url"] == emulator.url
    # Participants as emails, groups as names, null ring durations as 30, every writable
    # field of every number; labels and forwarding Close holds as null are left out; the external
    # number (outbound caller ID only) with its label only. Wild: the former member as an id.
    seed = "wild" if count == 13 else "tidy"
    assert text[header.end() :] == golden(seed, text[header.end() :])


def test_the_acme_export_plans_clean(emulator: Emulator, repo: Path) -> None:
    export_and_replan(emulator, repo / "numbers.yaml", 11)


@pytest.mark.parametrize("emulator", ["wild"], indirect=True)
def test_the_wild_acme_export_plans_clean(emulator: Emulator, repo: Path) -> None:
    # Frank, a former member, stays on the Former rep line: the plan notes it and is clean.
    export_and_replan(emulator, repo / "numbers.yaml", 13)


def test_export_reads_every_number_in_pages_plus_users_and_groups(
    start_emulator: Callable[..., Emulator], repo: Path
) -> None:
    seed = generate_seed(250)
    emu = start_emulator(seed)

    result = cli(emu, "export")

    assert result.exit_code == 0, result.output
    # No schema file here: to stdout, the first line says how to get one instead of a modeline.
    header = HEADER.match(result.stdout)
    assert header is not None and header["hint"]
    assert result.stdout.startswith(NO_SCHEMA_HINT)
    # Close gives no total: page 0, then (it said has_more) pages 1 and 2 and page 10, which
    # tells whether there are more than 1,000 (SPEC 6: at most ceil(N/100) + 2 list requests
    # for N <= 1,000).
    pages = [r for r in emu.requests if r.path == "/phone_number/"]
    assert all(r.method == "GET" and r.query["_fields"] == ALL_FIELDS for r in pages)
    assert sorted(int(r.query["_skip"]) for r in pages) == [0, 100, 200, 1000]
    # The members of each group the numbers ring: one GET each.
    rung = sorted({g for n in seed["numbers"] for g in n.get("participant_groups", ())})
    assert len(rung) == 5
    assert sorted(
        (r.method, r.path, r.query) for r in emu.requests if r.path != "/phone_number/"
    ) == [
        ("GET", "/group/", {"_fields": "id,name,organization_id"}),
        *[("GET", f"/group/{g}/", {"_fields": "id,members"}) for g in rung],
        ("GET", "/me/", {}),
        ("GET", "/user/", {"_limit": "100", "_skip": "0"}),
    ]
    # Standard output and -o carry the same file.
    path = repo / "exported.yaml"
    text = export_and_replan(emu, path, 250)
    assert HEADER.sub("", text) == HEADER.sub("", result.stdout)
    assert "user_gen" not in text  # every participant by email
    assert text.count('"+1650') == 250


def test_export_reads_one_page_at_a_time_with_concurrency_1(
    start_emulator: Callable[..., Emulator], repo: Path
) -> None:
    emu = start_emulator(generate_seed(250))

    result = cli(emu, "export", "--concurrency", "1")

    assert result.exit_code == 0, result.output
    pages = [r.query["_skip"] for r in emu.requests if r.path == "/phone_number/"]
    assert pages == ["0", "100", "200"]  # nothing read ahead, nothing past the end


def test_to_stdout_the_modeline_names_a_schema_in_the_current_directory(
    emulator: Emulator, repo: Path
) -> None:
    (repo / "numbersync.schema.json").write_text(SCHEMA)

    result = cli(emulator, "export")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# yaml-language-server: $schema=numbersync.schema.json\n")


def test_the_modeline_points_at_a_schema_above_the_file_up_to_the_repository_root(
    emulator: Emulator, repo: Path
) -> None:
    schema = repo / "numbersync.schema.json"
    schema.write_text(SCHEMA)
    os.utime(schema, (1, 1))  # found, and left as it is
    (repo / "config" / "phones").mkdir(parents=True)
    path = repo / "config" / "phones" / "numbers.yaml"

    text = export_to(emulator, path, 11, schema_written=False)

    assert text.startswith("# yaml-language-server: $schema=../../numbersync.schema.json\n")
    assert schema.stat().st_mtime == 1
    assert not (path.parent / "numbersync.schema.json").exists()


def test_the_search_for_a_schema_stops_at_the_repository_root(
    emulator: Emulator, repo: Path
) -> None:
    (repo / "numbersync.schema.json").write_text(SCHEMA)
    inner = repo / "vendored"
    (inner / ".git").mkdir(parents=True)  # another repository: the one above is not its own

    export_to(emulator, inner / "numbers.yaml", 11)

    assert (inner / "numbersync.schema.json").read_text() == SCHEMA


def test_a_split_export_points_every_file_at_one_schema_inside_the_directory(
    emulator: Emulator, repo: Path
) -> None:
    result = cli(emulator, "export", "-o", "numbers", "--split-by", "group")

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Wrote 11 numbers to 4 files in numbers\n"
        "Wrote the schema to numbers/numbersync.schema.json, for editors (the modeline points at "
        "it)\n"
    )
    assert (repo / "numbers" / "numbersync.schema.json").read_text() == SCHEMA
    assert not (repo / "numbersync.schema.json").exists()
    for path in sorted((repo / "numbers").glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=numbersync.schema.json", path

    # With a schema already above it (a repository started by init), the files point there.
    (repo / "numbersync.schema.json").write_text(SCHEMA)
    again = cli(emulator, "export", "-o", "more", "--split-by", "group")
    assert again.exit_code == 0, again.output
    assert not (repo / "more" / "numbersync.schema.json").exists()
    first = (repo / "more" / "numbersync.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../numbersync.schema.json"
    planned = cli(emulator, "plan", "-c", "numbers", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_export_writes_through_a_symlink_and_keeps_the_files_mode(
    emulator: Emulator, repo: Path
) -> None:
    (repo / "real.yaml").write_text("old\n")
    (repo / "real.yaml").chmod(0o640)
    (repo / "numbers.yaml").symlink_to("real.yaml")

    result = cli(emulator, "export", "-o", "numbers.yaml")

    assert result.exit_code == 0, result.output
    assert (repo / "numbers.yaml").is_symlink()
    assert stat.S_IMODE((repo / "real.yaml").stat().st_mode) == 0o640
    assert (repo / "real.yaml").read_text().startswith("# yaml-language-server: $schema=")


# --- strings Close holds, as they are ------------------------------------------------------------

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
    # YAML reads NEL, U+2028 and U+2029 as line breaks, and refuses C0, C1 and DEL raw.
    "next\x85line",
    "line\u2028separator\u2029paragraph",
    "bell\x07 escape\x1b[31m red",
    "c1\x80\x9b and del\x7f",
    "nul\x00 inside",
    "back\\slash and \\u0041 not an escape",
    "\ufeffbom \ufffe\uffff non-characters",
    "emoji 😀 👩\u200d👩\u200d👧",
    "\u05e9\u05dc\u05d5\u05dd \u202eright-to-left override\u202c",
]


def test_labels_yaml_would_misread_survive_the_round_trip(
    start_emulator: Callable[..., Emulator], repo: Path
) -> None:
    seed = generate_seed(len(AWKWARD_LABELS))
    for number, label in zip(seed["numbers"], AWKWARD_LABELS, strict=True):
        number["label"] = label
    emu = start_emulator(seed)

    text = export_and_replan(emu, repo / "exported.yaml", len(AWKWARD_LABELS))

    labels = [line for line in text.splitlines() if line.startswith("    label: ")]
    loaded = [yaml.safe_load(line.strip())["label"] for line in labels]
    assert loaded == AWKWARD_LABELS
    # Every line of the file is one YAML line: nothing a reader would take as a line break.
    assert len(text.splitlines()) == text.count("\n")


def test_a_label_no_yaml_file_can_hold_is_reported_and_left_unmanaged(
    emulator: Emulator, repo: Path
) -> None:
    # JSON can carry a lone surrogate ("\ud800"); no UTF-8 file can hold it, escaped or not.
    emulator.state.set_number_fields(NIGHT_LINE, {"label": "Night \ud800 line"})
    path = repo / "numbers.yaml"

    result = cli(emulator, "export", "-o", str(path))

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[2:] == [
        "Warning: +16503334447: label not exported: Close holds U+D800 in it (a lone surrogate), "
        "which no YAML file can hold; it stays unmanaged until it is fixed in Close"
    ]
    assert section(path.read_text(), "+16503334447")[:2] == [
        "    # label not exported: Close holds U+D800 in it (a lone surrogate), which no YAML file "
        "can hold; it stays unmanaged until it is fixed in Close",
        "    forward_to_enabled: false",
    ]
    plans_clean(emulator, path, 11)


# --- people and groups ---------------------------------------------------------------------------


def test_a_number_ringing_only_a_one_member_group_exports_without_participants(
    emulator: Emulator, repo: Path
) -> None:
    # Close names the group's only member in the deprecated user_id; that is no participant.
    emulator.state.set_number_fields(
        NIGHT_LINE, {"participants": [], "participant_groups": [NIGHT_SHIFT]}
    )

    text = export_and_replan(emulator, repo / "exported.yaml", 11)

    assert section(text, "+16503334447")[3:6] == [
        "    participants: []",
        '    participant_groups: ["Night Shift"]',
        '    phone_numbers: ["+14155550124", "+14155550123"]',
    ]


@pytest.mark.usefixtures("email_twins")
def test_an_email_shared_by_two_users_is_exported_as_their_ids(
    emulator: Emulator, repo: Path
) -> None:
    # A twin is made a participant behind the validation's back.
    emulator.state.set_number_fields(
        "phon_demoBobDirect0000000000000000000000001",
        {"participants": ["user_bob00000000000000000000000000000000000000", "user_twin2"]},
    )

    text = export_and_replan(emulator, repo / "exported.yaml", 11)

    assert (
        '    participants: ["bob@acme.example", "user_twin2"]  # user_twin2: "Twin@Acme.example" '
        "(two users have this email)\n"
    ) in text


def test_two_groups_with_one_name_are_exported_as_their_ids(
    emulator: Emulator, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second "Sales EMEA", which the seed loader refuses, straight into the served state.
    twin = Group("group_salesTwin00000000000000", "Sales EMEA", (CAROL,))
    state = emulator.state
    monkeypatch.setattr(state, "groups", (*state.groups, twin))
    monkeypatch.setattr(state, "_groups", {**state._groups, twin.id: twin})
    emulator.state.set_number_fields(
        "phon_demoLondon0000000000000000000000000001",
        {"participant_groups": [SALES_EMEA, twin.id]},
    )

    text = export_and_replan(emulator, repo / "exported.yaml", 11)

    ambiguous = '"Sales EMEA" (two groups have this name)'
    assert section(text, "+442079460958")[4] == (
        f'    participant_groups: ["{SALES_EMEA}", "{twin.id}"]  # {SALES_EMEA}: {ambiguous}; '
        f"{twin.id}: {ambiguous}"
    )
    assert section(text, "+16503334444")[4] == (
        f'    participant_groups: ["{SALES_EMEA}"]  # {SALES_EMEA}: {ambiguous}'
    )
    assert '"Support"' in text  # the names that are not ambiguous stay names
    # Each "Sales EMEA" is managed by its id, which says why.
    assert text.split("\ngroups:\n", 1)[1] == (
        f'  "{SALES_EMEA}":\n'
        f"    # {ambiguous}\n"
        '    members: ["alice@acme.example", "carol@acme.example"]\n'
        f'  "{twin.id}":\n'
        f"    # {ambiguous}\n"
        '    members: ["carol@acme.example"]\n'
        '  "Support":\n'
        '    members: ["bob@acme.example", "erin@acme.example"]\n'
    )


def seed_groups(seed: dict[str, Any]) -> dict[str, list[str]]:
    """The groups of a seed as an export writes them: name -> member emails."""
    return {group["name"]: {"members": group["members"]} for group in seed["groups"]}


def group_reads(emu: Emulator) -> list[str]:
    return [r.path for r in emu.requests if r.path.startswith("/group/group_")]


def test_export_writes_the_members_of_the_groups_the_numbers_ring(
    emulator: Emulator, repo: Path
) -> None:
    text = export_and_replan(emulator, repo / "numbers.yaml", 11)

    # Night Shift rings no number: its members are neither read nor written.
    seed = seed_groups(yaml.safe_load(ACME_SEED.read_text()))
    written = yaml.safe_load(text)["groups"]
    assert written == {"Sales EMEA": seed["Sales EMEA"], "Support": seed["Support"]}
    assert text.endswith(
        "# Group members, managed as a set: delete the groups you do not want to manage.\n"
        "groups:\n"
        '  "Sales EMEA":\n'
        '    members: ["alice@acme.example", "carol@acme.example"]\n'
        '  "Support":\n'
        '    members: ["bob@acme.example", "erin@acme.example"]\n'
    )
    emulator.reset_log()
    assert cli(emulator, "export").exit_code == 0
    assert sorted(group_reads(emulator)) == [f"/group/{SALES_EMEA}/", f"/group/{SUPPORT}/"]


def test_all_groups_writes_every_group_of_the_account(emulator: Emulator, repo: Path) -> None:
    emulator.reset_log()
    exported = cli(emulator, "export", "--all-groups", "-o", "numbers.yaml")

    assert exported.exit_code == 0, exported.output
    assert sorted(group_reads(emulator)) == [
        f"/group/{NIGHT_SHIFT}/",
        f"/group/{SALES_EMEA}/",
        f"/group/{SUPPORT}/",
    ]
    written = yaml.safe_load((repo / "numbers.yaml").read_text())["groups"]
    assert written == seed_groups(yaml.safe_load(ACME_SEED.read_text()))
    assert list(written) == ["Night Shift", "Sales EMEA", "Support"]  # by name
    plans_clean(emulator, repo / "numbers.yaml", 11)


def test_an_account_whose_numbers_ring_no_group_reads_no_members(
    start_emulator: Callable[..., Emulator], repo: Path
) -> None:
    seed = generate_seed(30, groups=3)
    for number in seed["numbers"]:
        number.pop("participant_groups", None)
    emu = start_emulator(seed)

    result = cli(emu, "export")

    assert result.exit_code == 0, result.output
    assert group_reads(emu) == []
    assert "\ngroups:" not in result.stdout
    emu.reset_log()
    every = cli(emu, "export", "--all-groups")
    assert every.exit_code == 0, every.output
    assert sorted(group_reads(emu)) == [f"/group/group_gen{g:019d}/" for g in range(3)]
    assert len(yaml.safe_load(every.stdout)["groups"]) == 3


def test_a_split_export_writes_each_group_in_its_file_and_the_others_in_the_root(
    emulator: Emulator, repo: Path
) -> None:
    exported = cli(emulator, "export", "--all-groups", "--split-by", "group", "-o", "numbers")

    assert exported.exit_code == 0, exported.output
    seed = seed_groups(yaml.safe_load(ACME_SEED.read_text()))
    groups = {
        path.name: yaml.safe_load(path.read_text()).get("groups")
        for path in sorted((repo / "numbers").glob("*.yaml"))
    }
    assert groups == {
        "numbersync.yaml": {"Night Shift": seed["Night Shift"]},
        "sales-emea.yaml": {"Sales EMEA": seed["Sales EMEA"]},
        "support.yaml": {"Support": seed["Support"]},
        "unassigned.yaml": None,
    }
    validated = cli(emulator, "validate", "-c", "numbers")
    assert (validated.exit_code, validated.stdout) == (0, "OK: 11 numbers, 3 groups in 4 files\n")


@pytest.mark.parametrize("emulator", ["wild"], indirect=True)
def test_a_former_member_is_exported_as_an_id_that_says_what_it_is(
    emulator: Emulator, repo: Path
) -> None:
    # frank left Acme: GET /user/ no longer lists him, the Former rep line still does.
    text = export_to(emulator, repo / "numbers.yaml", 13)

    assert section(text, "+16503334451")[3] == (
        '    participants: ["user_frank000000000000000000000000000000000000", "bob@acme.example"]'
        "  # user_frank000000000000000000000000000000000000: not an active member of the "
        "organization (deactivated or removed)"
    )


def wild_seed_with(**changes: Any) -> dict[str, Any]:
    seed: dict[str, Any] = yaml.safe_load(WILD_SEED.read_text())
    for key, value in changes.items():
        seed[key] = [*seed.get(key, []), *value]
    return seed


def test_a_user_of_another_organization_is_never_written_as_an_email(
    start_emulator: Callable[..., Emulator], repo: Path
) -> None:
    # Hank left Acme for Acme Labs: /user/ still lists him to the admin (who is in Labs too),
    # with `organizations: [Labs]`, and he is still a participant of an Acme number.
    hank = {
        "id": "user_hank0000000000000000000000000000000000000",
        "email": "hank@acme.example",
        "organizations": [
            "orga_acme000000000000000000000000000000000000000",
            "orga_acmeLabs00000000000000000000000000000000000",
        ],
        "active": False,
    }
    line = {"number": "+16503334453", "label": "Hank's line", "participants": [hank["email"]]}
    emu = start_emulator(wild_seed_with(users=[hank], numbers=[line]))
    listed = cli(emu, "export")
    assert "hank@acme.example" not in listed.stdout

    text = export_to(emu, repo / "numbers.yaml", 14)

    # Hank alone rings it: his personal number, which the admin's key may not change.
    assert section(text, "+16503334453")[0] == (
        f"    # personal number of {hank['id']}: only its owner can change it"
    )
    assert section(text, "+16503334453")[4] == (
        f'    participants: ["{hank["id"]}"]  # {hank["id"]}: a user of another organization, '
        "not an active member of this one"
    )


# --- the account as it is after changes, or empty, or unreadable ----------------------------------


def test_an_export_after_apply_shows_the_applied_values(emulator: Emulator, repo: Path) -> None:
    applied = cli(emulator, "apply", "-c", str(NUMBERS_YAML), "--auto-approve")
    assert applied.exit_code == 0, applied.output

    text = export_and_replan(emulator, repo / "exported.yaml", 11)

    assert section(text, "+16503334444") == [
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
    start_emulator: Callable[..., Emulator], repo: Path
) -> None:
    emu = start_emulator(None)  # one admin, no numbers
    path = repo / "exported.yaml"

    export_to(emu, path, 0)
    validated = cli(emu, "validate", "-c", str(path))
    planned = cli(emu, "plan", "-c", str(path), "--detailed-exitcode")

    assert HEADER.sub("", path.read_text()) == "version: 1\nnumbers: {}\n"
    assert validated.stdout == "OK: 0 numbers\n"
    assert planned.exit_code == 0, planned.output
    assert planned.stdout == "No changes. 0 managed numbers match the file; 0 unmanaged.\n"


def test_a_failed_export_writes_no_file(emulator: Emulator, repo: Path) -> None:
    path = repo / "exported.yaml"

    result = cli(emulator, "export", "-o", str(path), key="api_wrong.fake0000")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0] == (
        "Error: GET /phone_number/ (401): CLOSE_API_KEY was rejected"
    )
    assert not path.exists()
    assert [p.name for p in repo.iterdir()] == [".git"]  # and no schema either


def test_a_number_forwarding_to_a_premium_rate_number_is_exported_with_a_waiver(
    emulator: Emulator, repo: Path
) -> None:
    # Policy refuses premium-rate numbers by default: the export must still validate and plan
    # clean, and the waiver shows reviewers what Close does today.
    emulator.state.set_number_fields(NIGHT_LINE, {"forward_to": "+19005550100"})
    path = repo / "numbers.yaml"
    text = export_to(emulator, path, 11)
    number = "+16503334447"  # the night line
    entry = section(text, number)
    reason = (
        "exported as Close has it: +1 900-555-0100 is a premium-rate number (US), which policy "
        "refused_number_types refuses"
    )
    assert entry[entry.index("    waive:") :] == [
        "    waive:",
        f'      refused_number_types: "{reason}"',
    ]
    assert text.count("waive:") == 1

    planned = cli(emulator, "plan", "-c", str(path), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    line = text.splitlines().index(f'      refused_number_types: "{reason}"') + 1
    assert planned.stdout.splitlines()[:2] == [
        "Policy waivers (1):",
        f'    +1 650-333-4447 refused_number_types: "{reason}" ({path}:{line})',
    ]
