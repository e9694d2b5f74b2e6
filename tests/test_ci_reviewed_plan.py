"""The merge applies what was reviewed: the apply recipes' steps find the pull request's saved
plan, check that it was made from the merged config, and apply it, post a fresh plan for a new
review when Close changed since, or fall back to a fresh plan and say so; run against the
emulator with fake `gh` and GitLab APIs."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from helpers import cli
from test_ci_recipes import GITLAB, FakeGh, Runner, gh, gitlab_jobs, load, runner

from numbersync import config
from numbersync.cli import main
from numbersync.render import MARKDOWN_MARKER

if TYPE_CHECKING:
    from numbersync.emulator import Emulator

__all__ = ["gh", "runner"]  # the fixtures, shared with test_ci_recipes

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "numbers.yaml"


# --- validate --format json: the fingerprint the recipes compare ---------------------------------


def test_validate_prints_the_count_and_the_fingerprint_a_plan_of_this_config_carries() -> None:
    result = CliRunner().invoke(main, ["validate", "-c", str(EXAMPLE), "--format", "json"])

    assert result.exit_code == 0, result.output
    fingerprint = config.load(str(EXAMPLE)).fingerprint
    assert fingerprint.startswith("sha256:") and len(fingerprint) == 7 + 64
    assert result.stdout == f'{{"ok": true, "numbers": 5, "fingerprint": "{fingerprint}"}}\n'


def test_validate_json_of_a_file_with_errors_prints_nothing_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "numbers.yaml"
    bad.write_text('version: 1\nnumbers:\n  "+16503334444":\n    forwad_to: x\n')

    result = CliRunner().invoke(main, ["validate", "-c", str(bad), "--format", "json"])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{bad}:4:5: $.numbers[\"+16503334444\"].forwad_to: unknown key 'forwad_to'"
        " (did you mean 'forward_to'?)\nError: 1 error found\n"
    )


def test_validate_text_is_unchanged() -> None:
    result = CliRunner().invoke(main, ["validate", "-c", str(EXAMPLE)])
    assert (result.exit_code, result.stdout) == (0, "OK: 5 numbers\n")


def test_a_saved_plan_carries_the_fingerprint_validate_prints(
    emulator: Emulator, tmp_path: Path
) -> None:
    # What the apply recipes compare: validate's fingerprint and the plan's config.fingerprint.
    planfile = tmp_path / "plan.json"
    assert cli(emulator, "plan", "-c", str(EXAMPLE), "--out", str(planfile)).exit_code == 0
    validated = cli(emulator, "validate", "-c", str(EXAMPLE), "--format", "json")
    saved = json.loads(planfile.read_text())
    assert saved["config"]["fingerprint"] == json.loads(validated.stdout)["fingerprint"]


# --- GitHub: numbersync-apply.yml after numbersync-plan.yml, with a fake gh ----------------------

HEAD = "feed" * 10  # the pull request's head commit, where its plan was made
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
SUPPORT_LINE = "phon_demoSupportLine00000000000000000000001"
ALICE_DIRECT = "phon_demoAliceDirect00000000000000000000001"


def puts(emulator: Emulator) -> dict[str, Any]:
    return {r.path.split("/")[2]: r.body for r in emulator.requests if r.method == "PUT"}


def reviewed(runner: Runner, gh: FakeGh, *, run_id: int = 101) -> None:
    """The pull request's run plans (and keeps plan.json); then it is merged."""
    assert runner.run_workflow("numbersync-plan.yml") == {"exitcode": "2", "risky": "1"}
    kept = gh.artifact(run_id, "plan.json")
    gh.run(run_id, "numbersync-plan.yml", HEAD, event="pull_request", conclusion="success",
           artifacts={"numbersync-plan": kept})  # fmt: skip
    gh.merged(7, HEAD)
    runner.emulator.reset_log()


def test_the_reviewed_plan_is_found_at_the_head_commit_and_applied(
    runner: Runner, gh: FakeGh
) -> None:
    reviewed(runner, gh)
    sha, repo = runner.github["sha"], runner.github["repository"]

    runner.run_workflow("numbersync-apply.yml")

    assert not runner.failed, runner.last and runner.last.stderr
    assert gh.calls == [
        ["api", f"repos/{repo}/commits/{sha}/pulls"],
        ["run", "list", "--workflow", "numbersync-plan.yml", "--commit", HEAD, "--event",
         "pull_request", "--status", "success", "--limit", "20", "--json", "databaseId,url"],
        ["api", f"repos/{repo}/actions/runs/101/artifacts"],
        ["run", "download", "101", "--name", "numbersync-plan", "--dir", "reviewed"],
    ]  # fmt: skip
    assert set(puts(runner.emulator)) == {SALES_LINE, SUPPORT_LINE, ALICE_DIRECT}
    assert "Fail unless everything was applied" not in runner.results
    assert not (runner.workspace / "review.md").exists() and gh.comments == []


