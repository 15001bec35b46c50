"""The job timeline in Robot's log and in allure-robotframework results (a real robot run)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from robot.api import ExecutionResult

SUITE = Path(__file__).with_name("data") / "timeline.robot"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the suite once against its own embedded saltant, with Allure when it is installed."""
    out = tmp_path_factory.mktemp("robot")
    listener = []
    try:
        import allure_robotframework  # noqa: F401

        listener = ["--listener", f"allure_robotframework:{out / 'allure'}"]
    except ImportError:
        pass
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(out),
            "--console",
            "none",
            *listener,
            str(SUITE),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def html_messages(run: Path, test: str) -> list[str]:
    result = ExecutionResult(str(run / "output.xml"))
    (found,) = [t for t in result.suite.tests if t.name == test]
    return [m.message for m in found.body if getattr(m, "type", "") == "MESSAGE" and m.html]


def test_the_test_log_ends_with_the_timeline_of_its_jobs(run: Path) -> None:
    (timeline,) = html_messages(run, "Three Jobs End Three Ways")
    assert re.findall(r'data-state="(\w+)"', timeline) == ["succeeded", "failed", "cancelled"]
    assert "saltant job timeline: 3 job(s)" in timeline
    titles = re.findall(r"<title>([^<]*)</title>", timeline)
    assert [t.split("-")[0] for t in titles] == ["ok", "bad", "left"]
    assert "state: cancelled (native &#x27;terminated&#x27;)" in titles[2]
    assert "slept 0.2 s" in timeline  # the failed job's output, collapsed under the bars
    assert html_messages(run, "A Test Without Jobs Logs No Timeline") == []


def test_allure_results_get_the_timeline_and_the_failed_output(run: Path) -> None:
    pytest.importorskip("allure_robotframework")
    results = {}
    for path in (run / "allure").glob("*-result.json"):
        data = json.loads(path.read_text())
        results[data["name"]] = {a["name"]: a["source"] for a in data.get("attachments", [])}
    attached = results["Three Jobs End Three Ways"]
    assert "jobharness job timeline" in attached, results
    page = (run / "allure" / attached["jobharness job timeline"]).read_text()
    assert re.findall(r'data-state="(\w+)"', page) == ["succeeded", "failed", "cancelled"]
    outputs = [name for name in attached if name.startswith("output of saltant job ")]
    assert len(outputs) == 1 and "bad-" in outputs[0], attached
    output = outputs[0]
    assert "slept 0.2 s" in (run / "allure" / attached[output]).read_text()
    quiet = results["A Test Without Jobs Logs No Timeline"]
    assert not [name for name in quiet if name.startswith(("jobharness", "output of"))], quiet
