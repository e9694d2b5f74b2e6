"""Golden renderings of the same plans as text, Markdown and JSON.

Regenerate after an intended change with `NUMBERSYNC_UPDATE_GOLDEN=1 pytest tests/test_render.py`,
then read the diff of tests/data/golden/ before committing it.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from numbersync import config, render
from numbersync.account import Group, LiveNumber, Me, Membership, User
from numbersync.live import Directory
from numbersync.plan import Plan, build_plan
from numbersync.safety import judge

GOLDEN = Path(__file__).parent / "data" / "golden"
DIRECTORY = Directory(
    (
        User("user_alice", "alice@acme.example"),
        User("user_bob", "bob@acme.example"),
        User("user_carol", "carol@acme.example"),
        User("user_erin", "erin@acme.example"),
    ),
    (Group("group_sales", "Sales EMEA"), Group("group_support", "Support")),
    {"group_sales": ("user_alice", "user_carol"), "group_support": ("user_erin",)},
)


def live(number: str, **fields: Any) -> LiveNumber:
    id = "phon_" + number.lstrip("+")
    # Close's own examples mix timestamps with an offset and naive ones (UTC): both render.
    updated = "2026-11-30T14:02:11.5+00:00" if number.endswith("4") else "2026-10-01T08:00:00"
    return LiveNumber(id, number, number, updated, fields, fields)


def make_plan(
    tmp_path: Path, body: str, numbers: list[LiveNumber], me: Me | None = None, groups: str = ""
) -> Plan:
    path = tmp_path / "numbers.yaml"
    path.write_text(f"version: 1\nnumbers:\n{body}" + (f"groups:\n{groups}" if groups else ""))
    state = config.load(str(path))
    plan = build_plan(state, numbers, DIRECTORY, me=me)
    plan = replace(plan, verdict=judge(plan, {n.id: n for n in numbers}))
    # Golden files must not depend on the temporary directory.
    return relative_to(plan, tmp_path)


def relative_to(plan: Plan, base: Path) -> Plan:
    """The plan with its file names relative to `base`."""

    def rel(path: str) -> str:
        return os.path.relpath(path, base)

    return replace(
        plan,
        config_path=rel(plan.config_path),
        changes=tuple(replace(c, file=rel(c.file)) for c in plan.changes),
        groups=tuple(replace(c, file=rel(c.file)) for c in plan.groups),
        files=tuple(replace(f, path=rel(f.path)) for f in plan.files),
    )


def plans(tmp_path: Path) -> dict[str, Plan]:
    unmanaged = [live("+19995550000", label="Front desk"), live("+19995550001", label=None)]
    every = (
        "  '+16503334444':\n"
        "    label: Sales line\n"
        "    forward_to: '+1 650 555 0100'\n"
        "    forward_to_enabled: true\n"
        "    inbound_ring_duration: 45\n"
        "    participants: [alice@acme.example, bob@acme.example]\n"
        "    participant_groups: [Sales EMEA]\n"
        "    phone_numbers: ['+14155550199']\n"
        "    press_1_to_accept: true\n"
        "    voicemail_greeting_url: https://cdn.acme.example/sales.mp3\n"
    )
    many_body = "".join(f"  '+1650333{i:04d}': {{label: 'Line {i}'}}\n" for i in range(40))
    many_live = [live(f"+1650333{i:04d}", label="Old" if i % 3 else f"Line {i}") for i in range(40)]
    huge_body = "".join(
        f"  '+1650333{i:04d}': {{label: 'Line {i} with a long label'}}\n" for i in range(3000)
    )
    huge_live = [live(f"+1650333{i:04d}", label=f"Old {i}") for i in range(3000)]
    return {
        "no_change": make_plan(
            tmp_path,
            "  '+16503334444': {label: Sales}\n",
            [live("+16503334444", label="Sales"), *unmanaged],
        ),
        "one_field": make_plan(
            tmp_path,
            "  '+16503334444': {label: Sales, inbound_ring_duration: 30}\n",
            [live("+16503334444", label="Sales", inbound_ring_duration=60), *unmanaged],
        ),
        "every_field": make_plan(
            tmp_path,
            every,
            [
                live(
                    "+16503334444",
                    label="Sales",
                    forward_to=None,
                    forward_to_enabled=False,
                    inbound_ring_duration=None,
                    participants=["user_alice", "user_carol"],
                    participant_groups=[],
                    phone_numbers=["+14155550100"],
                    press_1_to_accept=False,
                    voicemail_greeting_url=None,
                )
            ],
            me=Me(
                "user_bob",
                "bob@acme.example",
                # /me/ and the role (read because /me/ lacks it) list no group-number permission.
                (Membership(None, "user", frozenset({"view_all_leads"}), frozenset({"calling"})),),
            ),
        ),
        "set_changes": make_plan(
            tmp_path,
            "  '+16503334444':\n    participants: [bob@acme.example]\n"
            "    participant_groups: [Support, group_sales]\n"
            "  '+16503334445':\n    phone_numbers: []\n",
            [
                live(
                    "+16503334444",
                    participants=["user_alice", "user_bob"],
                    participant_groups=["group_sales"],
                ),
                live("+16503334445", phone_numbers=["+14155550100", "+14155550101"]),
            ],
        ),
        "many_numbers": make_plan(tmp_path, many_body, many_live),
        # Bob's key: Alice's personal number (Close refuses it), Bob's own made shared, and a
        # shared number left ringing nobody (apply refuses the plan).
        "personal": make_plan(
            tmp_path,
            "  '+16503334444': {label: Alice's line}\n"
            "  '+16503334445': {participants: [bob@acme.example, alice@acme.example]}\n"
            "  '+16503334446': {participants: []}\n",
            [
                live("+16503334444", label="Alice", participants=["user_alice"]),
                live("+16503334445", participants=["user_bob"]),
                live("+16503334446", participants=["user_alice", "user_bob"]),
            ],
            me=Me("user_bob", "bob@acme.example", (Membership(None, "admin", frozenset()),)),
        ),
        "markdown_cut": make_plan(tmp_path, huge_body, huge_live),
        # Alice joins Support and Bob leaves it: the two numbers that ring Support ring Alice
        # now; Bob stays a participant of one of them.
        "groups": make_plan(
            tmp_path,
            "  '+16503334444': {label: Sales, participant_groups: [Support]}\n"
            "  '+16503334445': {participant_groups: [Support], participants: [bob@acme.example]}\n",
            [
                live("+16503334444", label="Old", participant_groups=["group_support"]),
                live(
                    "+16503334445", participant_groups=["group_support"], participants=["user_bob"]
                ),
            ],
            groups="  Support:\n    members: [alice@acme.example]\n"
            "  Sales EMEA:\n    members: [alice@acme.example]\n",
        ),
    }


@pytest.fixture(scope="module")
def all_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Plan]:
    return plans(tmp_path_factory.mktemp("plans"))


RENDERERS = {
    "txt": lambda p: render.render_text(p, show_unmanaged=True),
    "md": render.render_markdown,
    "json": render.render_json,
}


CASES = [
    (name, ext)
    for name in (
        "no_change",
        "one_field",
        "every_field",
        "set_changes",
        "many_numbers",
        "personal",
        "groups",
    )
    for ext in sorted(RENDERERS)
] + [("markdown_cut", "md")]


@pytest.mark.parametrize(("name", "ext"), CASES)
def test_golden(all_plans: dict[str, Plan], name: str, ext: str) -> None:
    rendered = RENDERERS[ext](all_plans[name])
    golden = GOLDEN / f"{name}.{ext}"
    if os.environ.get("NUMBERSYNC_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered)
    assert rendered == golden.read_text()


@pytest.mark.slow
def test_markdown_is_cut_under_the_comment_limit_and_says_so(all_plans: dict[str, Plan]) -> None:
    text = render.render_markdown(all_plans["markdown_cut"])
    assert len(text) <= render.MARKDOWN_LIMIT
    assert "lines cut to fit a comment" in text
    # The verdict first, then the summary.
    assert text.startswith(
        "<!-- numbersync-plan -->\n### numbersync plan\n\n> [!CAUTION]\n> **Safety:** apply "
        "will refuse this without --force: it changes 3000 of 3000 managed numbers (100%, more "
        "than 30%).\n\n**Plan: 3000 to change"
    )
    # Both ends of the plan survive the cut.
    assert "+1 650-333-0000" in text and "+1 650-333-2999" in text


def test_markdown_renders_with_a_details_block_and_a_table(all_plans: dict[str, Plan]) -> None:
    tokens = (
        MarkdownIt("commonmark")
        .enable("table")
        .parse(render.render_markdown(all_plans["every_field"]))
    )
    kinds = [t.type for t in tokens]
    assert "table_open" in kinds and "fence" in kinds and "html_block" in kinds


def test_text_colour_only_when_asked(all_plans: dict[str, Plan]) -> None:
    assert "\x1b[" not in render.render_text(all_plans["every_field"])
    assert "\x1b[" in render.render_text(all_plans["every_field"], color=True)


def test_json_plan_lists_every_field_change(all_plans: dict[str, Plan]) -> None:
    document = json.loads(render.render_json(all_plans["every_field"]))
    assert document["format_version"] == 1
    assert {c["field"] for c in document["changes"]} == {
        "label",
        "forward_to",
        "forward_to_enabled",
        "inbound_ring_duration",
        "participants",
        "participant_groups",
        "phone_numbers",
        "press_1_to_accept",
        "voicemail_greeting_url",
    }
    assert all(c["id"] == "phon_16503334444" for c in document["changes"])


def test_an_owners_email_from_close_is_escaped_in_every_format(
    all_plans: dict[str, Plan],
) -> None:
    # Close answers the emails: one holding an escape sequence must not recolour a terminal
    # or forge a line of a CI log.
    plan = all_plans["personal"]
    forged = replace(plan, emails={**plan.emails, "user_alice": "a\x1b[31m@x\n::error::"})
    for text in (render.render_text(forged), render.render_markdown(forged)):
        assert "\x1b" not in text and "\n::error::" not in text
        assert "personal number of a\\x1b[31m@x\\n::error::" in text
    assert json.loads(render.render_json(forged))["verdict"]["close_refuses"][0]["owner_email"] == (
        "a\x1b[31m@x\n::error::"
    )


def test_a_tree_shows_a_files_group_changes_under_it_and_in_the_groups_section(
    tmp_path: Path,
) -> None:
    (tmp_path / "sales.yaml").write_text("version: 1\nnumbers:\n  '+16503334444': {label: A}\n")
    (tmp_path / "desk.yaml").write_text(
        "version: 1\nnumbers:\n  '+16503334445': {participant_groups: [Support]}\n"
        "groups:\n  Support:\n    members: [alice@acme.example]\n"
    )
    numbers = [
        live("+16503334444", label="B"),
        live("+16503334445", participant_groups=["group_support"]),
    ]
    plan = relative_to(build_plan(config.load(str(tmp_path)), numbers, DIRECTORY), tmp_path)
    assert render.render_text(plan).split("\n\n")[:2] == [
        "# desk.yaml: 1 to change",
        "  ~ group Support\n"
        "      + alice@acme.example (rings on 1 more number: +1 650-333-4445)\n"
        "      - erin@acme.example (no longer rings on 1 number: +1 650-333-4445)",
    ]
    markdown = render.render_markdown(plan)
    assert "No changes in" not in markdown  # desk.yaml's change is its group's
    assert "</details>\n\n#### Groups\n\n| Group | File |" in markdown
    assert "| Support | `desk.yaml` | 1 | 1 | 1 |" in markdown


# --- who rings ---------------------------------------------------------------------------------


def test_who_rings_shows_everyone_added_and_removed_and_a_few_of_those_kept() -> None:
    from numbersync.plan import FieldChange, NumberChange
    from numbersync.ringing import GroupRing, Rings

    big = GroupRing("group_big", tuple(f"user_{i:02d}" for i in range(30)))
    before = Rings((), (big,))
    after = Rings(("user_new",), (big, GroupRing("group_unread", None)))
    change = NumberChange(
        "phon_1",
        "+16503334444",
        None,
        "+16503334444",
        (FieldChange("participants", (), ("user_new",)),),
        rings_before=before,
        rings_after=after,
    )
    plan = Plan((change,), (), (), emails={"user_new": "new@acme.example"}, group_names={})

    lines = render.render_text(plan).splitlines()

    start = lines.index("      rings:")
    assert lines[start + 1 : start + 15] == [
        *(f"          user_{i:02d} (via group_big)" for i in range(render.RINGS_KEPT_SHOWN)),
        "          ... and 20 more, before and after",
        "        + new@acme.example",
        "          ? the members of group_unread: not read",
        "",
    ]
    assert "risk" not in render.render_text(plan)


def test_a_number_that_rang_nobody_says_so() -> None:
    from numbersync.plan import FieldChange, NumberChange
    from numbersync.ringing import Rings

    change = NumberChange(
        "phon_1",
        "+16503334444",
        None,
        "+16503334444",
        (FieldChange("phone_numbers", (), ("+14155550100",)),),
        rings_before=Rings(),
        rings_after=Rings((), (), ("+14155550100",)),
    )
    text = render.render_text(Plan((change,), (), ()))
    assert "      rings:\n          (nobody before)\n        + +1 415-555-0100\n" in text
