"""What plan, apply and export read: the fields asked for by what the file manages (apply, whose
file is read before the account), and the phone-number list requests for each account size and
count, against the emulator (SPEC 6)."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from helpers import cli

from numbersync.account import User
from numbersync.cli import main
from numbersync.close import CloseClient, Secret, Settings
from numbersync.emulator import Emulator, generate_seed
from numbersync.fetch import Account, MemberReads, fetch_members, fields_to_fetch, users_to_name
from numbersync.live import Directory
from numbersync.stopping import Stop

RINGING = ["participant_groups", "participants", "phone_numbers"]


@pytest.mark.parametrize(
    ("managed", "fields"),
    [
        # The three fields a number rings come always: they tell a personal number (whose
        # owner alone may change it) and whether a change leaves a number ringing nothing.
        (["label"], ["label", *RINGING]),
        (["participants"], RINGING),
        (["participant_groups", "label"], ["label", *RINGING]),
        (["phone_numbers"], RINGING),
        ([], RINGING),
        # Forwarding needs its target, in the file or in Close.
        (["forward_to_enabled"], ["forward_to", "forward_to_enabled", *RINGING]),
    ],
)
def test_the_fields_read_are_those_managed_with_the_ringing_ones_together(
    managed: list[str], fields: list[str]
) -> None:
    assert fields_to_fetch(managed) == fields


# --- list requests against the emulator --------------------------------------------------------


def client_of(emu: Emulator, concurrency: int = 16) -> CloseClient:
    return CloseClient(Settings(emu.url, Secret(emu.admin_key)), concurrency=concurrency)


def pages_asked(emu: Emulator) -> list[int]:
    return sorted(int(r.query["_skip"]) // 100 for r in emu.requests if r.path == "/phone_number/")


@pytest.mark.parametrize(
    ("size", "expect", "pages"),
    [
        # Close gives no total. Page 0 alone first: most accounts fit it.
        (0, 0, [0]),
        (100, 0, [0]),
        # Page 0 said has_more: pages 1 and 2, and page 10 (_skip=1000), which tells whether
        # the account holds more than 1,000 without walking to it.
        (250, 0, [0, 1, 2, 10]),
        (301, 0, [0, 1, 2, 3, 4, 10]),
        # It holds 1,000 or fewer: two pages a round, page 10 already the one past the end.
        (1000, 0, [*range(10), 10]),
        # Page 10 was the last: every page before it at once.
        (1001, 0, list(range(11))),
        # A file's count: its pages at once, then as above.
        (250, 250, [0, 1, 2]),
        (1000, 1000, list(range(10))),
        (250, 3, [0, 1, 2, 10]),
        (1000, 150, [*range(10), 10]),
    ],
)
def test_list_requests_for_each_account_size_and_count(
    start_emulator: Callable[..., Emulator], size: int, expect: int, pages: list[int]
) -> None:
    emu = start_emulator(generate_seed(size))
    with client_of(emu) as client:
        numbers = client.list_phone_numbers(expect=expect)
    assert len(numbers) == size
    assert pages_asked(emu) == pages
    # SPEC 6: at most ceil(N/100) + 2 list requests for N <= 1,000 (+ concurrency - 1 beyond).
    assert len(pages) <= math.ceil(size / 100) + (2 if size <= 1000 else 15)


def test_a_plan_of_3_numbers_of_a_250_number_account_makes_4_list_requests(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    seed = generate_seed(250)
    emu = start_emulator(seed)
    config = tmp_path / "numbers.yaml"
    managed = "".join(
        f'  "{n["number"]}": {{label: "{n["label"]}"}}\n' for n in seed["numbers"][:3]
    )
    config.write_text(f"version: 1\nnumbers:\n{managed}")

    result = cli(emu, "plan", "-c", str(config))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("No changes. 3 managed numbers match the file; 247 unmanaged.")
    assert pages_asked(emu) == [0, 1, 2, 10]
    assert sorted(r.path for r in emu.requests if r.path != "/phone_number/") == ["/me/"]


@pytest.mark.slow
def test_an_export_of_1000_numbers_makes_11_list_requests(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emu = start_emulator(generate_seed(1000))

    result = cli(emu, "export", "-o", str(tmp_path / "numbers.yaml"))

    assert result.exit_code == 0, result.output
    assert pages_asked(emu) == [*range(10), 10]


# --- plan reads while it reads its file, and reports as if it had read the file first ---------


def plan_without_credential(config: str) -> Result:
    env = {"CLOSE_API_KEY": None, "CLOSE_ACCESS_TOKEN": None, "CLOSE_API_URL": None}
    return CliRunner().invoke(main, ["plan", "-c", config], env=env)


def test_a_bad_file_is_reported_before_a_missing_credential(tmp_path: Path) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text("version: 1\nnumbers:\n  nonsense: {label: x}\n")
    result = plan_without_credential(str(config))
    assert result.exit_code == 1
    assert "nonsense" in result.stderr.splitlines()[0]
    assert "no Close credential" not in result.stderr

    missing = plan_without_credential(str(tmp_path / "missing.yaml"))
    assert missing.exit_code == 1
    assert "no Close credential" not in missing.stderr

    config.write_text('version: 1\nnumbers:\n  "+16503334444": {label: x}\n')
    good = plan_without_credential(str(config))
    assert good.exit_code == 1
    assert "Error: no Close credential" in good.stderr


def test_a_missing_file_sends_nothing(emulator: Emulator, tmp_path: Path) -> None:
    result = cli(emulator, "plan", "-c", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 1
    assert emulator.requests == []


# --- the owners a plan names ------------------------------------------------------------------


def user_reads(emu: Emulator) -> int:
    return sum(r.path == "/user/" for r in emu.requests)


def test_owners_are_named_from_one_user_read_only_when_the_plan_has_not_read_users(
    emulator: Emulator,
) -> None:
    client = client_of(emulator)
    unread = Account((), Directory(), None)
    assert users_to_name(client, unread, set()) == ()  # no one to name
    already = Account((), Directory(users=(User("user_a", "a@x.example"),)), None)
    assert users_to_name(client, already, {"user_bob"}) == ()  # the plan named them itself
    assert user_reads(emulator) == 0
    users = users_to_name(client, unread, {"user_bob"})
    assert user_reads(emulator) == 1
    assert users == tuple(client_of(emulator).list_users())
    assert users != ()


def test_owners_stay_ids_when_the_user_read_fails(emulator: Emulator) -> None:
    client = CloseClient(Settings(emulator.url, Secret("api_wrong")))
    assert users_to_name(client, Account((), Directory(), None), {"user_bob"}) == ()
    assert user_reads(emulator) == 1


# --- group members: one GET per group the plan needs --------------------------------------------

SALES, SUPPORT, NIGHT = (
    "group_salesEmea0000000000000",
    "group_support000000000000000",
    "group_nightShift000000000000",
)


def member_reads(emu: Emulator) -> list[str]:
    return sorted(
        r.path for r in emu.requests if r.path.startswith("/group/") and r.path != "/group/"
    )


def other_reads(emu: Emulator) -> list[str]:
    return sorted(r.path for r in emu.requests if not r.path.startswith("/group/group_"))


def plan_of(emu: Emulator, tmp_path: Path, numbers: str, *args: str) -> Result:
    config = tmp_path / "numbers.yaml"
    config.write_text(f"version: 1\nnumbers:\n{numbers}")
    return cli(emu, "plan", "-c", str(config), *args)


@pytest.mark.parametrize("emulator", ["tidy", "wild"], indirect=True)
def test_members_are_read_once_for_each_group_a_changed_number_rings(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Support named twice in the file, Sales EMEA by the Sales line in Close: read once each.
    # Night Shift rings only the night line, which the file leaves alone: not read.
    result = plan_of(
        emulator,
        tmp_path,
        "  '+16503334444': {participant_groups: [Support]}\n"
        "  '+16503334445': {participant_groups: [Support]}\n"
        "  '+16503334446': {label: Alice direct}\n",
    )

    assert result.exit_code == 0, result.output
    assert member_reads(emulator) == [f"/group/{SALES}/", f"/group/{SUPPORT}/"]
    assert all(
        r.query == {"_fields": "id,members"}
        for r in emulator.requests
        if r.path.startswith("/group/g")
    )
    assert other_reads(emulator) == ["/group/", "/me/", "/phone_number/", "/user/"]
    # The Sales line stops ringing Sales EMEA (Alice and Carol) and rings Support: Alice still
    # rings as a participant, Carol no longer does.
    assert (
        "      rings:\n"
        "          alice@acme.example\n"
        "        + bob@acme.example (via Support)\n"
        "        + erin@acme.example (via Support)\n"
        "        - carol@acme.example (via Sales EMEA)\n"
    ) in result.stdout
    assert "! risk: stops ringing 1 person\n" in result.stdout


def test_a_group_named_by_id_is_read_without_its_name(emulator: Emulator, tmp_path: Path) -> None:
    result = plan_of(emulator, tmp_path, f"  '+16503334445': {{participant_groups: [{NIGHT}]}}\n")

    assert result.exit_code == 0, result.output
    assert member_reads(emulator) == [f"/group/{NIGHT}/"]
    assert "+ dave@acme.example (via Night Shift)" in result.stdout


@pytest.mark.parametrize(
    "numbers",
    [
        "  '+16503334444': {label: Sales}\n",
        # Participants only: the file uses no groups, though the Sales line rings one in Close.
        "  '+16503334444': {participants: [alice@acme.example]}\n",
    ],
)
def test_no_member_is_read_when_the_file_uses_no_groups(
    emulator: Emulator, tmp_path: Path, numbers: str
) -> None:
    result = plan_of(emulator, tmp_path, numbers)

    assert result.exit_code == 0, result.output
    assert member_reads(emulator) == []
    assert "/group/" not in other_reads(emulator)


def test_a_group_whose_members_cannot_be_read_is_left_out_not_guessed_empty() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path.endswith("/group_gone/"):
            return httpx.Response(404, json={"error": "No group with id group_gone."})
        return httpx.Response(200, json={"id": "group_x", "members": [{"user_id": "user_a"}]})

    settings = Settings("https://api.close.example/api/v1", Secret("api_x"))
    with CloseClient(settings, transport=httpx.MockTransport(answer), concurrency=2) as client:
        reads = MemberReads(client)
        reads.start(["group_x", "group_gone"])
        reads.start(["group_x"])  # already on its way: not read again
        assert reads.members() == {"group_x": ("user_a",)}
    assert sorted(asked) == ["/api/v1/group/group_gone/", "/api/v1/group/group_x/"]


# --- group members ------------------------------------------------------------------------------


class MembersClient:
    """Answers group_members with the group's id as its only member, `concurrency` calls at a
    time: each call waits at a barrier until that many are in flight, so reads done one after
    the other would never pass it."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.stop = Stop()
        self.asked: list[str] = []
        self._barrier = threading.Barrier(concurrency, timeout=30)
        self._lock = threading.Lock()
        self._in_flight = 0
        self.most_in_flight = 0

    def group_members(self, group_id: str) -> tuple[str, ...]:
        with self._lock:
            self.asked.append(group_id)
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        self._barrier.wait()
        with self._lock:
            self._in_flight -= 1
        return (f"user_of_{group_id}",)


