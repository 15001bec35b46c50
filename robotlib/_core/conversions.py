"""Arguments as Robot gives them: durations, secrets, settings, choices, deprecated names."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from jobharness.compat import UNSET
from jobharness.deadline import parse_timeout
from jobharness.jobs import PollPolicy
from jobharness.settings import Resolved, Setting, resolve

try:  # Robot Framework 7.4 and newer
    from robot.api.types import Secret
except ImportError:  # pragma: no cover - Robot before 7.4 has no Secret type
    Secret = str  # type: ignore[misc, assignment, unused-ignore]

__all__ = [
    "OnTimeoutName",
    "Secret",
    "caller_id",
    "poll_policy",
    "renamed_argument",
    "robot_setting",
    "robot_variable",
    "seconds",
    "secret_text",
]

#: The ``on_timeout`` choices of every wait keyword (``terminate`` is ``cancel``).
OnTimeoutName = Literal["fail", "cancel", "terminate", "continue"]


def seconds(value: timedelta | float | str | None, default: float, what: str = "timeout") -> float:
    """Seconds from a ``timedelta`` (Robot converts ``1 min 30 s``), a number, or the default.

    A negative, NaN, infinite or unreadable value is a clear error naming ``what``.
    """
    if value is None or value == "":
        return default
    return parse_timeout(value, what)


def secret_text(value: Any) -> str | None:
    """The plain text of a Robot ``Secret`` (or of a plain string); ``None`` stays ``None``."""
    if value is None:
        return None
    if Secret is not str and isinstance(value, Secret):
        return str(value.value)
    return str(value)


def robot_variable(name: str) -> Any:
    """The value of the Robot variable ``name`` (``${NAME}``), or None outside a run or if unset."""
    try:
        return BuiltIn().get_variable_value(name)
    except RobotNotRunningError:
        return None


def robot_setting(setting: Setting, explicit: Any = None) -> Resolved:
    """Resolve ``setting``: argument > environment > Robot variable > default.

    The Robot variable is the setting's name in upper case (``${SANDBOX_URL}``
    for ``sandbox_url``); a ``Secret`` in it is unwrapped, never logged.
    """
    variable = "${" + setting.name.upper() + "}"
    configured = robot_variable(variable)
    if setting.secret:
        explicit, configured = secret_text(explicit), secret_text(configured)
    return resolve(setting, explicit, configured, configured_source=f"Robot variable {variable}")


def poll_policy(poll: timedelta | float | None) -> PollPolicy | None:
    """An adaptive policy whose longest interval is ``poll``; ``None`` keeps the job's default."""
    if poll is None:
        return None
    cap = seconds(poll, 1.0, "poll")
    if cap <= 0:
        cap = 0.05
    return PollPolicy(initial=min(0.05, cap), maximum=cap, slice=min(0.05, cap))


def caller_id(limit: int = 80) -> str:
    """An id naming this Robot process and test, so parallel (pabot) runs' jobs differ."""
    try:
        variables = BuiltIn().get_variables()
        pool = variables.get("${PABOTEXECUTIONPOOLID}") or str(os.getpid())
        name = variables.get("${TEST NAME}") or variables.get("${SUITE NAME}") or ""
    except RobotNotRunningError:
        pool, name = str(os.getpid()), ""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(name)).strip("-")
    return f"robot-{pool}-{slug}"[:limit]


def renamed_argument(keyword: str, old: str, new: str, old_value: Any, new_value: Any) -> Any:
    """``new_value``, or ``old_value`` with a deprecation warning in the log when it was given.

    ``None`` (a keyword argument's default) counts as not given.
    """
    if old_value is UNSET or old_value is None:
        return new_value
    logger.warn(f"{keyword}: the argument '{old}' is deprecated; write '{new}=' instead.")
    return old_value
