"""`numbersync init`: what a repository started from the live account holds (the exported config,
the schema beside it, CI recipes pinned to this numbersync, a pre-commit config, a README for its
users), and never writing over what is already there without saying so."""

from __future__ import annotations

import os
import re
import shlex
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from numbersync import __version__
from numbersync.config import ROOT_FILE, YAML_SUFFIXES
from numbersync.errors import UsageError
from numbersync.export import UNASSIGNED, Export
from numbersync.modeline import SCHEMA_FILE
from numbersync.resources import shipped_text

CONFIG_FILE = "numbers.yaml"
CONFIG_DIR = "numbers"
PRE_COMMIT = ".pre-commit-config.yaml"
README = "README.md"
GITHUB_RECIPES = "examples/ci/github-actions"
# Every workflow of examples/ci/github-actions/ (tests/test_e2e_init.py checks that none is missed).
GITHUB_WORKFLOWS = ("numbersync-plan.yml", "numbersync-apply.yml", "numbersync-drift.yml")
DEPENDABOT = ".github/dependabot.yml"
GITLAB_RECIPE = "examples/ci/gitlab/.gitlab-ci.yml"
REPOSITORY = "https://github.com/numbersync/numbersync"
# The hooks of this repository's .pre-commit-hooks.yaml: for ./numbers.yaml, for ./numbers/.
HOOKS = {False: "numbersync-validate", True: "numbersync-validate-tree"}
# The recipes' one setting of what to check: the action's or the component's `config:` input.
_CONFIG_LINE = re.compile(r"^(?P<indent>[ \t]*)config:[ \t]*\S+.*$", re.M)
# Where a recipe names a numbersync release: the action's `@vX.Y.Z`, the component's `/vX.Y.Z/`.
_RELEASE = re.compile(r"(?P<repo>numbersync/numbersync[@/])v\d+\.\d+\.\d+")

_WHAT = {
    SCHEMA_FILE: "the JSON Schema: editors complete and check the config with it",
    PRE_COMMIT: "pre-commit: `numbersync validate` before each commit (offline)",
    README: "how this repository works, for its users",
    ".github/workflows/numbersync-plan.yml": "CI: the plan of every pull request, as a comment",
    ".github/workflows/numbersync-apply.yml": "CI: applies the reviewed plan on merge to main",
    ".github/workflows/numbersync-drift.yml": "CI: a daily check that Close still matches",
    DEPENDABOT: "Dependabot: keeps the numbersync action (and the others) current",
    ".gitlab-ci.yml": "CI: plan on merge requests, apply on the default branch, drift checks",
}


@dataclass(frozen=True)
class Layout:
    """What init writes: one file or a directory of files, and which CI."""

    split: bool = False
    ci: str | None = None  # "github", "gitlab" or None

    @property
    def config(self) -> str:
        return CONFIG_DIR if self.split else CONFIG_FILE

    def recipes(self) -> dict[str, str]:
        """Where each CI recipe goes in the new repository -> where it ships in numbersync."""
        if self.ci == "github":
            return {f".github/workflows/{n}": f"{GITHUB_RECIPES}/{n}" for n in GITHUB_WORKFLOWS}
        if self.ci == "gitlab":
            return {".gitlab-ci.yml": GITLAB_RECIPE}
        return {}

    def fixed_paths(self) -> list[str]:
        """What init writes whatever the account holds (a directory's files depend on it)."""
        config = [] if self.split else [CONFIG_FILE]
        dependabot = [DEPENDABOT] if self.ci == "github" else []
        return [*config, SCHEMA_FILE, *self.recipes(), *dependabot, PRE_COMMIT, README]


def files(exported: Export, layout: Layout, *, source: str, when: str) -> dict[str, str]:
    """Path in the new repository -> text, in the order init reports them."""
    if layout.split:
        tree = exported.tree(source=source, when=when, schema=f"../{SCHEMA_FILE}")
        config = {f"{CONFIG_DIR}/{name}": text for name, text in tree.items()}
    else:
        config = {CONFIG_FILE: exported.yaml(source=source, when=when, schema=SCHEMA_FILE)}
    recipes = {
        path: pinned(with_config(shipped_text(shipped), layout.config, shipped))
        for path, shipped in layout.recipes().items()
    }
    if layout.ci == "github":
        recipes[DEPENDABOT] = DEPENDABOT_CONFIG
    return {
        **config,
        SCHEMA_FILE: shipped_text("schemas/numbersync.schema.json"),
        **recipes,
        PRE_COMMIT: pre_commit_config(layout),
        README: readme(layout),
    }


