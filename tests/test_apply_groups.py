"""The Applier runs a plan's membership changes (GroupChange.ops) against the emulator: one POST or
DELETE each, before the numbers' PUTs, each reported like a number's PUT (applied, failed,
unknown, not sent) in the text report and in `--report` JSON, with the same stop semantics. Plans
are built by hand: the config-driven path is another module's."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import FakeTime

from numbersync import config
from numbersync.account import GroupChange
from numbersync.apply import Applier, ApplyReport, MemberOutcome
from numbersync.close import CloseClient, Secret, Settings
from numbersync.emulator import Emulator, Faults, RecordedRequest
from numbersync.fetch import fetch_for_plan
from numbersync.plan import Plan, build_plan
from numbersync.report import Progress, render_report, report_document

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "emulator-seed.yaml"
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
ADMIN_KEY = "api_demo_admin.fake0000"
DAVE_KEY = "api_demo_dave.fake0000"
ALICE = "user_alice000000000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
CAROL = "user_carol000000000000000000000000000000000000"
DAVE = "user_dave0000000000000000000000000000000000000"
ERIN = "user_erin0000000000000000000000000000000000000"
SALES = "group_salesEmea0000000000000"
SUPPORT = "group_support000000000000000"
EMAILS = {
    ALICE: "alice@acme.example",
    BOB: "bob@acme.example",
    CAROL: "carol@acme.example",
    DAVE: "dave@acme.example",
    ERIN: "erin@acme.example",
}
# Support: Bob leaves, Alice joins; Sales EMEA: Dave joins.
SUPPORT_CHANGE = GroupChange(SUPPORT, "Support", "Support", (BOB, ERIN), (ERIN, ALICE))
SALES_CHANGE = GroupChange(SALES, "Sales EMEA", "Sales EMEA", (ALICE, CAROL), (ALICE, CAROL, DAVE))


@pytest.fixture
def make_client() -> Iterator[Callable[..., CloseClient]]:
    """Clients on fake time: retry waits and pacing take no real time."""
    made: list[CloseClient] = []

    def make(emu: Emulator, key: str = ADMIN_KEY) -> CloseClient:
        fake = FakeTime()
        settings = Settings(emu.url, Secret(key))
        client = CloseClient(settings, clock=fake.clock, sleep=fake.sleep, rng=random.Random(0))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def writes(emu: Emulator) -> list[tuple[str, str, Any, int]]:
    return [(r.method, r.path, r.body, r.status) for r in emu.requests if r.method != "GET"]


def statuses(report: ApplyReport) -> list[tuple[str, str, str, str]]:
    return [(m.change.group, m.change.action, m.user, m.status) for m in report.groups]


def members(emu: Emulator, group_id: str) -> tuple[str, ...]:
    group = emu.state.group(group_id)
    assert group is not None
    return group.members


def run(client: CloseClient, groups: tuple[GroupChange, ...], **kwargs: Any) -> ApplyReport:
    applier = Applier(client, concurrency=kwargs.pop("concurrency", 1), emails=EMAILS, **kwargs)
    return applier.run((), groups)


ADD_DAVE = ("POST", f"/group/{SALES}/member/", {"user_id": DAVE})
REMOVE_BOB = ("DELETE", f"/group/{SUPPORT}/member/{BOB}/", None)
ADD_ALICE = ("POST", f"/group/{SUPPORT}/member/", {"user_id": ALICE})


def test_each_membership_change_is_one_request_removals_first_and_all_applied(
    emulator: Emulator, make_client: Callable[..., CloseClient]
) -> None:
    report = run(make_client(emulator), (SUPPORT_CHANGE, SALES_CHANGE))

    assert writes(emulator) == [(*REMOVE_BOB, 204), (*ADD_ALICE, 201), (*ADD_DAVE, 201)]
    assert statuses(report) == [
        ("Support", "remove", "bob@acme.example", "applied"),
        ("Support", "add", "alice@acme.example", "applied"),
        ("Sales EMEA", "add", "dave@acme.example", "applied"),
    ]
    assert (report.ok, report.exit_code, report.outcomes) == (True, 0, ())
    assert report.summary == "Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent."
    assert members(emulator, SUPPORT) == (ERIN, ALICE)
    assert members(emulator, SALES) == (ALICE, CAROL, DAVE)


def test_applying_again_sends_the_same_requests_and_changes_nothing(
    emulator: Emulator, make_client: Callable[..., CloseClient]
) -> None:
    """Both writes are idempotent in Close: a membership change applied twice (a rerun after an
    unknown outcome) is applied again, with no effect."""
    client = make_client(emulator)
    run(client, (SUPPORT_CHANGE,))
    again = run(client, (SUPPORT_CHANGE,))

    assert [s for *_, s in statuses(again)] == ["applied", "applied"]
    assert writes(emulator) == [(*REMOVE_BOB, 204), (*ADD_ALICE, 201)] * 2
    assert members(emulator, SUPPORT) == (ERIN, ALICE)


def test_membership_changes_go_before_the_numbers_puts(
    emulator: Emulator, make_client: Callable[..., CloseClient]
) -> None:
    client = make_client(emulator)
    state = config.load(str(NUMBERS_YAML))
    account = fetch_for_plan(client, state)
    plan = build_plan(state, account.numbers, account.directory, me=account.me)
    emulator.reset_log()

    report = Applier(client, state, concurrency=1).run(plan.changes, (SALES_CHANGE,))

    sent = writes(emulator)
    assert sent[0] == (*ADD_DAVE, 201)
    assert [m for m, *_ in sent[1:]] == ["PUT"] * len(plan.changes) and plan.changes
    assert report.ok and len(report.outcomes) == len(plan.changes)
    assert report.summary == (
        f"Apply complete: {len(plan.changes) + 1} applied, 0 failed, 0 unknown, 0 not sent."
    )


def test_a_5xx_then_a_dropped_answer_on_post_is_sent_again_and_applied(
    start_emulator: Callable[..., Emulator], make_client: Callable[..., CloseClient]
) -> None:
    emu = start_emulator(SEED, faults=Faults(schedule=["503", "drop"], match="POST /group/"))
    report = run(make_client(emu), (SALES_CHANGE,))

    assert [(r.method, r.status, r.fault) for r in emu.requests] == [
        ("POST", 503, "503"),
        ("POST", 0, "drop"),
        ("POST", 201, None),
    ]
    assert [r.body for r in emu.requests] == [{"user_id": DAVE}] * 3
    assert statuses(report) == [("Sales EMEA", "add", "dave@acme.example", "applied")]
    assert members(emu, SALES) == (ALICE, CAROL, DAVE)


def test_a_post_whose_answer_is_lost_after_the_write_is_sent_again_without_doubling(
    start_emulator: Callable[..., Emulator], make_client: Callable[..., CloseClient]
) -> None:
    """The second attempt was applied but its answer could not be read: the third finds Dave a
    member already, and Close's add does nothing then, so the retry is safe."""
    faults = Faults(schedule=["502", "corrupt-gzip-after-write"], match="POST /group/")
    emu = start_emulator(SEED, faults=faults)
    report = run(make_client(emu), (SALES_CHANGE,))

    assert [(r.method, r.status, r.fault) for r in emu.requests] == [
        ("POST", 502, "502"),
        ("POST", 201, "corrupt-gzip-after-write"),
        ("POST", 201, None),
    ]
    assert statuses(report) == [("Sales EMEA", "add", "dave@acme.example", "applied")]
    assert members(emu, SALES) == (ALICE, CAROL, DAVE)


