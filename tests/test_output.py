"""Files numbersync writes (export, plan --out): whole or not at all, flushed to disk, through
symlinks, with the permissions a user expects."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from numbersync.errors import UsageError
from numbersync.output import write_atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_atomic(str(tmp_path / "numbers.yaml"), "version: 1\n")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "numbers.yaml") == 0o644
    assert (tmp_path / "numbers.yaml").read_text() == "version: 1\n"


def test_an_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(str(target), "new")
    assert mode(target) == 0o640
    assert target.read_text() == "new"


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "numbers.yaml"
    real.write_text("old")
    real.chmod(0o664)
    link = tmp_path / "numbers.yaml"
    link.symlink_to(real)

    write_atomic(str(link), "new")

    assert link.is_symlink()
    assert real.read_text() == "new"
    assert mode(real) == 0o664
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numbers.yaml", "real"]


def test_the_data_is_on_disk_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    write_atomic(str(tmp_path / "out.json"), "{}")
    # The file, then the rename, then the directory entry.
    assert events == ["fsync", "replace", "fsync"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "numbers.yaml"
    target.write_text("old")

    def broken(a: str, b: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(UsageError, match="No space left on device"):
        write_atomic(str(target), "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numbers.yaml"]


def test_text_is_written_as_is(tmp_path: Path) -> None:
    # No newline translation: a label with \r\n or U+2028 comes back as it went out.
    text = 'label: "a\\r\\nb"\n\u2028\r\n'
    write_atomic(str(tmp_path / "f"), text)
    assert (tmp_path / "f").read_bytes() == text.encode()
