"""The pytest plugin's run ids: in the header, shared by xdist workers, in every job's name."""

from __future__ import annotations

import re

import pytest

NAMES_TEST = """\
import os, pytest
from pytest_plugin._common import caller_id

@pytest.mark.parametrize("n", range(4))
def test_names(request, n):
    with open(os.environ["NAMES_FILE"], "a") as names:
        names.write(caller_id(request) + "\\n" + caller_id(request) + "\\n")
"""

CI_VARIABLES = (
    "JOBHARNESS_RUN_ID",
    "CI_JOB_ID",
    "GITHUB_RUN_ID",
    "BUILD_TAG",
    "PYTEST_XDIST_WORKER",
)


def _run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, list[str]]:
    """Run the names test in a subprocess; return its result and the names it was given."""
    names = pytester.path / "names.txt"
    names.unlink(missing_ok=True)
    pytester.makepyfile(NAMES_TEST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NAMES_FILE", str(names))
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    return result, names.read_text().split() if names.exists() else []


def test_each_job_of_a_test_gets_its_own_name_carrying_the_run_id(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    result, names = _run(pytester)
    result.assert_outcomes(passed=4)
    header = [line for line in result.outlines if line.startswith("jobharness run id:")]
    assert len(header) == 1, result.outlines
    found = re.match(
        r"jobharness run id: (\S+) \(generated\); after a crash: jobharness reap \1$", header[0]
    )
    assert found, header
    assert len(names) == 8 and len(set(names)) == 8, names
    assert all(name.startswith(f"{found.group(1)}/main:test_") for name in names)
    assert {name.rsplit("#", 1)[1] for name in names} == {"1", "2"}


def test_xdist_workers_share_the_controllers_run_id(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    result, names = _run(pytester, "-n", "2")
    result.assert_outcomes(passed=4)
    header = next(line for line in result.outlines if line.startswith("jobharness run id:"))
    run_id = header.split()[3]
    assert run_id.startswith("jh-")
    assert len(set(names)) == 8, names
    assert {name.split("/", 1)[0] for name in names} == {run_id}
    assert {name.split("/", 1)[1].split(":", 1)[0] for name in names} <= {"gw0", "gw1"}


def test_an_explicit_run_id_is_used_and_a_bad_one_refused(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBHARNESS_RUN_ID", "from-env")
    _, names = _run(pytester)
    assert names and all(name.startswith("from-env/") for name in names)
    result, names = _run(pytester, "--jobharness-run-id=nightly-7")
    assert names and all(name.startswith("nightly-7/") for name in names)
    assert "jobharness run id: nightly-7 (--jobharness-run-id)" in result.stdout.str()
    result, names = _run(pytester, "--jobharness-run-id=bad id")
    assert result.ret != 0 and not names
    assert "--jobharness-run-id: 'bad id' is not a valid run id" in (
        result.stdout.str() + result.stderr.str()
    )
