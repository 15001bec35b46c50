"""The harp pytest fixtures and options, through pytester runs against the session's servers."""

from __future__ import annotations

import pytest

from jobharness.backends.harp import HarpCaller
from jobharness.backends.harp.target import HarpTargets
from jobharness.jobs import JobState


def target_options(harp_server: HarpTargets) -> list[str]:
    """Command-line options pointing an inner run at the session's servers (no password)."""
    assert harp_server.dispatcher is not None
    harpd = harp_server.harpd_target()
    host, port = harp_server.dispatcher
    return [
        f"--harp-dispatcher={host}:{port}",
        f"--harpd-url=tls://{harpd.address}",
        f"--harpd-user={harpd.user}",
        f"--harpd-ca-file={harpd.ca_file}",
        "-p",
        "no:cacheprovider",
    ]


@pytest.fixture
def configured(
    pytester: pytest.Pytester, harp_server: HarpTargets, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Options for an inner run; the password comes from the environment."""
    monkeypatch.setenv("JOBHARNESS_HARPD_PASSWORD", harp_server.harpd_target().password)
    return target_options(harp_server)


def test_fixtures_reach_configured_servers_and_header_hides_password(
    pytester: pytest.Pytester, configured: list[str], harp_server: HarpTargets
) -> None:
    pytester.makepyfile(
        """
        def test_both(harp, harpd, harp_job):
            assert harpd.add(1, 2)["sum"] == 3
            assert harp.local.ping().get() == "pong"
            call = harp_job("add", 2, 40)
            assert call.get()["sum"] == 42
            assert call.info()["caller"].endswith("::test_both#1")
        """
    )
    result = pytester.runpytest(*configured)
    result.assert_outcomes(passed=1)
    host, port = harp_server.dispatcher or ("", 0)
    result.stdout.fnmatch_lines(
        [
            f"jobharness harp: harp_dispatcher: {host}:{port} (argument)",
            "jobharness harp: harpd_url: tls://* (argument)",
            "jobharness harp: harpd_password: *** (env JOBHARNESS_HARPD_PASSWORD)",
        ]
    )
    assert harp_server.harpd_target().password not in result.stdout.str()


def test_leftover_call_is_cancelled_at_teardown(
    pytester: pytest.Pytester, configured: list[str], harp: HarpCaller
) -> None:
    id_file = pytester.path / "job-id.txt"
    pytester.makepyfile(
        f"""
        def test_leaves_it_running(harp_job):
            call = harp_job("sleep", 60)
            open({str(id_file)!r}, "w").write(call.id)
        """
    )
    result = pytester.runpytest(*configured, "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*cancelled leftover harp job*local.sleep*"])
    job = harp.job(id_file.read_text())
    assert job.refresh() is JobState.CANCELLED


def test_failing_test_reports_its_calls_with_stream_and_junit_property(
    pytester: pytest.Pytester, configured: list[str]
) -> None:
    pytester.makepyfile(
        """
        def test_fails(harp_job):
            call = harp_job("count", 2)
            call.wait()
            assert False, "on purpose"
        """
    )
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest(*configured, f"--junitxml={junit}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*jobharness jobs*", "*harp job *local.count*", '*{"i": 1}*'])
    assert 'name="jobharness_job" value="harp:' in junit.read_text()


def test_marker_sets_the_wait_timeout_and_using_sets_options(
    pytester: pytest.Pytester, configured: list[str]
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.jobharness(timeout=7)
        def test_marked(harp_job):
            call = harp_job.using(queue={"q": "t"}, concurrency=1, info={"x": 1})("ping")
            assert call.default_timeout == 7
            assert call.get() == "pong" and call.info() == {"x": 1}
        """
    )
    pytester.runpytest(*configured).assert_outcomes(passed=1)


def test_settings_from_ini(
    pytester: pytest.Pytester, harp_server: HarpTargets, monkeypatch: pytest.MonkeyPatch
) -> None:
    harpd = harp_server.harpd_target()
    monkeypatch.setenv("JOBHARNESS_HARPD_PASSWORD", harpd.password)
    pytester.makeini(
        f"""
        [pytest]
        harpd_url = {harpd.address}
        harpd_user = {harpd.user}
        harpd_ca_file = {harpd.ca_file}
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_direct(harpd):
            assert harpd.ping() == "pong"

        def test_no_dispatcher(harp):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*no harp dispatcher configured*"])


def test_harpd_url_without_login_is_a_clear_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBHARNESS_HARPD_PASSWORD", raising=False)
    pytester.makepyfile("def test_x(harpd): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "--harpd-url=127.0.0.1:1")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*harpd_user and harpd_password are needed*"])


def test_embedded_servers_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_embedded(harp_server, harp, harpd):
            assert harp_server.embedded
            assert harp.local.ping().get() == "pong"
            assert harpd.ping() == "pong"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["jobharness harp: embedded server (no harp_dispatcher/harpd_url set)"]
    )
