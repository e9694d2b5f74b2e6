"""Finding the plan that was reviewed for what was merged: the plan artifact that the pull
request's plan run kept at its head commit, used only if it was made from exactly the config now
merged (the same fingerprint).

On a run by hand (workflow_dispatch) the reviewed plan is instead the fresh plan that a refused
apply of the same commit posted for review, kept by that failed run of this same workflow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbersync.ci.context import Context
from numbersync.ci.github import GitHub

ARTIFACT = "numbersync-plan"  # the artifact's name, in the plan job and in a refused apply
PLAN_FILE = "plan.json"  # the plan inside it
RUNS_LOOKED_AT = 20  # a commit planned more often than this is planned again


@dataclass(frozen=True)
class Reviewed:
    """The reviewed plan (saved at `path`), or None and why there is none, in one sentence."""

    path: Path | None
    reason: str
    pull_request: int | None  # the pull request merged as this commit, if any


def merged_pull_request(github: GitHub, sha: str) -> dict[str, Any] | None:
    """The pull request merged as commit `sha` (merge, squash and rebase merges alike)."""
    return next((p for p in github.pulls_of_commit(sha) if p.get("merge_commit_sha") == sha), None)


def find_reviewed_plan(
    github: GitHub, ctx: Context, *, fingerprint: str, plan_workflow: str, to: Path
) -> Reviewed:
    merged = merged_pull_request(github, ctx.sha)
    number = int(merged["number"]) if merged else None
    if ctx.event_name == "workflow_dispatch":
        what = "fresh plan that a refused apply of this commit posted for review"
        runs = github.workflow_runs(ctx.workflow_file, head_sha=ctx.sha, status="failure")
    elif merged is not None:
        head = str(merged["head"]["sha"])
        what = f"plan of pull request #{number} at its head commit {head[:12]}"
        runs = github.workflow_runs(
            plan_workflow, head_sha=head, event="pull_request", status="success"
        )
    else:
        return Reviewed(None, "no pull request was merged as this commit (a direct push)", None)

    expired = False
    for run in runs[:RUNS_LOOKED_AT]:
        artifacts = github.artifacts(int(run["id"]), ARTIFACT)
        live = [a for a in artifacts if not a.expired]
        expired = expired or len(live) < len(artifacts)
        if not live:
            continue
        github.download(live[0], PLAN_FILE, to)
        made_from = _fingerprint(to)
        where = f"([run]({run.get('html_url', '')}))"
        if made_from == fingerprint:
            return Reviewed(to, f"the reviewed {what} {where}", number)
        to.unlink(missing_ok=True)
        if made_from is None:
            return Reviewed(None, f"the saved {what} {where} cannot be read", number)
        return Reviewed(
            None,
            f"the {what} {where} was made from config `{made_from[:19]}`, not from the merged "
            f"`{fingerprint[:19]}` (another change was merged in between, or the branch was "
            "behind)",
            number,
        )
    if expired:
        return Reviewed(None, f"the saved {what} has expired", number)
    return Reviewed(None, f"no saved {what} was found", number)


def _fingerprint(path: Path) -> str | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        fingerprint = document["config"]["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return fingerprint if isinstance(fingerprint, str) else None
