"""numbersync.edit: entries added to a user's YAML file change no other line, and an edit it
cannot make that way is refused with nothing written."""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path

import pytest

from numbersync import config
from numbersync.edit import EditError, add_entry, insert_entry

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ENTRY = {
    "label": {
        "value": "+16505550177",
        "reason": "Renamed in Close: the team is moving",
        "until": date(2027, 1, 15),
    }
}
# How the entry reads in a file that quotes with double quotes, at a number's indentation.
ADDED = [
    "    accepted:",
    "      label:",
    '        value: "+16505550177"',
    '        reason: "Renamed in Close: the team is moving"',
    "        until: 2027-01-15",
]


def only_inserted(before: str, after: str) -> list[tuple[int, list[str]]]:
    """Each block of lines `after` adds to `before`, with the line it starts at (0-based);
    fails if any line of `before` changed or went."""
    old, new = before.splitlines(), after.splitlines()
    blocks = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        assert op in ("equal", "insert"), (op, old[i1:i2], new[j1:j2])
        if op == "insert":
            blocks.append((j1, new[j1:j2]))
    return blocks


KEYS = [
    ("+1 650-333-4444", 16),  # followed by a blank line and the next number's comment
    ("+16503334445", 24),
    ("+16503334446", 33),  # followed by a blank line and the next key
    ("+44 20 7946 0958", 39),
    ("phon_demoNightLine0000000000000000000000001", 47),  # the last lines of the file
]


@pytest.mark.parametrize(("key", "line"), KEYS)
def test_an_entry_goes_below_the_last_line_of_its_number_and_nothing_else_changes(
    tmp_path: Path, key: str, line: int
) -> None:
    path = tmp_path / "numbers.yaml"
    before = (EXAMPLES / "numbers.yaml").read_text()
    path.write_text(before)

    edit = add_entry(str(path), ("numbers", key), "accepted", ENTRY)

    after = path.read_text()
    assert only_inserted(before, after) == [(line, ADDED)]
    assert (edit.line, list(edit.lines)) == (line + 1, ADDED)
    # The loader reads the entry where it was meant to go.
    (number,) = [n for n in config.load(str(path)).numbers if n.key == key]
    assert [(a.field, a.value, a.until) for a in number.accepted] == [
        ("label", "+16505550177", date(2027, 1, 15))
    ]


def test_a_second_entry_joins_the_first(tmp_path: Path) -> None:
    text = (EXAMPLES / "numbers.yaml").read_text()
    once, _, _ = insert_entry(text, ("numbers", "+16503334446"), "accepted", ENTRY)
    twice, at, _ = insert_entry(
        once,
        ("numbers", "+16503334446", "accepted"),
        "forward_to_enabled",
        {"value": False, "reason": "on leave", "until": date(2027, 1, 15)},
    )
    assert only_inserted(once, twice) == [
        (
            at,
            [
                "      forward_to_enabled:",
                "        value: false",
                "        reason: on leave",
                "        until: 2027-01-15",
            ],
        )
    ]
    assert at == 38


def test_lists_null_and_single_quotes_follow_the_file(tmp_path: Path) -> None:
    text = "version: 1\nnumbers:\n    '+16503334446':\n        label: 'x'  # keep me\nother: 1\n"
    after, at, added = insert_entry(
        text,
        ("numbers", "+16503334446"),
        "accepted",
        {
            "participants": {
                "value": ["user_a", "user_b"],
                "reason": "a: b",
                "until": date(2027, 1, 2),
            }
        },
    )
    assert at == 4
    assert list(added) == [
        "        accepted:",
        "            participants:",
        "                value: [user_a, user_b]",
        "                reason: 'a: b'",
        "                until: 2027-01-02",
    ]
    assert only_inserted(text, after) == [(4, list(added))]
    _, _, lines = insert_entry(text, ("numbers", "+16503334446"), "greeting", None)
    assert lines == ("        greeting: null",)


def test_an_empty_entry_is_filled_below_its_key(tmp_path: Path) -> None:
    text = 'version: 1\nnumbers:\n  "+16503334446":   # only defaults\n  "+16503334444":\n    label: x\n'
    after, at, _ = insert_entry(text, ("numbers", "+16503334446"), "accepted", ENTRY)
    assert at == 3
    assert only_inserted(text, after) == [(3, ADDED)]


def test_windows_line_ends_and_a_byte_order_mark_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    text = '\ufeffversion: 1\r\nnumbers:\r\n  "+16503334446":\r\n    label: x'
    path.write_bytes(text.encode())
    add_entry(str(path), ("numbers", "+16503334446"), "accepted", ENTRY)
    raw = path.read_bytes().decode()
    assert raw == text + "\r\n" + "".join(line + "\r\n" for line in ADDED)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            'version: 1\nnumbers:\n  "+16503334446": {label: x}\n',
            "it is written in flow style ({...})",
        ),
        ('version: 1\nnumbers:\n  "+16503334446": ~\n', "its value is not a block mapping"),
        (
            'version: 1\nnumbers:\n  "+16503334446":\n    label: x\n    accepted: {}\n',
            "it has accepted already",
        ),
        ("version: 1\nnumbers: {}\n", "it is not in the file"),
    ],
)
def test_what_cannot_be_added_line_by_line_is_refused_with_nothing_written(
    tmp_path: Path, text: str, why: str
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(text)
    with pytest.raises(EditError) as caught:
        add_entry(str(path), ("numbers", "+16503334446"), "accepted", ENTRY)
    assert caught.value.message.endswith(why)
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["numbers.yaml"]


@pytest.mark.parametrize("name", ["acme-export.yaml", "acme-wild-export.yaml"])
def test_every_number_of_an_exported_file_takes_an_entry_line_by_line(name: str) -> None:
    text = (Path(__file__).parent / "data" / "e2e" / name).read_text()
    lines = text.splitlines()
    numbers = lines[: lines.index("groups:")] if "groups:" in lines else lines
    keys = [
        line.strip()[:-1].strip('"')
        for line in numbers
        if line.startswith("  ") and line.rstrip().endswith(":") and not line.startswith("   ")
    ]
    assert len(keys) >= 5
    for key in keys:
        after, at, added = insert_entry(text, ("numbers", key), "accepted", ENTRY)
        assert only_inserted(text, after) == [(at, list(added))]
        # Right below the number's last line: the next line is the next number's, a comment, a
        # blank line or the end.
        rest = lines[at:]
        assert not rest or not rest[0].startswith("    "), (key, rest[:1])
        assert lines[at - 1].startswith("    "), (key, lines[at - 1])
