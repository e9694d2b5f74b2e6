"""Writes racing other writes: a number Close changed after an old plan read it is not written
over (apply reads it again just before its PUT), and an answer that names another number is
never taken for this one's. Against the emulator over real sockets, on a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers import FakeTime, cli

from numbersync import config
from numbersync.apply import RECHECK_AFTER, Applier, ApplyReport
from numbersync.close import CloseClient, Secret, Settings
from numbersync.emulator import Emulator, generate_seed
from numbersync.fetch import fetch_for_plan
from numbersync.plan import build_plan

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
SUPPORT_LINE = "phon_demoSupportLine00000000000000000000001"


def number_id(i: int) -> str:
    return f"phon_gen{i:040d}"  # generate_seed's ids


def apply_after(
    emu: Emulator, tmp_path: Path, elapsed: float, meanwhile: Callable[[], Any]
) -> ApplyReport:
    """Plan new labels for the three numbers of `emu`, let `meanwhile` happen in Close and
    `elapsed` seconds pass on a fake clock, then apply that plan, one number at a time."""
    path = tmp_path / "numbers.yaml"
    path.write_text(
        "version: 1\nnumbers:\n"
        + "".join(f'  {number_id(i)}: {{label: "New {i}"}}\n' for i in range(3))
    )
    state = config.load(str(path))
    fake = FakeTime()
    with CloseClient(Settings(emu.url, Secret(emu.admin_key))) as client:
        read_at = fake.clock()
        account = fetch_for_plan(client, state)
        plan = build_plan(state, account.numbers, account.directory)
        meanwhile()
        fake.now += elapsed
        emu.reset_log()
        applier = Applier(client, state, concurrency=1, clock=fake.clock, read_at=read_at)
        return applier.run(plan.changes)


def renamed_in_close(emu: Emulator) -> Callable[[], Any]:
    return lambda: emu.state.set_number_fields(number_id(1), {"label": "Renamed in Close"})


def test_a_number_close_changed_after_an_old_plan_is_not_written_and_the_others_are(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emu = start_emulator(generate_seed(3))

    report = apply_after(emu, tmp_path, RECHECK_AFTER + 1, renamed_in_close(emu))

    assert [(o.change.id, o.status, o.detail, o.errors) for o in report.outcomes] == [
        (number_id(0), "applied", "", ()),
        (
            number_id(1),
            "failed",
            "not sent: Close changed it after the plan read it",
            ('label was "Line 1" in the plan, now "Renamed in Close"',),
        ),
        (number_id(2), "applied", "", ()),
    ]
    # Each number read again just before its own PUT; the changed one not written.
    assert [(r.method, r.path) for r in emu.requests] == [
        ("GET", f"/phone_number/{number_id(0)}/"),
        ("PUT", f"/phone_number/{number_id(0)}/"),
        ("GET", f"/phone_number/{number_id(1)}/"),
        ("GET", f"/phone_number/{number_id(2)}/"),
        ("PUT", f"/phone_number/{number_id(2)}/"),
    ]
    labels = [emu.state.number(number_id(i))["label"] for i in range(3)]  # type: ignore[index]
    assert labels == ["New 0", "Renamed in Close", "New 2"]
    assert report.exit_code == 1
    assert report.hint == (
        "a number Close changed after the plan read it was not written: make a new plan and "
        "review it."
    )


def test_a_plan_younger_than_the_threshold_is_applied_without_reading_again(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    # The race that is left (docs/reliability.md): within RECHECK_AFTER of the read, a change
    # made in Close is written over; only one apply at a time (CI's concurrency group) rules
    # out two applies racing.
    emu = start_emulator(generate_seed(3))

    report = apply_after(emu, tmp_path, RECHECK_AFTER, renamed_in_close(emu))

    assert [o.status for o in report.outcomes] == ["applied"] * 3
    assert [r.method for r in emu.requests] == ["PUT"] * 3


def test_an_answer_for_another_number_is_not_taken_as_applied(emulator: Emulator) -> None:
    # The first PUT (the sales line's) is made, and answered with the support line's id: the
    # values match what was sent, but nothing says they are this number's.
    emulator.faults.schedule = ["other-id-after-write"]
    emulator.faults.match = "PUT"

    result = cli(emulator, "apply", "-c", str(NUMBERS_YAML), "--auto-approve", "--concurrency", "1")

    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-6:] == [
        "",
        f"  unknown   +1 650-333-4444    label, inbound_ring_duration, participants  Close "
        f"answered for another number ({SUPPORT_LINE}): whether this one changed is unknown",
        "  applied   +1 650-333-4445    participant_groups, voicemail_greeting_url",
        "  applied   +1 650-333-4446    forward_to_enabled",
        "Apply complete: 2 applied, 0 failed, 1 unknown, 0 not sent.",
        "Hint: numbers marked unknown were sent but no readable answer came back: "
        f"`numbersync plan -c {NUMBERS_YAML}` shows whether Close took them, and apply again "
        "converges.",
    ]
    assert [r.fault for r in emulator.requests if r.method == "PUT"] == [
        "other-id-after-write",
        None,
        None,
    ]
