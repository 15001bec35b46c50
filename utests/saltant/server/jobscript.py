"""A task for the server tests: report argv and environment, optionally spawn a child, sleep, exit.

Its JSON arguments come as the last argv element, or from the file after ``--json-file``.
Keys: ``seconds`` (sleep), ``exit_code``, ``pidfile`` (spawn ``sleep 300`` and write both PIDs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def arguments(argv: list[str]) -> dict[str, object]:
    """The JSON arguments the worker passed."""
    if "--json-file" in argv:
        return dict(json.loads(Path(argv[argv.index("--json-file") + 1]).read_text()))
    return dict(json.loads(argv[-1])) if len(argv) > 1 else {}


def main(argv: list[str]) -> int:
    """Run the task."""
    args = arguments(argv)
    print(json.dumps({"argv": argv[1:], "env": dict(os.environ)}), flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    pidfile = args.get("pidfile")
    if isinstance(pidfile, str):
        child = subprocess.Popen(["sleep", "300"])
        Path(pidfile + ".tmp").write_text(json.dumps([os.getpid(), child.pid]))
        os.replace(pidfile + ".tmp", pidfile)
    time.sleep(float(str(args.get("seconds", 0))))
    return int(str(args.get("exit_code", 0)))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
