"""Read a saved plan (`plan --out PLANFILE`) back into the Plan that `write` made it of. Every
file is checked against schemas/plan.schema.json first, each problem reported at its JSON path, so
that a hand-edited plan can never send a key or a value the plan format could not hold."""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from numbersync import schemacheck
from numbersync.account import Verdict
from numbersync.errors import Diagnostic, InputError, Path, Position, UsageError, json_path
from numbersync.escape import escape
from numbersync.files import UnreadableError, read_file
from numbersync.kinds.groups import KIND as GROUPS
from numbersync.models import RINGING_FIELDS, SET_FIELDS, Safety
from numbersync.plan import (
    AcceptedDifference,
    FieldChange,
    FileSummary,
    NumberChange,
    Plan,
    UnmanagedNumber,
)
from numbersync.policy import Waiver
from numbersync.resources import shipped_text
from numbersync.ringing import GroupRing, Rings
from numbersync.savedplan.write import FORMAT_VERSION
from numbersync.unmanaged import NoLongerManaged

# A plan grows with what it changes, not with the config: 1 GiB holds every field of as many
# numbers as a list read accepts (paging.MAX_ITEMS; sizes in the README's "What `apply PLANFILE`
# checks"), with room for long lists of participants, and still stops a pipe that never ends.
MAX_PLAN_BYTES = 1 << 30
HINT = (
    "make the plan again with `numbersync plan --out PLANFILE`; a plan file is not edited by hand"
)


@dataclass(frozen=True)
class PlanProblem(Diagnostic):
    """A problem of a plan file, printed `PLANFILE: $.changes[3].after: message`: JSON keeps no
    lines to point at, so the path says where. Problems sort in the order of the file."""

    where: tuple[tuple[int, int | str], ...] = ()

    def __str__(self) -> str:
        return escape(f"{self.position.file}: {self.path}: {self.message}")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PlanProblem):
            return NotImplemented
        return (self.where, self.message) < (other.where, other.message)


def read_plan(path: str) -> Plan:
    """The plan saved at `path`. UsageError when the file is no plan at all or of another format
    version; InputError with every problem when it does not match the plan's schema."""
    document, repeated = _load(path)
    found = [*repeated, *schema_problems(document)]
    if not found:
        found = list(_disagreements(document))
    if found:
        problems = (
            PlanProblem(Position(path, 0, 0), json_path(at), message, _order(at))
            for at, message in found
        )
        raise InputError(problems, hint=HINT)
    return _plan(document)


def _load(path: str) -> tuple[Any, list[tuple[Path, str]]]:
    """The file's JSON, and each key that an object of it names twice."""
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory, not a plan file")
    try:
        raw = read_file(path, MAX_PLAN_BYTES)
    except UnreadableError as exc:
        hint = (
            "save one with `numbersync plan --out PLANFILE`"
            if exc.reason == "no such file"
            else None
        )
        raise UsageError(exc.message, hint) from None
    twice: list[bool] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(items)
        if len(found) == len(items):
            return found
        twice.append(True)
        return _Repeated(found, items)

    try:
        document = json.loads(
            raw.decode("utf-8"), object_pairs_hook=pairs, parse_constant=_not_json
        )
    except (UnicodeDecodeError, ValueError) as exc:  # json's errors are ValueErrors
        raise UsageError(f"{path} is not a numbersync plan file ({exc})") from None
    except RecursionError:
        raise UsageError(f"{path} is not a numbersync plan file (nested too deeply)") from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise UsageError(f"{path} is not a numbersync plan file (no format_version)")
    version = document["format_version"]
    # Exactly the integer the writer writes: 1.0 and true equal 1 in Python, and 1.0 in JSON
    # Schema's `const` too.
    if type(version) is not int or version != FORMAT_VERSION:
        shown = json.dumps(version, ensure_ascii=False)[:40]
        raise UsageError(
            f"{path} has plan format {shown}; this numbersync reads {FORMAT_VERSION}",
            hint="make the plan again with this version of numbersync",
        )
    return document, list(_repeated_keys(document)) if twice else []


