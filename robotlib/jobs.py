"""JobLibrary: backend-neutral keywords on job handles, whatever library started the job."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from robot.api.deco import library

from jobharness.jobs import DEFAULT_TIMEOUT
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import LibraryDuration
from robotlib._core.jobs import ResultKeywords, StateKeywords, WaitKeywords
from robotlib._core.library import ComponentLibrary
from robotlib.runs import RunKeywords, set_run_id

JOB_NAMES = {
    "noun": "Job",
    "plural": "Jobs",
    "what": "job",
    "returns": "its result",
    "returns_many": "their results",
}


@library(scope="GLOBAL", listener="SELF", auto_keywords=False)
class JobLibrary(ComponentLibrary):
    """Keywords that work on any job handle returned by a jobharness backend library.

    A job handle is what keywords such as ``Start Task Instance`` or
    ``Submit Harp Call`` return. Every wait has a deadline: ``timeout``
    (default 60 seconds, or the library argument) accepts Robot time
    formats such as ``30 s`` or ``1 min 30 s``, and bounds every request the
    wait makes, however the server behaves. When it runs out, ``on_timeout``
    decides: ``fail`` (default) fails the keyword naming each unfinished job
    with its last known state, ``cancel`` (alias ``terminate``) cancels them
    first, ``continue`` returns and lets the test decide.

    States are backend-neutral: ``pending``, ``running``, ``succeeded``,
    ``failed``, ``cancelled`` and ``error``; the backend's own state name is
    kept as the *native state*.

    The same keywords, named after their jobs (``Wait For Task Instance``,
    ``Wait For Harp Call`` ...), are in each backend's library as well.

    Example:
    | ${job}=            | Start Task Instance | sleeper    | seconds=1 |
    | ${result}=         | Wait For Job        | ${job}     | timeout=30 s |
    | Job Should Have Succeeded | ${job}       |            |           |
    """

    def __init__(
        self,
        timeout: LibraryDuration = timedelta(seconds=DEFAULT_TIMEOUT),
        progress: Literal["auto", "on", "off"] | None = None,
        run_id: str | None = None,
    ) -> None:
        """``timeout`` is the default of every wait.

        ``progress`` decides the console status line of waits that run
        longer than two seconds (what is awaited, the jobs per state, the
        time spent against the deadline): ``auto`` shows it unless the
        console is quiet, dotted or none or the run is a pabot process;
        ``on`` always; ``off`` never. Unset, the environment variable
        ``JOBHARNESS_PROGRESS`` or the Robot variable ``${JOBHARNESS_PROGRESS}``
        decides, else ``auto``. Every library's waits follow those two.

        ``run_id`` names the run in every job name, for every library (see
        `Get Run Id`); ``JOBHARNESS_RUN_ID`` in the environment still wins.
        """
        if run_id:
            set_run_id(run_id)
        context = LibraryContext("job", timeout=timeout)
        context.progress = progress
        super().__init__(
            context,
            [
                WaitKeywords(context, **JOB_NAMES),
                StateKeywords(context, **JOB_NAMES),
                ResultKeywords(context, **JOB_NAMES),
                RunKeywords(context),
            ],
        )
