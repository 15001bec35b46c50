"""The remote Python agent against a minimal framed round trip, side by side, on one transport.

The minimal baseline is written here: a Python server reading length-prefixed
JSON frames on standard input (``eval`` of the request's source, the answer
as one frame, bytes raw after the JSON), and a blocking client. It is the
floor any framed protocol on the same pipe can reach. Both run on the same
transport: a local pipe (``python -u -c ...``), or with ``--sshd`` the
private sshd of ``jobharness serve sshd`` through one OpenSSH ControlMaster
of the terminal core (the agent as a bare channel of the route, the minimal
server through the same master).

Figures (median / p95 where it applies; pairs interleaved so both see the
same load; ratios are medians of paired ratios):

1. nothing to first ``run_python('1+1')`` result (agent start included);
2. ``run_python('1+1')``;
3. a proxy method call (``os.getpid()`` on a proxy, spec known);
4. a recursive proxy step (``path.join('a', 'b')`` on a recursive proxy of
   ``os.path``, and the attribute step ``rp.path`` from ``os``);
5. 1 MB up (an argument) and down (a value), MB/s;
6. recovery: kill -9 the agent, time to the next successful call of an
   :class:`~jobharness.backends.terminal.autorunner.AutoRunnerTerminal`.

crl 1.3.1 needs its pexpect shell stack over ssh: its figures come with the
sshd run. Its published figures (docs: interactivesessions.md section 8,
same class of machine, over ssh) are printed for reference, not as a ratio.

Aims: run_python within 1.5x of the minimal round trip (over ssh; a local
pipe has no transport cost to hide Python's), recovery under 1 s.

Run: ``.venv/bin/python benchmarks/terminal_agent/bench_agent.py [--sshd ready.json]``
(about a minute; start the sshd with ``jobharness serve sshd --ready-file ready.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from jobharness.backends.terminal.agentstream import LocalPython, RoutePython
from jobharness.backends.terminal.autorunner import AutoRunnerTerminal
from jobharness.backends.terminal.runner import RunnerTerminal
from jobharness.deadline import Deadline

MINIMAL_SERVER = r"""
import json, os, struct
H = struct.Struct(">II")
def read(n):
    data = b""
    while len(data) < n:
        chunk = os.read(0, n - len(data))
        if not chunk:
            os._exit(0)
        data += chunk
    return data
ns = {}
while True:
    size, raw = H.unpack(read(8))
    body = read(size)
    request = json.loads(body[: size - raw])
    if raw:
        value = len(body[size - raw :])
    else:
        value = eval(request["src"], ns)
    blob = value if isinstance(value, bytes) else b""
    text = json.dumps(None if blob else value).encode()
    os.write(1, H.pack(len(text) + len(blob), len(blob)) + text + blob)
