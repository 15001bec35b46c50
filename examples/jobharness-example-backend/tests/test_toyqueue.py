"""toyqueue through jobharness: fixtures, waits, failures, cleanup and reaping.

Everything runs against real toyqueue servers on 127.0.0.1: the session's
embedded one, and for the killed run a server started here that outlives it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from jobharness_toyqueue.client import ToyQueueClient
from jobharness_toyqueue.job import ToyJob

from jobharness.errors import JobFailed
from jobharness.jobs import JobState
from jobharness.plugins import backends, plugin_manager
from jobharness.runid import carries_run_id, job_name
from jobharness.servers.launcher import EmbeddedServer

PY = sys.executable
StartJob = Callable[..., ToyJob]


def test_jobharness_knows_the_backend_through_its_entry_point() -> None:
    spec = backends(plugin_manager())["toyqueue"]
    assert spec.job_type is ToyJob
    assert [setting.name for setting in spec.settings] == ["toyqueue_url"]
    assert spec.pytest_plugin == "jobharness_toyqueue.fixtures"


def test_a_job_succeeds_with_its_output(toyqueue_job: StartJob) -> None:
    job = toyqueue_job([PY, "-c", "print('hello from toyqueue')"])
    result = job.wait(timeout=30)
    assert result.ok and result.state is JobState.SUCCEEDED
    assert "hello from toyqueue" in (result.output or "")


def test_a_failed_job_names_itself_its_exit_code_and_output(toyqueue_job: StartJob) -> None:
    job = toyqueue_job([PY, "-c", "import sys; print('bad input'); sys.exit(3)"], name="failing")
    job.wait(timeout=30)
    with pytest.raises(JobFailed) as failure:
        job.raise_for_state()
    text = str(failure.value)
    assert "toyqueue" in text and job.id in text and "exit code 3" in text
    assert "bad input" in text


def test_each_job_of_a_test_carries_the_run_id_in_its_own_name(
    toyqueue_job: StartJob, pytestconfig: pytest.Config
) -> None:
    jobs = [toyqueue_job([PY, "-c", "pass"]) for _ in range(3)]
    names = [job.name for job in jobs]
    assert len(set(names)) == 3
    run_id = names[0].split("@", 1)[1].split("/", 1)[0]
    assert all(carries_run_id(name, run_id) for name in names)
    for job in jobs:
        job.wait(timeout=30)


INNER = """\
import os, pathlib, sys, time

def test_starts_jobs_then_hangs(toyqueue_job):
    jobs = [toyqueue_job([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(2)]
    pathlib.Path(os.environ["IDS_FILE"]).write_text(" ".join(job.id for job in jobs))
    if os.environ.get("HANG"):
        time.sleep(300)
"""


@pytest.fixture
def outside_server(tmp_path: Path) -> Iterator[ToyQueueClient]:
    """A toyqueue server of its own, that outlives the runs a test starts and kills."""
    with EmbeddedServer("toyqueue", workdir=tmp_path / "server") as server:
        client = ToyQueueClient(server.url)
        yield client
        client.close()


def _inner_run(tmp_path: Path, client: ToyQueueClient, run_id: str, hang: bool) -> list[str]:
    (tmp_path / "test_inner.py").write_text(INNER)
    ids = tmp_path / "ids"
    env = {
        **os.environ,
        "JOBHARNESS_RUN_ID": run_id,
        "IDS_FILE": str(ids),
        "HANG": "1" if hang else "",
    }
    command = [PY, "-m", "pytest", "-p", "no:cacheprovider", "test_inner.py"]
    # the server by the option jobharness declared from the spec, or by its env variable
    if hang:
        env["JOBHARNESS_TOYQUEUE_URL"] = client.url
    else:
        command.append(f"--toyqueue-url={client.url}")
    proc = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        if hang:
            end = time.monotonic() + 60
            while not ids.exists() and proc.poll() is None and time.monotonic() < end:
                time.sleep(0.05)
            time.sleep(0.2)
            os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert ids.exists(), out.decode()
    return ids.read_text().split()


def _states(client: ToyQueueClient, ids: list[str]) -> list[str]:
    return [str(client.call("GET", f"/jobs/{job_id}")["state"]) for job_id in ids]


def test_the_toyqueue_url_option_and_teardown_cancel(
    tmp_path: Path, outside_server: ToyQueueClient
) -> None:
    ids = _inner_run(tmp_path, outside_server, "finished-run", hang=False)
    assert _states(outside_server, ids) == ["cancelled", "cancelled"]


def test_jobharness_reap_cancels_what_a_killed_run_left_and_nothing_else(
    tmp_path: Path, outside_server: ToyQueueClient
) -> None:
    ids = _inner_run(tmp_path, outside_server, "killed-run", hang=True)
    assert _states(outside_server, ids) == ["running", "running"]
    other = outside_server.start(
        [PY, "-c", "import time; time.sleep(120)"], job_name("killed-run-2", "x")
    )

    reaped = subprocess.run(
        [PY, "-m", "jobharness", "reap", "killed-run"],
        env={**os.environ, "JOBHARNESS_TOYQUEUE_URL": outside_server.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert reaped.returncode == 0, reaped.stdout + reaped.stderr
    assert "toyqueue (http://127.0.0.1:" in reaped.stdout
    assert "found 2, cancelled 2, already finished 0, errors 0" in reaped.stdout
    assert _states(outside_server, ids) == ["cancelled", "cancelled"]
    assert other.refresh() is JobState.RUNNING
    other.cancel()
