"""Task instances: create, get, list with every page, filters, clone, terminate, waits."""

from __future__ import annotations

import pytest

from jobharness.backends.saltant import BadHttpRequestError, SaltantClient, SaltantNotFound
from jobharness.errors import WaitTimeout
from pytest_plugin.saltant import StartTask

from .conftest import Provisioned
from .helpers import Requests, unique


def _start_many(client: SaltantClient, provisioned: Provisioned, name: str, count: int) -> None:
    for index in range(count):
        client.executable_task_instances.create(
            provisioned.task_type.id, provisioned.queue.id, {"seconds": 0, "index": index}, name
        )


def test_create_fills_default_arguments_and_waits(
    saltant: SaltantClient, provisioned: Provisioned
) -> None:
    manager = saltant.executable_task_instances
    instance = manager.create(provisioned.task_type.id, provisioned.queue.id, {"seconds": 0.1})
    assert instance.state == "created"
    assert instance.user == "admin"
    done = manager.wait_until_finished(instance.uuid, timeout=30)
    assert done.state == "successful"
    assert done.arguments == {"seconds": 0.1, "exit_code": 0}
    assert done.datetime_finished is not None
    assert done.datetime_finished >= done.datetime_created


def test_sync_updates_the_object_itself(saltant: SaltantClient, provisioned: Provisioned) -> None:
    instance = saltant.executable_task_instances.create(
        provisioned.task_type.id, provisioned.queue.id, {"seconds": 0}
    )
    instance.wait_until_finished(timeout=30)
    assert instance.state == "successful"  # saltant-py's sync/wait leave this "created"
    stale = saltant.executable_task_instances.get(instance.uuid)
    assert stale.sync() is stale
    assert stale == instance


def test_a_failing_task_ends_failed(saltant: SaltantClient, provisioned: Provisioned) -> None:
    done = saltant.executable_task_instances.create(
        provisioned.task_type.id, provisioned.queue.id, {"exit_code": 3}
    ).wait_until_finished(timeout=30)
    assert done.state == "failed"
    assert done.datetime_finished is not None


def test_list_follows_every_page(counted: tuple[SaltantClient, Requests], provisioned: Provisioned):
    client, recorder = counted
    name = unique("paged")
    _start_many(client, provisioned, name, 12)
    recorder.clear()
    found = client.executable_task_instances.list({"name": name}, page_size=5)
    assert len(found) == 12
    assert len({i.uuid for i in found}) == 12
    assert recorder.count("GET", "executabletaskinstances") == 3
    assert sorted(i.arguments["index"] for i in found) == list(range(12))


def test_filters_are_url_encoded(saltant: SaltantClient, provisioned: Provisioned) -> None:
    odd = unique("a&b=c+d e#f")
    _start_many(saltant, provisioned, odd, 1)
    _start_many(saltant, provisioned, odd.replace("+", " "), 1)
    found = saltant.executable_task_instances.list({"name": odd})
    assert [i.name for i in found] == [odd]


def test_filters_on_state_and_time(saltant: SaltantClient, provisioned: Provisioned) -> None:
    prefix = unique("states")
    manager = saltant.executable_task_instances
    ok = manager.create(provisioned.task_type.id, provisioned.queue.id, {}, prefix + "-ok")
    bad = manager.create(
        provisioned.task_type.id, provisioned.queue.id, {"exit_code": 1}, prefix + "-bad"
    )
    ok.wait_until_finished(timeout=30)
    bad.wait_until_finished(timeout=30)
    failed = manager.list({"name__startswith": prefix, "state__in": ["failed", "terminated"]})
    assert [i.uuid for i in failed] == [bad.uuid]
    newer = manager.list({"name__startswith": prefix, "datetime_created__gt": ok.datetime_created})
    assert [i.uuid for i in newer] == [bad.uuid]
    with pytest.raises(BadHttpRequestError) as caught:
        manager.list({"state": "bogus"})
    assert caught.value.status == 400
    assert "state" in caught.value.body


def test_clone_and_clone_many(saltant: SaltantClient, provisioned: Provisioned) -> None:
    manager = saltant.executable_task_instances
    name = unique("orig")
    original = manager.create(provisioned.task_type.id, provisioned.queue.id, {"seconds": 0}, name)
    copy = original.clone()
    assert copy.uuid != original.uuid
    assert (copy.name, copy.arguments, copy.task_type, copy.task_queue) == (
        original.name,
        original.arguments,
        original.task_type,
        original.task_queue,
    )
    more = manager.clone_many([original.uuid, copy.uuid])
    assert len({c.uuid for c in more} | {original.uuid, copy.uuid}) == 4
    assert len(manager.list({"name": name})) == 4


