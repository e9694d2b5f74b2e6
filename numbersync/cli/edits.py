"""Commands that edit the user's config files, keeping every other line as written: `accept`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from numbersync.cli.common import CLOSE_ENV, close_client, config_option, epilog, reports_errors
from numbersync.cli.options import verbose_option
from numbersync.escape import escape

if TYPE_CHECKING:
    from numbersync.account import LiveNumber
    from numbersync.models import DesiredState


def _day(ctx: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a day such as 2027-01-15") from None


@click.command(epilog=epilog(CLOSE_ENV, "0 the acceptance was written; 1 an error"))
@click.argument("number")
@click.argument("field")
@click.option(
    "--until",
    required=True,
    callback=_day,
    metavar="DATE",
    help="The last day (YYYY-MM-DD, UTC) the difference is accepted; at most 90 days ahead "
    "unless the root's accepted_drift.max_days says otherwise.",
)
@click.option("--reason", required=True, help="Why the difference is accepted; shown in plans.")
@config_option
@verbose_option
@reports_errors
def accept(number: str, field: str, until: date, reason: str, config_path: str | None) -> None:
    """Record Close's value of a field as drift accepted until a date.

    Reads Close's current FIELD of NUMBER (one request) and writes it, with --reason and
    --until, under the number's `accepted:` in the file that manages it, changing no other
    line. plan then shows the difference as accepted, applies nothing and counts no change,
    until the day passes or Close changes the value again. `accept GROUP members` does the
    same for the members of a group the config manages (GROUP: its key under groups:)."""
    from numbersync import accepted, config, phone
    from numbersync.cli.common import resolve_config
    from numbersync.edit import add_entry
    from numbersync.errors import UsageError
    from numbersync.explain import find
    from numbersync.live import normalise_live

    state = config.load(resolve_config(config_path))
    if field == "members":
        _accept_members(state, number, until, reason)
        return
    try:
        desired = find(state, number)
    except UsageError as exc:
        raise UsageError(
            exc.message,
            hint="name a number the config manages: in any form, or as its key (a phon_ id)",
        ) from None
    refused = accepted.refusal(state, desired, field, until, reason, accepted.today())
    if refused:
        raise UsageError(refused)
    current: LiveNumber | None
    with close_client() as client:
        if desired.id:
            current = client.get_phone_number(desired.id)
        else:
            current = client.find_phone_number(desired.number or "", [field])
    if current is None:
        raise UsageError(f"{desired.key} is not in the Close account")
    have = normalise_live(field, current.fields.get(field), current.raw)
    if accepted.already_wanted(desired, field, have):
        raise UsageError(
            f"Close has what {desired.file} wants for {field} of {desired.key}: nothing to accept"
        )
    entry = accepted.entry(have, reason, until)
    if desired.accepted:
        edit = add_entry(desired.file, ("numbers", desired.key, "accepted"), field, entry)
    else:
        edit = add_entry(desired.file, ("numbers", desired.key), "accepted", {field: entry})
    shown = accepted.value_json(have)
    click.echo(
        escape(
            f"Accepted {field} of {phone.display(current.number)} = {shown} until {until}, "
            f"in {edit.path}:{edit.line}."
        )
    )


def _accept_members(state: DesiredState, key: str, until: date, reason: str) -> None:
    """`accept GROUP members`: Close's members of a managed group (one GET of them, after the
    list of groups when the file names the group by its name), written under its `accepted:`."""
    from numbersync import accepted
    from numbersync.edit import add_entry
    from numbersync.errors import UsageError
    from numbersync.explain import find_group, group_of

    desired = find_group(state, key)
    if desired is None:
        raise UsageError(
            f"{key} is not a group managed in {state.path}",
            hint="name a group by its key under groups:, exactly as the config writes it",
        )
    refused = accepted.group_refusal(state, desired, until, reason, accepted.today())
    if refused:
        raise UsageError(refused)
    with close_client() as client:
        group_id = desired.key
        if not group_id.startswith("group_"):
            group_id = group_of(desired, client.list_groups()).id
        have = client.group_members(group_id)
    if accepted.members_wanted(desired, have):
        raise UsageError(
            f"Close has what {desired.file} wants for the members of group {desired.key}: "
            "nothing to accept"
        )
    entry = accepted.entry(have, reason, until)
    at = ("groups", desired.key)
    edit = add_entry(desired.file, at, "accepted", {"members": entry})
    shown = accepted.value_json(have)
    click.echo(
        escape(
            f"Accepted members of group {desired.key} = {shown} until {until}, "
            f"in {edit.path}:{edit.line}."
        )
    )
