"""The pytest plugin through pytester: settings, fixtures, cleanup, failing reports, marker."""

from __future__ import annotations

import pytest

from jobharness.backends.saltant import SaltantClient
from pytest_plugin._common import ServerTarget

from .conftest import Provisioned

pytest_plugins = ["pytester"]

SHOW_TARGET = """
def test_target(saltant_server):
    print("TARGET", saltant_server.url, saltant_server.source)
"""


@pytest.fixture
def outer(
    pytester: pytest.Pytester,
    saltant_server: ServerTarget,
    provisioned: Provisioned,
    monkeypatch: pytest.MonkeyPatch,
) -> list[str]:
    """Point inner runs at this session's server; its ids go in through the environment."""
    for name in ("JOBHARNESS_SALTANT_URL", "SALTANT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("JOBHARNESS_SALTANT_TOKEN", "SALTANT_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TYPE_ID", str(provisioned.task_type.id))
    monkeypatch.setenv("QUEUE_ID", str(provisioned.queue.id))
    return [
        f"--saltant-url={saltant_server.url}",
        f"--saltant-token={saltant_server.info['token']}",
    ]


def test_cli_beats_env_beats_ini(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    pytester.makepyfile(SHOW_TARGET)
    pytester.makeini("[pytest]\nsaltant_url = http://ini.invalid/api/\nsaltant_token = t\n")
    monkeypatch.delenv("JOBHARNESS_SALTANT_URL", raising=False)
    monkeypatch.delenv("SALTANT_API_URL", raising=False)
    result = pytester.runpytest("-s", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*TARGET http://ini.invalid/api/ ini*"])
    monkeypatch.setenv("SALTANT_API_URL", "http://sdk-env.invalid/api/")
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(["*TARGET http://sdk-env.invalid/api/ env SALTANT_API_URL*"])
    monkeypatch.setenv("JOBHARNESS_SALTANT_URL", "http://env.invalid/api/")
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(["*TARGET http://env.invalid/api/ env JOBHARNESS_SALTANT_URL*"])
    result = pytester.runpytest("-s", "--saltant-url=http://cli.invalid/api/")
    result.stdout.fnmatch_lines(["*TARGET http://cli.invalid/api/ argument*"])


def test_the_header_masks_the_token(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(
        "--saltant-url=http://h.invalid/api/", "--saltant-token=very-secret-token-42"
    )
    result.stdout.fnmatch_lines(
        [
            "jobharness saltant: saltant_url: http://h.invalid/api/ (argument)",
            "jobharness saltant: saltant_token: *** (argument)",
        ]
    )
    assert "very-secret-token-42" not in result.stdout.str()


def test_a_url_without_a_token_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SHOW_TARGET)
    result = pytester.runpytest("--saltant-url=http://h.invalid/api/")
    result.stdout.fnmatch_lines(["*needs a token: --saltant-token*"])
    assert result.ret != 0


def test_the_embedded_server_by_default(pytester: pytest.Pytester, monkeypatch) -> None:
    for name in ("JOBHARNESS_SALTANT_URL", "SALTANT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(
        """
        def test_embedded(saltant_server, saltant):
            assert saltant_server.server is not None
            assert saltant.users.get("admin").username == "admin"
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_task_fixture_waits_and_the_marker_sets_the_timeout(
    pytester: pytest.Pytester, outer: list[str]
) -> None:
    pytester.makepyfile(
        """
        import os, pytest
        from jobharness.errors import WaitTimeout

        def start(saltant_job, seconds):
            return saltant_job(int(os.environ["TYPE_ID"]), int(os.environ["QUEUE_ID"]),
                                {"seconds": seconds}, name="inner")

        def test_quick(saltant_job):
            job = start(saltant_job, 0)
            assert job.name.startswith("inner@") and job.name.endswith("::test_quick#1")
            assert job.wait().ok

        @pytest.mark.jobharness(timeout=0.4)
        def test_marker(saltant_job):
            job = start(saltant_job, 30)
            with pytest.raises(WaitTimeout, match="waited 0.4 s"):
                job.wait()
        """
    )
    pytester.runpytest(*outer).assert_outcomes(passed=2)


def test_teardown_terminates_leftovers_and_failures_list_them(
    pytester: pytest.Pytester, outer: list[str], saltant: SaltantClient
) -> None:
    uuid_file = pytester.path / "uuid.txt"
    pytester.makepyfile(
        f"""
        import os

        def test_leaves_a_job(saltant_job):
            job = saltant_job(int(os.environ["TYPE_ID"]), int(os.environ["QUEUE_ID"]),
                               {{"seconds": 60}})
            open({str(uuid_file)!r}, "w").write(job.uuid)
            assert job.refresh().value == "not this", "on purpose"
        """
    )
    result = pytester.runpytest(*outer)
    result.assert_outcomes(failed=1)
    uuid = uuid_file.read_text()
    result.stdout.fnmatch_lines(
        [
            "*- jobharness jobs -*",
            f"saltant job {uuid} *: *",
            "*jobharness cleanup*",
            f"cancelled leftover saltant job {uuid}*",
        ]
    )
    done = saltant.executable_task_instances.wait_until_finished(uuid, timeout=30)
    assert done.state == "terminated"


OUTPUT_IN_REPORT = """
import os

def test_fails_after_output(saltant_job):
    job = saltant_job(int(os.environ["TYPE_ID"]), int(os.environ["QUEUE_ID"]),
                      {"seconds": 0, "exit_code": 3})
    assert job.wait().ok, "on purpose"
"""


@pytest.mark.parametrize("given", [True, False])
def test_job_output_of_a_server_given_by_url_needs_its_logs_dir(
    pytester: pytest.Pytester, outer: list[str], saltant_server: ServerTarget, given: bool
) -> None:
    pytester.makepyfile(OUTPUT_IN_REPORT)
    logs = [f"--saltant-logs-dir={saltant_server.info['logs_dir']}"] if given else []
    result = pytester.runpytest(*outer, *logs)
    result.assert_outcomes(failed=1)
    header = f"jobharness saltant: saltant_logs_dir: {saltant_server.info['logs_dir']} (argument)"
    if given:
        result.stdout.fnmatch_lines([header, "*- jobharness jobs -*", "*slept 0 s*"])
    else:
        assert "slept 0 s" not in result.stdout.str()
