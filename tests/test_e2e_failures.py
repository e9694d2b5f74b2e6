"""Apply when things go wrong, through the real CLI against the emulator: every number ends in
exactly one outcome (applied, failed, unknown, not sent), the report is always printed, a
credential Close stops accepting stops the apply at once, and signals stop it with the report on
screen before CI's SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import cli

from numbersync.close import retry
from numbersync.emulator import Emulator, Faults, generate_seed

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
SUPPORT_LINE = "phon_demoSupportLine00000000000000000000001"


def labels_file(path: Path, count: int, changed: range) -> str:
    """Manage the labels of a generated seed's first `count` numbers; `changed` get "New i"."""
    lines = ["version: 1", "numbers:"]
    for i in range(count):
        label = f"New {i}" if i in changed else f"Line {i}"
        lines.append(f'  "+1650{2_000_000 + i:07d}": {{label: "{label}"}}')
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def puts(emu: Emulator) -> list[str]:
    return [r.path for r in emu.requests if r.method == "PUT"]


# --- one number's failure is that number's outcome ---------------------------------------------


def test_an_unreadable_answer_makes_that_number_unknown_and_the_others_go_on(
    start_emulator: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retry, "backoff_delay", lambda attempt, rng: 0.0)
    # The second PUT's every attempt is applied, then answered with a body that is not gzip.
    faults = Faults(schedule=["ok", *["corrupt-gzip-after-write"] * 6], match="PUT")
    emu = start_emulator(REPO / "examples" / "emulator-seed.yaml", faults=faults)

    result = cli(emu, "apply", "-c", str(NUMBERS_YAML), "--auto-approve", "--concurrency", "1")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "numbersync bug" not in result.output
    report = result.stdout.split("Plan: 3 to change, 2 unchanged, 6 unmanaged.\n")[1]
    assert report == (
        "\n"
        "  applied   +1 650-333-4444    label, inbound_ring_duration, participants\n"
        "  unknown   +1 650-333-4445    participant_groups, voicemail_greeting_url  "
        f"PUT /phone_number/{SUPPORT_LINE}/: gave up after 6 attempts: the answer could not be "
        "decoded: DecodingError: Error -3 while decompressing data: invalid block type\n"
        "      hint: the answers did not arrive whole (a timeout, a dropped connection or a body "
        "that could not be decoded): `numbersync plan` shows what Close has now\n"
        "  applied   +1 650-333-4446    forward_to_enabled\n"
        "Apply complete: 2 applied, 0 failed, 1 unknown, 0 not sent.\n"
        "Hint: numbers marked unknown were sent but no readable answer came back: "
        f"`numbersync plan -c {NUMBERS_YAML}` shows whether Close took them, and apply again "
        "converges.\n"
    )
    assert len(puts(emu)) == 1 + 6 + 1
    # Close did take it: the next plan has nothing left to do.
    replan = cli(emu, "plan", "-c", str(NUMBERS_YAML), "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output


# --- a credential Close stops accepting ----------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
def test_the_first_401_on_a_put_stops_every_new_put(
    start_emulator: Callable[..., Emulator], tmp_path: Path, concurrency: int
) -> None:
    emu = start_emulator(generate_seed(40))
    config = labels_file(tmp_path / "numbers.yaml", 40, range(30))
    # The plan reads one page, /me/ and /user/ (to name the owners of the personal numbers it
    # marks); then ten PUTs go through and the key expires.
    emu.credential_uses_left[emu.admin_key] = 3 + 10

    result = cli(
        emu, "apply", "-c", config, "--auto-approve", "--force", "--concurrency", str(concurrency)
    )

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    applied = [line for line in lines if line.startswith("  applied ")]
    failed = [line for line in lines if line.startswith("  failed ")]
    not_sent = [line for line in lines if line.startswith("  not sent ")]
    sent = puts(emu)
    rejected = [r for r in emu.requests if r.method == "PUT" and r.status == 401]
    assert len(applied) == 10
    # Only PUTs already on their way when the first 401 came back got one too.
    assert 1 <= len(rejected) <= concurrency
    assert len(failed) == len(rejected) and len(sent) == 10 + len(rejected)
    assert len(not_sent) == 30 - len(sent)
    assert all("(401): CLOSE_API_KEY was rejected" in line for line in failed)
    assert all(line.endswith("  label  Close had rejected the credential") for line in not_sent)
    assert lines[-2] == (
        f"Stopped: 10 applied, {len(failed)} failed, 0 unknown, {len(not_sent)} not sent."
    )
    assert lines[-1] == (
        "Hint: Close rejected CLOSE_API_KEY partway through the apply (an OAuth access token "
        "may have expired), so no further change was sent. Renew it and run apply again: it "
        "converges."
    )
    if concurrency == 1:
        assert len(failed) == 1 and len(not_sent) == 19

    del emu.credential_uses_left[emu.admin_key]  # a fresh credential
    rerun = cli(emu, "apply", "-c", config, "--auto-approve", "--force")
    assert rerun.exit_code == 0, rerun.output
    assert rerun.stdout.endswith(
        f"Apply complete: {20} applied, 0 failed, 0 unknown, 0 not sent.\n"
    )


# --- stopping: signals -----------------------------------------------------------------------------


@contextmanager
def apply_process(emu: Emulator, config: str, *extra: str) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "CLOSE_API_URL": emu.url, "CLOSE_API_KEY": emu.admin_key, "NO_COLOR": "1"}
    env.pop("CLOSE_ACCESS_TOKEN", None)
    args = ["apply", "-c", config, "--auto-approve", "--force", *extra]
    with subprocess.Popen(
        [sys.executable, "-m", "numbersync", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        yield process


def wait_for_puts(emu: Emulator, process: subprocess.Popen[str], count: int) -> None:
    while len(puts(emu)) < count:
        assert process.poll() is None, "apply finished before it could be interrupted"
        time.sleep(0.01)


@pytest.mark.timeout(60)
def test_a_second_signal_stops_waiting_for_a_request_that_hangs(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    # The first PUT is applied and never answered (for two minutes); the rest are fine.
    emu = start_emulator(
        generate_seed(20), faults=Faults(schedule=["hang-after-write"], match="PUT")
    )
    config = labels_file(tmp_path / "numbers.yaml", 20, range(20))
    with apply_process(emu, config, "--concurrency", "1") as process:
        wait_for_puts(emu, process, 1)
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGTERM)
        # Without the second signal this would wait out the grace period; without the stop
        # flag, the two-minute hang and the test's time limit.
        out, err = process.communicate(timeout=50)

    assert process.returncode == 130, out + err  # the first signal decides the code
    assert "Traceback" not in out + err
    lines = out.splitlines()
    assert "  unknown   +1 650-200-0000    label  sent, but no answer came before stopping" in lines
    assert sum(line.startswith("  not sent ") for line in lines) == 19
    assert lines[-2] == "Interrupted: 0 applied, 0 failed, 1 unknown, 19 not sent."
    assert emu.state.number("phon_gen" + "0" * 40)["label"] == "New 0"  # type: ignore[index]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("command", ["plan", "export"])
def test_ctrl_c_while_reads_hang_ends_the_process_at_once(
    start_emulator: Callable[..., Emulator], tmp_path: Path, command: str
) -> None:
    """Every answer takes a minute: after Ctrl-C the process must not wait for the reads still
    on the wire (nor retry them), only say it was interrupted."""
    emu = start_emulator(generate_seed(20), faults=Faults(latency=60))
    config = labels_file(tmp_path / "numbers.yaml", 20, range(20))
    # plan reads the list and /me/ (the file names nobody); export the list, users and groups.
    args, reads = (
        (["plan", "-c", config], 2)
        if command == "plan"
        else (["export", "-o", str(tmp_path / "x")], 3)
    )
    env = {**os.environ, "CLOSE_API_URL": emu.url, "CLOSE_API_KEY": emu.admin_key}
    env.pop("CLOSE_ACCESS_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "numbersync", *args, "-v"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As a terminal's Ctrl-C finds it, whatever this test runner was started with.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        while len(emu.requests) < reads:  # all on the wire
            assert process.poll() is None, process.communicate()
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)  # the answers would take 60 s
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 130, out + err
    assert err.endswith("Interrupted.\n"), err
    assert "Traceback" not in err
    assert "retrying" not in err


@pytest.mark.timeout(60)
def test_githubs_cancel_sequence_leaves_the_report_on_screen(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    # GitHub cancels a job with SIGINT, then SIGTERM 7.5 s later, then SIGKILL at 10 s. A
    # request in flight hangs: the report must still be printed, before the SIGKILL.
    emu = start_emulator(
        generate_seed(20), faults=Faults(schedule=["hang-after-write"], match="PUT")
    )
    config = labels_file(tmp_path / "numbers.yaml", 20, range(20))
    with apply_process(emu, config, "--concurrency", "2") as process:
        wait_for_puts(emu, process, 1)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        for when, signum in ((7.5, signal.SIGTERM), (10.0, signal.SIGKILL)):
            try:
                process.wait(timeout=max(0.0, started + when - time.monotonic()))
                break
            except subprocess.TimeoutExpired:
                process.send_signal(signum)
        out, err = process.communicate(timeout=30)

    assert process.returncode in (130, 143), out + err
    lines = out.splitlines()
    assert lines[-2].startswith("Interrupted: ")
    # Two workers start together: whichever PUT reached the emulator first is the one that hangs.
    hung = [line for line in lines if line.startswith("  unknown ")]
    assert len(hung) == 1, out
    assert hung[0].endswith("    label  sent, but no answer came before stopping")
