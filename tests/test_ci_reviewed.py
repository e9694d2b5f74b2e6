"""The merge applies what was reviewed: `validate --format json` prints the fingerprint a plan of
the config carries, and the GitLab component's apply job finds the merge request's saved plan,
checks that it was made from the merged config and applies it, or posts a fresh plan for a new
review and applies nothing; run against the emulator with a fake GitLab API."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from helpers import cli, fake_api
from test_e2e_ci_recipes import Runner, gitlab_jobs, runner

from numbersync import config
from numbersync.cli import main

if TYPE_CHECKING:
    from numbersync.emulator import Emulator

pytestmark = pytest.mark.slow  # each test runs the GitLab jobs against the emulator
__all__ = ["runner"]  # the fixture, shared with test_e2e_ci_recipes

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


# --- GitLab: the component's numbersync-apply job after numbersync-plan -------------------------
# (GitHub's apply job is numbersync/ci/, tested in tests/test_ci_github.py.)

HEAD = "feed" * 10  # the merge request's head commit, where its plan was made
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
SUPPORT_LINE = "phon_demoSupportLine00000000000000000000001"
ALICE_DIRECT = "phon_demoAliceDirect00000000000000000000001"


def puts(emulator: Emulator) -> dict[str, Any]:
    return {r.path.split("/")[2]: r.body for r in emulator.requests if r.method == "PUT"}


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
    with fake_api(GitLabApi, routes={}, requests=[]) as served:
        yield served


def gitlab_job(
    runner: Runner, api: str, name: str, *, allow_unreviewed: bool = False
) -> subprocess.CompletedProcess[str]:
    """Job `name`'s script in one shell, as GitLab's runner runs it, on the default branch."""
    variables = gitlab_jobs(allow_unreviewed=allow_unreviewed)[name]["variables"]
    env = runner.env({**variables, "CLOSE_API_KEY": runner.emulator.admin_key})
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
    return runner.bash(
        "\n".join(gitlab_jobs(allow_unreviewed=allow_unreviewed)[name]["script"]), env
    )


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
        f"GET {PROJECT}/pipelines/77/jobs?scope%5B%5D=success": [
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
        ("GET", f"{PROJECT}/pipelines/77/jobs?scope%5B%5D=success"),
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


def test_gitlab_applies_nothing_when_the_config_changed_since_the_review(
    runner: Runner, merged_request: tuple[str, type[GitLabApi]]
) -> None:
    api, handler = merged_request
    config_path = runner.workspace / "numbers.yaml"
    before = config.load(str(config_path)).fingerprint
    config_path.write_text(config_path.read_text().replace("label: Support line", "label: Help"))
    after = config.load(str(config_path)).fingerprint

    result = gitlab_job(runner, api, "numbersync-apply")

    assert result.returncode == 1
    assert (
        "Nothing is applied: no reviewed plan matches the merged config: the plan of merge "
        f"request !5 at its head commit {HEAD[:12]} was made from config {before[:19]}, not from "
        f"the merged {after[:19]} (another change reached the branch). A fresh plan is posted "
        "for review (allow-unreviewed is false).\n" in result.stdout
    )
    assert puts(runner.emulator) == {}
    method, path, body = handler.requests[-1]
    assert (method, path) == ("POST", f"{PROJECT}/merge_requests/5/notes")
    assert body["body"].startswith(
        "**Nothing was applied: no reviewed plan matches the merged config** "
        "([job](https://gitlab.example/acme/phones/-/jobs/99)):"
    )
    assert body["body"].endswith((runner.workspace / "replan" / "plan.md").read_text())


def test_gitlab_with_allow_unreviewed_falls_back_to_a_fresh_plan_and_says_so(
    runner: Runner, merged_request: tuple[str, type[GitLabApi]]
) -> None:
    api, handler = merged_request
    config_path = runner.workspace / "numbers.yaml"
    config_path.write_text(config_path.read_text().replace("label: Support line", "label: Help"))

    result = gitlab_job(runner, api, "numbersync-apply", allow_unreviewed=True)

    assert result.returncode == 0, result.stderr
    assert "Falling back to a fresh plan of the merged config, applied at once" in result.stdout
    assert len(puts(runner.emulator)) == 3
    assert all(method == "GET" for method, _, _ in handler.requests)
