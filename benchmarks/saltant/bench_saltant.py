"""Waiting for saltant task instances: jobharness against saltant-py, side by side.

One embedded saltant server runs every job. Two measurements:

1. **Single waits.** Jobs of 0.5 to 8 s (random, seeded) are started at once;
   half are waited by saltant-py's ``wait_until_finished`` (default refresh
   period 5 s), half by :meth:`SaltantJob.wait` (adaptive polling), each in
   its own thread with its own client. For every wait: the time from the
   job's ``datetime_finished`` (server clock, same host) to the wait
   returning, and the requests the wait sent (counted by a requests hook).
   The same jobs waited together through ``as_completed`` (shared list
   requests) give a third column.
2. **Many jobs at once.** ``--bulk`` jobs (default 200) are started and waited
   for from one thread with ``as_completed``: requests per poll round.

Run: ``.venv/bin/python benchmarks/saltant/bench_saltant.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from saltant.client import Client as SdkClient

from jobharness.backends.saltant import SALTANT_POLL, SaltantClient, SaltantJob
from jobharness.jobs import PollPolicy
from jobharness.servers.base import EmbeddedServer
from jobharness.waiting import as_completed

SLEEPER = Path(__file__).resolve().parents[2] / "utests" / "saltant" / "sleeper.py"


@dataclass
class Counter:
    """Counts the requests of one session (a requests response hook)."""

    count: int = 0

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Count one response."""
        self.count += 1


@dataclass
class Wait:
    """One measured wait: latency after the job finished, and requests it sent."""

    latency: float
    requests: int


@dataclass
class Column:
    """The waits of one method."""

    name: str
    waits: list[Wait] = field(default_factory=list)

    def latencies(self) -> list[float]:
        """Latencies in seconds."""
        return [w.latency for w in self.waits]

    def line(self) -> str:
        """A summary line."""
        lat = self.latencies()
        reqs = [w.requests for w in self.waits]
        return (
            f"{self.name:<28} latency mean {statistics.mean(lat):6.3f} s  median "
            f"{statistics.median(lat):6.3f} s  max {max(lat):6.3f} s   requests/wait mean "
            f"{statistics.mean(reqs):5.2f}  min {min(reqs)}  max {max(reqs)}"
        )


def provision(client: SaltantClient) -> tuple[int, int]:
    """A sleeper task type and a queue for it; return their ids."""
    suffix = secrets.token_hex(4)
    task_type = client.executable_task_types.create(
        f"bench-sleeper-{suffix}",
        f"{sys.executable} {SLEEPER}",
        required_arguments=["seconds"],
    )
    whitelist = client.task_whitelists.create(
        f"bench-{suffix}", whitelisted_executable_task_types=[task_type.id]
    )
    queue = client.task_queues.create(f"bench-{suffix}", whitelists=[whitelist.id])
    return task_type.id, queue.id


POLL: list[PollPolicy] = [SALTANT_POLL]


def new_client(url: str, token: str, counter: Counter | None = None) -> SaltantClient:
    """A client of ours whose requests ``counter`` counts (polling as ``--poll-*`` say)."""
    client = SaltantClient(url, token, test_if_authenticated=False, poll=POLL[0])
    if counter is not None:
        client.session.hooks["response"].append(counter.hook)
    return client


