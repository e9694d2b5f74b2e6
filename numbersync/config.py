"""Load the desired state: one file, or a directory of files (one per team) over an optional root
numbersync.yaml. Parse, check against the JSON Schema and the semantic rules, layer the defaults and
normalise into a DesiredState. Every problem of every file is collected and raised at once.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from numbersync import accepted, phone, policy
from numbersync.errors import (
    Diagnostic,
    Findings,
    InputError,
    Path,
    Position,
    UsageError,
    json_path,
)
from numbersync.files import UnreadableError, read_file
from numbersync.models import (
    DEFAULT_MAX_ACCEPT_DAYS,
    DEFAULT_REFUSED_TYPES,
    MANAGED_FIELDS,
    SET_FIELDS,
    DesiredGroup,
    DesiredNumber,
    DesiredState,
    Layer,
    Policy,
    Safety,
    Source,
    Value,
)
from numbersync.yamlsource import Document, LineCol, parse

ROOT_FILE = "numbersync.yaml"  # in a directory: version, defaults, safety and policy for the tree
YAML_SUFFIXES = (".yaml", ".yml")
# A single file is a team file that may also hold `safety` and `policy`; the root needs no
# `numbers`.
Role = Literal["single", "root", "team"]
PHONE_ID = re.compile(r"^phon_[A-Za-z0-9]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema: shipped inside the package, or read from the source tree in development."""
    # Read only to explain errors (a valid file is checked by the generated quick check).
    import json

    from numbersync.resources import shipped_text

    loaded: dict[str, Any] = json.loads(shipped_text("schemas/numbersync.schema.json"))
    return loaded


def load(path: str) -> DesiredState:
    """Read, validate and normalise the desired-state file at `path`, or the directory of files."""
    if os.path.isdir(path):
        return load_tree(path)
    raw = read_file(path)
    return load_document(parse(path, raw))


def load_document(doc: Document) -> DesiredState:
    """A single desired-state file: its `defaults` are the only layer under its numbers."""
    checked = _check(doc, "single")
    if checked.errors:
        raise InputError(checked.errors)
    numbers = _numbers(checked, [_defaults(checked, "file")])
    _refuse_unmanaged_acceptances(numbers)
    rules = _policy(checked.data)
    _enforce(numbers, rules)
    return DesiredState(
        path=doc.file,
        version=checked.data["version"],
        numbers=_sorted(numbers),
        groups=_groups(checked),
        safety=_safety(checked.data),
        fingerprint="sha256:" + hashlib.sha256(doc.raw_text).hexdigest(),
        files=(doc.file,),
        max_accept_days=_max_accept_days(checked.data),
        policy=rules,
    )


def load_tree(directory: str) -> DesiredState:
    """Every *.yaml/*.yml below `directory`, in sorted path order, names starting with a dot
    skipped: the root numbersync.yaml (optional) gives version, defaults and safety; each other
    file its own defaults and numbers, a number belonging to exactly one file."""
    found, walked = _walk(directory)
    if not found and not walked:
        import shlex

        raise UsageError(
            f"{directory}: no *.yaml or *.yml file in this directory or below it",
            hint="a directory config holds one file per team; "
            f"`numbersync export -o {shlex.quote(directory)} --split-by group` writes one",
        )
    # The fingerprint covers every path and its bytes, so that a renamed, added or removed file
    # makes a saved plan's config differ too.
    digest = hashlib.sha256()
    errors = Findings()
    errors.extend(walked)
    checked: list[_Checked] = []
    for entry in found:
        try:
            raw = read_file(entry.path)
        except UnreadableError as exc:
            errors.add(Diagnostic(Position(entry.display, 1, 1), "$", exc.reason))
            continue
        name = entry.relative.encode("utf-8", "surrogateescape")
        digest.update(b"%d:%s%d:" % (len(name), name, len(raw)) + raw)
        try:
            doc = parse(entry.display, raw)
        except InputError as exc:
            errors.merge(exc.findings)
            continue
        checked.append(_check(doc, "root" if entry.relative == ROOT_FILE else "team"))
    for one in checked:
        errors.merge(one.errors)
    errors.extend(_in_two_files(checked))
    errors.extend(_groups_in_two_files(checked))
    if errors:
        raise InputError(errors)
    root = next((one for one in checked if one.role == "root"), None)
    root_defaults = _defaults(root, "root") if root else {}
    numbers: list[DesiredNumber] = []
    for one in checked:
        layers = [root_defaults] if one is root else [_defaults(one, "file"), root_defaults]
        numbers.extend(_numbers(one, layers))
    _refuse_unmanaged_acceptances(numbers)
    rules = _policy(root.data if root else {})
    _enforce(numbers, rules)
    return DesiredState(
        path=directory,
        version=root.data["version"] if root else checked[0].data["version"],
        numbers=_sorted(numbers),
        groups=tuple(group for one in checked for group in _groups(one)),
        safety=_safety(root.data if root else {}),
        fingerprint="sha256:" + digest.hexdigest(),
        files=tuple(entry.display for entry in found),
        root=root.doc.file if root else None,
        max_accept_days=_max_accept_days(root.data if root else {}),
        policy=rules,
    )


