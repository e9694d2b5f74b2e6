"""Every string Close can hold comes back from an exported file exactly as it was, through the
loader `plan` uses (numbersync.config on yamlsource's libyaml reader), or is reported and left
out, never changed and never making the file unloadable. Offline: LiveNumbers in, YAML text out.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from numbersync import config
from numbersync.account import Group, LiveNumber, User
from numbersync.export import Export, UnwritableText, yaml_string
from numbersync.live import Directory
from numbersync.plan import build_plan
from numbersync.yamlsource import parse

EXAMPLES = int(os.environ.get("NUMBERSYNC_FUZZ_EXAMPLES", "1000"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
# What YAML reads as a line break (NEL, LS, PS, CR, LF), refuses raw (C0, C1, DEL, the two
# non-characters), or would misread (quotes, backslashes, `#`, a leading dash or space), and what a
# reviewer should see escaped (bidi controls, the byte-order mark); emoji and right-to-left text.
KINDS = (
    "\x85\u2028\u2029\r\n",
    "\t\x00\x01\x07\x08\x0b\x0c\x1b\x1f",
    "\x7f\x80\x9b\x9f\xa0\u00ad",
    "\u200b\u200e\u200f\u202a\u202e\u2066\u2069\u061c",
    "\ufeff\ufffe\uffff\ufffd\U0010fffd",
    "\"'\\#:-&*!|>%@`{}[], ",
    "é\u05e9\u05dc\u05d5\u05dd\u0645\u0631\u062d\u0628\u0627",
    "😀👩\u200d👧",
)
AWKWARD = "".join(KINDS)
# Any code point but the lone surrogates, with each kind of awkward one often (hypothesis favours
# the first items of one sampled_from, so each kind gets its own).
WRITABLE = st.text(
    st.one_of(
        *(st.sampled_from(kind) for kind in KINDS), st.characters(exclude_categories=("Cs",))
    ),
    max_size=40,
)


def live(label: Any, **fields: Any) -> LiveNumber:
    fields = {"label": label, **fields}
    return LiveNumber("phon_1", "+16503334444", "+1 650-333-4444", None, fields, fields)


def load_back(text: str) -> Any:
    """The desired state `plan` would read from `text`."""
    return config.load_document(parse("numbers.yaml", text.encode("utf-8")))


def export(numbers: list[LiveNumber], directory: Directory | None = None) -> Export:
    return Export(numbers, directory or Directory(users=(), groups=()))


@pytest.mark.slow
@PROPERTY
@given(WRITABLE)
@example("yes")
@example("null")
@example("+16503334444")
@example("  spaced  ")
@example("")
@example("line\x85next\u2028and\u2029last")
@example("\u202eevil\u202c")
@example(AWKWARD)
def test_every_label_loads_back_exactly_and_plans_clean(label: str) -> None:
    number = live(label)
    text = export([number]).yaml(source="test", when="now", schema="numbersync.schema.json")

    state = load_back(text)

    assert state.numbers[0].fields["label"] == label
    assert build_plan(state, [number]).changes == ()


@pytest.mark.slow
@PROPERTY
@given(WRITABLE)
@example(AWKWARD)
def test_every_string_is_one_double_quoted_line_any_yaml_loader_reads_back(text: str) -> None:
    written = yaml_string(text)

    assert written.startswith('"') and written.endswith('"')
    # Only printable ASCII and characters YAML takes raw: no line break of any kind.
    assert len(written.splitlines()) == 1
    assert yaml.load(f"x: {written}", Loader=yaml.CSafeLoader) == {"x": text}
    assert yaml.load(f"x: {written}", Loader=yaml.SafeLoader) == {"x": text}


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Sales", '"Sales"'),
        ('say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"'),
        ("a\x85b\u2028c\u2029d", '"a\\Nb\\Lc\\Pd"'),
        ("\x00\x07\x1b\x7f\x9b", '"\\0\\a\\e\\x7f\\x9b"'),
        ("\t\r\n", '"\\t\\r\\n"'),
        ("\u202eevil", '"\\u202eevil"'),
        ("\ufeff\ufffe\uffff", '"\\ufeff\\ufffe\\uffff"'),
        # Readable text stays readable.
        (
            "Zürich 😀 \u05e9\u05dc\u05d5\u05dd \u00a0",
            '"Zürich 😀 \u05e9\u05dc\u05d5\u05dd \u00a0"',
        ),
    ],
)
def test_strings_are_escaped_only_where_yaml_needs_it_or_a_reviewer_should_see(
    text: str, written: str
) -> None:
    assert yaml_string(text) == written


def test_a_lone_surrogate_cannot_be_written() -> None:
    # JSON carries "\ud800"; UTF-8 cannot encode it, and YAML refuses it even as an escape.
    with pytest.raises(yaml.YAMLError, match="invalid Unicode character escape code"):
        yaml.load('x: "\\ud800"', Loader=yaml.CSafeLoader)
    with pytest.raises(UnwritableText, match="U\\+D800"):
        yaml_string("a\ud800b")


def test_a_label_no_yaml_file_can_hold_is_left_out_and_said_not_changed() -> None:
    broken, fine = live("Sales \ud800 line"), live("Support", inbound_ring_duration=30)
    fine = LiveNumber("phon_2", "+16503334445", "", None, fine.fields, fine.fields)
    exported = export([broken, fine])

    text = exported.yaml(source="test", when="now")

    assert exported.warnings == (
        "+16503334444: label not exported: Close holds U+D800 in it (a lone surrogate), which no "
        "YAML file can hold; it stays unmanaged until it is fixed in Close",
    )
    assert text.split("numbers:\n", 1)[1] == (
        '  "+16503334444": {}\n'
        "    # label not exported: Close holds U+D800 in it (a lone surrogate), which no YAML "
        "file can hold; it stays unmanaged until it is fixed in Close\n"
        '  "+16503334445":\n'
        '    label: "Support"\n'
        "    inbound_ring_duration: 30\n"
    )
    state = load_back(text)
    assert [n.fields for n in state.numbers] == [
        {},
        {"label": "Support", "inbound_ring_duration": 30},
    ]
    assert build_plan(state, [broken, fine]).changes == ()


@pytest.mark.slow
@PROPERTY
@given(
    name=st.text(
        st.one_of(st.sampled_from(AWKWARD + "\ud800\udfff"), st.characters()), max_size=12
    ),
    email=st.text(st.one_of(st.sampled_from(AWKWARD + "\udc00"), st.characters()), max_size=12),
)
def test_names_in_comments_never_break_the_file(name: str, email: str) -> None:
    # Two groups named `name` and two users with `email`: each written as its id, with the name or
    # email quoted in the comment beside it, whatever it holds.
    directory = Directory(
        users=(User("user_a", email), User("user_b", email)),
        groups=(Group("group_a", name), Group("group_b", name)),
    )
    number = live("x", participants=["user_a"], participant_groups=["group_a", "group_b"])

    for text in [
        export([number], directory).yaml(source=f"src{name}", when="now"),
        *export([number], directory).tree(source="test", when="now").values(),
    ]:
        yaml.load(text, Loader=yaml.CSafeLoader)  # loads, so every comment stayed one line
    state = load_back(export([number], directory).yaml(source="test", when="now"))
    assert state.numbers[0].fields["participants"] == ("user_a",)
    assert state.numbers[0].fields["participant_groups"] == ("group_a", "group_b")


def test_a_number_no_yaml_file_can_hold_is_keyed_by_its_id() -> None:
    fields = {"label": "Odd"}
    odd = LiveNumber("phon_odd1", "+1650333\udc004444", "", None, fields, fields)

    text = export([odd]).yaml(source="test", when="now")

    assert '  "phon_odd1":\n    label: "Odd"\n' in text
    state = load_back(text)
    assert build_plan(state, [odd]).changes == ()
