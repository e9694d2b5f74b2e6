"""The GitLab side of the CI component (templates/numbersync.yml): the one plan note of a merge
request, and the plan reviewed in the merge request merged as a commit; GitLab's REST API v4
(https://docs.gitlab.com/api/) on httpx, with the project access token the component names."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from numbersync import __version__
from numbersync.ci.github import MAX_PAGES, PER_PAGE, TIMEOUT
from numbersync.errors import NumbersyncError, UsageError
from numbersync.escape import escape
from numbersync.render import MARKDOWN_MARKER

PLAN_JOB = "numbersync-plan"  # the component's plan job, whose artifact holds the plan
PLAN_FILE = "plan.json"


class GitLabError(NumbersyncError):
    """GitLab refused a request or could not be reached."""


class GitLab:
    """One project on GitLab's API v4 (`CI_API_V4_URL`, `CI_PROJECT_ID`), with a token."""

    def __init__(
        self,
        api_url: str,
        project: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._project = f"/projects/{quote(project, safe='')}"
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={"PRIVATE-TOKEN": token, "User-Agent": f"numbersync/{__version__}"},
            timeout=TIMEOUT,
            transport=transport,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitLab:
        missing = [
            name
            for name in ("CI_API_V4_URL", "CI_PROJECT_ID", "NUMBERSYNC_NOTE_TOKEN")
            if not env.get(name)
        ]
        if missing:
            raise UsageError(
                f"{', '.join(missing)} not set",
                hint="the numbersync GitLab component runs this; NUMBERSYNC_NOTE_TOKEN is a "
                "project access token (Reporter, scope api) in the CI/CD variables",
            )
        return cls(env["CI_API_V4_URL"], env["CI_PROJECT_ID"], env["NUMBERSYNC_NOTE_TOKEN"])

    def __enter__(self) -> GitLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def notes(self, iid: int) -> Iterator[dict[str, Any]]:
        path = f"{self._project}/merge_requests/{iid}/notes"
        for page in range(1, MAX_PAGES + 1):
            batch = self._get(path, {"per_page": str(PER_PAGE), "page": str(page), "sort": "asc"})
            yield from (n for n in batch if isinstance(n, dict))
            if len(batch) < PER_PAGE:
                return

    def create_note(self, iid: int, body: str) -> None:
        self._send("POST", f"{self._project}/merge_requests/{iid}/notes", {"body": body})

    def update_note(self, iid: int, note_id: int, body: str) -> None:
        path = f"{self._project}/merge_requests/{iid}/notes/{note_id}"
        self._send("PUT", path, {"body": body})

    def merge_requests_of_commit(self, sha: str) -> list[Any]:
        return self._get(f"{self._project}/repository/commits/{sha}/merge_requests")

    def pipelines(self, iid: int) -> list[Any]:
        return self._get(f"{self._project}/merge_requests/{iid}/pipelines")

    def successful_jobs(self, pipeline_id: int) -> list[Any]:
        return self._get(f"{self._project}/pipelines/{pipeline_id}/jobs", {"scope[]": "success"})

    def artifact(self, job_id: int, name: str) -> bytes | None:
        """The file `name` of the job's artifacts, or None when there is none (expired)."""
        path = f"{self._project}/jobs/{job_id}/artifacts/{name}"
        response = self._request("GET", path)
        if response.status_code == 404:
            return None
        self._check(response, "GET", path)
        return response.content

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> list[Any]:
        response = self._request("GET", path, params=params)
        self._check(response, "GET", path)
        try:
            data = response.json()
        except ValueError:
            raise GitLabError(f"GET {path}: GitLab's answer is not JSON") from None
        if not isinstance(data, list):
            raise GitLabError(f"GET {path}: GitLab's answer is not a list")
        return data

    def _send(self, method: str, path: str, payload: Any) -> None:
        self._check(self._request(method, path, json=payload), method, path)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise GitLabError(escape(f"GitLab: {method} {path}: {type(exc).__name__}")) from None

    def _check(self, response: httpx.Response, method: str, path: str) -> None:
        if not response.is_success:
            raise GitLabError(
                escape(f"GitLab: {method} {path} ({response.status_code})"),
                hint="check NUMBERSYNC_NOTE_TOKEN: a project access token, role Reporter, "
                "scope api",
            )


def upsert_note(gitlab: GitLab, iid: int, body: str) -> str:
    """Update the merge request's plan note (not a system note, carrying the marker), or create
    it. Returns what it did."""
    ours = next(
        (
            n
            for n in gitlab.notes(iid)
            if not n.get("system") and MARKDOWN_MARKER in (n.get("body") or "")
        ),
        None,
    )
    if ours is None:
        gitlab.create_note(iid, body)
        return "created"
    gitlab.update_note(iid, int(ours["id"]), body)
    return "updated"


@dataclass(frozen=True)
class Reviewed:
    """The reviewed plan's text (None when there is none), why, and the merged merge request."""

    text: bytes | None
    reason: str
    iid: int | None


def find_reviewed_plan(gitlab: GitLab, sha: str, fingerprint: str) -> Reviewed:
    """The plan that the component's plan job kept at the head of the merge request merged as
    `sha` (a merge, squash or fast-forward merge), if made from exactly the config `fingerprint`
    names."""
    merged = next(
        (
            m
            for m in gitlab.merge_requests_of_commit(sha)
            if isinstance(m, dict)
            and m.get("state") == "merged"
            and sha in (m.get("merge_commit_sha"), m.get("squash_commit_sha"), m.get("sha"))
        ),
        None,
    )
    if merged is None:
        return Reviewed(None, "no merge request was merged as this commit (a direct push)", None)
    iid, head = int(merged["iid"]), str(merged["sha"])
    what = f"plan of merge request !{iid} at its head commit {head[:12]}"
    for pipeline in gitlab.pipelines(iid):
        if pipeline.get("sha") != head:
            continue
        for job in gitlab.successful_jobs(int(pipeline["id"])):
            if job.get("name") != PLAN_JOB:
                continue
            text = gitlab.artifact(int(job["id"]), PLAN_FILE)
            if text is None:  # expired, or never kept
                continue
            made_from = _fingerprint(text)
            if made_from != fingerprint:
                return Reviewed(
                    None,
                    f"the {what} was made from config {str(made_from)[:19]}, not from the merged "
                    f"{fingerprint[:19]} (another change reached the branch)",
                    iid,
                )
            return Reviewed(text, f"the reviewed {what} (job {job.get('web_url', '')})", iid)
    return Reviewed(None, f"no saved {what} was found (none was made, or it expired)", iid)


def _fingerprint(text: bytes) -> str | None:
    try:
        found = json.loads(text)["config"]["fingerprint"]
    except (ValueError, KeyError, TypeError):
        return None
    return found if isinstance(found, str) else None


def save(reviewed: Reviewed, to: Path) -> None:
    if reviewed.text is not None:
        to.parent.mkdir(parents=True, exist_ok=True)
        to.write_bytes(reviewed.text)
