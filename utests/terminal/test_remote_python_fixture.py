"""The ``remote_python`` fixture through pytester, on this session's sshd."""

from __future__ import annotations

import pytest

from jobharness.backends.terminal import SshHop

pytest_plugins = ["pytester"]

SETTINGS = (
    "JOBHARNESS_TERMINAL_HOST",
    "JOBHARNESS_TERMINAL_PORT",
    "JOBHARNESS_TERMINAL_USER",
    "JOBHARNESS_TERMINAL_PASSWORD",
    "JOBHARNESS_TERMINAL_KEY_FILE",
    "JOBHARNESS_TERMINAL_KNOWN_HOSTS",
)


@pytest.fixture
def outer(key_hop: SshHop, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Point inner runs at this session's sshd (by key) through the command line."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return [
        f"--terminal-host={key_hop.host}",
        f"--terminal-port={key_hop.port}",
        f"--terminal-user={key_hop.user}",
        f"--terminal-key-file={key_hop.key_file}",
        f"--terminal-known-hosts={key_hop.known_hosts}",
        "-p",
        "no:cacheprovider",
    ]


def test_remote_python_gives_proxies_and_releases_them_at_teardown(
    pytester: pytest.Pytester, outer: list[str]
) -> None:
    pytester.makepyfile(
        """
        import os
        import pytest
        from jobharness.backends.terminal.runner_errors import RunnerException

        KEPT = {}

        def test_one(remote_python, terminal):
            pid = remote_python.run_python("import os; os.getpid()")
            assert pid != os.getpid()
            counter = remote_python.get_proxy_object_from_call("dict", a=1)
            assert counter.get("a") == 1
            assert remote_python.isproxy(counter)
            path = remote_python.get_recursive_proxy("os").path
            assert path.join("a", "b") == "a/b"
            call = remote_python.start_python("import time; time.sleep(0.2); 7")
            assert call.wait(20).value == 7
            # the fixture's agent rides the session's connection: no second login
            assert terminal().logins == 1
            KEPT.update(pid=pid, proxy=counter)

        def test_two(remote_python):
            with pytest.raises(RunnerException):
                KEPT["proxy"].get("a")
            assert remote_python.run_python("import os; os.getpid()") != KEPT["pid"]
            assert remote_python.run_python("'a' in dir()") is False
        """
    )
    result = pytester.runpytest_subprocess(*outer, "-p", "no:randomly")
    result.assert_outcomes(passed=2)