# --- the files of a directory -----------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    relative: str  # below the directory, with "/" on every system: what the fingerprint covers
    path: str  # to open
    display: str  # as errors and plans name it


def _walk(directory: str) -> tuple[list[_Found], list[Diagnostic]]:
    """The YAML files below `directory` in sorted path order, and what could not be listed.
    Directory symlinks are followed, each directory read once: a loop is an error, not a hang.
    Directories reached through a symlink come last, so that a directory is read under its own
    name rather than a link's."""
    base = os.path.normpath(directory)

    def display(parts: tuple[str, ...]) -> str:
        return os.path.join(*parts) if base == "." and parts else os.path.join(base, *parts)

    files: list[tuple[str, ...]] = []
    errors: list[Diagnostic] = []
    read: dict[tuple[int, int], tuple[str, ...]] = {}
    pending: list[tuple[str, ...]] = [()]
    linked: list[tuple[str, ...]] = []
    while pending or linked:
        if pending:
            parts = pending.pop()
        else:
            linked.sort()
            parts = linked.pop(0)
        where = os.path.join(directory, *parts)

        def problem(message: str, at: tuple[str, ...] = parts) -> None:
            errors.append(Diagnostic(Position(display(at), 1, 1), "$", message))

        try:
            info = os.stat(where)
            identity = (info.st_dev, info.st_ino)
            if identity in read:
                first = read[identity]
                if parts[: len(first)] == first:
                    problem(f"a symlink loop: this is {display(first)} again; not read")
                else:
                    problem(f"the same directory as {display(first)} (a symlink); read only there")
                continue
            read[identity] = parts
            with os.scandir(where) as listing:
                entries = list(listing)
        except OSError as exc:
            if not parts:
                message = f"{directory}: cannot list the directory ({exc.strerror})"
                raise UsageError(message) from None
            problem(f"cannot list the directory ({exc.strerror})")
            continue
        # Depth first in name order, so that which of two ways into a directory is "first" does
        # not depend on the order the system lists them in.
        for entry in sorted(entries, key=lambda e: e.name, reverse=True):
            if entry.name.startswith("."):
                continue
            here = (*parts, entry.name)
            try:
                if entry.is_dir():
                    (linked if entry.is_symlink() else pending).append(here)
                    continue
                if not entry.name.endswith(YAML_SUFFIXES):
                    continue
                mode = entry.stat().st_mode
            except FileNotFoundError:
                if entry.name.endswith(YAML_SUFFIXES):
                    problem("a symlink to a file that does not exist", here)
                continue
            except OSError as exc:
                problem(f"cannot be read ({exc.strerror})", here)
                continue
            if stat.S_ISREG(mode):
                files.append(here)
            else:
                problem("not a regular file; not read", here)
    files.sort()
    found = [
        _Found("/".join(parts), os.path.join(directory, *parts), display(parts)) for parts in files
    ]
    return found, errors


