"""Files numbersync writes (export, plan --out): whole or not at all, flushed to disk, through
symlinks, with the permissions a user expects."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from numbersync.errors import UsageError
from numbersync.output import check_target, is_stdout, write_atomic, write_output


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


# Targets that are not regular files (issue 19): nothing but a regular file, or a symlink to
# one, is ever replaced; read-only files only with force; `-` is standard output.


def test_a_fifo_is_refused_and_left_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match=r"refusing to write .*plan\.json: it is a FIFO"):
        write_atomic(str(fifo), "{}")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_a_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "plan.json").symlink_to(tmp_path / "fifo")
    with pytest.raises(UsageError, match="it is a FIFO"):
        write_atomic(str(tmp_path / "plan.json"), "{}")
    assert stat.S_ISFIFO((tmp_path / "fifo").stat().st_mode)


def test_a_character_device_is_refused(tmp_path: Path) -> None:
    # A device node of our own (like /dev/null): the test never goes near the system's.
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs privileges this run does not have")
    with pytest.raises(UsageError, match="it is a character device"):
        write_atomic(str(device), "{}")
    assert stat.S_ISCHR(device.stat().st_mode)


def test_a_directory_is_refused_where_a_file_is_expected(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(UsageError, match="it is a directory"):
        write_atomic(str(tmp_path / "out"), "{}")
    assert (tmp_path / "out").is_dir()


def test_a_read_only_file_is_refused_without_force(tmp_path: Path) -> None:
    # By its mode, not by access(): these tests run as root, who may write anything.
    target = tmp_path / "plan.json"
    target.write_text("old")
    target.chmod(0o444)
    with pytest.raises(UsageError, match=r"plan\.json is read-only \(mode 0444\)") as caught:
        write_atomic(str(target), "new")
    assert caught.value.hint == "pass --force to replace it anyway"
    assert (target.read_text(), mode(target)) == ("old", 0o444)


def test_a_read_only_file_is_replaced_with_force_and_stays_read_only(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old")
    target.chmod(0o444)
    write_atomic(str(target), "new", force=True)
    assert (target.read_text(), mode(target)) == ("new", 0o444)


def test_a_read_only_file_where_force_does_not_apply(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o444)
    with pytest.raises(UsageError, match="read-only") as caught:
        check_target(str(target), forcible=False)
    assert caught.value.hint == "make it writable, or choose another path"


def test_a_missing_directory_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        check_target(str(tmp_path / "nowhere" / "plan.json"))


@pytest.mark.parametrize("path", ["-", "/dev/stdout"])
def test_dash_is_standard_output(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert is_stdout(path)
    write_output(path, '{"a": 1}\n')
    assert capsys.readouterr().out == '{"a": 1}\n'


def test_a_file_path_is_not_standard_output(tmp_path: Path) -> None:
    assert not is_stdout(str(tmp_path / "-x"))
    write_output(str(tmp_path / "-x"), "text")
    assert (tmp_path / "-x").read_text() == "text"
