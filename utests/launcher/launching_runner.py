"""A test runner stand-in: starts processes through the launcher, prints their PIDs, waits.

``python launching_runner.py (wait DIR | exit)``: ``wait`` keeps the work
directories in DIR and sleeps until killed; ``exit`` lets the launcher make
its own and returns without stopping anything (the interpreter's exit must).
Prints one JSON line: the PIDs and the work directories.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from jobharness.servers.launcher import EmbeddedServer, LogLine, ManagedProcess

SCRIPT = 'sleep 300 & a=$!; setsid sleep 300 & echo "ready $a $!"; wait'


def main(mode: str, directory: str | None = None) -> None:
    """Start an embedded server and a shell with children; print every PID."""
    workdir = Path(directory) if directory else None
    server = EmbeddedServer("sandbox", workdir=workdir and workdir / "server").start()
    shell = ManagedProcess(
        "shell",
        ["sh", "-c", SCRIPT],
        ready=LogLine(r"ready (?P<child>\d+) (?P<orphan>\d+)"),
        workdir=workdir and workdir / "shell",
    ).start()
    pids = [server.pid, server.group_id, shell.pid, shell.group_id, *map(int, shell.info.values())]
    workdirs = [str(server.workdir), str(shell.workdir)]
    print(json.dumps({"pids": pids, "workdirs": workdirs}), flush=True)
    if mode == "wait":
        time.sleep(600)


if __name__ == "__main__":
    main(*sys.argv[1:])
