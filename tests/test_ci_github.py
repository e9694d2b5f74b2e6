"""`numbersync ci`: the CI jobs against GitHub's REST API as an httpx.MockTransport answering
with the recorded shapes of tests/data/github/, and numbersync's own commands faked (or, at the
end, run for real against the emulator)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from numbersync import config
from numbersync.ci import jobs
from numbersync.ci.commands import Ran, run_numbersync
from numbersync.ci.context import Context, error_annotation
from numbersync.ci.github import GitHub, GitHubError
from numbersync.ci.publish import Risk, set_risk_labels, upsert_comment
from numbersync.render import MARKDOWN_MARKER

if TYPE_CHECKING:
    from numbersync.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "github"
API = "https://api.github.com"
BLOB = "productionresultssa7.blob.core.windows.net"
MERGE = "c0ffee" * 6 + "c0fe"  # the commit the pull request was merged as (commit-pulls.json)
HEAD = "feed" * 10  # the pull request's head commit, where its plan was made
FINGERPRINT = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32
RUNS = "/repos/acme/phones/actions/workflows/numbersync-plan.yml/runs"
FRESH_PLAN = MARKDOWN_MARKER + "\n### numbersync plan\n\n**Plan: 1 to change, 4 unchanged.**\n"


def recorded(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


class FakeGitHub:
    """Answers `METHOD PATH` (PATH with the host for another host than the API's) from
    `routes`, 404 otherwise as GitHub does, and records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, httpx.Response] = {}
        self.requests: list[httpx.Request] = []

    def route(self, where: str, body: Any = None, status: int = 200, **headers: str) -> None:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes[where] = httpx.Response(status, content=content, headers=headers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        host = "" if request.url.host == "api.github.com" else request.url.host
        found = self.routes.get(f"{request.method} {host}{request.url.path}")
        if found is None:
            return httpx.Response(404, json={"message": "Not Found"})
        return httpx.Response(found.status_code, content=found.content, headers=found.headers)

    def client(self) -> GitHub:
        return GitHub(API, "acme/phones", "ghs_fake", transport=httpx.MockTransport(self.handler))

    @property
    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def sent(self, method: str) -> list[tuple[str, Any]]:
        return [
            (r.url.path, json.loads(r.content) if r.content else None)
            for r in self.requests
            if r.method == method
        ]


def plan_document(fingerprint: str, *, risky: int = 1, verdict: bool | None = None) -> str:
    document: dict[str, Any] = {
        "format_version": 1,
        "config": {"path": "numbers.yaml", "fingerprint": fingerprint},
        "summary": {"change": 1, "unchanged": 4, "unmanaged": 6, "untargeted": 0, "risky": risky},
        "changes": [],
    }
    if verdict is not None:
        document["verdict"] = {"refuses": verdict, "reasons": ["it changes 5 of 10"] * verdict}
    return json.dumps(document)


def artifact_zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("plan.json", text)
    return buffer.getvalue()


class FakeNumbersync:
    """`numbersync ARGS` as the jobs run it: plan writes its --out and prints FRESH_PLAN."""

    def __init__(self, *, plan: int = 2, apply: int = 0, apply_err: str = "") -> None:
        self.codes = {"plan": plan, "apply": apply}
        self.apply_err = apply_err
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str]) -> Ran:
        self.calls.append(list(args))
        code = self.codes[args[0]]
        if args[0] == "plan":
            if code in (0, 2):
                Path(args[args.index("--out") + 1]).write_text(plan_document(FINGERPRINT))
                return Ran(tuple(args), code, FRESH_PLAN, "")
            return Ran(tuple(args), code, "", "numbers.yaml:4:5: $.numbers: bad\nError: 1 error\n")
        return Ran(tuple(args), code, "Apply complete: 1 applied.\n", self.apply_err)


def context(tmp_path: Path, event: str = "push", **more: Any) -> Context:
    fields: dict[str, Any] = {
        "repository": "acme/phones",
        "sha": MERGE,
        "event_name": event,
        "api_url": API,
        "server_url": "https://github.com",
        "run_id": "9001",
        "workflow_ref": "acme/phones/.github/workflows/numbersync-apply.yml@refs/heads/main",
        "pull_request": None,
        "output_path": str(tmp_path / "output"),
        "summary_path": str(tmp_path / "summary"),
        **more,
    }
    for name in ("output", "summary"):
        (tmp_path / name).write_text("")
    return Context(**fields)


def outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def merged_pull_request(
    github: FakeGitHub, plan: str | None = None, *, expired: bool = False
) -> None:
    """Pull request #7 merged as MERGE; its plan run 101 kept `plan` (or the artifact expired)."""
    github.route(f"GET /repos/acme/phones/commits/{MERGE}/pulls", recorded("commit-pulls.json"))
    github.route(f"GET {RUNS}", recorded("workflow-runs.json"))
    artifacts = "run-artifacts-expired.json" if expired else "run-artifacts.json"
    github.route("GET /repos/acme/phones/actions/runs/101/artifacts", recorded(artifacts))
    blob = f"https://{BLOB}/actions-results/501/plan.zip"
    github.route("GET /repos/acme/phones/actions/artifacts/501/zip", b"", 302, location=blob)
    github.route(f"GET {BLOB}/actions-results/501/plan.zip", artifact_zip(plan or ""))
    github.route("POST /repos/acme/phones/issues/7/comments", recorded("comment.json"), 201)


def options(tmp_path: Path, **more: Any) -> jobs.Options:
    return jobs.Options(config="numbers.yaml", workdir=tmp_path / "work", **more)


LOOKUP = [
    f"GET /repos/acme/phones/commits/{MERGE}/pulls",
    f"GET {RUNS}",
    "GET /repos/acme/phones/actions/runs/101/artifacts",
]
DOWNLOAD = ["GET /repos/acme/phones/actions/artifacts/501/zip", "GET /actions-results/501/plan.zip"]


# --- apply on merge: the reviewed plan --------------------------------------------------------


def test_the_reviewed_plan_is_found_and_applied_as_it_is(tmp_path: Path) -> None:
    github = FakeGitHub()
    merged_pull_request(github, plan_document(FINGERPRINT))
    run = FakeNumbersync()

    code = jobs.apply_job(context(tmp_path), github.client(), options(tmp_path), run, FINGERPRINT)

    assert code == 0
    assert github.calls == [*LOOKUP, *DOWNLOAD]
    runs = github.requests[1].url.params
    assert dict(runs) == {
        "head_sha": HEAD,
        "event": "pull_request",
        "status": "success",
        "per_page": "100",
    }
    assert github.requests[2].url.params["name"] == "numbersync-plan"
    # The token goes to GitHub, never to the storage the artifact is redirected to.
    assert github.requests[0].headers["Authorization"] == "Bearer ghs_fake"
    assert "Authorization" not in github.requests[-1].headers
    work = tmp_path / "work"
    assert run.calls == [
        [
            "apply",
            str(work / "reviewed/plan.json"),
            "-c",
            "numbers.yaml",
            "--report",
            str(work / "report.json"),
        ]
    ]
    assert (
        json.loads((work / "reviewed/plan.json").read_text())["config"]["fingerprint"]
        == FINGERPRINT
    )
    assert (
        (tmp_path / "summary")
        .read_text()
        .startswith(
            f"Applying the reviewed plan of pull request #7 at its head commit {HEAD[:12]} "
            "([run](https://github.com/acme/phones/actions/runs/101)).\n\n```\nApply complete"
        )
    )
    assert outputs(tmp_path) == {
        "exit-code": "0", "has-changes": "false", "risky": "true", "refused": "false",
        "plan-path": "", "report-path": str(work / "report.json"),
    }  # fmt: skip
    assert github.sent("POST") == []


