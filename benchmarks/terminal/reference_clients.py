"""The reference clients' side of bench_terminal.py: crl.interactivesessions 1.3.1 and SSHLibrary.

Runs in the benchmark's own virtualenv (benchmarks/terminal/.venv, made by
bench_terminal.py), never in the project's: it imports crl and SSHLibrary and
nothing of jobharness. It measures what bench_terminal.py measures for
jobharness, on the same sshd, and writes the figures as JSON to ``--out``.

Run by bench_terminal.py: ``reference_clients.py crl|sshlibrary --target T.json --out R.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any


def timed(function: Callable[[], Any], rounds: int) -> list[float]:
    """Seconds per call of ``function``, ``rounds`` times."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return int(stat.read().rsplit(b")", 1)[1].split()[1])


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except OSError:
        return True


def kill_and_wait(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    while not gone(pid):
        time.sleep(0.001)


# -- crl.interactivesessions -------------------------------------------------------------------


def crl(target: dict[str, Any], rounds: dict[str, int]) -> dict[str, Any]:
    from crl.interactivesessions.autorunnerterminal import AutoRunnerTerminal
    from crl.interactivesessions.InteractiveSession import InteractiveSession
    from crl.interactivesessions.remoterunner import RemoteRunner
    from crl.interactivesessions.shells.sshshell import SshShell

    # a file, not crl's "content:" form: crl rewrites that on its shell object at the first
    # start, so a recovery would source the command text (interactivesessions.md 8.5)
    init_env = target["bin_dir"] + "/env.sh"

    def shell() -> Any:
        return SshShell(
            target["host"], target["user"], target["password"], port=str(target["port"])
        )

    figures: dict[str, Any] = {}
    opened: list[Any] = []

    def open_session() -> None:
        session = InteractiveSession()
        session.spawn(shell())
        opened.append(session)

    figures["open"] = timed(open_session, rounds["open"])
    for session in opened[1:]:
        session.close_terminal()
    session = opened[0]
    bash = session.current_shell()
    figures["echo"] = timed(lambda: bash.exec_command("echo hi"), rounds["echo"])
    session.close_terminal()

    runner = RemoteRunner()
    dicts = [
        {
            "host": target["host"],
            "user": target["user"],
            "password": target["password"],
            "port": str(target["port"]),
            "init_env": init_env,
        }
    ]
    runner.set_target(dicts)
    result = runner.execute_command_in_target("echo hi")  # the first one starts the terminal
    assert result.stdout == "hi", result
    figures["execute"] = timed(
        lambda: runner.execute_command_in_target("echo hi"), rounds["execute"]
    )
    with tempfile.TemporaryDirectory() as scratch:
        local = os.path.join(scratch, "payload")
        with open(local, "wb") as out:
            out.write(os.urandom(target["copy_size"]))
        remote_dir = target["remote_dir"] + "/crl"
        figures["copy_up"] = timed(
            lambda: runner.copy_file_to_target(local, remote_dir + "/"), rounds["copy"]
        )
        back = os.path.join(scratch, "back")
        figures["copy_down"] = timed(
            lambda: runner.copy_file_from_target(remote_dir + "/payload", back), rounds["copy"]
        )
        assert os.path.getsize(back) == target["copy_size"]
    runner.close()

    terminal = AutoRunnerTerminal()

    def prepare() -> None:
        terminal.import_libraries("os")

    terminal.initialize_with_shells(
        shells=[
            SshShell(
                target["host"],
                target["user"],
                target["password"],
                port=str(target["port"]),
                init_env=init_env,
            )
        ],
        prepare=prepare,
    )
    getpid = terminal.get_proxy_object("os.getpid", None)
    recoveries, errors = [], 0
    for _ in range(rounds["recovery"]):
        remote_python = getpid()
        kill_and_wait(parent_of(parent_of(remote_python)))  # python <- bash <- sshd session
        started = time.perf_counter()
        while True:
            try:
                getpid()
                break
            except Exception:  # counted: an error that reached the caller
                errors += 1
        recoveries.append(time.perf_counter() - started)
    figures["recovery"] = recoveries
    figures["recovery_errors"] = errors
    terminal.close()
    return figures


# -- SSHLibrary -------------------------------------------------------------------------------


def sshlibrary(target: dict[str, Any], rounds: dict[str, int]) -> dict[str, Any]:
    from SSHLibrary import SSHLibrary

    figures: dict[str, Any] = {}
    library = SSHLibrary(timeout="600 seconds")

    def open_connection() -> None:
        library.open_connection(target["host"], port=target["port"], prompt="REGEXP:[$#] ")
        library.login(target["user"], target["password"])

    figures["open"] = timed(open_connection, rounds["open"])
    library.close_all_connections()
    open_connection()
    figures["execute"] = timed(lambda: library.execute_command("echo hi"), rounds["execute"])

    def read_lines() -> None:
        library.write(f"seq 1 {target['lines']}; echo EN''D")
        library.read_until("END")
        library.read_until_prompt()

    figures["read_until"] = timed(read_lines, rounds["read_until"])
    with tempfile.TemporaryDirectory() as scratch:
        local = os.path.join(scratch, "payload")
        with open(local, "wb") as out:
            out.write(os.urandom(target["copy_size"]))
        remote = target["remote_dir"] + "/sshlibrary-payload"
        figures["copy_up"] = timed(lambda: library.put_file(local, remote), rounds["copy"])
        back = os.path.join(scratch, "back")
        figures["copy_down"] = timed(lambda: library.get_file(remote, back), rounds["copy"])
    library.close_all_connections()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("client", choices=("crl", "sshlibrary"))
    parser.add_argument("--target", required=True, help="JSON: host, port, user, password ...")
    parser.add_argument("--out", required=True, help="where the figures go (JSON)")
    args = parser.parse_args()
    with open(args.target, encoding="utf-8") as data:
        target = json.load(data)
    rounds = target["rounds"]
    figures = crl(target, rounds) if args.client == "crl" else sshlibrary(target, rounds)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(figures, out)
    medians = {k: statistics.median(v) for k, v in figures.items() if isinstance(v, list) and v}
    print(args.client, json.dumps(medians), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
