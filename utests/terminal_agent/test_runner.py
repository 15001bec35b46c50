"""crl's RunnerTerminal surface on a real local agent: calls, proxies, errors, async, handles."""

from __future__ import annotations

import gc
import os
import time

import pytest

from jobharness.backends.terminal.agentjob import RemoteCall
from jobharness.backends.terminal.proxies import RecursiveProxy, RemoteProxy
from jobharness.backends.terminal.runner import HandledValue, RunnerTerminal
from jobharness.backends.terminal.runner_errors import (
    InvalidProxySession,
    RemoteError,
    RemoteTimeout,
    RunnerException,
    RunnerTerminalSessionClosed,
)
from jobharness.errors import ConfigurationError, JobHarnessError
from jobharness.jobs import JobState
from utests.terminal_agent.conftest import wait_until
from utests.timing import assert_ended_by


def requests(runner: RunnerTerminal) -> int:
    assert runner._link is not None
    return runner._link.requests


def test_run_python(runner: RunnerTerminal) -> None:
    assert runner.run_python("1+1") == 2
    assert runner.run_python("x = 5") is None
    assert runner.run_python("y = x * 2\ny + 1") == 11
    assert runner.run_python("(1, 'a', b'b', None, {1: [2.5]})") == (1, "a", b"b", None, {1: [2.5]})
    assert runner.run_python("x = (1,\n 2)\nx") == (1, 2)  # crl broke on this from Python 3.10


def test_run_python_call_and_imports(runner: RunnerTerminal) -> None:
    runner.import_libraries("os", "json")
    assert runner.run_python_call("os.path.join", "a", "b") == "a/b"
    assert runner.run_python_call("json.dumps", {"k": [1]}, sort_keys=True) == '{"k": [1]}'
    assert runner.run_python_call_with_timeout(5, "len", ([1, 2],), {}) == 2
    assert runner.iscallable("os.getpid") and not runner.iscallable("os.sep")


def test_assign_and_run_python(runner: RunnerTerminal) -> None:
    assert runner.assign_and_run_python("value", "40 + 2") == HandledValue(True, 42)
    assert runner.assign_and_run_python("things", "[1, 2]") == HandledValue(False, None)
    assert runner.run_python("things") == [1, 2]
    assert runner.run_and_return_handled_python("value") == HandledValue(True, 42)


def test_proxy_methods_attributes_and_items(runner: RunnerTerminal) -> None:
    runner.import_libraries("os")
    os_proxy = runner.get_proxy_object("os", None)
    assert os_proxy.getpid() == runner.run_python("os.getpid()") != os.getpid()
    assert os_proxy.sep == "/"
    assert runner.isproxy(os_proxy.path) and not runner.isproxy(5)
    mapping = runner.get_proxy_object_from_call("dict", a=1)
    assert mapping.get("a") == 1 and mapping["a"] == 1 and "a" in mapping and len(mapping) == 1
    mapping["b"] = b"\x00"
    del mapping["a"]
    assert mapping.as_local_value() == {"b": b"\x00"}
    assert mapping.get_proxy_handle().startswith("_jh_objects[")
    assert runner.run_python(f"{mapping.get_proxy_handle()}['b']") == b"\x00"
    assert "get" in dir(mapping) and repr(mapping).startswith("<RemoteProxy <builtins.dict")
    space = runner.get_proxy_object_from_call("__import__('types').SimpleNamespace")
    space.answer = 42
    assert space.answer == 42
    del space.answer
    with pytest.raises(AttributeError):
        space.answer  # noqa: B018


def test_a_cached_method_is_one_round_trip_and_the_spec_is_fetched_once(
    runner: RunnerTerminal,
) -> None:
    runner.import_libraries("os")
    os_proxy = runner.get_proxy_object("os", None)
    os_proxy.getpid()  # fetches the spec of os, once
    before = requests(runner)
    for _ in range(5):
        os_proxy.getpid()
    assert requests(runner) - before == 5
    other = runner.get_proxy_object("os", None)
    before = requests(runner)
    other.getcwd()
    assert requests(runner) - before == 1  # the spec of "os" is known on this connection


