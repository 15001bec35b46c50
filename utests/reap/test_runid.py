"""Run ids: where they come from, what is refused, and that job names keep them."""

from __future__ import annotations

import pytest

from jobharness.errors import ConfigurationError
from jobharness.runid import (
    carries_run_id,
    check_run_id,
    detect_run_id,
    generated_run_id,
    job_name,
)


def test_an_explicit_id_wins_over_the_environment_and_ci() -> None:
    env = {"JOBHARNESS_RUN_ID": "from-env", "CI_JOB_ID": "77"}
    found = detect_run_id("nightly-42", "--jobharness-run-id", environ=env)
    assert (found.value, found.source) == ("nightly-42", "--jobharness-run-id")


def test_the_environment_wins_over_ci_and_the_runner() -> None:
    env = {"JOBHARNESS_RUN_ID": "from-env", "GITHUB_RUN_ID": "9"}
    found = detect_run_id(environ=env, runner_id="abc")
    assert (found.value, found.source) == ("from-env", "env JOBHARNESS_RUN_ID")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CI_JOB_ID": "1234"}, "gl-1234"),
        ({"GITHUB_RUN_ID": "555", "GITHUB_RUN_ATTEMPT": "2"}, "gh-555-2"),
        ({"GITHUB_RUN_ID": "555"}, "gh-555-1"),
        ({"BUILD_TAG": "jenkins-my job/x-17"}, "jenkins-my-job-x-17"),
    ],
)
def test_a_ci_job_id_is_used_and_made_valid(env: dict[str, str], expected: str) -> None:
    found = detect_run_id(environ=env, runner_id="xdist-uid")
    assert found.value == expected
    assert check_run_id(found.value) == found.value


def test_the_runners_id_comes_before_a_generated_one() -> None:
    found = detect_run_id(environ={}, runner_id="0f3a{weird}", runner_source="pabot")
    assert (found.value, found.source) == ("0f3a-weird", "pabot")
    generated = detect_run_id(environ={})
    assert generated.value == generated_run_id() and generated.source == "generated"
    assert generated.value.startswith("jh-")


@pytest.mark.parametrize("bad", [" ", "has space", "-dash-first", "a/b", "x" * 49, "é"])
def test_a_bad_run_id_is_refused_saying_where_it_came_from(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=r"env JOBHARNESS_RUN_ID: .* not a valid run id"):
        detect_run_id(environ={"JOBHARNESS_RUN_ID": bad})


def test_a_long_ci_id_is_cut_to_a_valid_one() -> None:
    found = detect_run_id(environ={"BUILD_TAG": "jenkins-" + "folder-" * 20 + "99"})
    assert len(found.value) <= 48 and found.value.endswith("-99")
    assert check_run_id(found.value) == found.value


def test_a_job_name_keeps_its_run_id_whatever_the_limit_cuts() -> None:
    caller = "gw3:" + "tests/very/long/" * 20 + "test_it#2"
    name = job_name("nightly-42", caller, label="sleeper", limit=80)
    assert len(name) == 80
    assert name.startswith("sleeper@nightly-42/...") and name.endswith("test_it#2")
    assert carries_run_id(name, "nightly-42")
    squeezed = job_name("nightly-42", caller, label="L" * 200, limit=60)
    assert len(squeezed) <= 60 and carries_run_id(squeezed, "nightly-42")
    plain = job_name("nightly-42", "main:test_x.py::test_y#1")
    assert plain == "nightly-42/main:test_x.py::test_y#1"


def test_a_name_carries_its_own_run_id_only() -> None:
    name = job_name("run-1", "main:t.py::test#1", label="sleeper")
    assert carries_run_id(name, "run-1")
    assert not carries_run_id(name, "run")
    assert not carries_run_id(name, "run-10")
    assert not carries_run_id(job_name("xrun-1", "c"), "run-1")
