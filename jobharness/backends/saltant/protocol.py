"""What the saltant API is made of: its root, collections, pages and task instance states.

Nothing here does I/O; the client, its managers and models build on it.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from jobharness.checks import url_problem
from jobharness.errors import ConfigurationError
from jobharness.redaction import redact_url

SERVER_NAME = "saltant"

USERS = "users/"
EXECUTABLE_TASK_TYPES = "executabletasktypes/"
CONTAINER_TASK_TYPES = "containertasktypes/"
TASK_QUEUES = "taskqueues/"
TASK_WHITELISTS = "taskwhitelists/"
EXECUTABLE_TASK_INSTANCES = "executabletaskinstances/"
CONTAINER_TASK_INSTANCES = "containertaskinstances/"
TOKEN = "token/"
TOKEN_REFRESH = "token/refresh/"

DEFAULT_PAGE_SIZE = 1000
"""Page size of the lists the client reads (saltant's own default is 50)."""

STATES = ("created", "published", "running", "successful", "failed", "terminated")
"""The states a task instance goes through (the server stores any text of 10 characters)."""

FINISHED_STATES = ("successful", "failed", "terminated")
"""The states saltant never leaves (saltant-py's ``TASK_INSTANCE_FINISH_STATUSES``)."""


def api_root(url: str) -> str:
    """The API root (``.../api/``) for ``url``, which may omit ``/api`` and the trailing slash.

    ``http://host:8000``, ``http://host:8000/``, ``http://host:8000/api`` and
    ``http://host:8000/api/`` all give ``http://host:8000/api/``. A path that
    does not end in ``api`` gets ``/api/`` appended (``http://host/saltant`` ->
    ``http://host/saltant/api/``).
    """
    problem = url_problem(url)
    if problem:
        shown = redact_url(url) if isinstance(url, str) else f"{type(url).__name__} {url!r}"
        raise ConfigurationError(
            f"saltant URL must be absolute, such as http://host:8000/api/; {problem}: {shown[:200]}"
        )
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if not path.endswith("/api"):
        path += "/api"
    return urlunsplit((parts.scheme, parts.netloc, path + "/", "", ""))
