"""Local validation agrees with the server: what we refuse as a 400 rule, it refuses too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jobharness.backends.sandbox import Sandbox, Sandbox400, Sandbox500, validate_config
from jobharness.errors import ValidationError

# (config, the field we name, what the server's 400 body says)
SERVER_400 = [
    (["echo"], "config", "config must be an object"),
    ({}, "commands", "Missing field 'commands' in config"),
    ({"commands": "echo hi"}, "commands", "commands must be a list"),
    ({"commands": ["x"], "environ": ["A=1"]}, "environ", "environ must be an object"),
    ({"commands": [], "environ": 1}, "environ", "environ must be an object"),
    ({"commands": []}, "commands", "Command list cannot be empty"),
    ({"commands": ["ok", 3]}, "commands[1]", "Command badly formatted"),
    ({"commands": [{"timeout": 1}]}, "commands[0].command", "Command badly formatted"),
    ({"commands": [{"command": "c", "timeout": "5"}]}, "commands[0].timeout", "badly formatted"),
    ({"commands": [5, {"command": "a", "x": 1}]}, "commands[0]", "Command badly formatted"),
    ({"commands": [{"command": "a", "timeout": 0}, 5]}, "commands[1]", "badly formatted"),
    ({"commands": ["x"], "result_path": 3}, "result_path", "result_path must be a string"),
    ({"commands": ["x"], "save": "yes"}, "save", "save must be a boolean"),
    ({"commands": [3], "result_path": 1}, "commands[0]", "Command badly formatted"),
    ({"commands": ["x"], "result_path": 1, "save": 1}, "result_path", "result_path must be"),
]


def send_raw(sandbox: Sandbox, config: Any) -> Any:
    """POST a config without local validation."""
    return sandbox.transport.request("POST", "execute/", data={"config": json.dumps(config)})


@pytest.mark.parametrize(("config", "field", "server_says"), SERVER_400)
def test_server_refuses_what_we_refuse(
    sandbox: Sandbox, config: Any, field: str, server_says: str
) -> None:
    with pytest.raises(ValidationError) as local:
        validate_config(config)
    assert local.value.field == field
    with pytest.raises(Sandbox400) as remote:
        send_raw(sandbox, config)
    assert server_says in remote.value.body


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"commands": [{"command": "true", "environ": {"A": "1"}}]}, "commands[0].environ"),
        ({"commands": [{"command": "a", "x": 1}, 5]}, "commands[0].x"),
    ],
)
def test_extra_command_key_is_a_server_500(sandbox: Sandbox, config: Any, field: str) -> None:
    with pytest.raises(ValidationError) as local:
        validate_config(config)
    assert local.value.field == field
    with pytest.raises(Sandbox500):
        send_raw(sandbox, config)


def test_leading_space_hyphen_runs_as_a_command_name(sandbox: Sandbox) -> None:
    config = {"commands": [" -false"]}
    with pytest.raises(ValidationError, match=r"^commands\[0\]: ' -false' starts with a space"):
        validate_config(config)
    answer = sandbox.transport.json(send_raw(sandbox, config))
    assert answer["status"] == 127 and "-false" in answer["execution"][0]["stderr"]


def test_accepted_configs_are_accepted_by_the_server(sandbox: Sandbox) -> None:
    for config in (
        {"commands": ["-false", {"command": "true", "timeout": 1.5}], "environ": {"N": 1}},
        {"commands": [{"command": "true", "timeout": True}], "save": False, "other": 1},
    ):
        validate_config(config)
        assert sandbox.transport.json(send_raw(sandbox, config))["status"] == 0