class _Repeated(dict[str, Any]):
    """A JSON object that names a key twice: json keeps the last value, a reader may see the
    first, so the file is refused."""

    def __init__(self, found: dict[str, Any], items: list[tuple[str, Any]]) -> None:
        super().__init__(found)
        counts = Counter(name for name, _ in items)
        self.repeated = sorted(name for name, count in counts.items() if count > 1)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _repeated_keys(document: Any) -> Iterator[tuple[Path, str]]:
    pending: list[tuple[Path, Any]] = [((), document)]
    while pending:  # not recursive: the file's nesting is not ours to choose
        path, node = pending.pop()
        if isinstance(node, dict):
            for name in getattr(node, "repeated", ()):
                yield (*path, name), "written twice in one object; a plan names each key once"
            pending.extend(((*path, key), value) for key, value in node.items())
        elif isinstance(node, list):
            pending.extend(((*path, i), value) for i, value in enumerate(node))


def _order(path: Path) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in path)


# --- the schema ----------------------------------------------------------------------------------


@cache
def schema() -> dict[str, Any]:
    """The plan's JSON Schema: shipped inside the package, or read from the source tree."""
    loaded: dict[str, Any] = json.loads(shipped_text("schemas/plan.schema.json"))
    return loaded


def schema_problems(document: Any) -> list[tuple[Path, str]]:
    """Every place where `document` differs from the plan's schema, with what is wrong there."""
    failure = _quick_failure(document)
    if failure is None:
        return []
    found: dict[tuple[Path, str], None] = {}
    for error in _validator().iter_errors(document):
        found.update(dict.fromkeys((p.path, p.message) for p in schemacheck.explain(error)))
    # The two validators are held to agree by the tests; should they not, the file still fails.
    return list(found) or [((), failure)]


QUICK_CHECK_MODULE = os.path.join(os.path.dirname(__file__), "_plan_check.py")


def quick_check_source() -> str:
    """The source of numbersync/savedplan/_plan_check.py: the schema in two parts, the document
    without the per-field rules of a change (`validate`), and those rules by field
    (`validate_<field>`). Whole, its eight failing `if`s per change took most of the time of
    reading a large plan. Regenerate with `python -m numbersync.savedplan.read`."""
    whole = copy.deepcopy(schema())
    rules = whole["$defs"]["change"].pop("allOf")
    parts = {"validate": whole}
    for rule in rules:
        parts[rule["if"]["properties"]["field"]["const"]] = rule["then"]
    header = (
        "# Generated from schemas/plan.schema.json by\n"
        "# numbersync.savedplan.read.quick_check_source:\n"
        "# do not edit; regenerate with `python -m numbersync.savedplan.read`.\n"
    )
    return schemacheck.quick_check_source(header, parts)


def _quick_failure(document: Any) -> str | None:
    """None when the document is valid; else the first problem the quick check met (it stops
    there: jsonschema then explains them all)."""
    from numbersync.savedplan import _plan_check

    try:
        _plan_check.validate(document)
        for change in document["changes"]:
            getattr(_plan_check, f"validate_{change['field']}")(change)
    except ValueError as exc:
        return str(exc)
    return None


@cache
def _validator() -> Any:
    return schemacheck.validator(schema())


# --- what the schema cannot say ------------------------------------------------------------------


