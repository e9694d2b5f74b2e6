"""Hostile text from a server or a file reaches no terminal, CI log or pull-request comment intact.

Close (the emulator, edited as someone in the Close app or a broken server would) holds numbers,
labels and timestamps made to forge GitHub Actions workflow commands (`::error::`, the legacy
`##[error]`), to move the cursor or retitle the terminal (ESC, OSC, `\\r`), and to put links,
images, mentions, emphasis and HTML into the plan comment or break out of its table and its
`<details>`. Every command that prints them is run through the CLI, and every output is searched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import cli
from markdown_it import MarkdownIt
from markdown_it.token import Token

from numbersync import render
from numbersync.emulator import Emulator
from numbersync.plan import FieldChange, FileSummary, NumberChange, Plan, UnmanagedNumber

SALES = "phon_demoSalesLine0000000000000000000000001"
BOB = "phon_demoBobDirect0000000000000000000000001"
NUMBER = "::error file=README.md::pwned\x1b]0;owned\x07\x1b[2J"
UNMANAGED = "\r##[error]unmanaged \x1b[1mbold\x9b31m"
LABEL = (
    "**@acme/security** ![x](https://evil.example/x.png) [click](https://evil.example) "
    "<img src=x onerror=alert(1)> | cell ``` </details> ##[warning]legacy _em_ @everyone "
    "www.evil.example `tick` <https://evil.example> &#64;team"
)
DATE = "soon | <b>**bold**</b> \x1b[31m ##[debug]x [a](https://evil.example)"
CONFIG = f"version: 1\nnumbers:\n  {SALES}:\n    label: {json.dumps(LABEL)}\n    participants: []\n"


def forged(text: str) -> list[str]:
    """The lines of `text` that a CI runner or a terminal would act on: a workflow command at the
    start of a line (after any whitespace), the legacy `##[` anywhere in one, or a raw control
    that moves the cursor, retitles or recolours the terminal. The runner splits lines at \\r
    too."""
    return [
        line
        for line in re.split(r"\r\n|\r|\n", text)
        if line.lstrip().startswith("::")
        or "##[" in line
        or re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", line)
    ]


@pytest.fixture
def hostile(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The Acme account with the Sales line's number and timestamp, and Bob's number and label,
    made hostile; the working directory holds a config that changes the Sales line by id."""
    emulator.state.set_number_fields(SALES, {"number": NUMBER, "date_updated": DATE})
    emulator.state.set_number_fields(BOB, {"number": UNMANAGED, "label": LABEL})
    monkeypatch.chdir(tmp_path)
    Path("numbers.yaml").write_text(CONFIG, encoding="utf-8")
    return emulator


def test_plan_in_every_format_forges_no_line(hostile: Emulator) -> None:
    outputs = {}
    for fmt in ("text", "markdown", "json"):
        result = cli(hostile, "plan", "--show-unmanaged", "--format", fmt, "--out", "plan.json")
        assert result.exit_code == 0, result.output
        outputs[fmt] = result.stdout + result.stderr
        assert forged(outputs[fmt]) == [], fmt

    text = outputs["text"]
    assert "  ~ \\x3a:error file=README.md::pwned\\x1b]0;owned\\x07\\x1b[2J" in text
    assert "    \\r\\x23#[error]unmanaged \\x1b[1mbold\\x9b31m " in text
    assert "(last changed in Close soon | <b>**bold**</b> \\x1b[31m \\x23#[debug]x" in text
    # The JSON plan and the plan file still say exactly what Close said.
    for document in (json.loads(outputs["json"]), json.loads(Path("plan.json").read_text())):
        assert document["changes"][0]["number"] == NUMBER
        assert document["changes"][0]["date_updated"] == DATE
        assert {n["number"]: n["label"] for n in document["unmanaged"]}[UNMANAGED] == LABEL
    assert forged(Path("plan.json").read_text()) == []


def test_apply_report_and_progress_forge_no_line(hostile: Emulator) -> None:
    # The emulator stamps a PUT after the number's `date_updated`, which must be a timestamp.
    hostile.state.set_number_fields(SALES, {"date_updated": "2026-11-30T14:02:11+00:00"})

    result = cli(hostile, "apply", "--auto-approve", "--report", "report.json")

    assert result.exit_code == 0, result.output
    assert forged(result.stdout) == []
    assert forged(result.stderr) == []
    assert "[1/1] \\x3a:error file=README.md::pwned\\x1b]0;owned\\x07\\x1b[2J: applied" in (
        result.stderr
    )
    written = Path("report.json").read_text()
    assert forged(written) == []
    assert json.loads(written)["numbers"][0]["number"] == NUMBER


