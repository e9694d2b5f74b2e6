"""The event-based YAML reader against the composer-based one it replaced (tests/yaml_oracle.py):
for every document, the same Document (data with its types, every position, the int texts, in the
same order), or the same diagnostics, or the same exception. Documents: every file under
tests/data and examples, generated files, hand-written corners of YAML (anchors, aliases, merges,
tags, implicit types, nesting, several documents), and documents that hypothesis builds and
mutates; with libyaml, and a share of them with PyYAML's pure-Python parser.

NUMBERSYNC_FUZZ_EXAMPLES scales the hypothesis runs, as in tests/test_config_fuzz.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
import yaml
import yaml_oracle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_config_fuzz import SPECIAL, dump, mutated_texts, valid_documents

from numbersync import config, yamlsource
from numbersync.errors import InputError, Position
from numbersync.errors import Path as DocPath

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("NUMBERSYNC_FUZZ_EXAMPLES", "1000"))
pytestmark = pytest.mark.timeout(max(120, EXAMPLES * 0.2))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
LIBYAML = hasattr(yaml, "CSafeLoader")

Reader = Callable[[str, bytes], yamlsource.Document]


def outcome(read: Reader, raw: bytes) -> tuple[Any, ...]:
    """What a reader makes of `raw`, in a form that compares strictly: the data by its repr (so
    that True is not 1, 1.0 is not 1, and NaN equals NaN), every dict as its items in order."""
    try:
        doc = read("numbers.yaml", raw)
    except InputError as exc:
        return ("refused", [str(d) for d in exc.diagnostics])
    except Exception as exc:  # a few constructor errors escape both readers (see corners below)
        return ("raised", type(exc).__name__, str(exc))
    return (
        "read",
        repr(doc.data),
        list(doc.values.items()),
        list(doc.keys.items()),
        list(doc.int_texts.items()),
        doc.file,
        doc.raw_text == raw,
    )


def assert_same(raw: bytes) -> tuple[Any, ...]:
    expected = outcome(yaml_oracle.parse, raw)
    assert outcome(yamlsource.parse, raw) == expected, raw
    return expected


@pytest.fixture
def pure_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both readers on PyYAML's pure-Python parser, as where libyaml is missing."""
    monkeypatch.setattr(yamlsource, "_Loader", yaml.SafeLoader)
    monkeypatch.setattr(yaml_oracle, "_Loader", yaml.SafeLoader)


def assert_same_pure_python(raw: bytes) -> None:
    expected = outcome(yaml_oracle.parse, raw)
    if expected[0] == "refused" and any("YAML nested too deeply" in d for d in expected[1]):
        # PyYAML's composer recurses and ran out of stack: the event reader does not recurse,
        # and reports the depth limit where it is crossed instead of at 1:1.
        got = outcome(yamlsource.parse, raw)
        assert got[0] == "refused" and any("levels deep" in d for d in got[1]), got
        return
    assert outcome(yamlsource.parse, raw) == expected, raw


# Files --------------------------------------------------------------------------------------------


def repo_files() -> list[Path]:
    data = [p for p in (REPO / "tests" / "data").rglob("*") if p.is_file()]
    examples = [p for p in (REPO / "examples").rglob("*") if p.suffix in (".yaml", ".yml")]
    shipped = [REPO / "numbersync" / "emulator" / "default_seed.yaml"]
    return sorted({*data, *examples, *shipped})


def test_the_corpus_holds_every_invalid_file() -> None:
    invalid = [p for p in repo_files() if p.parent.name == "invalid" and p.suffix == ".yaml"]
    assert len(invalid) == len(list((REPO / "tests" / "data" / "invalid").glob("*.yaml"))) >= 30