def with_config(recipe: str, config: str, name: str) -> str:
    """The recipe with its `config:` set to `config` (it has exactly one such line)."""
    lines = _CONFIG_LINE.findall(recipe)
    if len(lines) != 1:
        raise UsageError(
            f"the shipped recipe {name} has {len(lines)} config lines instead of one",
            hint="this is a numbersync bug; please report it",
        )
    what = "the directory of files" if config == CONFIG_DIR else "the file"
    return _CONFIG_LINE.sub(
        lambda m: f"{m['indent']}config: {config} # {what} numbersync init wrote", recipe
    )


def pinned(recipe: str) -> str:
    """The recipe with the numbersync release it uses set to this one."""
    return _RELEASE.sub(lambda m: f"{m['repo']}v{__version__}", recipe)


DEPENDABOT_CONFIG = """\
# Dependabot: a pull request when a GitHub Action these workflows use has a new release,
# numbersync's own included; that pull request's plan shows whether anything changes.
version: 2
updates:
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: weekly
"""


def existing(directory: str, layout: Layout, paths: Iterable[str] | None = None) -> list[str]:
    """The paths init would write that are already there (`paths`: all of them, once known), and
    for a directory of files, every YAML file already in it."""
    found = [p for p in paths or layout.fixed_paths() if os.path.lexists(_join(directory, p))]
    if layout.split:
        found += [p for p in _yaml_files(directory, CONFIG_DIR) if p not in found]
    return found


def refuse_existing(
    directory: str, layout: Layout, *, force: bool, written: Mapping[str, str] | None = None
) -> None:
    """Raise, before anything is written, when init would write over a file and not `force`; or,
    even with `force`, leave a YAML file in the config directory that it did not write (that
    file would name its numbers a second time). `written`: every file, once the account is read."""
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise UsageError(f"{directory} is a file; init writes a new repository into a directory")
    config = _join(directory, layout.config)
    if layout.split and os.path.lexists(config) and not os.path.isdir(config):
        raise UsageError(f"{config} is a file; init --split-by group writes a directory there")
    found = existing(directory, layout, written)
    if not force and found:
        raise UsageError(
            f"{_count(found, 'file')} already in {directory}: {', '.join(found)}",
            hint="pass --force to keep each that differs and write init's version beside it as "
            "FILE.new (--overwrite replaces them), or init another directory",
        )
    stale = [p for p in found if written is not None and p not in written]
    if stale:
        raise UsageError(
            f"{_count(stale, 'file')} in {config} would be left beside the new ones: "
            f"{', '.join(stale)}",
            hint="each would name its numbers a second time; move them away, then init again",
        )


def _yaml_files(directory: str, config: str) -> list[str]:
    """The YAML files under `directory/config`, as paths relative to `directory`."""
    found = []
    for root, dirs, names in os.walk(_join(directory, config)):
        dirs.sort()
        for name in sorted(names):
            if name.endswith(YAML_SUFFIXES):
                found.append(os.path.relpath(os.path.join(root, name), directory))
    return [p.replace(os.sep, "/") for p in found]


def _join(directory: str, path: str) -> str:
    return os.path.normpath(os.path.join(directory, path))


def _count(items: list[str], what: str) -> str:
    return f"{len(items)} {what}{'s' if len(items) != 1 else ''}"


NEW = ".new"  # beside a file that differs from what init writes: init's version of it


@dataclass(frozen=True)
class Writes:
    """What init writes where: `files` (path -> text; a `FILE.new` for each file already there
    that differs, which stays as it is), and the paths already there as init would write them."""

    files: dict[str, str]
    kept: list[str]
    unchanged: list[str]


