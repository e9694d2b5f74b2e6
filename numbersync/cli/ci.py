"""`numbersync ci plan|apply|drift`: the jobs the GitHub Action runs (numbersync/ci/), with their
settings from options or from the environment variables the action sets."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from numbersync.cli.common import (
    discover_config,
    parse_duration,
    reports_errors,
    resolve_config,
    shown_duration,
)

if TYPE_CHECKING:
    from numbersync.ci.context import Context
    from numbersync.ci.jobs import Options

F = TypeVar("F", bound=Callable[..., Any])

TOKEN_VARS = ("NUMBERSYNC_GITHUB_TOKEN", "GITHUB_TOKEN")
# Inside the example workflows' job limits (plan and drift 15 minutes, apply 30), so that
# numbersync stops on its own, reports, and leaves time to post what it did.
PLAN_TIMEOUT = 10 * 60.0
APPLY_TIMEOUT = 25 * 60.0
EPILOG = """\b
Environment: the runner's GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_EVENT_NAME,
GITHUB_EVENT_PATH, GITHUB_WORKFLOW_REF, GITHUB_API_URL, GITHUB_SERVER_URL,
GITHUB_RUN_ID, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY; the token in
NUMBERSYNC_GITHUB_TOKEN (else GITHUB_TOKEN); CLOSE_API_KEY or CLOSE_ACCESS_TOKEN,
CLOSE_API_URL for numbersync itself; each option's NUMBERSYNC_* variable.

