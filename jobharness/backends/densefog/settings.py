"""The densefog settings, shared by the Robot library and the pytest plugin."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from jobharness.errors import ConfigurationError
from jobharness.settings import Setting

DENSEFOG_URL = Setting(
    "densefog_url",
    "URL of the densefog-based service to use (actions are POSTed to it) "
    "(default: start the embedded IaaS demo service)",
    env=("JOBHARNESS_DENSEFOG_URL",),
)
DENSEFOG_HEADERS = Setting(
    "densefog_headers",
    "auth headers sent with every action, as a JSON object or 'Name: value; Name: value' "
    "(e.g. X-Le-Key and X-Le-Secret); never shown",
    env=("JOBHARNESS_DENSEFOG_HEADERS",),
    secret=True,
)
DENSEFOG_JOB_TABLE = Setting(
    "densefog_job_table",
    "DSN of the service's job table, to read jobs from it directly (sqlite:///PATH or "
    "mysql://USER:PASSWORD@HOST:PORT/DB) (default: the embedded service's own; "
    "for a service given by URL, its jobs action)",
    env=("JOBHARNESS_DENSEFOG_JOB_TABLE",),
    secret=True,
)
DENSEFOG_JOBS_ACTION = Setting(
    "densefog_jobs_action",
    "the service's action that describes jobs by id ('none' if it has none)",
    env=("JOBHARNESS_DENSEFOG_JOBS_ACTION",),
    default="DescribeJobs",
)
DENSEFOG_DB = Setting(
    "densefog_db",
    "database of the embedded service: sqlite (default, in its own directory), mariadb "
    "(a private mariadbd started for it) or a DSN (sqlite:///PATH, mysql://USER:PASSWORD@HOST/DB)",
    env=("JOBHARNESS_DENSEFOG_DB",),
    secret=True,
)
DENSEFOG_APP = Setting(
    "densefog_app",
    "Python module (import name or .py file) whose actions and job handlers the embedded "
    "service adds to its demo",
    env=("JOBHARNESS_DENSEFOG_APP",),
)
DENSEFOG_WORKER_TICK = Setting(
    "densefog_worker_tick",
    "seconds between two picks of the embedded service's worker (densefog's: 2)",
    env=("JOBHARNESS_DENSEFOG_WORKER_TICK",),
)

ALL_SETTINGS = (
    DENSEFOG_URL,
    DENSEFOG_HEADERS,
    DENSEFOG_JOB_TABLE,
    DENSEFOG_JOBS_ACTION,
    DENSEFOG_DB,
    DENSEFOG_APP,
    DENSEFOG_WORKER_TICK,
)


def parse_headers(value: Mapping[str, str] | str | None) -> dict[str, str]:
    """Auth headers from a mapping, a JSON object, or ``Name: value; Name: value`` text.

    A malformed text is a ConfigurationError that never shows the values.
    """
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return _checked({str(k): str(v) for k, v in value.items()})
    if not isinstance(value, str):
        raise ConfigurationError(
            f"densefog headers must be a mapping or text, got a {type(value).__name__}"
        )
    return _checked(_parse_text(value))


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _checked(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` if every name is an HTTP token and no value breaks a line (values not shown)."""
    for name, content in headers.items():
        if not _HEADER_NAME.match(name):
            raise ConfigurationError(f"densefog headers: {name[:40]!r} is not a valid header name")
        if any(ch in content for ch in "\r\n\0"):
            raise ConfigurationError(
                f"densefog headers: the value of {name!r} holds a line break (value not shown)"
            )
    return headers


def _parse_text(value: str) -> dict[str, str]:
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise ConfigurationError("densefog headers: not a valid JSON object") from None
        if not isinstance(parsed, dict):
            raise ConfigurationError("densefog headers: not a JSON object")
        return {str(k): str(v) for k, v in parsed.items()}
    headers: dict[str, str] = {}
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        name, sep, content = part.partition(":")
        if not sep or not name.strip():
            raise ConfigurationError(
                "densefog headers: write 'Name: value; Name: value' or a JSON object"
            )
        headers[name.strip()] = content.strip()
    return headers
