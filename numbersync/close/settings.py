"""Where the Close API is and which credential to present: read from the environment, checked
up front, and held so that the secret never shows up in a repr, log line or traceback."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from numbersync.errors import UsageError
from numbersync.loopback import is_loopback

DEFAULT_API_URL = "https://api.close.com/api/v1"
API_KEY_VAR = "CLOSE_API_KEY"
ACCESS_TOKEN_VAR = "CLOSE_ACCESS_TOKEN"
API_URL_VAR = "CLOSE_API_URL"

Scheme = Literal["basic", "bearer"]
# A DNS name or an IP literal (urlsplit already removed the brackets of an IPv6 one).
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]+")


class Secret:
    """A credential whose repr and str are masked.

    `__slots__` (no `__dict__`) keeps it out of `vars()`-style dumps, and only `reveal()`, called
    where the Authorization header is built, hands out the value.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """How to reach Close: the base URL (no trailing slash) and the credential with its scheme
    (`basic` for an API key, `bearer` for an OAuth access token)."""

    api_url: str
    credential: Secret
    scheme: Scheme = "basic"

    def __post_init__(self) -> None:
        try:
            api_url = check_api_url(self.api_url)
        except UsageError as exc:
            # The URL is echoed to help spot typos; a credential pasted into it (the variables
            # swapped, or `?key=...`) must not be.
            secret = self.credential.reveal()
            if len(secret) >= 4 and secret in exc.message:
                raise UsageError(exc.message.replace(secret, "****"), exc.hint) from None
            raise
        object.__setattr__(self, "api_url", api_url)
        if self.scheme not in ("basic", "bearer"):
            raise ValueError(f"unknown auth scheme {self.scheme!r}")
        _check_credential(self.credential, self.credential_name)

    @property
    def credential_name(self) -> str:
        """The environment variable the credential comes from, for messages that must name it."""
        return API_KEY_VAR if self.scheme == "basic" else ACCESS_TOKEN_VAR

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read CLOSE_API_KEY or CLOSE_ACCESS_TOKEN, and CLOSE_API_URL.

        Setting both credentials is refused rather than letting one win silently: they may belong
        to different users with different permissions, and an apply must be unambiguous about who
        makes the changes. An empty variable counts as unset (CI exports missing secrets as "").
        """
        key = Secret(env.get(API_KEY_VAR, "").strip())
        token = Secret(env.get(ACCESS_TOKEN_VAR, "").strip())
        url = env.get(API_URL_VAR, "").strip() or DEFAULT_API_URL
        if key.reveal() and token.reveal():
            raise UsageError(
                f"both {API_KEY_VAR} and {ACCESS_TOKEN_VAR} are set",
                hint="unset one of them, so that it is clear which user makes the changes",
            )
        if key.reveal():
            return cls(api_url=url, credential=key, scheme="basic")
        if token.reveal():
            return cls(api_url=url, credential=token, scheme="bearer")
        raise UsageError(
            f"no Close credential: set {API_KEY_VAR} (an API key) or {ACCESS_TOKEN_VAR} "
            "(an OAuth access token)",
            hint="create an API key in Close under Settings > Developer > API Keys",
        )


def check_api_url(url: str) -> str:
    """Return the base URL without trailing slash, or raise UsageError saying what is wrong.

    Plain http is refused except to a loopback host (the emulator): the credential travels in
    every request's Authorization header.
    """
    parts = urlsplit(url.strip())
    if parts.username is not None or parts.password is not None:
        # Not echoed: whatever sits before the @ may well be a credential.
        raise UsageError(
            f"{API_URL_VAR} must not contain a user name or password",
            hint=f"put the credential in {API_KEY_VAR} or {ACCESS_TOKEN_VAR}",
        )
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("http", "https") or not _HOST.fullmatch(host):
        raise UsageError(
            f"{API_URL_VAR} is not an http(s) URL: {url!r}",
            hint=f"for example {DEFAULT_API_URL}",
        )
    try:
        parts.port  # noqa: B018 -- urlsplit only validates the port when asked for it
    except ValueError:
        raise UsageError(f"{API_URL_VAR} has an invalid port: {url!r}") from None
    if parts.query or parts.fragment:
        raise UsageError(f"{API_URL_VAR} must not have a query or fragment: {url!r}")
    if scheme == "http" and not is_loopback(host):
        raise UsageError(
            f"{API_URL_VAR} uses plain http:// to {host}, which would send the "
            "credential unencrypted",
            hint="use https://; plain http:// is only allowed to 127.0.0.1, ::1 or localhost",
        )
    return f"{scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _check_credential(credential: Secret, name: str) -> None:
    value = credential.reveal()
    if not value:
        raise UsageError(f"{name} is empty")
    # Refuse what cannot go into an HTTP header, without echoing the value: a stray quote, space
    # or newline from copy-paste would otherwise surface as a confusing 401 or a codec error.
    if not all("!" <= char <= "~" and char not in "\"'" for char in value):
        raise UsageError(
            f"{name} contains spaces, quotes, line breaks or non-ASCII characters",
            hint="copy the value again, without surrounding quotes or whitespace",
        )
