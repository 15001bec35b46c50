"""densefog, side by side: waits against the row they wait for, and actions against plain requests.

One embedded service (SQLite; MariaDB too when Debian's mariadb-server is
installed) runs the test app of ``utests/densefog``. Two measurements:

1. **From a finished row to the wait's return.** ``--jobs`` jobs sleeping 0.3
   to 3 s (random, seeded) are made at once and each is waited for by
   :meth:`DensefogJob.wait` in its own thread, reading the job table directly
   (and, in a second round, through ``DescribeJobs``). A separate connection
   polls the table every 2 ms and notes when each row became ``finished``;
   the latency is the wait's return minus that moment. (The worker itself
   picks every 2 s; that is not counted: the clock starts at the row.)
   Aim: at most 100 ms through the table.
2. **An action through the client against plain requests.** ``--calls`` calls
   of ``Ping``, alternating :meth:`DensefogClient.call` with ``requests.Session.post``
   plus ``.json()`` on the same service; medians and their ratio. Aim: at most 1.1x.

Run: ``.venv/bin/python benchmarks/densefog/bench_densefog.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from jobharness.backends.densefog import DensefogClient, DensefogJob, JobTable
from jobharness.servers.base import EmbeddedServer
from jobharness.servers.densefog.mariadb import available

APP = Path(__file__).resolve().parents[2] / "utests" / "densefog" / "testapp.py"


class RowWatcher:
    """Notes (monotonic time) when each watched job's row is first seen ``finished``."""

    def __init__(self, dsn: str, interval: float = 0.002) -> None:
        self.table = JobTable(dsn)
        self.interval = interval
        self.ids: set[str] = set()
        self.finished: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> RowWatcher:
        """Start polling."""
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            pending = sorted(self.ids - set(self.finished))
            if pending:
                rows = self.table.fetch(pending)
                now = time.monotonic()
                for job_id, record in rows.items():
                    if record.status in ("finished", "error"):
                        self.finished.setdefault(job_id, now)
            time.sleep(self.interval)

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join()
        self.table.close()


def in_threads(work: list[Callable[[], None]]) -> None:
    """Run each callable in a thread of its own; wait for all."""
    threads = [threading.Thread(target=w) for w in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wait_latencies(server: EmbeddedServer, use_table: bool, durations: list[float]) -> list[float]:
    """Make one job per duration, wait for each in its own thread; latencies in seconds."""
    dsn = str(server.info["job_table"])
    watcher = RowWatcher(dsn).start()
    returned: dict[str, float] = {}
    lock = threading.Lock()

    def waiter(seconds: float) -> Callable[[], None]:
        def run() -> None:
            with DensefogClient(server.url, job_table=dsn if use_table else None) as client:
                job: DensefogJob = client.submit(
                    "RunJob", {"job": "Sleepy", "params": {"seconds": seconds}}
                )
                watcher.ids.add(job.id)
                job.wait(60).raise_for_state()
                with lock:
                    returned[job.id] = time.monotonic()

        return run

    in_threads([waiter(s) for s in durations])
    time.sleep(0.05)
    watcher.stop()
    return [returned[i] - watcher.finished[i] for i in returned if i in watcher.finished]


def call_overhead(url: str, calls: int) -> tuple[float, float]:
    """Median seconds of one Ping through the client and through a plain requests.Session."""
    ours, plain = [], []
    with DensefogClient(url) as client, requests.Session() as session:
        for _ in range(20):  # warm both connections
            client.call("Ping")
            session.post(url, json={"action": "Ping"}, timeout=30).json()
        for _ in range(calls):
            started = time.perf_counter()
            client.call("Ping", n=1)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            answer = session.post(url, json={"n": 1, "action": "Ping"}, timeout=30).json()
            assert answer["retCode"] == 0
            plain.append(time.perf_counter() - started)
    return statistics.median(ours), statistics.median(plain)


def line(name: str, values: list[float]) -> str:
    """A summary line of latencies in milliseconds."""
    ms = [v * 1000 for v in values]
    return (
        f"{name:<34} n={len(ms):3d}  mean {statistics.mean(ms):6.1f} ms  median "
        f"{statistics.median(ms):6.1f} ms  max {max(ms):6.1f} ms"
    )


def measure(db: str, args: argparse.Namespace, durations: list[float]) -> None:
    """Both measurements against one service on ``db``."""
    server_args = ["--app", str(APP), "--db", db, "--exec-size", str(len(durations) + 2)]
    server_args += ["--pick-size", str(len(durations) + 2)]
    with EmbeddedServer("densefog", server_args, startup_timeout=120) as server:
        print(f"== densefog on {db} at {server.url} (worker tick 2 s)")
        table = wait_latencies(server, True, durations)
        action = wait_latencies(server, False, durations)
        print("  " + line("job.wait() reading the job table", table))
        print("  " + line("job.wait() through DescribeJobs", action))
        aim = "within" if statistics.mean(table) <= 0.1 else "OVER"
        print(
            f"  table: mean {statistics.mean(table) * 1000:.1f} ms after the row finished "
            f"({aim} the 100 ms aim)"
        )
        ours, plain = call_overhead(server.url, args.calls)
        print(
            f"  one action: client {ours * 1000:.2f} ms, plain requests.Session "
            f"{plain * 1000:.2f} ms (medians of {args.calls}); "
            f"ratio {ours / plain:.3f}x (aim <= 1.1x)"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=12, help="jobs per method (default 12)")
    parser.add_argument("--calls", type=int, default=400, help="action calls per client")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-mariadb", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    durations = [round(rng.uniform(0.3, 3.0), 2) for _ in range(args.jobs)]
    print(f"{args.jobs} jobs of {durations} s")
    measure("sqlite", args, durations)
    if available() and not args.no_mariadb:
        measure("mariadb", args, durations)
    else:
        print("(MariaDB skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
