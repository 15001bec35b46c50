"""Secret redaction and settings precedence."""

from __future__ import annotations

from jobharness.redaction import MASK, Redactor, redact, redact_mapping, snippet
from jobharness.settings import Setting, resolve


def test_known_secret_values_are_masked():
    assert redact("token is abcdef123 here", ["abcdef123"]) == f"token is {MASK} here"


def test_credential_shapes_are_masked():
    text = redact(
        'Authorization: Token 0123abcd {"password": "hunter2"} http://bob:pw@host/ auth_token=xyz'
    )
    for secret in ("0123abcd", "hunter2", ":pw@", "xyz"):
        assert secret not in text
    assert "bob" in text and "host" in text


def test_redactor_keeps_its_own_secrets():
    redactor = Redactor(["s3cret", None])
    redactor.add("other")
    assert redactor("s3cret and other") == f"{MASK} and {MASK}"


def test_redact_mapping_is_recursive():
    data = {"auth": {"user": "u", "password": "p"}, "Token": "t", "n": 1}
    assert redact_mapping(data) == {"auth": {"user": "u", "password": MASK}, "Token": MASK, "n": 1}


def test_snippet_shortens():
    assert snippet(b"  " + b"x" * 900, limit=10) == "x" * 10 + "... (900 characters)"


URL = Setting("demo_url", "a URL", env=("JH_DEMO_URL", "DEMO_URL"), default="http://d")
TOKEN = Setting("demo_token", "a token", secret=True)


def test_precedence_argument_env_configured_default():
    env = {"JH_DEMO_URL": "http://env", "DEMO_URL": "http://env2"}
    assert resolve(URL, "http://arg", "http://ini", env).source == "argument"
    assert resolve(URL, None, "http://ini", env).value == "http://env"
    assert resolve(URL, None, "http://ini", {"DEMO_URL": "http://e2"}).source == "env DEMO_URL"
    assert resolve(URL, "", "http://ini", {}).value == "http://ini"
    assert resolve(URL, None, None, {}).source == "default"


def test_secret_settings_are_masked_in_descriptions():
    described = resolve(TOKEN, "abc123", environ={}).describe()
    assert "abc123" not in described and MASK in described


def test_descriptions_mask_credentials_in_urls():
    described = resolve(URL, "http://bob:hunter2@example.org/", environ={}).describe()
    assert "hunter2" not in described and "bob" in described
