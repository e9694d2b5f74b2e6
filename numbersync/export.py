"""Write the account's current settings as a desired-state file that validates and plans clean:
participants as emails, groups as names, only writable fields, numbers sorted."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from numbersync import __version__
from numbersync.config import schema
from numbersync.models import MANAGED_FIELDS, SET_FIELDS, LiveNumber
from numbersync.plan import Directory, normalise_live


def _scalar(value: Any) -> str:
    # JSON scalars are valid YAML, and quoting every string keeps `yes`, `null` or `+1...` text.
    return json.dumps(value, ensure_ascii=False)


def _flow(items: Iterable[str]) -> str:
    return "[" + ", ".join(_scalar(item) for item in items) + "]"


def export_yaml(
    numbers: Iterable[LiveNumber], directory: Directory, *, source: str, when: str
) -> str:
    emails = {u.id: u.email for u in directory.users or ()}
    emails_taken = [u.email.casefold() for u in directory.users or ()]
    names = {g.id: g.name for g in directory.groups or ()}
    lines = [
        f"# yaml-language-server: $schema={schema()['$id']}",
        f"# Exported from {source} on {when} by numbersync {__version__}.",
        "# Every number of the account is listed: delete the ones you do not want to manage.",
        "version: 1",
        "numbers:",
    ]
    for live in sorted(numbers, key=lambda n: n.number):
        lines.append(f"  {_scalar(live.number)}:")
        for name in MANAGED_FIELDS:
            if name not in live.fields:
                continue
            value = normalise_live(name, live.fields[name], live.raw)
            if name == "participants":
                # An email shared by two users would be ambiguous: keep the id then.
                value = [
                    emails[v]
                    if v in emails and emails_taken.count(emails[v].casefold()) == 1
                    else v
                    for v in value
                ]
            elif name == "participant_groups":
                value = [names.get(v, v) for v in value]
            if name in SET_FIELDS:
                lines.append(f"    {name}: {_flow(value)}")
            elif value is None and name != "voicemail_greeting_url":
                continue  # label and forward_to cannot be set to null; leave them unmanaged
            else:
                lines.append(f"    {name}: {_scalar(value)}")
    if lines[-1] == "numbers:":
        lines[-1] = "numbers: {}"
    return "\n".join(lines) + "\n"
