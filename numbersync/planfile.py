"""Read a saved plan (`plan --out PLANFILE`) back into a Plan, refusing anything malformed."""

from __future__ import annotations

import json
from typing import Any

from numbersync.errors import UsageError
from numbersync.models import MANAGED_FIELDS, SET_FIELDS, Safety
from numbersync.plan import FieldChange, FileSummary, NumberChange, Plan, UnmanagedNumber
from numbersync.render import FORMAT_VERSION
from numbersync.yamlsource import read_file


def read_plan(path: str) -> Plan:
    raw = read_file(path)
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path} is not a numbersync plan file ({exc})") from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise UsageError(f"{path} is not a numbersync plan file (no format_version)")
    if document["format_version"] != FORMAT_VERSION:
        raise UsageError(
            f"{path} has plan format {document['format_version']!r}; this numbersync reads "
            f"{FORMAT_VERSION}",
            hint="make the plan again with this version of numbersync",
        )
    try:
        return _plan(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path} is not a valid numbersync plan file ({exc!r})") from None


def _plan(document: dict[str, Any]) -> Plan:
    config_path = str(document["config"]["path"])
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in document["changes"]:
        if row["field"] not in MANAGED_FIELDS:
            raise ValueError(f"unknown field {row['field']}")
        grouped.setdefault(str(row["id"]), []).append(row)
    changes = []
    for number_id, rows in grouped.items():
        first = rows[0]
        fields = tuple(
            FieldChange(r["field"], _value(r["field"], r["before"]), _value(r["field"], r["after"]))
            for r in rows
        )
        # Plans saved before directories of files carry no `file`: their one file is the config.
        file = str(first.get("file", config_path))
        updated = first.get("date_updated")
        changes.append(
            NumberChange(
                number_id,
                str(first["number"]),
                first["label"],
                str(first["key"]),
                fields,
                file,
                updated if isinstance(updated, str) else None,
            )
        )
    safety = document.get("safety") or {}
    files = tuple(
        FileSummary(str(f["path"]), int(f["change"]), int(f["unchanged"]))
        for f in document.get("files", ())
    )
    return Plan(
        changes=tuple(changes),
        unchanged=tuple(str(n) for n in document["unchanged"]),
        unmanaged=tuple(
            UnmanagedNumber(str(n["id"]), str(n["number"]), n["label"])
            for n in document["unmanaged"]
        ),
        warnings=tuple(str(w) for w in document.get("warnings", ())),
        emails=dict(document.get("users", {})),
        group_names=dict(document.get("groups", {})),
        config_path=config_path,
        fingerprint=str(document["config"]["fingerprint"]),
        safety=Safety(
            float(safety.get("max_change_percent", Safety.max_change_percent)),
            int(safety.get("min_managed", Safety.min_managed)),
        ),
        files=files or _files_of(changes, config_path),
        untargeted=int(document.get("summary", {}).get("untargeted", 0)),
    )


def _files_of(changes: list[NumberChange], config_path: str) -> tuple[FileSummary, ...]:
    """For a plan saved without `files`: the files its changes name (unchanged counts unknown)."""
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.file] = counts.get(change.file, 0) + 1
    return tuple(FileSummary(path, n, 0) for path, n in counts.items()) or (
        FileSummary(config_path, 0, 0),
    )


def _value(name: str, value: Any) -> Any:
    if name in SET_FIELDS:
        if not isinstance(value, list):
            raise ValueError(f"{name} must be a list")
        return tuple(str(item) for item in value)
    return value
