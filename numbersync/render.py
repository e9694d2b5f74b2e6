"""Renderings of a Plan: text for terminals, Markdown for pull-request comments, JSON for machines.

Renderers only read the Plan; they never decide what changes. A plan of a directory of files shows
each file's changes under its path, so that each team finds its part.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from numbersync import phone
from numbersync.account import GroupChange
from numbersync.escape import escape, escape_json, markdown_cell, markdown_fence
from numbersync.kinds.groups import KIND as GROUPS
from numbersync.models import SET_FIELDS
from numbersync.plan import AcceptedDifference, NumberChange, Plan
from numbersync.policy import Waiver
from numbersync.ringing import Rings
from numbersync.safety import owner_name, refused_by_close
from numbersync.savedplan.write import plan_document
from numbersync.unmanaged import NoLongerManaged, shown_keeps

MARKDOWN_MARKER = "<!-- numbersync-plan -->"
MARKDOWN_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters
MARKDOWN_TABLE_ROWS = 50
MARKDOWN_RELEASED_ROWS = 100  # lines of what --base lets go, before "and N more"
MARKDOWN_VALUE_LIMIT = 200  # characters of a value Close keeps, in such a line
_NOTICE_ROOM = 100  # the line that says how much a cut left out
# People who ring before and after alike, shown by name up to this many per number: the change
# is in those added and removed, a large group's worth of whom would still drown the plan; the
# JSON plan lists them all.
RINGS_KEPT_SHOWN = 10
RINGS_CHANGED_SHOWN = 50

Style = Callable[[str, str], str]


def _plain(text: str, _kind: str) -> str:
    return text


def _coloured(text: str, kind: str) -> str:
    import click

    if kind == "file":
        return click.style(text, bold=True)
    colour = {"change": "yellow", "add": "green", "remove": "red", "warn": "yellow", "risk": "red"}
    return click.style(text, fg=colour[kind], bold=kind in ("warn", "risk"))


def summary(plan: Plan) -> str:
    left_out = ""
    if plan.untargeted:
        left_out = f"; {plan.untargeted} managed left out by --target/--exclude"
    if plan.groups:
        added = sum(len(c.added) for c in plan.groups)
        removed = sum(len(c.removed) for c in plan.groups)
        left_out += (
            f"; {len(plan.groups)} group{_s(len(plan.groups))} to change: {added} "
            f"member{_s(added)} added, {removed} removed"
        )
    held = len(plan.accepted_holding)
    if held:
        left_out += f"; {held} accepted difference{_s(held)} not applied"
    if not plan.has_changes:
        compared = len(plan.unchanged)
        return (
            f"No changes. {compared} managed number{_s(compared)} "
            f"match{'es' if compared == 1 else ''} the file{_s(len(plan.files))}; "
            f"{len(plan.unmanaged)} unmanaged{left_out}."
        )
    return (
        f"Plan: {len(plan.changes)} to change, {len(plan.unchanged)} unchanged, "
        f"{len(plan.unmanaged)} unmanaged{left_out}."
    )


def risk_summary(plan: Plan, shown_as: Callable[[str], str] = escape) -> str | None:
    """One line naming the numbers whose change shrinks who they ring or switches forwarding,
    each shown by `shown_as` (the escaper of where the line goes)."""
    risky = [c for c in plan.changes if c.risks]
    if not risky:
        return None
    shown = ", ".join(shown_as(phone.display(c.number)) for c in risky[:5])
    more = f" and {len(risky) - 5} more" if len(risky) > 5 else ""
    verb = "rings fewer people or switches" if len(risky) == 1 else "ring fewer people or switch"
    return f"{len(risky)} number{_s(len(risky))} {verb} forwarding: {shown}{more}."


def marks(plan: Plan, change: NumberChange) -> list[str]:
    """What a reviewer must know about whose number it is: Close will refuse a teammate's
    personal number; a change that makes a personal number ring others makes it shared."""
    found = []
    if change.owner:
        found.append(
            f"personal number of {escape(owner_name(plan, change))}: Close lets only its owner "
            "change it"
        )
    if change.shares:
        found.append("turns a personal number into a shared one")
    return found


def verdict_lines(plan: Plan) -> list[str]:
    """Apply's verdict on the plan, then what Close will refuse; nothing for a plan without
    changes or one saved before plans carried a verdict."""
    if not plan.has_changes or plan.verdict is None:
        return []
    lines = [f"Safety: {plan.verdict.line}."]
    refused = refused_by_close(plan)
    if refused:
        count = f"{len(refused)} change{_s(len(refused))}"
        lines.append(
            f"Close will refuse {count}: {'; '.join(refused)} (only its owner can change it)."
        )
    return lines


def last_changed(change: NumberChange) -> str | None:
    """`2026-11-30 14:02 UTC`: when Close last changed the number, as a reviewer reads it; what
    Close sent when it is no timestamp (unescaped: each renderer escapes it for its context)."""
    if not change.date_updated:
        return None
    try:
        moment = datetime.fromisoformat(change.date_updated)
    except ValueError:
        return change.date_updated
    if moment.tzinfo is None:  # Close's own examples mix naive and +00:00 timestamps
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def released_line(plan: Plan, item: NoLongerManaged) -> str:
    """`no longer managed: +1 650-333-4445 voicemail_greeting_url (Close keeps "https://…")`
    (unescaped: each renderer escapes it for its context)."""
    what, field, keeps = _released_parts(plan, item)
    return f"no longer managed: {what}{' ' + field if field else ''} ({_kept(keeps)})"


def _kept(keeps: str) -> str:
    return keeps if keeps.startswith("the whole") else f"Close keeps {keeps}"


def _released_parts(plan: Plan, item: NoLongerManaged) -> tuple[str, str, str]:
    """What is let go, which field of it, and what Close keeps: a value as JSON, `its members`
    (not read), or `the whole number; Close keeps its settings`."""
    if item.kind == "number":
        label = f" {json.dumps(item.label, ensure_ascii=False)}" if item.label else ""
        what = f"{phone.display(item.name)}{label}"
        return what, "", "the whole number; Close keeps its settings"
    value = json.dumps(shown_keeps(item, plan.emails, plan.group_names), ensure_ascii=False)
    if item.kind == "group":
        # A group's members not read (no groups could be): said, not shown as null.
        value = "its members" if item.keeps is None else value
        return f"group {json.dumps(item.name, ensure_ascii=False)}", item.field, value
    return phone.display(item.name), item.field, value


def released_heading(plan: Plan) -> str | None:
    """The line over what --base lets go; None without --base."""
    if plan.base is None:
        return None
    if not plan.no_longer_managed:
        return f"Compared with the base {plan.base}, the config stops managing nothing."
    return (
        f"Compared with the base {plan.base}, the config no longer manages these; Close keeps "
        "them as they are:"
    )


def waiver_text(waiver: Waiver) -> str:
    """`+1 650-333-4445 min_ringing: "night line" (numbers.yaml:17)`, unescaped: each renderer
    escapes it for where it goes."""
    reason = json.dumps(waiver.reason, ensure_ascii=False)
    unneeded = "" if waiver.needed else "; not needed now: the number keeps the rule"
    where = f"{waiver.file}:{waiver.line}"
    return f"{phone.display(waiver.number)} {waiver.rule}: {reason} ({where}){unneeded}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def by_file(plan: Plan) -> list[tuple[str, list[NumberChange]]]:
    """The changes under each file that has any, files in the plan's order."""
    grouped: dict[str, list[NumberChange]] = {f.path: [] for f in plan.files}
    for change in plan.changes:
        grouped.setdefault(change.file, []).append(change)
    return [(path, changes) for path, changes in grouped.items() if changes]