def test_references_carry_their_type_spec(runner: RunnerTerminal) -> None:
    first = runner.get_proxy_object_from_call("dict")
    second = runner.get_proxy_object_from_call("dict")
    before = requests(runner)
    first.keys(), second.keys()
    assert requests(runner) - before == 2


def test_local_spec(runner: RunnerTerminal) -> None:
    runner.run_python("import io; stream = io.StringIO('a\\nb\\n')")
    stream = runner.get_proxy_object("stream", local_spec=__import__("io").StringIO)
    before = requests(runner)
    assert stream.readline() == "a\n"
    assert requests(runner) - before == 1


def test_recursive_proxy_steps_are_one_round_trip_each(runner: RunnerTerminal) -> None:
    runner.import_libraries("os")
    recursive = runner.get_recursive_proxy("os")
    before = requests(runner)
    assert recursive.path.join("a", "b") == "a/b"
    assert requests(runner) - before == 2  # os.path (a reference with its spec), then the call
    path = recursive.path
    before = requests(runner)
    assert path.join("c", "d") == "c/d"
    assert requests(runner) - before == 1
    assert isinstance(path, RecursiveProxy) and str(path).startswith("<module")
    assert list(runner.get_recursive_proxy("range(3)")) == [0, 1, 2]
    nested = runner.get_recursive_proxy("[[1, 2], [3]]")
    assert isinstance(nested[0], RecursiveProxy) and nested[0][1] == 2


def test_get_proxy_or_basic_from_call(runner: RunnerTerminal) -> None:
    assert runner.get_proxy_or_basic_from_call("len", "abc") == 3
    assert isinstance(runner.get_proxy_or_basic_from_call("list", "ab"), RemoteProxy)
    handle = runner.get_proxy_or_basic_from_call_with_timeout(5, "dict", (), {"x": 1})
    assert handle.as_local_value() == {"x": 1}


def test_proxies_as_arguments(runner: RunnerTerminal) -> None:
    items = runner.get_proxy_object_from_call("list", [3, 1, 2])
    assert runner.run_python_call("sorted", items) == [1, 2, 3]
    assert runner.run_python_call("len", items) == 3


def test_empty_proxies_and_set_from_remote_proxy(runner: RunnerTerminal) -> None:
    empty = runner.create_empty_remote_proxy()
    with pytest.raises(InvalidProxySession, match="empty"):
        empty.keys()
    donor = runner.get_proxy_object_from_call("dict", k="v")
    empty.set_from_remote_proxy(donor)
    assert empty.get("k") == "v"
    with pytest.raises(InvalidProxySession):
        donor.get("k")
    recursive = runner.create_empty_recursive_proxy()
    recursive.set_from_remote_proxy(runner.get_recursive_proxy("'text'"))
    assert recursive.upper() == "TEXT"


def test_remote_errors_are_data_and_match_builtins(runner: RunnerTerminal) -> None:
    with pytest.raises(KeyError) as caught:
        runner.run_python("{}['missing']")
    error = caught.value
    assert isinstance(error, RemoteError) and isinstance(error, RunnerException)
    assert isinstance(error, JobHarnessError)
    assert error.remote_type == "KeyError" and "missing" in str(error)
    assert "Traceback" in error.remote_traceback and error.trace
    runner.run_python("class Custom(ValueError):\n    pass")
    with pytest.raises(ValueError, match="Custom: boom"):
        runner.run_python("raise Custom('boom')")
    with pytest.raises(RemoteError, match="SystemExit"):
        runner.run_python("raise SystemExit(3)")
    assert runner.run_python("'still alive'") == "still alive"


def test_a_timeout_raises_remote_timeout_and_the_reply_can_be_fetched(
    runner: RunnerTerminal,
) -> None:
    with pytest.raises(RemoteTimeout) as caught:
        runner.run_python("import time; time.sleep(0.5); 'late'", timeout=0.05)
    assert runner.run_python("'meanwhile'") == "meanwhile"
    assert runner.get_response(caught.value, timeout=10) == "late"