# --- one file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    """A parsed file after its checks: its errors, and the identity (E.164 or phon_ id) of each
    valid key, worked out once for the checks across files and the normalisation."""

    doc: Document
    role: Role
    data: Any
    errors: Findings
    identities: dict[str, str]


def _check(doc: Document, role: Role) -> _Checked:
    if doc.data is None:
        wanted = "'version' and 'numbers'"
        if role == "root":
            wanted = "'version', and 'defaults', 'safety' or 'policy'"
        errors = Findings()
        errors.add(_diag(doc, (), f"the file is empty; expected a mapping with {wanted}"))
        return _Checked(doc, role, None, errors, {})
    data = _with_phone_texts(doc)
    errors = Findings()
    failed: set[str] = set()  # every path the schema refused, kept or not: the rules skip them
    for diagnostic in _schema_errors(doc, data):
        failed.add(diagnostic.path)
        errors.add(diagnostic)
    identities: dict[str, str] = {}
    errors.extend(_semantic_errors(doc, data, failed, role, identities))
    return _Checked(doc, role, data, errors, identities)


def _in_two_files(checked: list[_Checked]) -> Iterator[Diagnostic]:
    """A number belongs to exactly one file: each later key naming a number (or phon_ id) that
    an earlier file has, with both places."""
    first: dict[str, tuple[_Checked, str]] = {}
    for one in checked:
        for key, identity in one.identities.items():
            earlier = first.setdefault(identity, (one, key))
            if earlier[0] is one:
                continue  # the same file: _semantic_errors reports a second key for a number
            other, other_key = earlier
            line = other.doc.position(("numbers", other_key), key=True).line
            written = "" if other_key == key else f' (as "{other_key}")'
            message = (
                f'"{key}" is also in {other.doc.file}:{line}{written}; '
                "a number belongs to exactly one file"
            )
            yield _diag(one.doc, ("numbers", key), message, key=True)


def _groups_in_two_files(checked: list[_Checked]) -> Iterator[Diagnostic]:
    """A group belongs to exactly one file: each later file's key that an earlier file has
    (names compared exactly, as Close compares them), with both places."""
    first: dict[str, _Checked] = {}
    for one in checked:
        for key in _group_keys(one):
            other = first.setdefault(key, one)
            if other is one:
                continue
            line = other.doc.position(("groups", key), key=True).line
            message = (
                f'"{key}" is also in {other.doc.file}:{line}; a group belongs to exactly one file'
            )
            yield _diag(one.doc, ("groups", key), message, key=True)


def _group_keys(checked: _Checked) -> list[str]:
    groups = checked.data.get("groups") if isinstance(checked.data, dict) else None
    return [key for key in groups if key] if isinstance(groups, dict) else []


def _diag(doc: Document, path: Path, message: str, *, key: bool = False) -> Diagnostic:
    return Diagnostic(doc.position(path, key=key), json_path(path), message)


def _is_phone_path(path: Path) -> bool:
    """forward_to and phone_numbers items, in a number or in defaults (and the accepted
    values of those fields, in a number)."""
    if path[:1] == ("numbers",):
        field = path[2:]
        if accepted.is_phone_value(field):
            return True
    elif path[:1] == ("defaults",):
        field = path[1:]
    else:
        return False
    return field == ("forward_to",) or (len(field) == 2 and field[0] == "phone_numbers")


def _with_phone_texts(doc: Document) -> Any:
    """Put back the written text of unquoted phone numbers that YAML turned into integers."""
    data = doc.data
    for path, text in doc.int_texts.items():
        if _is_phone_path(path):
            container = data
            for part in path[:-1]:
                container = container[part]
            container[path[-1]] = text
    accepted.until_texts(data)
    return data


# --- schema -----------------------------------------------------------------------------------


@cache
def _validator() -> Any:
    # Like the schema's text, read only to explain the errors of a file the quick check refused.
    from numbersync import schemacheck

    return schemacheck.validator(schema())


QUICK_CHECK_MODULE = os.path.join(os.path.dirname(__file__), "_schema_check.py")


def quick_check_source() -> str:
    """The source of numbersync/_schema_check.py, which only says whether a file is valid:
    jsonschema then explains every error. Regenerate with `python -m numbersync.config` (a test
    fails while it is out of date)."""
    from numbersync import schemacheck

    header = (
        "# Generated from schemas/numbersync.schema.json by numbersync.config.quick_check_source:\n"
        "# do not edit; regenerate with `python -m numbersync.config`.\n"
    )
    return schemacheck.quick_check_source(header, {"validate": schema()})


def is_valid_quickly(data: Any) -> bool:
    from numbersync import _schema_check

    try:
        _schema_check.validate(data)
    except ValueError:
        return False
    return True


def _schema_errors(doc: Document, data: Any) -> Iterator[Diagnostic]:
    if is_valid_quickly(data):
        return
    yield from explain_errors(doc, _validator().iter_errors(data))


def explain_errors(doc: Document, errors: Iterable[Any]) -> Iterator[Diagnostic]:
    """jsonschema's errors in the project's words, at their positions in `doc` (the emulator's
    seeds are checked against their schema with this too)."""
    from numbersync import schemacheck

    for error in errors:
        for problem in schemacheck.explain(error):
            yield _diag(doc, problem.path, problem.message, key=problem.at_key)


# --- semantic rules ---------------------------------------------------------------------------


def _semantic_errors(
    doc: Document, data: Any, failed: set[str], role: Role, identities: dict[str, str]
) -> Iterator[Diagnostic]:
    """The rules the schema cannot say; fills `identities` with the E.164 number or phon_ id of
    each valid key."""
    if not isinstance(data, dict):
        return
    if role != "root" and "numbers" not in data and "groups" not in data:
        yield _diag(doc, (), "missing required key 'numbers'")
    for section in ("safety", "policy", "accepted_drift"):
        if role == "team" and section in data:
            message = (
                f"{section} is allowed only in the directory's root numbersync.yaml, "
                "where it covers every file"
            )
            yield _diag(doc, (section,), message, key=True)
    yield from _policy_errors(doc, data.get("policy"), failed)
    defaults = data.get("defaults")
    if isinstance(defaults, dict):
        if "accepted" in defaults:
            message = "accepted drift belongs to one number, not to defaults"
            yield _diag(doc, ("defaults", "accepted"), message, key=True)
        yield from _settings_errors(doc, ("defaults",), defaults, failed)
        if "waive" in defaults:
            message = "a waiver is for one number only: write it under that number"
            yield _diag(doc, ("defaults", "waive"), message, key=True)
    groups = data.get("groups")
    if isinstance(groups, dict):
        yield from _group_errors(doc, groups, failed)
    numbers = data.get("numbers")
    if not isinstance(numbers, dict):
        return
    seen: dict[str, str] = {}
    for key, settings in numbers.items():
        path: Path = ("numbers", key)
        identity = None
        if key.startswith("+"):
            identity = phone.to_e164(key)
            if identity is None:
                yield _diag(doc, path, f'"{key}" is not a valid phone number', key=True)
        elif PHONE_ID.match(key):
            identity = key
        if identity is not None and identity in seen:
            first = doc.position(("numbers", seen[identity]), key=True)
            message = f'"{key}" is the same number as "{seen[identity]}" (line {first.line})'
            yield _diag(doc, path, message, key=True)
        elif identity is not None:
            seen[identity] = key
            identities[key] = identity
        if isinstance(settings, dict):
            yield from _settings_errors(doc, path, settings, failed)
            if isinstance(settings.get("accepted"), dict):
                at = (*path, "accepted")
                yield from accepted.entry_errors(doc, at, settings["accepted"], failed)


def _settings_errors(
    doc: Document, path: Path, settings: dict[str, Any], failed: set[str]
) -> Iterator[Diagnostic]:
    def unchecked(p: Path) -> bool:
        return not failed or json_path(p) not in failed

    forward = settings.get("forward_to")
    if isinstance(forward, str) and unchecked((*path, "forward_to")):
        yield from _phone_error(doc, (*path, "forward_to"), forward)
    for i, item in enumerate(_list(settings.get("phone_numbers"))):
        if isinstance(item, str) and unchecked((*path, "phone_numbers", i)):
            yield from _phone_error(doc, (*path, "phone_numbers", i), item)
    yield from _people_errors(doc, (*path, "participants"), settings.get("participants"))
    url = settings.get("voicemail_greeting_url")
    url_path = (*path, "voicemail_greeting_url")
    if isinstance(url, str) and unchecked(url_path) and not _is_https_url(url):
        from numbersync import schemacheck

        message = schema()["$defs"]["settings"]["properties"]["voicemail_greeting_url"]["x-error"]
        yield _diag(doc, url_path, f"{message}, got {schemacheck.describe(url)}")


def _group_errors(doc: Document, groups: dict[str, Any], failed: set[str]) -> Iterator[Diagnostic]:
    for key, entry in groups.items():
        if not key:
            message = "a group name must not be empty; name a group of Close, or give its id"
            yield _diag(doc, ("groups", key), message, key=True)
        if isinstance(entry, dict):
            yield from _people_errors(doc, ("groups", key, "members"), entry.get("members"))
            if isinstance(entry.get("accepted"), dict):
                at = ("groups", key, "accepted")
                yield from accepted.entry_errors(doc, at, entry["accepted"], failed)


def _people_errors(doc: Document, path: Path, items: Any) -> Iterator[Diagnostic]:
    """Each item of a list of people that is neither an email nor a user id."""
    # A list may hold a mistake on every one of millions of items: its JSON path is made once,
    # at the first.
    shown = ""
    for i, item in enumerate(_list(items)):
        if (
            isinstance(item, str)
            and item
            and not item.startswith("user_")
            and not EMAIL.match(item)
        ):
            shown = shown or json_path(path)
            message = f'must be a user email or a user id (user_...), got "{item}"'
            yield Diagnostic(doc.position((*path, i)), f"{shown}[{i}]", message)


def _policy_errors(doc: Document, rules: Any, failed: set[str]) -> Iterator[Diagnostic]:
    """Country codes the schema's pattern lets through but phonenumbers does not know."""
    countries = rules.get("allowed_countries") if isinstance(rules, dict) else None
    for i, code in enumerate(_list(countries)):
        path = ("policy", "allowed_countries", i)
        problem = policy.unknown_country(code) if isinstance(code, str) else None
        if problem and json_path(path) not in failed:
            yield _diag(doc, path, problem)