def test_an_answer_lost_after_the_write_every_time_is_unknown(
    start_emulator: Callable[..., Emulator], make_client: Callable[..., CloseClient]
) -> None:
    schedule = ["504-after-write"] * 6  # the client's every attempt
    emu = start_emulator(SEED, faults=Faults(schedule=schedule, match="DELETE /group/"))
    report = run(make_client(emu), (SUPPORT_CHANGE,))

    (removal, addition) = report.groups
    assert (removal.status, addition.status) == ("unknown", "applied")
    assert removal.detail.startswith(
        f"DELETE /group/{SUPPORT}/member/{BOB}/ (504): gave up after 6 attempts"
    )
    assert BOB not in members(emu, SUPPORT)  # it did happen: re-planning would show it
    assert report.exit_code == 1
    assert report.hint is not None
    assert report.hint.startswith("changes marked unknown were sent but no readable answer")


def test_a_refused_change_fails_alone_and_the_others_go_on(
    emulator: Emulator, make_client: Callable[..., CloseClient]
) -> None:
    gone = GroupChange(SUPPORT, "Support", "Support", (BOB, "user_gone"), (BOB, "user_gone", CAROL))
    refused = GroupChange(SALES, "Sales EMEA", "Sales EMEA", (ALICE, CAROL), (ALICE, "user_nobody"))
    report = run(make_client(emulator), (refused, gone))

    assert statuses(report) == [
        ("Sales EMEA", "remove", "carol@acme.example", "applied"),
        ("Sales EMEA", "add", "user_nobody", "failed"),
        ("Support", "add", "carol@acme.example", "applied"),
    ]
    failed = report.groups[1]
    assert failed.detail == (
        f"POST /group/{SALES}/member/ (404): not found: No user with id user_nobody."
    )
    assert failed.errors == (
        "hint: Close knows no such group, or the user is not an active member of the "
        "organization: plan again to see the groups and users as Close has them now",
    )
    assert members(emulator, SALES) == (ALICE,)
    assert members(emulator, SUPPORT) == (BOB, ERIN, CAROL)
    assert report.summary == "Apply complete: 2 applied, 1 failed, 0 unknown, 0 not sent."


