"""The terminal fixtures through pytester: settings, reports of failing tests, cleanup, secrets."""

from __future__ import annotations

import pytest

from jobharness.backends.terminal import SshHop

from .conftest import TERMINAL_ENV
from .helpers import eventually, group_members

pytest_plugins = ["pytester"]


def test_cli_beats_env_beats_ini_and_the_password_is_masked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in TERMINAL_ENV:
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile("def test_nothing(): pass")
    pytester.makeini("[pytest]\nterminal_host = ini.invalid\n")
    pytester.runpytest().stdout.fnmatch_lines(["*terminal_host: ini.invalid (ini*"])
    monkeypatch.setenv("JOBHARNESS_TERMINAL_HOST", "env.invalid")
    monkeypatch.setenv("JOBHARNESS_TERMINAL_PASSWORD", "Env-Password-77")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["*terminal_host: env.invalid (env*", "*terminal_password: ****"])
    assert "Env-Password-77" not in result.stdout.str()
    result = pytester.runpytest("--terminal-host=cli.invalid")
    result.stdout.fnmatch_lines(["*terminal_host: cli.invalid (argument)*"])


def test_a_failing_test_shows_its_commands_and_jobs_are_killed(
    pytester: pytest.Pytester, outer: list[str]
) -> None:
    pgid_file = pytester.path / "pgid.txt"
    pytester.makepyfile(
        f"""
        def test_fails(terminal, terminal_job):
            t = terminal()
            assert t.run("echo visible-output; echo to-stderr >&2; exit 3").status == 3
            job = terminal_job("sleep 300")
            job.refresh()
            open({str(pgid_file)!r}, "w").write(str(job.pgid))
            assert t.run("echo second").stdout == "not this", "on purpose"

        def test_passes(terminal):
            assert terminal().run("echo quiet-output").stdout == "quiet-output\\n"
        """
    )
    result = pytester.runpytest(*outer)
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*- jobharness terminal commands -*",
            "*$ echo visible-output; echo to-stderr >&2; exit 3  -> status 3",
            "*stdout:",
            "*visible-output",
            "*stderr:",
            "*to-stderr",
            "*started terminal job*",
            "*$ echo second  -> status 0",
        ]
    )
    assert "quiet-output" not in result.stdout.str()
    pgid = int(pgid_file.read_text())
    eventually(lambda: not group_members(pgid))


def test_interactive_sessions_are_closed_and_show_their_transcript(
    pytester: pytest.Pytester, outer: list[str]
) -> None:
    pytester.makepyfile(
        """
        def test_session(terminal_session):
            session = terminal_session()
            session.write_line("echo in-the-transcript")
            session.read_until_prompt()
            assert session.execute("echo $((6 * 7))").stdout == "42\\n"
            assert False, "on purpose"
        """
    )
    result = pytester.runpytest(*outer)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*transcript:", "*in-the-transcript*"])


def test_passwords_never_reach_the_output_or_junit(
    pytester: pytest.Pytester, outer: list[str], password_hop: SshHop
) -> None:
    password = str(password_hop.password)
    pytester.makepyfile(
        f"""
        from jobharness.backends.terminal import SshHop

        def test_leaks(terminal):
            hop = SshHop({password_hop.host!r}, {password_hop.port}, user={password_hop.user!r},
                         password={password!r}, known_hosts={password_hop.known_hosts!r})
            t = terminal(hop)
            out = t.run("echo " + {password!r}).stdout
            assert out == "x", t.route
        """
    )
    result = pytester.runpytest(*outer, "--junitxml=junit.xml", "-rA")
    result.assert_outcomes(failed=1)
    junit = (pytester.path / "junit.xml").read_text()
    assert "test_leaks" in junit
    assert password not in result.stdout.str() and password not in result.stderr.str()
    assert password not in junit