def _changes_by_file(plan: Plan) -> list[tuple[str, list[NumberChange], list[GroupChange]]]:
    """The number and group changes under each file that has any, files in the plan's order."""
    grouped: dict[str, tuple[list[NumberChange], list[GroupChange]]] = {
        f.path: ([], []) for f in plan.files
    }
    for change in plan.changes:
        grouped.setdefault(change.file, ([], []))[0].append(change)
    for group in plan.groups:
        grouped.setdefault(group.file, ([], []))[1].append(group)
    return [(path, *both) for path, both in grouped.items() if both[0] or both[1]]


def group_lines(
    plan: Plan, change: GroupChange, indent: str, style: Style = _plain, *, diff: bool = False
) -> Iterator[str]:
    """The body of one group's block: a `+`/`-` line per member added or removed, with the
    numbers that start or stop ringing them. With `diff`, the marker starts the line."""
    for marker, text in GROUPS.lines(change, plan.emails):
        kind = "add" if marker == "+" else "remove"
        line = f"{marker}{indent[1:]}{escape(text)}" if diff else f"{indent}{marker} {escape(text)}"
        yield style(line, kind)


def _by_file(plan: Plan) -> bool:
    """Whether the plan is shown file by file: a directory of files; one file keeps the plain
    layout."""
    return len(plan.files) > 1