"""
HEADER = struct.Struct(">II")

CRL_REFERENCE = {  # interactivesessions.md, section 8 (over ssh, loopback, 2 cores)
    "first result": 2176.0,
    "run_python median": 1.96,
    "run_python p95": 5.72,
    "proxy method": 1.93,
    "recursive os.path.join": 15.0,
    "1 MB up MB/s": 8.2,
    "1 MB down MB/s": 11.9,
    "recovery (python killed)": 64400.0,
}


class Minimal:
    """The minimal framed client, on a server started with ``argv``."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            [*argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
        )
        assert self.process.stdin and self.process.stdout
        self.wfd, self.rfd = self.process.stdin.fileno(), self.process.stdout.fileno()

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = os.read(self.rfd, n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def call(self, source: str = "", blob: bytes = b"") -> Any:
        """One framed request and its answer."""
        text = json.dumps({"src": source}).encode()
        os.write(self.wfd, HEADER.pack(len(text) + len(blob), len(blob)) + text)
        if blob:
            view = memoryview(blob)
            while view:
                view = view[os.write(self.wfd, view) :]
        size, raw = HEADER.unpack(self._read(8))
        body = self._read(size)
        return body[size - raw :] if raw else json.loads(body)

    def close(self) -> None:
        """End the server."""
        self.process.kill()
        self.process.wait()


def timed(action: Callable[[], Any]) -> float:
    """Seconds ``action`` took."""
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def paired(
    ours: Callable[[], Any], base: Callable[[], Any], n: int
) -> tuple[list[float], list[float]]:
    """``n`` interleaved timings of each (after a warm-up)."""
    for _ in range(20):
        ours(), base()
    a, b = [], []
    for _ in range(n):
        a.append(timed(ours))
        b.append(timed(base))
    return a, b


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return sorted(values)[int(len(values) * 0.95)]


def ratio(a: list[float], b: list[float]) -> float:
    """Median of the paired ratios."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def ms(value: float) -> str:
    """Milliseconds with three decimals."""
    return f"{value * 1000:8.3f} ms"


class Target:
    """Where both sides run: a local pipe, or the private sshd through one ControlMaster."""

    def __init__(self, python: str, sshd: str | None) -> None:
        self.python = python
        self.terminal: Any = None
        if sshd is None:
            self.starter: Any = LocalPython(python)
            self.name = f"local pipe, {python}"
            return
        from jobharness.backends.terminal.client import Terminal
        from jobharness.backends.terminal.spec import SshHop

        info = json.loads(open(sshd, encoding="utf-8").read())  # noqa: SIM115
        hop = SshHop(
            info["host"],
            port=info["port"],
            user=info["user"],
            key_file=info["client_key"],
            known_hosts=info["known_hosts"],
        )
        self.terminal = Terminal(hop)
        self.starter = RoutePython(self.terminal, python)
        self.name = f"ssh {info['user']}@{info['host']}:{info['port']} (ControlMaster), {python}"

    def minimal_argv(self) -> list[str]:
        """The minimal server's command line, on the same transport."""
        if self.terminal is None:
            return [self.python, "-u", "-c", MINIMAL_SERVER]
        line = f"exec {shlex.quote(self.python)} -u -c {shlex.quote(MINIMAL_SERVER)}"
        return list(self.terminal.link(Deadline(30)).argv(line))

    def fresh(self) -> Target:
        """The same target on a connection of its own (a new login over ssh)."""
        other = Target.__new__(Target)
        other.__dict__.update(self.__dict__)
        if self.terminal is not None:
            from jobharness.backends.terminal.client import Terminal

            other.terminal = Terminal(self.terminal.route)
            other.starter = RoutePython(other.terminal, self.python)
        return other

    def first_result(self) -> None:
        """From nothing (no login) to the first run_python result, then close."""
        fresh = self.fresh()
        runner = RunnerTerminal(fresh.starter)
        try:
            runner.initialize()
            runner.run_python("1+1")
        finally:
            runner.close()
            fresh.close()

    def minimal_first_result(self) -> None:
        """The same for the minimal server."""
        fresh = self.fresh()
        minimal = Minimal(fresh.minimal_argv())
        try:
            minimal.call("1+1")
        finally:
            minimal.close()
            fresh.close()

    def kill(self, pid: int) -> None:
        """kill -9 the agent (the embedded sshd runs on this machine: by pid)."""
        os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """Log out."""
        if self.terminal is not None:
            self.terminal.close()


def main() -> int:
    """Measure and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="round trips per figure")
    parser.add_argument("--python", default=None, help="the target's interpreter")
    parser.add_argument(
        "--sshd", metavar="READY_JSON", help="the ready file of `jobharness serve sshd`"
    )
    args = parser.parse_args()
    python = args.python or ("python3" if args.sshd else sys.executable)
    where = Target(python, args.sshd)
    try:
        return measure(where, args.calls)
    finally:
        where.close()


def measure(where: Target, calls: int) -> int:
    """All the figures on ``where``."""
    target = where.starter
    print(f"target: {where.name}; {calls} calls per figure; load {os.getloadavg()}")
    results: dict[str, tuple[float, float]] = {}

    # 1. nothing to first result (a fresh login each time over ssh)
    firsts, minimal_firsts = [], []
    for _ in range(10):
        firsts.append(timed(where.first_result))
        minimal_firsts.append(timed(where.minimal_first_result))
    results["first result"] = (statistics.median(firsts), statistics.median(minimal_firsts))

    runner = RunnerTerminal(target)
    runner.initialize()
    minimal = Minimal(where.minimal_argv())
    try:
        # 2. run_python
        ours, base = paired(lambda: runner.run_python("1+1"), lambda: minimal.call("1+1"), calls)
        print(f"run_python('1+1')   median {ms(statistics.median(ours))}  p95 {ms(p95(ours))}")
        print(f"minimal round trip  median {ms(statistics.median(base))}  p95 {ms(p95(base))}")
        run_ratio = ratio(ours, base)
        print(f"run_python / minimal: {run_ratio:.2f}x (aim <= 1.5x over ssh)")
        results["run_python median"] = (statistics.median(ours), statistics.median(base))
        results["run_python p95"] = (p95(ours), p95(base))

        # 3. proxy method call
        runner.import_libraries("os")
        os_proxy = runner.get_proxy_object("os", None)
        ours, base = paired(os_proxy.getpid, lambda: minimal.call("1"), calls)
        results["proxy method"] = (statistics.median(ours), statistics.median(base))

        # 4. recursive steps
        path = runner.get_recursive_proxy("os").path
        ours, base = paired(lambda: path.join("a", "b"), lambda: minimal.call("1"), calls)
        results["recursive os.path.join"] = (statistics.median(ours), statistics.median(base))
        recursive = runner.get_recursive_proxy("os")
        ours, base = paired(lambda: recursive.path, lambda: minimal.call("1"), calls // 4)
        results["recursive attribute step"] = (statistics.median(ours), statistics.median(base))

        # 5. 1 MB up and down
        blob = os.urandom(1 << 20)
        runner.run_python("blob = __import__('os').urandom(1 << 20)")
        minimal.call("globals().__setitem__('blob', __import__('os').urandom(1 << 20))")
        up, up_base = paired(
            lambda: runner.run_python_call("len", blob), lambda: minimal.call("", blob), 50
        )
        down, down_base = paired(
            lambda: runner.run_python("blob"), lambda: minimal.call("blob"), 50
        )
        results["1 MB up MB/s"] = (1 / statistics.median(up), 1 / statistics.median(up_base))
        results["1 MB down MB/s"] = (1 / statistics.median(down), 1 / statistics.median(down_base))
    finally:
        runner.close()
        minimal.close()

    # 6. recovery after the remote Python is killed
    auto = AutoRunnerTerminal(target)
    recoveries = []
    try:
        for _ in range(10):
            pid = auto.run_python("__import__('os').getpid()")
            began = time.perf_counter()
            where.kill(pid)
            while True:
                try:
                    auto.run_python("1")
                    break
                except Exception:  # a call that met the end: the next one recovers
                    continue
            recoveries.append(time.perf_counter() - began)
    finally:
        auto.close()
    results["recovery (python killed)"] = (statistics.median(recoveries), max(recoveries))

    print()
    print(f"{'figure':28} {'agent':>13} {'minimal':>13} {'ratio':>7}   crl 1.3.1 (ref., ssh)")
    for name, (value, base_value) in results.items():
        rate = name.endswith("MB/s")
        shown = f"{value:9.1f} MB/s" if rate else ms(value)
        shown_base = f"{base_value:9.1f} MB/s" if rate else ms(base_value)
        if name.startswith("recovery"):
            shown_base = f"max {ms(base_value).strip()}"
        crl = CRL_REFERENCE.get(name)
        crl_text = "" if crl is None else (f"{crl:.1f} MB/s" if rate else f"{crl:.2f} ms")
        quotient = "" if name.startswith("recovery") else f"{value / base_value:6.2f}x"
        print(f"{name:28} {shown:>13} {shown_base:>13} {quotient:>7}   {crl_text}")
    first = results["first result"][0] * 1000 / CRL_REFERENCE["first result"]
    run = results["run_python median"][0] * 1000 / CRL_REFERENCE["run_python median"]
    print(
        f"\nagainst crl's published figures: first result {first:.3f}x (aim <= 0.2x), "
        f"run_python {run:.3f}x (aim <= 0.15x); recovery median "
        f"{results['recovery (python killed)'][0]:.3f} s (aim <= 1 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
