"""The Close API client: the calls numbersync makes (list, get and update phone numbers; users,
groups and their members, /me/ and roles), each answer checked for the documented shape and turned
into the domain's models. Sending, retrying, paging and error mapping live in transport.py,
retry.py, paging.py and errors.py beside this file."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from numbersync import phone
from numbersync.account import Group, LiveNumber, Me, Membership, Role, User
from numbersync.close.pacer import Pacer
from numbersync.close.paging import list_all
from numbersync.close.retry import DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_WAIT, Retrier, Stats
from numbersync.close.settings import Settings
from numbersync.close.transport import (
    DEFAULT_REQUEST_DEADLINE,
    DEFAULT_TIMEOUT,
    MAX_CONNECTIONS,
    MAX_TOTAL_BYTES,
    Transport,
    scrubber,
)
from numbersync.errors import ApiError
from numbersync.models import MANAGED_FIELDS
from numbersync.stopping import Sleep, Stop

# Always requested with the managed fields: what LiveNumber needs besides them.
# `user_id` (deprecated) is the only place older personal numbers name their owner: see
# live.normalise_live, which reads it when `participants` is empty. `organization_id` says whose
# users may be participants; `type` tells external numbers (outbound caller id only) apart.
BASE_FIELDS = (
    "id",
    "number",
    "number_formatted",
    "date_updated",
    "organization_id",
    "type",
    "user_id",
)


# The pacer's bucket for every write. Close documents reads and writes as separate endpoint
# groups, and writes it counts together but a client paces in separate buckets would overrun the
# budget together: member additions and removals (and the PUTs beside them) share one.
WRITES = "PUT"

log = logging.getLogger("numbersync.http")


class CloseClient:
    """Talks to the Close API. Use as a context manager; safe to share between threads.

    `transport` replaces the network (httpx.MockTransport in tests). `clock`, `sleep` and `rng`
    replace time and randomness so that tests need not wait; `request_clock` is the one each
    request's deadline (`request_deadline`, body included) is read on, apart from `clock`, whose
    fake time other threads' waits move. `max_total_bytes` bounds what the client reads in all.
    `stop`, once set, ends every wait (retries, pacing) at once and lets no new request start:
    the call raises Abandoned.
    Closing the client sets it too, so that threads still at work on calls nobody waits for any
    more (pages read ahead of one that failed, reads beside an interrupted one) end at once
    instead of retrying, and the process does not wait for them.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_wait: float = DEFAULT_MAX_WAIT,
        max_connections: int = MAX_CONNECTIONS,
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        request_clock: Callable[[], float] = time.monotonic,
        pace: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
        stop: Stop | None = None,
        concurrency: int = 1,
    ) -> None:
        self.settings = settings
        self.concurrency = concurrency  # list pages read at once
        self.stats = Stats()
        self.stop = stop if stop is not None else Stop()
        scrub = scrubber(settings)
        self._transport = Transport(
            settings,
            scrub,
            transport=transport,
            timeout=timeout,
            max_connections=max_connections,
            deadline=request_deadline,
            max_total_bytes=max_total_bytes,
            clock=request_clock,
        )
        self._retrier = Retrier(
            self._transport,
            settings,
            scrub,
            pacer=Pacer(clock, sleep, max_wait, self.stop) if pace else None,
            stats=self.stats,
            stop=self.stop,
            clock=clock,
            sleep=sleep,
            rng=rng,
            max_attempts=max_attempts,
            max_wait=max_wait,
        )

    def __enter__(self) -> CloseClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.stop.set("closed")  # keeps the reason when the run was stopped already
        self._transport.close()
        if self.stats.requests:
            log.info("Close API: %s", self.stats.summary())

    def __repr__(self) -> str:
        return f"<CloseClient {self.settings.api_url} ({self.settings.credential_name})>"

    # The API ---------------------------------------------------------------------------------

    def list_phone_numbers(
        self, fields: Sequence[str] | None = None, *, expect: int = 0
    ) -> list[LiveNumber]:
        """Every phone number of the organization, with `fields` (default: all managed fields);
        `expect`: how many the caller knows of (sizes the first round of page requests)."""
        wanted, query = _phone_number_query(fields)
        items = self._list("/phone_number/", query, expect=expect)
        return [_live_number(item, wanted, "GET", "/phone_number/") for item in items]

    def find_phone_number(
        self, number: str, fields: Sequence[str] | None = None
    ) -> LiveNumber | None:
        """The number whose E.164 form is `number`, with `fields` (default: all managed
        fields), or None: one list request filtered by `number`."""
        wanted, query = _phone_number_query(fields)
        items = self._list("/phone_number/", {**query, "number": number}, expect=1)
        found = (_live_number(item, wanted, "GET", "/phone_number/") for item in items)
        return next((n for n in found if (phone.to_e164(n.number) or n.number) == number), None)

    def get_phone_number(self, number_id: str) -> LiveNumber:
        path = _phone_number_path(number_id)
        return _live_number(self._object("GET", path), MANAGED_FIELDS, "GET", path)

    def update_phone_number(self, number_id: str, changes: Mapping[str, Any]) -> LiveNumber:
        """PUT exactly `changes` (Close treats PUT as PATCH) and return the number as it is now."""
        path = _phone_number_path(number_id)
        return _live_number(
            self._object("PUT", path, body=dict(changes)), MANAGED_FIELDS, "PUT", path
        )

    def list_users(self) -> list[User]:
        """The users of every organization the caller belongs to (Close's /user/)."""
        return [_user(item) for item in self._list("/user/", {})]

    def list_groups(self) -> list[Group]:
        # The group list takes only `_fields` (no paging parameters are documented), so one
        # request; if a server ever says has_more, we follow it with _skip like other lists.
        items = self._list("/group/", {"_fields": "id,name,organization_id"}, paged=False)
        return [
            Group(
                id=item["id"],
                name=str(item.get("name") or ""),
                organization_id=_text(item.get("organization_id")),
            )
            for item in items
        ]

    def group_members(self, group_id: str) -> tuple[str, ...]:
        """The user ids of a group's members (`GET /group/{id}/?_fields=id,members`: the list of
        groups does not carry them)."""
        path = _group_path(group_id)
        body = self._retrier.call("GET", path, params={"_fields": "id,members"})
        members = body.get("members") if isinstance(body, dict) else None
        if not isinstance(members, list):
            raise ApiError("GET", path, 200, "the response has no list of members", reached=False)
        return tuple(str(m["user_id"]) for m in members if isinstance(m, dict) and m.get("user_id"))

    def add_group_member(self, group_id: str, user_id: str) -> None:
        """`POST /group/{id}/member/` (Close does nothing when the user is a member already).
        Confirmed only by an answer that names the member: any other success answer is an
        ApiError with `reached`, as the change may or may not have been made."""
        path = f"{_group_path(group_id)}member/"
        body = self._retrier.call("POST", path, body={"user_id": user_id}, budget=WRITES)
        if not isinstance(body, dict) or body.get("user_id") != user_id:
            raise ApiError(
                "POST", path, None, "the answer does not name the member added", reached=True
            )

    def remove_group_member(self, group_id: str, user_id: str) -> None:
        """`DELETE /group/{id}/member/{user_id}/` (Close does nothing when the user is not a
        member). Any success status confirms it: Close answers a removal with no body."""
        path = f"{_group_path(group_id)}member/{quote(user_id, safe='')}/"
        self._retrier.call("DELETE", path, budget=WRITES)

    def me(self) -> Me:
        body = self._object("GET", "/me/")
        memberships = body.get("memberships")
        return Me(
            user_id=str(body.get("id") or ""),
            email=str(body.get("email") or ""),
            memberships=tuple(_membership(m) for m in memberships or () if isinstance(m, dict))
            if isinstance(memberships, list)
            else (),
        )

    def role(self, role_id: str) -> Role:
        """One role of the organization (`GET /role/{id}/`), for its permissions."""
        path = f"/role/{quote(role_id, safe='')}/"
        body = self._object("GET", path)
        granted = body.get("permissions")
        return Role(
            id=str(body.get("id") or role_id),
            name=str(body.get("name") or ""),
            permissions=frozenset(str(p) for p in granted) if isinstance(granted, list) else None,
        )

    # Requests ----------------------------------------------------------------------------------

    def _object(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        result = self._retrier.call(method, path, body=body)
        if not isinstance(result, dict):
            raise ApiError(
                method, path, 200, "the response is not a JSON object", reached=method != "GET"
            )
        return result

    def _list(
        self, path: str, params: Mapping[str, str], paged: bool = True, expect: int = 0
    ) -> list[dict[str, Any]]:
        return list_all(
            self._get, path, params, paged=paged, concurrency=self.concurrency, expect=expect
        )

    def _get(self, path: str, params: Mapping[str, str]) -> Any:
        return self._retrier.call("GET", path, params=params)


# Building LiveNumbers ---------------------------------------------------------------------------


def _phone_number_query(fields: Sequence[str] | None) -> tuple[tuple[str, ...], dict[str, str]]:
    """The managed fields wanted (default: all) and the list query that reads them."""
    wanted = tuple(MANAGED_FIELDS if fields is None else fields)
    unknown = sorted(set(wanted) - set(MANAGED_FIELDS))
    if unknown:
        raise ValueError(f"not managed fields: {', '.join(unknown)}")
    # Groups come with participants: they tell an owner listed only in `user_id` from a
    # sole group member (see live.normalise_live).
    extra = ("participant_groups",) if "participants" in wanted else ()
    requested = BASE_FIELDS + tuple(
        name for name in MANAGED_FIELDS if name in wanted or name in extra
    )
    return wanted, {"_fields": ",".join(requested)}


def _phone_number_path(number_id: str) -> str:
    # Quoted so that an id from a file or a plan can never walk to another path ("../user").
    return f"/phone_number/{quote(number_id, safe='')}/"


def _group_path(group_id: str) -> str:
    return f"/group/{quote(group_id, safe='')}/"


def _live_number(
    item: Mapping[str, Any], fields: Sequence[str], method: str, path: str
) -> LiveNumber:
    number_id, number = item.get("id"), item.get("number")
    if not isinstance(number_id, str) or not isinstance(number, str):
        raise ApiError(
            method, path, 200, "a phone number without an id or number", reached=method != "GET"
        )
    formatted = item.get("number_formatted")
    return LiveNumber(
        id=number_id,
        number=number,
        number_formatted=formatted if isinstance(formatted, str) and formatted else number,
        date_updated=_text(item.get("date_updated")),
        fields={name: item[name] for name in fields if name in item},
        raw=dict(item),
        organization_id=_text(item.get("organization_id")),
        type=_text(item.get("type")),
    )


def _user(item: Mapping[str, Any]) -> User:
    if not isinstance(item.get("id"), str):
        raise ApiError("GET", "/user/", 200, "a user without an id")
    name = " ".join(str(item.get(key) or "").strip() for key in ("first_name", "last_name"))
    organizations = item.get("organizations")
    return User(
        id=str(item["id"]),
        email=str(item.get("email") or ""),
        name=name.strip(),
        # /user/ lists ids; /me/ lists {id, name} objects: accept either.
        organizations=frozenset(
            str(o.get("id") if isinstance(o, dict) else o) for o in organizations
        )
        if isinstance(organizations, list)
        else None,
    )


def _membership(item: Mapping[str, Any]) -> Membership:
    granted = item.get("permissions_granted")
    return Membership(
        organization_id=_text(item.get("organization_id")),
        role_id=_text(item.get("role_id")),
        permissions=frozenset(str(p) for p in granted) if isinstance(granted, list) else None,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
