"""The client against the embedded server: auth, env, users, types, queues, whitelists, errors."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from jobharness.backends.saltant import (
    AuthenticationError,
    BadEnvironmentError,
    BadHttpRequestError,
    SaltantClient,
    SaltantNotFound,
    SaltantPermissionDenied,
    from_env,
)
from jobharness.errors import (
    AuthenticationFailed,
    PermissionDenied,
    ServerUnreachable,
    ValidationError,
)
from jobharness.servers.base import EmbeddedServer
from pytest_plugin._common import ServerTarget

from .helpers import Requests, unique

BAD_TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def server_with_users() -> Iterator[EmbeddedServer]:
    """An embedded server with a second user (alice) who has a password and a token."""
    args = ["--token", unique("admintoken"), "--user", "alice:alice-pw-1:alicetoken12345"]
    with EmbeddedServer("saltant", args) as server:
        yield server


def _token(target: ServerTarget) -> str:
    return str(target.info["token"])


# -- construction and authentication ----------------------------------------------------------


def test_the_url_may_omit_api(saltant_server: ServerTarget) -> None:
    bare = saltant_server.url.rstrip("/").removesuffix("/api")
    with SaltantClient(bare, _token(saltant_server)) as client:
        assert client.base_api_url == saltant_server.url.rstrip("/") + "/"
        assert any(user.username == "admin" for user in client.users.list())


def test_a_bad_token_is_refused_at_construction_without_showing_it(
    saltant_server: ServerTarget, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as caught:
        SaltantClient(saltant_server.url, BAD_TOKEN)
    assert caught.value.status == 403
    assert "Invalid token" in str(caught.value)
    assert BAD_TOKEN not in str(caught.value) + caught.value.body + caplog.text


def test_without_the_check_a_bad_token_fails_on_first_use(saltant_server: ServerTarget) -> None:
    client = SaltantClient(saltant_server.url, BAD_TOKEN, test_if_authenticated=False)
    with pytest.raises(AuthenticationError) as caught:
        client.users.list()
    assert caught.value.status == 403
    assert BAD_TOKEN not in repr(client) + str(caught.value)


def test_an_unreachable_server_is_named() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ServerUnreachable, match=rf"127\.0\.0\.1:{port}/api/"):
        SaltantClient(f"http://127.0.0.1:{port}", BAD_TOKEN, retries=0)


def test_from_env_names_the_missing_variable(saltant_server: ServerTarget) -> None:
    with pytest.raises(BadEnvironmentError, match="SALTANT_API_URL"):
        from_env(environ={"SALTANT_AUTH_TOKEN": "x"})
    with pytest.raises(BadEnvironmentError, match="SALTANT_AUTH_TOKEN"):
        from_env(environ={"SALTANT_API_URL": saltant_server.url})
    env = {"SALTANT_API_URL": saltant_server.url, "SALTANT_AUTH_TOKEN": _token(saltant_server)}
    with SaltantClient.from_env(environ=env) as client:
        assert client.users.get("admin").username == "admin"


def test_from_env_reads_the_process_environment(
    saltant_server: ServerTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALTANT_API_URL", saltant_server.url)
    monkeypatch.setenv("SALTANT_AUTH_TOKEN", _token(saltant_server))
    with from_env() as client:
        client.test_authentication()


def test_jwt_login_and_renewal(server_with_users: EmbeddedServer) -> None:
    client = SaltantClient.login(server_with_users.url, "alice", "alice-pw-1")
    recorder = Requests()
    client.session.hooks["response"].append(recorder.hook)
    assert client.users.get("alice").email is not None
    # An access token the server no longer accepts is renewed with the refresh token.
    client.session.headers["Authorization"] = "Bearer not-a-valid-jwt"
    assert client.users.get("alice").username == "alice"
    assert recorder.count("POST", "token/refresh/") == 1
    assert client.session.headers["Authorization"] != "Bearer not-a-valid-jwt"


def test_jwt_login_with_a_wrong_password(server_with_users: EmbeddedServer) -> None:
    with pytest.raises(AuthenticationError) as caught:
        SaltantClient.login(server_with_users.url, "alice", "wrong-password-9")
    assert caught.value.status == 401
    assert "wrong-password-9" not in str(caught.value)


def test_a_second_user_token(server_with_users: EmbeddedServer) -> None:
    with SaltantClient(server_with_users.url, "alicetoken12345") as client:
        assert {u.username for u in client.users.list()} >= {"admin", "alice"}


# -- users ------------------------------------------------------------------------------------


def test_users_get_sync_and_not_found(saltant: SaltantClient) -> None:
    admin = saltant.users.get("admin")
    assert str(admin) == "admin"
    assert admin.sync() is admin
    with pytest.raises(SaltantNotFound) as caught:
        saltant.users.get("nobody-" + unique("u"))
    assert caught.value.status == 404


# -- task types -------------------------------------------------------------------------------


def test_executable_task_type_create_get_put(saltant: SaltantClient) -> None:
    name = unique("type")
    created = saltant.executable_task_types.create(
        name,
        "/bin/true",
        description="d",
        required_arguments=["a", "b"],
        required_arguments_default_values={"a": 1},
        json_file_option="--json-file",
    )
    assert created.user == "admin"
    assert created.json_file_option == "--json-file"
    by_id = saltant.executable_task_types.get(id=created.id)
    by_name = saltant.executable_task_types.get(name=name)
    assert by_id == by_name == created
    by_id.description = "changed"
    by_id.required_arguments_default_values = {"a": 2}
    assert by_id.put() is by_id
    assert saltant.executable_task_types.get(id=created.id).description == "changed"
    assert created.sync().required_arguments_default_values == {"a": 2}
    assert created.description == "changed"  # sync updated the object itself


def test_task_type_by_name_not_found_is_clear(saltant: SaltantClient) -> None:
    name = unique("missing")
    with pytest.raises(SaltantNotFound, match=f"no executable task type named '{name}'"):
        saltant.executable_task_types.get(name=name)


def test_task_type_get_needs_exactly_one_key(saltant: SaltantClient) -> None:
    with pytest.raises(ValidationError, match="id or its name"):
        saltant.executable_task_types.get()
    with pytest.raises(ValidationError, match="id or its name"):
        saltant.executable_task_types.get(id=1, name="x")


def test_duplicate_names_are_a_400_with_the_field(saltant: SaltantClient) -> None:
    name = unique("dup")
    saltant.executable_task_types.create(name, "/bin/true")
    with pytest.raises(BadHttpRequestError) as caught:
        saltant.executable_task_types.create(name, "/bin/true")
    assert caught.value.status == 400
    assert "already exists" in caught.value.body
    assert "executabletasktypes" in str(caught.value)


def test_container_task_type(saltant: SaltantClient) -> None:
    name = unique("ctype")
    created = saltant.container_task_types.create(name, "echo hi", "alpine:3", "docker")
    assert (created.container_image, created.container_type) == ("alpine:3", "docker")
    created.container_image = "alpine:3.19"
    created.put()
    assert saltant.container_task_types.get(name=name).container_image == "alpine:3.19"
    with pytest.raises(BadHttpRequestError) as caught:
        saltant.container_task_types.create(unique("bad"), "echo", "alpine:3", "podman")
    assert caught.value.status == 400
    assert "container_type" in caught.value.body


def test_task_types_list_with_filters(saltant: SaltantClient) -> None:
    prefix = unique("listed")
    for index in range(3):
        saltant.executable_task_types.create(f"{prefix}-{index}", f"/bin/echo {index}")
    found = saltant.executable_task_types.list({"name__startswith": prefix})
    assert sorted(t.name for t in found) == [f"{prefix}-{i}" for i in range(3)]
    echo_1 = saltant.executable_task_types.list(
        {"name__startswith": prefix, "command_to_run": "/bin/echo 1"}
    )
    assert [t.name for t in echo_1] == [f"{prefix}-1"]


# -- whitelists and queues --------------------------------------------------------------------


def test_whitelists_create_patch_put(saltant: SaltantClient) -> None:
    task_type = saltant.executable_task_types.create(unique("wltype"), "/bin/true")
    name = unique("wl")
    whitelist = saltant.task_whitelists.create(name, "first")
    assert whitelist.whitelisted_executable_task_types == []
    patched = saltant.task_whitelists.patch(
        whitelist.id, whitelisted_executable_task_types=[task_type.id]
    )
    assert patched.whitelisted_executable_task_types == [task_type.id]
    assert patched.description == "first"
    whitelist.sync()
    assert whitelist.whitelisted_executable_task_types == [task_type.id]
    whitelist.whitelisted_executable_task_types = []
    whitelist.description = "emptied"
    whitelist.put()
    assert saltant.task_whitelists.get(name=name).whitelisted_executable_task_types == []
    with pytest.raises(ValidationError, match="cannot patch user"):
        saltant.task_whitelists.patch(whitelist.id, user="bob")


def test_queues_create_patch_put_and_filters(saltant: SaltantClient) -> None:
    name = unique("queue")
    queue = saltant.task_queues.create(name, "q", runs_docker_container_tasks=False)
    assert (queue.active, queue.private, queue.runs_docker_container_tasks) == (
        True,
        False,
        False,
    )
    assert saltant.task_queues.patch(queue.id, active=False).active is False
    inactive = {q.name for q in saltant.task_queues.list({"active": False})}
    assert name in inactive
    assert name not in {q.name for q in saltant.task_queues.list({"active": True})}
    queue.sync()
    queue.active = True
    queue.description = "again"
    queue.patch()
    assert saltant.task_queues.get(id=queue.id).description == "again"
    with pytest.raises(BadHttpRequestError) as caught:
        saltant.task_queues.create("bad name!")
    assert caught.value.status == 400


def test_a_non_owner_cannot_put(server_with_users: EmbeddedServer) -> None:
    admin = SaltantClient(server_with_users.url, server_with_users.info["token"])
    queue = admin.task_queues.create(unique("owned"))
    alice = SaltantClient(server_with_users.url, "alicetoken12345")
    with pytest.raises(SaltantPermissionDenied) as caught:
        alice.task_queues.patch(queue.id, description="mine now")
    assert caught.value.status == 403
    assert "permission" in caught.value.body
    assert isinstance(caught.value, PermissionDenied)
    assert not isinstance(caught.value, AuthenticationFailed)  # alice's token is good
