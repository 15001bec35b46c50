"""HarpLibrary: call harp procedures as jobs through the dispatcher, or directly on harpd."""

from __future__ import annotations

from datetime import timedelta

from robot.api.deco import library

from jobharness.backends.harp.target import HARP_TARGET
from jobharness.cleanup import CLEANUP_TIMEOUT
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import LibraryCleanup, LibraryDuration, seconds
from robotlib._core.jobs import CleanupKeywords, ResultKeywords, StateKeywords
from robotlib._core.library import ComponentLibrary
from robotlib.harp.connection import DISPATCHER, HARPD, HarpConnection, HarpConnectionKeywords
from robotlib.harp.direct import DirectKeywords, HarpStream
from robotlib.harp.dispatcher import DispatcherKeywords, HarpWaits

DEFAULT_REQUEST_TIMEOUT = 30.0
NAMES = {
    "noun": "Harp Call",
    "plural": "Harp Calls",
    "what": "harp call",
    "returns": "its value (``None`` unless it succeeded)",
    "returns_many": "their values",
}

__all__ = ["HarpLibrary", "HarpStream"]


@library(scope="GLOBAL", listener="SELF", auto_keywords=False)
class HarpLibrary(ComponentLibrary):
    """Call harp procedures: as jobs through the HarpCaller dispatcher, or directly on harpd.

    == Two ways to call ==

    - Through the *dispatcher*: `Submit Harp Call` returns at once with a job
      handle (a harp ``RemoteCall``). Wait with `Wait For Harp Call`, read the
      stream with `Follow Harp Stream` (live, resumed if the connection is cut)
      or `Get Harp Stream` (what is stored), assert with `Harp Result Should Be`
      and `Harp Call Should Raise`, stop it with `Cancel Harp Call`. The handle
      also works with JobLibrary's keywords (`Wait For Job` ...). Its states:
      ``pending`` (queued), ``running``, ``succeeded`` (result), ``failed``
      (the procedure raised), ``error`` (harp error: unknown host, lost job,
      timeout ...), ``cancelled``.
    - *Directly* on harpd: `Call Harp Procedure` runs it and returns its
      value (for a streaming procedure: a ``HarpStream`` with ``values`` and
      ``result``).

    == Connecting ==

    `Connect To Harp Dispatcher` and `Connect To Harpd` take an address; without
    one, the ``JOBHARNESS_HARP_DISPATCHER`` / ``JOBHARNESS_HARPD_URL``
    environment variables, then the ``${HARP_DISPATCHER}`` / ``${HARPD_URL}``
    Robot variables are used (user, password and CA file likewise:
    ``${HARPD_USER}``, ``${HARPD_PASSWORD}``, ``${HARPD_CA_FILE}``). When neither
    server is configured, an embedded harpd and an embedded dispatcher are
    started for the run; the dispatcher knows the harpd as host ``local``.
    Keywords used before connecting connect that way on their own.

    TLS to harpd is verified (against the CA file, else the system trust
    store). The password is never logged; pass it as a ``Secret`` where you can.

    == Cleanup ==

    Calls submitted by a test and still running when it ends are cancelled
    (``cleanup=test``, the default; or ``suite``, or ``never``).

    == Example ==

    | ***** Settings *****
    | Library    robotlib.HarpLibrary
    |
    | ***** Test Cases *****
    | Adds
    |     ${call}=    Submit Harp Call    add    2    40
    |     Harp Result Should Be    ${call}    {"sum": 42, "difference": -38}
    | Counts
    |     ${call}=    Submit Harp Call    count    3
    |     ${items}=    Follow Harp Stream    ${call}
    |     Length Should Be    ${items}    3
    """

    backend = "harp"

    def __init__(
        self,
        cleanup: LibraryCleanup = "test",
        timeout: LibraryDuration = timedelta(seconds=60),
        request_timeout: LibraryDuration = timedelta(seconds=DEFAULT_REQUEST_TIMEOUT),
        cleanup_timeout: LibraryDuration = timedelta(seconds=CLEANUP_TIMEOUT),
    ) -> None:
        """``cleanup``: when unfinished calls are cancelled (``test``, ``suite``, ``never``);
        ``timeout``: the default wait (results, streams); ``request_timeout``: connecting
        and each immediate reply (for direct harpd calls: each reply line);
        ``cleanup_timeout``: how long the cleanup at the end of a test or suite may take.
        """
        context = LibraryContext(
            "harp",
            HARP_TARGET,
            cleanup=cleanup,
            cleanup_timeout=cleanup_timeout,
            timeout=timeout,
            kinds=(DISPATCHER, HARPD),
        )
        request = seconds(request_timeout, DEFAULT_REQUEST_TIMEOUT, "request_timeout")
        connection = HarpConnection(context, request)
        super().__init__(
            context,
            [
                connection,
                DirectKeywords(context, connection),
                DispatcherKeywords(context, connection),
                HarpConnectionKeywords(context, connection, noun="Harp", kinds="dispatcher, harpd"),
                HarpWaits(context, **NAMES),
                StateKeywords(context, **NAMES),
                ResultKeywords(context, **NAMES),
                CleanupKeywords(context, **NAMES),
            ],
        )
