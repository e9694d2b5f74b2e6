"""`numbersync init` end to end: the real CLI against the emulator. Each test follows what init
printed, as a new user would: every file it names is there (and nothing else), each config file's
modeline resolves to the schema it wrote, the CI recipes check what it wrote, the pre-commit hook
matches it, and the plan command it suggests exits 0 with `No changes.`."""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import cli
from test_ci_recipes import check_cli, command_lines

from numbersync import __version__, scaffold
from numbersync.emulator import Emulator
from numbersync.errors import UsageError
from numbersync.resources import shipped_text

REPO = Path(__file__).resolve().parent.parent
SCHEMA = shipped_text("schemas/numbersync.schema.json")
MODELINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def written(stdout: str) -> dict[str, str]:
    """The files init says it wrote: path -> what it is."""
    lines = stdout.split("\n\n", 1)[0].splitlines()
    assert re.fullmatch(r"Wrote \d+ files, from \d+ numbers:", lines[0]), lines[0]
    return dict(line.strip().split("  ", 1) for line in lines[1:])


def all_files(directory: Path) -> set[str]:
    return {
        os.path.relpath(os.path.join(root, name))
        for root, _, names in os.walk(directory)
        for name in names
    }


def suggested_plan(stdout: str) -> list[str]:
    """The plan command init suggests, as arguments."""
    commands = [
        line.strip() for line in stdout.splitlines() if line.strip().startswith("numbersync plan")
    ]
    assert len(commands) == 1, stdout
    return shlex.split(commands[0])[1:]


def pre_commit_hooks() -> dict[str, dict[str, Any]]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return {hook["id"]: hook for hook in hooks}


LAYOUTS = [
    pytest.param(["--ci", "github"], "numbers.yaml", "github", id="github"),
    pytest.param(["--ci", "gitlab"], "numbers.yaml", "gitlab", id="gitlab"),
    pytest.param(["--split-by", "group", "--ci", "github"], "numbers", "github", id="split-github"),
    pytest.param(["--split-by", "group"], "numbers", None, id="split"),
]


@pytest.mark.parametrize(("args", "config", "ci"), LAYOUTS)
def test_init_writes_a_repository_that_plans_clean(
    emulator: Emulator, workdir: Path, args: list[str], config: str, ci: str | None
) -> None:
    result = cli(emulator, "init", "acme", *args)

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert all(r.method == "GET" for r in emulator.requests)
    files = written(result.stdout)
    assert set(files) == all_files(Path("acme"))
    assert_follows(Path("acme"), files, result.stdout, config, ci)

    emulator.reset_log()
    planned = cli(emulator, *suggested_plan(result.stdout))
    assert planned.exit_code == 0, planned.output
    plural = "s" if config == "numbers" else ""
    assert (
        planned.stdout == f"No changes. 11 managed numbers match the file{plural}; 0 unmanaged.\n"
    )
    assert all(r.method == "GET" for r in emulator.requests)


def assert_follows(
    directory: Path, files: dict[str, str], stdout: str, config: str, ci: str | None
) -> None:
    schema = directory / "numbersync.schema.json"
    assert schema.read_text() == SCHEMA
    # Each config file's first line points editors at the schema init wrote beside it.
    where = os.path.normpath(directory / config)
    configs = sorted(p for p in files if p == where or p.startswith(where + "/"))
    assert configs == (sorted(all_files(directory / config)) if config == "numbers" else [where])
    assert len(configs) == (4 if config == "numbers" else 1)
    for path in configs:
        modeline = MODELINE.match(Path(path).read_text())
        assert modeline, path
        assert (Path(path).parent / modeline[1]).resolve() == schema.resolve(), path

    # The CI recipes, each checking what init wrote, and otherwise as shipped.
    recipes = {p: f for p, f in files.items() if "CI:" in f}
    if ci == "github":
        assert str(directory / ".github/dependabot.yml") in files
        assert sorted(recipes) == [
            str(directory / ".github/workflows" / name)
            for name in sorted(os.listdir(REPO / "examples/ci/github-actions"))
        ]
    elif ci == "gitlab":
        assert list(recipes) == [str(directory / ".gitlab-ci.yml")]
    else:
        assert recipes == {}
    for path in recipes:
        text = Path(path).read_text()
        parsed = yaml.safe_load(text)
        if ci == "gitlab":
            (include,) = parsed["include"]
            assert include["inputs"]["config"] == config
            assert f"/v{__version__}/templates/numbersync.yml" in include["remote"]
        else:
            (job,) = parsed["jobs"].values()
            (step,) = [s for s in job["steps"] if s["uses"].startswith("numbersync/numbersync@")]
            assert step["with"]["config"] == config
            assert step["uses"] == f"numbersync/numbersync@v{__version__}"  # this release
        shipped = (
            REPO / "examples/ci" / ("gitlab" if ci == "gitlab" else "github-actions")
        ).joinpath(Path(path).name)
        changed = set(text.splitlines()) ^ set(shipped.read_text().splitlines())
        assert len(changed) == 2 and all("config:" in line for line in changed), changed
        assert "CHANGE ME" not in text
    if ci == "github":
        dependabot = yaml.safe_load((directory / ".github/dependabot.yml").read_text())
        assert dependabot["updates"] == [
            {
                "package-ecosystem": "github-actions",
                "directory": "/",
                "schedule": {"interval": "weekly"},
            }
        ]

    # pre-commit runs this repository's hook for that layout, which triggers on what init wrote.
    pre_commit = yaml.safe_load((directory / ".pre-commit-config.yaml").read_text())
    (hook_ref,) = pre_commit["repos"][0]["hooks"]
    hook = pre_commit_hooks()[hook_ref["id"]]
    assert hook["entry"] == (
        "numbersync validate -c numbers" if config == "numbers" else "numbersync validate"
    )
    for path in configs:
        assert re.search(hook["files"], os.path.relpath(path, directory)), path
    assert pre_commit["repos"][0]["repo"] == "https://github.com/numbersync/numbersync"
    assert pre_commit["repos"][0]["rev"] == f"v{__version__}"

    # The README's commands are numbersync's, and name the config init wrote.
    readme = (directory / "README.md").read_text()
    commands = command_lines(readme)
    assert commands
    for line in commands:
        args = shlex.split(line)[1:]
        check_cli(args)
        assert args[args.index("-c") + 1] == config


