"""The organization's policy (the root's `policy:`): one small pure function per rule, and the
waivers that let one number off a rule. config judges what the file alone decides; plan judges
what Close keeps and who a number rings once the directory is read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import phonenumbers

from numbersync import phone
from numbersync.errors import Diagnostic, json_path
from numbersync.models import RINGING_FIELDS, DesiredNumber, Policy, Value

if TYPE_CHECKING:
    from numbersync.ringing import Members, Rings

# phonenumbers' PhoneNumberType, by the names the policy writes them in.
NUMBER_TYPES: dict[str, int] = {
    name.lower(): value
    for name, value in vars(phonenumbers.PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}
_TYPE_NAMES = {value: name for name, value in NUMBER_TYPES.items()}
_TYPE_WORDS = {
    "fixed_line": "a fixed-line number",
    "mobile": "a mobile number",
    "fixed_line_or_mobile": "a fixed-line or mobile number",
    "toll_free": "a toll-free number",
    "premium_rate": "a premium-rate number",
    "shared_cost": "a shared-cost number",
    "voip": "a VoIP number",
    "personal_number": "a personal-number service",
    "pager": "a pager number",
    "uan": "a company (UAN) number",
    "voicemail": "a voicemail access number",
    "unknown": "a number of unknown type (no valid number of its country's plan)",
}
# Region phonenumbers gives the numbers of no country (+800, +882, ...).
NON_GEOGRAPHIC = "001"


@dataclass(frozen=True)
class Violation:
    """One broken rule: `where` is the field or list item it is about ("forward_to",
    "phone_numbers[2]" with the file's index), "" for the number itself."""

    rule: str
    where: str
    message: str


@dataclass(frozen=True)
class Waiver:
    """A rule waived for one number, with its reason; `needed` when the number breaks the rule
    now, so that the waiver is what lets it through."""

    number: str  # E.164, or the phon_ id the file names it by
    key: str
    file: str
    line: int
    rule: str
    reason: str
    needed: bool


# --- one function per rule ----------------------------------------------------------------------


@lru_cache(maxsize=65_536)  # defaults give many numbers the same forward_to
def classify(e164: str) -> tuple[str, str | None]:
    """(number type as the policy names it, region) of an E.164 number; the region is None when
    phonenumbers cannot tell it, "001" for a number of no country."""
    parsed = phone.parse(e164)
    if parsed is None:
        return "unknown", None
    name = _TYPE_NAMES.get(phonenumbers.number_type(parsed), "unknown")
    return name, phonenumbers.region_code_for_number(parsed)


def country_problem(policy: Policy, e164: str) -> str | None:
    """The number is outside the allowed countries (when the policy names them)."""
    allowed = policy.allowed_countries
    if allowed is None:
        return None
    _, region = classify(e164)
    if region in allowed:
        return None
    if region == NON_GEOGRAPHIC:
        where = "a number of no country"
    elif region is None:
        where = "a number whose country cannot be told"
    else:
        where = f"a number in {region}"
    listed = ", ".join(allowed) or "none"
    return f"{phone.display(e164)} is {where}, not in policy allowed_countries ({listed})"


def type_problem(policy: Policy, e164: str) -> str | None:
    """The number is of a refused type: premium-rate, shared-cost or unknown unless the policy
    says otherwise."""
    kind, region = classify(e164)
    if kind not in policy.refused_number_types:
        return None
    country = f" ({region})" if region and region != NON_GEOGRAPHIC else ""
    return (
        f"{phone.display(e164)} is {_TYPE_WORDS[kind]}{country}, "
        "which policy refused_number_types refuses"
    )


def greeting_problem(policy: Policy, url: str) -> str | None:
    """The greeting is served from a host the policy does not allow ("*.example.com" allows its
    subdomains)."""
    allowed = policy.allowed_greeting_hosts
    if allowed is None:
        return None
    from urllib.parse import urlsplit  # only for a policy that names greeting hosts

    host = (urlsplit(url).hostname or "").rstrip(".")
    if any(_host_matches(host, pattern) for pattern in allowed):
        return None
    listed = ", ".join(allowed) or "none"
    return f'host "{host}" is not in policy allowed_greeting_hosts ({listed})'


def _host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def ringing_problem(policy: Policy, rings: Rings) -> str | None:
    """The number surely rings fewer people than the minimum (each user and external number
    once); None when it rings enough, or when groups whose members were not read could still
    make up the difference."""
    wanted = policy.min_ringing
    if wanted is None or rings.count >= wanted or rings.unread:
        return None
    return f"rings {_people(rings.count)}, fewer than policy min_ringing ({wanted})"


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


# --- a number ----------------------------------------------------------------------------------


def _number_violations(policy: Policy, where: str, e164: str, kept: str = "") -> list[Violation]:
    found = []
    for rule, problem in (
        ("allowed_countries", country_problem(policy, e164)),
        ("refused_number_types", type_problem(policy, e164)),
    ):
        if problem:
            found.append(Violation(rule, where, kept + problem))
    return found


def file_violations(number: DesiredNumber, policy: Policy) -> list[Violation]:
    """What the file alone decides: its forward_to, phone_numbers and greeting, and who the
    number rings when the file sets all of that (or its participants and external numbers
    already reach the minimum). Waivers not yet taken into account."""
    fields = number.fields
    found: list[Violation] = []
    forward = fields.get("forward_to")
    if isinstance(forward, str):
        found += _number_violations(policy, "forward_to", forward)
    for n, item in enumerate(fields.get("phone_numbers") or ()):
        where = f"phone_numbers[{number.file_index('phone_numbers', n)}]"
        found += _number_violations(policy, where, item)
    url = fields.get("voicemail_greeting_url")
    problem = greeting_problem(policy, url) if isinstance(url, str) else None
    if problem:
        found.append(Violation("allowed_greeting_hosts", "voicemail_greeting_url", problem))
    if policy.min_ringing is not None:
        rings = _rings_in_file(fields)
        problem = ringing_problem(policy, rings) if rings else None
        if problem:
            found.append(Violation("min_ringing", "", problem))
    return found


def _rings_in_file(fields: Mapping[str, Value]) -> Rings | None:
    """Who the file alone says the number rings, None when Close's side still counts (a ringing
    field the file leaves to Close); the groups' members are not known offline."""
    if not all(name in fields for name in RINGING_FIELDS):
        return None
    from numbersync import ringing  # only for a policy that sets min_ringing

    # Emails without regard to case: the same person written twice counts once.
    participants = tuple(p.casefold() for p in fields["participants"] or ())
    return ringing.rings({**fields, "participants": participants}, None)


def live_violations(
    number: DesiredNumber,
    have: Mapping[str, Value],
    wanted: Mapping[str, Value],
    members: Members | None,
    policy: Policy,
) -> tuple[list[Violation], Rings | None]:
    """What Close's side decides, once the plan has read it: a forward_to Close keeps while the
    file switches forwarding on, external numbers Close keeps, and who the number rings (group
    members counted when `members` has them; None when the policy sets no minimum). `have` are
    Close's normalised values, `wanted` the file's with users and groups resolved to ids."""
    after = {**have, **wanted}
    found: list[Violation] = []
    forward = after.get("forward_to")
    if "forward_to" not in wanted and after.get("forward_to_enabled") is True and forward:
        found += _number_violations(policy, "", str(forward), "forward_to kept from Close: ")
    if "phone_numbers" not in wanted:
        for item in have.get("phone_numbers") or ():
            found += _number_violations(policy, "", item, "phone_numbers kept from Close: ")
    if policy.min_ringing is None:
        return found, None
    from numbersync import ringing

    rings = ringing.rings(after, members)
    problem = ringing_problem(policy, rings)
    if problem:
        found.append(Violation("min_ringing", "", problem))
    return found, rings


# --- waivers and positions -----------------------------------------------------------------------


def waive(number: DesiredNumber, found: Iterable[Violation]) -> list[Violation]:
    """The violations the number's waivers do not cover."""
    return [v for v in found if v.rule not in number.waivers]


def waivers(number: DesiredNumber, found: Iterable[Violation]) -> list[Waiver]:
    """The number's waivers, each saying whether one of `found` needs it."""
    broken = {v.rule for v in found}
    return [
        Waiver(
            number.number or number.key,
            number.key,
            number.file,
            number.position_of(f"waive.{rule}").line,
            rule,
            reason,
            rule in broken,
        )
        for rule, reason in number.waivers.items()
    ]


def diagnostic(number: DesiredNumber, violation: Violation) -> Diagnostic:
    """The violation at the place and JSON path where the value was written (the number, or
    the defaults it inherits)."""
    where = violation.where
    position = number.position_of(where) if where else number.position
    return Diagnostic(position, json_path(number.path_of(where)), violation.message)


def check_file(numbers: Iterable[DesiredNumber], policy: Policy) -> list[Diagnostic]:
    """Every violation the file alone decides, unwaived, at its position."""
    return [
        diagnostic(number, violation)
        for number in numbers
        for violation in waive(number, file_violations(number, policy))
    ]


def unknown_country(code: str) -> str | None:
    """Why an allowed country code is not one phonenumbers knows, None when it is."""
    if code in phonenumbers.SUPPORTED_REGIONS:
        return None
    hint = " (the United Kingdom is GB)" if code == "UK" else ""
    return f'"{code}" is not a country code phonenumbers knows{hint}'
