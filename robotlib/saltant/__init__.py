"""SaltantLibrary: provision task types and queues, run task instances, assert on them."""

from __future__ import annotations

from datetime import timedelta

from robot.api.deco import library

from jobharness.backends.saltant.target import SALTANT_TARGET
from jobharness.cleanup import CLEANUP_TIMEOUT
from jobharness.jobs import DEFAULT_TIMEOUT
from robotlib._core.connections import ConnectionKeywords
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import LibraryCleanup, LibraryDuration, seconds
from robotlib._core.jobs import CleanupKeywords, ResultKeywords
from robotlib._core.library import ComponentLibrary
from robotlib.saltant.connection import SaltantConnection
from robotlib.saltant.instances import InstanceKeywords, SaltantStates, SaltantWaits
from robotlib.saltant.provisioning import ProvisioningKeywords

DEFAULT_REQUEST_TIMEOUT = 90.0
NAMES = {
    "noun": "Task Instance",
    "plural": "Task Instances",
    "what": "task instance",
    "returns": "its result",
    "returns_many": "their results",
}


@library(scope="GLOBAL", listener="SELF", auto_keywords=False)
class SaltantLibrary(ComponentLibrary):
    """Provision saltant task types and queues, start task instances and assert on them.

    == Connecting ==

    `Connect To Saltant` with a URL and a token talks to that server. Without
    a URL it looks at the ``JOBHARNESS_SALTANT_URL`` and ``SALTANT_API_URL``
    environment variables, then at the ``${SALTANT_URL}`` Robot variable; the
    token likewise comes from ``JOBHARNESS_SALTANT_TOKEN``, ``SALTANT_AUTH_TOKEN``
    or ``${SALTANT_TOKEN}``. When no URL is set, an embedded saltant server is
    started on 127.0.0.1 for the run, with a fresh admin token. Keywords used
    before any `Connect To Saltant` connect that way on their own. Tokens are
    never logged; pass them as Robot ``Secret`` values where you can.

    == Provisioning ==

    A task instance needs a task type, and a queue whose whitelist holds that
    type: `Create Executable Task Type`, `Create Task Whitelist`, `Create Task Queue`.
    They get or create by name, so suites (and parallel pabot processes) may
    run them again: an existing object is reused and updated where it differs.

    == Task instances ==

    `Start Task Instance` returns a job handle, also usable with JobLibrary's
    keywords. Its name carries the caller (pabot process and test), so parallel
    runs can be told apart on the server. Job states are ``pending`` (saltant
    ``created``/``published``), ``running``, ``succeeded`` (``successful``),
    ``failed`` and ``cancelled`` (``terminated``); a state the server invents is
    kept as it is and counts as running. Every wait has a deadline.

    == Cleanup ==

    Task instances a test started and left unfinished are terminated when the
    test ends (library argument ``cleanup=test``, the default), when the suite
    ends (``suite``) or not at all (``never``); also after a failure, a
    ``[Timeout]`` or Ctrl-C.

    == Example ==

    | ***** Settings *****
    | Library    robotlib.SaltantLibrary
    |
    | ***** Test Cases *****
    | Sleeper Succeeds
    |     Create Executable Task Type    sleeper    /usr/bin/python3 ${CURDIR}/sleeper.py
    |     ...    required_arguments=${{ ["seconds"] }}
    |     Create Task Whitelist    sleepers    executable_task_types=sleeper
    |     Create Task Queue    jobs    whitelists=sleepers
    |     ${job}=    Start Task Instance    sleeper    jobs    seconds=1
    |     Wait For Task Instance    ${job}    timeout=30 s
    |     Task Instance State Should Be    ${job}    successful
    """

    backend = "saltant"

    def __init__(
        self,
        cleanup: LibraryCleanup = "test",
        timeout: LibraryDuration = timedelta(seconds=DEFAULT_TIMEOUT),
        request_timeout: LibraryDuration = timedelta(seconds=DEFAULT_REQUEST_TIMEOUT),
        cleanup_timeout: LibraryDuration = timedelta(seconds=CLEANUP_TIMEOUT),
    ) -> None:
        """``cleanup`` says when unfinished task instances are terminated (``test``,
        ``suite`` or ``never``); ``timeout`` is the default of every wait and
        ``request_timeout`` the limit of each HTTP request; ``cleanup_timeout``
        how long the cleanup at the end of a test or suite may take.
        """
        context = LibraryContext(
            "saltant",
            SALTANT_TARGET,
            cleanup=cleanup,
            cleanup_timeout=cleanup_timeout,
            timeout=timeout,
        )
        request = seconds(request_timeout, DEFAULT_REQUEST_TIMEOUT, "request_timeout")
        connection = SaltantConnection(context, request)
        super().__init__(
            context,
            [
                connection,
                ProvisioningKeywords(context, connection),
                InstanceKeywords(context, connection),
                ConnectionKeywords(context, noun="Saltant", kinds="saltant"),
                SaltantWaits(context, **NAMES),
                SaltantStates(context, **NAMES),
                ResultKeywords(context, **NAMES),
                CleanupKeywords(context, **NAMES),
            ],
        )

    @property
    def client(self) -> object:
        """The current saltant connection (opened with the defaults if there is none)."""
        return self.components[0].client  # type: ignore[attr-defined]