@pytest.mark.parametrize("emulator", ["tidy", "wild"], indirect=True)
def test_a_caller_without_the_group_permission_fails_each_change(
    emulator: Emulator, make_client: Callable[..., CloseClient]
) -> None:
    support = GroupChange(SUPPORT, "Support", "Support", (BOB, ERIN), (ERIN, ALICE))
    report = run(make_client(emulator, DAVE_KEY), (support,))

    status = 400 if emulator.quirks.permission_error == 400 else 403  # the wild seed's 400
    refusal = 'not allowed: You need the "manage_groups" permission to edit groups.'
    assert [(m.status, m.detail) for m in report.groups] == [
        ("failed", f"DELETE /group/{SUPPORT}/member/{BOB}/ ({status}): {refusal}"),
        ("failed", f"POST /group/{SUPPORT}/member/ ({status}): {refusal}"),
    ]
    hint = "hint: editing a group's members needs a role that may manage groups in Close"
    assert {m.errors for m in report.groups} == {(hint,)}
    assert [s for *_, s in writes(emulator)] == [status, status]
    assert members(emulator, SUPPORT) == (BOB, ERIN)


def test_a_stop_mid_way_sends_nothing_more_and_reports_the_rest_not_sent(
    start_emulator: Callable[..., Emulator], make_client: Callable[..., CloseClient]
) -> None:
    client: CloseClient | None = None

    def interrupt_on_the_second_write(request: RecordedRequest) -> None:
        if request.method != "GET" and sum(r.method != "GET" for r in emu.requests) == 2:
            assert client is not None
            client.stop.set("SIGINT")  # as the first Ctrl-C does, while that write is answered

    emu = start_emulator(SEED, on_request=interrupt_on_the_second_write)
    client = make_client(emu)
    report = run(client, (SUPPORT_CHANGE, SALES_CHANGE))

    assert writes(emu) == [(*REMOVE_BOB, 204), (*ADD_ALICE, 201)]
    assert statuses(report) == [
        ("Support", "remove", "bob@acme.example", "applied"),
        ("Support", "add", "alice@acme.example", "applied"),
        ("Sales EMEA", "add", "dave@acme.example", "not sent"),
    ]
    assert report.groups[2].detail == "interrupted before it was sent"
    assert (report.exit_code, report.summary) == (
        130,
        "Interrupted: 2 applied, 0 failed, 0 unknown, 1 not sent.",
    )
    assert members(emu, SALES) == (ALICE, CAROL)


