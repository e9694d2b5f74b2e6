"""The three CI jobs, each run through numbersync's own commands and reported to GitHub:

- plan (a pull request): the plan as the pull request's one plan comment and the job summary,
  risk labels, the plan saved for the merge; file errors as annotations on the diff;
- apply (a merge): the plan reviewed for exactly the merged config, applied as it is; without
  one, or when it is refused, a fresh plan posted for a new review and nothing applied (unless
  `allow_unreviewed`);
- drift (a schedule): the plan, and one open drift issue while Close differs from the config.

Each returns the exit code of the job and sets the step outputs the action passes on.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbersync.ci.commands import Ran, Run
from numbersync.ci.context import Context, error_annotation
from numbersync.ci.github import GitHub
from numbersync.ci.publish import (
    BOT,
    GITHUB_BODY_LIMIT,
    Risk,
    drift_issue,
    fit,
    set_risk_labels,
    upsert_comment,
)
from numbersync.ci.reviewed import find_reviewed_plan
from numbersync.escape import escape
from numbersync.render import MARKDOWN_LIMIT, MARKDOWN_MARKER

_DIAGNOSTIC = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$", re.M)
ERROR_TAIL = 20  # lines of an apply's errors quoted above a fresh plan


@dataclass(frozen=True)
class Options:
    config: str
    workdir: Path  # where plans and reports are written
    comment: bool = True  # post to the pull request / the drift issue
    labels: bool = True  # risk labels on the pull request
    force: bool = False
    allow_unreviewed: bool = False
    plan_workflow: str = "numbersync-plan.yml"
    author: str = BOT  # whose comment is the plan comment
    timeout: str | None = None  # each numbersync command's --timeout, e.g. "10m"
    base: str | None = None  # plan: `--base`, what the pull request's config is compared with


def plan_job(ctx: Context, github: GitHub, options: Options, run: Run) -> int:
    plan_path = options.workdir / "plan.json"
    ran = _plan(run, options, plan_path, base=options.base)
    if ran.returncode in (0, 2):
        body, risk, kept = ran.stdout, _risk(plan_path), str(plan_path)
    else:
        for match in _DIAGNOSTIC.finditer(ran.stderr):
            line, col = int(match["line"]), int(match["col"])
            print(error_annotation(match["message"], match["file"], line, col), flush=True)
        body, risk, kept = failed("numbersync plan failed", ran.stderr), Risk(0, False), ""
    ctx.add_summary(body)
    if ctx.pull_request is not None:
        if options.comment:
            upsert_comment(github, ctx.pull_request, body, author=options.author)
        if options.labels and ran.returncode in (0, 2):
            set_risk_labels(github, ctx.pull_request, risk)
    _outputs(ctx, ran.returncode, risk, plan=kept)
    return 0 if ran.returncode in (0, 2) else 1


def apply_job(ctx: Context, github: GitHub, options: Options, run: Run, fingerprint: str) -> int:
    """`fingerprint`: the merged config's, which the reviewed plan must carry."""
    reviewed = find_reviewed_plan(
        github,
        ctx,
        fingerprint=fingerprint,
        plan_workflow=options.plan_workflow,
        to=options.workdir / "reviewed" / "plan.json",
    )
    report = options.workdir / "report.json"
    force = ["--force"] if options.force else []
    if reviewed.path is not None:
        intro = f"Applying {reviewed.reason}."
        _say(intro)
        # -c: the merged config, which has the plan's fingerprint, vouches for every change.
        checked = ["apply", str(reviewed.path), "-c", options.config]
        ran = run([*checked, *force, *_timeout(options), "--report", str(report)])
        if ran.returncode == 0:
            ctx.add_summary(f"{intro}\n\n{_fenced(ran.stdout)}")
            _outputs(ctx, 0, _risk(reviewed.path), report=str(report))
            return 0
        why = f"**The plan reviewed here was not applied** after the merge ([run]({ctx.run_url})):"
        return _review_again(
            ctx, github, options, run, why, reviewed.pull_request, report, _tail(ran.stderr)
        )
    if options.allow_unreviewed:
        intro = (
            f"**No reviewed plan matches the merged config**: {reviewed.reason}. Applying a "
            "fresh plan of the merged config at once (allow-unreviewed): nobody reviewed it."
        )
        _say(intro)
        fresh = ["apply", "-c", options.config, "--auto-approve", *force]
        ran = run([*fresh, *_timeout(options), "--report", str(report)])
        ctx.add_summary(f"{intro}\n\n{_fenced(ran.stdout + ran.stderr)}")
        _outputs(ctx, ran.returncode, Risk(0, False), report=str(report))
        return 0 if ran.returncode == 0 else 1
    why = (
        f"**Nothing was applied: no reviewed plan matches the merged config**: {reviewed.reason}."
        " An unreviewed plan is applied only with `allow-unreviewed: true`."
    )
    return _review_again(ctx, github, options, run, why, reviewed.pull_request, None)


