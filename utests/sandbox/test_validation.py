"""Local config validation: every rule the server enforces, and its traps, by field."""

from __future__ import annotations

from typing import Any

import pytest

from jobharness.backends.sandbox import validate_config
from jobharness.backends.sandbox.config import MAX_CONFIG_BYTES
from jobharness.errors import ValidationError


@pytest.mark.parametrize(
    ("config", "field", "words"),
    [
        (["echo"], "config", "must be an object, not list"),
        ({"environment": 12, "commands": ["x"]}, "environment", "not int"),
        ({}, "commands", "missing field 'commands'"),
        ({"commands": "echo hi"}, "commands", "must be a list, not str"),
        ({"commands": ["x"], "environ": ["A=1"]}, "environ", "must be an object, not list"),
        ({"commands": []}, "commands", "cannot be empty"),
        ({"commands": ["ok", 3]}, "commands[1]", "not int"),
        ({"commands": [{"timeout": 1}]}, "commands[0].command", "not NoneType"),
        ({"commands": [{"command": ["ls"]}]}, "commands[0].command", "not list"),
        ({"commands": ["a", "b", {"command": "c", "timeout": "5"}]}, "commands[2].timeout", "str"),
        ({"commands": [{"command": "c", "environ": {}}]}, "commands[0].environ", "500"),
        ({"commands": [{"command": "c", "timeout": 0}]}, "commands[0].timeout", "no timeout"),
        ({"commands": [{"command": "c", "timeout": False}]}, "commands[0].timeout", "no timeout"),
        ({"commands": ["echo", " -false"]}, "commands[1]", "leading space"),
        ({"commands": [{"command": "\t-false"}]}, "commands[0].command", "leading space"),
        ({"commands": ["x"], "result_path": 3}, "result_path", "must be a string, not int"),
        ({"commands": ["x"], "save": "yes"}, "save", "must be a boolean, not str"),
        ({"commands": ["x"], "save": 1}, "save", "must be a boolean, not int"),
        ({"commands": ["x"], "environ": {"A": object()}}, "config", "cannot be sent as JSON"),
        ({"commands": ["x"], "environ": {"A": float("nan")}}, "config", "cannot be sent as JSON"),
    ],
)
def test_refused_config_names_its_field(config: Any, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_config(config)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        # The server checks 'environ' before emptiness of 'commands'...
        ({"commands": [], "environ": 1}, "environ"),
        # ...each command's shape (400) and keys (500) one command after the other...
        ({"commands": [{"command": "a", "x": 1}, 5]}, "commands[0].x"),
        ({"commands": [5, {"command": "a", "x": 1}]}, "commands[0]"),
        # ...then the traps the server does not see...
        ({"commands": [{"command": "a", "timeout": 0}, 5]}, "commands[1]"),
        ({"commands": [" -a", {"command": "a", "x": 1}]}, "commands[1].x"),
        # ...and the commands before result_path and save.
        ({"commands": [3], "result_path": 1, "save": "no"}, "commands[0]"),
        ({"commands": ["x"], "result_path": 1, "save": "no"}, "result_path"),
    ],
)
def test_checks_run_in_the_servers_order(config: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_config(config)
    assert caught.value.field == field


@pytest.mark.parametrize(
    "config",
    [
        {"commands": ["echo hi"]},
        {"commands": ["-false", {"command": "-sleep 1", "timeout": 0.5}]},
        {"commands": [{"command": "true", "timeout": True}]},
        {"commands": [{"command": "x", "timeout": -1}], "environ": {"A": 1, "B": None}},
        {"commands": ["x"], "environment": None, "result_path": "out.txt", "save": False},
        {"commands": ["x"], "unknown": "ignored by the server"},
    ],
)
def test_accepted_config_comes_back_as_json(config: dict[str, Any]) -> None:
    import json

    assert json.loads(validate_config(config)) == config


def test_config_over_the_servers_form_limit_is_refused() -> None:
    big = {"commands": ["true"], "environ": {"DATA": "x" * MAX_CONFIG_BYTES}}
    with pytest.raises(ValidationError, match=r"^config: is \d+ bytes as JSON"):
        validate_config(big)
