"""Text from files and servers cannot forge lines or reach the terminal raw: the escaper itself,
and the places that print such text (diagnostics, API errors, -v logs, the apply report)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from numbersync.cli import main
from numbersync.escape import escape, escape_json, is_safe, markdown_cell, markdown_fence


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, émoji 😀 and שלום", "plain text, émoji 😀 and שלום"),
        ("two\nlines", "two\\nlines"),
        ("\r\t", "\\r\\t"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("bell\x07", "bell\\x07"),
        ("del\x7f", "del\\x7f"),
        ("next\x85line", "next\\x85line"),  # NEL
        ("c1\x9b31m", "c1\\x9b31m"),  # a C1 CSI
        ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
        ("evil\u202ereversed", "evil\\u202ereversed"),
        ("iso\u2066late\u2069", "iso\\u2066late\\u2069"),
        ("\ufeffbom", "\\ufeffbom"),
        # GitHub Actions' workflow commands: `::` where a line starts, after any whitespace
        # (.NET's TrimStart drops Unicode's too), and the legacy `##[` anywhere in a line.
        ("::error::pwned", "\\x3a:error::pwned"),
        (" \u3000\u00a0::add-mask::x", " \u3000\u00a0\\x3a:add-mask::x"),
        ("\n::error::x", "\\n::error::x"),  # no longer at the start of a line
        (
            "a ##[error]b ###[warning]c ##VSO[task.setvariable]",
            "a \\x23#[error]b #\\x23#[warning]c \\x23#VSO[task.setvariable]",
        ),
        ("http://[::1]:8080 a::b ## [", "http://[::1]:8080 a::b ## ["),
    ],
)
def test_escape_shows_every_unsafe_character(text: str, shown: str) -> None:
    assert escape(text) == shown
    assert is_safe(escape(text))
    assert escape(shown) == shown


@pytest.mark.parametrize(
    "text",
    ["plain", "\x85\u2028\u202e\ufeff\x7f", "##[error]x ##vso[task]", "tab\there\nand line"],
)
def test_escape_json_keeps_the_value_and_prints_safely(text: str) -> None:
    printed = escape_json(json.dumps({"label": text}, indent=2, ensure_ascii=False))
    assert json.loads(printed) == {"label": text}
    assert is_safe(printed.replace("\n", "")) and "##[" not in printed.lower()


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("Sales line", "Sales line"),
        ("R&D <b> | x", "R&amp;D &lt;b&gt; \\| x"),
        ("bob@acme.example (role user);", "bob@acme.example (role user);"),
        ("call @acme/team now", "call `@acme/team` now"),
        ("a **b** [c](d) e", "a `**b** [c](d)` e"),
        ("`x` y", "`` `x` `` y"),
        ("x\ny | z_", "`x\\ny` \\| `z_`"),
        ("see www.evil.example", "see `www.evil.example`"),
    ],
)
def test_markdown_cell_shows_markdown_as_code_and_plain_words_as_they_are(
    text: str, cell: str
) -> None:
    assert markdown_cell(text) == cell


def test_a_markdown_code_span_holds_any_backticks_and_pipes() -> None:
    assert markdown_cell("a`b``c | d", code=True) == "```a`b``c \\| d```"
    assert markdown_cell("`x`", code=True) == "`` `x` ``"
    assert markdown_cell(" spaced path ", code=True) == "`  spaced path  `"
    assert markdown_fence(["plain", "a ``` b", "````"]) == "`````"


def test_a_key_cannot_forge_a_workflow_command_in_validate_output(tmp_path: Path) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text(
        'version: 1\nnumbers:\n  "+1650\\n::error file=README.md::pwned\\u001b[2J": {}\n',
        encoding="utf-8",
    )

    result = CliRunner().invoke(main, ["validate", "-c", str(config)])

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert not any(line.startswith("::") for line in lines)
    assert "\x1b" not in result.stderr
    assert lines[0] == (
        f'{config}:3:3: $.numbers["+1650\\n::error file=README.md::pwned\\x1b[2J"]: '
        '"+1650\\n::error file=README.md::pwned\\x1b[2J" is not a valid phone number'
    )


def test_server_text_in_an_api_error_is_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    from numbersync.close import CloseClient, Settings

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(402, json={"error": "pay\n::error::now\x1b[5m"})

    class Client(CloseClient):
        def __init__(self, settings: Settings, **options: Any) -> None:
            super().__init__(settings, transport=httpx.MockTransport(answer), **options)

    monkeypatch.setattr("numbersync.close.CloseClient", Client)

    result = CliRunner().invoke(main, ["export"], env={"CLOSE_API_KEY": "api_test.key0000"})

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: GET /phone_number/ (402): a limit of your Close plan was reached: "
        "pay ::error::now\\x1b[5m\n"
    )


def test_verbose_log_lines_are_escaped() -> None:
    from numbersync.close.logs import _EscapingFormatter

    record = logging.LogRecord("numbersync.http", logging.INFO, "", 0, "GET %s", ("/a\nb",), None)
    assert _EscapingFormatter("%(message)s").format(record) == "GET /a\\nb"
