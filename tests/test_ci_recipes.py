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

pytestmark = pytest.mark.usefixtures("time_limit")

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
    permissions = workflow["permissions"]
    assert isinstance(permissions, dict) and permissions["contents"] == "read"
    assert set(permissions.values()) <= {"read", "write"}
    for job in workflow["jobs"].values():
        assert "permissions" not in job, "permissions are set once, for the workflow"
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
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
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
    assert workflow["permissions"] == {"contents": "read"}
    applies = [c for s in steps(workflow) for c in command_lines(s.get("run", "")) if " apply" in c]
    assert len(applies) == 1 and "--auto-approve" in applies[0]
    assert workflow["defaults"]["run"]["shell"] == "bash"  # pipefail: `| tee` keeps the exit code


def test_the_drift_workflow() -> None:
    workflow = load(GITHUB / "numbersync-drift.yml")
    assert "schedule" in triggers(workflow)
    assert workflow["permissions"] == {"contents": "read", "issues": "write"}
    text = (GITHUB / "numbersync-drift.yml").read_text()
    assert "--detailed-exitcode" in text and "labels: [label]" in text


def test_the_gitlab_pipeline() -> None:
    jobs = gitlab_jobs()
    plan, apply, drift = jobs["numbersync-plan"], jobs["numbersync-apply"], jobs["numbersync-drift"]
    assert "merge_request_event" in plan["rules"][0]["if"]
    assert plan["variables"]["CLOSE_API_KEY"] == "$CLOSE_PLAN_API_KEY"
    assert apply["resource_group"] and "--auto-approve" in " ".join(apply["script"])
    assert "$CI_DEFAULT_BRANCH" in apply["rules"][0]["if"]
    assert '"schedule"' in drift["rules"][0]["if"]
    assert drift["allow_failure"] == {"exit_codes": [2]}
    assert "python:3.11" in load(GITLAB)["default"]["image"]


def test_the_pre_commit_hook() -> None:
    (hook,) = load(REPO / ".pre-commit-hooks.yaml")
    assert hook["id"] == "numbersync-validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for name in ("numbers.yaml", "config/numbers.yaml", "numbers.yml"):
        assert files.search(name), name
    for name in ("numbers.yaml.bak", "other.yaml", "mynumbers.yaml"):
        assert not files.search(name), name
    # As pre-commit runs it, with the `-c` argument the docs show.
    args = [*shlex.split(hook["entry"]), "-c", "examples/numbers.yaml"]
    assert check_cli(args[1:]).info_name == "validate"
    result = subprocess.run(
        [f"{BIN}/{args[0]}", *args[1:]], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


# --- the workflows run: their shell steps against the emulator ----------------------------------


class Runner:
    """Runs a workflow's shell steps the way GitHub's runner does, in one workspace: `if:`
    conditions evaluated, outputs collected per step id, the secret filled with `key`."""

    def __init__(self, workspace: Path, emulator: Emulator) -> None:
        self.workspace = workspace
        self.emulator = emulator
        self.key = emulator.admin_key
        self.output = workspace / ".github-output"
        self.summary = workspace / ".github-summary"
        self.last: subprocess.CompletedProcess[str] | None = None
        self.results: dict[str, subprocess.CompletedProcess[str]] = {}  # by step name

    def env(self, variables: Mapping[str, Any]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOSE_", "GITHUB_"))}
        for name, value in variables.items():
            text = self.key if value == SECRET else str(value)
            env[name] = "" if "${{" in text else text
        env["CLOSE_API_URL"] = self.emulator.url  # where the recipe leaves Close's default
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
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
        is `plan` (the ones the later steps' conditions read)."""
        workflow = load(GITHUB / name)
        self.summary.write_text("")
        self.results = {}
        outputs: dict[str, dict[str, str]] = {}
        failed = False
        for step in steps(workflow):
            if "run" not in step or "pip install" in step["run"]:
                continue
            if not condition(step.get("if", ""), outputs, failed=failed):
                continue
            self.output.write_text("")
            env = self.env({**workflow.get("env", {}), **step.get("env", {})})
            env.update(GITHUB_OUTPUT=str(self.output), GITHUB_STEP_SUMMARY=str(self.summary))
            result = self.results[step["name"]] = self.bash(step["run"], env)
            lines = self.output.read_text().splitlines()
            outputs[step.get("id", "")] = dict(line.split("=", 1) for line in lines)
            failed = failed or result.returncode != 0
        return outputs.get("plan", {})

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


@pytest.fixture
def runner(emulator: Emulator, tmp_path: Path) -> Runner:
    shutil.copy(REPO / "examples" / "numbers.yaml", tmp_path / "numbers.yaml")
    return Runner(tmp_path, emulator)


def rendered(body: str) -> list[Any]:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(body)


def test_pull_request_plan_then_merge_apply_then_drift(runner: Runner) -> None:
    # The pull request: changes are a success (exit 2), posted as markdown.
    outputs = runner.run_workflow("numbersync-plan.yml")
    assert outputs == {"exitcode": "2"}
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

    # The merge: apply, then the summary step shows the report.
    runner.run_workflow("numbersync-apply.yml")
    assert not runner.failed, runner.results["Apply"].stderr
    assert "[3/3]" in runner.results["Apply"].stderr  # progress on stderr, the report on stdout
    assert (
        "Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent." in runner.summary.read_text()
    )

    # Afterwards: no drift, and a new pull request plans clean.
    assert runner.run_workflow("numbersync-drift.yml") == {"exitcode": "0"}
    assert runner.run_workflow("numbersync-plan.yml") == {"exitcode": "0"}
    assert "No changes." in (runner.workspace / "plan.md").read_text()


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
    assert outputs == {"exitcode": "1"}
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


def github_script(workflow: str, step_name: str, workspace: Path, **state: Any) -> list[Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    workflow_doc = load(GITHUB / workflow)
    step = next(s for s in steps(workflow_doc) if s.get("name") == step_name)
    harness = workspace / "harness.js"
    harness.write_text(HARNESS.replace("SCRIPT", step["with"]["script"]))
    fake = {"comments": [], "issues": [], "labels": [], **state}
    env = {**os.environ, **workflow_doc.get("env", {}), "FAKE_GITHUB": json.dumps(fake)}
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