def test_negative_timeouts_and_asynchronous_proxies(runner: RunnerTerminal) -> None:
    with pytest.raises(RemoteTimeout) as caught:
        runner.run_python("21 * 2", timeout=-1)
    assert runner.get_response(caught.value, 10) == 42
    sleeper = runner.get_proxy_object("__import__('time')", None)
    sleeper.remote_proxy_use_asynchronous_response()
    handle = sleeper.sleep(0.2)
    assert isinstance(handle, RemoteTimeout)
    assert sleeper.get_remote_proxy_response(handle, 10) is None
    sleeper.set_remote_proxy_timeout(None)
    assert sleeper.monotonic() > 0
    sleeper.set_remote_proxy_timeout(0.05)
    with pytest.raises(RemoteTimeout):
        sleeper.sleep(0.5)


def test_calls_are_jobs(runner: RunnerTerminal) -> None:
    runner.run_python("import threading; release = threading.Event()")
    job = runner.start_python("release.wait(30) and 'done'")
    assert isinstance(job, RemoteCall) and job.refresh() is JobState.RUNNING
    runner.run_python("release.set()")
    assert job.wait(10).value == "done" and job.state is JobState.SUCCEEDED
    failing = runner.start_call("int", "not a number")
    assert failing.wait(10).state is JobState.FAILED and "ValueError" in (
        failing.result.error or ""
    )
    with pytest.raises(ValueError):
        failing.value()
    slow = runner.start_python("import time; time.sleep(60)")
    assert slow.cancel() and slow.state is JobState.CANCELLED
    method = runner.get_proxy_object("__import__('os')", None).getpid
    assert method.start().value(10) == runner.run_python("__import__('os').getpid()")


def test_handles_are_released_in_batches(runner: RunnerTerminal) -> None:
    count = "len(_jh_objects.objects)"
    base = runner.run_python(count)
    proxies = [runner.get_proxy_object_from_call("object") for _ in range(10)]
    assert runner.run_python(count) == base + 10
    del proxies
    gc.collect()
    before = requests(runner)
    assert runner.run_python(count) == base  # the releases went with this request
    assert requests(runner) - before == 1


def test_hostile_objects_run_nothing_here(runner: RunnerTerminal, tmp_path) -> None:
    marker = tmp_path / "pwned"
    runner.run_python(
        "class Evil:\n"
        f"    def __reduce__(self):\n        return (open, ({str(marker)!r}, 'w'))\n"
        "evil = Evil()"
    )
    value = runner.run_python("evil")
    assert isinstance(value, RemoteProxy)
    assert isinstance(value.as_local_value(), RemoteProxy)
    assert runner.run_python("[evil, {'k': evil}]")[1]["k"].__class__ is RemoteProxy
    assert not marker.exists()
    pid = runner.run_python("__import__('os').getpid()")
    assert pid != os.getpid()


def test_local_objects_are_refused_before_sending(runner: RunnerTerminal) -> None:
    with pytest.raises(ConfigurationError, match="only data"):
        runner.run_python_call("len", object())


def test_a_closed_runner_says_so() -> None:
    runner = RunnerTerminal()
    with pytest.raises(RunnerTerminalSessionClosed):
        runner.run_python("1")


def test_closing_ends_the_agent_and_what_it_started(runner: RunnerTerminal) -> None:
    child = runner.run_python("import subprocess; subprocess.Popen(['sleep', '60']).pid")
    agent_pid = runner.run_python("__import__('os').getpid()")
    stale = runner.get_proxy_object_from_call("dict")
    assert runner.clean_up() is True
    from utests.terminal_agent.conftest import process_gone

    wait_until(lambda: process_gone(child) and process_gone(agent_pid))
    assert runner.clean_up() is False
    with pytest.raises(InvalidProxySession):
        stale.keys()


def test_a_proxy_of_another_runner_fails_fast(runner: RunnerTerminal) -> None:
    other = RunnerTerminal(runner._starter)
    other.initialize()
    try:
        theirs = other.get_proxy_object_from_call("dict")
        began = time.monotonic()
        with pytest.raises(InvalidProxySession):
            runner.run_python_call("len", theirs)
        assert_ended_by(time.monotonic() - began, 0, "a call with another runner's proxy")
    finally:
        other.close()


def test_many_threads_share_one_agent(runner: RunnerTerminal) -> None:
    import threading

    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(150):
                assert runner.run_python_call("str", n * 1000 + i) == str(n * 1000 + i)
                if i % 50 == 0:
                    assert runner.run_python(f"__import__('time').sleep(0.01) or {n}") == n
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and not any(thread.is_alive() for thread in threads)