def test_a_stale_reviewed_plan_is_refused_and_a_fresh_plan_is_posted_for_review(
    runner: Runner, gh: FakeGh
) -> None:
    reviewed(runner, gh)
    # Between the review and the merge, someone renames the sales line in Close's UI.
    runner.emulator.state.set_number_fields(SALES_LINE, {"label": "Sales (renamed in Close)"})

    runner.run_workflow("numbersync-apply.yml")

    # Refused whole: nothing was written, and the job fails.
    assert puts(runner.emulator) == {}
    apply = runner.results["Apply"]
    assert apply.returncode == 0, "the step records the outcome; the last step fails the job"
    assert runner.outputs["apply"] == {"exitcode": "1", "replan": "true"}
    assert runner.results["Fail unless everything was applied"].returncode == 1
    assert "Error: the saved plan is stale, nothing was applied" in apply.stderr
    # The fresh plan, made from Close as it is now, shows the rename being undone.
    fresh = (runner.workspace / "replan" / "plan.md").read_text()
    assert fresh.startswith(MARKDOWN_MARKER) and "Sales (renamed in Close)" in fresh
    saved = json.loads((runner.workspace / "replan" / "plan.json").read_text())
    assert {"id": SALES_LINE, "field": "label"}.items() <= saved["changes"][0].items()
    # Posted on the merged pull request, and in the job summary, for a new review.
    (comment,) = gh.comments
    assert comment["pr"] == "7"
    body = comment["body"]
    assert body.startswith(
        "**The plan reviewed here was not applied** after the merge "
        "([run](https://github.com/acme/phones/actions/runs/9001)):\n\n```\n"
    )
    assert (
        '  +1 650-333-4444: label was "Sales" in the plan, now "Sales (renamed in Close)"\n' in body
    )
    assert body.endswith(fresh) and len(body) <= 65_536
    assert body in runner.summary.read_text()
    assert runner.outputs["reviewed"] == {"plan": "reviewed/plan.json", "pr": "7"}

    # After the new review, a run by hand on the same commit applies exactly that fresh plan.
    replan = gh.artifact(9001, "replan/plan.json", "replan/plan.md")
    gh.run(9001, "numbersync-apply.yml", runner.github["sha"], event="push",
           conclusion="failure", artifacts={"numbersync-plan": replan})  # fmt: skip
    runner.emulator.reset_log()
    for name in ("review.md", "apply.txt", "reviewed/plan.json"):
        (runner.workspace / name).unlink()
    runner.github.update(event_name="workflow_dispatch", run_id="9002")

    runner.run_workflow("numbersync-apply.yml")

    assert not runner.failed, runner.results["Apply"].stderr
    assert gh.calls[-3:] == [
        ["run", "list", "--workflow", "numbersync-apply.yml", "--commit", runner.github["sha"],
         "--status", "failure", "--limit", "20", "--json", "databaseId,url"],
        ["api", "repos/acme/phones/actions/runs/9001/artifacts"],
        ["run", "download", "9001", "--name", "numbersync-plan", "--dir", "reviewed"],
    ]  # fmt: skip
    assert runner.summary.read_text().startswith(
        "Applying the reviewed fresh plan posted for review by an apply of this commit "
        "([run](https://github.com/acme/phones/actions/runs/9001)).\n"
    )
    assert puts(runner.emulator)[SALES_LINE]["label"] == "Sales line"
    assert len(gh.comments) == 1