@pytest.mark.parametrize(
    ("case", "reason", "commented"),
    [
        ("expired", f"the saved plan of pull request #7 at its head commit {HEAD[:12]} has expired", True),
        ("other change", f"the plan of pull request #7 at its head commit {HEAD[:12]} "
         "([run](https://github.com/acme/phones/actions/runs/101)) was made from config "
         f"`{OTHER[:19]}`, not from the merged `{FINGERPRINT[:19]}` (another change was merged in "
         "between, or the branch was behind)", True),
        ("direct push", "no pull request was merged as this commit (a direct push)", False),
    ],
)  # fmt: skip
def test_without_a_reviewed_plan_of_the_merged_config_nothing_is_applied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, reason: str, commented: bool
) -> None:
    github = FakeGitHub()
    merged_pull_request(github, plan_document(OTHER), expired=case == "expired")
    sha = MERGE
    if case == "direct push":  # pushed straight to main: no pull request was merged as it
        sha = "d1rec7" * 6 + "d1re"
        github.route(f"GET /repos/acme/phones/commits/{sha}/pulls", recorded("commit-pulls.json"))
    run = FakeNumbersync()

    code = jobs.apply_job(
        context(tmp_path, sha=sha), github.client(), options(tmp_path), run, FINGERPRINT
    )

    assert code == 1
    fresh = tmp_path / "work" / "fresh" / "plan.json"
    # Only a fresh plan is made, never applied.
    assert run.calls == [
        ["plan", "-c", "numbers.yaml", "--format", "markdown", "--out", str(fresh), "--detailed-exitcode"]
    ]  # fmt: skip
    expected_calls = {
        "expired": LOOKUP,
        "other change": [*LOOKUP, *DOWNLOAD],
        "direct push": [f"GET /repos/acme/phones/commits/{sha}/pulls"],
    }[case]
    assert github.calls[: len(expected_calls)] == expected_calls
    body = (tmp_path / "summary").read_text()
    assert body.startswith(
        f"**Nothing was applied: no reviewed plan matches the merged config**: {reason}. An "
        "unreviewed plan is applied only with `allow-unreviewed: true`.\n\nA fresh plan of the "
        "merged config, from Close as it is now, follows. Review it, then run the "
        "`numbersync-apply.yml` workflow by hand on this branch (Actions > Run workflow): it "
        "applies exactly this plan"
    )
    assert body.endswith(FRESH_PLAN + "\n")
    assert github.sent("POST") == (
        [("/repos/acme/phones/issues/7/comments", {"body": body.rstrip("\n") + "\n"})]
        if commented
        else []
    )
    assert outputs(tmp_path)["plan-path"] == str(fresh)  # kept, for the run by hand
    assert outputs(tmp_path)["exit-code"] == "1"
    err = capsys.readouterr().err
    assert err.startswith(
        "Error: nothing was applied; a fresh plan is posted for review in the job summary"
    )
    assert "Hint: Review it, then run the `numbersync-apply.yml` workflow by hand" in err


def test_allow_unreviewed_applies_a_fresh_plan_and_says_so(tmp_path: Path) -> None:
    github = FakeGitHub()
    merged_pull_request(github, expired=True)
    run = FakeNumbersync()

    code = jobs.apply_job(
        context(tmp_path),
        github.client(),
        options(tmp_path, allow_unreviewed=True, force=True),
        run,
        FINGERPRINT,
    )

    assert code == 0
    report = str(tmp_path / "work" / "report.json")
    assert run.calls == [
        ["apply", "-c", "numbers.yaml", "--auto-approve", "--force", "--report", report]
    ]
    assert (
        (tmp_path / "summary")
        .read_text()
        .startswith(
            "**No reviewed plan matches the merged config**: the saved plan of pull request #7 at "
            f"its head commit {HEAD[:12]} has expired. Applying a fresh plan of the merged config at "
            "once (allow-unreviewed): nobody reviewed it."
        )
    )
    assert github.sent("POST") == []


def test_a_refused_reviewed_plan_is_posted_again_for_review(tmp_path: Path) -> None:
    github = FakeGitHub()
    merged_pull_request(github, plan_document(FINGERPRINT))
    stale = (
        "Error: the saved plan is stale, nothing was applied; Close changed since it was made:\n"
        '  +1 650-333-4444: label was "Sales" in the plan, now "Sales (renamed in Close)"\n'
    )
    run = FakeNumbersync(apply=1, apply_err=stale)

    code = jobs.apply_job(context(tmp_path), github.client(), options(tmp_path), run, FINGERPRINT)

    assert code == 1
    assert [c[0] for c in run.calls] == ["apply", "plan"]
    ((path, sent),) = github.sent("POST")
    assert path == "/repos/acme/phones/issues/7/comments"
    assert sent["body"].startswith(
        "**The plan reviewed here was not applied** after the merge "
        f"([run](https://github.com/acme/phones/actions/runs/9001)):\n\n```\n{stale}```\n\n"
        "A fresh plan of the merged config"
    )
    assert sent["body"].endswith(FRESH_PLAN)
    assert outputs(tmp_path) == {
        "exit-code": "1", "has-changes": "true", "risky": "true", "refused": "false",
        "plan-path": str(tmp_path / "work/fresh/plan.json"),
        "report-path": str(tmp_path / "work/report.json"),
    }  # fmt: skip


