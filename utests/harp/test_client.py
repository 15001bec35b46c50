"""The dispatcher client against the embedded dispatcher: submit, results, metadata, cancel."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from jobharness.backends.harp import (
    CALL_CANCELLED,
    CALL_NOT_FINISHED,
    CancelledException,
    HarpCaller,
    RemoteCall,
    RemoteError,
    RemoteException,
    RequestRejected,
    UnknownJob,
)
from jobharness.deadline import Deadline
from jobharness.errors import (
    JobCancelled,
    JobFailed,
    NotFound,
    ValidationError,
    WaitTimeout,
)
from jobharness.jobs import JobState
from jobharness.waiting import wait_for


def wait_until_started(call: RemoteCall, timeout: float = 10.0) -> None:
    """Refresh until the job left the queue (a deadline, not a timing assertion)."""
    deadline = Deadline(timeout)
    while call.refresh() is JobState.PENDING:
        assert not deadline.expired, f"{call.summary()} did not start"
        deadline.sleep(0.05)


def test_submit_and_get_positional_and_keyword(harp: HarpCaller) -> None:
    assert harp.local.add(2, 40).get() == {"sum": 42, "difference": -38}
    assert harp.host("local").add(a=5, b=3).get() == {"sum": 8, "difference": 2}
    assert harp.local.ping().get() == "pong"


def test_call_is_a_harp_job_with_native_state(harp: HarpCaller) -> None:
    call = harp.local.ping()
    assert isinstance(call, RemoteCall) and call.backend == "harp"
    assert call.id() == call.id and uuid.UUID(call.id)
    result = call.wait(20)
    assert result.state is JobState.SUCCEEDED and result.native_state == "result"
    assert result.value == "pong" and result.ok
    assert call.name == "local.ping"


def test_mixing_positional_and_keyword_arguments_raises_locally(harp: HarpCaller) -> None:
    with pytest.raises(ValidationError, match="positional or keyword arguments, not both"):
        harp.local.add(1, b=2)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"concurrency": 2}, "concurrency"),
        ({"queue": "svc"}, "queue"),
        ({"queue": {"q": 1}, "concurrency": 0}, "concurrency"),
        ({"timeout": 0}, "timeout"),
        ({"max_exec_time": "soon"}, "max_exec_time"),
    ],
)
def test_bad_job_options_are_rejected_locally(
    harp: HarpCaller, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        harp.host("local", **options)
    assert caught.value.field == field


def test_metadata_from_one_status(harp: HarpCaller) -> None:
    call = harp.host("local", info={"ticket": 123}).add(a=2, b=40)
    call.get()
    status = call.status()
    assert call.status() is status  # cached
    assert (call.host(), call.procedure(), call.args(), call.info()) == (
        "local",
        "add",
        {"a": 2, "b": 40},
        {"ticket": 123},
    )
    refreshed = call.status(refresh=True)
    assert refreshed.submit is not None and refreshed.start is not None
    assert refreshed.end is not None and refreshed.submit <= refreshed.start <= refreshed.end
    assert (call.submit_time(), call.start_time(), call.end_time()) == (
        refreshed.submit,
        refreshed.start,
        refreshed.end,
    )


def test_a_job_is_reachable_by_id_from_another_client(harp: HarpCaller) -> None:
    call = harp.local.add(1, 1)
    other = HarpCaller.from_url(harp.url)
    assert other.job(call.id).get() == {"sum": 2, "difference": 0}


def test_result_without_wait_while_running(harp: HarpCaller) -> None:
    call = harp.local.sleep(2)
    assert call.result(wait=False) is CALL_NOT_FINISHED
    assert call.get(wait=False) is CALL_NOT_FINISHED
    assert call.result(wait=True) == 2
    assert call.result() == 2  # cached


def test_remote_exception_returned_by_result_raised_by_get(harp: HarpCaller) -> None:
    call = harp.local.fail("bad thing")
    returned = call.result(wait=True)
    assert isinstance(returned, RemoteException)
    with pytest.raises(RemoteException) as caught:
        call.get()
    error = caught.value
    assert isinstance(error, JobFailed) and error.job is call
    assert (error.type, error.message) == ("ValueError", "bad thing")
    assert error.data == {"class": "ValueError", "module": "builtins"}
    assert call.state is JobState.FAILED and call.native_state == "exception"
    assert call.result.error == "ValueError: bad thing"
    assert call.result.details["type"] == "ValueError"


def test_wrong_argument_count_is_a_type_error_exception(harp: HarpCaller) -> None:
    with pytest.raises(RemoteException) as caught:
        harp.local.add(1).get()
    assert caught.value.type == "TypeError"


def test_unknown_host_and_procedure_are_remote_errors(harp: HarpCaller) -> None:
    with pytest.raises(RemoteError) as caught:
        harp.host("no-such-host").ping().get()
    assert caught.value.type == "unknown_host"
    call = harp.local.no_such_procedure()
    with pytest.raises(RemoteError) as caught:
        call.get()
    assert caught.value.type == "no_such_procedure"
    assert caught.value.data == {"procedure": "no_such_procedure"}
    assert call.state is JobState.ERROR and call.native_state == "error"


def test_cancel_a_running_call(harp: HarpCaller) -> None:
    call = harp.local.sleep(30)
    wait_until_started(call)
    assert call.native_state == "running"
    assert call.cancel() is True
    assert call.state is JobState.CANCELLED and call.native_state == "cancelled"
    assert call.result() is CALL_CANCELLED
    with pytest.raises(CancelledException) as caught:
        call.get()
    assert isinstance(caught.value, JobCancelled)
    assert call.cancel() is False
    other = HarpCaller.from_url(harp.url).job(call.id)
    assert other.refresh() is JobState.CANCELLED
    assert other.end_time() is not None


def test_cancel_of_a_finished_call_is_refused(harp: HarpCaller) -> None:
    call = harp.local.ping()
    other = HarpCaller.from_url(harp.url).job(call.id)
    call.get()
    assert other.cancel() is False
    assert other.state is JobState.SUCCEEDED


def test_queue_with_concurrency_one_runs_jobs_one_after_another(harp: HarpCaller) -> None:
    queue = {"test": str(uuid.uuid4())}
    first = harp.host("local", queue=queue, concurrency=1).sleep(1)
    second = harp.host("local", queue=queue, concurrency=1).ping()
    wait_until_started(first)
    assert second.refresh() is JobState.PENDING and second.native_state == "queued"
    assert second.start_time() is None
    wait_for([first, second], 20)
    assert second.get() == "pong"
    assert second.status(refresh=True).start is not None


def test_wait_timeouts_name_the_job_and_its_state(harp: HarpCaller) -> None:
    call = harp.local.sleep(5)
    with pytest.raises(WaitTimeout) as caught:
        call.get(timeout=0.3)
    assert call.id in str(caught.value) and "local.sleep" in str(caught.value)
    with pytest.raises(WaitTimeout, match="still unfinished"):
        call.wait(0.2)
    call.cancel()


def test_unknown_job(harp: HarpCaller) -> None:
    job = harp.job(str(uuid.uuid4()))
    with pytest.raises(UnknownJob) as caught:
        job.get()
    assert isinstance(caught.value, NotFound) and caught.value.type == "invalid_jobid"
    with pytest.raises(UnknownJob):
        job.host()
    with pytest.raises(UnknownJob):
        list(job.follow(timeout=5))
    with pytest.raises(UnknownJob):
        list(job.stream())


def test_raw_request_rejected_by_the_dispatcher_names_the_request(
    harp: HarpCaller,
) -> None:
    assert harp.request({"harpcaller": 1, "get_status": str(uuid.uuid4())})["error"]
    with pytest.raises(RequestRejected) as caught:
        harp.request({"harpcaller": 1, "get_result": "x", "bogus": True})
    assert "bogus" in str(caught.value) and "request rejected" in str(caught.value)


def test_floats_and_emoji_in_requests_reach_the_dispatcher(harp: HarpCaller) -> None:
    info = {"small": 1e-07, "big": 1e22, "smile": "😀", "path": "a/b"}
    call = harp.host("local", info=info).ping()
    assert call.info() == info
    assert call.get() == "pong"


def test_long_form_floats_in_replies_decode_to_the_same_values(harp: HarpCaller) -> None:
    # harpd writes these with a decimal point, so the job survives the dispatcher
    arguments = [1.5, 0.1, -2.25, 2.5e-10, 1.7976931348623157e308, -0.0]
    info = {"small": 1e-07, "big": 1e22, "least": 5e-324, "count": 3}
    call = harp.host("local", info=info).echo(*arguments)
    with harp.transport.open(
        {"harpcaller": 1, "get_status": call.id}, deadline=harp.transport.deadline()
    ) as connection:
        raw = connection.read_line(harp.transport.deadline())
    assert raw is not None and b"1.50000000000000000000e+00" in raw  # the dispatcher's form
    assert b"1e-07" not in raw
    assert call.args() == arguments and call.info() == info
    assert call.get() == {"args": arguments, "kwargs": {}}
    assert str(call.get()["args"][-1]) == "-0.0"
    assert call.stream().all() == []


def test_too_long_request_is_rejected_locally(harp: HarpCaller) -> None:
    with pytest.raises(ValidationError, match="at most"):
        harp.local.echo("x" * 1_100_000)


def test_exponent_float_in_a_harpd_result_loses_the_job_with_a_hint(
    harp: HarpCaller,
) -> None:
    with pytest.raises(RemoteError) as caught:
        harp.local.echo(1e-07).get()
    assert caught.value.type == "missing_result"
    assert "1e-07" in str(caught.value)


def test_engine_waits_on_many_calls(harp: HarpCaller) -> None:
    calls = [harp.local.add(i, i) for i in range(4)]
    finished = wait_for(calls, 20)
    assert len(finished) == 4
    assert [call.result.value["sum"] for call in calls] == [0, 2, 4, 6]
