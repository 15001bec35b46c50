"""The densefog backend: an action client, jobs of a SQL job table, resources that get busy.

>>> client = DensefogClient(url, job_table="sqlite:////srv/df.db")   # doctest: +SKIP
>>> made = client.create_resources("instance", count=2)       # doctest: +SKIP
>>> made.resources.wait(timeout=30, status="active")          # doctest: +SKIP
>>> made.job.wait(timeout=30).raise_for_state()               # doctest: +SKIP

See ``docs/densefog.md`` for the guide.

Everything here is imported on first use (see :mod:`jobharness.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobharness.lazy import lazy_exports

if TYPE_CHECKING:
    from jobharness.backends.densefog.client import DensefogClient, Envelope
    from jobharness.backends.densefog.dsn import Dsn, parse_dsn
    from jobharness.backends.densefog.errors import (
        AccessKeyInvalid,
        DensefogClientError,
        DensefogError,
        DensefogServerError,
        IllegalRequestFormat,
        InternalError,
        InvalidRequestParameter,
        JobNotFound,
        JobTableError,
        JobTableUnreachable,
        ProviderActionError,
        ResourceActionForbidden,
        ResourceActionUnsupported,
        ResourceIsBusy,
        ResourceIsDeleted,
        ResourceIsInError,
        ResourceNotBelongsToProject,
        ResourceNotFound,
        UnknownAction,
        error_class,
    )
    from jobharness.backends.densefog.job import (
        STATE_MAP,
        DensefogJob,
        JobFields,
        JobsAction,
        map_state,
    )
    from jobharness.backends.densefog.jobtable import JobTable
    from jobharness.backends.densefog.resources import (
        Created,
        DensefogResources,
        ResourceStatusError,
        ResourceType,
    )
    from jobharness.backends.densefog.settings import parse_headers

_MODULES = {
    "client": ("DensefogClient", "Envelope"),
    "dsn": ("Dsn", "parse_dsn"),
    "errors": (
        "AccessKeyInvalid",
        "DensefogClientError",
        "DensefogError",
        "DensefogServerError",
        "IllegalRequestFormat",
        "InternalError",
        "InvalidRequestParameter",
        "JobNotFound",
        "JobTableError",
        "JobTableUnreachable",
        "ProviderActionError",
        "ResourceActionForbidden",
        "ResourceActionUnsupported",
        "ResourceIsBusy",
        "ResourceIsDeleted",
        "ResourceIsInError",
        "ResourceNotBelongsToProject",
        "ResourceNotFound",
        "UnknownAction",
        "error_class",
    ),
    "job": ("STATE_MAP", "DensefogJob", "JobFields", "JobsAction", "map_state"),
    "jobtable": ("JobTable",),
    "settings": ("parse_headers",),
    "resources": ("Created", "DensefogResources", "ResourceStatusError", "ResourceType"),
}

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        name: f"jobharness.backends.densefog.{module}"
        for module, names in _MODULES.items()
        for name in names
    },
)

__all__ = [
    "STATE_MAP",
    "AccessKeyInvalid",
    "Created",
    "DensefogClient",
    "DensefogClientError",
    "DensefogError",
    "DensefogJob",
    "DensefogResources",
    "DensefogServerError",
    "Dsn",
    "Envelope",
    "IllegalRequestFormat",
    "InternalError",
    "InvalidRequestParameter",
    "JobFields",
    "JobNotFound",
    "JobTable",
    "JobTableError",
    "JobTableUnreachable",
    "JobsAction",
    "ProviderActionError",
    "ResourceActionForbidden",
    "ResourceActionUnsupported",
    "ResourceIsBusy",
    "ResourceIsDeleted",
    "ResourceIsInError",
    "ResourceNotBelongsToProject",
    "ResourceNotFound",
    "ResourceStatusError",
    "ResourceType",
    "UnknownAction",
    "error_class",
    "map_state",
    "parse_dsn",
    "parse_headers",
]
