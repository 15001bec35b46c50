"""Local validation of an ``/execute/`` config, in the server's own order.

:func:`validate_config` refuses, before anything is sent, every config the
server would answer with a 400, and the ones that fall into its traps: a
command object with a key other than ``command``/``timeout`` (an HTTP 500
on the server), ``timeout: 0`` (which means *no* timeout there), and a
command that starts with a space and then ``-`` (the hyphen is then not the
"ignore failure" prefix). Each :class:`~jobharness.errors.ValidationError`
names the offending field, e.g. ``commands[2].timeout``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jobharness.errors import ValidationError

# Django's DATA_UPLOAD_MAX_MEMORY_SIZE: the non-file form fields together.
MAX_CONFIG_BYTES = 2_621_440
COMMAND_KEYS = frozenset({"command", "timeout"})


def _type_name(value: object) -> str:
    return type(value).__name__


def encode_config(config: Mapping[str, Any]) -> str:
    """The JSON text of ``config`` as it goes into the ``config`` form field."""
    try:
        return json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"cannot be sent as JSON: {exc}", "config") from None


def _check_command_shape(index: int, command: object) -> None:
    """The server's 400 check of one command: a string, or an object with a string command."""
    field = f"commands[{index}]"
    if isinstance(command, str):
        return
    if not isinstance(command, Mapping):
        raise ValidationError(
            f"must be a string or an object with 'command', not {_type_name(command)}", field
        )
    if not isinstance(command.get("command"), str):
        raise ValidationError(
            f"'command' must be a string, not {_type_name(command.get('command'))}",
            f"{field}.command",
        )
    # bool is an int for the server too: true/false pass its check as 1/0.
    if "timeout" in command and not isinstance(command["timeout"], (int, float)):
        raise ValidationError(
            f"must be a number of seconds, not {_type_name(command['timeout'])}",
            f"{field}.timeout",
        )


def _check_command_keys(index: int, command: object) -> None:
    """The server builds each command as soon as it passed its check: an extra key is a 500."""
    if isinstance(command, Mapping):
        extra = sorted(str(key) for key in command if key not in COMMAND_KEYS)
        if extra:
            raise ValidationError(
                f"unknown key(s) {', '.join(map(repr, extra))}: a command object takes only "
                "'command' and 'timeout' (the server answers 500 to anything else)",
                f"commands[{index}].{extra[0]}",
            )


def _check_command_traps(index: int, command: object) -> None:
    """What the server runs, but not as meant: ``timeout: 0`` and ``" -cmd"``."""
    field = f"commands[{index}]"
    text = command if isinstance(command, str) else None
    if isinstance(command, Mapping):
        if "timeout" in command and command["timeout"] == 0:
            raise ValidationError(
                "timeout 0 means no timeout at all on the sandbox; give a positive number",
                f"{field}.timeout",
            )
        text = command["command"]
        field += ".command"
    if text is not None and text[:1].isspace() and text.lstrip().startswith("-"):
        raise ValidationError(
            f"{text!r} starts with a space, so its '-' is not the ignore-failure prefix "
            "and bash runs it as a command name; remove the leading space",
            field,
        )


def validate_config(config: object) -> str:
    """Return the JSON text of ``config``, or raise ValidationError if the sandbox would refuse it.

    The checks run in the server's order: config type, ``commands`` present
    and a list, ``environ`` an object, ``commands`` not empty, each command's
    shape and keys (one command after the other, as the server builds them),
    then the traps (see the module docstring), then ``result_path``
    and ``save``; ``environment`` must be a string (or null) and the encoded
    config must fit the server's 2.5 MiB form limit. Raises
    :class:`~jobharness.errors.ValidationError` naming the field.
    """
    if not isinstance(config, Mapping):
        raise ValidationError(f"config must be an object, not {_type_name(config)}", "config")
    environment = config.get("environment")
    if environment is not None and not isinstance(environment, str):
        raise ValidationError(
            f"must be the uuid of a stored environment, not {_type_name(environment)}",
            "environment",
        )
    if "commands" not in config:
        raise ValidationError("missing field 'commands'", "commands")
    commands = config["commands"]
    if not isinstance(commands, list):
        raise ValidationError(f"must be a list, not {_type_name(commands)}", "commands")
    if "environ" in config and not isinstance(config["environ"], Mapping):
        raise ValidationError(f"must be an object, not {_type_name(config['environ'])}", "environ")
    if not commands:
        raise ValidationError("cannot be empty", "commands")
    for index, command in enumerate(commands):
        _check_command_shape(index, command)
        _check_command_keys(index, command)
    for index, command in enumerate(commands):
        _check_command_traps(index, command)
    if "result_path" in config and not isinstance(config["result_path"], str):
        raise ValidationError(
            f"must be a string, not {_type_name(config['result_path'])}", "result_path"
        )
    if "save" in config and not isinstance(config["save"], bool):
        raise ValidationError(f"must be a boolean, not {_type_name(config['save'])}", "save")
    text = encode_config(config)
    size = len(text.encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise ValidationError(
            f"is {size} bytes as JSON; the sandbox takes at most {MAX_CONFIG_BYTES} "
            "(put large data in the environment archive instead)",
            "config",
        )
    return text