def test_a_refused_plan_when_close_already_matches_is_a_success(tmp_path: Path) -> None:
    github = FakeGitHub()
    merged_pull_request(github, plan_document(FINGERPRINT))
    run = FakeNumbersync(plan=0, apply=1, apply_err="Error: the saved plan is stale\n")

    code = jobs.apply_job(context(tmp_path), github.client(), options(tmp_path), run, FINGERPRINT)

    assert code == 0
    assert github.sent("POST") == []
    assert (
        (tmp_path / "summary")
        .read_text()
        .endswith("Close already matches the merged config: nothing is left to do.\n\n")
    )


def test_a_run_by_hand_applies_the_plan_a_refused_apply_of_the_commit_posted(
    tmp_path: Path,
) -> None:
    github = FakeGitHub()
    merged_pull_request(github, plan_document(FINGERPRINT))
    failed = recorded("workflow-runs.json")
    failed["workflow_runs"][0].update(
        id=101, head_sha=MERGE, event="push", conclusion="failure",
        path=".github/workflows/numbersync-apply.yml",
    )  # fmt: skip
    mine = "/repos/acme/phones/actions/workflows/numbersync-apply.yml/runs"
    github.route(f"GET {mine}", failed)
    run = FakeNumbersync()

    code = jobs.apply_job(
        context(tmp_path, event="workflow_dispatch"),
        github.client(),
        options(tmp_path, force=True),
        run,
        FINGERPRINT,
    )

    assert code == 0
    assert github.calls[1] == f"GET {mine}"
    assert dict(github.requests[1].url.params) == {
        "head_sha": MERGE, "status": "failure", "per_page": "100"
    }  # fmt: skip
    reviewed = str(tmp_path / "work/reviewed/plan.json")
    assert run.calls[0][:5] == ["apply", reviewed, "-c", "numbers.yaml", "--force"]
    assert (
        (tmp_path / "summary")
        .read_text()
        .startswith(
            "Applying the reviewed fresh plan that a refused apply of this commit posted for review"
        )
    )


def test_when_github_refuses_nothing_is_applied(tmp_path: Path) -> None:
    github = FakeGitHub()
    github.route(f"GET /repos/acme/phones/commits/{MERGE}/pulls", recorded("error-403.json"), 403)
    run = FakeNumbersync()

    with pytest.raises(GitHubError) as raised:
        jobs.apply_job(context(tmp_path), github.client(), options(tmp_path), run, FINGERPRINT)

    assert raised.value.message == (
        f"GitHub: GET /repos/acme/phones/commits/{MERGE}/pulls (403): Resource not accessible "
        "by integration"
    )
    assert raised.value.hint and "permission" in raised.value.hint
    assert run.calls == []


# --- the plan comment and the labels ------------------------------------------------------------


def test_the_plan_comment_is_created_once_then_updated_in_place() -> None:
    github = FakeGitHub()
    github.route("GET /repos/acme/phones/issues/7/comments", [])
    github.route("POST /repos/acme/phones/issues/7/comments", recorded("comment.json"), 201)
    assert upsert_comment(github.client(), 7, FRESH_PLAN) == "created"
    assert github.sent("POST") == [("/repos/acme/phones/issues/7/comments", {"body": FRESH_PLAN})]

    github = FakeGitHub()
    github.route("GET /repos/acme/phones/issues/7/comments", recorded("issue-comments.json"))
    github.route("PATCH /repos/acme/phones/issues/comments/9003", recorded("comment.json"))
    # Alice quotes the marker, the bot has another comment: only the bot's plan comment changes.
    assert upsert_comment(github.client(), 7, FRESH_PLAN) == "updated"
    assert github.calls == [
        "GET /repos/acme/phones/issues/7/comments",
        "PATCH /repos/acme/phones/issues/comments/9003",
    ]
    assert github.sent("PATCH")[0][1] == {"body": FRESH_PLAN}