def in_threads(work: list[Callable[[], None]]) -> None:
    """Run each callable in a thread; wait for all."""
    threads = [threading.Thread(target=w) for w in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def single_waits(url: str, token: str, type_id: int, queue_id: int, durations: list[float]):
    """Measure saltant-py's and our single waits on concurrent jobs, and a shared wait."""
    sdk_col, ours_col, shared_col = (
        Column("saltant-py (refresh 5 s)"),
        Column("jobharness job.wait()"),
        Column("jobharness as_completed"),
    )
    lock = threading.Lock()
    starter = new_client(url, token)
    manager = starter.executable_task_instances

    def sdk_wait(seconds: float) -> Callable[[], None]:
        def run() -> None:
            counter = Counter()
            sdk = SdkClient(url, token, test_if_authenticated=False)
            sdk.session.hooks["response"].append(counter.hook)
            uuid = manager.create(type_id, queue_id, {"seconds": seconds}).uuid
            done = sdk.executable_task_instances.wait_until_finished(uuid)
            returned = time.time()
            with lock:
                sdk_col.waits.append(
                    Wait(returned - done.datetime_finished.timestamp(), counter.count)
                )

        return run

    def our_wait(seconds: float) -> Callable[[], None]:
        def run() -> None:
            counter = Counter()
            client = new_client(url, token, counter)
            job = client.executable_task_instances.start(type_id, queue_id, {"seconds": seconds})
            counter.count = 0
            job.wait(60)
            returned = time.time()
            finished = job.instance.datetime_finished
            assert finished is not None
            with lock:
                ours_col.waits.append(Wait(returned - finished.timestamp(), counter.count))

        return run

    def shared_wait() -> None:
        counter = Counter()
        client = new_client(url, token, counter)
        jobs = [
            client.executable_task_instances.start(type_id, queue_id, {"seconds": s})
            for s in durations
        ]
        counter.count = 0
        seen: list[tuple[SaltantJob, float]] = []
        for job in as_completed(jobs, 60):
            seen.append((job, time.time()))  # type: ignore[arg-type]
        per_job = counter.count / len(jobs)
        for job, returned in seen:
            finished = job.instance.datetime_finished
            assert finished is not None
            shared_col.waits.append(Wait(returned - finished.timestamp(), round(per_job)))
        shared_col.name += f" ({counter.count} requests for {len(jobs)} jobs)"

    work = [sdk_wait(s) for s in durations] + [our_wait(s) for s in durations] + [shared_wait]
    in_threads(work)
    return sdk_col, ours_col, shared_col


def bulk_wait(url: str, token: str, type_id: int, queue_id: int, count: int, rng: random.Random):
    """Start ``count`` jobs and wait for all of them from one thread; return figures."""
    counter = Counter()
    client = new_client(url, token, counter)
    manager = client.executable_task_instances
    started = time.monotonic()
    jobs = [
        manager.start(type_id, queue_id, {"seconds": round(rng.uniform(0.5, 3), 2)})
        for _ in range(count)
    ]
    start_time = time.monotonic() - started
    rounds = 0
    saved = SaltantJob.__dict__["refresh_many"]
    original = saved.__func__

    def counting(cls: type[SaltantJob], group: Any) -> None:
        nonlocal rounds
        rounds += 1
        original(cls, group)

    SaltantJob.refresh_many = classmethod(counting)  # type: ignore[method-assign, assignment]
    counter.count = 0
    began = time.monotonic()
    try:
        finished = sum(1 for _ in as_completed(jobs, 120))
    finally:
        SaltantJob.refresh_many = saved  # type: ignore[method-assign]
    elapsed = time.monotonic() - began
    return {
        "jobs": count,
        "finished": finished,
        "start_seconds": start_time,
        "wait_seconds": elapsed,
        "rounds": rounds,
        "requests": counter.count,
    }


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=12, help="jobs per method (default 12)")
    parser.add_argument("--bulk", type=int, default=200, help="jobs waited at once (default 200)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=64, help="server worker threads")
    parser.add_argument("--poll-initial", type=float, default=SALTANT_POLL.initial)
    parser.add_argument("--poll-factor", type=float, default=SALTANT_POLL.factor)
    parser.add_argument("--poll-max", type=float, default=SALTANT_POLL.maximum)
    args = parser.parse_args(argv)
    POLL[0] = PollPolicy(args.poll_initial, args.poll_factor, args.poll_max)
    rng = random.Random(args.seed)
    # stratified over 0.5-8 s, so a small sample still covers the whole range
    step = 7.5 / args.jobs
    durations = [round(0.5 + step * (i + rng.random()), 2) for i in range(args.jobs)]
    rng.shuffle(durations)
    token = secrets.token_hex(20)
    server_args = ["--token", token, "--workers", str(args.workers)]
    with EmbeddedServer("saltant", server_args) as server:
        url = server.url
        with new_client(url, token) as client:
            type_id, queue_id = provision(client)
        print(f"embedded saltant at {url}; {args.jobs} jobs per method of {durations} s")
        print(f"our polling: {POLL[0]}")
        t0 = time.monotonic()
        sdk, ours, shared = single_waits(url, token, type_id, queue_id, durations)
        print(f"single waits took {time.monotonic() - t0:.1f} s")
        for column in (sdk, ours, shared):
            print("  " + column.line())
        for column in (ours, shared):
            lat = statistics.mean(column.latencies()) / statistics.mean(sdk.latencies())
            req = statistics.mean(w.requests for w in column.waits) / statistics.mean(
                w.requests for w in sdk.waits
            )
            print(f"  ratio {column.name.split(' (')[0]}: latency {lat:.3f}x, requests {req:.2f}x")
        t0 = time.monotonic()
        bulk = bulk_wait(url, token, type_id, queue_id, args.bulk, rng)
        print(
            f"{bulk['jobs']} jobs waited at once from one thread: {bulk['finished']} finished in "
            f"{bulk['wait_seconds']:.1f} s (started in {bulk['start_seconds']:.1f} s); "
            f"{bulk['requests']} requests in {bulk['rounds']} poll rounds = "
            f"{bulk['requests'] / max(1, bulk['rounds']):.2f} requests per round "
            f"(one GET per job would be {bulk['jobs']} per round)"
        )
        print(f"bulk part took {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
