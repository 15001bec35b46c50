"""Robot's run ids: the JobLibrary argument, the environment, pabot's caller id, bad ids."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SUITE = """\
*** Settings ***
Library    robotlib.JobLibrary    {args}

*** Test Cases ***
Write The Run Id
    ${{run}}=    Get Run Id
    ${{caller}}=    Evaluate    robotlib._core.conversions.caller_id()
    ...    modules=robotlib._core.conversions
    Evaluate    open(os.environ["OUT"], "a").write($run + " " + $caller + "\\\\n")    modules=os
"""


def _run(
    tmp_path: Path, args: str, *, pabot: bool = False, **env: str
) -> tuple[int, list[str], str]:
    out = tmp_path / "ids.txt"
    out.unlink(missing_ok=True)
    for name in ("a", "b"):
        (tmp_path / f"{name}.robot").write_text(SUITE.format(args=args))
    runner = (
        [sys.executable, "-m", "pabot.pabot", "--processes", "2", "--no-pabotlib"]
        if pabot
        else [sys.executable, "-m", "robot"]
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JOBHARNESS_RUN_ID", "CI_JOB_ID", "GITHUB_RUN_ID", "BUILD_TAG")
    }
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    run = subprocess.run(
        [*runner, "--outputdir", str(tmp_path / "out"), "a.robot", "b.robot"],
        cwd=tmp_path,
        env={**clean, "OUT": str(out), "PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    lines = out.read_text().splitlines() if out.exists() else []
    return run.returncode, lines, run.stdout + run.stderr


def test_the_library_argument_names_the_run_and_the_environment_wins(tmp_path: Path) -> None:
    status, lines, output = _run(tmp_path, "run_id=lib-7")
    assert status == 0, output
    assert len(lines) == 2
    for line in lines:
        run_id, caller = line.split()
        assert run_id == "lib-7" and caller.startswith("lib-7/robot-")
    assert len({line.split()[1] for line in lines}) == 2
    status, lines, output = _run(tmp_path, "run_id=lib-7", JOBHARNESS_RUN_ID="env-1")
    assert status == 0, output
    assert {line.split()[0] for line in lines} == {"env-1"}


def test_a_bad_library_argument_is_refused_saying_where(tmp_path: Path) -> None:
    status, lines, output = _run(tmp_path, "run_id=bad/id")
    assert status != 0 and not lines
    assert "JobLibrary run_id: 'bad/id' is not a valid run id" in output


def test_pabot_processes_carry_their_caller_id_unless_the_run_is_named(tmp_path: Path) -> None:
    status, lines, output = _run(tmp_path, "", pabot=True)
    assert status == 0, output
    ids = {line.split()[0] for line in lines}
    assert len(lines) == 2 and len(ids) == 2, lines
    assert all(len(run_id) == 32 for run_id in ids)  # pabot's caller id: one per process
    status, lines, output = _run(tmp_path, "", pabot=True, JOBHARNESS_RUN_ID="whole-run")
    assert status == 0, output
    assert {line.split()[0] for line in lines} == {"whole-run"}