def test_comments_are_read_page_after_page() -> None:
    github = FakeGitHub()
    first, second = recorded("issue-comments.json")[:2], recorded("issue-comments.json")[2:]
    nxt = f'<{API}/repositories/7001/issues/7/comments?per_page=100&page=2>; rel="next"'
    github.route("GET /repos/acme/phones/issues/7/comments", first, link=nxt)
    github.route("GET /repositories/7001/issues/7/comments", second)
    github.route("PATCH /repos/acme/phones/issues/comments/9003", recorded("comment.json"))

    assert upsert_comment(github.client(), 7, FRESH_PLAN) == "updated"
    assert github.requests[1].url.params["page"] == "2"


@pytest.mark.parametrize(
    ("risk", "present", "changes", "calls"),
    [
        (Risk(1, False), [], ["+numbersync: risky"], ["POST /repos/acme/phones/issues/7/labels"]),
        (Risk(2, False), ["numbersync: risky", "sales"], [], []),
        (Risk(0, False), ["numbersync: risky", "sales"], ["-numbersync: risky"],
         ["DELETE /repos/acme/phones/issues/7/labels/numbersync%3A%20risky"]),
        (Risk(0, True), ["sales"], ["+numbersync: needs --force"],
         ["POST /repos/acme/phones/issues/7/labels"]),
    ],
    ids=["added", "kept", "removed", "refused"],
)  # fmt: skip
def test_risk_labels_follow_the_plan(
    risk: Risk, present: list[str], changes: list[str], calls: list[str]
) -> None:
    github = FakeGitHub()
    labels = [label for label in recorded("issue-labels.json") if label["name"] in present]
    github.route("GET /repos/acme/phones/issues/7/labels", labels)
    github.route("POST /repos/acme/phones/issues/7/labels", labels, 200)
    github.route("DELETE /repos/acme/phones/issues/7/labels/numbersync: risky", [], 200)

    assert set_risk_labels(github.client(), 7, risk) == changes

    assert [f"{r.method} {r.url.raw_path.decode()}" for r in github.requests[1:]] == calls
    if changes and changes[0].startswith("+"):
        assert github.sent("POST")[0][1] == {"labels": [changes[0][1:]]}


def test_the_plan_says_whether_apply_would_refuse_it() -> None:
    assert Risk.of(json.loads(plan_document(FINGERPRINT, risky=0))) == Risk(0, False)
    assert Risk.of(json.loads(plan_document(FINGERPRINT, risky=0, verdict=True))) == Risk(0, True)
    assert Risk.of({"summary": "odd", "verdict": ["odd"]}) == Risk(0, False)


def test_the_plan_job_comments_labels_and_keeps_the_plan(tmp_path: Path) -> None:
    github = FakeGitHub()
    github.route("GET /repos/acme/phones/issues/7/comments", recorded("issue-comments.json"))
    github.route("PATCH /repos/acme/phones/issues/comments/9003", recorded("comment.json"))
    github.route("GET /repos/acme/phones/issues/7/labels", [])
    github.route("POST /repos/acme/phones/issues/7/labels", [], 200)
    ctx = context(tmp_path, event="pull_request", pull_request=7)

    code = jobs.plan_job(ctx, github.client(), options(tmp_path), FakeNumbersync(plan=2))

    assert code == 0  # changes are not a failure
    assert github.sent("PATCH")[0][1] == {"body": FRESH_PLAN}
    assert github.sent("POST")[0][1] == {"labels": ["numbersync: risky"]}
    assert (tmp_path / "summary").read_text() == FRESH_PLAN + "\n"
    assert outputs(tmp_path) == {
        "exit-code": "2", "has-changes": "true", "risky": "true", "refused": "false",
        "plan-path": str(tmp_path / "work/plan.json"), "report-path": "",
    }  # fmt: skip


