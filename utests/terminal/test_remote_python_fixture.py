"""The ``remote_python`` fixture through pytester, on this session's sshd."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


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
