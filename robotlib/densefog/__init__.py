"""DensefogLibrary: call actions of densefog-based services, wait for resources and jobs."""

from __future__ import annotations

from datetime import timedelta

from robot.api.deco import library

from jobharness.backends.densefog.target import DENSEFOG_TARGET
from jobharness.cleanup import CLEANUP_TIMEOUT
from jobharness.jobs import DEFAULT_TIMEOUT
from robotlib._core.connections import ConnectionKeywords
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import LibraryCleanup, LibraryDuration, seconds
from robotlib._core.jobs import CleanupKeywords, ResultKeywords
from robotlib._core.library import ComponentLibrary
from robotlib.densefog.actions import ActionKeywords
from robotlib.densefog.connection import DensefogConnection
from robotlib.densefog.jobs import DensefogStates, DensefogWaits, JobKeywords
from robotlib.densefog.resources import ResourceKeywords

DEFAULT_REQUEST_TIMEOUT = 30.0
NAMES = {
    "noun": "Densefog Job",
    "plural": "Densefog Jobs",
    "what": "densefog job",
    "returns": "its result",
    "returns_many": "their results",
}


@library(scope="GLOBAL", listener="SELF", auto_keywords=False)
class DensefogLibrary(ComponentLibrary):
    """Call the actions of densefog-based services, assert on their error codes, wait for
    resources and jobs, and delete what a test created.

    == Connecting ==

    `Connect To Densefog` with a URL talks to that service. Without one it looks
    at the ``JOBHARNESS_DENSEFOG_URL`` environment variable, then at the
    ``${DENSEFOG_URL}`` Robot variable; with none, an embedded densefog-style
    IaaS demo (instances, jobs, a worker over a SQLite job table, or MariaDB)
    is started on 127.0.0.1 for the run. Keywords used before any
    `Connect To Densefog` connect that way on their own. Auth headers
    (``X-Le-Key``/``X-Le-Secret`` in the consumer apps) are never logged; pass
    them as Robot ``Secret`` values where you can.

    == Actions and errors ==

    `Call Densefog Action` returns the ``data`` of the answer and fails on a
    non-zero ``retCode`` with the code, the message, ``resourceId`` and
    ``exceptionTag``. `Densefog Action Should Fail` asserts on a code: 4000
    unknown action, 4100 bad parameter, 4103 another project's resource, 4104
    not found, 4105 busy, deleted or in error, 4106 unsupported, 4110 bad
    request format, 5000 internal error, 5001 provider error, or any code an
    app defines.

    == Resources ==

    `Create Densefog Resources` calls a create action and tracks what it made:
    those resources are deleted when the test ends, once they are no longer
    busy. `Wait For Densefog Resources` waits until none is busy (a status
    ending in ``ing``), with one describe call per poll round. Types follow the
    consumer apps' naming (``instance``: ``DescribeInstances``,
    ``instanceIds``, ``instanceSet``, ``DeleteInstances``);
    `Register Densefog Resource Type` says what differs.

    == Jobs ==

    A job handle (`Submit Densefog Job`, `Get Densefog Job`) works with the
    shared job keywords named after densefog jobs: `Wait For Densefog Job`,
    `Densefog Job State Should Be` (``pending``, ``running``, ``finished``,
    ``error``, or ``succeeded``, ``failed`` ...), `Get Densefog Job Details`
    (``trys``, ``try_max``, ``run_at``, ``error``). Jobs are read from the job
    table when its DSN is known, else through the service's jobs action; one
    query or call per poll round serves many jobs. A job left ``running`` with
    no progress past a limit is reported stuck (state ``error``, with why).
    densefog cannot cancel a job: `Cancel Densefog Job` fails saying so, and the
    cleanup waits for a test's unfinished jobs within its time.

    == Cleanup ==

    The library argument ``cleanup`` says when a test's resources are deleted
    and its jobs awaited: ``test`` (default), ``suite`` or ``never``; also after
    a failure, a ``[Timeout]`` or Ctrl-C.

    == Example ==

    | ***** Settings *****
    | Library    robotlib.DensefogLibrary
    |
    | ***** Test Cases *****
    | Instances Become Active
    |     ${made}=    Create Densefog Resources    instance    count=${2}    name=web-${RUN}
    |     Wait For Densefog Resources    instance    ${made}[instanceIds]    status=active
    |     ${job}=    Get Densefog Job    ${made}
    |     Wait For Densefog Job    ${job}
    |     Densefog Job State Should Be    ${job}    finished
    |     Densefog Action Should Fail    4105    DeleteInstances    instanceIds=${made}[instanceIds]
    |     ...    message=*busy*
    """

    backend = "densefog"

    def __init__(
        self,
        cleanup: LibraryCleanup = "test",
        timeout: LibraryDuration = timedelta(seconds=DEFAULT_TIMEOUT),
        request_timeout: LibraryDuration = timedelta(seconds=DEFAULT_REQUEST_TIMEOUT),
        cleanup_timeout: LibraryDuration = timedelta(seconds=CLEANUP_TIMEOUT),
    ) -> None:
        """``cleanup`` says when a test's resources are deleted and its jobs awaited
        (``test``, ``suite`` or ``never``); ``timeout`` is the default of every wait
        and ``request_timeout`` the limit of each request; ``cleanup_timeout`` how
        long the cleanup at the end of a test or suite may take.
        """
        context = LibraryContext(
            "densefog",
            DENSEFOG_TARGET,
            cleanup=cleanup,
            cleanup_timeout=cleanup_timeout,
            timeout=timeout,
        )
        request = seconds(request_timeout, DEFAULT_REQUEST_TIMEOUT, "request_timeout")
        connection = DensefogConnection(context, request)
        super().__init__(
            context,
            [
                connection,
                ActionKeywords(context, connection),
                ResourceKeywords(context, connection),
                JobKeywords(context, connection),
                ConnectionKeywords(context, noun="Densefog", kinds="densefog"),
                DensefogWaits(context, **NAMES),
                DensefogStates(context, **NAMES),
                ResultKeywords(context, **NAMES),
                CleanupKeywords(context, **NAMES),
            ],
        )

    @property
    def client(self) -> object:
        """The current densefog connection (opened with the defaults if there is none)."""
        return self.components[0].client  # type: ignore[attr-defined]
