"""crl.interactivesessions 1.3.1's side of bench_agent.py: its RunnerTerminal figures.

Runs in the terminal benchmark's own virtualenv (benchmarks/terminal/.venv,
made by bench_terminal.py's ``reference_python``), never in the project's: it
imports crl and nothing of jobharness. It measures what bench_agent.py
measures for the agent, on the same sshd, and writes the samples (seconds)
as JSON to ``--out``.

Run by bench_agent.py: ``crl_reference.py --target T.json --out R.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

RECOVERY_LIMIT = 300.0
"""Seconds a recovery is waited for before it counts as none."""


def say(text: str) -> None:
    """Progress, on standard error."""
    print(f"crl: {text}", file=sys.stderr, flush=True)


def timed(function: Callable[[], Any], rounds: int) -> list[float]:
    """Seconds per call of ``function``, ``rounds`` times."""
    say(f"{rounds} x {getattr(function, '__name__', 'call')}")
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def measure(target: dict[str, Any]) -> dict[str, Any]:
    """Every figure, with crl's AutoRunnerTerminal over one SshShell."""
    from crl.interactivesessions.autorunnerterminal import (  # type: ignore[import-not-found]
        AutoRunnerTerminal,
    )
    from crl.interactivesessions.shells.sshshell import SshShell  # type: ignore[import-not-found]

    rounds = target["rounds"]
    # a file, not crl's "content:" form, which breaks its recovery (interactivesessions.md 8.5)
    init_env = target["bin_dir"] + "/env.sh"

    def runner() -> Any:
        terminal = AutoRunnerTerminal()
        shell = SshShell(
            target["host"],
            target["user"],
            target["password"],
            port=str(target["port"]),
            init_env=init_env,
        )
        terminal.initialize_with_shells(
            shells=[shell], prepare=lambda: terminal.import_libraries("os")
        )
        return terminal

    figures: dict[str, Any] = {}
    firsts = []
    for _ in range(rounds["first"]):
        started = time.perf_counter()
        terminal = runner()
        terminal.initialize_if_needed()
        terminal.run_python("1+1")
        firsts.append(time.perf_counter() - started)
        terminal.close()
    figures["first result"] = firsts

    terminal = runner()
    terminal.initialize_if_needed()
    for _ in range(20):
        terminal.run_python("1+1")
    figures["run_python"] = timed(lambda: terminal.run_python("1+1"), rounds["calls"])
    os_proxy = terminal.get_proxy_object("os", None)
    os_proxy.getpid()
    figures["proxy method"] = timed(os_proxy.getpid, rounds["calls"])
    path = terminal.get_recursive_proxy("os").path
    figures["recursive os.path.join"] = timed(lambda: path.join("a", "b"), rounds["calls"] // 4)
    recursive = terminal.get_recursive_proxy("os")
    figures["recursive attribute step"] = timed(lambda: recursive.path, rounds["calls"] // 4)
    blob = os.urandom(1 << 19).hex()  # 1 MB of text: crl moves str through its protocol
    figures["1 MB up"] = timed(lambda: terminal.run_python_call("len", blob), rounds["bulk"])
    terminal.run_python("blob = os.urandom(1 << 19).hex()")
    figures["1 MB down"] = timed(lambda: terminal.run_python("blob"), rounds["bulk"])

    recoveries: list[float] = []
    seen: list[str] = []
    for _ in range(rounds["recovery"]):
        getpid = terminal.get_proxy_object("os.getpid", None)
        pid = getpid()
        os.kill(pid, signal.SIGKILL)  # the remote Python only; its shell lives on
        say("recovery: the remote Python killed")
        started = time.perf_counter()
        while time.perf_counter() - started < RECOVERY_LIMIT:
            try:
                getpid()
                break
            except Exception as exc:  # what reached the caller; a stale proxy is made again
                seen.append(f"{type(exc).__name__} after {time.perf_counter() - started:.1f} s")
                say(seen[-1])
                getpid = terminal.get_proxy_object("os.getpid", None)
        else:
            say(f"recovery: no successful call within {RECOVERY_LIMIT} s")
            break
        recoveries.append(time.perf_counter() - started)
    figures["recovery (python killed)"] = recoveries
    figures["recovery errors"] = seen[:10]
    terminal.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="JSON: host, port, user, password ...")
    parser.add_argument("--out", required=True, help="where the figures go (JSON)")
    args = parser.parse_args()
    with open(args.target, encoding="utf-8") as data:
        target = json.load(data)
    figures = measure(target)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(figures, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