def _phone_error(doc: Document, path: Path, text: str) -> Iterator[Diagnostic]:
    if text.startswith("+") and phone.to_e164(text) is None:
        yield _diag(doc, path, f'"{text}" is not a valid phone number')


def _is_https_url(url: str) -> bool:
    from urllib.parse import urlsplit  # only for a file that sets a greeting

    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in url)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --- normalisation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Setting:
    """A field's normalised value as a layer of defaults writes it, with where it stands."""

    value: Value
    source: Source
    positions: dict[str, Position]


class _Positions(Mapping[str, Position]):
    """A number's positions: the line and column of what the number writes itself, the Position
    of what it inherits (the root's defaults stand in another file). A Position is made when it
    is read, which only errors, explain and plans do: most are never read."""

    __slots__ = ("_file", "_places")

    def __init__(self, file: str, places: dict[str, Position | LineCol]) -> None:
        self._file = file
        self._places = places

    def __getitem__(self, name: str) -> Position:
        place = self._places[name]
        return place if isinstance(place, Position) else Position(self._file, *place)

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)

    def __contains__(self, name: object) -> bool:
        return name in self._places

    def __repr__(self) -> str:
        return repr(dict(self))


def _value(
    doc: Document, path: Path, name: str, raw: Any, places: dict[str, Position | LineCol]
) -> tuple[Value, tuple[int, ...] | None]:
    """The normalised value of a field, its place (and its items') added to `places`; for a
    set field also the index in the file of each item kept."""
    places[name] = doc.place(path)
    if name in SET_FIELDS:
        kept = _unique(name, raw)
        for i, _ in kept:
            places[f"{name}[{i}]"] = doc.place((*path, i))
        return tuple(item for _, item in kept), tuple(i for i, _ in kept)
    return (phone.to_e164(raw) if name == "forward_to" else raw), None


