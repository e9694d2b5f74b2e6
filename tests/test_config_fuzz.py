"""Fuzzing the desired-state loader: hypothesis builds valid documents from the file format's parts
and mutates real and generated files at random. `validate` must never show a traceback or hang: a
file loads, or it is refused with numbersync's own errors (InputError, each problem at
FILE:LINE:COL; UsageError).

NUMBERSYNC_FUZZ_EXAMPLES (default 1,000; `make fuzz` sets 20,000) is the number of mutated files
and of arbitrary byte strings; valid documents get a quarter of it and the in-process CLI a tenth,
since generating and checking each of those costs more.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from helpers import assert_schema_checks_agree
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from numbersync import config
from numbersync.cli import main
from numbersync.errors import InputError, UsageError
from numbersync.models import DesiredState

EXAMPLES = int(os.environ.get("NUMBERSYNC_FUZZ_EXAMPLES", "1000"))
# Scaled with the examples, so that `make fuzz` gets the time it needs; a hang still trips it.
pytestmark = [
    pytest.mark.timeout(max(60, EXAMPLES * 0.06)),
    pytest.mark.slow,
]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

# Distinct numbers, each writable in several forms that all normalise to it.
NUMBERS = [
    ("+16503334444", ["+16503334444", "+1 650 333 4444", "+1 (650) 333-4444", "+1-650-333-4444"]),
    ("+16503334445", ["+16503334445", "+1 650-333-4445"]),
    ("+442079460958", ["+442079460958", "+44 20 7946 0958"]),
    ("+33142685300", ["+33142685300", "+33 1 42 68 53 00"]),
    ("+4930901820", ["+4930901820", "+49 30 901820"]),
    ("+61293744000", ["+61 2 9374 4000"]),
    ("+819012345678", ["+81 90-1234-5678"]),
]
PHONES = st.sampled_from([form for _, forms in NUMBERS for form in forms])
# Not the line breaks PyYAML's emitter writes raw and its reader then folds (NEL, LS, PS): a
# round-trip quirk of the test's dumper, not of numbersync.
TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x85\u2028\u2029"),
    max_size=30,
)
IDENTIFIER = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1)


def settings_strategy() -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        "label": TEXT,
        "forward_to": PHONES,
        "forward_to_enabled": st.booleans(),
        "inbound_ring_duration": st.integers(15, 90),
        "participants": st.lists(
            st.one_of(
                st.builds("user_{}".format, IDENTIFIER),
                st.builds("{}@example.com".format, IDENTIFIER),
            ),
            max_size=4,
        ),
        "participant_groups": st.lists(
            st.one_of(TEXT.filter(bool), st.builds("group_{}".format, IDENTIFIER)), max_size=5
        ),
        "phone_numbers": st.lists(PHONES, max_size=3),
        "press_1_to_accept": st.booleans(),
        "voicemail_greeting_url": st.one_of(
            st.none(), st.builds("https://cdn.example.com/{}.mp3".format, IDENTIFIER)
        ),
    }
    return st.fixed_dictionaries({}, optional=fields)


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(NUMBERS), unique_by=lambda n: n[0], max_size=5))
    numbers: dict[str, Any] = {
        draw(st.sampled_from(forms)): draw(st.one_of(st.none(), settings_strategy()))
        for _, forms in chosen
    }
    for phone_id in draw(st.lists(IDENTIFIER, unique=True, max_size=2)):
        numbers[f"phon_{phone_id}"] = draw(settings_strategy())
    document: dict[str, Any] = {"version": 1, "numbers": numbers}
    if draw(st.booleans()):
        document["defaults"] = draw(settings_strategy())
    if draw(st.booleans()):
        document["safety"] = {
            "max_change_percent": draw(st.integers(0, 100)),
            "min_managed": draw(st.integers(0, 50)),
        }
    return document


def dump(document: dict[str, Any], flow: bool) -> str:
    return yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, default_flow_style=flow or None
    )


REPO = Path(__file__).resolve().parent.parent
LINE_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# Real files to mutate: the examples and every known-invalid case (anchors, merges, tabs, bad
# encodings, ...). Not the alias bomb: it is refused at 100,000 nodes, which takes a second each
# time (tests/test_config.py covers it); generated valid documents join these below.
CORPUS = sorted(
    path.read_bytes()
    for path in [*REPO.glob("examples/*.yaml"), *REPO.glob("tests/data/invalid/*.yaml")]
    if path.name != "alias_bomb.yaml"
)
# Bytes that mean something to YAML, plus some that trip up decoders and parsers.
SPECIAL = [
    *(bytes([c]) for c in b":-[]{},&*!|>'\"%@`#?\t\n \\"),
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    "\u2028".encode(),
    "é😀".encode(),
    b"<<: ",
    b"&a ",
    b"*a",
    b"!!python/object:os.system ",
    b"---\n",
    b"...\n",
]


@st.composite
def mutated_texts(draw: st.DrawFn) -> bytes:
    """A real or generated valid file after a few random edits: spans deleted, YAML's special
    bytes inserted, bytes flipped, lines duplicated or swapped, indentation changed, truncation."""
    if draw(st.integers(0, 7)) == 0:
        text = dump(draw(valid_documents()), draw(st.booleans())).encode()
    else:
        text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(
            st.sampled_from(["delete", "insert", "flip", "duplicate", "swap", "indent", "cut"])
        )
        at = draw(st.integers(0, len(text)))
        lines = text.split(b"\n")
        line = draw(st.integers(0, len(lines) - 1))
        if edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        elif edit == "insert":
            text = (
                text[:at]
                + b"".join(draw(st.lists(st.sampled_from(SPECIAL), min_size=1, max_size=3)))
                + text[at:]
            )
        elif edit == "flip" and text:
            at = min(at, len(text) - 1)
            text = text[:at] + bytes([draw(st.integers(0, 255))]) + text[at + 1 :]
        elif edit == "duplicate":
            lines.insert(line, lines[line])
            text = b"\n".join(lines)
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[line], lines[other] = lines[other], lines[line]
            text = b"\n".join(lines)
        elif edit == "indent":
            lines[line] = b" " * draw(st.integers(0, 6)) + lines[line].lstrip()
            text = b"\n".join(lines)
        elif edit == "cut":
            text = text[:at]
    return text


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file rewritten by every example (a fresh directory per example costs more than the
    load itself)."""
    return tmp_path_factory.mktemp("fuzz") / "numbers.yaml"


