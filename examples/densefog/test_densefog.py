"""densefog from pytest: ``densefog`` is a client of the session's service (embedded unless
configured); ``densefog_resources`` creates resources whose jobs are tracked by the test."""

import uuid

RUN = uuid.uuid4().hex[:8]


def test_instances(densefog, densefog_resources):
    made = densefog_resources("instance", count=2, name=f"web-{RUN}")
    assert made.resources.wait(60, status="active")
    assert made.job.wait(60).native_state == "finished"
    data = densefog.call("DescribeInstances", instanceIds=made.ids)
    assert data["total"] == 2
