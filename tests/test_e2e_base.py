"""`plan --base REF|PATH` end to end: what a change stops managing, listed with the value Close
keeps, in text, Markdown, JSON and saved plans, against the emulator; the base as a file, a
directory and a Git ref (a real repository made in the test); and its errors. Then the saved
plan's note of what Close changed since the plan, which apply never writes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers import cli

from numbersync.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
LONDON = "phon_demoLondon0000000000000000000000000001"
ALICE_DIRECT = "phon_demoAliceDirect00000000000000000000001"
NIGHT_LINE = "phon_demoNightLine0000000000000000000000001"
SUPPORT_LINE = "phon_demoSupportLine00000000000000000000001"
GREETING = "https://cdn.acme.example/greetings/sales.mp3"


def shrunk(text: str) -> str:
    """examples/numbers.yaml less the sales greeting, London's participants, Alice's direct line
    and the defaults' press_1_to_accept: four deletions that change nothing in Close."""
    text = text.replace(f"    voicemail_greeting_url: {GREETING}\n", "")
    text = text.replace("    label: London office\n    participants: [carol@acme.example]\n", "")
    text = text.replace(
        '  "+44 20 7946 0958":\n', '  "+44 20 7946 0958":\n    label: London office\n'
    )
    start, end = text.index("  # Alice's direct line"), text.index('  "+44 20 7946 0958"')
    text = text[:start] + text[end:]
    return text.replace("  press_1_to_accept: false\n", "")


LET_GO = [
    "no longer managed: +1 650-333-4444 press_1_to_accept (Close keeps false)",
    f'no longer managed: +1 650-333-4444 voicemail_greeting_url (Close keeps "{GREETING}")',
    'no longer managed: +1 650-333-4446 "Alice direct" (the whole number; Close keeps its '
    "settings)",
    "no longer managed: +1 650-333-4447 press_1_to_accept (Close keeps false)",
    'no longer managed: +44 20 7946 0958 participants (Close keeps ["carol@acme.example"])',
    "no longer managed: +44 20 7946 0958 press_1_to_accept (Close keeps false)",
]


def heading(base: str) -> str:
    return (
        f"Compared with the base {base}, the config no longer manages these; Close keeps them "
        "as they are:"
    )


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Git repository whose first commit holds examples/numbers.yaml and whose work tree holds
    the shrunk one, as a pull request's checkout; the current directory while the test runs."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "numbers.yaml").write_text(NUMBERS_YAML.read_text())
    git(tmp_path, "add", "numbers.yaml")
    git(tmp_path, "commit", "-q", "-m", "base")
    (tmp_path / "numbers.yaml").write_text(shrunk(NUMBERS_YAML.read_text()))
    return tmp_path


def let_go_block(base: str) -> str:
    return "\n".join([heading(base), *(f"  {line}" for line in LET_GO)]) + "\n\n"


def test_a_git_ref_base_lists_what_the_config_no_longer_manages_in_text(
    emulator: Emulator, repo: Path
) -> None:
    before = (repo / "numbers.yaml").read_bytes()
    result = cli(emulator, "plan", "--base", "main", "--detailed-exitcode")

    assert result.exit_code == 2, result.output
    assert let_go_block("main") in result.stdout
    # Below the changes, above the verdict and the summary; the summary counts changes only.
    assert result.stdout.endswith(
        let_go_block("main")
        + "Safety: apply will go ahead: no safety rail refuses this plan.\n"
        + "Plan: 2 to change, 2 unchanged, 7 unmanaged.\n"
    )
    assert [r for r in emulator.requests if r.method != "GET"] == []
    # Nothing was written to the work tree or the index.
    assert (repo / "numbers.yaml").read_bytes() == before
    assert git(repo, "status", "--porcelain") == " M numbers.yaml\n"


def test_what_is_let_go_is_no_change_for_the_detailed_exit_code(
    emulator: Emulator, repo: Path
) -> None:
    # Only deletions: the Night line no longer sets its greeting. Close keeps it; no changes.
    night = (
        "version: 1\nnumbers:\n"
        f"  {NIGHT_LINE}:\n    label: Night line\n    voicemail_greeting_url: null\n"
    )
    (repo / "numbers.yaml").write_text(night)
    git(repo, "commit", "-q", "-am", "night line only")
    (repo / "numbers.yaml").write_text(night.replace("    voicemail_greeting_url: null\n", ""))

    result = cli(emulator, "plan", "--base", "HEAD", "--detailed-exitcode")

    assert result.exit_code == 0, result.output
    # The greeting Close keeps was read in the plan's one list of numbers, beside the label.
    lists = [r for r in emulator.requests if r.path == "/phone_number/"]
    assert len(lists) == 1
    assert set(lists[0].query["_fields"].split(",")) == {
        *["id", "number", "number_formatted", "date_updated", "organization_id", "type", "user_id"],
        *["label", "participants", "participant_groups", "phone_numbers", "voicemail_greeting_url"],
    }
    assert result.stdout == (
        f"{heading('HEAD')}\n"
        "  no longer managed: +1 650-333-4447 voicemail_greeting_url (Close keeps null)\n"
        "\n"
        f"No changes. 1 managed number matches the file; {len(emulator.state) - 1} unmanaged.\n"
    )


