"""A saved plan (`plan --out`) made fit to apply: verified against the config it was made from,
each number checked against its id in Close, each `before` against what Close has now. What it
applies comes from the config and from Close; the file only chooses among it."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from numbersync import phone
from numbersync.account import LiveNumber
from numbersync.errors import InputError, NumbersyncError, RefusedError
from numbersync.kinds.groups import KIND as GROUPS
from numbersync.live import same_value
from numbersync.models import DesiredState, Safety
from numbersync.plan import (
    FieldChange,
    FileSummary,
    NumberChange,
    Plan,
    build_plan,
    choose_each,
    drifted,
    select_targets,
    shown,
    unnamed_people,
    with_fields,
    with_people_emails,
)

if TYPE_CHECKING:
    from numbersync.close import CloseClient
    from numbersync.fetch import Account


def remake(config_path: str) -> str:
    """The hint of a refused saved plan: the command that makes a new plan of its config."""
    command = f"numbersync plan -c {shlex.quote(config_path)} --out PLANFILE"
    return f"make a new plan with `{command}` and review it"


def not_by_hand(config_path: str) -> str:
    return f"{remake(config_path)}; a plan file is not edited by hand"


# What an unverified plan skips, and what is still checked, said before it is applied.
UNVERIFIED_WARNINGS = (
    "--unverified-plan: the saved plan is applied WITHOUT checking it against the config it was "
    "made from ({why}).",
    "skipped: that each change is one the config asks for, and the config's safety rails (the "
    "plan's apply, no looser than the defaults, over the numbers it names).",
    "still checked: the plan's format, that each number is its id in Close, and that every "
    "before value is what Close has.",
)


@dataclass(frozen=True)
class Checked:
    """A saved plan that may be applied. `plan` holds its changes as the config makes them now,
    with the config's rails and count of managed numbers; `live` the numbers as just read;
    `state` the config (None when unverified), to point Close's field errors at its lines;
    `unverified` why the plan could not be checked against its config, when --unverified-plan
    let it through anyway."""

    plan: Plan
    live: Mapping[str, LiveNumber]
    state: DesiredState | None
    unverified: str | None = None
    # Managed fields Close changed since the plan was made that the plan does not change
    # (`+1 650-333-4444 label (now "Sales desk")`): said, never written.
    also_changed: tuple[str, ...] = ()


def _unsaid(line: str) -> None:
    pass


def check_saved_plan(
    client: CloseClient,
    saved: Plan,
    *,
    config_path: str | None = None,
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
    unverified_ok: bool = False,
    warn: Callable[[str], None] = _unsaid,
    planfile: str = "PLANFILE",
) -> Checked:
    """The saved plan, limited by `targets` and `excludes`, once verified; RefusedError, with
    nothing written, when it cannot be. Verified means: the config at `config_path` (-c), else
    at the plan's own `config.path`, has the plan's fingerprint; planned afresh against Close
    now, it makes every change the file holds, exactly; and every number is its id and every
    `before` what Close has. A plan whose config cannot be found is refused, unless
    `unverified_ok` (--unverified-plan): then `warn` is told what is skipped. `planfile` is the
    path the hints name."""
    state, why = find_config(saved, config_path)
    if state is None and not unverified_ok:
        raise RefusedError(
            f"the saved plan cannot be verified, nothing was applied: {why}",
            hint="give the config the plan was made from, as it was reviewed: `numbersync apply "
            f"{shlex.quote(planfile)} -c {shlex.quote(saved.config_path)}` (or --unverified-plan "
            "to apply it without this check)",
        )
    plan = _chosen(saved, targets, excludes)
    if state is None:
        from numbersync.fetch import fetch_members, fetch_numbers

        for line in UNVERIFIED_WARNINGS:
            warn(line.format(why=why))
        # The label too, so that each number's header shows Close's, not the file's.
        managed = {"label", *(c.field for change in plan.changes for c in change.fields)}
        live = fetch_numbers(client, managed, len(plan.changes))
        members = fetch_members(client, [c.id for c in plan.groups])
        _refuse_if_misnamed(plan, live)
        _refuse_if_stale(plan, live, members)
        return Checked(_unverified(plan, live), _by_id(live), None, why)

    from numbersync.fetch import fetch_for_plan, users_to_name
    from numbersync.planning import plan_with_members

    # The fresh plan reads only the fields the config manages: a change of any other could be
    # checked for staleness by nothing.
    _refuse_unreviewed(state, _unmanaged_fields(plan, state))
    account = fetch_for_plan(client, state)
    _refuse_if_misnamed(plan, account.numbers)
    users = {u.id: u.email for u in account.directory.users or ()}
    _refuse_if_stale(plan, account.numbers, account.directory.members or {}, users)
    fresh, account = plan_with_members(client, account, partial(_fresh_plan, state))
    _refuse_unreviewed(state, find_unreviewed(plan, fresh))
    # Whose personal numbers it changes, named as a fresh plan names them.
    configured = _as_configured(plan, fresh)
    owners = users_to_name(client, account, unnamed_people(configured))
    checked = with_people_emails(configured, owners)
    also = changed_since(saved, fresh, targets, excludes)
    return Checked(checked, _by_id(account.numbers), state, also_changed=tuple(also))


def find_config(saved: Plan, given: str | None) -> tuple[DesiredState | None, str]:
    """The config to verify `saved` with, `given` (-c) or else the plan's own path, when it is
    here with the plan's fingerprint; else None and why not. The path alone vouches for
    nothing: a plan file can name any path."""
    from numbersync import config

    path = given or saved.config_path
    where = f"-c {path}" if given else f"its config {path}"
    if not os.path.exists(path):
        return None, f"{where} is not here"
    if not (os.path.isfile(path) or os.path.isdir(path)):
        # A device or a pipe, which reading could hang on: no config is one.
        return None, f"{where} is neither a file nor a directory"
    try:
        state = config.load(path)
    except NumbersyncError as exc:
        return None, f"{where} does not load ({exc.message})"
    if state.fingerprint != saved.fingerprint:
        what = "the config it was made from" if given else "the one it was made from"
        return None, f"{where} is not {what} (another fingerprint)"
    return state, ""


def _chosen(saved: Plan, targets: Sequence[str], excludes: Sequence[str]) -> Plan:
    if not (targets or excludes):
        return saved
    changes, groups = choose_each(
        [(saved.changes, lambda c: (c.id, c.number, c.key, c.file)), (saved.groups, GROUPS.names)],
        targets,
        excludes,
        "not a change in the saved plan",
    )
    return replace(saved, changes=tuple(changes), groups=tuple(groups))


def _by_id(live: Sequence[LiveNumber]) -> dict[str, LiveNumber]:
    return {n.id: n for n in live}


def _e164(number: str) -> str:
    return phone.to_e164(number) or number


# --- what Close has ----------------------------------------------------------------------------


def _refuse_if_misnamed(plan: Plan, live: Sequence[LiveNumber]) -> None:
    """A plan shows numbers and changes ids: the two must be one number, or a reviewer (and the
    report) reads of one number while another one changes."""
    by_id = _by_id(live)
    wrong = []
    for change in plan.changes:
        current = by_id.get(change.id)
        if current is not None and change.number != _e164(current.number):
            wrong.append(
                f"{change.id} is {phone.display(change.number)} in the plan, "
                f"{phone.display(current.number)} in Close"
            )
    if wrong:
        raise RefusedError(
            "the saved plan shows numbers that are not their ids in Close, nothing was applied:",
            hint=not_by_hand(plan.config_path),
            details=wrong,
        )


def find_drift(
    plan: Plan,
    live: Sequence[LiveNumber],
    members: Mapping[str, tuple[str, ...]] | None = None,
    emails: Mapping[str, str] | None = None,
) -> list[str]:
    """Each planned `before` that no longer matches Close, numbers' fields and groups' members
    (`members`: Close's now, by group id; `emails` names the users the plan does not): a saved
    plan is stale if any."""
    by_id = _by_id(live)
    names = {**(emails or {}), **plan.emails}
    drift = [line for change in plan.groups for line in GROUPS.drift(change, members or {}, names)]
    for change in plan.changes:
        current = by_id.get(change.id)
        where = phone.display(change.number)
        if current is None:
            drift.append(f"{where}: the number is no longer in the account")
        else:
            drift.extend(f"{where}: {line}" for line in drifted(change, current))
    return drift


def _refuse_if_stale(
    plan: Plan,
    live: Sequence[LiveNumber],
    members: Mapping[str, tuple[str, ...]],
    emails: Mapping[str, str] | None = None,
) -> None:
    drift = find_drift(plan, live, members, emails)
    if drift:
        raise RefusedError(
            "the saved plan is stale, nothing was applied; Close changed since it was made:",
            hint=remake(plan.config_path),
            details=drift,
        )


def _unverified(plan: Plan, live: Sequence[LiveNumber]) -> Plan:
    """A plan no config vouches for, as it may be applied: the rails no looser than the
    defaults, over the numbers it names that are in the account (never its `untargeted`);
    labels and dates as Close has them, and no names from the file beside the ids."""
    defaults = Safety()
    safety = Safety(
        min(plan.safety.max_change_percent, defaults.max_change_percent),
        min(plan.safety.min_managed, defaults.min_managed),
    )
    in_account = {_e164(n.number) for n in live}
    by_id = _by_id(live)
    # Who rings, as the file says, is no one's word: the rails judge the fields alone.
    changes = tuple(
        replace(_as_in_close(change, by_id[change.id]), rings_before=None, rings_after=None)
        for change in plan.changes
    )
    return replace(
        plan,
        changes=changes,
        unchanged=tuple(n for n in plan.unchanged if n in in_account),
        emails={},
        group_names={},
        safety=safety,
        untargeted=0,
    )


def _as_in_close(change: NumberChange, current: LiveNumber) -> NumberChange:
    """Its header as a fresh plan shows it: the new label, or Close's, and Close's date."""
    after = {c.field: c.after for c in change.fields}
    label = after.get("label", current.fields.get("label"))
    return replace(
        change, label=label if isinstance(label, str) else None, date_updated=current.date_updated
    )


# --- what the config asks ----------------------------------------------------------------------


def _fresh_plan(
    state: DesiredState, account: Account, unread: Callable[[Iterable[str]], None]
) -> Plan:
    """The plan the config makes now; users and groups resolved with Close's own, so that no
    name map in a plan file can stand in for them."""
    try:
        return build_plan(state, account.numbers, account.directory, me=account.me, unread=unread)
    except InputError as exc:
        raise RefusedError(
            f"the saved plan cannot be checked against its config, nothing was applied; "
            f"{state.path} no longer plans against Close:",
            hint="fix the config, then make a new plan with "
            f"`numbersync plan -c {shlex.quote(state.path)} --out PLANFILE`",
            details=[str(d) for d in exc.diagnostics],
        ) from None


def find_unreviewed(plan: Plan, fresh: Plan) -> list[str]:
    """What `plan` would do that `fresh` (a plan made now from the same config against the same
    live numbers) does not ask for: another `after`, or a change it does not make."""
    wanted = {(c.id, f.field): f.after for c in fresh.changes for f in c.fields}
    found = _unreviewed_groups(plan, fresh)
    for change in plan.changes:
        where = phone.display(change.number)
        for c in change.fields:
            key = (change.id, c.field)
            if key not in wanted:
                found.append(_not_asked(change, c))
            elif not same_value(c.field, c.after, wanted[key]):
                found.append(
                    f"{where}: {c.field} is {shown(c.after)} in the plan, the config asks for "
                    f"{shown(wanted[key])}"
                )
    return found


def changed_since(
    saved: Plan, fresh: Plan, targets: Sequence[str] = (), excludes: Sequence[str] = ()
) -> list[str]:
    """The managed fields that a plan made now from the same config changes and `saved` does
    not, on the numbers `saved` compared (and `targets`/`excludes` keep): Close changed them
    since the plan was made, since the config did not. Numbers the saved plan left out with
    --target were never compared: nothing is said of them."""
    planned = {c.id: {f.field for f in c.fields} for c in saved.changes}
    unchanged = {_e164(number) for number in saved.unchanged}
    found: list[str] = []
    for change in fresh.changes:
        if change.id not in planned and _e164(change.number) not in unchanged:
            continue
        if targets and not select_targets([change], targets, _names)[0]:
            continue
        if excludes and select_targets([change], excludes, _names)[0]:
            continue
        where = phone.display(change.number)
        found.extend(
            f"{where} {c.field} (now {shown(c.before)})"
            for c in change.fields
            if c.field not in planned.get(change.id, ())
        )
    return found


def _names(change: NumberChange) -> tuple[str, ...]:
    return (change.id, change.number, change.key, change.file)


def also_changed_line(found: Sequence[str]) -> str:
    return f"also changed in Close since the plan: {', '.join(found)}; run plan again to see it"


def _unreviewed_groups(plan: Plan, fresh: Plan) -> list[str]:
    """Each group change of `plan` that `fresh` does not make: other members, or none."""
    wanted = {c.id: set(c.after) for c in fresh.groups}
    found = []
    for change in plan.groups:
        if change.id not in wanted:
            found.append(f"group {change.name}: its members are not a change the config asks for")
        elif set(change.after) != wanted[change.id]:
            found.append(
                f"group {change.name}: the members are {shown(change.after)} in the plan, the "
                f"config asks for {shown(tuple(sorted(wanted[change.id])))}"
            )
    return found


def _unmanaged_fields(plan: Plan, state: DesiredState) -> list[str]:
    managed = {name for number in state.numbers for name in number.fields}
    return [
        _not_asked(change, c)
        for change in plan.changes
        for c in change.fields
        if c.field not in managed
    ]


def _not_asked(change: NumberChange, c: FieldChange) -> str:
    where = phone.display(change.number)
    return f"{where}: {c.field} {shown(c.after)} is not a change the config asks for"


def _refuse_unreviewed(state: DesiredState, found: list[str]) -> None:
    if found:
        raise RefusedError(
            f"the saved plan is not what its config asks, nothing was applied; {state.path} is "
            "unchanged since the plan was made, and asks otherwise:",
            hint=not_by_hand(state.path),
            details=found,
        )


def _as_configured(saved: Plan, fresh: Plan) -> Plan:
    """The changes of `saved` as `fresh` makes them (ids, numbers, labels, keys and files from
    the config and Close, never from the file), with the config's rails, every number the
    config manages counted, and the fresh changes the saved plan leaves out as `untargeted`."""
    chosen = {c.id: {f.field for f in c.fields} for c in saved.changes}
    groups = {c.id for c in saved.groups}
    changes = tuple(
        with_fields(change, [f for f in change.fields if f.field in chosen[change.id]])
        for change in fresh.changes
        if change.id in chosen
    )
    per_file: dict[str, int] = {}
    for change in changes:
        per_file[change.file] = per_file.get(change.file, 0) + 1
    return replace(
        fresh,
        changes=changes,
        files=tuple(FileSummary(f.path, per_file.get(f.path, 0), f.unchanged) for f in fresh.files),
        untargeted=len(fresh.changes) - len(changes),
        groups=tuple(c for c in fresh.groups if c.id in groups),
    )