def _defaults(checked: _Checked, layer: Layer) -> dict[str, _Setting]:
    """A file's `defaults`, normalised once for all the numbers that inherit them."""
    doc = checked.doc
    defaults = checked.data.get("defaults") or {}
    out = {}
    for name in MANAGED_FIELDS:
        if name in defaults:
            places: dict[str, Position | LineCol] = {}
            value, items = _value(doc, ("defaults", name), name, defaults[name], places)
            positions = dict(_Positions(doc.file, places))
            out[name] = _Setting(value, Source(layer, items or ()), positions)
    return out


def _numbers(checked: _Checked, layers: list[dict[str, _Setting]]) -> list[DesiredNumber]:
    """The file's numbers, each field from the number itself, else the first layer of
    defaults that sets it (the file's, then the root's)."""
    doc, numbers = checked.doc, checked.data.get("numbers") or {}
    inherited: dict[str, _Setting] = {}  # what a number inherits: the first layer's setting
    for layer in layers:
        for name, setting in layer.items():
            inherited.setdefault(name, setting)
    out = []
    for key, own in numbers.items():
        own = own or {}
        fields: dict[str, Value] = {}
        places: dict[str, Position | LineCol] = {"": doc.place(("numbers", key), key=True)}
        # Most fields are the number's own, which is what a missing source means: only the
        # others (and lists the file wrote with duplicates) are recorded, to keep this loop lean.
        sources: dict[str, Source] = {}
        for name in MANAGED_FIELDS:
            if name in own:
                value, items = _value(doc, ("numbers", key, name), name, own[name], places)
                fields[name] = value
                if items is not None and items != tuple(range(len(items))):
                    sources[name] = Source("number", items)
            elif name in inherited:
                setting = inherited[name]
                fields[name] = setting.value
                sources[name] = setting.source
                places.update(setting.positions)
        waivers = own.get("waive") or {}
        for rule in waivers:
            places[f"waive.{rule}"] = doc.place(("numbers", key, "waive", rule), key=True)
        is_id = not key.startswith("+")
        written = own.get("accepted")
        out.append(
            DesiredNumber(
                key=key,
                number=None if is_id else checked.identities[key],
                id=key if is_id else None,
                fields=fields,
                positions=_Positions(doc.file, places),
                file=doc.file,
                sources=sources,
                accepted=accepted.acceptances(doc, ("numbers", key), written) if written else (),
                waivers=dict(waivers),
            )
        )
    return out