def test_plan_job_errors_become_annotations_and_the_comment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github = FakeGitHub()
    github.route("GET /repos/acme/phones/issues/7/comments", [])
    github.route("POST /repos/acme/phones/issues/7/comments", recorded("comment.json"), 201)
    ctx = context(tmp_path, event="pull_request", pull_request=7)

    code = jobs.plan_job(ctx, github.client(), options(tmp_path), FakeNumbersync(plan=1))

    assert code == 1
    assert capsys.readouterr().out == "::error file=numbers.yaml,line=4,col=5::$.numbers: bad\n"
    body = github.sent("POST")[0][1]["body"]
    assert body == (
        f"{MARKDOWN_MARKER}\n### numbersync plan failed\n\n```\nnumbers.yaml:4:5: $.numbers: bad\n"
        "Error: 1 error\n```"
    )
    assert "labels" not in " ".join(github.calls)  # no plan, no verdict on its risk
    assert outputs(tmp_path)["plan-path"] == ""


def test_annotations_cannot_be_forged() -> None:
    line = error_annotation("bad\n::warning::x %", "a,b:c.yaml", 1, 2)
    assert line == "::error file=a%2Cb%3Ac.yaml,line=1,col=2::bad%0A::warning::x %25"


# --- drift --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "calls"),
    [
        (2, ["PATCH /repos/acme/phones/issues/9"]),
        (0, ["POST /repos/acme/phones/issues/9/comments", "PATCH /repos/acme/phones/issues/9"]),
    ],
    ids=["updated", "closed"],
)
def test_drift_keeps_one_issue(tmp_path: Path, code: int, calls: list[str]) -> None:
    github = FakeGitHub()
    github.route("GET /repos/acme/phones/issues", recorded("open-drift-issues.json"))
    github.route("PATCH /repos/acme/phones/issues/9", recorded("issue.json"))
    github.route("POST /repos/acme/phones/issues/9/comments", recorded("comment.json"), 201)

    assert jobs.drift_job(context(tmp_path, event="schedule"), github.client(), options(tmp_path), FakeNumbersync(plan=code)) == 0  # fmt: skip

    assert github.requests[0].url.params["labels"] == "drift"
    assert github.calls[1:] == calls
    if code == 0:
        assert github.sent("PATCH")[0][1] == {"state": "closed", "state_reason": "completed"}
    else:
        assert github.sent("PATCH")[0][1]["body"].endswith(FRESH_PLAN)


def test_drift_opens_an_issue_when_none_is_open(tmp_path: Path) -> None:
    github = FakeGitHub()
    github.route("GET /repos/acme/phones/issues", [])
    github.route("POST /repos/acme/phones/issues", recorded("issue.json"), 201)

    jobs.drift_job(context(tmp_path, event="schedule"), github.client(), options(tmp_path), FakeNumbersync(plan=2))  # fmt: skip

    ((path, sent),) = github.sent("POST")
    assert path == "/repos/acme/phones/issues"
    assert sent["title"] == "Close phone numbers drifted from numbers.yaml"
    assert sent["labels"] == ["drift"] and sent["body"].endswith(FRESH_PLAN)
    assert len(sent["body"]) <= 65_536


# --- the jobs for real: numbersync against the emulator, GitHub faked ----------------------------


