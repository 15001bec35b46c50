"""SandboxLibrary driven from Python: status -1 explained, and repeated only when asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobharness.servers.base import EmbeddedServer
from robotlib.sandbox import SandboxLibrary


@pytest.fixture(scope="module")
def flaky_pool() -> Iterator[EmbeddedServer]:
    """A server whose every second execution loses its container (status -1, nothing run)."""
    with EmbeddedServer("sandbox", ["--fault", "container-removed-every=2"]) as server:
        yield server


def test_repeat_unknown_on_the_connection_and_per_keyword(flaky_pool: EmbeddedServer) -> None:
    library = SandboxLibrary()
    try:
        library.connect_to_sandbox(flaky_pool.url, repeat_unknown=1)
        first = library.execute_in_sandbox("echo one")  # the 1st execution runs
        second = library.execute_in_sandbox("echo two")  # the 2nd is lost, the 3rd runs
        assert first.ok and second.ok and second.repeats == 1
        library.command_stdout_should_be(second, 0, "two")
        lost = library.execute_in_sandbox("echo three", repeat_unknown=0)  # the 4th is lost
        library.execution_status_should_be(lost, "UNKNOWN")
        with pytest.raises(AssertionError) as caught:
            library.execution_status_should_be(lost, "OK")
        assert "container was removed" in str(caught.value) and "not UTF-8" in str(caught.value)
        job = library.start_in_sandbox("echo four", repeat_unknown=1)  # the 5th runs
        assert job.wait(10).ok
    finally:
        library.close()