def test_show_of_a_saved_plan_forges_no_line(hostile: Emulator) -> None:
    assert cli(hostile, "plan", "--out", "plan.json").exit_code == 0
    document = json.loads(Path("plan.json").read_text())
    document["config"]["path"] = "numbers.yaml\r::error::forged\x1b]8;;https://evil.example\x07x"
    # The plan format holds only E.164 numbers in `changes` (Close's number here is not one).
    document["changes"] = []
    document["rings"] = []
    document["files"] = [{**f, "change": 0} for f in document["files"]]
    document["summary"].update(change=0, risky=0)
    document["unmanaged"].append({"id": "phon_x", "number": "\x1b[2J::warning::x", "label": LABEL})
    document["summary"]["unmanaged"] = len(document["unmanaged"])
    Path("plan.json").write_text(json.dumps(document))

    shown = {}
    for fmt in ("text", "markdown", "json"):
        result = cli(hostile, "show", "plan.json", "--show-unmanaged", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert forged(result.stdout + result.stderr) == [], fmt
        shown[fmt] = result.stdout
    assert_inert_markdown(shown["markdown"])
    assert (
        "Config `numbers.yaml\\r::error::forged\\x1b]8;;https://evil.example\\x07x` ("
        in (shown["markdown"])
    )
    assert "\n    \\x1b[2J::warning::x " in shown["text"]
    assert json.loads(shown["json"])["config"] == document["config"]


# --- Markdown ----------------------------------------------------------------------------------

# The Markdown numbersync writes itself: the marker, the folded details, the bold summary.
OWN_HTML = {
    render.MARKDOWN_MARKER + "\n",
    "<details><summary>Details</summary>\n",
    "</details>\n",
}
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")


def markdown_tokens(text: str) -> Iterator[Token]:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for token in md.parse(text):
        yield token
        yield from token.children or ()


def assert_inert_markdown(text: str) -> None:
    """`text` has only the structure numbersync gives a plan comment: no link, image, HTML,
    emphasis or strikethrough, no @mention or bare URL in plain text, four cells a row."""
    tokens = list(markdown_tokens(text))
    kinds = {t.type for t in tokens}
    assert not kinds & {"link_open", "image", "html_inline", "em_open", "s_open", "autolink"}
    assert {t.content for t in tokens if t.type == "html_block"} <= OWN_HTML
    strong = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "strong_open"]
    assert all(s.startswith(("Safety:", "Plan:", "No changes.", "Warning:")) for s in strong), (
        strong
    )
    for token in tokens:
        if token.type == "text":
            assert not MENTION.search(token.content), token.content
            assert "www." not in token.content and "://" not in token.content, token.content
    rows = [i for i, t in enumerate(tokens) if t.type == "tr_open"]
    for i in rows:
        end = next(j for j in range(i, len(tokens)) if tokens[j].type == "tr_close")
        cells = [t for t in tokens[i:end] if t.type in ("td_open", "th_open")]
        assert len(cells) == 4


def test_the_plan_comment_keeps_hostile_text_inert(hostile: Emulator) -> None:
    result = cli(hostile, "plan", "--format", "markdown")

    assert result.exit_code == 0, result.output
    assert_inert_markdown(result.stdout)
    table = [line for line in result.stdout.splitlines() if line.startswith("| `")]
    assert len(table) == 1  # the one row, its number in a code span


def plan_of(**values: Any) -> Plan:
    """A one-change plan of `values` (number, label, date_updated, config_path, file)."""
    change = NumberChange(
        "phon_1",
        values.get("number", "+16503334444"),
        values.get("label"),
        "+16503334444",
        (FieldChange("label", "Old", values.get("label")),),
        values.get("file", "numbers.yaml"),
        values.get("date_updated"),
    )
    return Plan(
        changes=(change,),
        unchanged=(),
        unmanaged=(UnmanagedNumber("phon_2", values.get("number", "+1650"), "x"),),
        config_path=values.get("config_path", "numbers.yaml"),
        fingerprint="sha256:" + "0" * 64,
        files=(FileSummary(values.get("file", "numbers.yaml"), 1, 0),),
    )


@pytest.mark.parametrize(
    "label",
    [
        "**bold** and __bold__ and *em* and _em_",
        "![img](https://evil.example/i.png)",
        "[link](https://evil.example) [ref][1]\n\n[1]: https://evil.example",
        "<https://evil.example> https://evil.example www.evil.example",
        "@acme/team cc @everyone",
        "<b>html</b> <!-- comment --> &lt;b&gt; &#64;team",
        "a | b | c | d | e",
        "`code` ``` ```` fence",
        "</details>\n\n# heading",
        "~~strike~~ \\*escaped\\*",
        "trailing backtick`",
        "\\",
        "a\\|b \\\\| c | d",
    ],
)
def test_any_label_stays_text_in_the_plan_comment(label: str) -> None:
    assert_inert_markdown(render.render_markdown(plan_of(label=label)))


@pytest.mark.parametrize(
    "values",
    [
        {"number": "@acme/team [x](https://evil.example)"},
        {"date_updated": "**bold** | [x](https://evil.example) @acme/team"},
        {"config_path": "a`b`` | [x](https://evil.example) @team <b>"},
    ],
)
def test_numbers_dates_and_paths_stay_text_in_the_plan_comment(values: dict[str, str]) -> None:
    assert_inert_markdown(render.render_markdown(plan_of(**values)))


def test_export_to_a_ci_log_forges_no_line_and_reads_back(emulator: Emulator) -> None:
    emulator.state.set_number_fields(BOB, {"label": "##[error]pwned ::error::x ##vso[task]y"})

    result = cli(emulator, "export")

    assert result.exit_code == 0, result.output
    assert forged(result.stdout + result.stderr) == []
    assert '"\\x23#[error]pwned ::error::x \\x23#vso[task]y"' in result.stdout
    exported = yaml.safe_load(result.stdout)["numbers"]
    assert exported["+16503334448"]["label"] == "##[error]pwned ::error::x ##vso[task]y"
