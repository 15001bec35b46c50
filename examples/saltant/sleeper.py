"""The saltant examples' task: sleeps ``seconds``, prints what it did, exits with ``exit_code``.

saltant runs an executable task type's command with the instance's arguments as one JSON
argument, e.g. ``python3 sleeper.py '{"seconds": 1, "exit_code": 0}'``.
"""

import json
import sys
import time

arguments = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
seconds = float(arguments.get("seconds", 0))
time.sleep(seconds)
print(f"slept {seconds:g} s")
sys.exit(int(arguments.get("exit_code", 0)))