def test_a_base_that_lets_nothing_go_says_so(emulator: Emulator, repo: Path) -> None:
    git(repo, "commit", "-q", "-am", "shrunk")

    result = cli(emulator, "plan", "--base", "HEAD")

    assert result.exit_code == 0, result.output
    assert "Compared with the base HEAD, the config stops managing nothing.\n" in result.stdout
    assert "no longer managed" not in result.stdout


def test_the_markdown_plan_lists_it_above_the_changes(emulator: Emulator, repo: Path) -> None:
    result = cli(emulator, "plan", "--base", "main", "--format", "markdown")

    assert result.exit_code == 0, result.output
    expected = (
        "Config `numbers.yaml` (`sha256:"
        + result.stdout.split("(`sha256:", 1)[1].split("`", 1)[0]
        + "`)\n\n"
        f"**{heading('main')}**\n"
        "\n"
        "- no longer managed: +1 650-333-4444 `press_1_to_accept` (Close keeps `false`)\n"
        "- no longer managed: +1 650-333-4444 `voicemail_greeting_url` (Close keeps "
        f'`"{GREETING}"`)\n'
        '- no longer managed: +1 650-333-4446 "Alice direct" (the whole number; Close keeps its '
        "settings)\n"
        "- no longer managed: +1 650-333-4447 `press_1_to_accept` (Close keeps `false`)\n"
        "- no longer managed: +44 20 7946 0958 `participants` (Close keeps "
        '`["carol@acme.example"]`)\n'
        "- no longer managed: +44 20 7946 0958 `press_1_to_accept` (Close keeps `false`)\n"
        "\n"
        "| Number | Label | Changed fields | Last changed in Close |\n"
    )
    assert expected in result.stdout


JSON_LET_GO: list[dict[str, Any]] = [
    {
        "kind": "field",
        "id": SALES_LINE,
        "name": "+16503334444",
        "field": "press_1_to_accept",
        "keeps": False,
        "label": "Sales",
        "file": "main:numbers.yaml",
    },
    {
        "kind": "field",
        "id": SALES_LINE,
        "name": "+16503334444",
        "field": "voicemail_greeting_url",
        "keeps": GREETING,
        "label": "Sales",
        "file": "main:numbers.yaml",
    },
    {
        "kind": "number",
        "id": ALICE_DIRECT,
        "name": "+16503334446",
        "field": "",
        "keeps": None,
        "label": "Alice direct",
        "file": "main:numbers.yaml",
    },
    {
        "kind": "field",
        "id": NIGHT_LINE,
        "name": "+16503334447",
        "field": "press_1_to_accept",
        "keeps": False,
        "label": "Night line",
        "file": "main:numbers.yaml",
    },
    {
        "kind": "field",
        "id": LONDON,
        "name": "+442079460958",
        "field": "participants",
        "keeps": ["user_carol000000000000000000000000000000000000"],
        "label": "London office",
        "file": "main:numbers.yaml",
    },
    {
        "kind": "field",
        "id": LONDON,
        "name": "+442079460958",
        "field": "press_1_to_accept",
        "keeps": False,
        "label": "London office",
        "file": "main:numbers.yaml",
    },
]


