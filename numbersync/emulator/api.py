"""The Close endpoints the emulator serves: routing, query parameters and the JSON shapes of
phone numbers, users, /me/, roles and groups, as the quirks in force shape them. Pure functions
from a request to a Response.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from numbersync.emulator.quirks import DEPRECATED_FIELDS, Quirks
from numbersync.emulator.state import (
    AlreadyExists,
    NotFoundError,
    NotYourPersonalNumber,
    PermissionDenied,
    Role,
    State,
    User,
    ValidationFailed,
    project,
)

MAX_LIMIT = 100  # documented default and, in the emulator, the maximum page size
Query = Mapping[str, str]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, status: int, payload: Any) -> Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, (("Content-Type", "application/json"),))

    def with_headers(self, *headers: tuple[str, str]) -> Response:
        return Response(self.status, self.body, self.headers + headers)


def error(status: int, message: str) -> Response:
    """Close's shape for errors other than validation: `{"error": "..."}`."""
    return Response.json(status, {"error": message})


def field_errors(errors: list[str], by_field: Mapping[str, str]) -> Response:
    """Close's validation error shape (400), the one its official client parses."""
    return Response.json(400, {"errors": errors, "field-errors": dict(by_field)})


@dataclass(frozen=True)
class Call:
    """What an endpoint works with: the organization, the authenticated caller and the quirks;
    `path_ids` are the ids in the path, outermost first, for endpoints nested under another
    (`/group/{id}/member/{user_id}/`)."""

    state: State
    user: User
    quirks: Quirks
    path_ids: tuple[str, ...] = ()


Handler = Callable[[Call, str | None, Query, bytes], Response]


@dataclass(frozen=True)
class Route:
    """A matched endpoint: its handler, its path parameter (the first id) and every id in the
    path."""

    handler: Handler
    param: str | None
    ids: tuple[str, ...] = ()


# (first path segment, has an id segment) -> {method: handler}
_ROUTES: dict[tuple[str, bool], dict[str, Handler]] = {}


def resolve(method: str, path: str) -> Route | Response:
    """Match `path` (after /api/v1) and `method` to an endpoint, or answer 404/405.

    Close's paths all end in "/". One without it gets a 404 that says so, rather than Django's
    redirect: a client that drops the slash has a bug worth seeing at once.
    """
    if not path.endswith("/"):
        if isinstance(_match(path + "/"), tuple):
            return error(404, f"Not found. Close API paths end with a slash: {path}/")
        return error(404, "Not found.")
    matched = _match(path)
    if matched is None:
        return error(404, "Not found.")
    _, methods, ids = matched
    handler = methods.get(method)
    if handler is None:
        allowed = ", ".join(sorted(methods))
        return error(405, f"Method {method} not allowed; use {allowed}.").with_headers(
            ("Allow", allowed)
        )
    return Route(handler, ids[0] if ids else None, ids)


def _match(path: str) -> tuple[tuple[str, bool], dict[str, Handler], tuple[str, ...]] | None:
    parts = path.split("/")
    # "/me/" -> ["", "me", ""]; "/phone_number/phon_x/" -> ["", "phone_number", "phon_x", ""];
    # "/group/g/member/u/" -> ["", "group", "g", "member", "u", ""], keyed ("group/member", True)
    if len(parts) < 3 or parts[0] != "" or parts[-1] != "":
        return None
    segments = parts[1:-1]
    if not all(segments):
        return None
    names, ids = segments[0::2], tuple(segments[1::2])
    key = ("/".join(names), len(ids) == len(names))
    methods = _ROUTES.get(key)
    return None if methods is None else (key, methods, ids)


