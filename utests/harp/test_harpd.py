"""The harpd client against the embedded harpd: calls, streams, errors, login, TLS."""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable

import pytest

from jobharness.backends.harp import (
    HarpServer,
    HarpStreamIterator,
    RemoteAuthError,
    RemoteError,
    RemoteException,
    Result,
    TLSFailed,
)
from jobharness.backends.harp.target import HarpdTarget, HarpTargets
from jobharness.errors import (
    AuthenticationFailed,
    ConfigurationError,
    ServerUnreachable,
    ValidationError,
)


@pytest.fixture(scope="module")
def target(harp_server: HarpTargets) -> HarpdTarget:
    """The session harpd's address and login."""
    return harp_server.harpd_target()


def server(target: HarpdTarget, **overrides: object) -> HarpServer:
    options: dict[str, object] = {
        "host": target.host,
        "user": target.user,
        "password": target.password,
        "port": target.port,
        "ca_file": target.ca_file,
        "request_timeout": 10.0,
        **overrides,
    }
    return HarpServer(**options)  # type: ignore[arg-type]


def test_plain_calls_return_the_value(harpd: HarpServer) -> None:
    assert harpd.ping() == "pong"
    assert harpd.add(5, 3) == {"sum": 8, "difference": 2}
    assert harpd.add(a=5, b=3) == {"sum": 8, "difference": 2}
    assert harpd.call("echo", "é 😀 1/2") == "é 😀 1/2"
    assert harpd.echo(1e-07) == 1e-07  # direct calls are free of the dispatcher's quirks


def test_streaming_call_yields_values_then_a_result(harpd: HarpServer) -> None:
    stream = harpd.count(3)
    assert isinstance(stream, HarpStreamIterator)
    assert list(stream) == [{"i": 0}, {"i": 1}, {"i": 2}, Result({"count": 3})]
    assert stream.result == Result({"count": 3})


def test_stream_can_be_closed_early(harpd: HarpServer) -> None:
    with harpd.count(1000, 0.01) as stream:
        assert next(stream) == {"i": 0}
    assert list(stream) == []
    assert harpd.ping() == "pong"


def test_mixing_arguments_raises_locally(harpd: HarpServer) -> None:
    with pytest.raises(ValidationError, match="not both"):
        harpd.add(1, b=2)


def test_procedure_exception_is_remote_exception(harpd: HarpServer) -> None:
    with pytest.raises(RemoteException) as caught:
        harpd.fail("bad thing")
    assert (caught.value.type, caught.value.message) == ("ValueError", "bad thing")
    assert caught.value.data == {"class": "ValueError", "module": "builtins"}
    with pytest.raises(RemoteException, match="TypeError"):
        harpd.add(1)


def test_exception_inside_a_stream_after_some_values(harpd: HarpServer) -> None:
    stream = harpd.fail_after(2)
    assert [next(stream), next(stream)] == [0, 1]
    with pytest.raises(RemoteException, match="failed after 2 packets"):
        next(stream)


def test_errors_before_and_after_the_ack_are_remote_errors(harpd: HarpServer) -> None:
    with pytest.raises(RemoteError) as before:
        harpd.no_such_procedure()
    assert before.value.type == "no_such_procedure"
    with pytest.raises(RemoteError) as after:
        harpd.unserializable()
    assert after.value.type == "invalid_message"
    with pytest.raises(RemoteError) as timed_out:
        harpd.slow(5)
    assert timed_out.value.type == "timeout"
    stream = harpd.stream_unserializable()
    with pytest.raises(RemoteError) as in_stream:
        list(stream)
    assert in_stream.value.type == "invalid_message"


def test_wrong_password_is_an_auth_error_without_the_password(target: HarpdTarget) -> None:
    wrong = "not-the-Passw0rd"
    with pytest.raises(RemoteAuthError) as caught:
        server(target, password=wrong).ping()
    assert isinstance(caught.value, AuthenticationFailed)
    assert caught.value.type == "auth_error"
    assert target.user in str(caught.value)
    assert wrong not in str(caught.value) and target.password not in str(caught.value)
    assert wrong not in repr(server(target, password=wrong))


def test_harpd_down_names_host_and_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServerUnreachable) as caught:
        HarpServer("127.0.0.1", "u", "secret-pw", port=port, request_timeout=5).ping()
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "secret-pw" not in str(caught.value)


def test_tls_fails_without_the_ca_and_works_with_it(target: HarpdTarget) -> None:
    with pytest.raises(TLSFailed) as caught:
        server(target, ca_file=None).ping()
    assert target.address in str(caught.value) and "certificate" in str(caught.value)
    assert server(target).ping() == "pong"


def test_unverified_tls_must_be_asked_for_and_is_logged(
    target: HarpdTarget, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="jobharness.harp"):
        insecure = server(target, ca_file=None, verify=False)
    assert insecure.ping() == "pong"
    assert any("verification is OFF" in r.getMessage() for r in caplog.records)


def test_old_tls_must_be_asked_for_and_is_logged(
    target: HarpdTarget, caplog: pytest.LogCaptureFixture
) -> None:
    assert server(target).transport.tls.minimum_version >= ssl.TLSVersion.TLSv1_2  # type: ignore[union-attr]
    with caplog.at_level(logging.WARNING, logger="jobharness.harp"):
        old = server(target, allow_old_tls=True)
    assert old.transport.tls.minimum_version == ssl.TLSVersion.TLSv1  # type: ignore[union-attr]
    assert any("TLS 1.0/1.1" in r.getMessage() for r in caplog.records)
    assert old.ping() == "pong"


def test_missing_ca_file_is_a_configuration_error(target: HarpdTarget) -> None:
    with pytest.raises(ConfigurationError, match=r"CA file for harpd .* not found"):
        server(target, ca_file="/nonexistent/ca.pem")


def test_password_never_reaches_the_logs(
    target: HarpdTarget, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client = server(target)
        client.ping()
        list(client.count(2))
        with pytest.raises(RemoteAuthError):
            server(target, password="Wr0ng-pass").ping()
    assert caplog.records
    assert target.password not in caplog.text and "Wr0ng-pass" not in caplog.text


def test_tls_socket_has_nagle_off(target: HarpdTarget) -> None:
    client = server(target)
    with client.transport.connect() as sock:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_procedures_through_attribute_and_call(harpd: HarpServer, harp_server: HarpTargets) -> None:
    add: Callable[..., object] = harpd.add
    assert add(1, 2) == {"sum": 3, "difference": -1}
    assert "add" in repr(add)
