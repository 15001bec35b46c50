"""The sandbox pytest plugin: settings precedence, report header, fixtures."""

from __future__ import annotations

import pytest

from jobharness.servers.base import EmbeddedServer

INI = """
[pytest]
sandbox_url = http://ini.invalid:1
"""


def header(result: pytest.RunResult) -> str:
    lines = [line for line in result.outlines if line.startswith("jobharness sandbox:")]
    assert len(lines) == 1, result.outlines
    return lines[0]


def test_header_says_embedded_when_nothing_is_set(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert header(result) == "jobharness sandbox: embedded server (no sandbox_url set)"


@pytest.mark.parametrize(
    ("ini", "env", "cli", "expected"),
    [
        (True, False, False, "http://ini.invalid:1 (ini)"),
        (True, True, False, "http://env.invalid:2 (env JOBHARNESS_SANDBOX_URL)"),
        (True, True, True, "http://cli.invalid:3 (argument)"),
        (False, False, True, "http://cli.invalid:3 (argument)"),
    ],
)
def test_precedence_cli_env_ini(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    ini: bool,
    env: bool,
    cli: bool,
    expected: str,
) -> None:
    if ini:
        pytester.makeini(INI)
    if env:
        monkeypatch.setenv("JOBHARNESS_SANDBOX_URL", "http://env.invalid:2")
    else:
        monkeypatch.delenv("JOBHARNESS_SANDBOX_URL", raising=False)
    pytester.makepyfile(
        """
        def test_target(sandbox_server):
            print("TARGET", sandbox_server.url, sandbox_server.source)
            assert sandbox_server.server is None
        """
    )
    args = ["--sandbox-url", "http://cli.invalid:3"] if cli else []
    result = pytester.runpytest("-p", "no:cacheprovider", "-s", *args)
    result.assert_outcomes(passed=1)
    assert header(result) == f"jobharness sandbox: sandbox_url: {expected}"
    url, source = expected.split(" (")
    result.stdout.fnmatch_lines([f"*TARGET {url} {source.rstrip(')')}*"])


def test_header_masks_a_password_in_the_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBHARNESS_SANDBOX_URL", raising=False)
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "--sandbox-url=http://u:hunter2@h:1")
    assert header(result) == "jobharness sandbox: sandbox_url: http://u:***@h:1 (argument)"
    assert "hunter2" not in result.stdout.str()


def test_fixtures_use_an_embedded_server_by_default(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBHARNESS_SANDBOX_URL", raising=False)
    pytester.makepyfile(
        """
        import asyncio

        def test_sync(sandbox, sandbox_server):
            assert sandbox_server.server is not None and sandbox_server.source == "embedded"
            assert sandbox.execute({"commands": ["echo hi"]}).execution[0].stdout == "hi"

        def test_async(asandbox):
            async def main():
                async with asandbox() as client:
                    return await client.execute({"commands": ["echo async"]})
            assert asyncio.run(main()).execution[0].stdout == "async"

        def test_failing_job_is_reported(sandbox_job):
            job = sandbox_job({"commands": ["echo visible-output", "exit 5"]})
            assert job.wait().ok
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*jobharness jobs*",
            "sandbox job sandbox-* failed (EXIT_5), exit code 5",
            "*visible-output*",
        ]
    )


def test_fixtures_use_a_running_server_given_by_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBHARNESS_SANDBOX_URL", raising=False)
    with EmbeddedServer("sandbox") as server:
        saved = None
        from jobharness.backends.sandbox import Sandbox

        with Sandbox(server.url) as client:
            saved = client.execute({"commands": ["echo marker > m.txt"], "save": True})
        pytester.makepyfile(
            f"""
            def test_same_server(sandbox, sandbox_server):
                assert sandbox_server.url == {server.url!r}
                assert sandbox_server.source == "argument"
                assert sandbox.download({saved.environment!r}, "m.txt") == b"marker\\n"
            """
        )
        result = pytester.runpytest("-p", "no:cacheprovider", f"--sandbox-url={server.url}")
    result.assert_outcomes(passed=1)