def value_text(value: Any) -> str:
    """A value as JSON, with what JSON leaves raw (NEL, U+2028, C1 and bidi controls) escaped."""
    return escape(json.dumps(value, ensure_ascii=False))


def _header(change: NumberChange) -> str:
    label = f" {value_text(change.label)}" if change.label else ""
    when = last_changed(change)
    changed = f"  (last changed in Close {escape(when)})" if when else ""
    return f"{escape(phone.display(change.number))}{label}{changed}"


def _item(plan: Plan, name: str, item: str) -> str:
    known = plan.emails if name == "participants" else plan.group_names
    return f"{item} ({known[item]})" if item in known else item


def change_lines(
    plan: Plan, change: NumberChange, indent: str, style: Style = _plain, *, diff: bool = False
) -> Iterator[str]:
    """The body of one number's block: its risks, then aligned `field: old -> new`, and
    `+`/`-` lines for sets. With `diff`, the marker starts the line so that a ```diff block
    colours it."""
    for mark in marks(plan, change):
        yield style(f"!{indent[1:]}{mark}" if diff else f"{indent}! {mark}", "risk")
    if change.risks:
        line = f"! risk: {', '.join(change.risks)}"
        yield style(f"!{indent[1:]}{line[2:]}" if diff else f"{indent}{line}", "risk")
    width = max(len(c.field) for c in change.fields) + 1
    for c in change.fields:
        if c.field in SET_FIELDS:
            yield f"{indent}{c.field}:"
            for marker, kind, items in (("+", "add", c.added), ("-", "remove", c.removed)):
                for item in items:
                    text = escape(_item(plan, c.field, item))
                    line = f"{marker}{indent[1:]}  {text}" if diff else f"{indent}  {marker} {text}"
                    yield style(line, kind)
        else:
            before, after = value_text(c.before), value_text(c.after)
            yield f"{indent}{c.field + ':':<{width}} {before} -> {after}"
    if change.rings_before is None or change.rings_after is None:
        return
    yield f"{indent}rings:"
    kinds = {"+": "add", "-": "remove"}
    for marker, text in ring_lines(plan, change.rings_before, change.rings_after):
        text = escape(text)
        if marker in kinds:
            line = f"{marker}{indent[1:]}  {text}" if diff else f"{indent}  {marker} {text}"
            yield style(line, kinds[marker])
        else:
            yield f" {indent[1:]}  {text}" if diff else f"{indent}    {text}"


def ring_lines(plan: Plan, before: Rings, after: Rings) -> list[tuple[str, str]]:
    """Who a number rings before and after, one (marker, text) each: `+` rings only after, `-`
    only before, ` ` both; people first (group members marked `(via GROUP)`), then external
    numbers, then the groups whose members were not read. Unescaped."""
    people = _diff(
        [(u, person(plan, u, after)) for u in after.users],
        [(u, person(plan, u, before)) for u in before.users],
    )
    numbers = _diff(
        [(n, phone.display(n)) for n in after.phone_numbers],
        [(n, phone.display(n)) for n in before.phone_numbers],
    )
    lines = people + numbers
    lines += [
        (" ", f"? the members of {plan.group_names.get(g, g)}: not read")
        for g in dict.fromkeys((*before.unread, *after.unread))
    ]
    if not (before.users or before.phone_numbers or before.unread):
        lines.insert(0, (" ", "(nobody before)"))
    if after.nobody:
        lines.append((" ", "(nobody after)"))
    return lines