def test_group_members_are_read_concurrency_at_a_time_each_once() -> None:
    groups = [f"group_{n}" for n in range(12)]
    client = MembersClient(4)

    members = fetch_members(client, groups)  # type: ignore[arg-type]

    assert list(members.items()) == [(g, (f"user_of_{g}",)) for g in groups]
    assert sorted(client.asked) == sorted(groups)
    assert client.most_in_flight == 4


def test_no_group_no_read() -> None:
    client = MembersClient(4)
    assert fetch_members(client, []) == {}  # type: ignore[arg-type]
    assert client.asked == []


def test_a_group_of_1000_members_is_one_read_and_every_member_is_in_the_json_plan(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    seed = generate_seed(2, users=1000, groups=1)
    group = seed["groups"][0]
    group["members"] = [user["id"] for user in seed["users"]]
    for entry in seed["numbers"]:
        entry.pop("participant_groups", None)
        entry["participants"] = [seed["users"][1]["id"]]
    emu = start_emulator(seed)
    number = seed["numbers"][0]["number"]

    result = plan_of(emu, tmp_path, f"  '{number}': {{participant_groups: [Group 0]}}\n")

    assert result.exit_code == 0, result.output
    assert member_reads(emu) == [f"/group/{group['id']}/"]
    # /user/ read once, for the emails (the file names nobody by email): each of its pages once.
    skips = [int(r.query["_skip"]) for r in emu.requests if r.path == "/user/"]
    assert sorted(skips) == list(range(0, 1001, 100))
    lines = result.stdout.splitlines()
    start = lines.index("      rings:")
    assert lines[start + 1] == "          user1@gen.example (also via Group 0)"
    assert lines[start + 2] == "        + admin@gen.example (via Group 0)"
    assert lines[start + 52] == "        + ... and 949 more, after only"
    assert lines[start + 53] == ""

    saved = plan_of(
        emu, tmp_path, f"  '{number}': {{participant_groups: [Group 0]}}\n", "--format", "json"
    )
    document = json.loads(saved.stdout)
    (ring,) = document["rings"]
    assert len(ring["after"]["people"]) == 1000
    assert all(p["email"] and p["via"] == [group["id"]] for p in ring["after"]["people"][1:])