def load_text(path: Path, data: str | bytes) -> DesiredState | None:
    """config.load on `path` holding `data`: the state, or None when numbersync refused it with its
    own error. Anything else (a traceback) fails the test."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.write_bytes(raw)
    try:
        return config.load(str(path))
    except InputError as exc:
        assert exc.diagnostics, "an InputError must say what is wrong"
        # YAML counts CR, NEL, LS and PS as line breaks too; and a syntax error at the end of a
        # file without a final newline is on the line after.
        lines = len(LINE_BREAKS.findall(raw.decode("utf-8", "replace"))) + 2
        for diagnostic in exc.diagnostics:
            assert diagnostic.position.file == str(path)
            assert 1 <= diagnostic.position.line <= lines, diagnostic
            assert diagnostic.position.col >= 1, diagnostic
            assert diagnostic.path.startswith("$") and diagnostic.message, diagnostic
        return None
    except UsageError:
        return None


@settings(FUZZ, max_examples=max(50, EXAMPLES // 4))
@given(valid_documents(), st.booleans())
def test_valid_documents_load(fuzz_file: Path, document: dict[str, Any], flow: bool) -> None:
    state = load_text(fuzz_file, dump(document, flow))
    assert state is not None, dump(document, flow)
    assert len(state.numbers) == len(document["numbers"])
    defaults = document.get("defaults") or {}
    by_key = {n.key: n for n in state.numbers}
    for key, own in document["numbers"].items():
        wanted = {**defaults, **(own or {})}
        number = by_key[key]
        assert set(number.fields) == set(wanted)
        if "inbound_ring_duration" in wanted:
            assert number.fields["inbound_ring_duration"] == wanted["inbound_ring_duration"]
        if "label" in wanted:
            assert number.fields["label"] == wanted["label"]


@FUZZ
@given(mutated_texts())
@example(b"version: 1\nnumbers: " + b"[" * 600 + b"]" * 600 + b"\n")
@example(b"version: 1\nnumbers: " + b"{<<: " * 300 + b"{}" + b"}" * 300 + b"\n")
@example(b"version: 1\nnumbers:\n  a: &a [*a]\n")
@example(b"version: 1\nnumbers: !!python/object:os.system {}\n")
def test_mutated_documents_load_or_are_refused_cleanly(fuzz_file: Path, text: bytes) -> None:
    load_text(fuzz_file, text)
    assert_schema_checks_agree(str(fuzz_file))


@FUZZ
@given(st.binary(max_size=200))
@example(b"\xff\xfe" + "version: 1".encode("utf-16-le"))
@example(b"version: 1\nnumbers: {\x80: 1}\n")
def test_arbitrary_bytes_load_or_are_refused_cleanly(fuzz_file: Path, raw: bytes) -> None:
    load_text(fuzz_file, raw)


@settings(FUZZ, max_examples=max(50, EXAMPLES // 10))
@given(mutated_texts())
def test_validate_never_shows_a_traceback(fuzz_file: Path, text: bytes) -> None:
    """The CLI itself: exit 0 with `OK`, or exit 1 with diagnostics and one `Error:` line."""
    fuzz_file.write_bytes(text)
    result = CliRunner().invoke(main, ["validate", "-c", str(fuzz_file)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert result.stdout.startswith("OK: ")
    else:
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert sum(line.startswith("Error: ") for line in lines) == 1, result.stderr
        assert "Hint: this is a numbersync bug" not in result.stderr, result.stderr