def test_terminate_a_running_instance(
    saltant: SaltantClient, provisioned: Provisioned, saltant_job: StartTask
) -> None:
    job = saltant_job(provisioned.task_type, provisioned.queue, {"seconds": 60})
    answer = saltant.executable_task_instances.terminate(job.uuid)
    assert answer.uuid == job.uuid
    done = saltant.executable_task_instances.wait_until_finished(job.uuid, timeout=30)
    assert done.state == "terminated"
    assert done.datetime_finished is None  # saltant stamps only successful and failed
    assert saltant.executable_task_instances.terminate_many([job.uuid])[0].state == "terminated"


def test_unknown_uuid_on_get_clone_and_terminate(saltant: SaltantClient) -> None:
    manager = saltant.executable_task_instances
    uuid = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(SaltantNotFound) as caught:
        manager.get(uuid)
    assert caught.value.status == 404
    for action in (manager.clone, manager.terminate):
        with pytest.raises(SaltantNotFound, match="does not exist or the server failed") as err:
            action(uuid)
        assert err.value.status == 405


def test_the_other_kind_does_not_know_an_instance(
    saltant: SaltantClient, provisioned: Provisioned
) -> None:
    instance = saltant.executable_task_instances.create(
        provisioned.task_type.id, provisioned.queue.id
    )
    with pytest.raises(SaltantNotFound):
        saltant.container_task_instances.get(instance.uuid)


def test_validation_errors_of_create(saltant: SaltantClient, provisioned: Provisioned) -> None:
    other_queue = saltant.task_queues.create(unique("otherq"))
    with pytest.raises(BadHttpRequestError, match="has not whitelisted") as caught:
        saltant.executable_task_instances.create(provisioned.task_type.id, other_queue.id)
    assert caught.value.status == 400
    with pytest.raises(BadHttpRequestError, match="task_queue"):
        saltant.executable_task_instances.create(provisioned.task_type.id, 999999)


def test_wait_until_finished_has_a_deadline(
    saltant: SaltantClient, provisioned: Provisioned, saltant_job: StartTask
) -> None:
    job = saltant_job(provisioned.task_type, provisioned.queue, {"seconds": 60})
    manager = saltant.executable_task_instances
    with pytest.raises(WaitTimeout, match=rf"waited 0.3 s .*{job.uuid}.*(pending|running)"):
        manager.wait_until_finished(job.uuid, timeout=0.3)
    still = manager.wait_until_finished(job.uuid, timeout=0.2, on_timeout="continue")
    assert still.state in ("published", "running")
    with pytest.raises(WaitTimeout, match="cancel requested"):
        manager.wait_until_finished(job.uuid, timeout=0.2, on_timeout="terminate")
    assert manager.wait_until_finished(job.uuid, timeout=30).state == "terminated"


def test_fixed_refresh_period(counted: tuple[SaltantClient, Requests], provisioned: Provisioned):
    client, recorder = counted
    manager = client.executable_task_instances
    instance = manager.create(provisioned.task_type.id, provisioned.queue.id, {"seconds": 0.2})
    recorder.clear()
    manager.wait_until_finished(instance.uuid, refresh_period=1, timeout=30)
    # one GET to start with, one after the period: like saltant-py, not more
    assert recorder.count("GET") == 2


def test_container_task_instances(saltant: SaltantClient) -> None:
    task_type = saltant.container_task_types.create(
        unique("ctask"), "echo hi", "alpine:3", "docker"
    )
    whitelist = saltant.task_whitelists.create(
        unique("cwl"), whitelisted_container_task_types=[task_type.id]
    )
    queue = saltant.task_queues.create(unique("cq"), whitelists=[whitelist.id])
    manager = saltant.container_task_instances
    instance = manager.create(task_type.id, queue.id, name=unique("container"))
    assert manager.get(instance.uuid).task_type == task_type.id
    assert [i.uuid for i in manager.list({"name": instance.name})] == [instance.uuid]
    done = manager.wait_until_finished(instance.uuid, timeout=30)
    # a worker without Docker fails the instance, as saltant's does
    assert done.state in ("successful", "failed")
    with pytest.raises(SaltantNotFound):
        saltant.executable_task_instances.get(instance.uuid)
