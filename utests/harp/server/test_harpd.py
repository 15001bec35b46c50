"""harpd over real TLS: reply sequences (§2.3), exceptions (§2.4), errors (§2.5), TLS, auth."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trustme

from jobharness.errors import EmbeddedServerError
from jobharness.servers.base import EmbeddedServer

from .conftest import HarpdClient, lines, read_all

ACK_PLAIN = {"harp": 1, "stream_result": False}
ACK_STREAM = {"harp": 1, "stream_result": True}


def error(type: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"harp": 1, "error": {"type": type, "message": message, **extra}}


def exception(cls: str, message: str, module: str = "builtins") -> dict[str, Any]:
    return {
        "exception": {"type": cls, "message": message, "data": {"class": cls, "module": module}}
    }


# -- reply sequences ---------------------------------------------------------------------------


def test_single_result_is_ack_then_result_exact_bytes(harpd: HarpdClient) -> None:
    request = json.dumps(harpd.request("add", [5, 3])).encode() + b"\n"
    assert harpd.raw(request) == (
        b'{"harp": 1, "stream_result": false}\n{"result": {"difference": 2, "sum": 8}}\n'
    )


def test_keyword_arguments(harpd: HarpdClient) -> None:
    assert harpd.call("add", {"a": 5, "b": 3}) == [
        ACK_PLAIN,
        {"result": {"difference": 2, "sum": 8}},
    ]


def test_stream_then_explicit_result(harpd: HarpdClient) -> None:
    assert harpd.call("count", [3]) == [
        ACK_STREAM,
        {"stream": {"i": 0}},
        {"stream": {"i": 1}},
        {"stream": {"i": 2}},
        {"result": {"count": 3}},
    ]


def test_stream_without_result_ends_with_null(harpd: HarpdClient) -> None:
    assert harpd.call("letters", ["ab"]) == [
        ACK_STREAM,
        {"stream": "a"},
        {"stream": "b"},
        {"result": None},
    ]


def test_non_ascii_is_escaped(harpd: HarpdClient) -> None:
    reply = harpd.raw(json.dumps(harpd.request("echo", ["zażółć 😀"])).encode() + b"\n")
    assert reply.isascii()
    assert b"\\ud83d\\ude00" in reply
    assert lines(reply)[1] == {"result": "zażółć 😀"}


# -- exceptions --------------------------------------------------------------------------------


def test_exception_from_procedure(harpd: HarpdClient) -> None:
    assert harpd.call("fail", ["bad thing"]) == [ACK_PLAIN, exception("ValueError", "bad thing")]


def test_wrong_argument_count_is_type_error_exception(harpd: HarpdClient) -> None:
    ack, reply = harpd.call("add", [1])
    assert ack == ACK_PLAIN
    assert reply["exception"]["type"] == "TypeError"
    assert "missing 1 required positional argument: 'b'" in reply["exception"]["message"]


def test_exception_class_of_procedures_module(harpd: HarpdClient) -> None:
    _ack, reply = harpd.call("raise_custom", ["x"])
    assert reply["exception"]["type"] == "Custom"
    assert reply["exception"]["data"]["class"] == "Custom"
    assert reply["exception"]["data"]["module"] != "builtins"


def test_exception_inside_stream_after_packets(harpd: HarpdClient) -> None:
    assert harpd.call("fail_after", [2]) == [
        ACK_STREAM,
        {"stream": 0},
        {"stream": 1},
        exception("RuntimeError", "failed after 2 packets"),
    ]


# -- errors after the ack ----------------------------------------------------------------------


def test_unserializable_result_is_invalid_message(harpd: HarpdClient) -> None:
    assert harpd.call("unserializable") == [
        ACK_PLAIN,
        error("invalid_message", "Object of type object is not JSON serializable"),
    ]


def test_unserializable_packet_ends_stream_with_invalid_message(harpd: HarpdClient) -> None:
    assert harpd.call("stream_unserializable", [2]) == [
        ACK_STREAM,
        {"stream": 0},
        {"stream": 1},
        error("invalid_message", "Object of type object is not JSON serializable"),
    ]


def test_procedure_timeout(harpd: HarpdClient) -> None:
    assert harpd.call("slow", [30]) == [
        ACK_PLAIN,
        error("timeout", "maximum execution time exceeded"),
    ]


def test_streaming_procedure_timeout_keeps_packets_sent(harpd: HarpdClient) -> None:
    reply = harpd.call("slow_stream", [100, 0.3])
    assert reply[0] == ACK_STREAM
    assert reply[-1] == error("timeout", "maximum execution time exceeded")
    assert [item["stream"] for item in reply[1:-1]] == list(range(len(reply) - 2))


# -- errors before the ack ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            b"{bad\n",
            error(
                "parse_error",
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
        ),
        (b"\n", error("parse_error", "Expecting value: line 1 column 1 (char 0)")),
        (b"[1, 2]\n", error("invalid_request", "invalid request data type")),
        (b'"ping"\n', error("invalid_request", "invalid request data type")),
    ],
)
def test_parse_errors(harpd: HarpdClient, payload: bytes, expected: Any) -> None:
    assert lines(harpd.raw(payload)) == [expected]


def test_request_longer_than_limit(start_server: Callable[..., EmbeddedServer]) -> None:
    client = HarpdClient(start_server("harpd", "--max-request-bytes", "200").info)
    assert lines(client.raw(b"x" * 300)) == [
        error("invalid_request", "request incomplete or too long")
    ]
    assert client.call("ping") == [ACK_PLAIN, {"result": "pong"}]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"harp": 2}, "unsupported protocol version"),
        ({"harp": "1"}, "unsupported protocol version"),
        ({"procedure": 7}, "invalid request"),
        ({"arguments": "x"}, "invalid request"),
        ({"auth": {"user": "u"}}, "malformed credentials data"),
        ({"auth": ["u", "p"]}, "malformed credentials data"),
        ({"auth": {"user": "u", "password": 1}}, "malformed credentials data"),
    ],
)
def test_invalid_request(harpd: HarpdClient, overrides: dict[str, Any], message: str) -> None:
    assert harpd.call("ping", **overrides) == [error("invalid_request", message)]


def test_missing_version_is_unsupported(harpd: HarpdClient) -> None:
    request = harpd.request("ping")
    del request["harp"]
    assert lines(harpd.raw(json.dumps(request).encode() + b"\n")) == [
        error("invalid_request", "unsupported protocol version")
    ]


def test_excessive_data_after_request(harpd: HarpdClient) -> None:
    payload = json.dumps(harpd.request("ping")).encode() + b"\n{}"
    assert lines(harpd.raw(payload)) == [error("invalid_request", "excessive data after request")]


@pytest.mark.parametrize("auth", [{"user": "nobody", "password": "x"}, {"password": "wrong"}])
def test_auth_error_same_for_unknown_user_and_wrong_password(
    harpd: HarpdClient, auth: dict[str, str]
) -> None:
    credentials = {**harpd.auth, **auth}
    assert harpd.call("ping", auth=credentials) == [
        error("auth_error", "unknown user or wrong password")
    ]


def test_authentication_comes_before_procedure_lookup(harpd: HarpdClient) -> None:
    bad = {"user": "nobody", "password": "x"}
    assert harpd.call("nope", auth=bad) == [error("auth_error", "unknown user or wrong password")]


def test_unknown_procedure(harpd: HarpdClient) -> None:
    assert harpd.call("nope") == [
        error("no_such_procedure", "no such procedure", data={"procedure": "nope"})
    ]


# -- TLS ---------------------------------------------------------------------------------------


def test_certificate_verifies_with_announced_ca(harpd: HarpdClient) -> None:
    with harpd.connect() as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        assert tls.getpeercert()["subjectAltName"]


def test_certificate_rejected_without_the_ca(harpd: HarpdClient) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        harpd.connect(ssl.create_default_context())


def _old_tls_context(ca_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    try:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ssl.SSLError, ValueError):
        pytest.skip("this OpenSSL cannot offer TLS 1.0/1.1")
    return context


def test_old_tls_refused_by_default(harpd: HarpdClient) -> None:
    with pytest.raises(ssl.SSLError):
        harpd.connect(_old_tls_context(harpd.info["ca_file"]))


def test_old_tls_accepted_with_allow_old_tls(
    start_server: Callable[..., EmbeddedServer],
) -> None:
    client = HarpdClient(start_server("harpd", "--allow-old-tls").info)
    try:
        tls = client.connect(_old_tls_context(client.info["ca_file"]))
    except ssl.SSLError:
        pytest.skip("this OpenSSL build refuses TLS 1.0/1.1 on the client side")
    with tls:
        assert tls.version() in ("TLSv1", "TLSv1.1")
        tls.sendall(json.dumps(client.request("ping")).encode() + b"\n")
        assert lines(read_all(tls)) == [ACK_PLAIN, {"result": "pong"}]


# -- server behaviour --------------------------------------------------------------------------


def test_request_read_timeout(start_server: Callable[..., EmbeddedServer]) -> None:
    client = HarpdClient(start_server("harpd", "--read-timeout", "0.3").info)
    with client.connect() as tls:
        assert lines(read_all(tls)) == [error("read_error", "The read operation timed out")]


def test_connections_are_served_concurrently(harpd: HarpdClient) -> None:
    with harpd.connect() as slow:
        slow.sendall(json.dumps(harpd.request("sleep", [3])).encode() + b"\n")
        slow.settimeout(15)
        assert json.loads(slow.recv(4096)) == ACK_PLAIN
        # while the first call still runs, a second one completes
        assert harpd.call("ping") == [ACK_PLAIN, {"result": "pong"}]
        assert lines(read_all(slow)) == [{"result": 3}]


def test_closing_connection_stops_streaming_procedure(harpd: HarpdClient, tmp_path: Path) -> None:
    marker = tmp_path / "closed"
    with harpd.connect() as tls:
        tls.sendall(json.dumps(harpd.request("watched", [str(marker)])).encode() + b"\n")
        tls.settimeout(15)
        assert b'"stream": 1' in _read_until(tls, b'"stream": 1')
    end = time.monotonic() + 10
    while not marker.exists():
        assert time.monotonic() < end, "the streaming procedure was not stopped"
        time.sleep(0.05)


def _read_until(tls: ssl.SSLSocket, needle: bytes) -> bytes:
    data = b""
    while needle not in data:
        chunk = tls.recv(4096)
        assert chunk, data
        data += chunk
    return data


def test_shutdown_error_for_running_call(start_server: Callable[..., EmbeddedServer]) -> None:
    server = start_server("harpd")
    client = HarpdClient(server.info)
    with client.connect() as tls:
        tls.sendall(json.dumps(client.request("sleep", [30])).encode() + b"\n")
        tls.settimeout(15)
        assert json.loads(tls.recv(4096)) == ACK_PLAIN
        assert server.pid is not None
        os.kill(server.pid, signal.SIGTERM)
        assert lines(read_all(tls)) == [error("shutdown", "service is shutting down")]


def test_users_and_procedures_file_options(
    start_server: Callable[..., EmbeddedServer], tmp_path: Path
) -> None:
    procedures = tmp_path / "procs.py"
    procedures.write_text(
        "from jobharness.servers.harpd.proc import procedure\n"
        "@procedure\ndef hello(name):\n    return 'hello ' + name\n"
        "alias = hello\n",
        encoding="utf-8",
    )
    info = start_server(
        "harpd", "--procedures", str(procedures), "--user", "alice:pw1", "--user", "bob:pw2"
    ).info
    assert (info["user"], info["password"]) == ("alice", "pw1")
    client = HarpdClient(info)
    assert client.call("alias", ["x"])[1] == {"result": "hello x"}
    assert client.call("hello", ["y"], auth={"user": "bob", "password": "pw2"})[1] == {
        "result": "hello y"
    }
    assert client.call("ping") == [
        error("no_such_procedure", "no such procedure", data={"procedure": "ping"})
    ]


def _sha512_crypt(password: str) -> str:
    result = subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"],
        input=password,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip("openssl passwd -6 is not available")
    return result.stdout.strip()


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="crypt module removed in Python 3.13")
def test_password_file_is_reread_on_every_request(
    start_server: Callable[..., EmbeddedServer], tmp_path: Path
) -> None:
    passwords = tmp_path / "users.txt"
    passwords.write_text(f"carol:{_sha512_crypt('first')}\n", encoding="utf-8")
    info = start_server("harpd", "--password-file", str(passwords)).info
    assert info["user"] is None
    client = HarpdClient({**info, "user": "carol", "password": "first"})
    assert client.call("ping")[1] == {"result": "pong"}
    passwords.write_text(f"carol:{_sha512_crypt('second')}\n", encoding="utf-8")
    denied = error("auth_error", "unknown user or wrong password")
    assert client.call("ping") == [denied]
    assert client.call("ping", auth={"user": "carol", "password": "second"})[1] == {
        "result": "pong"
    }
    passwords.unlink()
    assert client.call("ping", auth={"user": "carol", "password": "second"}) == [denied]


def test_procedures_file_that_does_not_load_stops_startup(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('nope')\n", encoding="utf-8")
    with pytest.raises(EmbeddedServerError, match="failed to load"):
        EmbeddedServer("harpd", ["--procedures", str(broken)], workdir=tmp_path / "w").start()


def test_generated_credentials_announced(harpd: HarpdClient) -> None:
    assert harpd.info["user"] and len(harpd.info["password"]) >= 16
    assert Path(harpd.info["ca_file"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert harpd.info["url"] == f"tls://127.0.0.1:{harpd.info['port']}"
    assert "letters" in harpd.info["procedures"]


def test_certificate_from_files(
    start_server: Callable[..., EmbeddedServer], tmp_path: Path
) -> None:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    info = start_server("harpd", "--cert-file", str(cert), "--key-file", str(key)).info
    assert info["ca_file"] is None
    client = HarpdClient({**info, "ca_file": str(ca_file)})
    assert client.call("ping") == [ACK_PLAIN, {"result": "pong"}]


def test_cert_file_without_key_file_is_refused(tmp_path: Path) -> None:
    server = EmbeddedServer("harpd", ["--cert-file", str(tmp_path / "c.pem")], workdir=tmp_path)
    with pytest.raises(EmbeddedServerError, match="--cert-file and --key-file go together"):
        server.start()


def test_generated_ca_is_removed_at_stop(tmp_path: Path) -> None:
    server = EmbeddedServer("harpd", workdir=tmp_path).start()
    ca_file = Path(server.info["ca_file"])
    assert ca_file.is_file() and not ca_file.is_relative_to(tmp_path)
    server.stop()
    assert not ca_file.exists()
