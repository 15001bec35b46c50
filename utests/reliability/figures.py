"""The figures of a reliability run: recorded by the tests, summed and printed at the end.

Each test process appends JSON lines to a file of its own in the directory
named by ``JOBHARNESS_FIGURES`` (nothing is recorded without it), so xdist
workers never write to one file. ``python -m utests.reliability.figures DIR``
sums them and prints the table (``./dev.sh reliability`` does).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

ENV = "JOBHARNESS_FIGURES"

ROWS = (
    ("faults injected", "faults_injected"),
    ("faults survived (wait ended right, within deadline + 0.5 s)", "faults_survived"),
    ("longest overshoot past a deadline, ms", "max_overshoot_ms"),
    ("submissions checked for duplicates", "submissions_checked"),
    ("duplicate submissions", "duplicate_submissions"),
    ("stream packets expected", "packets_expected"),
    ("stream packets lost", "packets_lost"),
    ("stream packets repeated", "packets_repeated"),
    ("interrupted runs", "interrupted_runs"),
    ("jobs left running on servers (SIGINT, SIGTERM, timeouts)", "jobs_left"),
    ("jobs left running on servers after SIGKILL (nothing can cancel them)", "jobs_left_sigkill"),
    ("processes left on the machine", "processes_left"),
    ("secret scans (runs x ways x verbosities)", "secret_scans"),
    ("secrets found in output", "secrets_found"),
    ("plain-text secrets at Robot TRACE (warned: use Secret)", "secrets_warned"),
    ("bad inputs tried", "inputs_tried"),
    ("clean errors (JobHarnessError with a message)", "clean_errors"),
    ("raw exceptions", "raw_exceptions"),
)
MAXIMA = frozenset({"max_overshoot_ms"})


def record(**figures: float) -> None:
    """Add ``figures`` (name=count) to this run's totals; a no-op outside a reliability run."""
    directory = os.environ.get(ENV)
    if not directory:
        return
    path = Path(directory) / f"figures-{os.getpid()}.jsonl"
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(figures) + "\n")


def totals(directory: str | os.PathLike[str]) -> Counter[str]:
    """The sums (and maxima) of every figure recorded in ``directory``."""
    summed: Counter[str] = Counter()
    for path in sorted(Path(directory).glob("figures-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for name, value in json.loads(line).items():
                if name in MAXIMA:
                    summed[name] = max(summed[name], value)
                else:
                    summed[name] += value
    return summed


def table(summed: Counter[str]) -> str:
    """The figures as aligned lines, in a fixed order."""
    width = max(len(label) for label, _ in ROWS)
    return "\n".join(f"{label:<{width}}  {summed.get(key, 0):>8g}" for label, key in ROWS)


def main(argv: list[str]) -> int:
    """Print the table of the figures in the directory ``argv[0]``."""
    print(table(totals(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
