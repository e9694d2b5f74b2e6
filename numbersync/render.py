"""Renderings of a Plan: text for terminals, Markdown for pull-request comments, JSON for machines.

Renderers only read the Plan; they never decide what changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from numbersync import __version__, phone
from numbersync.models import SET_FIELDS
from numbersync.plan import FieldChange, NumberChange, Plan

FORMAT_VERSION = 1
MARKDOWN_MARKER = "<!-- numbersync-plan -->"
MARKDOWN_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters
MARKDOWN_TABLE_ROWS = 50

Style = Callable[[str, str], str]


def _plain(text: str, _kind: str) -> str:
    return text


def _coloured(text: str, kind: str) -> str:
    import click

    colour = {"change": "yellow", "add": "green", "remove": "red", "warn": "yellow"}[kind]
    return click.style(text, fg=colour, bold=kind == "warn")


def summary(plan: Plan) -> str:
    if not plan.has_changes:
        return (
            f"No changes. {plan.managed} managed number{_s(plan.managed)} "
            f"match{'es' if plan.managed == 1 else ''} the file; "
            f"{len(plan.unmanaged)} unmanaged."
        )
    return (
        f"Plan: {len(plan.changes)} to change, {len(plan.unchanged)} unchanged, "
        f"{len(plan.unmanaged)} unmanaged."
    )


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def value_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _header(change: NumberChange) -> str:
    label = f" {value_text(change.label)}" if change.label else ""
    return f"{phone.display(change.number)}{label}"


def _item(plan: Plan, name: str, item: str) -> str:
    known = plan.emails if name == "participants" else plan.group_names
    return f"{item} ({known[item]})" if item in known else item


def change_lines(
    plan: Plan, change: NumberChange, indent: str, style: Style = _plain, *, diff: bool = False
) -> Iterator[str]:
    """The body of one number's block: aligned `field: old -> new`, `+`/`-` lines for sets.
    With `diff`, the marker starts the line so that a ```diff block colours it."""
    width = max(len(c.field) for c in change.fields) + 1
    for c in change.fields:
        if c.field in SET_FIELDS:
            yield f"{indent}{c.field}:"
            for marker, kind, items in (("+", "add", c.added), ("-", "remove", c.removed)):
                for item in items:
                    text = _item(plan, c.field, item)
                    line = f"{marker}{indent[1:]}  {text}" if diff else f"{indent}  {marker} {text}"
                    yield style(line, kind)
        else:
            before, after = value_text(c.before), value_text(c.after)
            yield f"{indent}{c.field + ':':<{width}} {before} -> {after}"


def render_text(plan: Plan, *, color: bool = False, show_unmanaged: bool = False) -> str:
    style: Style = _coloured if color else _plain
    out: list[str] = []
    for change in plan.changes:
        out.append(style(f"  ~ {_header(change)}", "change"))
        out.extend(change_lines(plan, change, "      ", style))
        out.append("")
    if show_unmanaged and plan.unmanaged:
        out.append("Unmanaged (not in the file, left alone):")
        for number in plan.unmanaged:
            label = f" {value_text(number.label)}" if number.label else ""
            out.append(f"    {phone.display(number.number)}{label}")
        out.append("")
    for warning in plan.warnings:
        out.append(style(f"Warning: {warning}", "warn"))
    if plan.warnings:
        out.append("")
    out.append(summary(plan))
    return "\n".join(out) + "\n"


# --- markdown ---------------------------------------------------------------------------------


def _cell(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: summary first, a table, then the details folded; never over
    `limit` characters (the middle of the details is cut, and the cut is said)."""
    head = [MARKDOWN_MARKER, "### numbersync plan", "", f"**{summary(plan)}**", ""]
    head.append(f"Config `{_cell(plan.config_path)}` (`{plan.fingerprint[:19]}`)")
    head.append("")
    for warning in plan.warnings:
        head.append(f"> **Warning:** {_cell(warning)}")
        head.append("")
    if not plan.has_changes:
        return "\n".join(head)
    head += ["| Number | Label | Changed fields |", "| --- | --- | --- |"]
    for change in plan.changes[:MARKDOWN_TABLE_ROWS]:
        fields = ", ".join(f"`{c.field}`" for c in change.fields)
        label = _cell(change.label or "")
        head.append(f"| {phone.display(change.number)} | {label} | {fields} |")
    hidden = len(plan.changes) - MARKDOWN_TABLE_ROWS
    if hidden > 0:
        head.append(f"| … | {hidden} more number{_s(hidden)} | see the details |")
    head.append("")

    details: list[str] = []
    for change in plan.changes:
        details.append(f"~ {_header(change)}")
        details.extend(change_lines(plan, change, "    ", diff=True))
    fence = "```"
    while any(fence in line for line in details):
        fence += "`"
    opening = ["<details><summary>Details</summary>", "", f"{fence}diff"]
    closing = [fence, "", "</details>", ""]
    body = _cut_middle(details, limit - len("\n".join(head + opening + closing)) - 200)
    return "\n".join(head + opening + body + closing)


def _cut_middle(lines: list[str], budget: int) -> list[str]:
    """Keep as many lines from the start and from the end as fit in `budget` characters."""
    if len("\n".join(lines)) <= budget:
        return lines
    head = _fitting(lines, budget // 2)
    tail = _fitting(lines[len(head) :][::-1], budget // 2)[::-1]
    cut = len(lines) - len(head) - len(tail)
    notice = f"... {cut} lines cut to fit a comment; run `numbersync plan` for the full plan ..."
    return [*head, notice, *tail]


def _fitting(lines: list[str], budget: int) -> list[str]:
    kept: list[str] = []
    for line in lines:
        budget -= len(line) + 1
        if budget < 0:
            break
        kept.append(line)
    return kept


# --- json -------------------------------------------------------------------------------------


def json_value(change: FieldChange, value: Any) -> Any:
    return list(value) if change.field in SET_FIELDS and value is not None else value


def plan_document(plan: Plan) -> dict[str, Any]:
    """The versioned JSON form of a plan: what `--format json` prints and `--out` saves."""
    return {
        "format_version": FORMAT_VERSION,
        "numbersync_version": __version__,
        "config": {"path": plan.config_path, "fingerprint": plan.fingerprint},
        "safety": {
            "max_change_percent": plan.safety.max_change_percent,
            "min_managed": plan.safety.min_managed,
        },
        "summary": {
            "change": len(plan.changes),
            "unchanged": len(plan.unchanged),
            "unmanaged": len(plan.unmanaged),
        },
        "changes": [
            {
                "id": change.id,
                "number": change.number,
                "key": change.key,
                "label": change.label,
                "field": c.field,
                "before": json_value(c, c.before),
                "after": json_value(c, c.after),
            }
            for change in plan.changes
            for c in change.fields
        ],
        "unchanged": list(plan.unchanged),
        "unmanaged": [{"id": n.id, "number": n.number, "label": n.label} for n in plan.unmanaged],
        "warnings": list(plan.warnings),
        "users": dict(sorted(plan.emails.items())),
        "groups": dict(sorted(plan.group_names.items())),
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"