def _diff(after: list[tuple[str, str]], before: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(marker, text) for items (key, text): those in both first (up to RINGS_KEPT_SHOWN of
    them), then those only after, then those only before (up to RINGS_CHANGED_SHOWN each)."""
    was = {key for key, _ in before}
    now = {key for key, _ in after}
    kept = [text for key, text in after if key in was]
    added = [text for key, text in after if key not in was]
    removed = [text for key, text in before if key not in now]
    return [
        *_some(" ", kept, RINGS_KEPT_SHOWN, "before and after"),
        *_some("+", added, RINGS_CHANGED_SHOWN, "after only"),
        *_some("-", removed, RINGS_CHANGED_SHOWN, "before only"),
    ]


def _some(marker: str, texts: list[str], most: int, where: str) -> list[tuple[str, str]]:
    shown = [(marker, text) for text in texts[:most]]
    if len(texts) > most:
        shown.append((marker, f"... and {len(texts) - most} more, {where}"))
    return shown


def person(plan: Plan, user_id: str, ring: Rings) -> str:
    """`carol@acme.example (via Support)`: a user by email (by id when unknown), with the groups
    they ring through; `(also via ...)` when they are a participant too."""
    name = plan.emails.get(user_id, user_id)
    groups = ", ".join(plan.group_names.get(g, g) for g in ring.via(user_id))
    if not groups:
        return name
    return f"{name} ({'also ' if ring.direct(user_id) else ''}via {groups})"


def render_text(plan: Plan, *, color: bool = False, show_unmanaged: bool = False) -> str:
    style: Style = _coloured if color else _plain
    out: list[str] = []
    everything = [("", list(plan.changes), list(plan.groups))]
    for path, changes, groups in _changes_by_file(plan) if _by_file(plan) else everything:
        if path:
            count = len(changes) + len(groups)
            out.append(style(f"# {escape(path)}: {count} to change", "file"))
            out.append("")
        for change in changes:
            out.append(style(f"  ~ {_header(change)}", "change"))
            out.extend(change_lines(plan, change, "      ", style))
            out.append("")
        for group in groups:
            out.append(style(f"  ~ {escape(GROUPS.header(group))}", "change"))
            out.extend(group_lines(plan, group, "      ", style))
            out.append("")
    out.extend(accepted_lines(plan, style))
    if show_unmanaged and plan.unmanaged:
        out.append("Unmanaged (not in the file, left alone):")
        for number in plan.unmanaged:
            label = f" {value_text(number.label)}" if number.label else ""
            out.append(f"    {escape(phone.display(number.number))}{label}")
        out.append("")
    heading = released_heading(plan)
    if heading is not None:
        out.append(escape(heading))
        out.extend(f"  {escape(released_line(plan, item))}" for item in plan.no_longer_managed)
        out.append("")
    if plan.waivers:
        out.append(f"Policy waivers ({len(plan.waivers)}):")
        out.extend(f"    {escape(waiver_text(w))}" for w in plan.waivers)
        out.append("")
    for warning in plan.warnings:
        out.append(style(f"Warning: {escape(warning)}", "warn"))
    if plan.warnings:
        out.append("")
    risky = risk_summary(plan)
    if risky:
        out.append(style(f"! {risky}", "risk"))
    refuses = plan.verdict is not None and plan.verdict.refuses
    for n, line in enumerate(verdict_lines(plan)):
        out.append(style(escape(line), "risk") if n or refuses else escape(line))
    out.append(summary(plan))
    return "\n".join(out) + "\n"


def _accepted_value(plan: Plan, a: AcceptedDifference, value: Any) -> str:
    """A value of an accepted difference; ids of a set field with their names."""
    if a.field in SET_FIELDS or a.group is not None:
        name = "participants" if a.group is not None else a.field  # a group's members are users
        return "[" + ", ".join(_item(plan, name, item) for item in value or ()) + "]"
    return json.dumps(value, ensure_ascii=False)


def accepted_entry(plan: Plan, a: AcceptedDifference) -> tuple[str, str]:
    """What a held acceptance is (`forward_to: Close has X, the file wants Y`) and on what terms
    (`accepted until DAY: REASON`), unescaped."""
    what = (
        f"{a.field}: Close has {_accepted_value(plan, a, a.before)}, "
        f"the file wants {_accepted_value(plan, a, a.after)}"
    )
    return what, f"accepted until {a.until}: {a.reason}"


def accepted_subject(a: AcceptedDifference) -> str:
    """What an acceptance is of: a number, or a managed group (unescaped)."""
    return f"group {a.group}" if a.group is not None else phone.display(a.number)


def lapsed_entry(plan: Plan, a: AcceptedDifference) -> str:
    """One acceptance that no longer holds, and why (unescaped)."""
    return (
        f"{accepted_subject(a)} {a.field} (accepted until {a.until}: {a.reason}): "
        f"no longer holds: {a.why}"
    )


def accepted_lines(plan: Plan, style: Style = _plain) -> list[str]:
    """The text plan's sections on accepted drift: what is accepted (not applied, not counted),
    then the acceptances that no longer hold and why."""
    out: list[str] = []
    held = plan.accepted_holding
    if held:
        out.append("Accepted drift (not applied, not counted as changes):")
        for n, a in enumerate(held):
            label = f" {value_text(a.label)}" if a.label else ""
            what, terms = accepted_entry(plan, a)
            if not n or held[n - 1].id != a.id:
                where = f"  (in {escape(a.file)})" if _by_file(plan) and a.file else ""
                out.append(f"  = {escape(accepted_subject(a))}{label}{where}")
            out.append(f"      {escape(what)}")
            out.append(f"      {escape(terms)}")
        out.append("")
    lapsed = plan.accepted_lapsed
    if lapsed:
        out.append("Acceptances that no longer hold:")
        out.extend(style(f"  ! {escape(lapsed_entry(plan, a))}", "warn") for a in lapsed)
        out.append("")
    return out


def _markdown_accepted(plan: Plan) -> list[str]:
    """The Markdown plan's sections on accepted drift: a table, then an alert for the
    acceptances that no longer hold."""
    out: list[str] = []
    held = plan.accepted_holding
    if held:
        out += [
            f"**Accepted drift** (not applied, not counted as changes): {len(held)}",
            "",
            "| Number | Field | Close has | The file wants | Until | Reason |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for a in held[:MARKDOWN_TABLE_ROWS]:
            cells = (
                accepted_subject(a),
                a.field,
                _accepted_value(plan, a, a.before),
                _accepted_value(plan, a, a.after),
                a.until,
                a.reason,
            )
            out.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
        hidden = len(held) - MARKDOWN_TABLE_ROWS
        if hidden > 0:
            out.append(f"| … | {hidden} more | run `numbersync plan` to see them | | | |")
        out.append("")
    lapsed = plan.accepted_lapsed
    if lapsed:
        out.append("> [!WARNING]")
        out.append("> Acceptances that no longer hold:")
        out += [f"> - {markdown_cell(lapsed_entry(plan, a))}" for a in lapsed[:MARKDOWN_TABLE_ROWS]]
        if len(lapsed) > MARKDOWN_TABLE_ROWS:
            out.append(f"> - … and {len(lapsed) - MARKDOWN_TABLE_ROWS} more")
        out.append("")
    return out


# --- markdown ---------------------------------------------------------------------------------


def render_markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: summary first, a table, then the details folded; never over
    `limit` characters (the middle of the details is cut, and the cut is said). A plan of a
    directory has a section per file with changes, each headed by that file's summary line,
    which no cut removes."""
    head = [MARKDOWN_MARKER, "### numbersync plan", "", *_markdown_verdict(plan)]
    head += [f"**{summary(plan)}**", ""]
    risky = risk_summary(plan, markdown_cell)
    if risky:
        head += [f"> [!WARNING]\n> {risky}", ""]
    files = f", {len(plan.files)} files" if _by_file(plan) else ""
    config = markdown_cell(plan.config_path, code=True)
    head.append(f"Config {config} ({markdown_cell(plan.fingerprint[:19], code=True)}){files}")
    head.append("")
    for warning in plan.warnings:
        head.append(f"> **Warning:** {markdown_cell(warning)}")
        head.append("")
    head += _markdown_accepted(plan)
    head += _markdown_released(plan)
    # The groups' part takes up to a third of the comment beside number changes, all of it alone.
    share = limit // 3 if plan.changes else limit - len("\n".join(head)) - 200
    groups = _markdown_groups(plan, share)
    head += _markdown_waivers(plan)
    if _by_file(plan):
        text = _markdown_by_file(plan, head, limit - len("\n".join(groups)) - 2)
        return text.rstrip("\n") + "\n\n" + "\n".join(groups) if groups else text
    if not plan.changes:
        return "\n".join(head + groups)
    head += [*_table(plan, plan.changes), ""]
    details = _details(plan, plan.changes)
    opening, closing = _fold(details)
    room = limit - len("\n".join(head + opening + closing + groups)) - 200
    return "\n".join(head + opening + _cut_middle(details, room) + closing + groups)


def _markdown_groups(plan: Plan, budget: int) -> list[str]:
    """The groups whose membership changes: a table, then each one's members folded, the middle
    cut to fit `budget` characters."""
    if not plan.groups:
        return []
    lines = [
        "#### Groups",
        "",
        "| Group | File | Members added | Members removed | Numbers whose ringing changes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for change in plan.groups:
        name = markdown_cell(change.name)
        file = markdown_cell(change.file, code=True)
        lines.append(
            f"| {name} | {file} | {len(change.added)} | {len(change.removed)} | "
            f"{len(change.numbers)} |"
        )
    details = []
    for change in plan.groups:
        details.append(f"~ {escape(GROUPS.header(change))}")
        details.extend(group_lines(plan, change, "    ", diff=True))
    opening, closing = _fold(details)
    room = budget - len("\n".join(lines + opening + closing)) - 2 - _NOTICE_ROOM
    return [*lines, "", *opening, *_cut_middle(details, room), *closing]


def _markdown_released(plan: Plan) -> list[str]:
    """What --base lets go, above the changes: a deletion in the diff that changes nothing in
    Close is what a reviewer most easily misreads."""
    heading = released_heading(plan)
    if heading is None:
        return []
    items = plan.no_longer_managed
    lines = [f"**{markdown_cell(heading)}**", ""]
    for item in items[:MARKDOWN_RELEASED_ROWS]:
        what, field, keeps = _released_parts(plan, item)
        field = f" {markdown_cell(field, code=True)}" if field else ""
        if keeps.startswith(("the whole", "its ")):
            kept = markdown_cell(_kept(keeps))
        else:
            # A long list (every participant of a number) would crowd out the plan itself.
            if len(keeps) > MARKDOWN_VALUE_LIMIT:
                keeps = keeps[: MARKDOWN_VALUE_LIMIT - 1] + "…"
            kept = f"Close keeps {markdown_cell(keeps, code=True)}"
        lines.append(f"- no longer managed: {markdown_cell(what)}{field} ({kept})")
    hidden = len(items) - MARKDOWN_RELEASED_ROWS
    if hidden > 0:
        lines.append(f"- and {hidden} more; run `numbersync plan --base` for the full list")
    return [*lines, ""] if items else lines


def _markdown_waivers(plan: Plan) -> list[str]:
    """The policy waivers as a table: few, and each one a reviewer should see."""
    if not plan.waivers:
        return []
    lines = [
        f"**Policy waivers ({len(plan.waivers)}):**",
        "",
        "| Number | Rule | Reason | Where |",
        "| --- | --- | --- | --- |",
    ]
    for w in plan.waivers:
        rule = f"`{w.rule}`" + ("" if w.needed else " (not needed now: the number keeps it)")
        where = markdown_cell(f"{w.file}:{w.line}", code=True)
        number = markdown_cell(phone.display(w.number))
        lines.append(f"| {number} | {rule} | {markdown_cell(w.reason)} | {where} |")
    return [*lines, ""]


def _markdown_verdict(plan: Plan) -> list[str]:
    """The verdict first: what apply will do, then what Close will refuse, as alerts when they
    stop something."""
    lines = verdict_lines(plan)
    if not lines:
        return []
    assert plan.verdict is not None
    first = markdown_cell(lines[0].removeprefix("Safety: "))
    if plan.verdict.refuses:
        out = ["> [!CAUTION]", f"> **Safety:** {first}", ""]
    else:
        out = [f"**Safety:** {first}", ""]
    if len(lines) > 1:
        out += ["> [!WARNING]", f"> {markdown_cell(lines[1])}", ""]
    return out


def _table(
    plan: Plan, changes: list[NumberChange] | tuple[NumberChange, ...], rows: int = -1
) -> list[str]:
    rows = MARKDOWN_TABLE_ROWS if rows < 0 else rows
    lines = [
        "| Number | Label | Changed fields | Last changed in Close |",
        "| --- | --- | --- | --- |",
    ]
    for change in changes[:rows]:
        fields = ", ".join(f"`{c.field}`" for c in change.fields)
        for mark in marks(plan, change):
            fields += f" 🔒 {markdown_cell(mark)}"
        if change.risks:
            fields += f" ⚠️ {', '.join(change.risks)}"
        number = markdown_cell(phone.display(change.number))
        label = markdown_cell(change.label or "")
        when = markdown_cell(last_changed(change) or "")
        lines.append(f"| {number} | {label} | {fields} | {when} |")
    hidden = len(changes) - rows
    if hidden > 0:
        lines.append(f"| … | {hidden} more number{_s(hidden)} | see the details | |")
    return lines


def _details(plan: Plan, changes: list[NumberChange] | tuple[NumberChange, ...]) -> list[str]:
    details: list[str] = []
    for change in changes:
        details.append(f"~ {_header(change)}")
        details.extend(change_lines(plan, change, "    ", diff=True))
    return details


def _fold(details: list[str]) -> tuple[list[str], list[str]]:
    """The lines that open and close a folded ```diff block able to hold `details`."""
    fence = markdown_fence(details)
    opening = ["<details><summary>Details</summary>", "", f"{fence}diff"]
    return opening, [fence, "", "</details>", ""]


def _markdown_by_file(plan: Plan, head: list[str], limit: int) -> str:
    unchanged = {f.path: f.unchanged for f in plan.files}
    grouped = by_file(plan)
    sections = []
    for path, changes in grouped:
        summary_line = (
            f"#### {markdown_cell(path, code=True)}: {len(changes)} to change, "
            f"{unchanged.get(path, 0)} unchanged"
        )
        sections.append((summary_line, changes, _details(plan, changes)))
    # A file whose only changes are its groups' has them in the groups' section.
    changed = {path for path, _ in grouped} | {g.file for g in plan.groups}
    quiet = [f for f in plan.files if f.path not in changed and f.unchanged]
    tail = []
    if quiet:
        listed = ", ".join(
            f"{markdown_cell(f.path, code=True)} ({f.unchanged} unchanged)" for f in quiet
        )
        if len(listed) > limit // 4:
            listed = f"{len(quiet)} files ({sum(f.unchanged for f in quiet)} numbers unchanged)"
        tail = [f"No changes in {listed}.", ""]
    # Each file's summary line always shows; what is left is shared among the files' tables
    # and details, a small file keeping all of its own and the largest ones cut.
    fixed = len("\n".join(head + tail)) + sum(len(line) + 2 for line, _, _ in sections)
    budget = limit - fixed - 200
    if budget < 0:
        lines = [line for line, _, _ in sections]
        kept = _cut_middle(lines, limit - len("\n".join(head + tail)) - 200)
        return "\n".join([*head, *kept, "", *tail])
    bodies = [_section(plan, changes, details, None) for _, changes, details in sections]
    shares = _shares([len("\n".join(body)) + 1 for body in bodies], budget)
    out = list(head)
    for (line, changes, details), body, share in zip(sections, bodies, shares, strict=True):
        if len("\n".join(body)) + 1 > share:
            body = _section(plan, changes, details, share)
        out += [line, "", *body]
    return "\n".join(out + tail)


def _section(
    plan: Plan, changes: list[NumberChange], details: list[str], budget: int | None
) -> list[str]:
    """A file's table and folded details; within `budget` characters when given: up to a third
    for the table, the rest for the details, cut in the middle."""
    opening, closing = _fold(details)
    if budget is None:
        return [*_table(plan, changes), "", *opening, *details, *closing]
    rows = min(MARKDOWN_TABLE_ROWS, len(changes))
    while rows and len("\n".join(_table(plan, changes, rows))) > budget // 3:
        rows -= 1
    table = [*_table(plan, changes, rows), ""]
    room = budget - len("\n".join(table + opening + closing)) - 2 - _NOTICE_ROOM
    return [*table, *opening, *_cut_middle(details, room), *closing]


def _shares(sizes: list[int], budget: int) -> list[int]:
    """`budget` split among parts of `sizes`: each gets what it needs up to an equal share of
    what the smaller ones leave."""
    shares = [0] * len(sizes)
    left = budget
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    for n, i in enumerate(order):
        shares[i] = min(sizes[i], left // (len(sizes) - n))
        left -= shares[i]
    return shares


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


def render_json(plan: Plan) -> str:
    return escape_json(json.dumps(plan_document(plan), indent=2, ensure_ascii=False)) + "\n"
