"""The pull request's base, for `plan --base`: the commit the pull request's config is compared
with, so that its plan lists what the change stops managing.

actions/checkout checks out a pull request's merge commit (GITHUB_SHA): its first parent is the
base branch as the pull request merges into it, the base its diff is shown against. A checkout
of depth 1 holds no parent: `fetch-depth: 2` brings it. Without it, the event's `base.sha`
serves when the checkout holds that commit (fetch-depth: 0); else the plan goes without a base,
and the job says why.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

from numbersync.ci.context import Context

# `git ARGS` in the workspace: its output without the newline, or None when git fails.
Git = Callable[..., str | None]


def git_output(*args: str) -> str | None:
    binary = shutil.which("git")
    if binary is None:
        return None
    try:
        done = subprocess.run(
            [binary, *args], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def pull_request_base(ctx: Context, git: Git = git_output) -> tuple[str | None, str]:
    """The commit to pass as `plan --base` (None: none), and why there is none when a pull
    request has one that the checkout does not hold."""
    if ctx.pull_request is None:
        return None, ""

    def commit(rev: str) -> str | None:
        return git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")

    head = commit("HEAD")
    # The merge commit the runner checked out: its first parent is the base. A pull request's
    # head that is itself a merge (main merged into the branch) is no such commit: HEAD is then
    # not GITHUB_SHA.
    if head is not None and head == ctx.sha and commit("HEAD^2") is not None:
        first = commit("HEAD^1")
        if first is not None:
            return first, ""
    if ctx.base_sha and commit(ctx.base_sha) is not None:
        return ctx.base_sha, ""
    missing = ctx.base_sha[:12] if ctx.base_sha else "commit"
    return None, (
        f"the pull request's base {missing} is not in the checkout, so the plan does not list "
        "what the change stops managing; check out with `fetch-depth: 2` (actions/checkout)"
    )
