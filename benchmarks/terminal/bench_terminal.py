"""The terminal backend against crl.interactivesessions 1.3.1 and SSHLibrary, on one sshd.

One private sshd (``jobharness serve sshd``, or ``--sshd ready.json``) serves
all three clients, by password (crl only logs in by password). The reference
clients run in this benchmark's own virtualenv, ``benchmarks/terminal/.venv``,
which the script makes on first use (``crl.interactivesessions==1.3.1`` and
``robotframework-sshlibrary`` from PyPI); the project's ``.venv`` never gets
them. Figures (median, and p95 where it says):

1. session open: nothing to a ready shell (jobharness: the ControlMaster
   login and an interactive session; crl: ``InteractiveSession.spawn(SshShell)``;
   SSHLibrary: ``Open Connection`` + ``Login``); for jobharness also with
   the classical key exchange (OpenSSH's default, sntrup761x25519, costs
   this class of machine some 140 ms that paramiko's curve25519 does not),
   and a session on a connection already open (what a suite pays after its
   first login: ``Open Interactive Session`` uses the target's connection);
2. ``echo hi`` at a shell prompt (jobharness ``InteractiveSession.execute``,
   crl ``BashShell.exec_command``), median and p95; jobharness's
   ``Terminal.run`` (status, stdout and stderr apart) for reference;
3. ``Execute Command In Target`` (both libraries driven from Python);
4. ``Read Until`` at the end of ``--lines`` lines (jobharness and SSHLibrary);
5. a 1 MB copy up and down (jobharness SFTP through the master, crl's
   RemoteRunner copies, SSHLibrary's SFTP);
6. recovery after the ssh session (sshd's process of the connection) is
   killed: time from the kill to the next successful call, and the errors
   the caller saw (jobharness ``AutoRecoveringTerminal.run``, crl
   ``AutoRunnerTerminal`` proxy call).

Aims (printed as ratios): a shell command at most 0.05x crl, open at most
0.2x crl, ``Read Until`` over 10,000 lines at most 0.1x SSHLibrary, copies at
least 50 MB/s, recovery within 1 s.

Run: ``.venv/bin/python benchmarks/terminal/bench_terminal.py`` (as root, for
password logins; about a minute, the first run longer: it makes the
virtualenv). Not part of the test command.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobharness.backends.terminal import (
    TERMINAL_TARGET,
    AutoRecoveringTerminal,
    InteractiveSession,
    SshHop,
    Terminal,
    target_hop,
)
from jobharness.settings import resolve
from jobharness.targets import open_target
from robotlib.terminal import TerminalLibrary

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
REFERENCE = HERE / "reference_clients.py"
PINNED = ("crl.interactivesessions==1.3.1", "robotframework-sshlibrary")
COPY_SIZE = 1024 * 1024
ROUNDS = {"open": 8, "echo": 300, "execute": 100, "copy": 5, "recovery": 5, "read_until": 3}


def reference_python() -> Path:
    """The benchmark's own virtualenv with the reference clients, made on first use."""
    python = VENV / "bin" / "python"
    marker = VENV / "jobharness-reference.txt"
    if python.exists() and marker.exists() and marker.read_text() == "\n".join(PINNED):
        return python
    print(f"making {VENV} with {', '.join(PINNED)} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINNED],
        check=True,
    )
    marker.write_text("\n".join(PINNED))
    return python