def _review_again(
    ctx: Context,
    github: GitHub,
    options: Options,
    run: Run,
    why: str,
    pull_request: int | None,
    report: Path | None,
    errors: str = "",
) -> int:
    """A fresh plan of the merged config, posted for a new review; nothing applied. Close may
    already match (someone made the change by hand): then there is nothing left to do."""
    plan_path = options.workdir / "fresh" / "plan.json"
    ran = _plan(run, options, plan_path)
    report_out = str(report) if report else ""
    if ran.returncode == 0:
        done = "Close already matches the merged config: nothing is left to do."
        ctx.add_summary("\n\n".join([why, *([_fenced(errors)] if errors else []), done]))
        _say("Close already matches the merged config: nothing is left to do.")
        _outputs(ctx, 0, Risk(0, False), report=report_out)
        return 0
    if ran.returncode != 2:
        ctx.add_summary(f"{why}\n\n{failed('numbersync plan failed', ran.stderr)}")
        _outputs(ctx, 1, Risk(0, False), report=report_out)
        return 1
    proceed = (
        "A fresh plan of the merged config, from Close as it is now, follows. Review it, then "
        f"run the `{ctx.workflow_file}` workflow by hand on this branch (Actions > Run workflow): "
        "it applies exactly this plan, and refuses it in turn if Close changed again. To keep "
        "what Close has instead, change the config in a new pull request."
    )
    quoted = [_fenced(errors)] if errors else []
    body = "\n\n".join([why, *quoted, proceed, ran.stdout])
    if len(body) > GITHUB_BODY_LIMIT:  # a plan near its own limit: the log has apply's words
        body = "\n\n".join([why, "(apply's messages are in the job's log)", proceed, ran.stdout])
    body = fit(f"{why}\n\n{proceed}", ran.stdout) if len(body) > GITHUB_BODY_LIMIT else body
    ctx.add_summary(body)
    if pull_request is not None and options.comment:
        github.create_comment(pull_request, body)
    posted = f" and on pull request #{pull_request}" if pull_request and options.comment else ""
    print(
        escape(
            "Error: nothing was applied; a fresh plan is posted for review in the job summary"
            f"{posted}."
        ),
        file=sys.stderr,
    )
    print(escape(f"Hint: {proceed.split('. ', 1)[1]}"), file=sys.stderr)
    _outputs(ctx, 1, _risk(plan_path), changes=True, plan=str(plan_path), report=report_out)
    return 1


def drift_job(ctx: Context, github: GitHub, options: Options, run: Run) -> int:
    plan_path = options.workdir / "plan.json"
    ran = _plan(run, options, plan_path)
    if ran.returncode not in (0, 2):
        ctx.add_summary(failed("numbersync drift check failed", ran.stderr))
        _outputs(ctx, ran.returncode, Risk(0, False))
        return 1
    ctx.add_summary(ran.stdout)
    if options.comment:
        intro = (
            f"Close no longer matches `{options.config}` ([run]({ctx.run_url})). Run the apply "
            "workflow to put Close back, or change the config to match Close. Each number shows "
            "when Close last changed it: a recent time is likely an edit in the Close app."
        )
        done = drift_issue(
            github,
            drifted=ran.returncode == 2,
            title=f"Close phone numbers drifted from {options.config}",
            body=fit(intro, ran.stdout),
        )
        _say(f"Drift issue: {done}.")
    _outputs(ctx, ran.returncode, _risk(plan_path), plan=str(plan_path))
    return 0


# --- pieces -------------------------------------------------------------------------------------


def _plan(run: Run, options: Options, out: Path, base: str | None = None) -> Ran:
    out.parent.mkdir(parents=True, exist_ok=True)
    args = ["plan", "-c", options.config, "--format", "markdown", "--out", str(out)]
    compared = ["--base", base] if base else []
    return run([*args, *compared, "--detailed-exitcode", *_timeout(options)])


def _timeout(options: Options) -> list[str]:
    return ["--timeout", options.timeout] if options.timeout else []


def _risk(plan_path: Path) -> Risk:
    try:
        document: Mapping[str, Any] = json.loads(plan_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Risk(0, False)
    return Risk.of(document if isinstance(document, dict) else {})


def _outputs(
    ctx: Context,
    code: int,
    risk: Risk,
    *,
    changes: bool | None = None,
    plan: str = "",
    report: str = "",
) -> None:
    """`changes`: whether changes are left to apply; by default, what exit code 2 says."""
    ctx.set_outputs(
        {
            "exit-code": str(code),
            "has-changes": _bool(code == 2 if changes is None else changes),
            "risky": _bool(risk.any),
            "refused": _bool(risk.refuses),
            "plan-path": plan,
            "report-path": report,
        }
    )


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _say(text: str) -> None:
    print(escape(text), flush=True)


def failed(title: str, errors: str) -> str:
    """The comment that replaces a plan when there is none: the errors, so that nobody reviews
    an outdated plan."""
    room = MARKDOWN_LIMIT - len(title) - 100
    return f"{MARKDOWN_MARKER}\n### {title}\n\n{_fenced(errors, room)}"


def _tail(text: str) -> str:
    lines = text.splitlines()[-ERROR_TAIL:]
    return "\n".join(line[:300] for line in lines)


def _fenced(text: str, limit: int = GITHUB_BODY_LIMIT // 4) -> str:
    """`text` as a code block: a fence longer than any run of backticks in it, so that nothing
    in it can end the block; cut at `limit` characters."""
    if len(text) > limit:
        text = text[:limit].rsplit("\n", 1)[0] + "\n... (cut; the job's log has it all)"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"
