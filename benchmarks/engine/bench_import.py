"""What jobharness costs a run that hardly uses it: pytest with the plugin, robot with JobLibrary.

Side by side, in one run, alternating the two commands of each pair:

* a one-test pytest session (a test that uses no jobharness fixture) with the
  plugin installed, against the same session with ``-p no:jobharness``;
* a one-test Robot run of a suite that imports ``robotlib.JobLibrary``,
  against the same suite without that import.

Prints the medians, the overhead in seconds (aim: under 0.1 s for the plugin)
and the ratios, and which client modules each run imported (none should be: a
backend's settings are all the plugin needs until a fixture is used).

Run: ``.venv/bin/python benchmarks/engine/bench_import.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PYTEST_TEST = "def test_nothing():\n    assert 1 + 1 == 2\n"
ROBOT_WITH = "*** Settings ***\nLibrary    robotlib.JobLibrary\n\n"
ROBOT_WITHOUT = "*** Settings ***\n\n"
ROBOT_TESTS = "*** Test Cases ***\nNothing\n    No Operation\n"
PROBE = """
import atexit, os, sys
def _report():
    heavy = sorted(
        m for m in sys.modules
        if m.startswith(("aiohttp", "requests", "waitress", "werkzeug"))
        or (m.startswith("jobharness.backends.") and m.count(".") > 2
            and not m.endswith(".settings"))
    )
    with open(os.environ["JOBHARNESS_IMPORT_PROBE"], "a") as out:
        out.write(" ".join(heavy) + "\\n")
atexit.register(_report)
"""


def _time(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _pair(
    name: str, ours: Sequence[str], bare: Sequence[str], cwd: Path, env: dict[str, str], rounds: int
) -> tuple[float, float]:
    _time(ours, cwd, env)  # warm the file system caches
    _time(bare, cwd, env)
    with_us, without = [], []
    for _ in range(rounds):
        with_us.append(_time(ours, cwd, env))
        without.append(_time(bare, cwd, env))
    a, b = statistics.median(with_us), statistics.median(without)
    ratios = statistics.median(x / y for x, y in zip(with_us, without, strict=True))
    print(f"{name} (median of {rounds}):")
    print(f"  with jobharness {a:6.3f} s   without {b:6.3f} s   overhead {a - b:+.3f} s   ", end="")
    print(f"ratio {ratios:.2f}x")
    return a, b


def main() -> int:
    """Measure both pairs and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jobharness-bench-import-") as tmp:
        root = Path(tmp)
        (root / "test_one.py").write_text(PYTEST_TEST)
        (root / "with.robot").write_text(ROBOT_WITH + ROBOT_TESTS)
        (root / "without.robot").write_text(ROBOT_WITHOUT + ROBOT_TESTS)
        probe_dir = root / "probe"
        probe_dir.mkdir()
        (probe_dir / "sitecustomize.py").write_text(PROBE)
        log = root / "imported.txt"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(probe_dir), os.environ.get("PYTHONPATH")])
            ),
            "JOBHARNESS_IMPORT_PROBE": str(log),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
        plugin, bare = _pair(
            "pytest, one test",
            pytest,
            [*pytest, "-p", "no:jobharness"],
            root,
            env,
            args.rounds,
        )
        robot = [sys.executable, "-m", "robot", "--output", "NONE", "--log", "NONE"]
        robot = [*robot, "--report", "NONE"]
        _pair(
            "robot, one test",
            [*robot, "with.robot"],
            [*robot, "without.robot"],
            root,
            env,
            args.rounds,
        )
        heavy = {line.strip() for line in log.read_text().splitlines() if line.strip()}
    overhead = plugin - bare
    verdict = "ok" if overhead < 0.1 else "MISSED"
    print(f"pytest plugin overhead {overhead:.3f} s (target < 0.1 s) {verdict}")
    modules = {name for line in heavy for name in line.split()}
    roots = sorted(
        {".".join(name.split(".")[: 4 if name.startswith("jobharness") else 1]) for name in modules}
    )
    print(f"client modules imported: {len(modules)}", f"({', '.join(roots)})" if roots else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