def test_a_refused_plan_when_close_already_matches_is_a_success(runner: Runner, gh: FakeGh) -> None:
    reviewed(runner, gh)
    # Someone made the reviewed changes by hand in Close before the merge: every `before` of the
    # plan is stale, and there is nothing left to do.
    assert cli(runner.emulator, "apply", "-c", str(runner.workspace / "numbers.yaml"),
               "--auto-approve").exit_code == 0  # fmt: skip
    runner.emulator.reset_log()

    runner.run_workflow("numbersync-apply.yml")

    assert not runner.failed
    assert runner.outputs["apply"] == {"exitcode": "0"}
    assert puts(runner.emulator) == {} and gh.comments == []
    assert "Close already matches the merged config: nothing is left to apply." in (
        runner.summary.read_text()
    )


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("direct push", "no pull request was merged as this commit (a direct push)"),
        ("expired", f"no saved plan of pull request #7 at its head commit {HEAD[:12]} was found"
                    " (none was made, or it expired)"),
        ("other change", f"the plan of pull request #7 at its head commit {HEAD[:12]} was made"
                         " from config `{reviewed}`, not from the merged `{merged}` (another"
                         " change reached main in between)"),
    ],
)  # fmt: skip
def test_without_a_matching_reviewed_plan_a_fresh_plan_is_applied_and_the_summary_says_so(
    runner: Runner, gh: FakeGh, case: str, reason: str
) -> None:
    reviewed(runner, gh)
    config_path = runner.workspace / "numbers.yaml"
    reviewed_fingerprint = config.load(str(config_path)).fingerprint
    if case == "direct push":
        gh.save({**gh.state, "pulls": {}})
    elif case == "expired":
        gh.save(
            {**gh.state, "runs": [{**gh.state["runs"][0], "artifacts": {"numbersync-plan": None}}]}
        )
    else:  # another pull request reached main between the review and this merge
        config_path.write_text(
            config_path.read_text().replace("label: Support line", "label: Help")
        )
    merged = config.load(str(config_path)).fingerprint
    reason = reason.format(reviewed=reviewed_fingerprint[:19], merged=merged[:19])

    runner.run_workflow("numbersync-apply.yml")

    assert not runner.failed, runner.results["Apply"].stderr
    assert runner.outputs["reviewed"]["plan"] == ""
    assert runner.summary.read_text().startswith(
        f"**No reviewed plan matches the merged config**: {reason}. Falling back to a fresh plan"
        " of the merged config, applied at once: nobody reviewed this plan.\n"
    )
    assert (
        "Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent." in runner.summary.read_text()
    )
    assert len(puts(runner.emulator)) == 3
    download = ["run", "download", "101", "--name", "numbersync-plan", "--dir", "reviewed"]
    assert (download in gh.calls) == (case == "other change")
    assert gh.comments == []


def test_when_github_cannot_be_asked_nothing_is_applied(runner: Runner, gh: FakeGh) -> None:
    reviewed(runner, gh)
    runner.github["token"] = ""  # e.g. the job lacks the token gh needs

    runner.run_workflow("numbersync-apply.yml")

    assert runner.failed and "Apply" not in runner.results
    assert (
        "set the GH_TOKEN environment variable" in runner.results["Find the reviewed plan"].stderr
    )
    assert puts(runner.emulator) == {}


# --- GitLab: the numbersync-apply job after numbersync-plan, with a fake GitLab API --------------

PROJECT = "/api/v4/projects/12"
JOB_URL = "https://gitlab.example/acme/phones/-/jobs/55"


