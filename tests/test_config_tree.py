"""A directory of files: which files are read, how defaults layer, one file per number, every
error of every file at once, the fingerprint of a tree, and plans that name each change's file."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from numbersync import config, render
from numbersync.account import Group, LiveNumber, User
from numbersync.errors import InputError, UsageError
from numbersync.export import Export, _Entry, _file_stems, _shared_defaults, file_safe
from numbersync.files import MAX_FILE_BYTES
from numbersync.live import Directory
from numbersync.models import DesiredState, Safety
from numbersync.plan import FieldChange, FileSummary, NumberChange, Plan, build_plan
from numbersync.savedplan.read import read_plan

ROOT = "version: 1\ndefaults:\n  inbound_ring_duration: 30\n  press_1_to_accept: false\n"
SALES = (
    "version: 1\n"
    "defaults:\n"
    "  inbound_ring_duration: 45\n"
    "numbers:\n"
    "  '+1 650-333-4444':\n"
    "    label: Sales line\n"
    "  '+16503334446':\n"
    "    inbound_ring_duration: 60\n"
    "    press_1_to_accept: true\n"
)
EMEA = "version: 1\nnumbers:\n  '+44 20 7946 0958':\n    label: London office\n"


def tree(base: Path, files: dict[str, str]) -> str:
    """Write `files` (relative path -> text) below base/numbers; returns that directory."""
    top = base / "numbers"
    for name, text in files.items():
        path = top / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    top.mkdir(exist_ok=True)
    return str(top)


def errors_of(path: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        config.load(path)
    return [str(d) for d in caught.value.diagnostics]


def live(number: str, **fields: Any) -> LiveNumber:
    id = "phon_" + number.lstrip("+")
    return LiveNumber(id, number, number, None, fields, fields)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- which files, in which order --------------------------------------------------------------


def test_every_yaml_file_below_the_directory_in_path_order(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "numbersync.yaml": ROOT,
            "sales.yaml": SALES,
            "support/emea.yml": EMEA,
            "support-us.yaml": "version: 1\nnumbers: {}\n",
            "README.md": "not read",
            "notes.txt": "not read",
            ".hidden.yaml": "not: [read",
            ".git/config.yaml": "not: [read",
            "support/.draft.yaml": "not: [read",
        },
    )
    state = config.load("numbers")
    # By path components: "support/emea.yml" after "support-us.yaml" and "sales.yaml".
    assert state.files == (
        "numbers/numbersync.yaml",
        "numbers/sales.yaml",
        "numbers/support/emea.yml",
        "numbers/support-us.yaml",
    )
    assert state.root == "numbers/numbersync.yaml"
    assert state.path == "numbers"
    assert [(n.number, n.file) for n in state.numbers] == [
        ("+16503334444", "numbers/sales.yaml"),
        ("+16503334446", "numbers/sales.yaml"),
        ("+442079460958", "numbers/support/emea.yml"),
    ]


@pytest.mark.parametrize("given", ["numbers/", "./numbers", "numbers"])
def test_files_are_named_as_the_directory_was_given_once_normalised(
    in_tmp: Path, given: str
) -> None:
    tree(in_tmp, {"sales.yaml": SALES})
    assert config.load(given).files == ("numbers/sales.yaml",)


def test_the_current_directory_names_files_without_a_prefix(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree(in_tmp, {"sales.yaml": SALES, "a/b.yaml": EMEA}))
    state = config.load(".")
    assert state.files == ("a/b.yaml", "sales.yaml")
    assert state.numbers[0].position_of("label").file == "sales.yaml"


# --- layering -----------------------------------------------------------------------------------


def test_a_field_comes_from_the_number_else_its_files_defaults_else_the_roots(
    in_tmp: Path,
) -> None:
    tree(in_tmp, {"numbersync.yaml": ROOT, "sales.yaml": SALES, "support/emea.yaml": EMEA})
    sales, direct, london = config.load("numbers").numbers

    assert dict(sales.fields) == {
        "label": "Sales line",
        "inbound_ring_duration": 45,
        "press_1_to_accept": False,
    }
    assert {name: sales.layer_of(name) for name in sales.fields} == {
        "label": "number",
        "inbound_ring_duration": "file",
        "press_1_to_accept": "root",
    }
    assert str(sales.position_of("inbound_ring_duration")) == "numbers/sales.yaml:3:26"
    assert str(sales.position_of("press_1_to_accept")) == "numbers/numbersync.yaml:4:22"
    assert sales.path_of("press_1_to_accept") == ("defaults", "press_1_to_accept")

    assert dict(direct.fields) == {"inbound_ring_duration": 60, "press_1_to_accept": True}
    assert {direct.layer_of(name) for name in direct.fields} == {"number"}

    assert dict(london.fields) == {
        "label": "London office",
        "inbound_ring_duration": 30,
        "press_1_to_accept": False,
    }
    assert str(london.position_of("inbound_ring_duration")) == "numbers/numbersync.yaml:3:26"
    assert london.layer_of("inbound_ring_duration") == "root"


def test_lists_in_defaults_replace_the_roots_whole(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "numbersync.yaml": "version: 1\ndefaults:\n  participants: [a@x.example, b@x.example]\n",
            "team.yaml": "version: 1\ndefaults:\n  participants: [c@x.example]\n"
            "numbers:\n  '+16503334444': {}\n",
        },
    )
    (number,) = config.load("numbers").numbers
    assert number.fields["participants"] == ("c@x.example",)
    assert str(number.position_of("participants[0]")) == "numbers/team.yaml:3:18"


def test_the_root_may_hold_numbers_of_its_own(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {"numbersync.yaml": ROOT + "numbers:\n  '+16503334445': {}\n", "sales.yaml": SALES},
    )
    state = config.load("numbers")
    root_number = next(n for n in state.numbers if n.number == "+16503334445")
    assert root_number.file == "numbers/numbersync.yaml"
    assert root_number.layer_of("inbound_ring_duration") == "root"


def test_without_a_root_each_file_has_only_its_own_defaults(in_tmp: Path) -> None:
    tree(in_tmp, {"sales.yaml": SALES, "emea.yaml": EMEA})
    state = config.load("numbers")
    assert state.root is None
    assert state.safety == Safety()
    london = next(n for n in state.numbers if n.number == "+442079460958")
    assert dict(london.fields) == {"label": "London office"}


def test_safety_comes_from_the_root(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "numbersync.yaml": "version: 1\nsafety: {max_change_percent: 50, min_managed: 3}\n",
            "sales.yaml": SALES,
        },
    )
    assert config.load("numbers").safety == Safety(50.0, 3)


def test_a_single_file_is_still_its_own_root(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(SALES)
    state = config.load(str(path))
    assert state.files == (str(path),) and state.root is None
    assert state.numbers[0].layer_of("inbound_ring_duration") == "file"


# --- errors -------------------------------------------------------------------------------------


def test_every_error_of_every_file_at_once_sorted(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "numbersync.yaml": "version: 1\ndefaults:\n  inbound_ring_duration: 5\n",
            "sales.yaml": "version: 1\nnumbers:\n  '+16503334444': {forwad_to: '+16505550100'}\n",
            "support/emea.yaml": "version: 2\nsafety: {min_managed: 3}\nnumbers: {}\n",
            "support/us.yaml": "version: 1\nnumbers:\n  '+16503334445': {label: [x]\n",
            "team.yaml": "version: 1\ndefaults: {}\n",
            "empty.yaml": "",
        },
    )
    assert errors_of("numbers") == [
        "numbers/empty.yaml:1:1: $: the file is empty; expected a mapping with 'version' and 'numbers'",
        "numbers/numbersync.yaml:3:26: $.defaults.inbound_ring_duration: must be between 15 and 90, got 5",
        "numbers/sales.yaml:3:20: $.numbers[\"+16503334444\"].forwad_to: unknown key 'forwad_to' (did you mean 'forward_to'?)",
        "numbers/support/emea.yaml:1:10: $.version: unsupported version (this numbersync reads version 1), got 2",
        "numbers/support/emea.yaml:2:1: $.safety: safety is allowed only in the directory's root numbersync.yaml, where it covers every file",
        "numbers/support/us.yaml:4:1: $: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping)",
        "numbers/team.yaml:1:1: $: missing required key 'numbers'",
    ]


def test_version_is_required_in_every_file_and_the_root_needs_no_numbers(in_tmp: Path) -> None:
    tree(in_tmp, {"numbersync.yaml": "defaults: {label: x}\n", "sales.yaml": "numbers: {}\n"})
    assert errors_of("numbers") == [
        "numbers/numbersync.yaml:1:1: $: missing required key 'version'",
        "numbers/sales.yaml:1:1: $: missing required key 'version'",
    ]


def test_a_number_in_two_files_names_both_places(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "sales.yaml": SALES,
            "support/emea.yaml": EMEA + "  '+16503334444': {label: Again}\n"
            "  phon_abc: {label: By id}\n",
            "support/us.yaml": "version: 1\nnumbers:\n  '+1 (650) 333-4446': {}\n  phon_abc: {}\n",
        },
    )
    assert errors_of("numbers") == [
        'numbers/support/emea.yaml:5:3: $.numbers["+16503334444"]: "+16503334444" is also in '
        'numbers/sales.yaml:5 (as "+1 650-333-4444"); a number belongs to exactly one file',
        'numbers/support/us.yaml:3:3: $.numbers["+1 (650) 333-4446"]: "+1 (650) 333-4446" is also '
        'in numbers/sales.yaml:7 (as "+16503334446"); a number belongs to exactly one file',
        'numbers/support/us.yaml:4:3: $.numbers.phon_abc: "phon_abc" is also in '
        "numbers/support/emea.yaml:6; a number belongs to exactly one file",
    ]


def test_a_group_in_two_files_names_both_places(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "numbersync.yaml": ROOT + "groups:\n  Support:\n    members: [alice@example.com]\n",
            "sales.yaml": SALES + "groups:\n  Sales:\n    members: []\n  support: {members: []}\n",
            "support/emea.yaml": EMEA + "groups:\n  Support: {members: [user_b]}\n",
            "support/us.yaml": "version: 1\ngroups:\n  Sales:\n    members: [user_c]\n",
        },
    )
    # Names are compared exactly, as Close compares them: "support" is another group.
    assert errors_of("numbers") == [
        'numbers/support/emea.yaml:6:3: $.groups.Support: "Support" is also in '
        "numbers/numbersync.yaml:6; a group belongs to exactly one file",
        'numbers/support/us.yaml:3:3: $.groups.Sales: "Sales" is also in '
        "numbers/sales.yaml:11; a group belongs to exactly one file",
    ]


def test_groups_may_be_in_any_file_the_root_included(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "numbersync.yaml": ROOT + "groups:\n  Support:\n    members: [alice@example.com]\n",
            "sales.yaml": SALES + "groups:\n  group_sales:\n    members: [user_b, user_b]\n",
            "teams.yaml": "version: 1\ngroups:\n  Night shift: {members: []}\n",
        },
    )
    state = config.load("numbers")
    assert [(g.key, g.members, g.file, g.position.line) for g in state.groups] == [
        ("Support", ("alice@example.com",), "numbers/numbersync.yaml", 6),
        ("group_sales", ("user_b",), "numbers/sales.yaml", 11),
        ("Night shift", (), "numbers/teams.yaml", 3),
    ]
    assert len(state.numbers) == 2


def test_a_directory_without_yaml_files_is_a_clear_error(in_tmp: Path) -> None:
    tree(in_tmp, {".hidden.yaml": "version: 1\n", "notes/README.md": "x"})
    with pytest.raises(UsageError, match=r"^numbers: no \*\.yaml or \*\.yml file"):
        config.load("numbers")


def test_symlink_loops_and_dangling_links_are_errors_not_hangs(in_tmp: Path) -> None:
    top = Path(tree(in_tmp, {"sales.yaml": SALES, "support/emea.yaml": EMEA}))
    (top / "support" / "again").symlink_to("..")
    (top / "mirror").symlink_to("support")
    (top / "gone.yaml").symlink_to("nowhere.yaml")
    (top / "self.yaml").symlink_to("self.yaml")
    os.mkfifo(top / "pipe.yaml")
    assert errors_of("numbers") == [
        "numbers/gone.yaml:1:1: $: a symlink to a file that does not exist",
        "numbers/mirror:1:1: $: the same directory as numbers/support (a symlink); read only there",
        "numbers/pipe.yaml:1:1: $: not a regular file; not read",
        "numbers/self.yaml:1:1: $: cannot be read (Too many levels of symbolic links)",
        "numbers/support/again:1:1: $: a symlink loop: this is numbers again; not read",
    ]


def test_an_oversized_file_is_one_error_among_the_others(in_tmp: Path) -> None:
    top = Path(tree(in_tmp, {"sales.yaml": "version: 1\nnumbers: []\n"}))
    (top / "huge.yaml").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    assert errors_of("numbers") == [
        f"numbers/huge.yaml:1:1: $: the file is {MAX_FILE_BYTES + 1:,} bytes; numbersync reads "
        f"files up to {MAX_FILE_BYTES:,} bytes",
        "numbers/sales.yaml:2:10: $.numbers: must be a mapping, got a list",
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_one_error_among_the_others(in_tmp: Path) -> None:
    top = Path(tree(in_tmp, {"sales.yaml": SALES, "secret.yaml": EMEA}))
    (top / "secret.yaml").chmod(0)
    assert errors_of("numbers") == ["numbers/secret.yaml:1:1: $: permission denied"]


# --- the fingerprint ----------------------------------------------------------------------------


def test_the_fingerprint_covers_every_path_and_its_bytes(in_tmp: Path) -> None:
    top = Path(tree(in_tmp, {"numbersync.yaml": ROOT, "sales.yaml": SALES}))
    first = config.load("numbers").fingerprint
    assert config.load("./numbers/").fingerprint == first
    assert config.load(str(top.resolve())).fingerprint == first

    (top / "sales.yaml").rename(top / "sales2.yaml")
    renamed = config.load("numbers").fingerprint
    (top / "sales2.yaml").rename(top / "sales.yaml")
    (top / "numbersync.yaml").write_text(ROOT + "# a comment\n")
    edited = config.load("numbers").fingerprint
    (top / "numbersync.yaml").write_text(ROOT)
    (top / "extra.yaml").write_text("version: 1\nnumbers: {}\n")
    added = config.load("numbers").fingerprint

    assert len({first, renamed, edited, added}) == 4
    assert first.startswith("sha256:") and len(first) == 71


# --- plans name files ---------------------------------------------------------------------------


LIVE = [
    live("+16503334444", label="Sales", inbound_ring_duration=45, press_1_to_accept=False),
    live("+16503334446", inbound_ring_duration=30, press_1_to_accept=True),
    live("+442079460958", label="London office", inbound_ring_duration=60),
    live("+16503334499", label="Unmanaged"),
]


def tree_state(in_tmp: Path) -> DesiredState:
    tree(in_tmp, {"numbersync.yaml": ROOT, "sales.yaml": SALES, "support/emea.yaml": EMEA})
    return config.load("numbers")


def test_changes_carry_their_file_and_come_file_by_file(in_tmp: Path) -> None:
    plan = build_plan(tree_state(in_tmp), LIVE)
    assert [(c.file, c.number) for c in plan.changes] == [
        ("numbers/sales.yaml", "+16503334444"),
        ("numbers/sales.yaml", "+16503334446"),
        ("numbers/support/emea.yaml", "+442079460958"),
    ]
    assert plan.files == (
        FileSummary("numbers/numbersync.yaml", 0, 0),
        FileSummary("numbers/sales.yaml", 2, 0),
        FileSummary("numbers/support/emea.yaml", 1, 0),
    )


@pytest.mark.parametrize(
    ("targets", "numbers"),
    [
        (("numbers/sales.yaml",), ["+16503334444", "+16503334446"]),
        (("./numbers/sales.yaml",), ["+16503334444", "+16503334446"]),
        (("numbers/support",), ["+442079460958"]),
        (("numbers/support/",), ["+442079460958"]),
        (("numbers",), ["+16503334444", "+16503334446", "+442079460958"]),
        (("numbers/support/emea.yaml", "+1 650-333-4446"), ["+16503334446", "+442079460958"]),
    ],
)
def test_a_target_may_be_a_file_or_a_directory_of_the_tree(
    in_tmp: Path, targets: tuple[str, ...], numbers: list[str]
) -> None:
    plan = build_plan(tree_state(in_tmp), LIVE, targets=targets)
    assert sorted(c.number for c in plan.changes) == numbers


def test_a_target_that_names_no_file_says_so(in_tmp: Path) -> None:
    with pytest.raises(UsageError) as caught:
        build_plan(tree_state(in_tmp), LIVE, targets=("numbers/sale.yaml",))
    assert caught.value.message == "--target numbers/sale.yaml: not a number or a file in numbers"


def test_plan_errors_name_the_file_its_list_index_and_the_defaults_that_set_it(
    in_tmp: Path,
) -> None:
    tree(
        in_tmp,
        {
            "numbersync.yaml": "version: 1\ndefaults:\n  participants: [ghost@x.example]\n",
            "sales.yaml": "version: 1\nnumbers:\n"
            "  '+16503334444':\n    participants: [a@x.example, A@x.example, nobody@x.example]\n"
            "  '+16503334446': {}\n",
            "emea.yaml": "version: 1\nnumbers:\n  '+442079460958': {}\n  '+16503334444': {}\n",
        },
    )
    with pytest.raises(InputError) as caught:
        config.load("numbers")
    assert [str(d) for d in caught.value.diagnostics] == [
        'numbers/sales.yaml:3:3: $.numbers["+16503334444"]: "+16503334444" is also in '
        "numbers/emea.yaml:4; a number belongs to exactly one file",
    ]
    Path("numbers/emea.yaml").write_text("version: 1\nnumbers:\n  '+442079460958': {}\n")
    state = config.load("numbers")
    users = Directory(users=(User("user_a", "a@x.example"),))
    with pytest.raises(InputError) as caught:
        build_plan(state, LIVE, users)
    # The third item of the list is "nobody" (the second was a duplicate); the ghost is one
    # error at the root's defaults, not one per number that inherits it.
    assert [str(d) for d in caught.value.diagnostics] == [
        "numbers/numbersync.yaml:3:18: $.defaults.participants[0]: "
        "no active member of the organization has the email ghost@x.example",
        'numbers/sales.yaml:4:46: $.numbers["+16503334444"].participants[2]: '
        "no active member of the organization has the email nobody@x.example",
    ]


def test_the_same_close_number_in_two_files_names_the_other_file(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "a.yaml": "version: 1\nnumbers:\n  '+16503334444': {label: A}\n",
            "b.yaml": "version: 1\nnumbers:\n  phon_16503334444: {label: B}\n",
        },
    )
    with pytest.raises(InputError) as caught:
        build_plan(config.load("numbers"), LIVE)
    assert [str(d) for d in caught.value.diagnostics] == [
        "numbers/b.yaml:3:3: $.numbers.phon_16503334444: 'phon_16503334444' is the same Close "
        "number as '+16503334444' (numbers/a.yaml:3)"
    ]


def test_a_saved_plan_keeps_files_and_its_directory_loads_with_the_same_fingerprint(
    in_tmp: Path,
) -> None:
    state = tree_state(in_tmp)
    plan = build_plan(state, LIVE)
    Path("plan.json").write_text(render.render_json(plan))
    saved = read_plan("plan.json")
    assert saved.changes == plan.changes
    assert saved.files == plan.files
    assert saved.config_path == "numbers"
    assert config.load(saved.config_path).fingerprint == saved.fingerprint


def test_a_plan_saved_before_files_were_named_reads_as_one_file(in_tmp: Path) -> None:
    document = json.loads(render.render_json(build_plan(tree_state(in_tmp), LIVE)))
    del document["files"]
    for change in document["changes"]:
        del change["file"]
    Path("old.json").write_text(json.dumps(document))
    saved = read_plan("old.json")
    assert {c.file for c in saved.changes} == {"numbers"}
    assert saved.files == (FileSummary("numbers", 3, 0),)


# --- the Markdown plan of many files, cut ---------------------------------------------------------


def many_files_plan(files: int, per_file: int) -> Plan:
    numbers = [f"+1650{f:03d}{n:04d}" for f in range(files) for n in range(per_file)]
    state = DesiredState(
        "numbers",
        1,
        (),
        files=tuple(f"numbers/team-{f:03d}.yaml" for f in range(files)),
    )
    plan = build_plan(state, [])
    changes = tuple(
        NumberChange(
            f"phon_{number[1:]}",
            number,
            f"Line {number} with a long label",
            number,
            (FieldChange("label", "Old", f"Line {number} with a long label"),),
            f"numbers/team-{i // per_file:03d}.yaml",
        )
        for i, number in enumerate(numbers)
    )
    summaries = tuple(replace(f, changes=per_file) for f in plan.files)
    return replace(plan, changes=changes, files=summaries)


@pytest.mark.slow
def test_a_cut_markdown_plan_still_shows_every_files_summary_line() -> None:
    plan = many_files_plan(files=40, per_file=100)
    text = render.render_markdown(plan)
    assert len(text) <= render.MARKDOWN_LIMIT
    for f in range(40):
        assert f"#### `numbers/team-{f:03d}.yaml`: 100 to change, 0 unchanged\n" in text
    assert "lines cut to fit a comment" in text
    # Each file keeps the start and the end of its own details.
    assert "+1 650-000-0000" in text and "+1 650-039-0099" in text
    assert text.count("<details>") == text.count("</details>") == 40


@pytest.mark.slow
def test_one_large_file_among_small_ones_is_the_one_cut() -> None:
    plan = many_files_plan(files=3, per_file=10)
    big = many_files_plan(files=1, per_file=3000)
    big_changes = tuple(replace(c, file="numbers/team-003.yaml") for c in big.changes)
    plan = replace(
        plan,
        changes=plan.changes + big_changes,
        files=(*plan.files, FileSummary("numbers/team-003.yaml", 3000, 0)),
    )
    text = render.render_markdown(plan)
    assert len(text) <= render.MARKDOWN_LIMIT
    small, large = text.split("#### `numbers/team-003.yaml`")
    assert "cut to fit" not in small
    assert large.count("cut to fit") == 1


# --- export into a directory ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Sales EMEA", "sales-emea"),
        ("Zürich Empfang", "zurich-empfang"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("CON", "con-group"),
        ("日本", "group"),
        ("x" * 100, "x" * 60),
    ],
)
def test_group_names_become_safe_file_names(name: str, stem: str) -> None:
    assert file_safe(name) == stem


def test_file_names_that_collide_get_a_number_and_reserved_names_are_kept_free() -> None:
    names = {
        "g1": "Sales",
        "g2": "sales",
        "g3": "SALES!",
        "g4": "Numbersync",
        "g5": "Unassigned",
    }
    assert _file_stems(list(names), names) == {
        "g3": "sales",  # "SALES!" sorts first
        "g1": "sales-2",
        "g2": "sales-3",
        "g4": "numbersync-2",
        "g5": "unassigned-2",
    }


def exported(*settings: dict[str, Any], external: int | None = None) -> list[Any]:
    """Exported entries with these settings; the one at index `external` is an external one."""
    return [
        _Entry(
            LiveNumber(f"phon_{i}", f"+1650555{i:04d}", "", None, {}, {}, None,
                       "external" if i == external else "internal"),
            f"+1650555{i:04d}",
            s,
            (),
        )
        for i, s in enumerate(settings)
    ]  # fmt: skip


def test_defaults_are_the_values_most_numbers_share_and_that_every_number_sets() -> None:
    assert _shared_defaults(
        exported(
            {"inbound_ring_duration": 30, "participants": ["a", "b"], "label": "A"},
            {"inbound_ring_duration": 30, "participants": ["b", "a"], "label": "B"},
            {"inbound_ring_duration": 45, "participants": ["c"]},
        )
    ) == {"inbound_ring_duration": 30, "participants": ["a", "b"]}
    # Half is not most.
    labels = exported({"label": "A"}, {"label": "A"}, {"label": "B"}, {"label": "C"})
    assert _shared_defaults(labels) == {}
    # An external number takes no inbound setting from defaults: it does not stand in the way.
    assert _shared_defaults(
        exported(
            {"inbound_ring_duration": 30, "label": "A"},
            {"label": "Caller ID"},
            {"inbound_ring_duration": 30, "label": "B"},
            external=1,
        )
    ) == {"inbound_ring_duration": 30}


def test_an_exported_tree_loads_and_each_number_keeps_its_values(tmp_path: Path) -> None:
    directory = Directory(
        users=(User("user_a", "a@x.example"),),
        groups=(Group("group_s", "Sales"), Group("group_t", "sales")),
    )
    numbers = [
        live("+16503334444", label="S", inbound_ring_duration=30, participant_groups=["group_s"]),
        live("+16503334445", label="T", inbound_ring_duration=30, participant_groups=["group_t"]),
        live("+16503334446", label="U", inbound_ring_duration=60, participants=["user_a"]),
    ]
    files = Export(numbers, directory).tree(source="test", when="now")
    assert list(files) == ["numbersync.yaml", "sales-2.yaml", "sales.yaml", "unassigned.yaml"]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    state = config.load(str(tmp_path))
    assert build_plan(state, numbers, directory).changes == ()
    by_number = {n.number: n for n in state.numbers}
    assert by_number["+16503334444"].layer_of("inbound_ring_duration") == "root"
    assert by_number["+16503334446"].fields["inbound_ring_duration"] == 60
    assert by_number["+16503334445"].file == str(tmp_path / "sales-2.yaml")


# --- the schema describes both kinds of file --------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        ({"version": 1, "defaults": {"inbound_ring_duration": 30}, "safety": {}}, True),
        ({"version": 1, "defaults": {}, "numbers": {"+16503334444": {"label": "x"}}}, True),
        ({"version": 1, "numbers": {}, "safety": {"min_managed": 3}}, True),
        ({"defaults": {}}, False),
        ({"version": 1, "numbers": {}, "teams": {}}, False),
        ({"version": 1, "groups": {"Support": {"members": ["user_a"]}}}, True),
        ({"version": 1, "groups": {"Support": {"members": []}}, "numbers": {}}, True),
        ({"version": 1, "groups": {"Support": {}}}, False),
        ({"version": 1, "groups": {"Support": {"members": ["x"], "name": "y"}}}, False),
        ({"version": 1, "groups": {"Support": {"members": [""]}}}, False),
        ({"version": 1, "groups": {"Support": None}}, False),
        ({"version": 1, "groups": []}, False),
    ],
)
def test_the_schema_validates_a_root_file_and_a_team_file(
    document: dict[str, Any], valid: bool
) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(config.schema())
    assert validator.is_valid(document) is valid
    assert config.is_valid_quickly(document) is valid