def test_a_credential_rejected_mid_way_stops_the_rest(
    start_emulator: Callable[..., Emulator], make_client: Callable[..., CloseClient]
) -> None:
    emu = start_emulator(SEED)
    emu.credential_uses_left[ADMIN_KEY] = 1
    report = run(make_client(emu), (SUPPORT_CHANGE, SALES_CHANGE))

    assert [r.status for r in emu.requests] == [204, 401]
    assert [s for *_, s in statuses(report)] == ["applied", "failed", "not sent"]
    assert report.groups[2].detail == "Close had rejected the credential"
    assert (report.stopped, report.exit_code) == ("credential", 1)


# -- what the user reads -------------------------------------------------------------------------


def _report() -> ApplyReport:
    ops = SUPPORT_CHANGE.ops
    return ApplyReport(
        (),
        groups=(
            MemberOutcome(ops[0], "applied", user="bob@acme.example"),
            MemberOutcome(
                ops[1],
                "failed",
                "POST /group/x/member/ (403): not allowed",
                ("hint: ask an admin",),
                "alice@acme.example",
            ),
        ),
    )


def test_the_text_report_shows_each_membership_change() -> None:
    assert render_report(_report()) == (
        "\n"
        "  applied   Support            - bob@acme.example\n"
        "  failed    Support            + alice@acme.example  POST /group/x/member/ (403): not "
        "allowed\n"
        "      hint: ask an admin\n"
        "Apply complete: 1 applied, 1 failed, 0 unknown, 0 not sent.\n"
    )


def test_the_json_report_lists_the_membership_changes_in_groups() -> None:
    plan = Plan((), (), (), config_path="numbers.yaml", fingerprint="f")
    document = report_document(_report(), plan, finished_at="2026-12-02T00:00:00Z")

    assert document["groups"] == [
        {
            "group": "Support",
            "id": SUPPORT,
            "key": "Support",
            "action": "remove",
            "user_id": BOB,
            "user": "bob@acme.example",
            "status": "applied",
            "message": None,
            "errors": [],
        },
        {
            "group": "Support",
            "id": SUPPORT,
            "key": "Support",
            "action": "add",
            "user_id": ALICE,
            "user": "alice@acme.example",
            "status": "failed",
            "message": "POST /group/x/member/ (403): not allowed",
            "errors": ["hint: ask an admin"],
        },
    ]
    assert document["numbers"] == []
    assert document["summary"] == {"applied": 1, "failed": 1, "unknown": 0, "not_sent": 0}


def test_progress_in_a_log_names_the_group_and_the_member() -> None:
    lines: list[str] = []

    class Stream:
        def write(self, text: str) -> None:
            lines.append(text)

        def flush(self) -> None:
            pass

    progress = Progress(Stream(), terminal=False)  # type: ignore[arg-type]
    progress(1, 2, _report().groups[0])
    assert lines == ["[1/2] Support - bob@acme.example: applied\n"]


def test_an_apply_that_ends_before_sending_reports_every_membership_change_not_sent() -> None:
    from numbersync.cli.applying import _Record

    plan = Plan((), (), (), emails=EMAILS, groups=(SUPPORT_CHANGE,))
    report = _Record(None, "numbers.yaml", plan=plan).not_sent("interrupted before it was sent")

    assert statuses(report) == [
        ("Support", "remove", "bob@acme.example", "not sent"),
        ("Support", "add", "alice@acme.example", "not sent"),
    ]
    assert report.summary == "Apply complete: 0 applied, 0 failed, 0 unknown, 2 not sent."
