"""SandboxLibrary: run shell commands on a PremierLangage sandbox and assert on what they did."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import library

from jobharness.backends.sandbox.target import SANDBOX_TARGET
from jobharness.cleanup import CLEANUP_TIMEOUT
from jobharness.jobs import DEFAULT_TIMEOUT
from robotlib._core.connections import ConnectionKeywords
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import LibraryCleanup, LibraryDuration, seconds
from robotlib._core.jobs import CleanupKeywords, ResultKeywords, StateKeywords, WaitKeywords
from robotlib._core.library import ComponentLibrary
from robotlib.sandbox.assertions import AssertionKeywords
from robotlib.sandbox.connection import SandboxConnection
from robotlib.sandbox.environments import EnvironmentKeywords
from robotlib.sandbox.executions import ExecutionKeywords

DEFAULT_REQUEST_TIMEOUT = 60.0
NAMES = {
    "noun": "Sandbox Job",
    "plural": "Sandbox Jobs",
    "what": "sandbox job",
    "returns": "its result",
    "returns_many": "their results",
}


@library(scope="GLOBAL", listener="SELF", auto_keywords=False)
class SandboxLibrary(ComponentLibrary):
    """Run shell commands on a PremierLangage sandbox and assert on what they did.

    == Connecting ==

    `Connect To Sandbox` with a URL talks to that server. Without one, the
    URL comes from the ``JOBHARNESS_SANDBOX_URL`` environment variable, then
    from the ``${SANDBOX_URL}`` Robot variable (``--variable SANDBOX_URL:http://...``);
    when neither is set, an embedded sandbox server is started on 127.0.0.1
    for the run. Keywords used before any `Connect To Sandbox` connect that
    way on their own. Several connections are kept by alias; see
    `Switch Sandbox Connection`.

    == Executions ==

    `Execute In Sandbox` runs commands in order in a fresh working directory,
    optionally filled from a local directory or ``.tar.gz`` archive, and
    returns the execution result. A failing command does not fail the
    keyword: the server stops at the first failing command, and the result
    says which one. Prefix a command with ``-`` to ignore its failure. Assert
    with `Execution Status Should Be`, `Command Exit Code Should Be` and the
    ``Command Stdout``/``Stderr`` keywords, which take a command ``index``
    (``0`` is the first, ``-1`` the last command that ran).

    The status is ``0`` (``OK``), the exit code of the command that stopped
    the run, or one of ``-1`` (``UNKNOWN``), ``-2`` (``TIMEOUT``), ``-3``
    (``RESULT_NOT_FOUND``), ``-4`` (``RESULT_NOT_UTF8``).

    ``-1`` has two causes that look alike: the sandbox lost the command's
    container before it started, or the command ran and wrote output that
    is not UTF-8. For commands that are safe to run twice, ``repeat_unknown``
    (of `Connect To Sandbox` or of one `Execute In Sandbox`) sends the
    execution again while the answer is ``-1``; it is never done by default.

    Configs are checked before they are sent: a bad one fails the keyword
    with the field at fault, e.g. ``commands[2].timeout``.

    `Start In Sandbox` runs an execution in the background and returns a job
    handle for `Wait For Sandbox Job` and friends (and JobLibrary's keywords).
    The sandbox cannot stop an execution, so cancelling such a job does nothing.

    == Timeouts ==

    ``timeout`` is always how long a keyword waits. ``request_timeout`` is how
    long one HTTP call may take (retries included); ``command_timeout`` is
    the limit the sandbox enforces on each command.

    == Example ==

    | ***** Settings *****
    | Library    robotlib.SandboxLibrary
    |
    | ***** Test Cases *****
    | Greets
    |     ${result}=    Execute In Sandbox    echo hello > greeting.txt    cat greeting.txt
    |     Execution Status Should Be    ${result}    OK
    |     Command Stdout Should Be    ${result}    -1    hello
    """

    backend = "sandbox"

    def __init__(
        self,
        cleanup: LibraryCleanup = "test",
        timeout: LibraryDuration | None = None,
        request_timeout: LibraryDuration | None = None,
        cleanup_timeout: LibraryDuration = timedelta(seconds=CLEANUP_TIMEOUT),
    ) -> None:
        """``cleanup`` says when unfinished background executions are forgotten
        (``test``, ``suite`` or ``never``); ``timeout`` is the default wait for
        `Start In Sandbox` jobs (60 s); ``request_timeout`` the default time an
        HTTP call may take (60 s); ``cleanup_timeout`` how long the cleanup at
        the end of a test or suite may take.

        Before, ``timeout`` set the request timeout too; given without
        ``request_timeout`` it still does, with a deprecation warning.
        """
        wait = seconds(timeout, DEFAULT_TIMEOUT)
        request = seconds(request_timeout, DEFAULT_REQUEST_TIMEOUT, "request_timeout")
        if timeout is not None and request_timeout is None:
            logger.warn(
                "SandboxLibrary: timeout= sets the default wait; using it as the HTTP request "
                "timeout too is deprecated: write request_timeout= for that."
            )
            request = wait
        context = LibraryContext(
            "sandbox",
            SANDBOX_TARGET,
            cleanup=cleanup,
            cleanup_timeout=cleanup_timeout,
            timeout=wait,
        )
        connection = SandboxConnection(context, request)
        super().__init__(
            context,
            [
                connection,
                ExecutionKeywords(context, connection),
                AssertionKeywords(context),
                EnvironmentKeywords(context, connection),
                ConnectionKeywords(context, noun="Sandbox", kinds="sandbox"),
                WaitKeywords(context, **NAMES),
                StateKeywords(context, **NAMES),
                ResultKeywords(context, **NAMES),
                CleanupKeywords(context, **NAMES),
            ],
        )

    @property
    def client(self) -> object:
        """The current sandbox connection (opened with the defaults if there is none)."""
        return self.components[0].client  # type: ignore[attr-defined]