def _disagreements(document: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """In a document the schema accepts: each number's changes agree on the number and change a
    field once; each risk and count is the one the changes make; who a number rings is given
    once, for a number whose ringing fields change."""
    changes = document["changes"]
    first: dict[str, int] = {}
    fields: dict[tuple[str, str], int] = {}
    risky: set[str] = set()
    removing: set[str] = set()  # numbers whose ringing fields lose items
    # Plans saved before they said who rings judged a ringing field by what it removes.
    says_who_rings = "rings" in document
    for i, row in enumerate(changes):
        number_id, name = row["id"], row["field"]
        j = first.setdefault(number_id, i)
        for key in ("number", "key", "file", "label", "date_updated", "owner", "shares"):
            if row.get(key) != changes[j].get(key):
                yield (
                    ("changes", i, key),
                    f"differs from $.changes[{j}].{key}, the first change of {number_id}",
                )
        j = fields.setdefault((number_id, name), i)
        if j != i:
            message = f"a second change of {name} for {number_id} (the first is $.changes[{j}])"
            yield ("changes", i, "field"), message
        change = _field_change(row)
        risk = change.risk
        if change.removal_risk:
            removing.add(number_id)
        if change.field in RINGING_FIELDS and not says_who_rings:
            risk = change.removal_risk
        risky.update([number_id] if change.risk else [])
        if "risk" in row and row["risk"] != risk:
            wanted, got = schemacheck.describe(risk), schemacheck.describe(row["risk"])
            message = f"must be {wanted} for this change, got {got}"
            yield ("changes", i, "risk"), message
    said = yield from _ring_disagreements(document, first, fields, risky)
    # A number no entry says who rings for is judged by its fields, as NumberChange does.
    risky.update(removing - said)
    yield from _group_disagreements(document.get("group_changes", []))
    summary = document["summary"]
    counts = {
        "change": (len(first), "the numbers the changes name"),
        "unchanged": (len(document["unchanged"]), "the length of $.unchanged"),
        "unmanaged": (len(document["unmanaged"]), "the length of $.unmanaged"),
        "risky": (len(risky), "the numbers with a risky change"),
        "group_change": (len(document.get("group_changes", [])), "the length of $.group_changes"),
    }
    for name, (count, what) in counts.items():
        if name in summary and summary[name] != count:
            yield ("summary", name), f"must be {count} ({what}), got {summary[name]}"


def _group_disagreements(rows: list[dict[str, Any]]) -> Iterator[tuple[Path, str]]:
    """Each group changed once; its members added and removed those that `before` and `after`
    make; its `numbers` every number a member line names."""
    first: dict[str, int] = {}
    for i, row in enumerate(rows):
        j = first.setdefault(row["id"], i)
        if j != i:
            yield ("group_changes", i, "id"), f"a second change of {row['id']} (the first is "
            f"$.group_changes[{j}])"
            continue
        change = GROUPS.from_document(row)
        for side, users in (("added", change.added), ("removed", change.removed)):
            written = [member["user_id"] for member in row[side]]
            if written != list(users):
                message = f"must be {_listed(list(users))} (what before and after make)"
                yield ("group_changes", i, side), f"{message}, got {_listed(written)}"
        named = sorted({n for numbers in change.reach.values() for n in numbers})
        if sorted(row["numbers"]) != named:
            message = f"must be {_listed(named)} (the numbers its members' lines name)"
            yield ("group_changes", i, "numbers"), f"{message}, got {_listed(row['numbers'])}"


def _listed(items: list[str]) -> str:
    text = json.dumps(items, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _ring_disagreements(
    document: dict[str, Any],
    first: dict[str, int],
    fields: dict[tuple[str, str], int],
    risky: set[str],
) -> Generator[tuple[Path, str], None, set[str]]:
    """Each entry of `rings` names a changed number once, one whose ringing fields change, with
    the risk its two sides make; its risky numbers join `risky`. Returns the numbers it names."""
    changes = document["changes"]
    seen: dict[str, int] = {}
    for i, entry in enumerate(document.get("rings", ())):
        number_id = entry["id"]
        if number_id not in first:
            yield ("rings", i, "id"), f"{number_id} is not a number the changes name"
            continue
        if number_id in seen:
            yield (
                ("rings", i, "id"),
                f"a second entry for {number_id} (the first is $.rings[{seen[number_id]}])",
            )
            continue
        seen[number_id] = i
        if entry["number"] != changes[first[number_id]]["number"]:
            message = f"differs from $.changes[{first[number_id]}].number"
            yield ("rings", i, "number"), message
        if not any((number_id, name) in fields for name in RINGING_FIELDS):
            yield ("rings", i), f"{number_id} has no change of who it rings"
        before, after = _ring(entry["before"]), _ring(entry["after"])
        risk = _number_change(number_id, [], before, after).ring_risk
        risky.update([number_id] if risk else [])
        if entry["risk"] != risk:
            wanted, got = schemacheck.describe(risk), schemacheck.describe(entry["risk"])
            message = f"must be {wanted} for this change, got {got}"
            yield ("rings", i, "risk"), message
    return set(seen)


def _ring(side: dict[str, Any]) -> Rings:
    """Who a number rings, from one side of an entry of `rings`; `people` is for programs and
    follows from the rest."""
    return Rings(
        tuple(side["participants"]),
        tuple(
            GroupRing(g["id"], None if g["members"] is None else tuple(g["members"]))
            for g in side["groups"]
        ),
        tuple(side["phone_numbers"]),
    )


def _number_change(
    number_id: str, rows: list[dict[str, Any]], before: Rings | None, after: Rings | None
) -> NumberChange:
    return NumberChange(
        number_id,
        "",
        None,
        "",
        tuple(_field_change(row) for row in rows),
        rings_before=before,
        rings_after=after,
    )


# --- the Plan ------------------------------------------------------------------------------------


def _plan(document: dict[str, Any]) -> Plan:
    """The Plan of a document the schema accepts: only checked values reach a NumberChange, and
    so the body of a PUT."""
    config_path = document["config"]["path"]
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in document["changes"]:
        grouped.setdefault(row["id"], []).append(row)
    rings = {entry["id"]: entry for entry in document.get("rings", ())}
    changes = []
    for number_id, rows in grouped.items():
        first = rows[0]
        ring = rings.get(number_id)
        changes.append(
            NumberChange(
                number_id,
                first["number"],
                first["label"],
                first["key"],
                tuple(_field_change(row) for row in rows),
                # A plan without `file` was made from one file: the config.
                first.get("file", config_path),
                first.get("date_updated"),
                owner=first.get("owner"),
                shares=bool(first.get("shares", False)),
                rings_before=_ring(ring["before"]) if ring else None,
                rings_after=_ring(ring["after"]) if ring else None,
            )
        )
    safety = document["safety"]
    files = tuple(
        FileSummary(f["path"], int(f["change"]), int(f["unchanged"]))
        for f in document.get("files", ())
    )
    return Plan(
        changes=tuple(changes),
        unchanged=tuple(document["unchanged"]),
        unmanaged=tuple(
            UnmanagedNumber(n["id"], n["number"], n["label"]) for n in document["unmanaged"]
        ),
        warnings=tuple(document["warnings"]),
        emails=dict(document["users"]),
        group_names=dict(document["groups"]),
        config_path=config_path,
        fingerprint=document["config"]["fingerprint"],
        safety=Safety(float(safety["max_change_percent"]), int(safety["min_managed"])),
        files=files or _files_of(changes, config_path),
        untargeted=int(document["summary"].get("untargeted", 0)),
        verdict=_verdict(document.get("verdict")),
        groups=tuple(GROUPS.from_document(row) for row in document.get("group_changes", ())),
        base=document["base"]["name"] if "base" in document else None,
        no_longer_managed=_released(document.get("base")),
        accepted=tuple(_accepted(row, config_path) for row in document.get("accepted", ())),
        waivers=tuple(
            Waiver(w["number"], w["key"], w["file"], w["line"], w["rule"], w["reason"], w["needed"])
            for w in document.get("waivers", ())
        ),
    )


def _released(document: dict[str, Any] | None) -> tuple[NoLongerManaged, ...]:
    """What the plan's --base let go, to show again; none without --base."""
    if document is None:
        return ()
    return tuple(
        NoLongerManaged(
            item["kind"],
            item["id"],
            item["name"],
            item["field"],
            tuple(item["keeps"]) if isinstance(item["keeps"], list) else item["keeps"],
            item["label"],
            item["file"],
        )
        for item in document["no_longer_managed"]
    )


def _accepted(row: dict[str, Any], config_path: str) -> AcceptedDifference:
    """An acceptance of drift as the plan showed it: for `show` only, apply never writes it."""

    def value(v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else v

    return AcceptedDifference(
        row["id"],
        row.get("number", ""),  # a managed group's acceptance names no number
        row["key"],
        row["field"],
        value(row["before"]),
        value(row["after"]),
        value(row["value"]),
        row["reason"],
        row["until"],
        holds=bool(row["holds"]),
        why=row["why"],
        file=row.get("file", config_path),
        label=row.get("label"),
        group=row.get("group"),
    )


def _verdict(document: dict[str, Any] | None) -> Verdict | None:
    """The verdict the plan was made with, to show again (apply judges anew)."""
    return None if document is None else Verdict(tuple(document["reasons"]))


def _field_change(row: dict[str, Any]) -> FieldChange:
    name = row["field"]
    return FieldChange(name, _value(name, row["before"]), _value(name, row["after"]))


def _value(name: str, value: Any) -> Any:
    if name in SET_FIELDS:
        return tuple(value)
    if name == "inbound_ring_duration":
        # JSON Schema counts 45.0 as the integer 45: Close is sent 45, as the plan meant.
        return int(value)
    return value


def _files_of(changes: list[NumberChange], config_path: str) -> tuple[FileSummary, ...]:
    """For a plan saved without `files`: the files its changes name (unchanged counts unknown)."""
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.file] = counts.get(change.file, 0) + 1
    return tuple(FileSummary(path, n, 0) for path, n in counts.items()) or (
        FileSummary(config_path, 0, 0),
    )


if __name__ == "__main__":
    with open(QUICK_CHECK_MODULE, "w", encoding="utf-8") as generated:
        generated.write(quick_check_source())