\b
Exit codes: 0 the job did its work (a plan with changes included); 1 an error,
or (apply) anything not applied. The step output exit-code keeps numbersync's
own code (plan: 0 no changes, 2 changes, 1 error)."""


def _job_options(func: F) -> F:
    options = [
        click.option(
            "-c",
            "--config",
            "config_path",
            envvar="NUMBERSYNC_CONFIG",
            metavar="FILE|DIR",
            callback=discover_config,
            help="The desired-state file or directory. Default: numbers.yaml, else a numbers/ "
            "directory [env: NUMBERSYNC_CONFIG].",
        ),
        click.option(
            "--comment/--no-comment",
            default=True,
            show_default=True,
            envvar="NUMBERSYNC_COMMENT",
            help="Post the plan where people review it: the pull request's plan comment, the "
            "merged pull request (a fresh plan for review), the drift issue "
            "[env: NUMBERSYNC_COMMENT].",
        ),
        click.option(
            "--timeout",
            callback=parse_duration,
            envvar="NUMBERSYNC_TIMEOUT",
            metavar="DURATION",
            help="Each numbersync command's --timeout (90s, 15m, 1h30m), so that it stops and "
            "reports before the job's own time limit. Default: 10m, apply 25m "
            "[env: NUMBERSYNC_TIMEOUT].",
        ),
        click.option(
            "--dir",
            "workdir",
            default=".numbersync",
            show_default=True,
            envvar="NUMBERSYNC_DIR",
            metavar="DIR",
            help="Where the plans and the report are written [env: NUMBERSYNC_DIR].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(epilog=EPILOG)
def ci() -> None:
    """Run a CI job on GitHub Actions: plan, apply or drift (what the numbersync action runs)."""


@ci.command(epilog=EPILOG)
@_job_options
@click.option(
    "--labels/--no-labels",
    default=True,
    show_default=True,
    envvar="NUMBERSYNC_LABELS",
    help="Label the pull request `numbersync: risky` and `numbersync: needs --force` while its "
    "plan is [env: NUMBERSYNC_LABELS].",
)
@click.option(
    "--base",
    envvar="NUMBERSYNC_BASE",
    metavar="REF|PATH",
    help="What the config is compared with, to list what the change stops managing. Default: "
    "the pull request's base commit [env: NUMBERSYNC_BASE].",
)
@reports_errors
def plan(
    config_path: str | None,
    comment: bool,
    timeout: float | None,
    workdir: str,
    labels: bool,
    base: str | None,
) -> None:
    """Plan a pull request: one plan comment, risk labels, the job summary, the saved plan."""
    options = _options(
        config_path, workdir, timeout or PLAN_TIMEOUT, comment=comment, labels=labels, base=base
    )
    _run("plan", options)


@ci.command(epilog=EPILOG)
@_job_options
@click.option(
    "--force",
    is_flag=True,
    envvar="NUMBERSYNC_FORCE",
    help="Apply even when the safety rails refuse [env: NUMBERSYNC_FORCE].",
)
@click.option(
    "--allow-unreviewed",
    is_flag=True,
    envvar="NUMBERSYNC_ALLOW_UNREVIEWED",
    help="Without a reviewed plan of exactly the merged config, apply a fresh plan at once "
    "instead of posting it for review and failing [env: NUMBERSYNC_ALLOW_UNREVIEWED].",
)
@click.option(
    "--plan-workflow",
    default="numbersync-plan.yml",
    show_default=True,
    envvar="NUMBERSYNC_PLAN_WORKFLOW",
    metavar="FILE",
    help="The pull-request workflow whose runs keep the reviewed plans "
    "[env: NUMBERSYNC_PLAN_WORKFLOW].",
)
@reports_errors
def apply(
    config_path: str | None,
    comment: bool,
    timeout: float | None,
    workdir: str,
    force: bool,
    allow_unreviewed: bool,
    plan_workflow: str,
) -> None:
    """Apply on merge: the plan reviewed for exactly the merged config, or nothing (a fresh plan
    is posted for review)."""
    _run(
        "apply",
        _options(
            config_path,
            workdir,
            timeout or APPLY_TIMEOUT,
            comment=comment,
            force=force,
            allow_unreviewed=allow_unreviewed,
            plan_workflow=plan_workflow,
        ),
    )


@ci.command(epilog=EPILOG)
@_job_options
@reports_errors
def drift(config_path: str | None, comment: bool, timeout: float | None, workdir: str) -> None:
    """Check for drift: the plan, and one open drift issue while Close differs from the config."""
    _run("drift", _options(config_path, workdir, timeout or PLAN_TIMEOUT, comment=comment))


def _options(config_path: str | None, workdir: str, timeout: float, **settings: Any) -> Options:
    from pathlib import Path

    from numbersync.ci.jobs import Options

    return Options(
        config=resolve_config(config_path),
        workdir=Path(workdir),
        timeout=shown_duration(timeout),
        **settings,
    )


def _run(job: str, options: Options) -> None:
    import sys

    from numbersync.ci import jobs
    from numbersync.ci.commands import run_numbersync
    from numbersync.ci.context import Context
    from numbersync.ci.github import GitHub
    from numbersync.errors import UsageError

    ctx = Context.from_env(os.environ)
    token = next((os.environ[name] for name in TOKEN_VARS if os.environ.get(name)), "")
    if not token:
        raise UsageError(
            "no GitHub token: NUMBERSYNC_GITHUB_TOKEN and GITHUB_TOKEN are not set",
            hint="the action passes its github-token input (default: the job's token)",
        )
    with GitHub(ctx.api_url, ctx.repository, token) as github:
        if job == "plan":
            if options.base is None:
                options = _with_pull_request_base(ctx, options)
            code = jobs.plan_job(ctx, github, options, run_numbersync)
        elif job == "apply":
            from numbersync import config

            fingerprint = config.load(options.config).fingerprint
            code = jobs.apply_job(ctx, github, options, run_numbersync, fingerprint)
        else:
            code = jobs.drift_job(ctx, github, options, run_numbersync)
    sys.exit(code)


def _with_pull_request_base(ctx: Context, options: Options) -> Options:
    from dataclasses import replace

    from numbersync.ci.context import warning_annotation
    from numbersync.ci.prbase import pull_request_base

    base, why = pull_request_base(ctx)
    if why:
        click.echo(warning_annotation(why))
    return replace(options, base=base)


GITLAB_EPILOG = """\b
Environment: CI_API_V4_URL, CI_PROJECT_ID, NUMBERSYNC_NOTE_TOKEN (a project access
token), CI_MERGE_REQUEST_IID, CI_COMMIT_SHA, CI_PIPELINE_SOURCE, as GitLab sets
them in the component's jobs.