def _route(family: str, with_id: bool, method: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _ROUTES.setdefault((family, with_id), {})[method] = handler
        return handler

    return register


# -- query parameters ----------------------------------------------------------------------------


class BadQuery(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _paging(query: Query) -> tuple[int, int]:
    return (
        _integer(query, "_skip", 0, None),
        _integer(query, "_limit", MAX_LIMIT, MAX_LIMIT),
    )


def _integer(query: Query, name: str, default: int, maximum: int | None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(name, "A valid integer is required.") from None
    if value < 0:
        raise BadQuery(name, "Ensure this value is greater than or equal to 0.")
    if maximum is not None and value > maximum:
        raise BadQuery(name, f"Ensure this value is less than or equal to {maximum}.")
    return value


def _fields(query: Query) -> list[str] | None:
    raw = query.get("_fields")
    if not raw:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def _boolean(query: Query, name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise BadQuery(name, "Must be a valid boolean (true or false).")


def _page(data: list[dict[str, Any]], has_more: bool) -> Response:
    return Response.json(200, {"data": data, "has_more": has_more})


def _bad_query(exc: BadQuery) -> Response:
    return field_errors([f"Invalid query parameter {exc.name}."], {exc.name: str(exc)})


def _served(quirks: Quirks, obj: dict[str, Any]) -> dict[str, Any]:
    """A phone number as answered: without the deprecated fields once Close has dropped them."""
    if not quirks.deprecated_fields:
        for name in DEPRECATED_FIELDS:
            obj.pop(name, None)
    return obj


# -- phone numbers -------------------------------------------------------------------------------


@_route("phone_number", False, "GET")
def list_numbers(call: Call, _: str | None, query: Query, body: bytes) -> Response:
    # The deprecated filters are still served while the deprecated fields are; once those are
    # gone the filters are ignored like any unknown parameter (so they silently match all).
    deprecated = call.quirks.deprecated_fields
    try:
        skip, limit = _paging(query)
        data, has_more = call.state.query_numbers(
            skip=skip,
            limit=limit,
            fields=_fields(query),
            number=query.get("number") or None,
            participant_user_id=query.get("participant_user_id") or None,
            user_id=(query.get("user_id") or None) if deprecated else None,
            is_group_number=_boolean(query, "is_group_number") if deprecated else None,
        )
    except BadQuery as exc:
        return _bad_query(exc)
    return _page([_served(call.quirks, obj) for obj in data], has_more)


@_route("phone_number", True, "GET")
def get_number(call: Call, number_id: str | None, query: Query, _: bytes) -> Response:
    obj = call.state.number(number_id or "")
    if obj is None:
        return error(404, f"No phone number with id {number_id}.")
    return Response.json(200, _served(call.quirks, project(obj, _fields(query))))


@_route("phone_number", True, "PUT")
def put_number(call: Call, number_id: str | None, _: Query, body: bytes) -> Response:
    state = call.state
    try:
        payload = json.loads(body) if body.strip() else None
    except ValueError:
        payload = _INVALID
    if number_id not in state:  # 404 before complaining about the body, like a router would
        return error(404, f"No phone number with id {number_id}.")
    if payload is _INVALID:
        return field_errors(["The request body is not valid JSON."], {})
    try:
        updated = state.update_number(
            number_id or "", payload, user=call.user, rules=call.quirks.rules
        )
    except NotFoundError as exc:  # the number vanished between the two lookups (never, today)
        return error(404, str(exc))
    except ValidationFailed as exc:
        return field_errors(exc.errors, exc.field_errors)
    except NotYourPersonalNumber as exc:
        status = call.quirks.personal_number_error
        if status == 404:
            return error(404, f"No phone number with id {number_id}.")
        if status == 400:
            return field_errors([str(exc)], {})
        return error(403, str(exc))
    except PermissionDenied as exc:
        if call.quirks.permission_error == 400:
            return field_errors([str(exc)], {})
        return error(403, str(exc))
    return Response.json(200, _served(call.quirks, updated))


_INVALID = object()


# -- users ---------------------------------------------------------------------------------------


def user_object(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "image": user.image,
        "organizations": list(user.organizations),  # active memberships only
        "date_created": user.date_created,
        "date_updated": user.date_updated,
    }


_ORDERINGS: dict[str, Callable[[User], tuple[str, ...]]] = {
    "last_name,first_name": lambda u: (u.last_name, u.first_name),
    "first_name,last_name": lambda u: (u.first_name, u.last_name),
}


@_route("user", False, "GET")
def list_users(call: Call, _: str | None, query: Query, body: bytes) -> Response:
    try:
        skip, limit = _paging(query)
    except BadQuery as exc:
        return _bad_query(exc)
    # Documented: "all the users who are members of the same organizations as you are", so
    # members of the caller's other organizations too, and never former members.
    users = call.state.users_seen_by(call.user)
    order = query.get("_order_by")
    if order:
        key = _ORDERINGS.get(order)
        if key is None:
            return _bad_query(BadQuery("_order_by", f"Must be one of {', '.join(_ORDERINGS)}."))
        users.sort(key=key)
    page = users[skip : skip + limit]
    data = [project(user_object(u), _fields(query)) for u in page]
    return _page(data, skip + len(page) < len(users))


@_route("user", True, "GET")
def get_user(call: Call, user_id: str | None, query: Query, _: bytes) -> Response:
    found = call.state.user_seen_by(call.user, user_id or "")
    if found is None:
        return error(404, f"No user with id {user_id}.")
    return Response.json(200, project(user_object(found), _fields(query)))


@_route("me", False, "GET")
def get_me(call: Call, _: str | None, query: Query, body: bytes) -> Response:
    state, user = call.state, call.user
    me = user_object(user)
    organizations = [state.organization_by_id(org_id) for org_id in user.organizations]
    me["organizations"] = [{"id": o.id, "name": o.name} for o in organizations if o]
    me["memberships"] = [_membership(state, user, org_id) for org_id in user.organizations]
    me["phone_numbers"] = [_served(call.quirks, obj) for obj in state.numbers_of(user.id)]
    return Response.json(200, project(me, _fields(query)))


def _membership(state: State, user: User, organization_id: str) -> dict[str, Any]:
    """One /me/ membership. The emulator models roles in its own organization only: in any other
    the user is a plain `user` with no permissions granted."""
    if organization_id != state.organization.id:
        return {"organization_id": organization_id, "role_id": "user", "permissions_granted": []}
    membership: dict[str, Any] = {"organization_id": organization_id, "role_id": user.role_id}
    if user.permissions is not None:
        # snake_case like the Roles API; what /me/ lists is set apart from who may really
        # manage numbers (User.can_manage_numbers), as the seed says
        membership["permissions_granted"] = sorted(user.permissions)
    return membership


# -- roles ---------------------------------------------------------------------------------------


def role_object(state: State, role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "editable": role.editable,
        "permissions": list(role.permissions),
        "organization_id": state.organization.id,
        # Close's role records always show these; nothing here uses them.
        "visibility_user_lcf_behavior": None,
        "visibility_user_lcf_ids": None,
    }


@_route("role", False, "GET")
def list_roles(call: Call, _: str | None, query: Query, body: bytes) -> Response:
    try:
        skip, limit = _paging(query)
    except BadQuery as exc:
        return _bad_query(exc)
    roles = call.state.roles
    page = roles[skip : skip + limit]
    data = [project(role_object(call.state, r), _fields(query)) for r in page]
    return _page(data, skip + len(page) < len(roles))


@_route("role", True, "GET")
def get_role(call: Call, role_id: str | None, query: Query, _: bytes) -> Response:
    role = call.state.role(role_id or "")
    if role is None:
        return error(404, f"No role with id {role_id}.")
    return Response.json(200, project(role_object(call.state, role), _fields(query)))


# -- groups --------------------------------------------------------------------------------------


@_route("group", False, "GET")
def list_groups(call: Call, _: str | None, query: Query, body: bytes) -> Response:
    # Documented: the list never carries members, and takes no paging parameters.
    fields = [f for f in _fields(query) or ["id", "name", "organization_id"] if f != "members"]
    data = [project(_group_object(call.state, g.id), fields) for g in call.state.groups]
    return _page(data, False)


@_route("group", True, "GET")
def get_group(call: Call, group_id: str | None, query: Query, _: bytes) -> Response:
    if call.state.group(group_id or "") is None:
        return error(404, f"No group with id {group_id}.")
    # Documented: members are returned only when `_fields` asks for them.
    fields = _fields(query) or ["id", "name", "organization_id"]
    return Response.json(200, project(_group_object(call.state, group_id or ""), fields))


def _group_object(state: State, group_id: str) -> dict[str, Any]:
    group = state.group(group_id)
    assert group is not None
    return {
        "id": group.id,
        "name": group.name,
        "organization_id": state.organization.id,
        "members": [{"user_id": member} for member in group.members],
    }


# Group writes. Close publishes their statuses (201 with the member or the group, 204 for a
# removal, 400, 401, 404) but no error bodies: the emulator answers them as its other endpoints
# do (docs/emulator.md).


@_route("group", False, "POST")
def create_group(call: Call, _: str | None, query: Query, body: bytes) -> Response:
    payload = _body_object(body, "name")
    if isinstance(payload, Response):
        return payload
    try:
        group = call.state.create_group(
            payload["name"], user=call.user, permission=call.quirks.group_permission
        )
    except PermissionDenied as exc:
        return _group_refusal(call, exc)
    except AlreadyExists as exc:
        return field_errors([], {"name": str(exc)})
    return Response.json(201, project(_group_object(call.state, group.id), _fields(query)))


@_route("group", True, "PUT")
def rename_group(call: Call, group_id: str | None, query: Query, body: bytes) -> Response:
    if call.state.group(group_id or "") is None:
        return error(404, f"No group with id {group_id}.")
    payload = _body_object(body, "name")
    if isinstance(payload, Response):
        return payload
    try:
        call.state.rename_group(
            group_id or "", payload["name"], user=call.user, permission=call.quirks.group_permission
        )
    except NotFoundError as exc:
        return error(404, str(exc))
    except PermissionDenied as exc:
        return _group_refusal(call, exc)
    except AlreadyExists as exc:
        return field_errors([], {"name": str(exc)})
    return Response.json(200, project(_group_object(call.state, group_id or ""), _fields(query)))


@_route("group/member", False, "POST")
def add_member(call: Call, group_id: str | None, _: Query, body: bytes) -> Response:
    if call.state.group(group_id or "") is None:
        return error(404, f"No group with id {group_id}.")
    payload = _body_object(body, "user_id")
    if isinstance(payload, Response):
        return payload
    user_id = payload["user_id"]
    try:
        call.state.add_member(
            group_id or "", user_id, user=call.user, permission=call.quirks.group_permission
        )
    except NotFoundError as exc:
        return error(404, str(exc))
    except PermissionDenied as exc:
        return _group_refusal(call, exc)
    # Close's example answers an add with the member alone, already a member or not.
    return Response.json(201, {"user_id": user_id})


@_route("group/member", True, "DELETE")
def remove_member(call: Call, group_id: str | None, _: Query, body: bytes) -> Response:
    user_id = call.path_ids[1] if len(call.path_ids) > 1 else ""
    try:
        call.state.remove_member(
            group_id or "", user_id, user=call.user, permission=call.quirks.group_permission
        )
    except NotFoundError as exc:
        return error(404, str(exc))
    except PermissionDenied as exc:
        return _group_refusal(call, exc)
    return Response(204)


def _body_object(body: bytes, key: str) -> dict[str, str] | Response:
    """A JSON object holding exactly `key`, a non-empty string (Close's CreateGroup and
    CreateGroupMember: required, no other properties), or the 400 that says what is wrong."""
    try:
        payload = json.loads(body) if body.strip() else None
    except ValueError:
        return field_errors(["The request body is not valid JSON."], {})
    if not isinstance(payload, dict):
        return field_errors(["The request body must be a JSON object."], {})
    errors = {name: "Unknown field." for name in payload if name != key}
    value = payload.get(key)
    if key not in payload:
        errors[key] = "This field is required."
    elif not isinstance(value, str):
        errors[key] = "Not a valid string."
    elif not value.strip():
        errors[key] = "This field may not be blank."
    if errors:
        return field_errors([], errors)
    return {key: str(value)}


def _group_refusal(call: Call, exc: PermissionDenied) -> Response:
    if call.quirks.permission_error == 400:
        return field_errors([str(exc)], {})
    return error(403, str(exc))