@pytest.mark.slow
def test_plan_then_apply_of_the_reviewed_plan_against_the_emulator(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOSE_API_URL", emulator.url)
    monkeypatch.setenv("CLOSE_API_KEY", emulator.admin_key)
    monkeypatch.delenv("CLOSE_ACCESS_TOKEN", raising=False)
    shutil.copy(REPO / "examples" / "numbers.yaml", "numbers.yaml")
    fingerprint = config.load("numbers.yaml").fingerprint

    pull = FakeGitHub()
    pull.route("GET /repos/acme/phones/issues/7/comments", [])
    pull.route("POST /repos/acme/phones/issues/7/comments", recorded("comment.json"), 201)
    pull.route("GET /repos/acme/phones/issues/7/labels", [])
    pull.route("POST /repos/acme/phones/issues/7/labels", [], 200)
    ctx = context(tmp_path, event="pull_request", pull_request=7)
    assert jobs.plan_job(ctx, pull.client(), options(tmp_path), run_numbersync) == 0
    comment = pull.sent("POST")[0][1]["body"]
    assert comment.startswith(MARKDOWN_MARKER) and "Plan: 3 to change" in comment
    saved = (tmp_path / "work" / "plan.json").read_text()

    emulator.reset_log()
    merge = FakeGitHub()
    merged_pull_request(merge, saved)
    code = jobs.apply_job(context(tmp_path), merge.client(), options(tmp_path), run_numbersync, fingerprint)  # fmt: skip

    assert code == 0
    assert len([r for r in emulator.requests if r.method == "PUT"]) == 3
    report = json.loads((tmp_path / "work" / "report.json").read_text())
    assert report["format_version"] == 1


# --- where the jobs run -------------------------------------------------------------------------


def test_the_context_comes_from_the_runners_environment(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"action": "synchronize", "number": 7, "pull_request": {"number": 7}})
    )
    env = {
        "GITHUB_REPOSITORY": "acme/phones",
        "GITHUB_SHA": MERGE,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_RUN_ID": "42",
        "GITHUB_WORKFLOW_REF": "acme/phones/.github/workflows/numbersync-plan.yml@refs/pull/7/merge",
    }

    ctx = Context.from_env(env)

    assert ctx.pull_request == 7
    assert ctx.workflow_file == "numbersync-plan.yml"
    assert ctx.run_url == "https://github.com/acme/phones/actions/runs/42"
    assert ctx.api_url == "https://api.github.com"
    assert Context.from_env({**env, "GITHUB_EVENT_NAME": "push"}).pull_request is None
    event.write_text("not json")
    assert Context.from_env(env).pull_request is None


def test_outside_github_actions_numbersync_ci_says_so() -> None:
    from click.testing import CliRunner

    from numbersync.cli import main

    env = {"GITHUB_REPOSITORY": None, "GITHUB_SHA": None, "GITHUB_TOKEN": None}
    result = CliRunner().invoke(main, ["ci", "plan"], env=env)

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: GITHUB_REPOSITORY and GITHUB_SHA not set: `numbersync ci` runs inside GitHub "
        "Actions\nHint: use the numbersync action (action.yml), or run numbersync plan/apply "
        "itself\n"
    )


def test_without_a_token_numbersync_ci_says_which_variables_it_reads() -> None:
    from click.testing import CliRunner

    from numbersync.cli import main

    env = {
        "GITHUB_REPOSITORY": "acme/phones",
        "GITHUB_SHA": MERGE,
        "GITHUB_TOKEN": None,
        "NUMBERSYNC_GITHUB_TOKEN": None,
    }
    result = CliRunner().invoke(main, ["ci", "drift"], env=env)

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: no GitHub token: NUMBERSYNC_GITHUB_TOKEN and GITHUB_TOKEN are not set\n"
    )


def test_a_fresh_plan_near_githubs_limit_is_posted_whole_and_apply_s_words_make_room(
    tmp_path: Path,
) -> None:
    github = FakeGitHub()
    merged_pull_request(github, plan_document(FINGERPRINT))
    big = FRESH_PLAN + "x" * (64_990 - len(FRESH_PLAN))  # render.py keeps a plan under 65,000
    run = FakeNumbersync(apply=1, apply_err=("Error: " + "y" * 400 + "\n") * 30)
    real_call = run.__call__

    def call(args: Sequence[str]) -> Ran:
        ran = real_call(args)
        return Ran(ran.args, ran.returncode, big, ran.stderr) if args[0] == "plan" else ran

    code = jobs.apply_job(context(tmp_path), github.client(), options(tmp_path), call, FINGERPRINT)

    assert code == 1
    body = github.sent("POST")[0][1]["body"]
    assert len(body) <= 65_536 and body.endswith(big)
    assert "(apply's messages are in the job's log)" in body and "yyyy" not in body


def test_each_numbersync_command_runs_with_the_jobs_timeout(tmp_path: Path) -> None:
    github = FakeGitHub()
    merged_pull_request(github, plan_document(FINGERPRINT))
    run = FakeNumbersync(apply=1, apply_err="Error: timed out\n")

    jobs.apply_job(
        context(tmp_path), github.client(), options(tmp_path, timeout="25m"), run, FINGERPRINT
    )

    assert [call[0] for call in run.calls] == ["apply", "plan"]
    for call in run.calls:
        assert call[call.index("--timeout") + 1] == "25m"
