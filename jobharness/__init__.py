"""jobharness: provision, run and assert on remote jobs from Robot Framework and pytest.

The engine knows nothing of Robot or pytest. Start with :mod:`jobharness.jobs`
(the job model and the wait engine) and :mod:`jobharness.errors`.
"""

from jobharness.errors import JobHarnessError
from jobharness.jobs import Job, JobResult, JobState, OnTimeout, PollPolicy
from jobharness.waiting import as_completed, wait_for

__version__ = "0.1.0"

__all__ = [
    "Job",
    "JobHarnessError",
    "JobResult",
    "JobState",
    "OnTimeout",
    "PollPolicy",
    "__version__",
    "as_completed",
    "wait_for",
]
