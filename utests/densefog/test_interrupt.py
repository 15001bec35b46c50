"""A pytest run cut by SIGINT leaves no resource behind; the atests pass twice on one service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobharness.backends.densefog import DensefogClient
from jobharness.backends.terminal.interactive import terminal_signals
from jobharness.targets import Target

from .conftest import needs_mariadb

PYTEST_MODULE = """\
import os, pathlib, time

def test_cut_by_sigint(densefog_resources):
    made = densefog_resources("instance", count=1, name="sigint")
    pathlib.Path(os.environ["IDS_FILE"]).write_text(made.ids[0])
    time.sleep(60)
"""
SUITES = Path(__file__).parents[2] / "atests" / "densefog"


def test_a_pytest_run_cut_by_sigint_deletes_its_resources(
    tmp_path: Path, densefog_server: Target
) -> None:
    (tmp_path / "test_cut.py").write_text(PYTEST_MODULE)
    ids_file = tmp_path / "id.txt"
    env = {
        **os.environ,
        "IDS_FILE": str(ids_file),
        "JOBHARNESS_DENSEFOG_URL": densefog_server.url,
        "JOBHARNESS_DENSEFOG_JOB_TABLE": str(densefog_server.info["job_table"]),
        # the instance is deleted once its create job ran: on a loaded machine that may
        # take longer than the default cleanup deadline, which is not what this tests
        "JOBHARNESS_CLEANUP_TIMEOUT": "60",
    }
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)]
    run = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=terminal_signals,  # Ctrl-C reaches it, also when this run ignores SIGINT
    )
    try:
        deadline = time.monotonic() + 60
        while not ids_file.exists() or not ids_file.read_text():
            assert time.monotonic() < deadline and run.poll() is None
            time.sleep(0.05)
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert "KeyboardInterrupt" in output
    rid = ids_file.read_text()
    with DensefogClient(densefog_server.url) as client:
        assert client.resources("instance", [rid]).wait(30) == {rid: "deleted"}


@needs_mariadb
def test_the_suites_pass_twice_against_one_service_on_mariadb(
    mariadb_server: Target, tmp_path: Path
) -> None:
    """Given by URL and job table, as a real service that keeps its state would be."""
    env = {
        **os.environ,
        "JOBHARNESS_DENSEFOG_JOB_TABLE": str(mariadb_server.info["job_table"]),
    }
    for run in ("first", "second"):
        command = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / run)]
        command += ["--variable", f"DENSEFOG_URL:{mariadb_server.url}", str(SUITES)]
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"{run} run:\n{done.stdout[-3000:]}"
        password = str(mariadb_server.info["job_table"]).split(":")[2].split("@")[0]
        assert password not in (tmp_path / run / "output.xml").read_text()


pytestmark = pytest.mark.timeout(300)
