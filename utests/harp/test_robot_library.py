"""HarpLibrary driven from Python: connections from settings, Secret passwords, cleanup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from robot.api.types import Secret

from jobharness.backends.harp import RemoteAuthError
from jobharness.backends.harp.target import HarpTargets
from jobharness.jobs import JobState
from robotlib.harp import HarpLibrary, HarpStream


@pytest.fixture
def library(harp_server: HarpTargets) -> Iterator[HarpLibrary]:
    """A library pointed at the session's servers through its arguments."""
    lib = HarpLibrary(timeout=20)
    assert harp_server.dispatcher is not None
    host, port = harp_server.dispatcher
    lib.connect_to_harp_dispatcher(f"{host}:{port}")
    yield lib
    lib.close()


def test_connect_to_harpd_with_a_secret_password(
    library: HarpLibrary, harp_server: HarpTargets
) -> None:
    target = harp_server.harpd_target()
    library.connect_to_harpd(
        f"tls://{target.address}", target.user, Secret(target.password), target.ca_file
    )
    assert library.call_harp_procedure("add", 2, 40) == {"sum": 42, "difference": -38}
    out = library.call_harp_procedure("count", 2)
    assert out == HarpStream([{"i": 0}, {"i": 1}], {"count": 2})


def test_wrong_secret_is_an_auth_error_without_it(
    library: HarpLibrary, harp_server: HarpTargets
) -> None:
    target = harp_server.harpd_target()
    library.connect_to_harpd(
        target.address, target.user, Secret("Wrong-Secret-1"), target.ca_file, alias="bad"
    )
    with pytest.raises(RemoteAuthError) as caught:
        library.call_harp_procedure("ping", connection="bad")
    assert "Wrong-Secret-1" not in str(caught.value)


def test_harpd_settings_from_the_environment(
    harp_server: HarpTargets, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = harp_server.harpd_target()
    monkeypatch.setenv("JOBHARNESS_HARPD_URL", target.address)
    monkeypatch.setenv("JOBHARNESS_HARPD_USER", target.user)
    monkeypatch.setenv("JOBHARNESS_HARPD_PASSWORD", target.password)
    monkeypatch.setenv("JOBHARNESS_HARPD_CA_FILE", str(target.ca_file))
    lib = HarpLibrary()
    try:
        assert lib.call_harp_procedure("ping") == "pong"
        assert lib.ctx.embedded_target is None  # nothing was started
    finally:
        lib.close()


def test_calls_left_running_by_a_test_are_cancelled_when_it_ends(library: HarpLibrary) -> None:
    library.start_suite(None, None)
    library.start_test(None, None)
    left = library.submit_harp_call("sleep", 30)
    done = library.submit_harp_call("ping")
    assert library.wait_for_harp_call(done) == "pong"
    library.end_test(None, None)
    assert left.refresh() is JobState.CANCELLED
    assert done.state is JobState.SUCCEEDED
    library.end_suite(None, None)


def test_suite_policy_keeps_calls_until_the_suite_ends(harp_server: HarpTargets) -> None:
    lib = HarpLibrary(cleanup="suite")
    assert harp_server.dispatcher is not None
    lib.connect_to_harp_dispatcher("{}:{}".format(*harp_server.dispatcher))
    try:
        lib.start_suite(None, None)
        lib.start_test(None, None)
        call = lib.submit_harp_call("sleep", 30, info={"kept": True})
        lib.end_test(None, None)
        assert call.refresh() is JobState.RUNNING or call.state is JobState.PENDING
        lib.end_suite(None, None)
        assert call.refresh() is JobState.CANCELLED
        assert call.info() == {"kept": True}
    finally:
        lib.close()


def test_named_dispatcher_and_host(library: HarpLibrary, harp_server: HarpTargets) -> None:
    assert harp_server.dispatcher is not None
    library.connect_to_harp_dispatcher(
        "tcp://{}:{}".format(*harp_server.dispatcher), alias="other", host="no-such-host"
    )
    call = library.submit_harp_call("ping", dispatcher="other")
    library.harp_call_should_raise(call, "unknown_host")
    with pytest.raises(AssertionError, match="raised unknown_host"):
        library.harp_call_should_raise(call, "ValueError")
    first = library.submit_harp_call("ping", dispatcher="1")
    library.harp_result_should_be(first, "pong")