def pre_commit_text(directory: Path) -> str:
    return (directory / ".pre-commit-config.yaml").read_text()


@pytest.mark.parametrize("emulator", ["wild"], indirect=True)
def test_init_against_the_wild_account_plans_clean(emulator: Emulator, workdir: Path) -> None:
    result = cli(emulator, "init", "--ci", "github")
    assert result.exit_code == 0, result.output

    planned = cli(emulator, *suggested_plan(result.stdout))

    assert planned.exit_code == 0, planned.output


@pytest.mark.parametrize("emulator", ["wild"], indirect=True)
def test_init_against_the_wild_account_writes_what_export_does(
    emulator: Emulator, workdir: Path
) -> None:
    result = cli(emulator, "init", "--ci", "gitlab")

    assert result.exit_code == 0, result.output
    files = written(result.stdout)
    assert set(files) == all_files(Path("."))
    assert_follows(Path("."), files, result.stdout, "numbers.yaml", "gitlab")
    exported = cli(emulator, "export")
    body = Path("numbers.yaml").read_text().split("\n", 2)[2]
    assert body == exported.stdout.split("\n", 2)[2]
    # The members of the groups the numbers ring, as export writes them.
    assert list(yaml.safe_load(body)["groups"]) == ["Sales EMEA", "Support"]


def test_init_prints_what_it_wrote_and_what_is_left_to_do(
    emulator: Emulator, workdir: Path
) -> None:
    result = cli(emulator, "init", "--ci", "github")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Wrote 8 files, from 11 numbers:\n"
        "  numbers.yaml                            the numbers as Close has them now\n"
        "  numbersync.schema.json                  the JSON Schema: editors complete and check the config with it\n"
        "  .github/workflows/numbersync-plan.yml   CI: the plan of every pull request, as a comment\n"
        "  .github/workflows/numbersync-apply.yml  CI: applies the reviewed plan on merge to main\n"
        "  .github/workflows/numbersync-drift.yml  CI: a daily check that Close still matches\n"
        "  .github/dependabot.yml                  Dependabot: keeps the numbersync action (and the others) current\n"
        "  .pre-commit-config.yaml                 pre-commit: `numbersync validate` before each commit (offline)\n"
        "  README.md                               how this repository works, for its users\n"
        "\n"
        "Next:\n"
        "  1. Create the repository secret CLOSE_API_KEY (Settings > Secrets and variables > Actions) and the\n"
        "     environment `close` with its own CLOSE_API_KEY, for the apply job.\n"
        "  2. pre-commit: run `pre-commit install` once.\n"
        "  3. Check that Close matches the files (No changes., exit 0):\n"
        "       numbersync plan -c numbers.yaml --detailed-exitcode\n"
    )


# --- never over what is there -------------------------------------------------------------------


def test_init_refuses_to_overwrite_and_writes_nothing(emulator: Emulator, workdir: Path) -> None:
    Path("README.md").write_text("ours\n")
    Path(".github/workflows").mkdir(parents=True)
    Path(".github/workflows/numbersync-plan.yml").write_text("ours\n")
    emulator.reset_log()

    refused = cli(emulator, "init", "--ci", "github")

    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        "Error: 2 files already in .: .github/workflows/numbersync-plan.yml, README.md\n"
        "Hint: pass --force to keep each that differs and write init's version beside it as "
        "FILE.new (--overwrite replaces them), or init another directory\n"
    )
    assert all_files(Path(".")) == {"README.md", ".github/workflows/numbersync-plan.yml"}
    assert emulator.requests == []  # refused before reading the account


