"""Resources: types named as the consumer apps name them, waits, deletion at cleanup."""

from __future__ import annotations

import pytest

from jobharness.backends.densefog import DensefogClient, ResourceStatusError, ResourceType
from jobharness.cleanup import clean_up
from jobharness.errors import ConfigurationError, WaitTimeout

from .helpers import Requests, unique


def test_types_are_derived_from_their_noun() -> None:
    kind = ResourceType.named("load_balancer")
    assert (kind.describe_action, kind.ids_param, kind.set_field, kind.id_field) == (
        "DescribeLoadBalancers",
        "loadBalancerIds",
        "loadBalancerSet",
        "loadBalancerId",
    )
    assert kind.delete_action == "DeleteLoadBalancers"
    assert ResourceType.named("LoadBalancer") == kind
    assert ResourceType.named("key pair").create_action == "CreateKeyPairs"
    assert ResourceType.named("policy").describe_action == "DescribePolicies"
    assert ResourceType.named("volume", delete_action="ReleaseVolumes").delete_action == (
        "ReleaseVolumes"
    )
    with pytest.raises(ConfigurationError, match="unknown resource type field"):
        ResourceType.named("volume", colour="red")


def test_many_resources_are_waited_with_one_describe_per_round(client: DensefogClient) -> None:
    recorder = Requests()
    client._transport.session.hooks["response"].append(recorder.hook)
    made = [client.create_resources("instance", count=2, name=unique("many")) for _ in range(3)]
    ids = [rid for created in made for rid in created.ids]
    together = client.resources("instance", ids)
    try:
        statuses = together.wait(30, status="active")
        assert statuses == dict.fromkeys(ids, "active")
        bodies = [body for _, body in recorder.seen if b"DescribeInstances" in body]
        assert bodies and all(rid.encode() in bodies[0] for rid in ids)  # one call, all six
    finally:
        clean_up([created.resources for created in made], timeout=30)


def test_a_wrong_final_status_fails_the_wait(client: DensefogClient) -> None:
    made = client.create_resources("instance", count=1, name=unique("wrong"))
    try:
        with pytest.raises(ResourceStatusError, match=r"to become 'deleted': inst-\w+ active"):
            made.resources.wait(30, status="deleted")
    finally:
        clean_up([made.resources], timeout=30)


def test_an_unknown_resource_is_missing(client: DensefogClient) -> None:
    assert client.resources("instance", ["inst-nothere"]).wait(5) == {"inst-nothere": None}


def test_a_wait_times_out_naming_the_busy_ones(client: DensefogClient) -> None:
    made = client.create_resources("instance", count=1, name=unique("slow"))
    made.resources.wait(30)
    (instance,) = made.ids
    client.call("HoldInstance", instanceId=instance, status="creating")  # busy for good
    try:
        with pytest.raises(WaitTimeout, match=rf"densefog instance {instance}: creating"):
            made.resources.wait(1)
    finally:
        client.call("HoldInstance", instanceId=instance, status="active")
        clean_up([made.resources], timeout=30)


def test_cleanup_waits_while_busy_then_deletes(client: DensefogClient) -> None:
    made = client.create_resources("instance", count=2, name=unique("cleanup"))
    report = clean_up([made.resources], timeout=30)
    assert [how for _, how in report.done] == ["deleted"]
    assert made.resources.wait(30) == dict.fromkeys(made.ids, "deleted")
    assert clean_up([made.resources], timeout=30).done == []


def test_cleanup_skips_those_deleted_meanwhile(client: DensefogClient) -> None:
    made = client.create_resources("instance", count=2, name=unique("half"))
    made.resources.wait(30)
    client.call("DeleteInstances", instanceIds=made.ids[:1])
    report = clean_up([made.resources], timeout=30)
    assert not report.failed
    assert made.resources.wait(30) == dict.fromkeys(made.ids, "deleted")
