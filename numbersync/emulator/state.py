"""The emulated organization: its users (and the other organizations they belong to), groups,
credentials and phone numbers, with Close's documented PUT validation, derived fields and
permission rule. Thread-safe; knows nothing about HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import phonenumbers

# The emulator keeps its own copy of these documented API facts instead of importing
# numbersync.models: it is the oracle the client is tested against, so it must not change when
# the client's idea of the API does.
# The permission string of a real Close role record; the app names it "Manage Group/Team Phone
# Numbers", and the update page calls it "Manage Team Phone Numbers".
MANAGE_PERMISSION = "manage_group_numbers"
MANAGE_PERMISSION_TITLE = "Manage Team Phone Numbers"
PERSONAL_NUMBER_MESSAGE = "You can only update your own personal numbers."
WRITABLE_FIELDS: tuple[str, ...] = (
    "label",
    "forward_to",
    "forward_to_enabled",
    "voicemail_greeting_url",
    "participants",
    "participant_groups",
    "phone_numbers",
    "inbound_ring_duration",
    "press_1_to_accept",
)
UNPRIVILEGED_FIELDS: frozenset[str] = frozenset(
    {"label", "voicemail_greeting_url", "forward_to", "forward_to_enabled"}
)
# Every documented field of a phone number object, in the order the emulator answers them.
NUMBER_FIELDS: tuple[str, ...] = (
    "id",
    "organization_id",
    "number",
    "number_formatted",
    "type",
    "label",
    "forward_to",
    "forward_to_formatted",
    "forward_to_enabled",
    "voicemail_greeting_url",
    "participants",
    "participant_groups",
    "phone_numbers",
    "phone_numbers_formatted",
    "inbound_ring_duration",
    "press_1_to_accept",
    "user_id",
    "is_group_number",
    "is_verified",
    "is_premium",
    "sms_enabled",
    "mms_enabled",
    "was_ported",
    "supports_sms_to_countries",
    "supports_mms_to_countries",
    "country",
    "carrier",
    "carrier_type",
    "address_id",
    "bundle_id",
    "last_billed_price",
    "next_billing_on",
    "date_created",
    "date_updated",
)
READ_ONLY_FIELDS: frozenset[str] = frozenset(NUMBER_FIELDS) - frozenset(WRITABLE_FIELDS)
# Recomputed from other fields after every change; a seed may carry them (e.g. a dump of a real
# account) but its values are ignored.
DERIVED_FIELDS: frozenset[str] = frozenset(
    {"number_formatted", "forward_to_formatted", "phone_numbers_formatted", "user_id"}
    | {"is_group_number"}
)
# What a number rings: on a personal number, writing these is the undocumented case.
RINGING_FIELDS: tuple[str, ...] = ("participants", "participant_groups", "phone_numbers")
MAX_PARTICIPANT_GROUPS = 40
RING_MIN, RING_MAX = 15, 90
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
NUMBER_TYPES = ("internal", "external", "virtual")
CARRIERS = ("twilio", "plivo")
CARRIER_TYPES = ("local", "national", "mobile", "tollfree", "shortcode")
NANP = re.compile(r"^\+1([2-9]\d{2})([2-9]\d{2})(\d{4})$")
NANP_TOLL_FREE = frozenset({"800", "833", "844", "855", "866", "877", "888"})


def make_id(prefix: str, *parts: str, length: int = 43) -> str:
    """A deterministic Close-looking id (`prefix_` + mixed-case alphanumerics) from `parts`."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    text = base64.b64encode(digest + digest).decode().translate(_ALNUM)
    return f"{prefix}_{text[:length]}"


_ALNUM = str.maketrans({"+": "A", "/": "B", "=": "C"})