@pytest.mark.parametrize("path", repo_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_file_in_the_repository_reads_the_same(path: Path) -> None:
    assert_same(path.read_bytes())


@pytest.mark.slow
def test_a_generated_file_of_two_thousand_numbers_reads_the_same() -> None:
    from benchmarks.common import desired_numbers
    from numbersync.emulator import generate_seed

    document = desired_numbers(generate_seed(2_000), changed_every=7)
    for flow in (False, True):
        result = assert_same(dump(document, flow).encode())
        assert result[0] == "read"


# Corners of YAML, each read the same ---------------------------------------------------------

NESTED = "version: 1\nnumbers: "
CORNERS: dict[str, str] = {
    # Empty streams and documents, several documents.
    "empty": "",
    "only a comment": "# nothing\n",
    "only a document start": "---\n",
    "only a document end": "...\n",
    "empty document then end": "---\n...\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "two documents, both empty": "---\n---\n",
    "a second document after an end marker": "a: 1\n...\n--- b\n",
    "a second document with a syntax error": "a: 1\n--- [\n",
    "a bare scalar": "just text\n",
    "a bare list": "- 1\n- two\n",
    "a byte order mark": "\ufeffa: 1\n",
    "a YAML directive": "%YAML 1.1\n---\na: 1\n",
    "a TAG directive": "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    # libyaml's binding decodes directives for events, the composer never did.
    "a TAG directive that is not UTF-8": "%TAG !e! tag:%C0%80\n--- a\n",
    "a TAG directive that is not UTF-8, used": "%TAG !e! tag:%C0%80\n--- !e!x a\n",
    "a TAG directive that is not UTF-8, second document": "a: 1\n...\n%TAG !e! tag:%C0%80\n--- b\n",
    "a TAG directive that is not UTF-8, third document": "a\n--- b\n...\n%TAG !e! tag:%C0%80\n--- c\n",
    "a verbatim tag that is not UTF-8": "a: !<tag:%C0%80> x\n",
    # Syntax errors, with and without the tab hint.
    "a tab for indentation": "a:\n\tb: 1\n",
    "an unclosed flow": "a: [1, 2\n",
    "a bad indentation": "a:\n  b: 1\n c: 2\n",
    "a control character": 'a: "\x00"\n',
    "a surrogate escape": 'a: "\\ud800"\n',
    "an anchor then a syntax error": "a: &x 1\nb: *x\nc: [\n",
    "an undefined alias then a syntax error": "a: *x\nb: [\n",
    # Aliases and anchors.
    "an undefined alias": "a: *x\n",
    "an alias before its anchor": "a: *x\nb: &x 1\n",
    "a duplicate anchor": "a: &x 1\nb: &x 2\n",
    "a duplicate anchor inside its own node": "a: &x [&x 1]\n",
    "a duplicate anchor in a second document": "a: &x 1\n---\nb: &x 2\n",
    "an anchor used in a second document": "a: &x 1\n---\nb: *x\n",
    "a shared list": "p: &p [a@x.com, b@x.com]\nq: *p\nr: {s: *p}\n",
    "a shared mapping, used twice": "d: &d {a: 1, b: [2, 3]}\ne: *d\nf: [*d, *d]\n",
    "a shared scalar": "a: &s 16505550100\nb: *s\nc: [*s]\n",
    "an anchored key": "&k a: 1\nb: *k\n",
    "an alias as a key": "a: &k b\n*k : 1\n",
    "an alias as a key, twice": "a: &k b\n*k : 1\n*k : 2\n",
    "an alias to a list as a key": "a: &k [1]\n*k : 1\n",
    "an alias to the mapping itself": "a: &m {b: *m}\n",
    "a list inside itself": "a: &a [*a]\n",
    "a mapping inside itself through a list": "a: &a {b: [*a, *a]}\n",
    "an anchor inside a duplicate's value": "a: 1\na: &x [1, 2]\nb: *x\nc: *x\n",
    "an anchor inside a list key": "? [&x 1, 2]\n: a\nb: *x\nc: *x\n",
    "an anchor in a merge list": "<<: [&x {a: 1}, {b: 2}]\nc: *x\n",
    "an anchor on a merge value scalar": "<<: &x 5\nc: *x\nd: *x\n",
    "small bomb": "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: [*e, *e]\ng: [*e, 1]\nh: {a: 1, a: 2}\n",
    "unknown tags reached again and again": "a: &a [!foo 1, !foo 2]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: [*b, *b, *b]\n",
    # Merge keys.
    "a merge of an alias": "b: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n",
    "a merge of a list of aliases": "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc: {<<: [*a, *b], z: 3}\n",
    "a merge of inline mappings": "c: {<<: [{x: 1, y: {p: 1}}, {x: 2, y: {q: 2}}], z: 3}\n",
    "a merge after own keys": "b: &b {x: 1, y: {p: 1}}\nc: {y: 3, <<: *b, x: 4}\n",
    "a merge then a duplicate": "b: &b {x: 1}\nc: {x: 3, <<: *b, x: 4}\n",
    "a merge with a duplicate inside": "c: {<<: {x: 1, x: 2}}\n",
    "a merge of a scalar": "c: {<<: 1}\n",
    "a merge of a list of scalars": "c: {<<: [1, {a: 1}, [2]]}\n",
    "a merge of an alias to a scalar": "a: &a 1\nc: {<<: *a}\n",
    "a merge of an alias to a list": "a: &a [{x: 1}, {y: 2}]\nc: {<<: *a}\n",
    "a merge of an alias to a list of aliases": "m: &m {x: 1}\na: &a [*m, *m]\nc: {<<: *a}\n",
    "a merge twice": "a: &a {x: 1}\nb: &b {y: 1}\nc: {<<: *a, <<: *b}\n",
    "a merge inside a merge": "a: &a {x: 1, <<: {y: 2, <<: {z: 3}}}\nc: {<<: *a}\n",
    "merges nested past the depth limit": NESTED + "{<<: " * 60 + "{}" + "}" * 60 + "\n",
    "merges nested at the depth limit": "a: " + "{<<: " * 48 + "{x: 1}" + "}" * 48 + "\n",
    "a merge key quoted": "c: {'<<': {x: 1}}\n",
    "a merge key tagged as a string": "c: {!!str <<: {x: 1}}\n",
    "a merge key tagged as a merge": "c: {!!merge x: {x: 1}}\n",
    "a merge key with the non-specific tag": 'c: {! "<<": {x: 1}}\n',
    "a list key tagged as a merge": "c: {!!merge [a]: {x: 1}}\n",
    "an alias key that is a merge": "a: {&m <<: {x: 1}}\nc: {*m : {y: 2}}\n",
    "a merge value on its own": "a: <<\n",
    "a merge in a list": "a: [<<]\n",
    "a merge of an alias to itself": "a: &a {<<: *a}\n",
    # Keys.
    "a duplicate key": "a: 1\nb: 2\na: 3\n",
    "a duplicate key three times": "a: 1\na: 2\na: 3\n",
    "a duplicate key, quoted differently": "a: 1\n'a': 2\n\"a\": 3\n",
    "a duplicate number key": "numbers:\n  +16503334444: {}\n  '+16503334444': {}\n",
    "a list as a key": "? [1, 2]\n: a\n",
    "a mapping as a key": "? {a: 1}\n: a\n",
    "a flow list as a key": "{[1, 2]: a, b: c}\n",
    "an empty key": ": a\n",
    "a null key": "~: a\nnull: b\n",
    "an integer key": "1: a\n0x10: b\n+16503334444: c\n",
    "a tagged key": "!!int 1: a\n!!binary aGk=: b\n!foo c: d\n",
    # Tags on scalars and collections.
    "a string tag": "a: !!str 1\nb: !!str yes\n",
    "an int tag on a quoted scalar": 'a: !!int "12"\nb: !!int 0x1F\n',
    "an int tag on text": "a: !!int abc\n",
    "a timestamp tag on text": "a: !!timestamp foo\n",
    "a float tag": "a: !!float 1\nb: !!float .nan\n",
    "a bool tag": "a: !!bool yes\nb: !!bool maybe\n",
    "a null tag": "a: !!null x\n",
    "a binary tag": "a: !!binary aGVsbG8=\nb: !!binary '!!!'\n",
    "collection tags on scalars": "a: !!set x\nb: !!omap x\nc: !!pairs x\nd: !!seq x\ne: !!map x\n",
    "scalar tags on collections": "a: !!str [1]\nb: !!int {a: 1}\nc: !foo [x]\n",
    "an unknown tag": "a: !foo 1\nb: !<tag:example.com,2000:x> 2\n",
    "an unknown tag, reached twice": "a: &x !foo 1\nb: *x\nc: [*x, *x]\n",
    "an unknown tag in a list reached twice": "a: &x [!foo 1]\nb: *x\n",
    "a python tag": "a: !!python/object:os.system {}\nb: !!python/name:os.system ''\n",
    "the non-specific tag": 'a: ! 12\nb: ! "12"\nc: ! yes\nd: ! [1]\ne: ! {a: 1}\n',
    "the non-specific tag on special texts": 'a: ! "*"\nb: ! "&"\nc: ! "!"\nd: ! "="\n',
    "a value tag": "a: =\n",
    # Implicit types, as PyYAML's resolver has them.
    "booleans": "a: [yes, Yes, YES, no, No, NO, true, True, TRUE, false, False, FALSE, "
    "on, On, ON, off, Off, OFF, y, Y, n, N, yEs, tRUE]\n",
    "nulls": "a: [~, null, Null, NULL, nULL, '']\nb:\nc: \n",
    "integers": "a: [0, -1, +1, 1_000, 0b101, 0b_, 0x1F, 0x_, 0o17, 017, 09, 1:30, -1:30:00, "
    "190:20:30, 0_]\n",
    "floats": "a: [1.0, -1.5, 1e3, 1.5e+3, 1.5E-3, .5, 1., ._, .inf, -.Inf, +.INF, .nan, .NaN, "
    "1_0.5, 190:20:30.15, 6.8523015e+5, 685.230_15e+03]\n",
    "timestamps": "a: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5, "
    "2001-12-15T02:59:43.1Z, 2001-12-14 21:59:43.10, 2002-1-1, 2001-13-14, 2001-02-30]\n",
    "phone numbers unquoted": "forward_to: +16505550100\nb: +1 650 555 0100\nc: 16505550100\n",
    "int texts inside lists and merges": "a: &a {n: 0x10, m: [1, 2]}\nb: {<<: *a, o: 3}\n",
    "quoted scalars stay strings": "a: '1'\nb: \"yes\"\nc: '~'\nd: \"2001-12-14\"\ne: '<<'\n",
    "block scalars stay strings": "a: |\n  1\nb: >\n  yes\n",
    "multi-line plain": "a: one\n  two\n\n  three\n",
    "escapes": 'a: "\\x41\\u00e9\\U0001F600\\t"\n',
    "line breaks YAML counts": "a: 1\rb: 2\r\nc: 3\x85d: 4\u2028e: 5\u2029f: 6\n",
    "unicode keys and columns": "é: 1\n😀: {ü: 2}\n",
    "a long key": "? " + "k" * 2000 + "\n: v\n",
    # Nesting.
    "nested 49 lists": "a: " + "[" * 49 + "]" * 49 + "\n",
    "nested 50 lists": "a: " + "[" * 50 + "]" * 50 + "\n",
    "nested 51 lists": "a: " + "[" * 51 + "]" * 51 + "\n",
    "nested 600 lists": NESTED + "[" * 600 + "]" * 600 + "\n",
    "nested mappings past the limit": "a: " + "{a: " * 55 + "1" + "}" * 55 + "\nb: {a: 1, a: 2}\n",
    "deep then a duplicate and a bad merge": "a: "
    + "[" * 60
    + "]" * 60
    + "\nb: {x: 1, x: 2}\nc: {<<: 1}\nd: [1, {<<: 2}]\n",
}


@pytest.mark.parametrize("text", CORNERS.values(), ids=CORNERS.keys())
def test_corners_of_yaml_read_the_same(text: str) -> None:
    assert_same(text.encode())


@pytest.mark.slow
def test_the_corners_reach_every_kind_of_outcome() -> None:
    """The corners are worth comparing: they load, are refused and raise, in each of the ways."""
    results = [assert_same(text.encode()) for text in CORNERS.values()]
    kinds = {r[0] for r in results}
    assert kinds == {"read", "refused", "raised"}
    messages = " ".join(m for r in results if r[0] == "refused" for m in r[1])
    for wanted in (
        "YAML syntax error",
        "use spaces",
        "found undefined alias",
        "found duplicate anchor",
        "expected a single document",
        "duplicate key",
        "first defined at line",
        "mapping keys must be plain text",
        "a merge key (<<) takes a mapping",
        "aliases expand to more than",
        "levels deep",
        "could not determine a constructor",
        "found unconstructable recursive node",
        "YAML error: unacceptable character",
    ):
        assert wanted in messages, wanted


def test_the_alias_bomb_reads_the_same() -> None:
    raw = (REPO / "tests" / "data" / "invalid" / "alias_bomb.yaml").read_bytes()
    assert assert_same(raw)[0] == "refused"


@pytest.mark.slow
@pytest.mark.parametrize("text", CORNERS.values(), ids=CORNERS.keys())
def test_corners_read_the_same_with_the_pure_python_parser(pure_python: None, text: str) -> None:
    assert_same_pure_python(text.encode())


# Generated documents ----------------------------------------------------------------------------

PLAIN = [
    "1", "-2", "0x1F", "017", "1_000", "1:30", "3.5", "1e3", ".inf", ".nan", "yes", "No", "off",
    "~", "null", "2001-12-14", "+16503334444", "plain", "a@b.com", "<<", "text with spaces",
]  # fmt: skip
QUOTED = ["'1'", '"yes"', "'<<'", "''", '"\\t"', "'a b'"]
RARE = ["=", "0b_", "!!int x", "!!timestamp x", "!x 1", "!!binary aGk=", "!!set x"]
TAGS = ["!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!merge ", "! ", "!x "]
KEYS = ["a", "b", "c", "d", "e", "f", "<<", "<<", "'a'", "1", "+16503334444", "label"]
RARE_KEYS = ["!!merge k", "!!str <<", "! '<<'", "~", "''"]


@st.composite
def flow_documents(draw: st.DrawFn) -> str:
    """A flow-style document made of YAML's sharp parts: anchors (a few defined twice), aliases
    (a few undefined or inside their own anchor), merge keys with mappings, lists and scalars,
    tags, duplicate keys, collections and aliases as keys, and nesting. Many load; every kind of
    refusal is there."""
    defined: dict[str, str] = {}  # anchor -> the kind of node it names
    names = (f"a{n}" for n in range(1_000_000))

    def rarely() -> bool:
        return draw(st.integers(0, 11)) == 7  # not an end: hypothesis draws those often

    def alias(kind: str | None = None) -> str:
        named = [name for name, k in defined.items() if kind in (None, k)]
        if rarely():
            return "*" + draw(st.sampled_from([*defined, "undefined"])) + " "
        if named:
            return "*" + draw(st.sampled_from(named)) + " "
        return "{x: 1}" if kind == "map" else scalar()

    def anchored(kind: str, make: Callable[[], str]) -> str:
        if draw(st.integers(0, 3)) != 2:
            return make()
        name = draw(st.sampled_from(list(defined))) if defined and rarely() else next(names)
        if rarely():  # named before its content: an alias inside it is recursive
            defined[name] = kind
            return f"&{name} " + make()
        text = f"&{name} " + make()
        defined[name] = kind
        return text

    def scalar() -> str:
        if rarely():
            return draw(st.sampled_from(RARE))
        tag = draw(st.sampled_from(TAGS)) if rarely() else ""
        return tag + draw(st.sampled_from(PLAIN + QUOTED))

    def mapping(depth: int) -> str:
        pairs = []
        for _ in range(draw(st.integers(0, 4))):
            if rarely():
                key = node(depth + 1)  # a collection, an alias or a scalar as the key
            elif rarely():
                key = draw(st.sampled_from(RARE_KEYS))
            else:
                key = draw(st.sampled_from(KEYS))
            if key == "<<" and not rarely():
                sources = [merged(depth + 1) for _ in range(draw(st.integers(1, 3)))]
                value = sources[0] if len(sources) == 1 else "[" + ", ".join(sources) + "]"
            else:
                value = node(depth + 1)
            pairs.append(f"{key}: {value}")
        return "{" + ", ".join(pairs) + "}"

    def merged(depth: int) -> str:
        if draw(st.booleans()):
            return alias("map")
        return anchored("map", lambda: mapping(depth))

    def node(depth: int) -> str:
        kinds = ["scalar", "scalar", "alias", "list", "map", "map"] if depth < 5 else ["scalar"]
        kind = draw(st.sampled_from(kinds))
        if kind == "alias":
            return alias()
        if kind == "scalar":
            return anchored("scalar", scalar)
        tag = (
            draw(st.sampled_from(["!!map ", "!!seq ", "!!merge ", "!x ", "! "])) if rarely() else ""
        )
        if kind == "list":
            return tag + anchored(
                "list",
                lambda: (
                    "[" + ", ".join(node(depth + 1) for _ in range(draw(st.integers(0, 4)))) + "]"
                ),
            )
        return tag + anchored("map", lambda: mapping(depth))

    return node(0) + "\n"


@st.composite
def shared_documents(draw: st.DrawFn) -> str:
    """A block-style document as PyYAML's dumper writes data whose parts are shared (&id001 and
    *id001), with merge keys written in some of its mappings."""
    pool: list[Any] = []

    def value(depth: int) -> Any:
        choice = draw(st.integers(0, 5 if depth < 4 else 1))
        if choice == 0 and pool:
            return draw(st.sampled_from(pool))
        if choice <= 1:
            return draw(st.sampled_from([1, "x", None, True, 1.5, "yes", "+16503334444"]))
        if choice <= 3:
            made: Any = {
                draw(st.sampled_from(["a", "b", "c", "label"])): value(depth + 1)
                for _ in range(draw(st.integers(0, 3)))
            }
        else:
            made = [value(depth + 1) for _ in range(draw(st.integers(0, 3)))]
        pool.append(made)
        return made

    text = yaml.safe_dump({"numbers": value(0), "more": value(0)}, sort_keys=False)
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        stripped = lines[at].lstrip()
        if ": " in stripped and not stripped.startswith("- "):
            indent = lines[at][: len(lines[at]) - len(stripped)]
            lines[at] = indent + "<<" + stripped[stripped.index(": ") :]
    return "\n".join(lines)


def mutate(draw: st.DrawFn, text: bytes) -> bytes:
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(SPECIAL)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 6)) :]
    return text


