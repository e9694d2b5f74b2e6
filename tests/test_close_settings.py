"""Settings.from_env: which credential, which URL, and what is refused before any request."""

from __future__ import annotations

import pytest

from numbersync.close import DEFAULT_API_URL, Secret, Settings
from numbersync.errors import UsageError

KEY = "api_canary.settings0000"
K = {"CLOSE_API_KEY": KEY}
URL = "CLOSE_API_URL"


@pytest.mark.parametrize(
    ("env", "url", "scheme"),
    [
        ({"CLOSE_API_KEY": KEY}, DEFAULT_API_URL, "basic"),
        ({"CLOSE_ACCESS_TOKEN": KEY}, DEFAULT_API_URL, "bearer"),
        ({"CLOSE_API_KEY": f"  {KEY}\n"}, DEFAULT_API_URL, "basic"),  # pasted with a newline
        ({"CLOSE_API_KEY": KEY, "CLOSE_ACCESS_TOKEN": ""}, DEFAULT_API_URL, "basic"),
        ({**K, URL: ""}, DEFAULT_API_URL, "basic"),
        ({**K, URL: "https://api.close.com/api/v1/"}, DEFAULT_API_URL, "basic"),
        ({**K, URL: "HTTPS://api.close.com/api/v1"}, DEFAULT_API_URL, "basic"),
        ({**K, URL: "http://127.0.0.1:8080/api/v1"}, "http://127.0.0.1:8080/api/v1", "basic"),
        ({**K, URL: "http://127.9.9.9/api/v1/"}, "http://127.9.9.9/api/v1", "basic"),
        ({**K, URL: "http://localhost:1/api/v1"}, "http://localhost:1/api/v1", "basic"),
        ({**K, URL: "http://[::1]:9/api/v1"}, "http://[::1]:9/api/v1", "basic"),
        ({**K, URL: "https://close.internal:8443"}, "https://close.internal:8443", "basic"),
    ],
)  # fmt: skip
def test_accepted_environments(env: dict[str, str], url: str, scheme: str) -> None:
    settings = Settings.from_env(env)
    assert settings.api_url == url
    assert settings.scheme == scheme
    assert settings.credential.reveal() == KEY


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "set CLOSE_API_KEY (an API key) or CLOSE_ACCESS_TOKEN"),
        ({"CLOSE_API_KEY": "  ", "CLOSE_ACCESS_TOKEN": ""}, "set CLOSE_API_KEY"),
        # Both set: refused, so that it is never ambiguous which user makes the changes.
        ({**K, "CLOSE_ACCESS_TOKEN": KEY}, "both CLOSE_API_KEY and CLOSE_ACCESS_TOKEN"),
        ({**K, URL: "http://api.close.com/api/v1"}, "plain http:// to api.close.com"),
        ({**K, URL: "http://10.0.0.1/api/v1"}, "plain http://"),
        ({**K, URL: "http://localhost.evil.example/"}, "plain http://"),
        ({**K, URL: "api.close.com/api/v1"}, "is not an http(s) URL"),
        ({**K, URL: "ftp://api.close.com/"}, "is not an http(s) URL"),
        ({**K, URL: "https://"}, "is not an http(s) URL"),
        ({**K, URL: "https://exa mple.com/"}, "is not an http(s) URL"),
        ({**K, URL: "https://api.close.com:99999/"}, "invalid port"),
        ({**K, URL: "https://api.close.com/api/v1?x=1"}, "query or fragment"),
        ({"CLOSE_API_KEY": "two words"}, "CLOSE_API_KEY contains spaces"),
        ({"CLOSE_ACCESS_TOKEN": '"quoted"'}, "CLOSE_ACCESS_TOKEN contains"),
        ({"CLOSE_API_KEY": "caf\u00e9"}, "non-ASCII"),
    ],
)  # fmt: skip
def test_refused_environments(env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        Settings.from_env(env)
    assert message in caught.value.message


def test_a_url_with_credentials_is_refused_without_echoing_them() -> None:
    env = {**K, URL: "https://sneaky-secret:@api.close.com/api/v1"}
    with pytest.raises(UsageError) as caught:
        Settings.from_env(env)
    assert "must not contain a user name or password" in caught.value.message
    assert "sneaky-secret" not in str(caught.value) + str(caught.value.hint)


def test_bad_credential_characters_are_not_echoed() -> None:
    with pytest.raises(UsageError) as caught:
        Settings.from_env({"CLOSE_API_KEY": "api_secret\tvalue"})
    assert "api_secret" not in str(caught.value)


def test_the_credential_is_masked_in_repr_str_and_vars() -> None:
    settings = Settings.from_env({"CLOSE_API_KEY": KEY})
    assert KEY not in repr(settings)
    assert KEY not in str(settings)
    assert KEY not in repr(settings.credential) + str(settings.credential)
    assert KEY not in repr(vars(settings))
    with pytest.raises(TypeError):  # no __dict__ to dump
        vars(settings.credential)
    assert settings.credential_name == "CLOSE_API_KEY"
    token = Settings.from_env({"CLOSE_ACCESS_TOKEN": KEY})
    assert token.credential_name == "CLOSE_ACCESS_TOKEN"


def test_settings_built_directly_are_checked_too() -> None:
    with pytest.raises(UsageError):
        Settings("http://example.com/api/v1", Secret(KEY))
    with pytest.raises(UsageError):
        Settings(DEFAULT_API_URL, Secret(""))
    assert (
        Settings("http://127.0.0.1:1/api/v1/", Secret(KEY)).api_url == "http://127.0.0.1:1/api/v1"
    )
