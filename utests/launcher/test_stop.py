"""Stopping: the whole process group by its id, escalation, leftovers, work directories."""

from __future__ import annotations

import gc
import os
import signal
from pathlib import Path

from jobharness.servers.launcher import LogLine, ManagedProcess

from .processes import alive, group_members, kill, wait_for, wait_gone

PIDS = r"pids (?P<child>\d+)(?: (?P<other>\d+))?$"


def _started(script: str, workdir: Path | None = None, **options: float) -> ManagedProcess:
    """``sh -c script`` started, ready once it logs ``pids ...`` (named in its info)."""
    return ManagedProcess(
        "shell", ["sh", "-c", script], ready=LogLine(PIDS), workdir=workdir, **options
    ).start()


def _pids(process: ManagedProcess) -> list[int]:
    assert process.pid is not None
    return [process.pid, *(int(pid) for pid in process.info.values() if pid)]


def test_stop_ends_the_command_and_what_it_forked() -> None:
    process = _started("sleep 300 & echo pids $!; exec sleep 300")
    pids, group = _pids(process), process.group_id
    assert group is not None and all(alive(pid) for pid in pids)
    try:
        process.stop()
        assert wait_gone(pids) == []
        assert group_members(group) == []
    finally:
        kill(pids)


def test_stop_ends_descendants_in_other_sessions() -> None:
    process = _started("setsid sleep 300 & echo pids $!; exec sleep 300")
    pids = _pids(process)
    wait_for(lambda: os.getsid(pids[1]) != os.getsid(pids[0]))  # once setsid has run
    try:
        process.stop()
        assert wait_gone(pids) == []
    finally:
        kill(pids)


def test_a_command_ignoring_sigterm_is_killed_after_the_grace() -> None:
    process = _started("trap '' TERM; echo pids $$; while :; do sleep 1; done", stop_grace=0.5)
    pids = _pids(process)
    try:
        process.stop()
        assert wait_gone(pids) == []
        assert process.returncode == -signal.SIGKILL
    finally:
        kill(pids)


def test_what_a_command_leaves_behind_is_ended_when_it_exits() -> None:
    process = _started("sleep 300 & echo pids $!; sleep 0.5")
    pids = _pids(process)
    try:
        wait_for(lambda: not process.running)
        assert process.pid is None
        assert wait_gone(pids) == []
    finally:
        process.stop()
        kill(pids)


def test_stop_twice_keeps_the_log_and_removes_an_own_workdir() -> None:
    process = _started("echo hello from the shell; echo pids $$; exec sleep 300")
    assert process.workdir.name.startswith("jobharness-shell-")
    assert process.log_file == process.workdir / "shell.log"
    assert process.returncode is None
    process.stop()
    process.stop()
    assert process.returncode == -signal.SIGTERM
    assert not process.workdir.exists()
    assert "hello from the shell" in process.last_log
    assert process.log_tail(1) == "pids " + process.last_log.split("pids ")[1].strip()


def test_a_given_workdir_is_kept(tmp_path: Path) -> None:
    process = _started("echo pids $$; exec sleep 300", workdir=tmp_path)
    process.stop()
    assert (tmp_path / "shell.log").is_file()


def test_environment_and_working_directory(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    process = ManagedProcess(
        "env",
        ["sh", "-c", 'echo "pids $$ $PWD $LAUNCHER_TEST"; exec sleep 300'],
        ready=LogLine(r"pids \d+ (?P<cwd>\S+) (?P<value>\S+)"),
        env={"LAUNCHER_TEST": "set"},
        cwd=tmp_path / "elsewhere",
    )
    with process:
        assert process.info == {"cwd": str(tmp_path / "elsewhere"), "value": "set"}


def test_a_forgotten_process_is_stopped_when_collected() -> None:
    process = _started("echo pids $$; exec sleep 300")
    pids, workdir = _pids(process), process.workdir
    del process
    gc.collect()
    try:
        assert wait_gone(pids) == []
        assert not workdir.exists()
    finally:
        kill(pids)


def test_restart_keeps_the_workdir_and_starts_afresh() -> None:
    process = _started("echo pids $$; exec sleep 300")
    try:
        first = process.pid
        assert first is not None
        (process.workdir / "data").write_text("kept")
        assert process.restart() is process
        assert process.pid != first and process.running
        assert wait_gone([first]) == []
        assert (process.workdir / "data").read_text() == "kept"
        assert process.info == {"child": str(process.pid), "other": None}
    finally:
        process.stop()
