"""The ``config`` of ``POST /execute/``: parsing and validation as the real server does them.

Every check answers with the real server's status and text (see the status
table of the protocol). The checks are split in steps because the real server
interleaves them with other work: the stored environment is looked up between
:func:`load_config` and :func:`parse_commands`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jobharness.servers.sandbox.responses import AppError, ServerFault

Number = int | float  # bool is an int: the real server accepts true/false as 1/0
COMMAND_KEYS = frozenset({"command", "timeout"})


@dataclass(frozen=True)
class CommandSpec:
    """One command to run: the text without its hyphen, and how its failure counts.

    ``timeout`` keeps the JSON number as given (int, float or bool), because
    the timeout message prints it the way Python prints that value.
    """

    command: str
    timeout: Number
    ignore_failure: bool

    @classmethod
    def from_text(cls, text: str, timeout: Number) -> CommandSpec:
        """Apply the hyphen rule: one leading ``-`` is removed and marks failures as ignored."""
        if text.startswith("-"):
            return cls(text[1:], timeout, True)
        return cls(text, timeout, False)


def bad_request(message: str) -> AppError:
    """A 400 with the real server's plain-text message."""
    return AppError(400, message)


def load_config(text: str | None) -> dict[str, Any]:
    """Parse the ``config`` form field into a JSON object."""
    if text is None:
        raise bad_request("Missing argument 'config'")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad_request(f"'config' json is invalid - {exc}") from exc
    if not isinstance(config, dict):
        raise bad_request(f"config must be an object, not {type(config)}")
    return config


def parse_environ(config: dict[str, Any]) -> dict[str, str]:
    """``environ`` with every value turned into text by Python's ``str()``."""
    environ = config.get("environ", {})
    if not isinstance(environ, dict):
        raise bad_request(f"environ must be an object, not {type(environ)}")
    return {str(key): str(value) for key, value in environ.items()}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float))


def _command(item: object, default_timeout: float) -> CommandSpec:
    if isinstance(item, dict) and isinstance(item.get("command"), str):
        timeout = item.get("timeout", default_timeout)
        if _is_number(timeout):
            extra = sorted(set(item) - COMMAND_KEYS)
            if extra:
                raise ServerFault(f"command object has unexpected key(s) {extra}: {item!r}")
            return CommandSpec.from_text(item["command"], timeout)
    elif isinstance(item, str):
        return CommandSpec.from_text(item, default_timeout)
    raise bad_request(f"Command badly formatted : '{item}'")


def parse_commands(config: dict[str, Any], default_timeout: float) -> list[CommandSpec]:
    """Validate ``commands`` (and ``environ``, in the real server's order)."""
    if "commands" not in config:
        raise bad_request("Missing field 'commands' in config")
    commands = config["commands"]
    if not isinstance(commands, list):
        raise bad_request(f"commands must be a list, not {type(commands)}")
    parse_environ(config)
    if not commands:
        raise bad_request("Command list cannot be empty")
    return [_command(item, default_timeout) for item in commands]


def parse_result_path(config: dict[str, Any]) -> str | None:
    """``result_path``: a string, or None when absent."""
    if "result_path" not in config:
        return None
    value = config["result_path"]
    if not isinstance(value, str):
        raise bad_request(f"result_path must be a string, not {type(value)}")
    return value


def parse_save(config: dict[str, Any]) -> bool:
    """``save``: a strict boolean, False when absent."""
    value = config.get("save", False)
    if not isinstance(value, bool):
        raise bad_request(f"save must be a boolean, not {type(value)}")
    return value


@dataclass(frozen=True)
class ExecuteConfig:
    """A validated ``config``."""

    commands: list[CommandSpec]
    environ: dict[str, str]
    result_path: str | None
    save: bool


def parse_rest(config: dict[str, Any], default_timeout: float) -> ExecuteConfig:
    """Every check that comes after the environment lookup, in the real server's order."""
    commands = parse_commands(config, default_timeout)
    return ExecuteConfig(
        commands=commands,
        environ=parse_environ(config),
        result_path=parse_result_path(config),
        save=parse_save(config),
    )
