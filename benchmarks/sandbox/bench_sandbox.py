"""Side-by-side benchmark of the sandbox client and the Robot keywords.

One embedded sandbox server for the whole run; then

1. ``execute({"commands": ["echo hi"]})`` and ``specifications()`` through
   jobharness's :class:`Sandbox` and pl-sandbox-api's ``Sandbox``, interleaved
   call by call, N times each: medians and the ratio ours/theirs (aim <= 0.8);
2. Robot keyword overhead: one generated test of 500 ``Execute In Sandbox``
   keywords (its elapsed time from output.xml, so interpreter start-up is not
   counted) against 500 client calls from Python (aim <= 1.3).

Usage: python benchmarks/sandbox/bench_sandbox.py [--iterations N] [--keywords K]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sandbox_api
from robot.api import ExecutionResult

from jobharness.backends.sandbox import Sandbox
from jobharness.servers.base import EmbeddedServer

CONFIG = {"commands": ["echo hi"]}


def timed(call: Callable[[], object]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def side_by_side(
    name: str, ours: Callable[[], object], theirs: Callable[[], object], iterations: int
) -> float:
    """Interleave the two calls ``iterations`` times; print medians; return ours/theirs."""
    for _ in range(5):  # warm up both (connections, imports, server caches)
        ours()
        theirs()
    mine: list[float] = []
    other: list[float] = []
    for _ in range(iterations):
        mine.append(timed(ours))
        other.append(timed(theirs))
    ratio = statistics.median(mine) / statistics.median(other)
    print(
        f"{name:<16} ours {statistics.median(mine) * 1000:7.2f} ms   "
        f"pl-sandbox-api {statistics.median(other) * 1000:7.2f} ms   "
        f"ratio ours/theirs {ratio:.2f}  (aim <= 0.80)"
    )
    return ratio


SUITE = """*** Settings ***
Library    robotlib.SandboxLibrary
Suite Setup    Connect To Sandbox    ${{SANDBOX_URL}}

*** Test Cases ***
Many Executions
{body}
"""


def python_calls(client: Sandbox, count: int) -> float:
    """Seconds ``count`` client executions take."""
    start = time.perf_counter()
    for _ in range(count):
        client.execute(CONFIG)
    return time.perf_counter() - start


def robot_overhead(url: str, client: Sandbox, keywords: int) -> float:
    """Time ``keywords`` Execute In Sandbox in one robot test vs as many client calls.

    Half of the Python calls run before the robot run and half after, so a
    drift of the machine's load over the run weighs on both sides alike.
    """
    python_seconds = python_calls(client, keywords // 2)
    with tempfile.TemporaryDirectory(prefix="jobharness-bench-") as tmp:
        suite = Path(tmp) / "many.robot"
        suite.write_text(
            SUITE.format(body="    Execute In Sandbox    echo hi\n" * keywords), encoding="utf-8"
        )
        output = Path(tmp) / "output.xml"
        command = [
            sys.executable, "-m", "robot", "--output", str(output), "--log", "NONE",
            "--report", "NONE", "--console", "none", "--variable", f"SANDBOX_URL:{url}",
            str(suite),
        ]  # fmt: skip
        subprocess.run(command, check=True)
        test = ExecutionResult(str(output)).suite.tests[0]
        if test.status != "PASS":
            raise SystemExit(f"benchmark suite failed: {test.message}")
        robot_seconds = test.elapsed_time.total_seconds()
    python_seconds += python_calls(client, keywords - keywords // 2)
    ratio = robot_seconds / python_seconds
    print(
        f"{keywords} executions  robot test body {robot_seconds:6.2f} s   "
        f"python calls {python_seconds:6.2f} s   ratio robot/python {ratio:.2f}  (aim <= 1.30)"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--keywords", type=int, default=500)
    args = parser.parse_args(argv)
    with EmbeddedServer("sandbox") as server, Sandbox(server.url) as ours:
        theirs = sandbox_api.Sandbox(server.url)
        print(f"embedded sandbox at {server.url}; {args.iterations} interleaved calls each")
        execute = side_by_side(
            "execute echo hi",
            lambda: ours.execute(CONFIG),
            lambda: theirs.execute(CONFIG),
            args.iterations,
        )
        specs = side_by_side(
            "specifications", ours.specifications, theirs.specifications, args.iterations
        )
        overhead = robot_overhead(server.url, ours, args.keywords)
    print(f"RATIOS execute={execute:.2f} specifications={specs:.2f} robot_overhead={overhead:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