def _groups(checked: _Checked) -> tuple[DesiredGroup, ...]:
    """The file's groups as written: members without duplicates (emails compared without regard
    to case), in file order, with the position of the key, the list and each item kept."""
    doc, groups = checked.doc, checked.data.get("groups") or {}
    out = []
    for key, entry in groups.items():
        path: Path = ("groups", key, "members")
        kept = _unique("participants", entry["members"])
        positions = {"": doc.position(("groups", key), key=True), "members": doc.position(path)}
        for i, _ in kept:
            positions[f"members[{i}]"] = doc.position((*path, i))
        members = tuple(item for _, item in kept)
        written = entry.get("accepted")
        taken = accepted.acceptances(doc, ("groups", key), written) if written else ()
        out.append(DesiredGroup(key, members, positions, doc.file, taken))
    return tuple(out)


def _refuse_unmanaged_acceptances(numbers: list[DesiredNumber]) -> None:
    errors = [d for number in numbers for d in accepted.unmanaged_errors(number)]
    if errors:
        raise InputError(errors)


def _max_accept_days(data: Mapping[str, Any]) -> int:
    limits = data.get("accepted_drift") or {}
    return int(limits.get("max_days", DEFAULT_MAX_ACCEPT_DAYS))


def _sorted(numbers: list[DesiredNumber]) -> tuple[DesiredNumber, ...]:
    return tuple(sorted(numbers, key=lambda n: (n.number is None, n.number or n.id or "")))


def _safety(data: Mapping[str, Any]) -> Safety:
    safety = data.get("safety") or {}
    return Safety(
        max_change_percent=float(safety.get("max_change_percent", Safety.max_change_percent)),
        min_managed=int(safety.get("min_managed", Safety.min_managed)),
    )


def _policy(data: Mapping[str, Any]) -> Policy:
    rules = data.get("policy") or {}

    def listed(name: str) -> tuple[str, ...] | None:
        value = rules.get(name)
        return None if value is None else tuple(dict.fromkeys(value))

    refused = listed("refused_number_types")
    return Policy(
        allowed_countries=listed("allowed_countries"),
        # On with no policy at all: `refused_number_types: []` is how a root turns it off.
        refused_number_types=DEFAULT_REFUSED_TYPES if refused is None else refused,
        min_ringing=rules.get("min_ringing"),
        allowed_greeting_hosts=listed("allowed_greeting_hosts"),
    )


def _enforce(numbers: list[DesiredNumber], rules: Policy) -> None:
    """The policy on what the file alone decides: every violation at once, as errors."""
    problems = policy.check_file(numbers, rules)
    if problems:
        raise InputError(problems)


def _unique(field: str, items: list[str]) -> list[tuple[int, str]]:
    """Items without duplicates, in file order, each with its index in the file; phone numbers
    compared in E.164 and emails without regard to case."""
    seen: set[str] = set()
    kept: list[tuple[int, str]] = []
    for i, item in enumerate(items):
        if field == "phone_numbers":
            item = phone.to_e164(item) or item
        identity = item.casefold() if "@" in item else item
        if identity not in seen:
            seen.add(identity)
            kept.append((i, item))
    return kept


if __name__ == "__main__":
    source = quick_check_source()
    with open(QUICK_CHECK_MODULE, "w", encoding="utf-8") as generated:
        generated.write(source)
