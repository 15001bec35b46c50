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

7. bulk copies through the agent (``Terminal(via_agent=True)``), MB/s, up and
   down, checked byte for byte; SFTP through the same connection beside them.

crl.interactivesessions 1.3.1 is measured in the same run on the same sshd
(its ``AutoRunnerTerminal`` over an ``SshShell``, password login), by
``crl_reference.py`` in the terminal benchmark's own virtualenv
(``benchmarks/terminal/.venv``, made on first use; crl never enters the
project's venv). Its recovery figure is one kill: it takes about a minute.

Aims: run_python at most 0.15x crl and within 1.5x of the minimal round trip;
first result at most 0.2x crl; recovery at most 1 s; copies at least 50 MB/s.

Run: ``.venv/bin/python benchmarks/terminal_agent/bench_agent.py`` (as root, so
the embedded sshd's account has a password for crl; about three minutes).
``--sshd ready.json`` uses a running ``jobharness serve sshd``; ``--local``
measures the agent on a local pipe alone; ``--no-crl`` leaves crl out.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shlex
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jobharness.backends.terminal import TERMINAL_TARGET, SshHop, Terminal, target_hop
from jobharness.backends.terminal.agentstream import LocalPython, RoutePython
from jobharness.backends.terminal.autorunner import AutoRunnerTerminal
from jobharness.backends.terminal.runner import RunnerTerminal
from jobharness.deadline import Deadline
from jobharness.settings import resolve
from jobharness.targets import open_target

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

HERE = Path(__file__).resolve().parent
CRL_SCRIPT = HERE / "crl_reference.py"
CRL_ROUNDS = {"first": 5, "calls": 500, "bulk": 5, "recovery": 1}
COPY_SIZE = 64 << 20


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
    """Where both sides run: a local pipe, or an sshd through one ControlMaster."""

    def __init__(self, python: str, hop: SshHop | None) -> None:
        self.python = python
        self.hop = hop
        self.terminal: Any = None
        if hop is None:
            self.starter: Any = LocalPython(python)
            self.name = f"local pipe, {python}"
            return
        self.terminal = Terminal(hop)
        self.starter = RoutePython(self.terminal, python)
        self.name = f"ssh {hop.user}@{hop.host}:{hop.port} (ControlMaster), {python}"

    def minimal_argv(self) -> list[str]:
        """The minimal server's command line, on the same transport."""
        if self.terminal is None:
            return [self.python, "-u", "-c", MINIMAL_SERVER]
        line = f"exec {shlex.quote(self.python)} -u -c {shlex.quote(MINIMAL_SERVER)}"
        return list(self.terminal.link(Deadline(30)).argv(line))

    def fresh(self) -> Target:
        """The same target on a connection of its own (a new login over ssh)."""
        return Target(self.python, self.hop)

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
        "--sshd", metavar="READY_JSON", help="the ready file of a running `jobharness serve sshd`"
    )
    parser.add_argument("--local", action="store_true", help="the agent on a local pipe alone")
    parser.add_argument("--no-crl", action="store_true", help="leave crl 1.3.1 out")
    args = parser.parse_args()
    python = args.python or (sys.executable if args.local else "python3")
    embedded = None
    hop: SshHop | None = None
    password: str | None = None
    if args.sshd:
        info = json.loads(Path(args.sshd).read_text(encoding="utf-8"))
        hop = SshHop(
            info["host"], port=info["port"], user=info["user"], key_file=info["client_key"],
            known_hosts=info["known_hosts"],
        )  # fmt: skip
        password = info.get("password")
    elif not args.local:
        settings = {s.name: resolve(s, environ={}) for s in TERMINAL_TARGET.settings}
        embedded = open_target(TERMINAL_TARGET, settings)
        hop = target_hop(embedded)
        password = embedded.info.get("password")
    where = Target(python, hop)
    try:
        results = measure(where, args.calls)
        if hop is not None:
            results.update(copies(hop))
        crl = None
        if hop is not None and not args.no_crl:
            crl = crl_figures(hop, password)
        report(results, crl)
        return 0
    finally:
        where.close()
        if embedded is not None:
            embedded.close()


def measure(where: Target, calls: int) -> dict[str, tuple[float, float]]:
    """The agent's figures on ``where``, each with the minimal framed one beside it."""
    target = where.starter
    print(f"target: {where.name}; {calls} calls per figure; load {os.getloadavg()}", flush=True)
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
        results["run_python median"] = (statistics.median(ours), statistics.median(base))
        results["run_python p95"] = (p95(ours), p95(base))
        results["run_python paired ratio"] = (ratio(ours, base), 1.0)

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
        results["1 MB up"] = (statistics.median(up), statistics.median(up_base))
        results["1 MB down"] = (statistics.median(down), statistics.median(down_base))
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
    return results


def copies(hop: SshHop) -> dict[str, tuple[float, float]]:
    """MB/s of a COPY_SIZE file up and down: through the agent, and SFTP beside it."""
    results: dict[str, tuple[float, float]] = {}
    payload = os.urandom(COPY_SIZE)
    remote = f"/tmp/jh-bench-agent-{os.getpid()}.bin"
    with tempfile.TemporaryDirectory(prefix="jh-bench-") as scratch:
        local, back = Path(scratch) / "up", Path(scratch) / "down"
        local.write_bytes(payload)
        rates: dict[str, list[float]] = {}
        with Terminal(hop, via_agent=True) as agent, Terminal(hop) as sftp:
            agent.run("true")  # the agent started
            sftp.copy_to(local, remote)  # the sftp session opened
            for name, terminal in (("agent", agent), ("sftp", sftp)):
                for _ in range(3):
                    up = timed(functools.partial(terminal.copy_to, local, remote))
                    down = timed(functools.partial(terminal.copy_from, remote, back))
                    if back.read_bytes() != payload:
                        raise SystemExit(f"{name} copy came back different")
                    rates.setdefault(f"{name} up", []).append(COPY_SIZE / up / 1e6)
                    rates.setdefault(f"{name} down", []).append(COPY_SIZE / down / 1e6)
            agent.run(f"rm -f {remote}")
    mb = COPY_SIZE >> 20
    for way in ("up", "down"):
        results[f"copy {mb} MB {way} MB/s"] = (
            statistics.median(rates[f"agent {way}"]),
            statistics.median(rates[f"sftp {way}"]),
        )
    return results


def crl_figures(hop: SshHop, password: str | None) -> dict[str, Any] | None:
    """crl 1.3.1's figures on the same sshd, from its own virtualenv; None when it cannot run."""
    if not password:
        print("crl: the sshd's account has no password (run as root): crl left out")
        return None
    sys.path.insert(0, str(HERE.parent / "terminal"))
    from bench_terminal import prepare_target, reference_python  # type: ignore[import-not-found]

    python = reference_python()
    base = f"/tmp/jh-bench-agent-crl-{os.getpid()}"
    password_hop = SshHop(hop.host, hop.port, user=hop.user, password=password,
                          known_hosts=hop.known_hosts)  # fmt: skip
    prepare_target(password_hop, base)
    spec = {"host": hop.host, "port": hop.port, "user": hop.user, "password": password,
            "bin_dir": f"{base}/bin", "rounds": CRL_ROUNDS}  # fmt: skip
    print(f"crl 1.3.1: measuring in {python} (its recovery takes about a minute) ...", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="jh-bench-") as scratch:
            spec_file, out = Path(scratch) / "target.json", Path(scratch) / "figures.json"
            spec_file.write_text(json.dumps(spec))
            os.chmod(spec_file, 0o600)  # it holds the password
            done = subprocess.run(
                [str(python), str(CRL_SCRIPT), "--target", str(spec_file), "--out", str(out)],
                check=False,
                timeout=1800,
            )
            if done.returncode != 0 or not out.exists():
                print(f"crl: failed (status {done.returncode}); its figures are left out")
                return None
            figures: dict[str, Any] = json.loads(out.read_text())
            return figures
    finally:
        with Terminal(hop) as terminal:
            terminal.run(f"rm -rf {base}")


def report(results: dict[str, tuple[float, float]], crl: dict[str, Any] | None) -> None:
    """The table: agent, minimal framed, crl, and the ratios."""

    def crl_value(name: str) -> float | None:
        if crl is None:
            return None
        key = name.replace(" median", "").replace(" p95", "")
        samples = crl.get(key)
        if not samples:
            return None
        return p95(samples) if name.endswith("p95") else statistics.median(samples)

    header = (
        f"{'figure':28} {'agent':>13} {'minimal':>13} {'crl 1.3.1':>13} {'/minimal':>9} {'/crl':>8}"
    )
    print("\n" + header)
    for name, (value, base_value) in results.items():
        if name == "run_python paired ratio":
            continue
        rate = name.endswith("MB/s")
        recovery = name.startswith("recovery")
        shown = f"{value:8.1f} MB/s" if rate else ms(value)
        shown_base = f"{base_value:8.1f} MB/s" if rate else ms(base_value)
        if recovery:
            shown_base = f"max {ms(base_value).strip()}"
        if rate:
            shown_base = f"sftp {base_value:6.1f}"
        theirs = crl_value(name)
        crl_text = "-" if theirs is None else ms(theirs)
        to_base = "" if recovery or rate else f"{value / base_value:7.2f}x"
        to_crl = "" if theirs is None else f"{value / theirs:7.3f}x"
        print(f"{name:28} {shown:>13} {shown_base:>13} {crl_text:>13} {to_base:>9} {to_crl:>8}")
    for way in ("up", "down"):
        value = results[f"1 MB {way}"][0]
        theirs = crl_value(f"1 MB {way}")
        crl_rate = "-" if theirs is None else f"{1 / theirs:.1f}"
        print(f"  1 MB {way}: agent {1 / value:.1f} MB/s, crl {crl_rate} MB/s")
    if crl is not None:
        print(f"  crl recovery: errors seen by the caller {crl.get('recovery errors')}")

    print("\nratios against the aims:")
    paired_ratio = results["run_python paired ratio"][0]
    print(f"  run_python / minimal framed (paired medians) {paired_ratio:7.2f}x   (aim <= 1.5x)")
    for name, aim in (("run_python median", "<= 0.15x"), ("first result", "<= 0.2x")):
        theirs = crl_value(name)
        if theirs is not None:
            print(f"  {name + ' / crl':44} {results[name][0] / theirs:7.3f}x   (aim {aim})")
    median_recovery, slowest = results["recovery (python killed)"]
    print(f"  {'recovery, median and slowest':44} {median_recovery:.3f} s, {slowest:.3f} s  "
          "(aim <= 1 s)")  # fmt: skip
    for name, (value, _) in results.items():
        if name.endswith("MB/s"):
            print(f"  {name + ' through the agent':44} {value:7.1f} MB/s (aim >= 50)")


if __name__ == "__main__":
    sys.exit(main())
