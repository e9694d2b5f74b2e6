"""What a GitHub Actions job knows about itself, read from the environment the runner sets
(https://docs.github.com/actions/reference/variables-reference), and where it writes back:
step outputs, the job summary, annotations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from numbersync.errors import UsageError

# Workflow commands take their data with these characters encoded; properties (file=, line=)
# also `:` and `,` (https://github.com/actions/toolkit, command.ts).
_DATA = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_PROPERTY = {**_DATA, ":": "%3A", ",": "%2C"}


@dataclass(frozen=True)
class Context:
    repository: str  # owner/name
    sha: str  # the commit the job runs on
    event_name: str  # pull_request, push, workflow_dispatch, schedule, ...
    api_url: str
    server_url: str
    run_id: str
    workflow_ref: str  # owner/name/.github/workflows/FILE@REF
    pull_request: int | None  # the pull request of a pull_request event
    output_path: str | None  # GITHUB_OUTPUT
    summary_path: str | None  # GITHUB_STEP_SUMMARY
    base_sha: str | None = None  # the pull request's base commit, from the event

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Context:
        missing = [name for name in ("GITHUB_REPOSITORY", "GITHUB_SHA") if not env.get(name)]
        if missing:
            raise UsageError(
                f"{' and '.join(missing)} not set: `numbersync ci` runs inside GitHub Actions",
                hint="use the numbersync action (action.yml), or run numbersync plan/apply itself",
            )
        return cls(
            repository=env["GITHUB_REPOSITORY"],
            sha=env["GITHUB_SHA"],
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
            server_url=env.get("GITHUB_SERVER_URL") or "https://github.com",
            run_id=env.get("GITHUB_RUN_ID", ""),
            workflow_ref=env.get("GITHUB_WORKFLOW_REF", ""),
            pull_request=_pull_request(env),
            output_path=env.get("GITHUB_OUTPUT") or None,
            summary_path=env.get("GITHUB_STEP_SUMMARY") or None,
            base_sha=_base_sha(env),
        )

    @property
    def run_url(self) -> str:
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def workflow_file(self) -> str:
        """This workflow's file name (`numbersync-apply.yml`), the id the runs API takes."""
        return self.workflow_ref.split("@", 1)[0].rsplit("/", 1)[-1]

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        if not self.output_path:
            return
        with open(self.output_path, "a", encoding="utf-8") as handle:
            for name, value in outputs.items():
                # Single-line values only: a newline would start another output.
                handle.write(f"{name}={value.replace(chr(10), ' ')}\n")

    def add_summary(self, markdown: str) -> None:
        if not self.summary_path:
            return
        with open(self.summary_path, "a", encoding="utf-8") as handle:
            handle.write(markdown.rstrip("\n") + "\n\n")


def _pull_request(env: Mapping[str, str]) -> int | None:
    """The pull request number from the event payload, for pull_request events."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not env.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
        number = event["pull_request"]["number"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return number if isinstance(number, int) else None


def _base_sha(env: Mapping[str, str]) -> str | None:
    """The pull request's `base.sha` from the event payload, for pull_request events."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not env.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            sha = json.load(handle)["pull_request"]["base"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sha if isinstance(sha, str) and sha else None


def warning_annotation(message: str) -> str:
    """`::warning::MESSAGE`: shown on the run's page."""
    return f"::warning::{_encode(message, _DATA)}"


def error_annotation(message: str, file: str, line: int, col: int) -> str:
    """`::error file=F,line=L,col=C::MESSAGE`: shown on that line of the pull request's diff."""
    where = f"file={_encode(file, _PROPERTY)},line={line},col={col}"
    return f"::error {where}::{_encode(message, _DATA)}"


def _encode(text: str, table: Mapping[str, str]) -> str:
    return "".join(table.get(char, char) for char in text)
