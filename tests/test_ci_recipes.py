"""The CI recipes in examples/ci/ and the pre-commit hook work as written: they parse, every
numbersync command in them is valid for the CLI, and their shell steps (and the scripts that post
the plan) run against the emulator in the order CI would run them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pytest
import yaml

from numbersync.cli import main
from numbersync.render import MARKDOWN_LIMIT, MARKDOWN_MARKER

if TYPE_CHECKING:
    from numbersync.emulator import Emulator


REPO = Path(__file__).resolve().parent.parent
CI = REPO / "examples" / "ci"
GITHUB = CI / "github-actions"
GITLAB = CI / "gitlab" / ".gitlab-ci.yml"
RECIPES = sorted(p for p in CI.rglob("*") if p.suffix in (".yml", ".yaml"))
BIN = str(Path(sys.executable).parent)
SECRET = "${{ secrets.CLOSE_API_KEY }}"
# A numbersync command where a shell would run one: at the start of a line or after ||, &&, ;.
COMMAND = re.compile(r"(?:^|&&|\|\||;|\bthen\b)\s*(numbersync\s.*)$")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: Mapping[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps(workflow: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job["steps"]


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    config = load(GITLAB)
    return {name: job for name, job in config.items() if isinstance(job, dict) and "script" in job}


def shell_scripts() -> Iterator[tuple[str, str, Mapping[str, str]]]:
    """(where, script, variables) for every shell script of the recipes."""
    for path in sorted(GITHUB.glob("*.yml")):
        workflow = load(path)
        for step in steps(workflow):
            if "run" in step:
                env = {**workflow.get("env", {}), **step.get("env", {})}
                yield f"{path.name}: {step.get('name', step['run'][:30])}", step["run"], env
    variables = load(GITLAB)["variables"]
    for name, job in gitlab_jobs().items():
        yield f".gitlab-ci.yml: {name}", "\n".join(job["script"]), variables


def command_lines(script: str) -> list[str]:
    found = []
    for line in script.splitlines():
        match = COMMAND.search(line.strip())
        if match and not line.strip().startswith("#"):
            found.append(match[1])
    return found


def cli_args(line: str, variables: Mapping[str, str]) -> list[str]:
    """The arguments a shell would pass to numbersync: variables expanded from the recipe's (an
    unknown or `${{ }}` one is empty), up to the first redirection or operator."""

    def value(match: re.Match[str]) -> str:
        found = str(variables.get(match[1], ""))
        return "" if "${{" in found else found

    line = re.sub(r'"\$\{?(\w+)\}?"', lambda m: shlex.quote(value(m)), line)
    line = re.sub(r"\$\{?(\w+)\}?", value, line)
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    args = []
    for i, token in enumerate(tokens):
        if token and set(token) <= set("<>|&;()"):
            break
        if token.isdigit() and i + 1 < len(tokens) and tokens[i + 1].startswith((">", "<")):
            break  # the 2 of `2> errors.txt`
        args.append(token)
    return args[1:]


def check_cli(args: list[str]) -> click.Context:
    """Parse `numbersync ARGS` with the real click commands, as the shell would run it; raises
    click.UsageError for what numbersync would refuse. Global options (none takes a value) come
    before the command name."""
    count = next((i for i, arg in enumerate(args) if not arg.startswith("-")), len(args))
    global_opts, rest = args[:count], args[count:]
    known = {opt for param in main.params for opt in param.opts} | {"-h", "--help"}
    for opt in global_opts:
        if opt not in known and not re.fullmatch(r"-v+", opt):
            raise click.UsageError(f"No such option: {opt}")
    parent = main.make_context("numbersync", [], resilient_parsing=True)
    if not rest:
        return parent
    command = main.get_command(parent, rest[0])
    if command is None:
        raise click.UsageError(f"No such command {rest[0]!r}.")
    try:
        return command.make_context(rest[0], rest[1:], parent=parent)
    except click.exceptions.Exit:  # --help
        return parent


def all_commands() -> Iterator[tuple[str, str, Mapping[str, str]]]:
    for where, script, variables in shell_scripts():
        for line in command_lines(script):
            yield where, line, variables


# --- the recipes are well-formed ----------------------------------------------------------------


@pytest.mark.parametrize("path", [*RECIPES, REPO / ".pre-commit-hooks.yaml"], ids=lambda p: p.name)
def test_every_recipe_parses_as_yaml(path: Path) -> None:
    assert isinstance(load(path), dict | list)


def test_the_recipes_are_all_here() -> None:
    names = {p.relative_to(CI).as_posix() for p in RECIPES}
    assert names == {
        "github-actions/numbersync-plan.yml",
        "github-actions/numbersync-apply.yml",
        "github-actions/numbersync-drift.yml",
        "gitlab/.gitlab-ci.yml",
    }


def test_every_numbersync_command_in_the_recipes_is_valid() -> None:
    seen = list(all_commands())
    assert len(seen) >= 10
    for where, line, variables in seen:
        try:
            check_cli(cli_args(line, variables))
        except click.ClickException as exc:
            raise AssertionError(f"{where}: {line}: {exc.format_message()}") from None


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_every_shell_script_passes_shellcheck() -> None:
    for where, script, _ in shell_scripts():
        result = subprocess.run(
            ["shellcheck", "--shell=bash", "-"], input=script, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{where}:\n{result.stdout}"


# Every `uses:` pinned to a full commit, with the release it is in a comment (the form zizmor and
# Dependabot understand), and the same action at the same commit everywhere.
PINNED = re.compile(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    """zizmor offline (no GitHub API, no token), with its stricter `pedantic` persona and no
    configuration file that could silence an audit."""
    binary = shutil.which("zizmor", path=BIN)
    assert binary, "zizmor is a test dependency: pip install -e '.[test]'"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "GITHUB_", "ZIZMOR_"))}
    return subprocess.run(
        [
            binary,
            "--offline",
            "--no-config",
            "--persona=pedantic",
            "--format=json",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_zizmor_finds_nothing_in_the_github_workflows() -> None:
    result = zizmor(*sorted(GITHUB.glob("*.yml")))
    assert json.loads(result.stdout) == [], result.stdout
    assert result.returncode == 0, result.stderr


def test_zizmor_would_catch_an_unpinned_action_and_a_persisted_credential(tmp_path: Path) -> None:
    text = (GITHUB / "numbersync-plan.yml").read_text()
    text = re.sub(r"actions/checkout@\w+ # v[\d.]+", "actions/checkout@v4", text)
    text = re.sub(r"\n +with:\n +persist-credentials: false.*", "", text)  # the default: true
    (tmp_path / "plan.yml").write_text(text)
    result = zizmor(tmp_path / "plan.yml")
    assert sorted(f["ident"] for f in json.loads(result.stdout)) == ["artipacked", "unpinned-uses"]
    assert result.returncode != 0


def test_every_action_is_pinned_to_a_commit_and_checkouts_keep_no_credential() -> None:
    pins: dict[str, set[str]] = {}
    for path in sorted(GITHUB.glob("*.yml")):
        lines = [line.strip(" -") for line in path.read_text().splitlines() if "uses:" in line]
        for line in lines:
            match = PINNED.fullmatch(line)
            assert match, f"{path.name}: {line}"
            pins.setdefault(match[1], set()).add(f"{match[2]} # {match[3]}")
        for step in steps(load(path)):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, path.name
    assert {action: len(found) for action, found in pins.items()} == {
        "actions/checkout": 1,
        "actions/setup-python": 1,
        "actions/upload-artifact": 1,
        "actions/github-script": 1,
    }
    # docs/ci.md lists the same pins, for whoever updates them.
    docs = (REPO / "docs" / "ci.md").read_text()
    for action, (pin,) in pins.items():
        sha, version = pin.split(" # ")
        assert f"| `{action}` | {version} | `{sha}` |" in docs, action


def test_the_cli_check_catches_a_typo() -> None:
    with pytest.raises(click.UsageError):
        check_cli(cli_args("numbersync plan --detailed-exit-code > plan.md", {}))
    with pytest.raises(click.UsageError):
        check_cli(cli_args('numbersync plan --format html -c "$CONFIG"', {"CONFIG": "x"}))
    line = 'numbersync apply -c "$CONFIG" --auto-approve $FORCE 2> err.txt | tee'
    ctx = check_cli(cli_args(line, {"CONFIG": "my numbers.yaml"}))
    assert ctx.params["auto_approve"] is True and ctx.params["force"] is False
    assert ctx.params["config_path"] == "my numbers.yaml"
    assert check_cli(cli_args(line, {"FORCE": "--force"})).params["force"] is True


@pytest.mark.parametrize("path", sorted(GITHUB.glob("*.yml")), ids=lambda p: p.name)
def test_github_workflows_keep_secrets_and_permissions_tight(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    workflow = load(path)
    assert "pull_request_target" not in triggers(workflow)
    # None for the workflow; each job names what it needs, so that a new job starts with nothing.
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        permissions = job["permissions"]
        assert permissions["contents"] == "read"
        assert set(permissions.values()) <= {"read", "write"}
    # The key comes from the secret store into the steps that call Close, and from nowhere else.
    assert re.findall(r"CLOSE_API_KEY: (.+)", text) == [SECRET] * text.count("CLOSE_API_KEY:")
    assert "CLOSE_ACCESS_TOKEN" not in text and "CLOSE_API_URL" not in text
    for step in steps(workflow):
        # Expressions in a script are a script-injection risk: values go through `env:`.
        assert "${{" not in step.get("run", ""), step.get("name")
    # The install step is a placeholder that says so.
    assert "CHANGE ME" in text and "YOUR-ORG" in text


def test_the_pull_request_workflow() -> None:
    workflow = load(GITHUB / "numbersync-plan.yml")
    assert set(triggers(workflow)) == {"pull_request"}
    assert workflow["jobs"]["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    kept = next(s for s in steps(workflow) if "upload-artifact" in s.get("uses", ""))
    assert kept["with"]["name"] == "numbersync-plan" and kept["with"]["path"] == "plan.json"
    plans = [line for _, line, _ in all_commands() if " plan " in line]
    pr_plan = next(line for line in plans if "--out plan.json" in line)
    args = check_cli(cli_args(pr_plan, workflow["env"])).params
    assert args["output_format"] == "markdown" and args["detailed_exitcode"]
    comment = next(s for s in steps(workflow) if "github-script" in s.get("uses", ""))
    assert f"'{MARKDOWN_MARKER}'" in comment["with"]["script"]


def test_the_apply_workflow_never_overlaps() -> None:
    workflow = load(GITHUB / "numbersync-apply.yml")
    assert triggers(workflow)["push"]["branches"] == ["main"]
    assert workflow["concurrency"] == {"group": "numbersync-apply", "cancel-in-progress": False}
    assert workflow["jobs"]["apply"]["permissions"] == {
        "contents": "read",
        "actions": "read",
        "pull-requests": "write",
    }
    applies = [c for s in steps(workflow) for c in command_lines(s.get("run", "")) if " apply" in c]
    # The reviewed plan as it is, or (only without one) a fresh plan of the merged config.
    assert [a.split(" 2>")[0] for a in applies] == [
        'numbersync apply "$PLAN" $FORCE',
        'numbersync apply -c "$CONFIG" --auto-approve $FORCE',
    ]
    assert workflow["defaults"]["run"]["shell"] == "bash"  # pipefail: `| tee` keeps the exit code


def test_the_drift_workflow() -> None:
    workflow = load(GITHUB / "numbersync-drift.yml")
    assert "schedule" in triggers(workflow)
    assert workflow["jobs"]["drift"]["permissions"] == {"contents": "read", "issues": "write"}
    text = (GITHUB / "numbersync-drift.yml").read_text()
    assert "--detailed-exitcode" in text and "labels: [label]" in text


def test_the_gitlab_pipeline() -> None:
    jobs = gitlab_jobs()
    plan, apply, drift = jobs["numbersync-plan"], jobs["numbersync-apply"], jobs["numbersync-drift"]
    assert "merge_request_event" in plan["rules"][0]["if"]
    assert plan["variables"]["CLOSE_API_KEY"] == "$CLOSE_PLAN_API_KEY"
    assert apply["resource_group"] and "--auto-approve" in " ".join(apply["script"])
    assert "numbersync apply reviewed/plan.json" in " ".join(apply["script"])
    assert "$CI_DEFAULT_BRANCH" in apply["rules"][0]["if"]
    assert '"schedule"' in drift["rules"][0]["if"]
    assert drift["allow_failure"] == {"exit_codes": [2]}
    assert "python:3.11" in load(GITLAB)["default"]["image"]


def hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in load(REPO / ".pre-commit-hooks.yaml")}


def run_hook(hook: Mapping[str, Any], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The hook's entry as pre-commit runs it: once, with the `args:` given and no file names."""
    command = [*shlex.split(hook["entry"]), *args]
    assert check_cli(command[1:]).info_name == "validate"
    return subprocess.run(
        [f"{BIN}/{command[0]}", *command[1:]], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_the_pre_commit_hooks() -> None:
    assert set(hooks()) == {"numbersync-validate", "numbersync-validate-tree"}
    for hook in hooks().values():
        # Once per commit, however many files changed: a tree is validated whole, not per file.
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert hook["require_serial"] is True


def test_the_pre_commit_hook_for_a_file() -> None:
    hook = hooks()["numbersync-validate"]
    files = re.compile(hook["files"])
    for name in ("numbers.yaml", "config/numbers.yaml", "numbers.yml"):
        assert files.search(name), name
    for name in ("numbers.yaml.bak", "other.yaml", "mynumbers.yaml", "numbers/sales.yaml"):
        assert not files.search(name), name
    # As pre-commit runs it, with the `-c` argument the docs show.
    result = run_hook(hook, REPO, "-c", "examples/numbers.yaml")
    assert result.returncode == 0, result.stderr


def test_the_pre_commit_hook_for_a_directory_triggers_on_any_file_of_the_tree() -> None:
    hook = hooks()["numbersync-validate-tree"]
    assert shlex.split(hook["entry"])[-2:] == ["-c", "numbers"]
    files = re.compile(hook["files"])
    for name in ("numbers/sales.yaml", "numbers/support/emea.yml", "numbers/numbersync.yaml"):
        assert files.search(name), name
    for name in (
        "numbers.yaml",
        "numbers/README.md",
        "other/numbers/sales.yaml",
        "numbersx/a.yaml",
    ):
        assert not files.search(name), name


# --- a directory of files (SPEC section 1), on branch config-tree until it reaches main ---------

ROOT_FILE = """\
version: 1
defaults:
  inbound_ring_duration: 30
  press_1_to_accept: false
"""


def write_tree(workspace: Path) -> Path:
    """examples/numbers.yaml as a tree: its defaults in the root file, its numbers in two team
    files, so that the tree means exactly what the file does."""
    example = load(REPO / "examples" / "numbers.yaml")
    numbers = list(example["numbers"].items())
    tree = workspace / "numbers"
    (tree / "support").mkdir(parents=True)
    (tree / "numbersync.yaml").write_text(ROOT_FILE)
    for path, part in (("sales.yaml", numbers[:2]), ("support/emea.yml", numbers[2:])):
        body = {"version": 1, "numbers": dict(part)}
        (tree / path).write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
    return tree


@pytest.fixture(scope="session")
def tree_support(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skips the test while `numbersync validate -c DIR` refuses a directory; once the CLI reads
    trees, the test runs (and any other failure of the probe fails it)."""
    workspace = tmp_path_factory.mktemp("probe")
    write_tree(workspace)
    result = subprocess.run(
        [f"{BIN}/numbersync", "validate", "-c", "numbers"],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "is a directory" in result.stderr:
        pytest.skip(
            "numbersync validate -c DIR is not supported yet (branch config-tree): "
            + result.stderr.splitlines()[0]
        )


def test_the_recipes_watch_the_file_and_the_directory() -> None:
    for path in ("numbersync-plan.yml", "numbersync-apply.yml"):
        workflow = load(GITHUB / path)
        event = "pull_request" if "plan" in path else "push"
        assert {"numbers.yaml", "numbers/**"} <= set(triggers(workflow)[event]["paths"]), path
        assert workflow["env"]["CONFIG"] == "numbers.yaml"
    assert load(GITHUB / "numbersync-drift.yml")["env"]["CONFIG"] == "numbers.yaml"
    assert load(GITLAB)["variables"]["CONFIG"] == "numbers.yaml"
    jobs = gitlab_jobs()
    for name in ("numbersync-plan", "numbersync-apply"):
        assert jobs[name]["rules"][0]["changes"] == ["numbers.yaml", "numbers/**/*"], name
    # One setting: every command of every recipe reads the config through $CONFIG.
    for where, line, _ in all_commands():
        if line.split()[1] in ("validate", "plan") or " -c " in line:
            assert '-c "$CONFIG"' in line, f"{where}: {line}"


@pytest.mark.usefixtures("tree_support")
def test_the_pre_commit_hook_validates_a_directory_as_one_tree(tmp_path: Path) -> None:
    hook = hooks()["numbersync-validate-tree"]
    tree = write_tree(tmp_path)
    assert run_hook(hook, tmp_path).returncode == 0
    # A number in two files is an error only the whole tree shows.
    (tree / "copy.yaml").write_text((tree / "sales.yaml").read_text())
    result = run_hook(hook, tmp_path)
    assert result.returncode == 1
    assert "sales.yaml" in result.stderr and "copy.yaml" in result.stderr


# --- the workflows run: their shell steps against the emulator ----------------------------------


class Runner:
    """Runs a workflow's shell steps the way GitHub's runner does, in one workspace: `if:`
    conditions evaluated, outputs collected per step id, the secret filled with `key`, and the
    `${{ }}` expressions of `env:` that the recipes use resolved from `github` and the outputs.
    Commands in `bin` (fakes such as `gh`) come first on PATH."""

    def __init__(self, workspace: Path, emulator: Emulator) -> None:
        self.workspace = workspace
        self.emulator = emulator
        self.key = emulator.admin_key
        self.output = workspace / ".github-output"
        self.summary = workspace / ".github-summary"
        self.bin = workspace / ".bin"
        self.github = {
            "repository": "acme/phones",
            "sha": "c0ffee" * 6 + "c0fe",
            "event_name": "push",
            "workflow_ref": "acme/phones/.github/workflows/WORKFLOW@refs/heads/main",
            "server_url": "https://github.com",
            "run_id": "9001",
            "token": "ghs_fake",
        }
        self.last: subprocess.CompletedProcess[str] | None = None
        self.results: dict[str, subprocess.CompletedProcess[str]] = {}  # by step name
        self.outputs: dict[str, dict[str, str]] = {}  # by step id
        self.extra: dict[str, str] = {}  # more environment, for the fakes

    def expression(self, text: str) -> str:
        """A value of `env:`: the secret, `${{ github.X }}`, `${{ steps.X.outputs.Y }}`; any
        other expression is empty (as the recipes' `--force` one is without a manual run)."""
        if text == SECRET:
            return self.key
        match = re.fullmatch(r"\$\{\{ (?:github\.(\w+)|steps\.(\w+)\.outputs\.(\w+)) \}\}", text)
        if match and match[1]:
            return self.github[match[1]]
        if match:
            return self.outputs.get(match[2], {}).get(match[3], "")
        return "" if "${{" in text else text

    def env(self, variables: Mapping[str, Any]) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("CLOSE_", "GITHUB_", "GH_"))
        }
        for name, value in variables.items():
            env[name] = self.expression(str(value))
        env["CLOSE_API_URL"] = self.emulator.url  # where the recipe leaves Close's default
        env.update(self.extra)
        env["PATH"] = os.pathsep.join([str(self.bin), BIN, env.get("PATH", "")])
        return env

    def bash(self, script: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        self.last = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.workspace,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return self.last

    def run_workflow(self, name: str) -> dict[str, str]:
        """Every `run` step but the install, in order; returns the outputs of the step whose id
        is `plan` (the ones the later steps' conditions read); `outputs` has every step's."""
        workflow = load(GITHUB / name)
        self.summary.write_text("")
        self.results = {}
        self.outputs = {}
        context = {
            f"GITHUB_{key.upper()}": value
            for key, value in self.github.items()
            if key not in ("token",)
        }
        context["GITHUB_WORKFLOW_REF"] = self.github["workflow_ref"].replace("WORKFLOW", name)
        failed = False
        for step in steps(workflow):
            if "run" not in step or "pip install" in step["run"]:
                continue
            if not condition(step.get("if", ""), self.outputs, failed=failed):
                continue
            self.output.write_text("")
            env = self.env({**workflow.get("env", {}), **step.get("env", {})})
            env.update(
                context, GITHUB_OUTPUT=str(self.output), GITHUB_STEP_SUMMARY=str(self.summary)
            )
            result = self.results[step["name"]] = self.bash(step["run"], env)
            lines = self.output.read_text().splitlines()
            self.outputs[step.get("id", "")] = dict(line.split("=", 1) for line in lines)
            failed = failed or result.returncode != 0
        return self.outputs.get("plan", {})

    @property
    def failed(self) -> bool:
        """Whether the job failed: any step that ran exited non-zero."""
        return any(result.returncode != 0 for result in self.results.values())


def condition(expression: str, outputs: Mapping[str, Mapping[str, str]], *, failed: bool) -> bool:
    """GitHub's `if:` for the forms the recipes use: step outputs compared with strings, joined
    with && and ||; always(); a condition without a status function implies success()."""
    if not expression:
        return not failed
    python = re.sub(
        r"steps\.(\w+)\.outputs\.(\w+)",
        lambda m: repr(outputs.get(m[1], {}).get(m[2], "")),
        expression,
    )
    python = python.replace("&&", " and ").replace("||", " or ")
    python = python.replace("always()", "True").replace("failure()", repr(failed))
    if "always()" not in expression and "failure()" not in expression:
        python = f"{not failed} and ({python})"
    assert re.fullmatch(r"[\w\s'()=!.]*", python), f"unsupported condition: {expression}"
    return bool(eval(python, {"__builtins__": {}}))


# The GitHub CLI as the recipes call it, answering from a JSON state file: the pull requests of
# a commit, workflow runs with their artifacts (a directory each, or null once expired), and the
# comments posted. Every call is logged. Like the real gh in Actions, it needs GH_TOKEN and, with
# no git remote to read, GH_REPO.
FAKE_GH = """\
import json, os, shutil, sys

state_path = os.environ["FAKE_GH_STATE"]
with open(state_path, encoding="utf-8") as file:
    state = json.load(file)
args = sys.argv[1:]
with open(state["log"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
if not os.environ.get("GH_TOKEN"):
    sys.exit("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment variable.")
if os.environ.get("GH_REPO") != state["repo"]:
    sys.exit("gh: could not determine base repo")


def option(name, default=None):
    return args[args.index(name) + 1] if name in args else default


def runs(**where):
    return [r for r in state["runs"] if all(r[k] == v for k, v in where.items() if v is not None)]


repo = "repos/" + state["repo"] + "/"
if args[0] == "api" and args[1].startswith(repo + "commits/") and args[1].endswith("/pulls"):
    print(json.dumps(state["pulls"].get(args[1].split("/")[-2], [])))
elif args[0] == "api" and args[1].startswith(repo + "actions/runs/"):
    (run,) = runs(databaseId=int(args[1].split("/")[-2]))
    listed = [{"name": n, "expired": d is None} for n, d in run["artifacts"].items()]
    print(json.dumps({"total_count": len(listed), "artifacts": listed}))
elif args[:2] == ["run", "list"]:
    found = runs(
        workflow=option("--workflow"),
        headSha=option("--commit"),
        event=option("--event"),
        conclusion=option("--status"),
    )[::-1][: int(option("--limit", "20"))]  # newest first
    fields = option("--json").split(",")
    print(json.dumps([{f: r[f] for f in fields} for r in found]))
elif args[:2] == ["run", "download"]:
    (run,) = runs(databaseId=int(args[2]))
    source = run["artifacts"].get(option("--name"))
    if source is None:
        sys.exit("no artifact matches any of the names or patterns provided")
    shutil.copytree(source, option("--dir"), dirs_exist_ok=True)
elif args[:2] == ["pr", "comment"]:
    with open(option("--body-file"), encoding="utf-8") as body:
        state["comments"].append({"pr": args[2], "body": body.read()})
    with open(state_path, "w", encoding="utf-8") as file:
        json.dump(state, file)
else:
    sys.exit("fake gh: unexpected call " + " ".join(args))
"""


class FakeGh:
    """The state the fake `gh` answers from, kept in the runner's workspace."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.path = runner.workspace / ".gh-state.json"
        self.log = runner.workspace / ".gh-calls"
        runner.bin.mkdir(exist_ok=True)
        script = runner.bin / "gh"
        script.write_text(f"#!{sys.executable}\n{FAKE_GH}")
        script.chmod(0o755)
        repo = runner.github["repository"]
        self.save({"repo": repo, "log": str(self.log), "pulls": {}, "runs": [], "comments": []})
        runner.extra["FAKE_GH_STATE"] = str(self.path)

    @property
    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.path.read_text())
        return result

    def save(self, state: Mapping[str, Any]) -> None:
        self.path.write_text(json.dumps(state))

    @property
    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    @property
    def comments(self) -> list[dict[str, str]]:
        comments: list[dict[str, str]] = self.state["comments"]
        return comments

    def artifact(self, run_id: int, *files: str) -> Path:
        """A copy of the workspace's `files`, as upload-artifact would keep them for a run."""
        kept = self.runner.workspace / ".artifacts" / str(run_id)
        kept.mkdir(parents=True)
        for name in files:
            shutil.copy(self.runner.workspace / name, kept)
        return kept

    def merged(self, number: int, head: str) -> None:
        """Pull request `number`, whose head commit was `head`, merged as the runner's commit."""
        sha = self.runner.github["sha"]
        pull = {"number": number, "merge_commit_sha": sha, "head": {"sha": head}}
        self.save({**self.state, "pulls": {sha: [pull]}})

    def run(
        self,
        run_id: int,
        workflow: str,
        head: str,
        *,
        event: str,
        conclusion: str,
        artifacts: Mapping[str, Path | None],
    ) -> None:
        """A finished workflow run, newer than those before it; an artifact is a directory whose
        files it holds, or None once expired."""
        run = {
            "databaseId": run_id,
            "url": f"https://github.com/acme/phones/actions/runs/{run_id}",
            "workflow": workflow,
            "headSha": head,
            "event": event,
            "conclusion": conclusion,
            "artifacts": {name: str(d) if d else None for name, d in artifacts.items()},
        }
        self.save({**self.state, "runs": [*self.state["runs"], run]})


@pytest.fixture
def runner(emulator: Emulator, tmp_path: Path) -> Runner:
    shutil.copy(REPO / "examples" / "numbers.yaml", tmp_path / "numbers.yaml")
    return Runner(tmp_path, emulator)


@pytest.fixture
def gh(runner: Runner) -> FakeGh:
    return FakeGh(runner)


def rendered(body: str) -> list[Any]:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(body)


HEAD = "feed" * 10  # the pull request's head commit, where its plan was made


def test_pull_request_plan_then_merge_apply_then_drift(runner: Runner, gh: FakeGh) -> None:
    # The pull request: changes are a success (exit 2), posted as markdown.
    outputs = runner.run_workflow("numbersync-plan.yml")
    # examples/numbers.yaml switches the forwarding of one number on: one risky change.
    assert outputs == {"exitcode": "2", "risky": "1"}
    assert not runner.failed, runner.results["Validate and plan"].stderr
    assert "Fail on errors" not in runner.results
    body = (runner.workspace / "plan.md").read_text()
    assert body.startswith(MARKDOWN_MARKER + "\n") and len(body) < MARKDOWN_LIMIT
    tokens = rendered(body)
    assert any(t.type == "table_open" for t in tokens)
    assert any(t.type == "html_block" and "<details>" in t.content for t in tokens)
    assert any(t.type == "fence" and t.info == "diff" for t in tokens)
    assert "Plan: 3 to change" in body
    assert body in runner.summary.read_text()
    saved = json.loads((runner.workspace / "plan.json").read_text())
    assert saved["format_version"] == 1 and len(saved["changes"]) == 6

    # Before the merge, the scheduled drift check sees the same changes.
    assert runner.run_workflow("numbersync-drift.yml") == {"exitcode": "2"}
    assert not runner.failed
    assert (runner.workspace / "drift.md").read_text().startswith(MARKDOWN_MARKER)

    # The merge: the reviewed plan, kept by the pull request's run, is applied; then the summary
    # step shows the report.
    kept = gh.artifact(101, "plan.json")
    gh.run(101, "numbersync-plan.yml", HEAD, event="pull_request", conclusion="success",
           artifacts={"numbersync-plan": kept})  # fmt: skip
    gh.merged(7, HEAD)
    runner.run_workflow("numbersync-apply.yml")
    assert not runner.failed, runner.results["Apply"].stderr
    assert runner.outputs["reviewed"] == {"plan": "reviewed/plan.json", "pr": "7"}
    assert "[3/3]" in runner.results["Apply"].stderr  # progress on stderr, the report on stdout
    summary = runner.summary.read_text()
    assert summary.startswith(
        f"Applying the reviewed plan of pull request #7 at its head commit {HEAD[:12]} "
        "([run](https://github.com/acme/phones/actions/runs/101)).\n"
    )
    assert "Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent." in summary
    assert gh.comments == []

    # Afterwards: no drift, and a new pull request plans clean.
    assert runner.run_workflow("numbersync-drift.yml") == {"exitcode": "0"}
    assert runner.run_workflow("numbersync-plan.yml") == {"exitcode": "0", "risky": "0"}
    assert "No changes." in (runner.workspace / "plan.md").read_text()


@pytest.mark.usefixtures("tree_support")
def test_the_recipes_plan_apply_and_watch_a_directory(runner: Runner, gh: FakeGh) -> None:
    (runner.workspace / "numbers.yaml").unlink()
    write_tree(runner.workspace)
    runner.extra["CONFIG"] = "numbers"  # the one setting a directory needs

    assert runner.run_workflow("numbersync-plan.yml") == {"exitcode": "2", "risky": "1"}
    assert "Plan: 3 to change" in (runner.workspace / "plan.md").read_text()
    gh.run(101, "numbersync-plan.yml", HEAD, event="pull_request", conclusion="success",
           artifacts={"numbersync-plan": gh.artifact(101, "plan.json")})  # fmt: skip
    gh.merged(7, HEAD)
    runner.run_workflow("numbersync-apply.yml")
    assert not runner.failed, runner.results["Apply"].stderr
    assert runner.outputs["reviewed"]["plan"] == "reviewed/plan.json"
    assert (
        "Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent." in runner.summary.read_text()
    )
    assert runner.run_workflow("numbersync-drift.yml") == {"exitcode": "0"}


@pytest.mark.parametrize(
    ("broken", "annotation"),
    [
        ("    forwad_to: x\n", "::error file=numbers.yaml,line="),  # a file error: validate
        ("    participants: [nobody@acme.example]\n", "::error file=numbers.yaml,line="),  # plan
    ],
    ids=["file-error", "reference-error"],
)
def test_pull_request_errors_are_posted_annotated_and_fail(
    runner: Runner, broken: str, annotation: str
) -> None:
    config = runner.workspace / "numbers.yaml"
    text = config.read_text()
    config.write_text(text.replace("    label: Sales line\n", "    label: Sales line\n" + broken))
    outputs = runner.run_workflow("numbersync-plan.yml")
    assert outputs == {"exitcode": "1", "risky": "0"}
    step = runner.results["Validate and plan"]
    assert step.returncode == 0, "the step records the error, so that the comment is posted"
    assert annotation in step.stdout
    assert runner.failed and runner.results["Fail on errors"].returncode == 1
    body = (runner.workspace / "plan.md").read_text()
    assert body.startswith(MARKDOWN_MARKER + "\n### numbersync plan failed")
    assert "numbers.yaml:" in body and "Error: 1 error found" in body


def test_a_bad_key_fails_the_drift_check(runner: Runner) -> None:
    runner.key = "wrong"
    assert runner.run_workflow("numbersync-drift.yml") == {"exitcode": "1"}
    assert runner.failed
    assert "CLOSE_API_KEY was rejected" in runner.results["Plan"].stderr


# --- the scripts that post the plan: github-script with a fake GitHub ---------------------------

HARNESS = """
const state = JSON.parse(process.env.FAKE_GITHUB);
const calls = [];
const record = (name, result) => async (params) => { calls.push([name, params]); return result(params); };
const github = {
  paginate: async (method, params) => (await method(params)).data,
  rest: { issues: {
    listComments: record('listComments', () => ({ data: state.comments })),
    listLabelsOnIssue: record('listLabelsOnIssue', () => ({ data: state.pr_labels })),
    addLabels: record('addLabels', () => ({ data: {} })),
    removeLabel: record('removeLabel', () => ({ data: {} })),
    createComment: record('createComment', () => ({ data: {} })),
    updateComment: record('updateComment', () => ({ data: {} })),
    listForRepo: record('listForRepo', () => ({ data: state.issues })),
    getLabel: record('getLabel', (p) => {
      if (state.labels.includes(p.name)) return { data: {} };
      throw Object.assign(new Error('Not Found'), { status: 404 });
    }),
    createLabel: record('createLabel', () => ({ data: {} })),
    create: record('create', () => ({ data: {} })),
    update: record('update', () => ({ data: {} })),
  } },
};
const context = { repo: { owner: 'acme', repo: 'phones' }, issue: { number: 7 },
                  serverUrl: 'https://github.com', runId: 42 };
(async () => {
SCRIPT
})().then(() => console.log(JSON.stringify(calls)), (e) => { console.error(e); process.exit(1); });
"""


def github_script(
    workflow: str,
    step_name: str,
    workspace: Path,
    step_env: dict[str, str] | None = None,
    **state: Any,
) -> list[Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    workflow_doc = load(GITHUB / workflow)
    step = next(s for s in steps(workflow_doc) if s.get("name") == step_name)
    harness = workspace / "harness.js"
    harness.write_text(HARNESS.replace("SCRIPT", step["with"]["script"]))
    fake = {"comments": [], "issues": [], "labels": [], "pr_labels": [], **state}
    env = {
        **os.environ,
        **workflow_doc.get("env", {}),
        **(step_env or {}),
        "FAKE_GITHUB": json.dumps(fake),
    }
    result = subprocess.run(
        [node, str(harness)], cwd=workspace, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    calls: list[Any] = json.loads(result.stdout)
    return [call for call in calls if not call[0].startswith(("list", "get"))]


def bot(comment_id: int, body: str) -> dict[str, Any]:
    return {"id": comment_id, "body": body, "user": {"login": "github-actions[bot]"}}


def test_the_plan_comment_is_created_once_then_updated(tmp_path: Path) -> None:
    body = MARKDOWN_MARKER + "\n### numbersync plan\n"
    (tmp_path / "plan.md").write_text(body)
    step = "Post or update the plan comment"
    created = github_script("numbersync-plan.yml", step, tmp_path)
    assert created == [
        ["createComment", {"owner": "acme", "repo": "phones", "issue_number": 7, "body": body}]
    ]
    quoted = {"id": 1, "body": f"why {MARKDOWN_MARKER}?", "user": {"login": "alice"}}
    comments = [quoted, bot(2, "thanks"), bot(3, MARKDOWN_MARKER + "\nold plan")]
    updated = github_script("numbersync-plan.yml", step, tmp_path, comments=comments)
    assert updated == [
        ["updateComment", {"owner": "acme", "repo": "phones", "comment_id": 3, "body": body}]
    ]


@pytest.mark.parametrize(
    ("risky", "labels", "calls"),
    [
        ("1", [], [["addLabels", {"labels": ["numbersync: risky"]}]]),
        ("2", [{"name": "numbersync: risky"}], []),
        ("0", [{"name": "numbersync: risky"}], [["removeLabel", {"name": "numbersync: risky"}]]),
        ("0", [{"name": "other"}], []),
    ],
    ids=["added", "kept", "removed", "none"],
)
def test_a_pull_request_with_risky_changes_is_labelled(
    tmp_path: Path, risky: str, labels: list[dict[str, str]], calls: list[Any]
) -> None:
    made = github_script(
        "numbersync-plan.yml",
        "Label risky changes",
        tmp_path,
        step_env={"RISKY": risky},
        pr_labels=labels,
    )
    where = {"owner": "acme", "repo": "phones", "issue_number": 7}
    assert made == [[name, {**where, **params}] for name, params in calls]


def test_drift_opens_one_labelled_issue_then_updates_and_closes_it(tmp_path: Path) -> None:
    plan = MARKDOWN_MARKER + "\n### numbersync plan\n" + "x" * (MARKDOWN_LIMIT - 100)
    (tmp_path / "drift.md").write_text(plan)
    opened = github_script("numbersync-drift.yml", "Open or update the drift issue", tmp_path)
    assert [name for name, _ in opened] == ["createLabel", "create"]
    issue = opened[1][1]
    assert issue["labels"] == ["drift"] and issue["body"].endswith(plan)
    assert len(issue["body"]) <= 65_536, "GitHub's limit for an issue body"

    existing = [{"number": 9, "body": issue["body"]}, {"number": 8, "body": "unrelated drift"}]
    updated = github_script(
        "numbersync-drift.yml",
        "Open or update the drift issue",
        tmp_path,
        issues=existing,
        labels=["drift"],
    )
    assert [(name, params.get("issue_number")) for name, params in updated] == [("update", 9)]

    closed = github_script(
        "numbersync-drift.yml", "Close the drift issue", tmp_path, issues=existing
    )
    assert [(name, params["issue_number"]) for name, params in closed] == [
        ("createComment", 9),
        ("update", 9),
    ]
    assert closed[1][1]["state"] == "closed"


# --- GitLab: the merge request job against the emulator and a fake GitLab notes API -------------


class FakeGitLab(BaseHTTPRequestHandler):
    notes: list[dict[str, Any]]
    requests: list[tuple[str, str, Any]]

    def _reply(self, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        assert self.headers["PRIVATE-TOKEN"] == "glpat-fake"
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def do_GET(self) -> None:
        self.requests.append(("GET", self.path, self._body()))
        self._reply(self.notes)

    def do_PUT(self) -> None:
        self.requests.append(("PUT", self.path, self._body()))
        self._reply({})

    def do_POST(self) -> None:
        self.requests.append(("POST", self.path, self._body()))
        self._reply({})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gitlab() -> Iterator[tuple[str, type[FakeGitLab]]]:
    handler = type("Handler", (FakeGitLab,), {"notes": [], "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v4", handler
    server.shutdown()
    server.server_close()


def test_gitlab_merge_request_plan_posts_then_updates_one_note(
    runner: Runner, gitlab: tuple[str, type[FakeGitLab]]
) -> None:
    api, handler = gitlab
    job = gitlab_jobs()["numbersync-plan"]
    env = runner.env({**load(GITLAB)["variables"], "CLOSE_API_KEY": runner.emulator.admin_key})
    env.update(
        CI_API_V4_URL=api,
        CI_PROJECT_ID="12",
        CI_MERGE_REQUEST_IID="5",
        NUMBERSYNC_NOTE_TOKEN="glpat-fake",
    )
    script = "\n".join(job["script"])  # GitLab runs a job's lines in one shell
    result = runner.bash(script, env)
    assert result.returncode == 0, result.stderr  # changes are not a failure
    body = (runner.workspace / "plan.md").read_text()
    assert body.startswith(MARKDOWN_MARKER)
    notes = "/api/v4/projects/12/merge_requests/5/notes"
    assert handler.requests[-1] == ("POST", notes, {"body": body})

    handler.notes = [{"id": 31, "system": False, "body": body}]
    handler.requests.clear()
    (runner.workspace / "numbers.yaml").write_text("version: 2\nnumbers: {}\n")
    result = runner.bash(script, env)
    assert result.returncode == 1, "an error fails the job, after the note is updated"
    put = handler.requests[-1]
    assert put[:2] == ("PUT", f"{notes}/31") and "numbersync plan failed" in put[2]["body"]


def test_gitlab_drift_job_exits_2_on_drift(runner: Runner) -> None:
    job = gitlab_jobs()["numbersync-drift"]
    env = runner.env({**load(GITLAB)["variables"], "CLOSE_API_KEY": runner.emulator.admin_key})
    result = runner.bash("\n".join(job["script"]), env)
    assert result.returncode == 2, result.stderr
    assert "Plan: 3 to change" in result.stdout