def test_the_json_plan_and_the_saved_plan_carry_it_and_show_renders_it(
    emulator: Emulator, repo: Path
) -> None:
    result = cli(emulator, "plan", "--base", "main", "--out", "plan.json", "--format", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["base"] == {"name": "main", "no_longer_managed": JSON_LET_GO}
    # Carol's email names the id Close keeps, as the plan names every id it shows.
    assert document["users"]["user_carol000000000000000000000000000000000000"] == (
        "carol@acme.example"
    )
    assert json.loads((repo / "plan.json").read_text()) == document
    emulator.reset_log()

    shown = cli(emulator, "show", "plan.json")
    again = cli(emulator, "show", "plan.json", "--format", "json")

    assert shown.exit_code == 0, shown.output
    assert let_go_block("main") in shown.stdout
    assert json.loads(again.stdout) == document
    assert emulator.requests == []


def test_without_base_the_json_plan_has_no_base(emulator: Emulator, repo: Path) -> None:
    result = cli(emulator, "plan", "--format", "json")

    assert result.exit_code == 0, result.output
    assert "base" not in json.loads(result.stdout)


def test_a_file_base(emulator: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text(shrunk(NUMBERS_YAML.read_text()))

    result = cli(emulator, "plan", "-c", str(config), "--base", str(NUMBERS_YAML))

    assert result.exit_code == 0, result.output
    assert let_go_block(str(NUMBERS_YAML)) in result.stdout


ROOT = "version: 1\ndefaults:\n  press_1_to_accept: false\n"
SALES = (
    'version: 1\nnumbers:\n  "+16503334444":\n    label: Sales line\n'
    f"    voicemail_greeting_url: {GREETING}\n"
)
NIGHT = f"version: 1\nnumbers:\n  {NIGHT_LINE}:\n    label: Night line\n"


def tree(top: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(text)
    return top


DIRECTORY_LET_GO = [
    f'no longer managed: +1 650-333-4444 voicemail_greeting_url (Close keeps "{GREETING}")',
    'no longer managed: +1 650-333-4447 "Night line" (the whole number; Close keeps its settings)',
]


def test_a_directory_base(emulator: Emulator, tmp_path: Path) -> None:
    base = tree(
        tmp_path / "before",
        {"numbersync.yaml": ROOT, "sales.yaml": SALES, "support/night.yaml": NIGHT},
    )
    after = tree(
        tmp_path / "after",
        {
            "numbersync.yaml": ROOT,
            "sales.yaml": SALES.replace(f"    voicemail_greeting_url: {GREETING}\n", ""),
        },
    )

    result = cli(emulator, "plan", "-c", str(after), "--base", str(base), "--format", "json")

    assert result.exit_code == 0, result.output
    let_go = json.loads(result.stdout)["base"]["no_longer_managed"]
    assert [(n["kind"], n["name"], n["field"], n["file"]) for n in let_go] == [
        ("field", "+16503334444", "voicemail_greeting_url", str(base / "sales.yaml")),
        ("number", "+16503334447", "", str(base / "support" / "night.yaml")),
    ]


def test_a_directory_at_a_git_ref(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q", "-b", "main")
    tree(
        tmp_path / "numbers",
        {"numbersync.yaml": ROOT, "sales.yaml": SALES, "support/night.yaml": NIGHT},
    )
    (tmp_path / "numbers" / "README.md").write_text("not a config\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    (tmp_path / "numbers" / "support" / "night.yaml").unlink()
    (tmp_path / "numbers" / "sales.yaml").write_text(
        SALES.replace(f"    voicemail_greeting_url: {GREETING}\n", "")
    )
    listing = sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if ".git" not in p.parts
    )

    text = cli(emulator, "plan", "--base", "main")
    as_json = cli(emulator, "plan", "--base", "main", "--format", "json")

    assert text.exit_code == 0, text.output
    assert "\n".join([heading("main"), *(f"  {line}" for line in DIRECTORY_LET_GO)]) in text.stdout
    let_go = json.loads(as_json.stdout)["base"]["no_longer_managed"]
    assert [n["file"] for n in let_go] == [
        "main:numbers/sales.yaml",
        "main:numbers/support/night.yaml",
    ]
    # The work tree is as it was: the base was read from Git, not checked out.
    after = sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if ".git" not in p.parts
    )
    assert after == listing


# --- errors ----------------------------------------------------------------------------------------


def assert_failed(result: Result, stderr: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr == stderr


def test_a_ref_that_is_no_commit(emulator: Emulator, repo: Path) -> None:
    result = cli(emulator, "plan", "--base", "no-such-branch")

    assert_failed(
        result,
        "Error: --base no-such-branch: no file or directory has that name, and it is no commit "
        "in this repository\n"
        "Hint: name a branch, tag or commit that is here (`git fetch` it first; a shallow "
        "checkout needs fetch-depth: 2 or more), or a path\n",
    )
    assert emulator.requests == []


def test_a_ref_outside_a_repository(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "numbers.yaml").write_text(NUMBERS_YAML.read_text())

    result = cli(emulator, "plan", "--base", "main")

    assert_failed(
        result,
        "Error: --base main: no file or directory has that name, and this is not a Git "
        "repository to read it as a ref from\n"
        "Hint: run numbersync inside the repository, or give the base as a path\n",
    )
    assert emulator.requests == []


def test_a_ref_without_the_config(emulator: Emulator, repo: Path) -> None:
    (repo / "other.yaml").write_text(NUMBERS_YAML.read_text())

    result = cli(emulator, "plan", "-c", "other.yaml", "--base", "main")

    assert_failed(
        result,
        "Error: --base main: other.yaml is not in that commit\n"
        "Hint: the base is the config as it was at REF; give another ref, or a path\n",
    )


def test_an_invalid_base_at_a_ref_is_reported_as_the_base(emulator: Emulator, repo: Path) -> None:
    (repo / "numbers.yaml").write_text(
        "version: 1\nnumbers:\n  '+16503334444':\n    forwad_to: x\n"
    )
    git(repo, "commit", "-q", "-am", "a typo")
    (repo / "numbers.yaml").write_text(NUMBERS_YAML.read_text())

    result = cli(emulator, "plan", "--base", "HEAD")

    assert_failed(
        result,
        "HEAD:numbers.yaml:4:5: $.numbers[\"+16503334444\"].forwad_to: unknown key 'forwad_to' "
        "(did you mean 'forward_to'?)\n"
        "Error: the base HEAD (numbers.yaml there) is not a valid config: 1 error found\n"
        "Hint: the base must itself be a valid config: HEAD (numbers.yaml there)\n",
    )
    assert emulator.requests == []


def test_an_invalid_base_directory_at_a_ref_names_its_files_at_the_ref(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q", "-b", "main")
    tree(tmp_path / "numbers", {"sales.yaml": "version: 1\nnumbers: [1]\n"})
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    tree(tmp_path / "numbers", {"sales.yaml": SALES})

    result = cli(emulator, "plan", "--base", "main")

    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("main:numbers/sales.yaml:2:10: $.numbers: ")
    assert lines[1:] == [
        "Error: the base main (numbers there) is not a valid config: 1 error found",
        "Hint: the base must itself be a valid config: main (numbers there)",
    ]


def test_an_invalid_base_file(emulator: Emulator, tmp_path: Path) -> None:
    bad = tmp_path / "base.yaml"
    bad.write_text("version: 1\nnumbers:\n  '+16503334444':\n    inbound_ring_duration: 5\n")

    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--base", str(bad))

    assert_failed(
        result,
        f'{bad}:4:28: $.numbers["+16503334444"].inbound_ring_duration: must be between 15 and 90, '
        "got 5\n"
        f"Error: the base {bad} is not a valid config: 1 error found\n"
        f"Hint: the base must itself be a valid config: {bad}\n",
    )
    assert emulator.requests == []


# --- a saved plan applied: what Close changed since --------------------------------------------------


ACME_PUTS = {
    SALES_LINE: {
        "label": "Sales line",
        "inbound_ring_duration": 45,
        "participants": [
            "user_alice000000000000000000000000000000000000",
            "user_bob00000000000000000000000000000000000000",
        ],
    },
    SUPPORT_LINE: {
        "participant_groups": ["group_support000000000000000"],
        "voicemail_greeting_url": "https://cdn.acme.example/greetings/support.mp3",
    },
    ALICE_DIRECT: {"forward_to_enabled": True},
}


def puts(emu: Emulator) -> dict[str, Any]:
    sent = [r for r in emu.requests if r.method == "PUT"]
    by_id = {r.path.split("/")[2]: r.body for r in sent}
    assert len(by_id) == len(sent)
    return by_id


def changed_in_close(emulator: Emulator) -> None:
    """After the plan: the sales line's greeting (a field the plan does not change on a number
    it changes) and the London office's label (a number the plan found unchanged)."""
    emulator.state.set_number_fields(
        SALES_LINE, {"voicemail_greeting_url": "https://x.example/a.mp3"}
    )
    emulator.state.set_number_fields(LONDON, {"label": "London (renamed in Close)"})


def test_applying_a_saved_plan_notes_what_close_changed_since_and_writes_none_of_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    planfile = str(tmp_path / "plan.json")
    made = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", planfile)
    assert made.exit_code == 0, made.output
    changed_in_close(emulator)
    emulator.reset_log()

    result = cli(emulator, "apply", planfile)

    assert result.exit_code == 0, result.output
    assert (
        "Note: also changed in Close since the plan: +1 650-333-4444 voicemail_greeting_url "
        '(now "https://x.example/a.mp3"), +44 20 7946 0958 label (now "London (renamed in '
        'Close)"); run plan again to see it.\n'
    ) in result.stdout
    assert result.stdout.index("Note: also changed") < result.stdout.index("  applied ")
    # Exactly the reviewed changes: neither noted field is written.
    assert puts(emulator) == ACME_PUTS
    assert emulator.state.number(SALES_LINE)["voicemail_greeting_url"] == "https://x.example/a.mp3"
    assert emulator.state.number(LONDON)["label"] == "London (renamed in Close)"


def test_the_note_keeps_to_the_numbers_apply_targets(emulator: Emulator, tmp_path: Path) -> None:
    planfile = str(tmp_path / "plan.json")
    assert cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", planfile).exit_code == 0
    changed_in_close(emulator)
    emulator.reset_log()

    result = cli(emulator, "apply", planfile, "--target", "+16503334444")

    assert result.exit_code == 0, result.output
    assert (
        "Note: also changed in Close since the plan: +1 650-333-4444 voicemail_greeting_url "
        '(now "https://x.example/a.mp3"); run plan again to see it.\n'
    ) in result.stdout
    assert puts(emulator) == {SALES_LINE: ACME_PUTS[SALES_LINE]}


def test_no_note_when_close_changed_nothing_else(emulator: Emulator, tmp_path: Path) -> None:
    planfile = str(tmp_path / "plan.json")
    assert cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", planfile).exit_code == 0
    # A field no config manages is no concern of the plan.
    emulator.state.set_number_fields(LONDON, {"forward_to": "+16505550111"})

    result = cli(emulator, "apply", planfile)

    assert result.exit_code == 0, result.output
    assert "also changed" not in result.output


def test_a_number_the_saved_plan_left_out_is_not_noted(emulator: Emulator, tmp_path: Path) -> None:
    planfile = str(tmp_path / "plan.json")
    made = cli(
        emulator, "plan", "-c", str(NUMBERS_YAML), "--out", planfile, "--target", "+16503334444"
    )
    assert made.exit_code == 0, made.output
    changed_in_close(emulator)  # London was never compared by this plan
    emulator.reset_log()

    result = cli(emulator, "apply", planfile)

    assert result.exit_code == 0, result.output
    assert (
        "Note: also changed in Close since the plan: +1 650-333-4444 voicemail_greeting_url "
        '(now "https://x.example/a.mp3"); run plan again to see it.\n'
    ) in result.stdout
    assert puts(emulator) == {SALES_LINE: ACME_PUTS[SALES_LINE]}


def test_git_is_not_needed_for_a_path_base(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))  # no git on the PATH
    config = tmp_path / "numbers.yaml"
    config.write_text(shrunk(NUMBERS_YAML.read_text()))

    path_base = cli(emulator, "plan", "-c", str(config), "--base", str(NUMBERS_YAML))
    ref_base = cli(emulator, "plan", "-c", str(config), "--base", "main")

    assert path_base.exit_code == 0, path_base.output
    assert_failed(
        ref_base,
        "Error: --base: git is not installed, and no file or directory has that name\n"
        "Hint: install git, or give the base as a path\n",
    )
    assert os.environ["PATH"] == str(tmp_path / "nothing")


def test_the_readme_example_is_this_plan() -> None:
    readme = (REPO / "README.md").read_text()
    assert "\n".join([heading("origin/main"), *(f"  {line}" for line in LET_GO)]) in readme


def test_a_saved_plan_with_a_malformed_base_is_refused(emulator: Emulator, repo: Path) -> None:
    assert cli(emulator, "plan", "--base", "main", "--out", "plan.json").exit_code == 0
    document = json.loads((repo / "plan.json").read_text())
    document["base"]["no_longer_managed"][0]["kind"] = "everything"
    document["base"]["no_longer_managed"][1]["keeps"] = {"not": "a value"}
    (repo / "plan.json").write_text(json.dumps(document))

    result = cli(emulator, "show", "plan.json")

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[:2] == [
        "plan.json: $.base.no_longer_managed[0].kind: 'everything' is not one of ['number', "
        "'field', 'group']",
        "plan.json: $.base.no_longer_managed[1].keeps: must be a string or true or false or an "
        "integer or null or a list, got a mapping",
    ]


def test_a_hostile_base_name_is_escaped_everywhere(emulator: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text(shrunk(NUMBERS_YAML.read_text()))
    base = tmp_path / "b\x1b[31m\u202e.yaml"
    base.write_text(NUMBERS_YAML.read_text())

    for form in ("text", "markdown", "json"):
        result = cli(emulator, "plan", "-c", str(config), "--base", str(base), "--format", form)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout, form
    missing = cli(emulator, "plan", "-c", str(config), "--base", "no\x1b[31mref")
    assert missing.exit_code == 1
    assert "\x1b" not in missing.stderr
