"""The reap engine: every plugin asked, each one's trouble reported, nothing else stopped."""

from __future__ import annotations

import pluggy
import pytest

from jobharness import cli
from jobharness.plugins import HookSpecs, hookimpl, plugin_manager
from jobharness.reap import ReapReport, reap, unsupported


class Counting:
    """A backend that finds three jobs of any run and cancels two."""

    @hookimpl
    def jobharness_reap(self, run_id: str) -> list[ReapReport]:
        return [ReapReport("counting", where=f"for {run_id}", found=3, cancelled=2, finished=1)]


class Broken:
    """A backend whose reaper raises what a careless plugin raises."""

    @hookimpl
    def jobharness_reap(self, run_id: str, lookup: object, timeout: float) -> list[ReapReport]:
        raise KeyError("state")


class Nonsense:
    """A backend that answers something that is not a report."""

    @hookimpl
    def jobharness_reap(self, run_id: str) -> object:
        return {"found": 1}


def _manager(*plugins: object) -> pluggy.PluginManager:
    manager = pluggy.PluginManager("jobharness")
    manager.add_hookspecs(HookSpecs)
    for plugin in plugins:
        manager.register(plugin, type(plugin).__name__.lower())
    return manager


def test_each_backend_reports_and_a_failing_one_stops_nothing() -> None:
    result = reap("run-7", manager=_manager(Counting(), Broken(), Nonsense()))
    assert not result.ok
    assert result.cancelled == 2
    lines = result.lines()
    assert lines[0] == "reaping run run-7:"
    assert "  counting (for run-7): found 3, cancelled 2, already finished 1, errors 0" in lines
    assert "    error: reaping: KeyError: 'state'" in lines
    assert any("the plugin answered {'found': 1}, not ReapReports" in line for line in lines)


def test_a_backend_that_cannot_list_says_so() -> None:
    line = unsupported("sandbox", "the API has no list").line()
    assert line == "sandbox: cannot reap: the API has no list"


def test_every_built_in_backend_answers_through_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JOBHARNESS_SALTANT_URL", "SALTANT_API_URL", "JOBHARNESS_SANDBOX_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JOBHARNESS_SANDBOX_URL", "http://127.0.0.1:9")
    result = reap("run-8", manager=plugin_manager())
    backends = {report.backend for report in result.reports}
    assert {"sandbox", "saltant", "harp", "densefog", "terminal"} <= backends
    assert result.report("sandbox").line().startswith("sandbox: cannot reap: the sandbox API")
    assert result.report("saltant").line().startswith("saltant: nothing to reap: no server")
    assert result.ok


def test_the_command_refuses_a_bad_run_id_and_a_secret_on_its_command_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["reap", "no spaces"]) == 2
    assert "'no spaces' is not a valid run id" in capsys.readouterr().err
    monkeypatch.delenv("JOBHARNESS_SALTANT_TOKEN", raising=False)
    status = cli.main(
        [
            "reap",
            "run-9",
            "--setting",
            "saltant_url=http://127.0.0.1:9",
            "--setting",
            "saltant_token=s3cr3t",
        ]
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "a secret never goes on a command line; set JOBHARNESS_SALTANT_TOKEN" in out
    assert "s3cr3t" not in out
    assert cli.main(["reap", "run-9", "--setting", "oops"]) == 2
    assert "--setting 'oops': write NAME=VALUE" in capsys.readouterr().err


def test_a_server_that_never_answers_is_given_up_at_the_reap_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does), never answers
    try:
        monkeypatch.setenv("JOBHARNESS_SALTANT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setenv("JOBHARNESS_SALTANT_TOKEN", "t0ken-never-shown")
        result = reap("run-10", timeout=1.0, manager=plugin_manager())
    finally:
        silent.close()
    report = result.report("saltant")
    assert not result.ok and report.errors
    assert "reap timeout" in report.errors[0], report.errors
    assert "t0ken-never-shown" not in "\n".join(result.lines())