@lru_cache(maxsize=65536)
def format_number(number: str) -> str:
    """Close's `*_formatted` form: phonenumbers' INTERNATIONAL format, e.g. "+1 650-333-4444"."""
    match = NANP.match(number)
    if match:
        # Every NANP number formats as "+1 NPA-NXX-XXXX"; skipping the phonenumbers parse keeps a
        # 10,000-number seed fast (a test checks this shortcut against phonenumbers).
        return f"+1 {match[1]}-{match[2]}-{match[3]}"
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def country_of(number: str) -> str | None:
    """The main region of an E.164 number's country code (e.g. "+1..." is "US"): exact enough for
    a seed default, and a dictionary lookup instead of a full parse, so that big seeds build fast.
    """
    # Country calling codes are prefix-free, so the first 1-3 digit prefix that is one wins.
    for length in (1, 2, 3):
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(number[1 : 1 + length] or 0))
        if regions:
            region = regions[0]
            return None if region == "001" else str(region)  # "001": non-geographic entities
    return None


def iso(moment: datetime) -> str:
    """Close's timestamp form: ISO 8601 with microseconds and an explicit +00:00."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    """Parse a Close timestamp; naive ones (seen in Close's own examples) are taken as UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Organization:
    id: str
    name: str


@dataclass(frozen=True)
class Role:
    """A role of the organization, as `GET /role/{id}/` answers it: built-in ones have word ids
    and cannot be edited, custom ones are `role_...`."""

    id: str
    name: str
    permissions: tuple[str, ...]
    editable: bool = True


# The built-in roles. The superuser's permissions follow a real Close role record; the others
# are the emulator's guess at the same vocabulary (Close does not publish them).
_SUPERUSER_PERMISSIONS = (
    "bulk_delete",
    "bulk_edit",
    "bulk_email",
    "bulk_sequence_subscriptions",
    "calling",
    "customize_fields",
    "export",
    "manage_group_numbers",
    "manage_integrations",
    "manage_organization",
    "view_all_leads",
)
# Close documents no permission string for editing groups; the emulator's guess, which a seed may
# replace (quirks.group_permission), is granted by the admin role only.
GROUP_PERMISSION = "manage_groups"
BUILT_IN_ROLES: dict[str, Role] = {
    role.id: role
    for role in (
        Role(
            "admin",
            "Admin",
            (*_SUPERUSER_PERMISSIONS, "manage_billing", GROUP_PERMISSION, "manage_roles"),
            False,
        ),
        Role("superuser", "Super User", _SUPERUSER_PERMISSIONS, False),
        Role("user", "User", ("bulk_edit", "calling", "export", "view_all_leads"), False),
        Role("restricteduser", "Restricted User", ("calling",), False),
    )
}


@dataclass(frozen=True)
class User:
    """A Close user. `organizations` are the ids of the organizations they are an active member
    of (the primary one first unless the seed orders them otherwise); `former_organizations`
    those whose membership became inactive (the user left or was removed). `permissions` is only
    what /me/ reports (None: /me/ shows no list); `role_permissions` are those of their role;
    whether they may manage group numbers is `can_manage_numbers`."""

    id: str
    email: str
    first_name: str
    last_name: str
    permissions: frozenset[str] | None
    role_id: str
    image: str | None
    date_created: str
    date_updated: str
    organizations: tuple[str, ...]
    former_organizations: tuple[str, ...] = ()
    manage_numbers: bool | None = None  # None: decided by the role and the permission string
    role_permissions: frozenset[str] = frozenset()

    @property
    def can_manage_numbers(self) -> bool:
        """The truth the permission rule uses in the primary organization: the seed's explicit
        `manage_numbers`, else the permission in their role or among those /me/ reports."""
        if self.manage_numbers is not None:
            return self.manage_numbers
        return self.granted(MANAGE_PERMISSION)

    def granted(self, permission: str) -> bool:
        """Whether their role, or the list /me/ reports, grants `permission`."""
        return permission in self.role_permissions or permission in (self.permissions or ())


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Credential:
    """An API key (HTTP Basic) or OAuth token (Bearer) and the user it acts as.

    `secret` is kept out of repr so that a failing assertion or a log line never prints it.
    """

    kind: Literal["key", "token"]
    secret: str = field(repr=False)
    user_id: str
    label: str  # safe to show: "key 1", "token 2"
    expires_after: int | None = None  # requests it is served for; None: never expires


class StateError(Exception):
    """A request the state refuses; the server maps each subclass to its HTTP status."""


class NotFoundError(StateError):
    pass


class ValidationFailed(StateError):
    """400: `errors` for the request as a whole, `field_errors` one message per field."""

    def __init__(self, errors: list[str], field_errors: Mapping[str, str]) -> None:
        super().__init__("; ".join([*errors, *(f"{k}: {v}" for k, v in field_errors.items())]))
        self.errors = errors
        self.field_errors = dict(field_errors)


class PermissionDenied(StateError):
    pass


class AlreadyExists(StateError):
    """A group name taken by another group (Close: "must be unique within the organization")."""


class NotYourPersonalNumber(PermissionDenied):
    """A write to another user's personal number: "You can only update your own personal
    numbers." Close does not document the status; the quirks pick it."""


@dataclass(frozen=True)
class Rules:
    """The write rules where Close's behaviour is undocumented, as the quirks set them:
    `owner_only`: nobody but its sole member may change a personal number; `personal_members`:
    setting participants, participant_groups or phone_numbers on a personal number is refused
    ("refuse", a 400) or makes it a group number ("group"); `forwarding_target`: forwarding left
    on with no forward_to is refused (a 400)."""

    owner_only: bool = True
    personal_members: Literal["refuse", "group"] = "refuse"
    forwarding_target: bool = True


def validate_fields(
    body: Mapping[str, Any],
    *,
    user_ids: Collection[str],
    group_ids: Collection[str],
    seeding: bool = False,
    other_user_ids: Collection[str] = (),
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a PUT body (or a seed entry when `seeding`) against the documented update schema.

    `user_ids` may be participants; `other_user_ids` are users who exist but may not be (not an
    active member of this organization), which gets its own message. Returns the normalised
    changes and every field error at once. A seed may also set read-only fields and the nulls a
    real account can hold (label, forward_to, inbound_ring_duration), which PUT refuses.
    """
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in body.items():
        if key in READ_ONLY_FIELDS:
            if seeding:
                error = _check_read_only(key, value)
                if error is None:
                    changes[key] = list(value) if isinstance(value, list) else value
                else:
                    errors[key] = error
            else:
                errors[key] = "This field is read-only."
            continue
        if key not in WRITABLE_FIELDS:
            errors[key] = "Unknown field."
            continue
        if value is None and not _nullable(key, seeding):
            errors[key] = "This field may not be null."
            continue
        normalised, error = _check_writable(key, value, user_ids, group_ids, other_user_ids)
        if error is None:
            changes[key] = normalised
        else:
            errors[key] = error
    return changes, errors


def _nullable(key: str, seeding: bool) -> bool:
    if key == "voicemail_greeting_url":
        return True  # documented "string or null"; null clears the greeting
    return seeding and key in ("label", "forward_to", "inbound_ring_duration")


def _check_writable(
    key: str, value: Any, users: Collection[str], groups: Collection[str], others: Collection[str]
) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    if key == "label":
        return value, None if isinstance(value, str) else "Not a valid string."
    if key == "forward_to":
        if not isinstance(value, str):
            return value, "Not a valid string."
        if not E164.match(value):
            return value, "Enter a phone number in E.164 format, e.g. +16503334444."
        return value, None
    if key in ("forward_to_enabled", "press_1_to_accept"):
        return value, None if isinstance(value, bool) else "Must be a valid boolean."
    if key == "inbound_ring_duration":
        # bool is a subclass of int in Python, but `true` is not a valid integer in the API.
        if not isinstance(value, int) or isinstance(value, bool):
            return value, "A valid integer is required."
        if not RING_MIN <= value <= RING_MAX:
            return value, f"Ensure this value is between {RING_MIN} and {RING_MAX}."
        return value, None
    if key == "voicemail_greeting_url":
        if not isinstance(value, str):
            return value, "Not a valid string."
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.netloc:
            return value, "Enter a secure URL starting with https://."
        return value, None
    # The three list fields: Close stores them as sets, so duplicates are dropped (first kept).
    if not isinstance(value, list):
        return value, f'Expected a list of items but got type "{type(value).__name__}".'
    if not all(isinstance(item, str) for item in value):
        return value, "Each item must be a string."
    items = list(dict.fromkeys(value))
    if key == "participants":
        unknown = [item for item in items if item not in users and item not in others]
        inactive = [item for item in items if item not in users and item in others]
        messages = []
        if unknown:
            messages.append(f"Not a user of this organization: {', '.join(unknown)}.")
        if inactive:
            messages.append(f"Not an active member of this organization: {', '.join(inactive)}.")
        if messages:
            return items, " ".join(messages)
    elif key == "participant_groups":
        unknown = [item for item in items if item not in groups]
        if unknown:
            return items, f"Not a group of this organization: {', '.join(unknown)}."
        if len(items) > MAX_PARTICIPANT_GROUPS:
            return items, (
                f"A number accepts at most {MAX_PARTICIPANT_GROUPS} groups; got {len(items)}."
            )
    else:
        bad = [item for item in items if not E164.match(item)]
        if bad:
            return items, f"Not in E.164 format (e.g. +16503334444): {', '.join(bad)}."
    return items, None


def _check_read_only(key: str, value: Any) -> str | None:
    """Loose type checks for read-only fields a seed sets (so the emulator never serves garbage)."""
    if key in DERIVED_FIELDS:
        return None  # ignored and recomputed
    if key in ("id", "organization_id", "number"):
        ok = isinstance(value, str)
    elif key == "type":
        ok = value in NUMBER_TYPES
    elif key == "carrier":
        ok = value is None or value in CARRIERS
    elif key == "carrier_type":
        ok = value is None or value in CARRIER_TYPES
    elif key in ("is_verified", "is_premium", "sms_enabled", "mms_enabled", "was_ported"):
        ok = isinstance(value, bool)
    elif key in ("supports_sms_to_countries", "supports_mms_to_countries"):
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    elif key == "last_billed_price":
        ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
    elif key in ("date_created", "date_updated", "next_billing_on"):
        if value is None and key == "next_billing_on":
            return None
        try:
            parse_iso(value)
        except (TypeError, ValueError):
            return "Expected an ISO 8601 timestamp, e.g. 2024-01-15T09:00:00+00:00."
        ok = True
    else:  # country, address_id, bundle_id
        ok = value is None or isinstance(value, str)
    return None if ok else f"Invalid value {value!r}."


def number_defaults(
    number: str, organization_id: str, created: str, number_id: str | None = None
) -> dict[str, Any]:
    """What a freshly rented internal number looks like when the seed says nothing more."""
    country = country_of(number)
    nanp = number.startswith("+1")
    match = NANP.match(number)
    toll_free = bool(match and match[1] in NANP_TOLL_FREE)
    return {
        "id": number_id or make_id("phon", organization_id, number),
        "organization_id": organization_id,
        "number": number,
        "type": "internal",
        "label": None,  # Close's rent example answers a new number with a null label
        "forward_to": None,
        "forward_to_enabled": False,
        "voicemail_greeting_url": None,
        "participants": [],
        "participant_groups": [],
        "phone_numbers": [],
        "inbound_ring_duration": None,
        "press_1_to_accept": False,
        "is_verified": True,
        "is_premium": False,
        "sms_enabled": nanp,
        "mms_enabled": nanp,
        "was_ported": False,
        "supports_sms_to_countries": ["CA", "US"] if nanp else [],
        "supports_mms_to_countries": ["CA", "US"] if nanp else [],
        "country": country,
        "carrier": "twilio",
        "carrier_type": "tollfree" if toll_free else "local",
        "address_id": None,
        "bundle_id": None,
        "last_billed_price": None,
        "next_billing_on": None,
        "date_created": created,
        "date_updated": created,
    }


class State:
    """The live organization (the primary one: the credentials act in it, the numbers and groups
    belong to it). Users and credentials are fixed at seed time; numbers and groups change.

    A number may be in the old personal shape: `participants: []`, no groups, and an owner served
    as `user_id` who counts as its sole member. Any write of participants or participant_groups
    turns it into the current shape (the owner is dropped).

    Every public method takes the one lock, so a PUT is atomic against other requests, and returns
    copies, so a caller can never mutate the state behind the lock's back.
    """

    def __init__(
        self,
        organization: Organization,
        users: Iterable[User],
        groups: Iterable[Group],
        credentials: Iterable[Credential],
        numbers: Iterable[Mapping[str, Any]],
        *,
        other_organizations: Iterable[Organization] = (),
        roles: Iterable[Role] = (),
    ) -> None:
        self.organization = organization
        # Built-in roles first, then the organization's own, as `GET /role/` lists them.
        self.roles: tuple[Role, ...] = (*BUILT_IN_ROLES.values(), *roles)
        self._roles = {role.id: role for role in self.roles}
        self.organizations: tuple[Organization, ...] = (organization, *other_organizations)
        self.users: tuple[User, ...] = tuple(users)
        self.groups: tuple[Group, ...] = tuple(groups)
        self.credentials: tuple[Credential, ...] = tuple(credentials)
        self._users = {user.id: user for user in self.users}
        # Who may be named as a participant: active members of the organization.
        self._member_ids = frozenset(u.id for u in self.users if organization.id in u.organizations)
        self._groups = {group.id: group for group in self.groups}
        self._secrets = {(c.kind, c.secret): c for c in self.credentials}
        self._lock = threading.RLock()
        self._last_stamp = datetime.min.replace(tzinfo=UTC)
        self._numbers: dict[str, dict[str, Any]] = {}
        self._by_number: dict[str, str] = {}
        self._owners: dict[str, str] = {}  # old personal numbers: number id -> owner's user id
        for entry in numbers:
            obj = {name: entry.get(name) for name in NUMBER_FIELDS}
            number_id = str(obj["id"])
            if entry.get("user_id") and not obj["participants"] and not obj["participant_groups"]:
                self._owners[number_id] = str(entry["user_id"])
            self._derive(obj)
            self._numbers[number_id] = obj
            self._by_number[str(obj["number"])] = number_id

    # -- reads -----------------------------------------------------------------------------------

    @property
    def api_keys(self) -> tuple[Credential, ...]:
        return tuple(c for c in self.credentials if c.kind == "key")

    @property
    def oauth_tokens(self) -> tuple[Credential, ...]:
        return tuple(c for c in self.credentials if c.kind == "token")

    def user(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def role(self, role_id: str) -> Role | None:
        return self._roles.get(role_id)

    def organization_by_id(self, organization_id: str) -> Organization | None:
        return next((o for o in self.organizations if o.id == organization_id), None)

    def users_seen_by(self, caller: User) -> list[User]:
        """`GET /user/`: every user who is an active member of an organization the caller is an
        active member of, in seed order (the caller included)."""
        mine = set(caller.organizations)
        return [u for u in self.users if mine.intersection(u.organizations)]

    def user_seen_by(self, caller: User, user_id: str) -> User | None:
        """`GET /user/{id}/`: a user the caller shares an organization with, or a former member
        of one of the caller's organizations (Close keeps inactive memberships); else None."""
        user = self._users.get(user_id)
        if user is None:
            return None
        mine = set(caller.organizations)
        if mine.intersection(user.organizations) or mine.intersection(user.former_organizations):
            return user
        return None

    def group(self, group_id: str) -> Group | None:
        with self._lock:
            return self._groups.get(group_id)

    def credential(self, kind: Literal["key", "token"], secret: str) -> Credential | None:
        return self._secrets.get((kind, secret))

    def numbers(self) -> list[dict[str, Any]]:
        """Every number as a full Close object, in creation order."""
        with self._lock:
            return [_copy(obj) for obj in self._numbers.values()]

    def numbers_by_id(self) -> dict[str, dict[str, Any]]:
        """Every number as a full Close object, keyed by id (in creation order)."""
        with self._lock:
            return {number_id: _copy(obj) for number_id, obj in self._numbers.items()}

    def number(self, number_id: str) -> dict[str, Any] | None:
        with self._lock:
            obj = self._numbers.get(number_id)
            return None if obj is None else _copy(obj)

    def __len__(self) -> int:
        return len(self._numbers)

    def __contains__(self, number_id: object) -> bool:
        return number_id in self._numbers

    def query_numbers(
        self,
        *,
        skip: int = 0,
        limit: int = 100,
        fields: Iterable[str] | None = None,
        number: str | None = None,
        participant_user_id: str | None = None,
        user_id: str | None = None,
        is_group_number: bool | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of `GET /phone_number/` in creation order, and whether more follow."""
        with self._lock:
            if number is not None:
                number_id = self._by_number.get(number)
                candidates = [] if number_id is None else [self._numbers[number_id]]
            else:
                candidates = list(self._numbers.values())
            if participant_user_id is not None:
                candidates = [o for o in candidates if participant_user_id in self._members(o)]
            if user_id is not None:
                candidates = [o for o in candidates if o["user_id"] == user_id]
            if is_group_number is not None:
                candidates = [o for o in candidates if o["is_group_number"] is is_group_number]
            page = candidates[skip : skip + limit]
            return [project(o, fields) for o in page], skip + len(page) < len(candidates)

    def numbers_of(self, user_id: str) -> list[dict[str, Any]]:
        """The numbers a user is a member of, directly or through a group (for `/me/`)."""
        with self._lock:
            return [_copy(o) for o in self._numbers.values() if user_id in self._members(o)]

    # -- writes ----------------------------------------------------------------------------------

    def update_number(
        self, number_id: str, body: Any, *, user: User, rules: Rules = Rules()
    ) -> dict[str, Any]:
        """`PUT /phone_number/{id}/` as `user`: 404, then 400 (every error), then the personal
        number's owner, then 403, then the rules on what the result may be, then apply.

        Validation comes before the permission check so that a malformed request is reported as
        such whoever sends it. A participant must be an active member of the organization, except
        that one already on the number may stay after leaving it: refusing every later PUT that
        lists the number's current participants would make the number uneditable until someone
        removes them (the emulator's choice; Close's behaviour here is undocumented).
        """
        with self._lock:
            current = self._numbers.get(number_id)
            if current is None:
                raise NotFoundError(f"No phone number with id {number_id}.")
            if not isinstance(body, dict):
                raise ValidationFailed(["The request body must be a JSON object."], {})
            allowed = self._member_ids.union(current["participants"])
            changes, errors = validate_fields(
                body, user_ids=allowed, group_ids=self._groups, other_user_ids=self._users
            )
            if errors:
                raise ValidationFailed([], errors)
            old_owner = self._owners.get(number_id)
            owner = _sole_member(current, old_owner)
            if rules.owner_only and owner is not None and owner != user.id:
                raise NotYourPersonalNumber(PERSONAL_NUMBER_MESSAGE)
            if not user.can_manage_numbers:
                self._check_unprivileged(current, changes, user)
            if "participants" in changes or "participant_groups" in changes:
                old_owner = None  # the old personal shape ends with this write
            result = {**current, **changes}
            if owner is not None and rules.personal_members == "refuse":
                _check_stays_personal(owner, current, changes, _sole_member(result, old_owner))
            if rules.forwarding_target:
                _check_forwarding(changes, result)
            if old_owner is None:
                self._owners.pop(number_id, None)
            current.update(changes)
            self._derive(current)
            current["date_updated"] = self._next_stamp(current["date_updated"])
            return _copy(current)

    def set_number_fields(self, number_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change any fields of a number without validation or permission checks, as someone
        editing in the Close app would; for tests that need the account to drift under them.

        `user_id` sets the owner of the old personal shape (None removes it); the owner counts as
        the sole member only while participants and participant_groups are empty."""
        with self._lock:
            current = self._numbers[number_id]
            unknown = set(changes) - set(NUMBER_FIELDS)
            if unknown:
                raise KeyError(f"not phone number fields: {sorted(unknown)}")
            if "user_id" in changes:
                owner = changes["user_id"]
                if owner:
                    self._owners[number_id] = str(owner)
                else:
                    self._owners.pop(number_id, None)
            current.update({k: list(v) if isinstance(v, list) else v for k, v in changes.items()})
            self._derive(current)
            if "date_updated" not in changes:
                current["date_updated"] = self._next_stamp(current["date_updated"])
            return _copy(current)

    # -- groups ----------------------------------------------------------------------------------
    # Membership is state like a number's fields: each write takes the lock, replaces the frozen
    # Group and derives again the numbers that ring it (their `user_id` and `is_group_number`
    # follow who they ring). The numbers' `date_updated` stays: their own fields did not change.

    def add_member(self, group_id: str, user_id: str, *, user: User, permission: str) -> None:
        """`POST /group/{id}/member/` as `user`: 404 (group), 403, 404 (not an active member of
        the organization); a member already is left as is."""
        with self._lock:
            group = self._writable_group(group_id, user, permission)
            if user_id not in self._member_ids:
                raise NotFoundError(f"No user with id {user_id}.")
            if user_id not in group.members:
                self._replace_group(replace(group, members=(*group.members, user_id)))

    def remove_member(self, group_id: str, user_id: str, *, user: User, permission: str) -> None:
        """`DELETE /group/{id}/member/{user_id}/` as `user`: 404 (group), 403, then nothing to do
        for a user who is not a member, or a 404 when they are not even an active member of the
        organization. A former member still in the group can be removed: refusing would leave
        them there for good."""
        with self._lock:
            group = self._writable_group(group_id, user, permission)
            if user_id not in group.members:
                if user_id not in self._member_ids:
                    raise NotFoundError(f"No user with id {user_id}.")
                return
            members = tuple(m for m in group.members if m != user_id)
            self._replace_group(replace(group, members=members))

    def create_group(self, name: str, *, user: User, permission: str) -> Group:
        """`POST /group/` as `user`: 403, then a name another group has; the group starts empty."""
        with self._lock:
            if not user.granted(permission):
                raise PermissionDenied(_group_permission_message(permission))
            self._check_unique(name, None)
            serial = len(self._groups)
            group_id = make_id("group", name, str(serial), length=22)
            while group_id in self._groups:
                serial += 1
                group_id = make_id("group", name, str(serial), length=22)
            group = Group(group_id, name, ())
            self._replace_group(group)
            return group

    def rename_group(self, group_id: str, name: str, *, user: User, permission: str) -> Group:
        """`PUT /group/{id}/` as `user`: 404, 403, then a name another group has."""
        with self._lock:
            group = self._writable_group(group_id, user, permission)
            self._check_unique(name, group_id)
            renamed = replace(group, name=name)
            self._replace_group(renamed)
            return renamed

    def _writable_group(self, group_id: str, user: User, permission: str) -> Group:
        group = self._groups.get(group_id)
        if group is None:
            raise NotFoundError(f"No group with id {group_id}.")
        if not user.granted(permission):
            raise PermissionDenied(_group_permission_message(permission))
        return group

    def _check_unique(self, name: str, group_id: str | None) -> None:
        if any(g.name == name and g.id != group_id for g in self._groups.values()):
            raise AlreadyExists(f"A group named {name} already exists.")

    def _replace_group(self, group: Group) -> None:
        self._groups[group.id] = group
        self.groups = tuple(self._groups.values())
        for obj in self._numbers.values():
            if group.id in obj["participant_groups"]:
                self._derive(obj)

    # -- rules -----------------------------------------------------------------------------------

    def _check_unprivileged(
        self, current: Mapping[str, Any], changes: Mapping[str, Any], user: User
    ) -> None:
        denied = sorted(set(changes) - UNPRIVILEGED_FIELDS)
        if denied:
            raise PermissionDenied(
                f'You need the "{MANAGE_PERMISSION_TITLE}" permission to change '
                f"{', '.join(denied)}."
            )
        if self._members(current) != {user.id}:
            raise PermissionDenied(
                f'You need the "{MANAGE_PERMISSION_TITLE}" permission to change a number you are '
                "not the only member of."
            )

    def _members(self, obj: Mapping[str, Any]) -> set[str]:
        """The users a number rings: its participants plus the members of its groups, or the
        owner of a number in the old personal shape."""
        members = set(obj["participants"])
        for group_id in obj["participant_groups"]:
            group = self._groups.get(group_id)
            if group is not None:
                members.update(group.members)
        if not obj["participants"] and not obj["participant_groups"]:
            owner = self._owners.get(str(obj["id"]))
            if owner is not None:
                members.add(owner)
        return members

    def _derive(self, obj: dict[str, Any]) -> None:
        forward_to = obj["forward_to"]
        obj["number_formatted"] = format_number(obj["number"])
        obj["forward_to_formatted"] = None if forward_to is None else format_number(forward_to)
        obj["phone_numbers_formatted"] = [format_number(n) for n in obj["phone_numbers"]]
        members = self._members(obj)
        # Deprecated fields, kept as documented: the sole member's id for single-member numbers.
        obj["user_id"] = next(iter(members)) if len(members) == 1 else None
        obj["is_group_number"] = len(members) > 1

    def _next_stamp(self, previous: str | None) -> str:
        """A `date_updated` strictly later than the last one issued and than `previous`, even
        when two updates land in the same microsecond (clients use it to detect changes)."""
        tick = timedelta(microseconds=1)
        candidates = [datetime.now(UTC), self._last_stamp + tick]
        if previous:
            candidates.append(parse_iso(previous) + tick)
        self._last_stamp = max(candidates)
        return iso(self._last_stamp)


def _group_permission_message(permission: str) -> str:
    return f'You need the "{permission}" permission to edit groups.'


def _sole_member(obj: Mapping[str, Any], old_owner: str | None) -> str | None:
    """The owner of a personal number (one member, no groups, no external numbers: Close's
    "single-member number"), else None. A number in the old shape lists no participants and
    has `old_owner`."""
    if obj["participant_groups"] or obj["phone_numbers"]:
        return None
    members = list(obj["participants"]) or ([old_owner] if old_owner else [])
    return members[0] if len(members) == 1 else None


def _check_stays_personal(
    owner: str, current: Mapping[str, Any], changes: Mapping[str, Any], after: str | None
) -> None:
    """Close documents participants, participant_groups and phone_numbers as the members of a
    group number: on a personal number, a write that changes who it rings is refused (writing
    back its one owner is not), with an error on each field it changes."""
    if after == owner:
        return
    written = [name for name in RINGING_FIELDS if name in changes]
    changed = [name for name in written if changes[name] != current[name]] or written
    message = "This is a personal number: only a group number's members can be set."
    raise ValidationFailed([], dict.fromkeys(changed, message))


def _check_forwarding(changes: Mapping[str, Any], result: Mapping[str, Any]) -> None:
    """Forwarding switched (or left) on by this write with nowhere to forward to."""
    touched = "forward_to_enabled" in changes or "forward_to" in changes
    if touched and result["forward_to_enabled"] and not result["forward_to"]:
        raise ValidationFailed(
            [], {"forward_to_enabled": "Call forwarding needs a forward_to number."}
        )


def project(obj: Mapping[str, Any], fields: Iterable[str] | None) -> dict[str, Any]:
    """A copy of `obj` limited to `fields` (Close's `_fields`); unknown names are ignored."""
    if fields is None:
        return _copy(obj)
    return {name: _copy_value(obj[name]) for name in fields if name in obj}


def _copy(obj: Mapping[str, Any]) -> dict[str, Any]:
    # Values are JSON scalars or flat lists of strings, so copying the lists is a deep copy.
    return {key: _copy_value(value) for key, value in obj.items()}


def _copy_value(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value
