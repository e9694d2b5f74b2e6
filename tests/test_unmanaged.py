"""numbersync.unmanaged: what a config no longer manages compared with a base, as pure data, and
the lines each renderer makes of it."""

from __future__ import annotations

from dataclasses import replace

from numbersync import config, render
from numbersync.account import Group, LiveNumber, User
from numbersync.live import Directory
from numbersync.models import DesiredGroup
from numbersync.plan import Plan
from numbersync.unmanaged import NoLongerManaged, compared_with, released
from numbersync.yamlsource import parse

SALES = LiveNumber(
    "phon_sales",
    "+16503334444",
    "+1 650-333-4444",
    None,
    {
        "label": "Sales",
        "forward_to": "+1 650 555 0100",
        "participants": ["user_a"],
        "participant_groups": ["group_emea"],
        "inbound_ring_duration": None,
    },
)
SUPPORT = LiveNumber("phon_support", "+16503334445", "+1 650-333-4445", None, {"label": "Help"})
EMEA = Group("group_emea", "Sales EMEA")
NIGHT = Group("group_night", "Night")


def state(text: str, groups: tuple[DesiredGroup, ...] = ()) -> config.DesiredState:
    loaded = config.load_document(parse("numbers.yaml", text.encode()))
    return replace(loaded, groups=groups)


BASE = state(
    "version: 1\ndefaults:\n  inbound_ring_duration: 30\nnumbers:\n"
    "  '+16503334444':\n    label: Sales\n    forward_to: '+16505550100'\n"
    "    participant_groups: [Sales EMEA]\n"
    "  phon_support:\n    label: Help\n"
    "  '+16509999999':\n    label: Not in Close\n",
    (DesiredGroup("Sales EMEA", ("a@x.example",)), DesiredGroup("group_night", ())),
)


def test_numbers_fields_through_defaults_and_groups() -> None:
    # The sales line is now named by its id; support and the night group are dropped, and so
    # are forward_to, participant_groups and the defaults' ring duration.
    now = state(
        "version: 1\nnumbers:\n  phon_sales:\n    label: Sales\n",
        (DesiredGroup("group_emea", ("a@x.example",)),),
    )
    directory = Directory(groups=(EMEA, NIGHT), members={"group_night": ("user_b",)})

    found = released(BASE, now, [SALES, SUPPORT], directory)

    assert found == (
        NoLongerManaged(
            "field",
            "phon_sales",
            "+16503334444",
            "forward_to",
            "+16505550100",
            "Sales",
            "numbers.yaml",
        ),
        NoLongerManaged(
            "field",
            "phon_sales",
            "+16503334444",
            "inbound_ring_duration",
            30,
            "Sales",
            "numbers.yaml",
        ),
        NoLongerManaged(
            "field",
            "phon_sales",
            "+16503334444",
            "participant_groups",
            ("group_emea",),
            "Sales",
            "numbers.yaml",
        ),
        NoLongerManaged(
            "number", "phon_support", "+16503334445", label="Help", file="numbers.yaml"
        ),
        # Named by its name in the base and by its id now: the same group, still managed.
        NoLongerManaged("group", "group_night", "Night", "members", ("user_b",), None, ""),
    )


def test_the_same_config_lets_nothing_go() -> None:
    assert released(BASE, BASE, [SALES, SUPPORT], Directory(groups=(EMEA, NIGHT))) == ()


def test_groups_not_read_are_known_by_their_keys() -> None:
    now = replace(BASE, groups=(DesiredGroup("Sales EMEA", ()),))

    found = released(BASE, now, [SALES, SUPPORT])

    assert found == (NoLongerManaged("group", "group_night", "group_night", "members"),)


def test_the_lines_name_users_and_groups() -> None:
    now = state(
        "version: 1\nnumbers:\n  phon_sales:\n    label: Sales\n",
        (DesiredGroup("Sales EMEA", ()),),
    )
    directory = Directory(
        users=(User("user_b", "bob@x.example"), User("user_z", "zed@x.example")),
        groups=(EMEA, NIGHT),
        members={"group_night": ("user_b",)},
    )
    plan = compared_with(Plan((), (), ()), "main", BASE, now, [SALES, SUPPORT], directory)
    with_unread = replace(
        plan,
        no_longer_managed=(
            *plan.no_longer_managed,
            NoLongerManaged("group", "group_other", "Other", "members"),
        ),
    )

    text = render.render_text(with_unread)

    assert plan.emails == {"user_b": "bob@x.example"}  # only the ids shown
    assert plan.group_names == {"group_emea": "Sales EMEA"}
    assert text.splitlines()[:8] == [
        "Compared with the base main, the config no longer manages these; Close keeps them as "
        "they are:",
        '  no longer managed: +1 650-333-4444 forward_to (Close keeps "+16505550100")',
        "  no longer managed: +1 650-333-4444 inbound_ring_duration (Close keeps 30)",
        '  no longer managed: +1 650-333-4444 participant_groups (Close keeps ["Sales EMEA"])',
        '  no longer managed: +1 650-333-4445 "Help" (the whole number; Close keeps its settings)',
        '  no longer managed: group "Night" members (Close keeps ["bob@x.example"])',
        '  no longer managed: group "Other" members (Close keeps its members)',
        "",
    ]
    markdown = render.render_markdown(with_unread)
    assert (
        '- no longer managed: group "Night" `members` (Close keeps `["bob@x.example"]`)\n'
        '- no longer managed: group "Other" `members` (Close keeps its members)\n'
    ) in markdown


def test_a_hostile_label_is_escaped() -> None:
    item = NoLongerManaged("number", "phon_x", "+16503334444", label="a\x1b[31mred")
    plan = Plan((), (), (), base="main", no_longer_managed=(item,))

    text = render.render_text(plan)

    assert "\x1b" not in text


def test_an_external_number_never_took_the_defaults_inbound_settings() -> None:
    external = replace(
        SUPPORT, type="external", fields={"label": "Help", "press_1_to_accept": False}
    )
    base = state(
        "version: 1\ndefaults:\n  press_1_to_accept: true\nnumbers:\n  phon_support:\n"
        "    label: Help\n    inbound_ring_duration: 45\n"
    )
    now = state("version: 1\nnumbers:\n  phon_support:\n    label: Help\n")

    found = released(base, now, [external])

    # Only what the base wrote on the number itself: the defaults' setting never applied there.
    assert [(n.field, n.keeps) for n in found] == [("inbound_ring_duration", 30)]


def test_the_markdown_list_stays_short_however_much_is_let_go() -> None:
    many = tuple(f"user_{i:040d}" for i in range(500))
    items = tuple(
        NoLongerManaged("field", f"phon_{n}", f"+1650333{n:04d}", "participants", many)
        for n in range(300)
    )
    plan = Plan((), (), (), base="main", no_longer_managed=items)

    markdown = render.render_markdown(plan)

    lines = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert len(lines) == 101
    assert lines[-1] == "- and 200 more; run `numbersync plan --base` for the full list"
    assert all(len(line) < 300 for line in lines)
    assert len(markdown) < render.MARKDOWN_LIMIT