def sort_out(directory: str, files: Mapping[str, str], *, overwrite: bool) -> Writes:
    """Never over a file that differs from what init writes now (the user's edits, or an older
    numbersync's version): init's text goes beside it as FILE.new, unless `overwrite`."""
    out: dict[str, str] = {}
    kept, unchanged = [], []
    for path, text in files.items():
        target = _join(directory, path)
        if overwrite or not os.path.lexists(target):
            out[path] = text
            continue
        try:
            with open(target, encoding="utf-8", newline="") as handle:
                current: str | None = handle.read()
        except (OSError, UnicodeDecodeError):
            current = None
        if current == text:
            unchanged.append(path)
        else:
            out[path + NEW] = text
            kept.append(path)
    return Writes(out, kept, unchanged)


def summary(directory: str, writes: Writes, layout: Layout, count: int) -> list[str]:
    """What init prints: each file written and what it is for, the files it left as they are,
    then what is left to do."""
    written = writes.files
    shown = {path: _join(directory, path) for path in written}
    width = max((len(p) for p in shown.values()), default=0)
    lines = [f"Wrote {_count(list(written), 'file')}, from {count} numbers:"]
    for path, where in shown.items():
        lines.append(f"  {where:<{width}}  {_what(path)}")
    if writes.kept:
        lines += [
            "",
            f"Kept {_count(writes.kept, 'file')} that differ from what init writes now, each "
            "with init's version beside it as FILE.new (compare, merge, then delete the .new; "
            "--overwrite replaces them instead):",
        ]
        lines += [f"  {_join(directory, path)}" for path in writes.kept]
    if writes.unchanged:
        lines += ["", f"Left {_count(writes.unchanged, 'file')} as they were: already up to date."]
    steps = []
    if layout.ci:
        steps.append(_CI_SECRETS[layout.ci])
    else:
        steps.append("CI: `numbersync init --ci github` (or `--ci gitlab`) adds the recipes.")
    steps.append("pre-commit: run `pre-commit install` once.")
    steps.append("Check that Close matches the files (No changes., exit 0):")
    config = shlex.quote(_join(directory, layout.config))
    steps.append(f"       numbersync plan -c {config} --detailed-exitcode")
    lines += ["", "Next:"]
    n = 0
    for step in steps:
        if step.startswith(" "):  # a path or a command: on a line of its own, never wrapped
            lines.append(step)
            continue
        n += 1
        lines += textwrap.wrap(
            step,
            100,
            initial_indent=f"  {n}. ",
            subsequent_indent="     ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return lines


def _what(path: str) -> str:
    if path.endswith(NEW):
        return f"init's version of {path.removesuffix(NEW)}, which differs (kept as it is)"
    return _WHAT.get(path) or _config_what(path)


def _config_what(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if path == CONFIG_FILE:
        return "the numbers as Close has them now"
    if name == ROOT_FILE:
        return "the defaults the numbers of every file below share"
    if name == f"{UNASSIGNED}.yaml":
        return "the numbers that ring no participant group"
    return "the numbers that ring this participant group first"


_CI_SECRETS = {
    "github": "Create the repository secret CLOSE_API_KEY (Settings > Secrets and variables > "
    "Actions) and the environment `close` with its own CLOSE_API_KEY, for the apply job.",
    "gitlab": "Create the CI/CD variables CLOSE_API_KEY (protected), CLOSE_PLAN_API_KEY and "
    "NUMBERSYNC_NOTE_TOKEN (Settings > CI/CD > Variables; numbersync's templates/numbersync.yml "
    "says what each is for).",
}


def pre_commit_config(layout: Layout) -> str:
    hook = HOOKS[layout.split]
    return "\n".join(
        [
            "# pre-commit (https://pre-commit.com): run `pre-commit install` once; every commit",
            f"# that changes {layout.config} is then validated first (offline: no key needed).",
            "repos:",
            f"  - repo: {REPOSITORY}",
            f"    rev: v{__version__}",
            "    hooks:",
            f"      - id: {hook}",
            "",
        ]
    )


def readme(layout: Layout) -> str:
    """The new repository's README: what each file is, how to change a number, what CI needs."""
    config = layout.config
    what = (
        f"`{config}/`: one file per participant group (and `unassigned.yaml`) under a root "
        f"`{config}/numbersync.yaml` with the defaults the numbers share"
        if layout.split
        else f"`{config}`"
    )
    ci = {
        "github": [
            "- `.github/workflows/numbersync-plan.yml`: every pull request that changes "
            f"`{config}` gets the plan as a comment.",
            "- `.github/workflows/numbersync-apply.yml`: merging to `main` applies the plan that "
            "was reviewed (or refuses, and posts a fresh plan, when Close changed since).",
            "- `.github/workflows/numbersync-drift.yml`: a daily check that opens an issue when "
            "Close no longer matches.",
            f"- `{DEPENDABOT}`: Dependabot proposes each new numbersync release (and of the other "
            "actions) as a pull request.",
        ],
        "gitlab": [
            "- `.gitlab-ci.yml`: numbersync's CI/CD component: the plan of each merge request as a "
            "note, apply of the reviewed plan on the default branch, and a drift check when you "
            "add a pipeline schedule.",
        ],
    }.get(layout.ci or "", [])
    if layout.ci:
        review = ["Open a pull request: CI posts the plan for review, and merging applies it."]
        review.append(_README_SECRETS[layout.ci])
    else:
        review = [
            "Once the change is reviewed, apply it (it shows the plan and asks before it "
            "changes anything):",
            f"```sh\nnumbersync apply -c {config}\n```",
        ]
    again = (
        f"`numbersync export -o {config} --split-by group` writes the directory again (move "
        "the old one away first)."
        if layout.split
        else f"`numbersync export -o {config}` writes the file again."
    )
    blocks = [
        "# Our Close phone numbers",
        "The settings of our Close phone numbers (labels, forwarding, participants, ring "
        "durations, voicemail greetings) are kept here, as code, with numbersync. Change them in "
        "a pull request rather than in the Close app: a change made in Close shows as a "
        "difference in the next plan, and the next apply undoes it.",
        "## What is here",
        "\n".join(
            _wrapped(item)
            for item in [
                f"- {what}: the numbers this repository manages and their settings. A number "
                "that is not listed is left alone (numbersync never creates or deletes numbers); "
                "delete a number's entry to stop managing it.",
                f"- `{SCHEMA_FILE}`: the JSON Schema. Editors with the YAML language server (VS "
                "Code's YAML extension and others) complete and check the config as you type: "
                "the first line of each file points at it. After upgrading numbersync, refresh it "
                f"with `numbersync schema -o {SCHEMA_FILE}`.",
                f"- `{PRE_COMMIT}`: validates the config before each commit; run "
                "`pre-commit install` once.",
                *ci,
            ]
        ),
        "## Changing a number",
        "Edit the config, then check it offline and see what would change in Close (the plan "
        "only reads; it needs the key of a Close user in `CLOSE_API_KEY`):",
        f"```sh\nnumbersync validate -c {config}\nnumbersync plan -c {config}\n```",
        *review,
        f"To start again from what Close holds now, {again}",
    ]
    return "\n\n".join(_wrapped(block) for block in blocks) + "\n"


_README_SECRETS = {
    "github": "The workflows need the repository secret `CLOSE_API_KEY` (Settings > Secrets and "
    "variables > Actions), and an environment `close` that deploys from `main` only, with its "
    "own `CLOSE_API_KEY`: the key of a Close user with the Manage Team Phone Numbers "
    "permission, which only the apply job sees.",
    "gitlab": "The pipeline needs the masked CI/CD variables `CLOSE_API_KEY` (protected: the key "
    "of a Close user with the Manage Team Phone Numbers permission), `CLOSE_PLAN_API_KEY` and "
    "`NUMBERSYNC_NOTE_TOKEN`; numbersync's `templates/numbersync.yml` says what each is for.",
}


def _wrapped(block: str) -> str:
    """A paragraph or list item wrapped at 100 columns; headings, code and lists as they are."""
    if block.startswith(("#", "```")) or "\n" in block:
        return block
    indent = "  " if block.startswith("- ") else ""
    return textwrap.fill(
        block, 100, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )
