"""Close's error answers as ApiErrors that say what Close answered in its own words (scrubbed of
the credential), with a hint where the fix is known. Permission refusals read the same whether
Close sends them as a 403 or as a 400 with an `errors` list."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import httpx

from numbersync.close.settings import Settings
from numbersync.close.transport import Scrub, excerpt, read_json
from numbersync.errors import ApiError

PERMISSION_NAME = "Manage Team Phone Numbers"
PERMISSION_HINT = (
    f"changing members, groups or ring settings needs the {PERMISSION_NAME} permission; "
    "without it a user may change only label, greeting and forwarding of numbers where they are "
    "the sole member"
)
PERSONAL_HINT = "Close lets only its owner change a personal number, whatever the permission"
# Words of Close's refusals that come as a 400 with an `errors` list instead of a 403.
_REFUSAL_WORDS = ("permission", "personal number")
_PHONE_NUMBER_PATH = re.compile(r"^/phone_number/([^/]+)/$")
_TAG = re.compile(r"<[^>]*>")


def error_from_response(
    method: str, path: str, response: httpx.Response, settings: Settings, scrub: Scrub
) -> ApiError:
    """Map a non-retryable error response to an ApiError with Close's own words where it has any.
    None of these answers means the request was applied."""
    status = response.status_code
    body = _json(response, scrub)
    said = _server_message(body, scrub) if isinstance(body, dict) else ""
    if status == 400:
        return _bad_request(method, path, body, said, body_text(response, scrub))
    if status == 401:
        return ApiError(
            method,
            path,
            status,
            f"{settings.credential_name} was rejected",
            hint=f"check that it is current and belongs to the organization at {settings.api_url}",
        )
    if status == 402:
        return ApiError(
            method, path, status, "a limit of your Close plan was reached" + suffix(said)
        )
    if status == 403:
        return _not_allowed(method, path, status, said)
    if status == 404:
        match = _PHONE_NUMBER_PATH.match(path)
        if match:
            return ApiError(method, path, status, f"phone number {unquote(match[1])} not found")
        return ApiError(
            method,
            path,
            status,
            "not found" + suffix(said),
            hint="check CLOSE_API_URL (it should end in /api/v1)",
        )
    if 300 <= status < 400:
        return ApiError(
            method,
            path,
            status,
            f"unexpected redirect to {scrub(response.headers.get('Location', '?'))}",
            hint="check CLOSE_API_URL",
        )
    return ApiError(
        method, path, status, status_text(response) + suffix(body_text(response, scrub))
    )


def _bad_request(method: str, path: str, body: Any, said: str, text: str) -> ApiError:
    """`body` is scrubbed already (`read_json`), keys and values."""
    field_errors: dict[str, str] = {}
    errors: list[str] = []
    if isinstance(body, dict):
        raw_fields = body.get("field-errors")
        if isinstance(raw_fields, dict):
            field_errors = {k: _flatten(v) for k, v in raw_fields.items()}
        raw_errors = body.get("errors")
        if isinstance(raw_errors, list):
            errors = [_flatten(e) for e in raw_errors]
    if not field_errors and any(word in e.lower() for e in errors for word in _REFUSAL_WORDS):
        # Close may refuse a forbidden change with 400 and an `errors` list instead of a 403.
        return _not_allowed(method, path, 400, "; ".join(errors))
    messages = errors + [f"{name}: {message}" for name, message in field_errors.items()]
    if said and not messages:
        messages.append(said)
    detail = "; ".join(messages) or text or "bad request"
    return ApiError(method, path, 400, f"Close rejected the request: {detail}", field_errors)


def _not_allowed(method: str, path: str, status: int, said: str) -> ApiError:
    hint = None
    if method == "PUT" and _PHONE_NUMBER_PATH.match(path):
        hint = PERSONAL_HINT if "personal number" in said.lower() else PERMISSION_HINT
    return ApiError(method, path, status, "not allowed" + suffix(said), hint=hint)


def body_text(response: httpx.Response, scrub: Scrub) -> str:
    """Close's message when the body is JSON that has one, else the body's text (JSON as read,
    so that no `\\u` escape shows what scrubbing removed), cut short."""
    body = _json(response, scrub)
    said = _server_message(body, scrub) if isinstance(body, dict) else ""
    if said:
        return said
    if body is not None:
        return excerpt(json.dumps(body, ensure_ascii=False), scrub)
    text = response.text
    if "html" in response.headers.get("Content-Type", ""):
        text = _TAG.sub(" ", text)  # a gateway's error page: keep its words
    return excerpt(text, scrub)


def status_text(response: httpx.Response) -> str:
    """`409 Conflict`; the Transport scrubbed the reason phrase when the answer came."""
    phrase = response.reason_phrase
    return f"{response.status_code} {phrase}" if phrase else str(response.status_code)


def suffix(text: str) -> str:
    return f": {text}" if text else ""


def _json(response: httpx.Response, scrub: Scrub) -> Any:
    try:
        return read_json(response, scrub)
    except ValueError:
        return None


def _server_message(body: Mapping[str, Any], scrub: Scrub) -> str:
    """Close's human-readable `error` (or `message`), if the body carries one."""
    for key in ("error", "message", "detail"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return excerpt(value, scrub)
    return ""


def _flatten(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_flatten(item) for item in value)
    return str(value)