@st.composite
def sharp_texts(draw: st.DrawFn) -> bytes:
    """A flow or shared document, or a corner, perhaps with a few bytes inserted or cut."""
    source = draw(st.integers(0, 2))
    if source == 0:
        text = draw(flow_documents())
    elif source == 1:
        text = draw(shared_documents())
    else:
        text = draw(st.sampled_from(list(CORNERS.values())))
    return mutate(draw, text.encode("utf-8", "surrogatepass"))


@pytest.mark.slow
@pytest.mark.parametrize("strategy", [flow_documents(), shared_documents()], ids=["flow", "shared"])
def test_the_generators_reach_aliases_merges_and_refusals(strategy: st.SearchStrategy[str]) -> None:
    """The generator makes documents that load with aliases, that load with merge keys, and that
    are refused (300 documents, drawn the same way every run)."""
    reached: set[tuple[str, str]] = set()

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(strategy)
    def draw(text: str) -> None:
        kind = assert_same(text.encode())[0]
        reached.add((kind, ""))
        if "*" in text:
            reached.add((kind, "alias"))
        if "<<:" in text:
            reached.add((kind, "merge"))

    draw()
    assert {("read", "alias"), ("read", "merge"), ("refused", "")} <= reached, reached


@pytest.mark.slow
@FUZZ
@given(sharp_texts())
def test_documents_with_aliases_merges_and_tags_read_the_same(raw: bytes) -> None:
    assert_same(raw)


