"""Argument checks: each bad value gives an error naming the parameter and what it got."""

from __future__ import annotations

from typing import Any

import pytest

from jobharness import checks
from jobharness.errors import ConfigurationError, ValidationError


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_shown_shortens_and_survives_a_failing_repr() -> None:
    assert checks.shown("x" * 200, limit=20) == repr("x" * 200)[:17] + "..."
    assert checks.shown(BadRepr()) == "a BadRepr"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "retries must be a whole number, got bool True"),
        ("3", "retries must be a whole number, got str '3'"),
        (1.5, "retries must be a whole number, got float 1.5"),
        (-1, "retries must be a whole number from 0 to 10, got -1"),
        (11, "retries must be a whole number from 0 to 10, got 11"),
    ],
)
def test_whole_number_refuses(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as failure:
        checks.whole_number(value, "retries", maximum=10)
    assert str(failure.value) == message


def test_whole_number_accepts_its_range_and_none_when_optional() -> None:
    assert checks.whole_number(0, "n") == 0
    assert checks.whole_number(10, "n", maximum=10) == 10
    assert checks.whole_number(None, "n", optional=True) is None
    with pytest.raises(ConfigurationError, match="n must be a whole number of 2 or more"):
        checks.whole_number(1, "n", minimum=2)


def test_text_flag_and_instance() -> None:
    assert checks.text("a", "name") == "a"
    assert checks.text("", "name", empty=True) == ""
    with pytest.raises(ConfigurationError, match="name must not be empty"):
        checks.text("", "name")
    with pytest.raises(ConfigurationError, match="name must be text, got int 5"):
        checks.text(5, "name")
    assert checks.flag(False, "save") is False
    with pytest.raises(ConfigurationError, match="save must be True or False, got str 'yes'"):
        checks.flag("yes", "save")
    assert checks.instance(None, int, "n") is None
    with pytest.raises(ConfigurationError, match="n must be a int, got NoneType None"):
        checks.instance(None, int, "n", optional=False)


@pytest.mark.parametrize("value", [True, False, "/etc/ssl/ca.pem"])
def test_verify_option_accepts(value: bool | str) -> None:
    assert checks.verify_option(value) == value


@pytest.mark.parametrize("value", ["", None, 0, 1])
def test_verify_option_refuses(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="verify must be True, False or the path"):
        checks.verify_option(value)


def test_a_lone_text_is_refused_as_a_list_not_split() -> None:
    with pytest.raises(ValidationError) as failure:
        checks.text_list("seconds", "required_arguments")
    assert "write ['seconds'] for one item" in str(failure.value)
    assert "required_arguments" in str(failure.value)


def test_text_list_names_the_bad_item() -> None:
    assert checks.text_list(("a", "b"), "names") == ["a", "b"]
    assert checks.text_list(None, "names") == []
    with pytest.raises(ValidationError, match=r"names\[1\]"):
        checks.text_list(["a", 2], "names")
    with pytest.raises(ValidationError, match="must be a list of texts, got int 3"):
        checks.text_list(3, "names")


def test_mapping_copies_and_checks_keys() -> None:
    given = {"a": 1}
    copied = checks.mapping(given, "arguments")
    assert copied == given and copied is not given
    assert checks.mapping(None, "arguments") == {}
    with pytest.raises(ValidationError, match="keys must be text, got int 1"):
        checks.mapping({1: "x"}, "arguments")
    with pytest.raises(ValidationError, match="must be a mapping of names to values"):
        checks.mapping([("a", 1)], "arguments")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:8000/api/", ""),
        ("https://user:pw@h.example/", ""),
        (5, "it is not text"),
        ("127.0.0.1:8000", "it has no scheme"),
        ("http://h /x", "it holds white space or control characters"),
        ("http://h:99999/", "it is not a valid URL"),
        ("ftp://h/", "the scheme must be http or https, not 'ftp'"),
        ("http:///path", "it has no host"),
        ("http://h:0/", "port 0 is not a server's port"),
    ],
)
def test_url_problem(url: object, problem: str) -> None:
    found = checks.url_problem(url)
    assert found.startswith(problem) and bool(found) == bool(problem)
