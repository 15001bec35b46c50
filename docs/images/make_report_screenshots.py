"""Make the screenshots of docs/reporting.md from real runs against embedded saltant servers.

    python docs/images/make_report_screenshots.py [--keep DIR]

Runs a small Robot suite and a small pytest module (written below) that start
saltant jobs which succeed, fail and are cancelled by the cleanup, then opens
Robot's log.html, the pytest-html report and the standalone
``--jobharness-report`` page in headless Chromium (Debian's ``chromium``) and
writes ``timeline-robot-log.png``, ``timeline-pytest-html.png`` and
``timeline-standalone.png`` next to this script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

SLEEPER = """\
import json, sys, time
args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
time.sleep(float(args.get("seconds", 0)))
print(f"step {args.get('step', '?')}: slept {args.get('seconds', 0)} s")
if args.get("exit_code"):
    print("error: 3 tests failed", file=sys.stderr)
sys.exit(int(args.get("exit_code", 0)))
"""

SUITE = """\
*** Settings ***
Library         robotlib.SaltantLibrary    timeout=30 s
Suite Setup     Provision


*** Variables ***
${RUN}          ${{ __import__("uuid").uuid4().hex[:6] }}


*** Test Cases ***
Nightly Build Steps
    ${compile}=    Start Task Instance    step-${RUN}    q-${RUN}    name=compile
    ...    arguments=${{ {"step": "compile", "seconds": 1.5} }}
    ${lint}=    Start Task Instance    step-${RUN}    q-${RUN}    name=lint
    ...    arguments=${{ {"step": "lint", "seconds": 0.6} }}
    ${unit}=    Start Task Instance    step-${RUN}    q-${RUN}    name=unit-tests
    ...    arguments=${{ {"step": "unit", "seconds": 1.0, "exit_code": 1} }}
    ${soak}=    Start Task Instance    step-${RUN}    q-${RUN}    name=soak-test
    ...    arguments=${{ {"step": "soak", "seconds": 60} }}
    # one wait sees every state change of all four (the soak test is still running at 2.5 s)
    Wait For Task Instances    ${compile}    ${lint}    ${unit}    ${soak}
    ...    timeout=2.5 s    on_timeout=continue
    Task Instance Should Have Succeeded    ${compile}
    Task Instance Should Have Failed    ${unit}


*** Keywords ***
Provision
    ${python}=    Evaluate    sys.executable    modules=sys
    Create Executable Task Type    step-${RUN}    ${python} ${CURDIR}/sleeper.py
    ...    required_arguments=${{ ["seconds"] }}    defaults=${{ {"seconds": 0} }}
    Create Task Whitelist    wl-${RUN}    executable_task_types=${{ ["step-${RUN}"] }}
    Create Task Queue    q-${RUN}    whitelists=${{ ["wl-${RUN}"] }}
"""

TESTS = """\
import os, sys, uuid
import pytest
from jobharness.waiting import wait_for

SLEEPER = os.path.join(os.path.dirname(__file__), "sleeper.py")


@pytest.fixture(scope="module")
def step(saltant):
    run = uuid.uuid4().hex[:6]
    kind = saltant.executable_task_types.create(
        f"step-{run}", f"{sys.executable} {SLEEPER}", required_arguments=["seconds"],
        required_arguments_default_values={"seconds": 0},
    )
    wl = saltant.task_whitelists.create(f"wl-{run}", whitelisted_executable_task_types=[kind.id])
    return kind, saltant.task_queues.create(f"q-{run}", whitelists=[wl.id])


def test_release_checks(saltant_job, step):
    build = saltant_job(*step, {"step": "build", "seconds": 1.2}, name="build")
    docs = saltant_job(*step, {"step": "docs", "seconds": 0.5}, name="docs")
    soak = saltant_job(*step, {"step": "soak", "seconds": 60}, name="soak")
    wait_for([build, docs, soak], 2.2, on_timeout="continue")  # one wait polls all three
    assert build.result.ok and docs.result.ok
    assert soak.state.value == "running"


def test_integration(saltant_job, step):
    api = saltant_job(*step, {"step": "api", "seconds": 0.8}, name="api-suite")
    ui = saltant_job(*step, {"step": "ui", "seconds": 1.4, "exit_code": 1}, name="ui-suite")
    wait_for([api, ui], 30)
    assert api.result.ok
    assert ui.result.ok, "the ui suite failed"
"""


def chromium() -> str:
    """Debian's chromium, or exit saying it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        sys.exit("no chromium on PATH (./dev.sh setup installs Debian's chromium)")
    return found


def screenshot(page: str, target: Path, size: str, profile: Path) -> None:
    """Screenshot ``page`` (a URL) into ``target`` with a window of ``size`` (``W,H``)."""
    command = [chromium(), "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]
    if os.geteuid() == 0:
        command.append("--no-sandbox")
    command += [
        f"--user-data-dir={profile}",
        f"--window-size={size}",
        "--virtual-time-budget=3000",
        f"--screenshot={target}",
        page,
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(f"{target} ({target.stat().st_size // 1024} KB)")


def run(work: Path) -> None:
    """Run both suites in ``work`` and take the screenshots."""
    (work / "sleeper.py").write_text(SLEEPER)
    (work / "nightly.robot").write_text(SUITE)
    (work / "test_release.py").write_text(TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBHARNESS_", "SALTANT_"))}
    robot = [sys.executable, "-m", "robot", "--outputdir", "robot", "nightly.robot"]
    subprocess.run(robot, cwd=work, env=env, check=False, timeout=300)
    pytest_run = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-o",
        "render_collapsed=",
        "--html=pytest/report.html",
        "--self-contained-html",
        "--jobharness-report=pytest/jobs.html",
        "test_release.py",
    ]
    subprocess.run(pytest_run, cwd=work, env=env, check=False, timeout=300)
    profile = work / "profile"
    log = (work / "robot" / "log.html").as_uri() + "#s1-t1"
    screenshot(log, HERE / "timeline-robot-log.png", "1100,1300", profile)
    report = (work / "pytest" / "report.html").as_uri()
    screenshot(report, HERE / "timeline-pytest-html.png", "1200,1100", profile)
    page = (work / "pytest" / "jobs.html").as_uri()
    screenshot(page, HERE / "timeline-standalone.png", "1000,560", profile)


def main() -> None:
    """Parse the arguments and make the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="run in this directory and keep it")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="jobharness-screens-") as work:
        run(Path(work))


if __name__ == "__main__":
    main()
