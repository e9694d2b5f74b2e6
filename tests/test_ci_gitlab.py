"""The GitLab side of the CI component: the plan note and the reviewed plan, against GitLab's
API v4 as an httpx.MockTransport answering in the shapes GitLab documents."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from numbersync.ci.gitlab import GitLab, GitLabError, find_reviewed_plan, upsert_note
from numbersync.render import MARKDOWN_MARKER

API = "https://gitlab.example/api/v4"
PROJECT = "/api/v4/projects/12"
MERGED = "c0ffee" * 6 + "c0fe"
HEAD = "feed" * 10
FINGERPRINT = "sha256:" + "ab" * 32
BODY = MARKDOWN_MARKER + "\n### numbersync plan\n"


class FakeGitLab:
    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["PRIVATE-TOKEN"] == "glpat-fake"
        found = self.routes.get(f"{request.method} {request.url.path}")
        if found is None:
            return httpx.Response(404, json={"message": "404 Not found"})
        if isinstance(found, bytes):
            return httpx.Response(200, content=found)
        return httpx.Response(200, json=found)

    def client(self) -> GitLab:
        return GitLab(API, "12", "glpat-fake", transport=httpx.MockTransport(self.handler))

    @property
    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def note(note_id: int, body: str, *, system: bool = False) -> dict[str, Any]:
    return {
        "id": note_id, "type": None, "body": body, "author": {"id": 1, "username": "project_12_bot"},
        "created_at": "2026-12-01T10:00:00.000Z", "system": system, "noteable_id": 377,
        "noteable_type": "MergeRequest", "noteable_iid": 5, "resolvable": False,
    }  # fmt: skip


def test_the_plan_note_is_created_then_updated_skipping_system_notes() -> None:
    notes = f"{PROJECT}/merge_requests/5/notes"
    created = FakeGitLab({f"GET {notes}": [], f"POST {notes}": note(40, BODY)})
    assert upsert_note(created.client(), 5, BODY) == "created"
    assert json.loads(created.requests[-1].content) == {"body": BODY}
    assert dict(created.requests[0].url.params) == {"per_page": "100", "page": "1", "sort": "asc"}

    # A system note that quotes the marker (a commit message, say) is never ours.
    existing = [note(31, f"added 1 commit {MARKDOWN_MARKER}", system=True), note(32, BODY)]
    updated = FakeGitLab({f"GET {notes}": existing, f"PUT {notes}/32": note(32, BODY)})
    assert upsert_note(updated.client(), 5, BODY) == "updated"
    assert updated.calls == [f"GET {notes}", f"PUT {notes}/32"]


def merged_request(plan: bytes | None) -> FakeGitLab:
    routes: dict[str, Any] = {
        f"GET {PROJECT}/repository/commits/{MERGED}/merge_requests": [
            {"id": 377, "iid": 5, "state": "merged", "merge_commit_sha": MERGED,
             "squash_commit_sha": None, "sha": HEAD, "title": "Bob on sales"},
        ],
        f"GET {PROJECT}/merge_requests/5/pipelines": [
            {"id": 78, "iid": 31, "sha": "0a" * 20, "ref": "refs/merge-requests/5/head", "status": "success"},
            {"id": 77, "iid": 30, "sha": HEAD, "ref": "refs/merge-requests/5/head", "status": "success"},
        ],
        f"GET {PROJECT}/pipelines/77/jobs": [
            {"id": 54, "name": "test", "status": "success", "web_url": "https://gitlab.example/acme/phones/-/jobs/54"},
            {"id": 55, "name": "numbersync-plan", "status": "success", "web_url": "https://gitlab.example/acme/phones/-/jobs/55"},
        ],
    }  # fmt: skip
    if plan is not None:
        routes[f"GET {PROJECT}/jobs/55/artifacts/plan.json"] = plan
    return FakeGitLab(routes)


def plan(fingerprint: str) -> bytes:
    return json.dumps({"format_version": 1, "config": {"fingerprint": fingerprint}}).encode()


def test_the_reviewed_plan_is_found_at_the_merge_requests_head() -> None:
    gitlab = merged_request(plan(FINGERPRINT))

    reviewed = find_reviewed_plan(gitlab.client(), MERGED, FINGERPRINT)

    assert reviewed.text == plan(FINGERPRINT) and reviewed.iid == 5
    assert reviewed.reason == (
        f"the reviewed plan of merge request !5 at its head commit {HEAD[:12]} "
        "(job https://gitlab.example/acme/phones/-/jobs/55)"
    )
    assert gitlab.calls[2:] == [
        f"GET {PROJECT}/pipelines/77/jobs",
        f"GET {PROJECT}/jobs/55/artifacts/plan.json",
    ]
    assert gitlab.requests[2].url.params["scope[]"] == "success"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("expired", f"no saved plan of merge request !5 at its head commit {HEAD[:12]} was found (none was made, or it expired)"),
        ("other change", f"the plan of merge request !5 at its head commit {HEAD[:12]} was made from config sha256:cdcdcdcdcdcd, not from the merged sha256:abababababab (another change reached the branch)"),
        ("direct push", "no merge request was merged as this commit (a direct push)"),
    ],
)  # fmt: skip
def test_without_a_reviewed_plan_it_says_why(case: str, reason: str) -> None:
    gitlab = merged_request(None if case == "expired" else plan("sha256:" + "cd" * 32))
    sha = "d1rec7" * 6 + "d1re" if case == "direct push" else MERGED
    if case == "direct push":
        gitlab.routes[f"GET {PROJECT}/repository/commits/{sha}/merge_requests"] = []

    reviewed = find_reviewed_plan(gitlab.client(), sha, FINGERPRINT)

    assert reviewed.text is None
    assert reviewed.reason == reason
    assert reviewed.iid == (None if case == "direct push" else 5)


def test_a_refused_token_is_an_error_with_a_hint() -> None:
    gitlab = FakeGitLab({})

    with pytest.raises(GitLabError) as raised:
        find_reviewed_plan(gitlab.client(), MERGED, FINGERPRINT)

    assert raised.value.message == (
        f"GitLab: GET /projects/12/repository/commits/{MERGED}/merge_requests (404)"
    )
    assert raised.value.hint and "NUMBERSYNC_NOTE_TOKEN" in raised.value.hint