\b
Exit codes: 0 done; 1 an error (GitLab refused or could not be reached)."""


@ci.command("gitlab-note", epilog=GITLAB_EPILOG)
@click.argument("body_file", metavar="FILE")
@click.option("--new", is_flag=True, help="Add a new note instead of updating the plan note.")
@click.option(
    "--mr",
    "iid",
    type=int,
    envvar="CI_MERGE_REQUEST_IID",
    help="The merge request's iid [env: CI_MERGE_REQUEST_IID].",
)
@click.option(
    "--mr-file",
    metavar="FILE",
    help="Read the merge request's iid from FILE (gitlab-reviewed-plan writes it).",
)
@reports_errors
def gitlab_note(body_file: str, new: bool, iid: int | None, mr_file: str | None) -> None:
    """GitLab: post FILE as the merge request's one plan note (updated in place), or a new note."""
    from numbersync.ci.gitlab import GitLab, upsert_note
    from numbersync.errors import UsageError
    from numbersync.escape import escape
    from numbersync.files import read_file

    if mr_file:
        text = read_file(mr_file).decode("ascii", errors="replace").strip()
        if not text.isdigit():
            raise UsageError(f"{mr_file} holds no merge request iid")
        iid = int(text)
    if iid is None:
        raise UsageError("which merge request? CI_MERGE_REQUEST_IID is not set: pass --mr IID")
    body = read_file(body_file).decode("utf-8", errors="replace")
    with GitLab.from_env(os.environ) as gitlab:
        if new:
            gitlab.create_note(iid, body)
            done = "added"
        else:
            done = upsert_note(gitlab, iid, body)
    click.echo(escape(f"Note {done} on merge request !{iid}."))


@ci.command("gitlab-reviewed-plan", epilog=GITLAB_EPILOG)
@click.option(
    "-c",
    "--config",
    "config_path",
    metavar="FILE|DIR",
    help="The merged config. Default: numbers.yaml, else a numbers/ directory.",
)
@click.option(
    "--to",
    "to_path",
    default="reviewed/plan.json",
    show_default=True,
    metavar="PLANFILE",
    help="Where to save the reviewed plan, when there is one.",
)
@click.option(
    "--mr-file",
    default="mr.txt",
    show_default=True,
    metavar="FILE",
    help="Where to write the merged merge request's iid, when there is one.",
)
@click.option(
    "--allow-unreviewed",
    is_flag=True,
    envvar="NUMBERSYNC_ALLOW_UNREVIEWED",
    help="Say that a fresh plan is applied without a reviewed one "
    "[env: NUMBERSYNC_ALLOW_UNREVIEWED].",
)
@reports_errors
def gitlab_reviewed_plan(
    config_path: str | None, to_path: str, mr_file: str, allow_unreviewed: bool
) -> None:
    """GitLab: save the plan reviewed in the merge request merged as this commit, if it was made
    from exactly the merged config, and say what the apply job does."""
    from pathlib import Path

    from numbersync import config
    from numbersync.ci.gitlab import GitLab, find_reviewed_plan, save
    from numbersync.errors import UsageError
    from numbersync.escape import escape

    if os.environ.get("CI_PIPELINE_SOURCE") == "web":
        click.echo("A pipeline run by hand applies a fresh plan of the merged config.")
        return
    sha = os.environ.get("CI_COMMIT_SHA")
    if not sha:
        raise UsageError("CI_COMMIT_SHA is not set: this runs in the component's apply job")
    fingerprint = config.load(resolve_config(config_path)).fingerprint
    with GitLab.from_env(os.environ) as gitlab:
        reviewed = find_reviewed_plan(gitlab, sha, fingerprint)
    if reviewed.iid is not None:
        Path(mr_file).write_text(str(reviewed.iid), encoding="utf-8")
    if reviewed.text is not None:
        save(reviewed, Path(to_path))
        message = f"Applying {reviewed.reason}."
    elif allow_unreviewed:
        message = (
            f"No reviewed plan matches the merged config: {reviewed.reason}. Falling back to a "
            "fresh plan of the merged config, applied at once: nobody reviewed this plan."
        )
    else:
        message = (
            f"Nothing is applied: no reviewed plan matches the merged config: {reviewed.reason}."
            " A fresh plan is posted for review (allow-unreviewed is false)."
        )
    click.echo(escape(message))