def test_init_force_keeps_changed_files_and_writes_its_version_beside_them(
    emulator: Emulator, workdir: Path
) -> None:
    assert cli(emulator, "init", "--ci", "github").exit_code == 0
    # The team edits the plan workflow; the README stays as init wrote it.
    plan = Path(".github/workflows/numbersync-plan.yml")
    edited = plan.read_text().replace("timeout-minutes: 15", "timeout-minutes: 5")
    plan.write_text(edited)
    # ...and adds a comment to the config (a new export differs anyway once a second has passed).
    config = Path("numbers.yaml")
    config.write_text(config.read_text() + "# reviewed by the phone team\n")
    readme = Path("README.md").read_text()

    again = cli(emulator, "init", "--ci", "github", "--force")

    assert again.exit_code == 0, again.output
    assert plan.read_text() == edited, "the team's edit is kept"
    assert Path(".github/workflows/numbersync-plan.yml.new").read_text() != edited
    assert Path("README.md").read_text() == readme and not Path("README.md.new").exists()
    files = written(again.stdout)
    assert files[".github/workflows/numbersync-plan.yml.new"] == (
        "init's version of .github/workflows/numbersync-plan.yml, which differs (kept as it is)"
    )
    assert config.read_text().endswith("# reviewed by the phone team\n")
    assert set(files) == {".github/workflows/numbersync-plan.yml.new", "numbers.yaml.new"}
    assert (
        "Kept 2 files that differ from what init writes now, each with init's version beside it "
        "as FILE.new (compare, merge, then delete the .new; --overwrite replaces them instead):\n"
        "  numbers.yaml\n"
        "  .github/workflows/numbersync-plan.yml\n"
        "\n"
        "Left 6 files as they were: already up to date.\n" in again.stdout
    )

    overwritten = cli(emulator, "init", "--ci", "github", "--overwrite")

    assert overwritten.exit_code == 0, overwritten.output
    assert plan.read_text() == Path(".github/workflows/numbersync-plan.yml.new").read_text()
    assert "Kept" not in overwritten.stdout


def test_init_refuses_a_directory_of_files_with_yaml_files_in_it(
    emulator: Emulator, workdir: Path
) -> None:
    Path("numbers").mkdir()
    Path("numbers/old.yaml").write_text("version: 1\nnumbers: {}\n")
    Path("numbers/notes.txt").write_text("not read by numbersync\n")

    refused = cli(emulator, "init", "--split-by", "group")
    forced = cli(emulator, "init", "--split-by", "group", "--force")

    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: 1 file already in .: numbers/old.yaml\n"
        "Hint: pass --force to keep each that differs and write init's version beside it as "
        "FILE.new (--overwrite replaces them), or init another directory\n"
    )
    # Forced, it would still leave old.yaml beside the new files: refused, nothing written.
    assert forced.exit_code == 1
    assert forced.stderr == (
        "Error: 1 file in numbers would be left beside the new ones: numbers/old.yaml\n"
        "Hint: each would name its numbers a second time; move them away, then init again\n"
    )
    assert all_files(Path(".")) == {"numbers/old.yaml", "numbers/notes.txt"}


def test_init_into_a_file_is_refused(emulator: Emulator, workdir: Path) -> None:
    Path("acme").write_text("")

    result = cli(emulator, "init", "acme")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: acme is a file; init writes a new repository into a directory\n"
    )


def test_a_failed_read_writes_nothing(emulator: Emulator, workdir: Path) -> None:
    result = cli(emulator, "init", "--ci", "github", key="api_wrong.fake0000")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: GET /phone_number/ (401): CLOSE_API_KEY was rejected"
    )
    assert all_files(Path(".")) == set()


# --- what init ships ------------------------------------------------------------------------------


def test_every_github_workflow_of_the_recipes_is_written() -> None:
    assert sorted(scaffold.GITHUB_WORKFLOWS) == sorted(
        os.listdir(REPO / "examples/ci/github-actions")
    )


def test_every_file_init_reads_is_shipped_inside_the_package() -> None:
    """shipped_text reads numbersync/PATH in an installed package: the wheel must put each file
    init writes there (force-include), from its one copy in the tree."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    included = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    needed = {"schemas/numbersync.schema.json"}
    for ci in ("github", "gitlab"):
        needed |= set(scaffold.Layout(ci=ci).recipes().values())
    for path in sorted(needed):
        assert (REPO / path).is_file(), path
        source = next((s for s in included if path == s or path.startswith(s + "/")), None)
        assert source is not None, f"{path} is not force-included into the wheel"
        assert included[source] == f"numbersync/{source}", source


def test_a_recipe_without_exactly_one_config_line_is_a_bug_said_plainly() -> None:
    with pytest.raises(UsageError, match="has 0 config lines instead of one"):
        scaffold.with_config("jobs: {}\n", "numbers", "x.yml")
    twice = "with:\n  config: numbers.yaml\ninputs:\n  config: numbers.yaml\n"
    with pytest.raises(UsageError, match="has 2 config lines instead of one"):
        scaffold.with_config(twice, "numbers", "x.yml")
