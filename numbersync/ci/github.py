"""The GitHub REST API calls the CI jobs make, on httpx: pull requests of a commit, workflow runs
and their artifacts, issue comments, labels and issues. Tests hand it an httpx.MockTransport.

Only what the jobs need, each call as GitHub documents it (https://docs.github.com/rest); lists
follow the `Link: rel="next"` header, up to a bound, so that no answer can keep a job reading.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from numbersync import __version__
from numbersync.errors import NumbersyncError
from numbersync.escape import escape

API_VERSION = "2022-11-28"
PER_PAGE = 100
MAX_PAGES = 50  # 5,000 comments, runs or issues: far more than one job looks through
# A saved plan is at most 1 GiB (savedplan.read.MAX_PLAN_BYTES); its zip is read no further.
MAX_ARTIFACT_BYTES = 1 << 30
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class GitHubError(NumbersyncError):
    """GitHub refused a request or could not be reached; nothing after it was done."""


@dataclass(frozen=True)
class Artifact:
    id: int
    name: str
    expired: bool


class GitHub:
    """One repository (`owner/name`) on the API at `api_url`, with a token (the job's
    GITHUB_TOKEN, or another the workflow gives)."""

    def __init__(
        self,
        api_url: str,
        repository: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.repository = repository
        self._repo = f"/repos/{repository}"
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"numbersync/{__version__}",
                "Authorization": f"Bearer {token}",
            },
            timeout=TIMEOUT,
            transport=transport,
            # An artifact's zip is a redirect to storage elsewhere; httpx drops the
            # Authorization header when a redirect leaves GitHub's origin.
            follow_redirects=True,
        )

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    # --- pull requests and runs ---------------------------------------------------------------

    def pulls_of_commit(self, sha: str) -> list[dict[str, Any]]:
        """The pull requests that hold `sha`: the one merged as it has it as `merge_commit_sha`."""
        return list(self._pages(f"{self._repo}/commits/{sha}/pulls"))

    def workflow_runs(
        self, workflow: str, *, head_sha: str, event: str | None = None, status: str
    ) -> list[dict[str, Any]]:
        """Runs of `workflow` (its file name) at `head_sha`, newest first."""
        params = {"head_sha": head_sha, "status": status}
        if event:
            params["event"] = event
        path = f"{self._repo}/actions/workflows/{quote(workflow, safe='')}/runs"
        return list(self._pages(path, params, key="workflow_runs"))

    def artifacts(self, run_id: int, name: str) -> list[Artifact]:
        path = f"{self._repo}/actions/runs/{run_id}/artifacts"
        return [
            Artifact(int(a["id"]), str(a["name"]), bool(a["expired"]))
            for a in self._pages(path, {"name": name}, key="artifacts")
            if a.get("name") == name
        ]

    def download(self, artifact: Artifact, member: str, to: Path) -> None:
        """Write the file `member` of the artifact's zip to `to`: that one file, by name, never
        a path the zip chooses."""
        zipped = to.with_name(to.name + ".zip")
        to.parent.mkdir(parents=True, exist_ok=True)
        path = f"{self._repo}/actions/artifacts/{artifact.id}/zip"
        try:
            with self._http.stream("GET", path) as response:
                self._check(response, "GET", path)
                size = 0
                with zipped.open("wb") as out:
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > MAX_ARTIFACT_BYTES:
                            raise GitHubError(
                                f"artifact {artifact.name} is over {MAX_ARTIFACT_BYTES:,} bytes"
                            )
                        out.write(chunk)
            with zipfile.ZipFile(zipped) as archive:
                if member not in archive.namelist():
                    raise GitHubError(f"artifact {artifact.name} holds no {member}")
                if archive.getinfo(member).file_size > MAX_ARTIFACT_BYTES:
                    raise GitHubError(f"{member} of artifact {artifact.name} is too large")
                to.write_bytes(archive.read(member))
        except zipfile.BadZipFile:
            raise GitHubError(f"artifact {artifact.name} is not a zip file") from None
        except httpx.HTTPError as exc:
            raise _unreachable("GET", path, exc) from None
        finally:
            zipped.unlink(missing_ok=True)

    # --- comments, labels, issues -------------------------------------------------------------

    def comments(self, issue: int) -> list[dict[str, Any]]:
        return list(self._pages(f"{self._repo}/issues/{issue}/comments"))

    def create_comment(self, issue: int, body: str) -> dict[str, Any]:
        return self._json("POST", f"{self._repo}/issues/{issue}/comments", {"body": body})

    def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        return self._json("PATCH", f"{self._repo}/issues/comments/{comment_id}", {"body": body})

    def labels(self, issue: int) -> list[str]:
        return [str(label["name"]) for label in self._pages(f"{self._repo}/issues/{issue}/labels")]

    def add_labels(self, issue: int, names: list[str]) -> None:
        # GitHub creates a label that the repository does not have yet.
        self._json("POST", f"{self._repo}/issues/{issue}/labels", {"labels": names})

    def remove_label(self, issue: int, name: str) -> None:
        self._json("DELETE", f"{self._repo}/issues/{issue}/labels/{quote(name, safe='')}")

    def open_issues(self, label: str) -> list[dict[str, Any]]:
        """Open issues with `label`; pull requests (which the endpoint lists too) left out."""
        found = self._pages(f"{self._repo}/issues", {"state": "open", "labels": label})
        return [i for i in found if "pull_request" not in i]

    def create_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        payload = {"title": title, "body": body, "labels": labels}
        return self._json("POST", f"{self._repo}/issues", payload)

    def update_issue(self, number: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._json("PATCH", f"{self._repo}/issues/{number}", dict(fields))

    # --- the HTTP underneath ------------------------------------------------------------------

    def _pages(
        self, path: str, params: Mapping[str, str] | None = None, *, key: str | None = None
    ) -> Iterator[dict[str, Any]]:
        url: str | None = path
        query: dict[str, str] | None = {**(params or {}), "per_page": str(PER_PAGE)}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._send("GET", url, params=query)
            data = _body(response, "GET", path)
            items = data.get(key) if key and isinstance(data, dict) else data
            if not isinstance(items, list):
                raise GitHubError(f"GET {path}: GitHub's answer is not a list")
            yield from (item for item in items if isinstance(item, dict))
            # The next page's URL carries the query already.
            url, query = response.links.get("next", {}).get("url"), None

    def _json(self, method: str, path: str, payload: Any = None) -> dict[str, Any]:
        response = self._send(method, path, json=payload)
        if response.status_code == 204 or not response.content:
            return {}
        data = _body(response, method, path)
        return data if isinstance(data, dict) else {"items": data}

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise _unreachable(method, path, exc) from None
        self._check(response, method, path)
        return response

    def _check(self, response: httpx.Response, method: str, path: str) -> None:
        if response.is_success:
            return
        response.read()
        message = ""
        try:
            data = response.json()
            if isinstance(data, dict):
                message = str(data.get("message") or "")
        except ValueError:
            pass
        status = response.status_code
        raise GitHubError(
            escape(f"GitHub: {method} {path} ({status}){': ' + message if message else ''}"),
            hint=_HINTS.get(status),
        )


_HINTS = {
    401: "the token was refused: check the action's github-token",
    403: "the token lacks a permission: see the permissions the example workflows give the job",
    404: "not found, or the token cannot see it: check the job's permissions",
}


def _body(response: httpx.Response, method: str, path: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise GitHubError(f"{method} {path}: GitHub's answer is not JSON") from None


def _unreachable(method: str, path: str, exc: httpx.HTTPError) -> GitHubError:
    return GitHubError(escape(f"GitHub: {method} {path}: {type(exc).__name__}: {exc}"))
