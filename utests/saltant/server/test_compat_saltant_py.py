"""saltant-py from PyPI drives the embedded server unchanged."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from saltant.client import Client, from_env
from saltant.exceptions import AuthenticationError, BadEnvironmentError, BadHttpRequestError

from .conftest import JOBSCRIPT, Server, unique

FAST = 0.05


@pytest.fixture
def client(server: Server) -> Client:
    """An SDK client of the shared server, as the admin."""
    return Client(server.url, server.tokens["admin"], default_timeout=30)


def test_construction_checks_authentication(server: Server) -> None:
    with pytest.raises(AuthenticationError):
        Client(server.url, "0" * 40)
    assert Client(server.url, server.tokens["bob"]).users.get("bob").username == "bob"


def test_from_env(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SALTANT_API_URL", raising=False)
    monkeypatch.delenv("SALTANT_AUTH_TOKEN", raising=False)
    with pytest.raises(BadEnvironmentError):
        from_env()
    monkeypatch.setenv("SALTANT_API_URL", server.url)
    monkeypatch.setenv("SALTANT_AUTH_TOKEN", server.tokens["carol"])
    assert {u.username for u in from_env().users.list()} >= {"admin", "bob", "carol"}


def provision(client: Client) -> tuple[object, object, object]:
    """A task type for the job script, a whitelist and a queue, through the SDK."""
    task_type = client.executable_task_types.create(
        name=unique("sdk-type"),
        command_to_run=f"{sys.executable} {JOBSCRIPT}",
        description="made by saltant-py",
        required_arguments=["seconds", "exit_code"],
        required_arguments_default_values={"seconds": 0, "exit_code": 0},
    )
    whitelist = client.task_whitelists.create(
        name=unique("sdk-wl"), whitelisted_executable_task_types=[task_type.id]
    )
    queue = client.task_queues.create(name=unique("sdk-q"), whitelists=[whitelist.id])
    return task_type, whitelist, queue


def test_types_queues_whitelists(client: Client) -> None:
    task_type, whitelist, queue = provision(client)
    assert task_type.user == "admin"
    assert task_type.required_arguments_default_values == {"seconds": 0, "exit_code": 0}
    assert task_type.json_file_option is None
    assert queue.active is True and queue.runs_executable_tasks is True
    assert queue.whitelists == [whitelist.id]
    assert client.executable_task_types.get(name=task_type.name).id == task_type.id
    assert client.task_queues.get(id=queue.id).name == queue.name
    assert client.task_whitelists.get(name=whitelist.name).id == whitelist.id
    changed = client.executable_task_types.put(
        id=task_type.id,
        name=task_type.name,
        description="changed",
        command_to_run=task_type.command_to_run,
        environment_variables=[],
        required_arguments=["seconds", "exit_code"],
        required_arguments_default_values={"seconds": 1},
        json_file_option=None,
    )
    assert changed.description == "changed"
    assert changed.required_arguments_default_values == {"seconds": 1}
    patched = client.task_queues.patch(queue.id, description="patched")
    assert patched.description == "patched" and patched.active is True
    container = client.container_task_types.create(
        name=unique("sdk-ctype"),
        command_to_run="echo hi",
        container_image="alpine:3",
        container_type="docker",
    )
    assert container.logs_path == "" and container.container_type == "docker"
    assert client.container_task_types.list({"name": container.name})[0].id == container.id
    with pytest.raises(BadHttpRequestError):
        client.executable_task_types.create(name=task_type.name, command_to_run="true")


def test_instances_run_and_wait(client: Client, server: Server) -> None:
    task_type, _, queue = provision(client)
    manager = client.executable_task_instances
    ok = manager.create(task_type.id, queue.id, {"seconds": 0.1}, name=unique("sdk-ok"))
    assert ok.state == "created"
    bad = manager.create(task_type.id, queue.id, {"exit_code": 2}, name=ok.name)
    assert manager.wait_until_finished(ok.uuid, refresh_period=FAST).state == "successful"
    finished = bad.wait_until_finished(refresh_period=FAST)
    assert finished.state == "failed"
    assert finished.datetime_finished is not None
    assert finished.arguments == {"exit_code": 2, "seconds": 0}
    assert {i.uuid for i in manager.list({"name": ok.name})} == {ok.uuid, bad.uuid}
    assert [i.uuid for i in manager.list({"name": ok.name, "state": "failed"})] == [bad.uuid]
    assert ok.sync().state == "successful"
    first_line = server.log(ok.uuid).splitlines()[0]
    assert json.loads(first_line)["argv"] == [json.dumps({"seconds": 0.1, "exit_code": 0})]


def test_clone_and_terminate(client: Client, server: Server, tmp_path: Path) -> None:
    task_type, _, queue = provision(client)
    manager = client.executable_task_instances
    pidfile = tmp_path / "pids"
    long = manager.create(task_type.id, queue.id, {"seconds": 300, "pidfile": str(pidfile)})
    deadline = time.monotonic() + 20
    while not pidfile.exists():
        assert time.monotonic() < deadline
        time.sleep(FAST)
    stopped = manager.terminate(long.uuid)
    assert stopped.uuid == long.uuid
    done = manager.wait_until_finished(long.uuid, refresh_period=FAST)
    assert done.state == "terminated" and done.datetime_finished is None
    bob = Client(server.url, server.tokens["bob"])
    clones = bob.executable_task_instances.clone_many([long.uuid])
    assert clones[0].user == "bob" and clones[0].arguments == long.arguments
    assert clones[0].terminate().uuid == clones[0].uuid
    assert clones[0].wait_until_finished(refresh_period=FAST).state == "terminated"
    with pytest.raises(BadHttpRequestError, match="status 405"):
        manager.clone("00000000-0000-0000-0000-000000000000")


def test_container_instance_through_the_sdk(client: Client) -> None:
    kind = client.container_task_types.create(
        name=unique("sdk-c"),
        command_to_run="true",
        container_image="alpine:3",
        container_type="docker",
    )
    whitelist = client.task_whitelists.create(
        name=unique("sdk-cwl"), whitelisted_container_task_types=[kind.id]
    )
    queue = client.task_queues.create(name=unique("sdk-cq"), whitelists=[whitelist.id])
    job = client.container_task_instances.create(kind.id, queue.id)
    assert job.wait_until_finished(refresh_period=FAST).state == "failed"


def test_users(client: Client) -> None:
    users = client.users.list()
    assert [u.username for u in users] == sorted(u.username for u in users)
    assert client.users.get("carol").email == "carol@example.com"
    with pytest.raises(BadHttpRequestError):
        client.users.get("nobody")
