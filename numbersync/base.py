"""The earlier config `plan --base` compares with: a file or a directory, or the config's own path
at a Git ref (read with `git` itself, so that no Git library is needed and nothing is written to
the work tree). It is loaded by the normal loader; its problems are reported as the base's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from numbersync.errors import (
    Diagnostic,
    Findings,
    InputError,
    NumbersyncError,
    Position,
    UsageError,
)
from numbersync.models import DesiredNumber, DesiredState

GIT_TIMEOUT = 60.0  # seconds for one git command: a local read, never the network
# Git's modes of the files a config can hold: a regular file, executable or not. Symlinks and
# submodules at the ref are left out, as the loader would find no YAML in them.
_FILE_MODES = ("100644", "100755")


@dataclass(frozen=True)
class Base:
    """The base config, and how the plan names it: the path, or `REF` for a Git ref."""

    state: DesiredState
    name: str


def load_base(given: str, config_path: str) -> Base:
    """The base `given` to `--base`: a file or directory when that path exists, else a Git ref
    at which `config_path` (the config being planned) is read."""
    from numbersync import config

    if os.path.exists(given):
        try:
            return Base(config.load(given), given)
        except InputError as exc:
            raise _invalid(exc, given) from None
        except UsageError as exc:
            raise UsageError(f"--base {given}: {exc.message}", exc.hint) from None
    return Base(_at_ref(given, config_path), given)


def _invalid(
    exc: InputError, name: str, diagnostics: Iterable[Diagnostic] | None = None
) -> InputError:
    """The loader's errors, said to be the base's: the config planned may well be valid."""
    found = exc.findings
    if diagnostics is not None:
        found = Findings()
        found.extend(diagnostics)
        found.total += exc.more
    error = InputError(found, hint=f"the base must itself be a valid config: {name}")
    error.message = f"the base {name} is not a valid config: {exc.message}"
    return error


# --- a Git ref ------------------------------------------------------------------------------


def _git(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    binary = shutil.which("git")
    if binary is None:
        raise UsageError(
            "--base: git is not installed, and no file or directory has that name",
            hint="install git, or give the base as a path",
        )
    try:
        return subprocess.run(
            [binary, *args], input=stdin, capture_output=True, timeout=GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"--base: git {args[0]} failed ({exc})") from None


def _at_ref(ref: str, config_path: str) -> DesiredState:
    """The config at `config_path`, as the commit `ref` has it."""
    if _git("rev-parse", "--git-dir").returncode != 0:
        raise UsageError(
            f"--base {ref}: no file or directory has that name, and this is not a Git "
            "repository to read it as a ref from",
            hint="run numbersync inside the repository, or give the base as a path",
        )
    found = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if ref.startswith("-") or found.returncode != 0:
        raise UsageError(
            f"--base {ref}: no file or directory has that name, and it is no commit in this "
            "repository",
            hint="name a branch, tag or commit that is here (`git fetch` it first; a shallow "
            "checkout needs fetch-depth: 2 or more), or a path",
        )
    # `REF:./path` is the path relative to this directory, as -c names it.
    where = f"{ref}:./{os.path.relpath(config_path)}"
    kind = _git("cat-file", "-t", where)
    if kind.returncode != 0:
        raise UsageError(
            f"--base {ref}: {config_path} is not in that commit",
            hint="the base is the config as it was at REF; give another ref, or a path",
        )
    if kind.stdout.strip() == b"tree":
        return _tree_at(ref, config_path)
    raw = _git("cat-file", "blob", where).stdout
    return _load_file_at(ref, config_path, raw)


def _load_file_at(ref: str, config_path: str, raw: bytes) -> DesiredState:
    from numbersync import config
    from numbersync.yamlsource import parse

    name = f"{ref}:{config_path}"
    try:
        state = config.load_document(parse(name, raw))
    except InputError as exc:
        raise _invalid(exc, f"{ref} ({config_path} there)") from None
    return replace(state, path=config_path)


def _tree_at(ref: str, config_path: str) -> DesiredState:
    """A directory config at `ref`: its files copied to a temporary directory (outside the work
    tree) and loaded there, then named as `REF:path` again."""
    from numbersync import config

    top = os.path.relpath(config_path)
    # Paths relative to this directory, in and out; literal, so that `[` or `*` in a name is
    # no pattern.
    listed = _git("--literal-pathspecs", "ls-tree", "-r", "-z", ref, "--", top + "/")
    entries = []
    for record in listed.stdout.split(b"\0"):
        if not record:
            continue
        info, _, name = record.partition(b"\t")
        mode, kind, oid = info.decode().split()
        if kind == "blob" and mode in _FILE_MODES:
            entries.append((os.fsdecode(name), oid))
    with tempfile.TemporaryDirectory(prefix="numbersync-base-") as scratch:
        copy = os.path.join(scratch, "base")
        os.makedirs(copy)
        for path, oid in entries:
            relative = os.path.relpath(path, top)
            target = os.path.join(copy, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(_git("cat-file", "blob", oid).stdout)

        def named(path: str) -> str:
            inside = os.path.relpath(path, copy) if path.startswith(copy) else path
            return f"{ref}:{os.path.normpath(os.path.join(top, inside))}"

        try:
            state = config.load(copy)
        except InputError as exc:
            renamed = [_renamed(d, named) for d in exc.diagnostics]
            raise _invalid(exc, f"{ref} ({config_path} there)", renamed) from None
        except NumbersyncError as exc:
            raise UsageError(f"--base {ref}: {exc.message.replace(copy, named(copy))}") from None
    return replace(
        state,
        path=config_path,
        files=tuple(named(f) for f in state.files),
        root=named(state.root) if state.root else None,
        numbers=tuple(_number_named(n, named) for n in state.numbers),
        groups=tuple(replace(g, file=named(g.file)) for g in state.groups),
    )


def _renamed(diagnostic: Diagnostic, named: Callable[[str], str]) -> Diagnostic:
    position = diagnostic.position
    return replace(diagnostic, position=Position(named(position.file), position.line, position.col))


def _number_named(number: DesiredNumber, named: Callable[[str], str]) -> DesiredNumber:
    return replace(number, file=named(number.file))
