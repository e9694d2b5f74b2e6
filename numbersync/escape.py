"""Text from a file or a server, made safe for where it is printed: one function per context.

- `escape`: a terminal or a CI log. Control characters, Unicode line and paragraph separators and
  bidirectional controls are shown as backslash escapes, so that no value can move the cursor,
  recolour or retitle a terminal, start a line of its own or reorder what follows it; and what a
  CI runner would run as a command (GitHub Actions' `::command::` at the start of a line, its
  legacy `##[command]` anywhere in one) is broken up.
- `markdown_cell`: a table cell or a line of a Markdown comment (the plan on a pull request):
  escaped as for a terminal, and anything Markdown or GitHub would act on (emphasis, links,
  images, HTML, @mentions, bare URLs) shown as code instead. Plain words render as they are.
- `markdown_fence`: the fence of a block of lines already escaped for a terminal (the folded
  details), which no line can close.
- `escape_json`: JSON printed to a terminal or a CI log, or saved: the same characters as
  `\\u` escapes, so that the JSON still holds exactly what Close or the file said.

Every place that prints such text goes through one of these.
"""

from __future__ import annotations

import re

# Beyond the C0 controls: DEL, the C1 controls (NEL included), the line and paragraph
# separators, the bidi marks, embeddings, overrides and isolates, and the byte-order mark.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The GitHub Actions runner reads a workflow command where a line starts with `::` once .NET's
# TrimStart() has dropped any whitespace (Unicode's, as str.lstrip does), and its legacy
# `##[command]` (as Azure Pipelines reads `##vso[`) anywhere in a line. Text may be printed at
# the start of a line, so its own start counts as one. (A YAML writer breaks the legacy one with
# the same `\x23`, which YAML reads back as `#`.)
LEGACY_COMMAND = re.compile(r"#(?=#(?i:vso)?\[)")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape(text: str) -> str:
    """`text` with every unsafe character replaced by its escape (`\\n`, `\\x1b`, `\\u2028`), and
    the first character of a CI command escaped too (`\\x3a:error::`, `\\x23#[error]`)."""
    text = _UNSAFE.sub(_shown, text)
    if "##" in text:
        text = LEGACY_COMMAND.sub(r"\\x23", text)
    start = len(text) - len(text.lstrip())
    if text.startswith("::", start):
        text = f"{text[:start]}\\x3a{text[start + 1 :]}"
    return text


def is_safe(text: str) -> bool:
    return _UNSAFE.search(text) is None


# --- Markdown ------------------------------------------------------------------------------------

# What Markdown (CommonMark and GitHub's extensions) or GitHub's own filters act on in running
# text: a backslash escape, code, emphasis, strikethrough, links and images, headings and issue
# references, math, an @mention (an `@` after no letter or digit: an email address is left as it
# was), a bare URL. Such a word is shown as code, where none of them works.
_ACTIVE_CHARS = re.compile(r"[\\`*_\[\]#$~]")
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@")
# Plain words keep these, escaped: HTML and entities shown as text, and no cell split.
_PLAIN = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"))
_WORDS = re.compile(r"(\s+)")
_TICKS = re.compile(r"`+")


def markdown_cell(text: str, *, code: bool = False) -> str:
    """`text` for a Markdown table cell or line: escaped as `escape` does, plain words as they
    are, and each run of words Markdown or GitHub would act on as one code span; all of it one
    code span with `code` (a file name)."""
    text = escape(text)
    if code:
        return _code_span(text)
    if not _active(text):
        return _plain(text)  # the usual case: plain words
    words = _WORDS.split(text)  # words at even places, the spaces between at odd
    out: list[str] = []
    start = None  # where the run of active words being gathered begins
    for i in range(0, len(words), 2):
        if _active(words[i]):
            start = i if start is None else start
            continue
        if start is not None:
            out.append(_code_span("".join(words[start : i - 1])) + words[i - 1])
            start = None
        out.append(_plain(words[i]))
        if i + 1 < len(words):
            out.append(words[i + 1])
    if start is not None:
        out.append(_code_span("".join(words[start:])))
    return "".join(out)


def _active(text: str) -> bool:
    if _ACTIVE_CHARS.search(text) or ("@" in text and _MENTION.search(text)):
        return True
    return "://" in text or "www." in text.lower()


def _plain(text: str) -> str:
    for char, shown in _PLAIN:
        if char in text:
            text = text.replace(char, shown)
    return text


def _code_span(text: str) -> str:
    """`text` as inline code, whatever backticks it holds. GitHub splits a table row at every
    unescaped `|`, even in code, and unescapes `\\|` there. Markdown drops one space from each
    end of code: a padding space keeps a backtick or a space at an end."""
    if not text:
        return ""
    fence = "`" * (max(map(len, _TICKS.findall(text)), default=0) + 1)
    padding = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    text = text.replace("|", "\\|")
    return f"{fence}{padding}{text}{padding}{fence}"


def markdown_fence(lines: list[str]) -> str:
    """A fence of backticks for a block of `lines` (each escaped for a terminal, so that none
    holds a line break) that no line of it can close."""
    fence = "```"
    while any(fence in line for line in lines):
        fence += "`"
    return fence


# --- JSON ----------------------------------------------------------------------------------------

# What json.dumps leaves raw of what `escape` shows: it escapes C0 controls itself (a raw one is
# the layout of `indent`).
_JSON_UNSAFE = re.compile(f"[{_BEYOND_C0}]")


def escape_json(text: str) -> str:
    """JSON `text` (from json.dumps) with the characters `escape` shows written as `\\u` escapes:
    the same JSON value, safe to print. They can only be inside strings, where `\\u` means them."""
    # A plan can be tens of MB, and a regular expression reads it slowly: ASCII is checked first.
    if not text.isascii() or "\x7f" in text:
        text = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if "##" in text:
        text = LEGACY_COMMAND.sub(r"\\u0023", text)
    return text