def timed(function: Callable[[], Any], rounds: int) -> list[float]:
    """Seconds per call of ``function``."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return int(stat.read().rsplit(b")", 1)[1].split()[1])


def kill_and_wait(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    while True:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                if stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                    return
        except OSError:
            return
        time.sleep(0.001)


# -- jobharness ---------------------------------------------------------------------------------


def ours(hop: SshHop, remote_dir: str, lines: int, rounds: dict[str, int]) -> dict[str, Any]:
    figures: dict[str, Any] = {}

    def open_session(route: SshHop) -> None:
        terminal = Terminal(route)
        InteractiveSession(terminal).open()
        opened.append(terminal)

    opened: list[Terminal] = []
    classical = dataclasses.replace(hop, options={"KexAlgorithms": "curve25519-sha256"})
    figures["open"] = timed(lambda: open_session(hop), rounds["open"])
    figures["open_classical"] = timed(lambda: open_session(classical), rounds["open"])
    for terminal in opened:
        terminal.close()
    with Terminal(hop).open() as connected:
        sessions: list[InteractiveSession] = []
        figures["open_warm"] = timed(
            lambda: sessions.append(InteractiveSession(connected).open()), rounds["open"]
        )
        for session in sessions:
            session.close()

    with Terminal(hop) as terminal, InteractiveSession(terminal).open() as session:
        assert session.execute("echo hi").stdout == "hi\n"
        figures["echo"] = timed(lambda: session.execute("echo hi"), rounds["echo"])
        figures["run"] = timed(lambda: terminal.run("echo hi"), rounds["execute"])

        def read_lines() -> None:
            session.write_line(f"seq 1 {lines}; echo EN''D")
            session.read_until("END")
            session.read_until_prompt()

        figures["read_until"] = timed(read_lines, rounds["read_until"])
        with tempfile.TemporaryDirectory() as scratch:
            local = Path(scratch) / "payload"
            local.write_bytes(os.urandom(COPY_SIZE))
            remote = f"{remote_dir}/jobharness-payload"
            figures["copy_up"] = timed(lambda: terminal.copy_to(local, remote), rounds["copy"])
            back = Path(scratch) / "back"
            figures["copy_down"] = timed(lambda: terminal.copy_from(remote, back), rounds["copy"])
            assert back.read_bytes() == local.read_bytes()

    library = TerminalLibrary()
    library.set_target(
        [{"host": hop.host, "port": hop.port, "user": hop.user, "password": hop.password,
          "known_hosts": hop.known_hosts}],
        "node",
    )  # fmt: skip
    library.execute_command_in_target("echo hi", "node")
    figures["execute"] = timed(
        lambda: library.execute_command_in_target("echo hi", "node"), rounds["execute"]
    )
    library.close()

    recovering = AutoRecoveringTerminal()
    recovering.initialize(hop)
    recovering.run("true")
    recoveries, shells, errors = [], [], 0
    for kind in ("ssh", "shell") * rounds["recovery"]:
        session = recovering.get_session()
        assert session is not None and session.shell_pid is not None
        victim = parent_of(session.shell_pid) if kind == "ssh" else session.shell_pid
        kill_and_wait(victim)
        started = time.perf_counter()
        while True:
            try:
                recovering.initialize_if_needed()
                recovering.run("echo hi")
                break
            except Exception:  # counted: an error that reached the caller
                errors += 1
        (recoveries if kind == "ssh" else shells).append(time.perf_counter() - started)
    recovering.close()
    figures["recovery"], figures["recovery_shell"] = recoveries, shells
    figures["recovery_errors"] = errors
    return figures


# -- the run ------------------------------------------------------------------------------------


def prepare_target(hop: SshHop, base: str) -> None:
    """A ``python`` for crl (it starts ``python``) and a directory for the copies."""
    with Terminal(hop) as terminal:
        terminal.run(
            f'mkdir -p {base}/bin {base}/files && ln -sf "$(command -v python3)" {base}/bin/python'
            f" && printf 'export PATH={base}/bin:$PATH\\n' > {base}/bin/env.sh"
        ).check()


def reference(client: str, python: Path, target: dict[str, Any]) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory() as scratch:
        spec, out = Path(scratch) / "target.json", Path(scratch) / "figures.json"
        spec.write_text(json.dumps(target))
        os.chmod(spec, 0o600)  # it holds the password
        done = subprocess.run(
            [str(python), str(REFERENCE), client, "--target", str(spec), "--out", str(out)],
            check=False,
            timeout=1800,
        )
        if done.returncode != 0 or not out.exists():
            print(f"{client}: failed (status {done.returncode}); its figures are left out")
            return None
        figures: dict[str, Any] = json.loads(out.read_text())
        return figures


def report(mine: dict[str, Any], crl: dict[str, Any] | None, ssh: dict[str, Any] | None) -> None:
    def ms(samples: list[float] | None) -> str:
        return "        -" if not samples else f"{median(samples) * 1000:9.2f}"

    def rate(samples: list[float] | None) -> str:
        return "        -" if not samples else f"{COPY_SIZE / median(samples) / 1e6:9.1f}"

    c, s = crl or {}, ssh or {}
    print(f"\n{'median ms (p95)':<38}{'jobharness':>12}{'crl 1.3.1':>12}{'SSHLibrary':>12}")
    rows = [
        ("session open (login and shell)", "open", "open", "open"),
        ("  login with classical kex (curve25519)", "open_classical", None, None),
        ("  shell on an open connection", "open_warm", None, None),
        ("echo hi at a shell prompt", "echo", "echo", None),
        ("echo hi, Terminal.run (apart)", "run", None, "execute"),
        ("Execute Command In Target", "execute", "execute", None),
        ("Read Until, end of the lines", "read_until", None, "read_until"),
        ("recovery, ssh session killed", "recovery", "recovery", None),
        ("recovery, remote shell killed", "recovery_shell", None, None),
    ]
    for label, a, b, d in rows:
        print(
            f"{label:<38}{ms(mine.get(a)):>12}{ms(c.get(b) if b else None):>12}"
            f"{ms(s.get(d) if d else None):>12}"
        )
    print(f"{'echo hi p95':<38}{ms([p95(mine['echo'])]):>12}", end="")
    print(f"{ms([p95(c['echo'])]) if c.get('echo') else '        -':>12}")
    print(f"{'copy 1 MB up, MB/s':<38}{rate(mine['copy_up']):>12}", end="")
    print(f"{rate(c.get('copy_up')):>12}{rate(s.get('copy_up')):>12}")
    print(f"{'copy 1 MB down, MB/s':<38}{rate(mine['copy_down']):>12}", end="")
    print(f"{rate(c.get('copy_down')):>12}{rate(s.get('copy_down')):>12}")
    errors = f"{mine['recovery_errors']} / {c.get('recovery_errors', '-')}"
    print(f"{'errors seen by the caller in recovery':<38}{errors:>24}")

    def ratio(name: str, a: str, other: dict[str, Any], b: str, aim: str) -> None:
        if other.get(b):
            value = median(mine[a]) / median(other[b])
            print(f"  {name:<44}{value:8.3f}x   (aim {aim})")

    print("\nratios (jobharness / reference, medians):")
    ratio("shell command (echo hi) vs crl", "echo", c, "echo", "<= 0.05x")
    ratio("session open vs crl", "open", c, "open", "<= 0.2x")
    ratio("  with classical kex vs crl", "open_classical", c, "open", "-")
    ratio("  on an open connection vs crl", "open_warm", c, "open", "-")
    ratio("Execute Command In Target vs crl", "execute", c, "execute", "-")
    ratio("Read Until over the lines vs SSHLibrary", "read_until", s, "read_until", "<= 0.1x")
    ratio("recovery vs crl", "recovery", c, "recovery", "-")
    ratio("copy up vs crl (time)", "copy_up", c, "copy_up", "-")
    ratio("copy down vs crl (time)", "copy_down", c, "copy_down", "-")
    worst = max(mine["recovery"] + mine["recovery_shell"])
    print(f"  {'recovery, slowest of all kills':<44}{worst:8.3f} s   (aim < 1 s)")
    slowest = min(COPY_SIZE / median(mine[k]) / 1e6 for k in ("copy_up", "copy_down"))
    print(f"  {'copy, slower direction':<44}{slowest:8.1f} MB/s (aim >= 50)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sshd", help="ready file of a running `jobharness serve sshd`")
    parser.add_argument("--lines", type=int, default=10_000, help="lines for Read Until")
    parser.add_argument("--rounds", type=float, default=1.0, help="scale the rounds")
    parser.add_argument("--no-reference", action="store_true", help="jobharness alone")
    args = parser.parse_args()
    rounds = {name: max(1, round(count * args.rounds)) for name, count in ROUNDS.items()}
    python = None if args.no_reference else reference_python()
    if args.sshd:
        info = json.loads(Path(args.sshd).read_text())
        hop = SshHop(
            info["host"], info["port"], user=info["user"], password=info.get("password"),
            known_hosts=info["known_hosts"],
        )  # fmt: skip
        target = None
    else:
        settings = {s.name: resolve(s, environ={}) for s in TERMINAL_TARGET.settings}
        target = open_target(TERMINAL_TARGET, settings)
        hop = target_hop(target, use_password=True)
    try:
        if not hop.password:
            print("the sshd's account has no password (run as root): nothing to compare")
            return 1
        base = f"/tmp/jh-bench-{os.getpid()}"
        prepare_target(hop, base)
        shared = {
            "host": hop.host, "port": hop.port, "user": hop.user, "password": hop.password,
            "bin_dir": f"{base}/bin", "remote_dir": f"{base}/files", "copy_size": COPY_SIZE,
            "lines": args.lines, "rounds": rounds,
        }  # fmt: skip
        print(f"sshd at {hop.host}:{hop.port}; rounds {rounds}", flush=True)
        mine = ours(hop, f"{base}/files", args.lines, rounds)
        crl = ssh = None
        if python is not None:
            crl = reference("crl", python, shared)
            ssh = reference("sshlibrary", python, shared)
        report(mine, crl, ssh)
        with Terminal(hop) as terminal:
            terminal.run(f"rm -rf {base}")
    finally:
        if target is not None:
            target.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
