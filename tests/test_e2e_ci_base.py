"""The pull request's base reaches `plan --base` by itself: in `numbersync ci plan` (the GitHub
Action) from the checkout's merge commit or the event, and in the GitLab component from the merge
request's diff base, fetched. Real Git repositories, made in the tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from test_ci_github import FakeGitHub, FakeNumbersync, context, options
from test_e2e_ci_recipes import (
    GITHUB,
    FakeGitHubApi,
    FakeGitLab,
    Runner,
    github_api,
    gitlab,
    gitlab_jobs,
    pull_request_7_routes,
    run_action,
)

from numbersync.ci import jobs
from numbersync.ci.prbase import pull_request_base
from numbersync.emulator import Emulator

__all__ = ["github_api", "gitlab"]  # fixtures, used by name

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
LONDON_PARTICIPANTS = "    participants: [carol@acme.example]\n"
LET_GO = 'no longer managed: +44 20 7946 0958 participants (Close keeps ["carol@acme.example"])'


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def pull_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A repository as actions/checkout leaves a pull request: main holds examples/numbers.yaml,
    the branch drops London's participants, and HEAD is their merge. Returns the commits."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(work)
    git(work, "init", "-q", "-b", "main")
    (work / "numbers.yaml").write_text(NUMBERS_YAML.read_text())
    git(work, "add", "numbers.yaml")
    git(work, "commit", "-q", "-m", "base")
    git(work, "checkout", "-q", "-b", "change")
    text = NUMBERS_YAML.read_text().replace(LONDON_PARTICIPANTS, "")
    (work / "numbers.yaml").write_text(text)
    git(work, "commit", "-q", "-am", "London rings its group only")
    git(work, "checkout", "-q", "main")
    (work / "README.md").write_text("main moved on\n")
    git(work, "add", "README.md")
    git(work, "commit", "-q", "-m", "main moved on")
    base = git(work, "rev-parse", "HEAD")
    git(work, "merge", "-q", "--no-ff", "-m", "merge", "change")
    return {"base": base, "merge": git(work, "rev-parse", "HEAD")}


def test_the_merge_commits_first_parent_is_the_base(
    pull_request: dict[str, str], tmp_path: Path
) -> None:
    ctx = context(tmp_path, "pull_request", pull_request=7, sha=pull_request["merge"])

    assert pull_request_base(ctx) == (pull_request["base"], "")


def test_a_checkout_of_depth_1_has_no_base_and_says_why(
    pull_request: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shallow = tmp_path / "shallow"
    source = f"file://{Path.cwd()}"
    git(tmp_path, "clone", "-q", "--depth", "1", source, str(shallow))
    monkeypatch.chdir(shallow)
    ctx = context(
        tmp_path,
        "pull_request",
        pull_request=7,
        sha=pull_request["merge"],
        base_sha=pull_request["base"],
    )

    assert pull_request_base(ctx) == (
        None,
        f"the pull request's base {pull_request['base'][:12]} is not in the checkout, so the "
        "plan does not list what the change stops managing; check out with `fetch-depth: 2` "
        "(actions/checkout)",
    )


def test_the_events_base_serves_when_head_is_not_the_merge_commit(
    pull_request: dict[str, str], tmp_path: Path
) -> None:
    # The workflow checked out the pull request's head (itself no merge commit here), not
    # GITHUB_SHA: the event's base, which the full clone holds, is used.
    git(Path.cwd(), "checkout", "-q", "change")
    ctx = context(
        tmp_path,
        "pull_request",
        pull_request=7,
        sha=pull_request["merge"],
        base_sha=pull_request["base"],
    )

    assert pull_request_base(ctx) == (pull_request["base"], "")


def test_no_pull_request_no_base(tmp_path: Path) -> None:
    calls: list[tuple[str, ...]] = []

    def fake_git(*args: str) -> str | None:
        calls.append(args)
        return None

    assert pull_request_base(context(tmp_path), fake_git) == (None, "")
    assert calls == []  # a push or a schedule: git is not even asked


def test_the_plan_job_passes_the_base(tmp_path: Path) -> None:
    run = FakeNumbersync(plan=2)
    github = FakeGitHub()
    github.route("GET /repos/acme/phones/issues/7/comments", [])
    github.route("POST /repos/acme/phones/issues/7/comments", {"id": 1}, 201)
    github.route("GET /repos/acme/phones/issues/7/labels", [])
    github.route("POST /repos/acme/phones/issues/7/labels", [])
    ctx = context(tmp_path, "pull_request", pull_request=7)

    code = jobs.plan_job(ctx, github.client(), options(tmp_path, base="abc123"), run)

    assert code == 0
    work = tmp_path / "work"
    assert run.calls == [
        [
            *["plan", "-c", "numbers.yaml", "--format", "markdown", "--out"],
            *[str(work / "plan.json"), "--base", "abc123", "--detailed-exitcode"],
        ]
    ]


def test_the_action_compares_the_pull_request_with_its_base(
    emulator: Emulator,
    pull_request: dict[str, str],
    github_api: tuple[str, type[FakeGitHubApi]],
) -> None:
    api, handler = github_api
    handler.routes = pull_request_7_routes()
    workspace = Path.cwd()
    event = {
        "name": "pull_request",
        "pull_request": {"number": 7, "base": {"sha": pull_request["base"]}},
    }

    result, outputs = run_action(workspace, emulator, api, GITHUB / "numbersync-plan.yml", event)

    assert result.returncode == 0, result.stderr
    body = next(body for method, _, body in handler.requests if method == "POST")["body"]
    assert f"**Compared with the base {pull_request['base']}, the config no longer manages" in body
    assert (
        "- no longer managed: +44 20 7946 0958 `participants` (Close keeps "
        '`["carol@acme.example"]`)'
    ) in body
    plan = json.loads(Path(outputs["plan-path"]).read_text())
    assert plan["base"]["name"] == pull_request["base"]


def test_the_action_without_the_base_in_the_checkout_plans_and_warns(
    emulator: Emulator, tmp_path: Path, github_api: tuple[str, type[FakeGitHubApi]]
) -> None:
    api, handler = github_api
    handler.routes = pull_request_7_routes()
    shutil.copy(NUMBERS_YAML, tmp_path / "numbers.yaml")  # no repository at all
    event = {"name": "pull_request", "pull_request": {"number": 7, "base": {"sha": "f" * 40}}}

    result, outputs = run_action(tmp_path, emulator, api, GITHUB / "numbersync-plan.yml", event)

    assert result.returncode == 0, result.stderr
    assert outputs["exit-code"] == "2"
    assert (
        "::warning::the pull request's base ffffffffffff is not in the checkout, so the plan does "
        "not list what the change stops managing; check out with `fetch-depth: 2` "
        "(actions/checkout)\n"
    ) in result.stdout
    assert "no longer managed" not in json.dumps(handler.requests)


def test_the_plan_workflow_checks_out_the_base_too() -> None:
    text = (GITHUB / "numbersync-plan.yml").read_text()
    assert "          fetch-depth: 2 #" in text


def test_the_gitlab_plan_job_fetches_the_merge_requests_base(
    emulator: Emulator,
    tmp_path: Path,
    pull_request: dict[str, str],
    gitlab: tuple[str, type[FakeGitLab]],
) -> None:
    # The runner's shallow clone of the source branch only, its origin the project.
    origin = Path.cwd()
    workspace = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        "change",
        f"file://{origin}",
        str(workspace),
    )
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")  # as GitLab's Gitaly does
    runner = Runner(workspace, emulator)
    api, _ = gitlab
    job = gitlab_jobs()["numbersync-plan"]
    env = runner.env({**job["variables"], "CLOSE_API_KEY": emulator.admin_key})
    env.update(
        CI_API_V4_URL=api,
        CI_PROJECT_ID="12",
        CI_MERGE_REQUEST_IID="5",
        NUMBERSYNC_NOTE_TOKEN="glpat-fake",
        CI_MERGE_REQUEST_DIFF_BASE_SHA=pull_request["base"],
        GIT_CEILING_DIRECTORIES=str(tmp_path),
    )

    result = runner.bash("\n".join(job["script"]), env)

    assert result.returncode == 0, result.stderr
    note = (workspace / "plan.md").read_text()
    assert f"Compared with the base {pull_request['base']}" in note
    assert '`participants` (Close keeps `["carol@acme.example"]`)' in note
    # The work tree is the merge request's: the base was fetched, not checked out.
    assert (
        git(workspace, "status", "--porcelain") == "?? errors.txt\n?? plan.json\n?? plan.md".strip()
    )


def test_the_gitlab_plan_job_without_a_base_plans_and_says_so(
    emulator: Emulator, tmp_path: Path, gitlab: tuple[str, type[FakeGitLab]]
) -> None:
    shutil.copy(NUMBERS_YAML, tmp_path / "numbers.yaml")
    runner = Runner(tmp_path, emulator)
    api, _ = gitlab
    job = gitlab_jobs()["numbersync-plan"]
    env = runner.env({**job["variables"], "CLOSE_API_KEY": emulator.admin_key})
    env.update(CI_API_V4_URL=api, CI_PROJECT_ID="12", CI_MERGE_REQUEST_IID="5")
    env.update(NUMBERSYNC_NOTE_TOKEN="glpat-fake", GIT_CEILING_DIRECTORIES=str(tmp_path.parent))

    result = runner.bash("\n".join(job["script"]), env)

    assert result.returncode == 0, result.stderr
    assert (
        "The merge request's base could not be fetched: the plan does not list what the change "
        "stops managing.\n"
    ) in result.stderr
    assert "Plan: 3 to change" in (tmp_path / "plan.md").read_text()