@pytest.mark.slow
@FUZZ
@given(mutated_texts())
def test_mutated_files_read_the_same(raw: bytes) -> None:
    assert_same(raw)


@pytest.mark.slow
@settings(FUZZ, max_examples=max(50, EXAMPLES // 4))
@given(valid_documents(), st.booleans())
def test_valid_documents_read_the_same(document: dict[str, Any], flow: bool) -> None:
    assert assert_same(dump(document, flow).encode())[0] == "read"


@pytest.mark.slow
@settings(FUZZ, max_examples=max(50, EXAMPLES // 4))
@given(st.one_of(sharp_texts(), mutated_texts()))
def test_documents_read_the_same_with_the_pure_python_parser(raw: bytes) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlsource, "_Loader", yaml.SafeLoader)
        patch.setattr(yaml_oracle, "_Loader", yaml.SafeLoader)
        assert_same_pure_python(raw)


# What the event reader itself promises -----------------------------------------------------------


def test_every_position_of_a_shared_subtree_is_under_each_path_it_is_used_at() -> None:
    doc = yamlsource.parse("f.yaml", b"p: &p\n  - a@x.com\nq: {r: *p}\n")
    assert doc.data == {"p": ["a@x.com"], "q": {"r": ["a@x.com"]}}
    assert doc.values[("q", "r")] == doc.values[("p",)] == (1, 4)  # where the anchor stands
    assert doc.values[("q", "r", 0)] == doc.values[("p", 0)] == (2, 5)
    assert doc.keys[("q", "r")] == (3, 5)


def _position_as_it_was(doc: yamlsource.Document, path: DocPath, *, key: bool = False) -> Position:
    if key and path in doc.keys:
        return Position(doc.file, *doc.keys[path])
    while path not in doc.values and path:
        path = path[:-1]
    return Position(doc.file, *doc.values.get(path, (1, 1)))


@pytest.mark.parametrize(
    "raw",
    [
        b"version: 1\nnumbers:\n  '+1650': {label: a, participants: [x@y.z, user_1]}\n",
        b"p: &p\n  - a@x.com\nq: {r: *p, <<: {s: 1}}\n",
        b"- [1, [2, {a: b}]]\n- c\n",
        b"just text\n",
        b"",
    ],
)
def test_a_position_is_its_paths_or_its_nearest_known_ancestors(raw: bytes) -> None:
    doc = yamlsource.parse("f.yaml", raw)
    paths = {*doc.values, *doc.keys, ()}
    # Below each known place, and beside it: positions of paths the file does not have.
    paths |= {(*path, extra) for path in list(paths) for extra in ("zz", 0, 7)}
    paths |= {("numbers", "nothing", "deeper"), (3,), ("zz", "zz")}
    for path in paths:
        for key in (False, True):
            assert doc.position(path, key=key) == _position_as_it_was(doc, path, key=key), path


def test_the_reader_builds_no_node_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_compose(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise AssertionError("composed")

    monkeypatch.setattr(yaml, "compose", no_compose)
    doc = yamlsource.parse("f.yaml", b"a: &a {x: 1}\nb: {<<: *a, y: [*a]}\n")
    assert doc.data == {"a": {"x": 1}, "b": {"y": [{"x": 1}], "x": 1}}


def test_the_resolver_has_no_path_resolvers_the_reader_would_miss() -> None:
    # PyYAML's path resolvers (add_path_resolver) pick tags by a node's place in the document;
    # the event reader resolves by text alone, as SafeLoader does while none is registered.
    assert not yamlsource._Loader.yaml_path_resolvers


@pytest.mark.parametrize(
    "raw", [b"a: 1\n", b"a: [\n", b"a: 1\na: 2\n"], ids=["read", "syntax", "dup"]
)
def test_reading_leaves_the_cyclic_collector_as_it_found_it(raw: bytes) -> None:
    import gc

    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            with pytest.raises(InputError) if raw != b"a: 1\n" else nullcontext():
                yamlsource.parse("f.yaml", raw)
            assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_a_date_that_does_not_exist_is_an_error_at_its_position(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text('version: 1\nnumbers:\n  "+16503334444":\n    label: 2027-02-30\n')
    with pytest.raises(InputError) as caught:
        config.load(str(path))
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{path}:4:12: $.numbers[\"+16503334444\"].label: '2027-02-30' is not a valid timestamp "
        "(day is out of range for month); quote it to mean the text"
    ]
