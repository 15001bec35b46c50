"""The saltant Robot suites pass again and again against one server that keeps its state.

The server is given by URL, as a real one would be; the worker's log directory
comes from the ``${SALTANT_LOGS_DIR}`` variable, so job output is there too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytest_plugin._common import ServerTarget

SUITES = Path(__file__).parents[2] / "atests" / "saltant"


def test_the_suites_pass_twice_against_the_same_server(
    saltant_server: ServerTarget, tmp_path: Path
) -> None:
    env = {**os.environ, "JOBHARNESS_SALTANT_TOKEN": str(saltant_server.info["token"])}
    for run in ("first", "second"):
        command = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / run)]
        command += ["--variable", f"SALTANT_URL:{saltant_server.url}"]
        command += ["--variable", f"SALTANT_LOGS_DIR:{saltant_server.info['logs_dir']}"]
        command.append(str(SUITES))
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"{run} run:\n{done.stdout[-3000:]}"
