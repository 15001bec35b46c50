"""Process groups: started in order, stopped together in reverse, rolled back on failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobharness.errors import EmbeddedServerError
from jobharness.servers.launcher import LogLine, ManagedProcess, ProcessGroup

from .processes import wait_gone

READY = r"ready (?P<pid>\d+) (?P<name>\S+)"


def _member(name: str, order: Path, *, says: str | None = None) -> ManagedProcess:
    """A shell that logs ``ready <pid> <says>`` and notes its name in ``order`` when stopped."""
    script = (
        f"trap 'echo {name} >> {order}; exit 0' TERM; "
        f"sleep 300 & echo ready $$ {says or name}; wait"
    )
    return ManagedProcess(name, ["sh", "-c", script], ready=LogLine(READY))


def test_a_later_command_uses_what_an_earlier_one_announced(tmp_path: Path) -> None:
    order = tmp_path / "order"
    with ProcessGroup("pair") as group:
        first = group.start(_member("first", order))
        second = group.start(_member("second", order, says=f"after-{first.info['pid']}"))
        assert group.processes == (first, second)
        assert second.info["name"] == f"after-{first.pid}"
    assert order.read_text().split() == ["second", "first"]
    assert not first.running and not second.running


def test_a_failed_start_stops_those_already_started(tmp_path: Path) -> None:
    group = ProcessGroup("rollback")
    first = group.start(_member("first", tmp_path / "order"))
    pid = first.pid
    broken = ManagedProcess("broken", ["sh", "-c", "exit 1"], ready=LogLine("never"))
    with pytest.raises(EmbeddedServerError, match="broken exited with status 1"):
        group.start(broken)
    assert pid is not None and wait_gone([pid]) == []
    assert group.processes == ()
    assert (tmp_path / "order").read_text().split() == ["first"]


def test_restart_replaces_one_process_and_keeps_the_others(tmp_path: Path) -> None:
    with ProcessGroup("restart") as group:
        first = group.start(_member("first", tmp_path / "order"))
        second = group.start(_member("second", tmp_path / "order"))
        before, kept = second.pid, first.pid
        assert group.restart(second) is second
        assert second.pid != before and first.pid == kept
        assert second.info["pid"] == str(second.pid)
        assert group.processes == (first, second)
        stranger = _member("stranger", tmp_path / "order")
        with pytest.raises(ValueError, match="not in process group 'restart'"):
            group.restart(stranger)
    assert (tmp_path / "order").read_text().split() == ["second", "second", "first"]


def test_log_tails_for_a_failure_report(tmp_path: Path) -> None:
    with ProcessGroup("logs") as group:
        group.start(_member("first", tmp_path / "order"))
        tails = group.log_tails()
    assert list(tails) == ["first"] and tails["first"].startswith("ready ")