class GitLabApi(BaseHTTPRequestHandler):
    """Answers `METHOD PATH` from `routes` (404 otherwise) and records every request."""

    routes: dict[str, Any]
    requests: list[tuple[str, str, Any]]

    def _serve(self) -> None:
        assert self.headers["PRIVATE-TOKEN"] == "glpat-fake"
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.requests.append((self.command, self.path, body))
        found = self.routes.get(f"{self.command} {self.path}")
        data = found if isinstance(found, bytes) else json.dumps(found).encode()
        self.send_response(404 if found is None else 200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gitlab_api() -> Iterator[tuple[str, type[GitLabApi]]]:
    handler = type("Handler", (GitLabApi,), {"routes": {}, "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def gitlab_job(runner: Runner, api: str, name: str) -> subprocess.CompletedProcess[str]:
    """Job `name`'s script in one shell, as GitLab's runner runs it, on the default branch."""
    env = runner.env({**load(GITLAB)["variables"], "CLOSE_API_KEY": runner.emulator.admin_key})
    env.update(
        CI_API_V4_URL=api + "/api/v4",
        CI_PROJECT_ID="12",
        CI_MERGE_REQUEST_IID="5",
        CI_COMMIT_SHA=runner.github["sha"],
        CI_PIPELINE_SOURCE="push",
        CI_DEFAULT_BRANCH="main",
        CI_JOB_URL="https://gitlab.example/acme/phones/-/jobs/99",
        NUMBERSYNC_NOTE_TOKEN="glpat-fake",
    )
    return runner.bash("\n".join(gitlab_jobs()[name]["script"]), env)


@pytest.fixture
def merged_request(
    runner: Runner, gitlab_api: tuple[str, type[GitLabApi]]
) -> tuple[str, type[GitLabApi]]:
    """The merge request's pipeline planned (and kept plan.json); then it was merged."""
    api, handler = gitlab_api
    notes = f"{PROJECT}/merge_requests/5/notes"
    handler.routes = {f"GET {notes}?per_page=100&page=1&sort=asc": [], f"POST {notes}": {}}
    assert gitlab_job(runner, api, "numbersync-plan").returncode == 0
    sha = runner.github["sha"]
    handler.routes = {
        f"GET {PROJECT}/repository/commits/{sha}/merge_requests": [
            {"iid": 5, "state": "merged", "merge_commit_sha": sha, "squash_commit_sha": None,
             "sha": HEAD},
        ],
        f"GET {PROJECT}/merge_requests/5/pipelines": [
            {"id": 78, "sha": "0ld" * 13 + "0", "status": "success"},
            {"id": 77, "sha": HEAD, "status": "success"},
        ],
        f"GET {PROJECT}/pipelines/77/jobs?scope[]=success": [
            {"id": 54, "name": "test", "web_url": "https://gitlab.example/acme/phones/-/jobs/54"},
            {"id": 55, "name": "numbersync-plan", "web_url": JOB_URL},
        ],
        f"GET {PROJECT}/jobs/55/artifacts/plan.json": (runner.workspace / "plan.json").read_bytes(),
        f"POST {notes}": {},
    }  # fmt: skip
    handler.requests.clear()
    runner.emulator.reset_log()
    return api, handler


def test_gitlab_applies_the_plan_reviewed_in_the_merge_request(
    runner: Runner, merged_request: tuple[str, type[GitLabApi]]
) -> None:
    api, handler = merged_request

    result = gitlab_job(runner, api, "numbersync-apply")

    assert result.returncode == 0, result.stderr
    assert (
        f"Applying the reviewed plan of merge request !5 at its head commit {HEAD[:12]} "
        f"(job {JOB_URL}).\n" in result.stdout
    )
    assert "Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent." in result.stdout
    assert set(puts(runner.emulator)) == {SALES_LINE, SUPPORT_LINE, ALICE_DIRECT}
    assert [(method, path) for method, path, _ in handler.requests] == [
        ("GET", f"{PROJECT}/repository/commits/{runner.github['sha']}/merge_requests"),
        ("GET", f"{PROJECT}/merge_requests/5/pipelines"),
        ("GET", f"{PROJECT}/pipelines/77/jobs?scope[]=success"),
        ("GET", f"{PROJECT}/jobs/55/artifacts/plan.json"),
    ]


def test_gitlab_refuses_a_stale_reviewed_plan_and_posts_a_fresh_one(
    runner: Runner, merged_request: tuple[str, type[GitLabApi]]
) -> None:
    api, handler = merged_request
    runner.emulator.state.set_number_fields(SALES_LINE, {"label": "Sales (renamed in Close)"})

    result = gitlab_job(runner, api, "numbersync-apply")

    assert result.returncode == 1
    assert puts(runner.emulator) == {}
    method, path, body = handler.requests[-1]
    assert (method, path) == ("POST", f"{PROJECT}/merge_requests/5/notes")
    fresh = (runner.workspace / "replan" / "plan.md").read_text()
    assert body["body"].startswith(
        "**The plan reviewed here was not applied** after the merge "
        "([job](https://gitlab.example/acme/phones/-/jobs/99)):\n\n```\n"
    )
    assert "Error: the saved plan is stale, nothing was applied" in body["body"]
    assert body["body"].endswith(fresh) and "Sales (renamed in Close)" in fresh


def test_gitlab_falls_back_to_a_fresh_plan_when_the_config_changed_since_the_review(
    runner: Runner, merged_request: tuple[str, type[GitLabApi]]
) -> None:
    api, handler = merged_request
    config_path = runner.workspace / "numbers.yaml"
    before = config.load(str(config_path)).fingerprint
    config_path.write_text(config_path.read_text().replace("label: Support line", "label: Help"))
    after = config.load(str(config_path)).fingerprint

    result = gitlab_job(runner, api, "numbersync-apply")

    assert result.returncode == 0, result.stderr
    assert (
        "No reviewed plan matches the merged config: the plan of merge request !5 at its head "
        f"commit {HEAD[:12]} was made from config {before[:19]}, not from the merged "
        f"{after[:19]} (another change reached the branch). Falling back to a fresh plan of the "
        "merged config, applied at once: nobody reviewed this plan.\n" in result.stdout
    )
    assert len(puts(runner.emulator)) == 3
    assert all(method == "GET" for method, _, _ in handler.requests)
