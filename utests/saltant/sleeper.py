"""A saltant task for the tests: sleep ``seconds``, print a line, exit with ``exit_code``.

saltant appends the instance's arguments as one JSON argument (none when empty).
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    """Run the task with the JSON arguments in ``argv[1]``."""
    args = json.loads(argv[1]) if len(argv) > 1 else {}
    time.sleep(float(args.get("seconds", 0)))
    print(f"slept {args.get('seconds', 0)} s")
    return int(args.get("exit_code", 0))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
