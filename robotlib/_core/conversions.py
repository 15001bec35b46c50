"""Arguments as Robot gives them: durations, secrets, settings, choices, deprecated names."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.errors import DataError
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robot.utils import timestr_to_secs

from jobharness.compat import UNSET
from jobharness.deadline import parse_timeout
from jobharness.errors import ConfigurationError
from jobharness.jobs import PollPolicy
from jobharness.redaction import url_secrets
from jobharness.settings import Resolved, Setting, resolve

try:  # Robot Framework 7.4 and newer
    from robot.api.types import Secret
except ImportError:  # pragma: no cover - Robot before 7.4 has no Secret type
    Secret = str  # type: ignore[misc, assignment, unused-ignore]

__all__ = [
    "CleanupName",
    "LibraryCleanup",
    "LibraryDuration",
    "OnTimeoutName",
    "Secret",
    "caller_id",
    "is_secret",
    "poll_policy",
    "renamed_argument",
    "robot_setting",
    "robot_variable",
    "seconds",
    "secret_text",
    "warn_if_logged",
]

#: The ``on_timeout`` choices of every wait keyword (``terminate`` is ``cancel``).
OnTimeoutName = Literal["fail", "cancel", "terminate", "continue"]

#: The ``cleanup`` choices of a library.
CleanupName = Literal["test", "suite", "never"]

#: A library argument naming the cleanup policy. Robot crashes the whole run
#: (rc 255, no log or report) when it cannot convert a *library* argument, so
#: library arguments also accept any text and the library refuses a wrong one
#: itself: Robot then reports "Initializing library ... failed" and runs on.
LibraryCleanup = CleanupName | str

#: A library argument that is a duration (``30 s``, ``1 min 30 s``, a number); see
#: :data:`LibraryCleanup` for why it also accepts any text.
LibraryDuration = timedelta | str


def seconds(value: timedelta | float | str | None, default: float, what: str = "timeout") -> float:
    """Seconds from a ``timedelta``, a number, Robot time text (``1 min 30 s``), or the default.

    A negative, NaN, infinite or unreadable value is a clear error naming ``what``.
    """
    if value is None or value == "":
        return default
    if isinstance(value, str) and not _NUMBER.match(value):
        try:
            value = timestr_to_secs(value)
        except (ValueError, TypeError, DataError):
            raise ConfigurationError(
                f"{what} must be a duration such as '30 s' or '1 min 30 s', got {value!r}"
            ) from None
    return parse_timeout(value, what)


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(nan|inf)", re.I)


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


def is_secret(value: Any) -> bool:
    """True for a Robot ``Secret`` (Robot 7.4 and newer)."""
    return Secret is not str and isinstance(value, Secret)


def warn_if_logged(setting: Setting, value: Any, keyword: str = "") -> bool:
    """Warn when a secret given as plain text is in Robot's log; return whether it warned.

    Robot logs every keyword argument at TRACE level before the keyword runs,
    so a token (or a URL with a password) given as a plain string is in
    output.xml and log.html at that level; no library can stop that. A
    ``Secret`` is logged masked. The warning says what to write instead and
    never shows the value.
    """
    if value is None or is_secret(value) or robot_variable("${LOG LEVEL}") != "TRACE":
        return False
    if setting.secret:
        what = f"the {setting.name} given as plain text"
        secret = "Pass it as a Secret (a variable typed Secret, Robot 7.4+), or leave"
    elif isinstance(value, str) and url_secrets(value):
        what = f"the password in the {setting.name} given as plain text"
        secret = "Leave"
    else:
        return False
    where = f"{keyword}: " if keyword else ""
    sources = [f"the Robot variable ${{{setting.name.upper()}}}"] + [
        f"the environment variable {name}" for name in setting.env
    ]
    logger.warn(
        f"{where}{what} is in this run's output.xml and log.html: Robot logs keyword "
        f"arguments at TRACE level. {secret} the argument out and set "
        f"{' or '.join(sources)}, which are not logged."
    )
    return True


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
    """A new name part for each job: the run id, this Robot process and test (see runs.py)."""
    from robotlib.runs import job_caller

    return job_caller(limit)


def renamed_argument(keyword: str, old: str, new: str, old_value: Any, new_value: Any) -> Any:
    """``new_value``, or ``old_value`` with a deprecation warning in the log when it was given.

    ``None`` (a keyword argument's default) counts as not given.
    """
    if old_value is UNSET or old_value is None:
        return new_value
    logger.warn(f"{keyword}: the argument '{old}' is deprecated; write '{new}=' instead.")
    return old_value
