"""The standalone job report as headless Chromium shows it (Debian's ``chromium``)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from jobharness.jobs import JobState
from jobharness.timeline import COLOURS

from .browser import chromium, png_rows, run_chromium
from .conftest import THREE_JOBS


def rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


@pytest.fixture
def page(pytester: pytest.Pytester, inner_args: list[str]) -> Path:
    """The standalone report of a run with a succeeded, a failed and a cancelled job."""
    chromium()
    pytester.makepyfile(test_inner=THREE_JOBS)
    result = pytester.runpytest(*inner_args, "--jobharness-report=jobs.html")
    result.assert_outcomes(passed=2, failed=1)
    return pytester.path / "jobs.html"


def test_the_browser_builds_one_bar_per_job_with_its_hover_text(page: Path, tmp_path: Path) -> None:
    dom = run_chromium(page, "--dump-dom", profile=tmp_path / "profile")
    groups = re.findall(
        r'<g class="job" data-state="(\w+)" data-colour="([^"]+)"><title>([^<]*)</title>', dom
    )
    assert [(state, colour) for state, colour, _ in groups] == [
        ("succeeded", COLOURS[JobState.SUCCEEDED]),
        ("failed", COLOURS[JobState.FAILED]),
        ("cancelled", COLOURS[JobState.CANCELLED]),
        ("failed", COLOURS[JobState.FAILED]),
    ]
    titles = [html.unescape(title).splitlines() for _, _, title in groups]
    assert [t[0].split("@")[0] for t in titles] == ["ok", "bad", "left", "broken"]
    assert all(re.fullmatch(r"saltant job [0-9a-f-]{36}", t[1]) for t in titles)
    assert titles[2][2] == "state: cancelled (native 'terminated')"
    assert titles[1][2] == "state: failed (native 'failed')"
    # the bars are drawn where the DOM says: svg rects with the state's colour
    assert dom.count('class="ran" ') == 4


def test_the_screenshot_shows_the_bars_in_their_colours(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "jobs.png"
    run_chromium(
        page, f"--screenshot={shot}", "--window-size=1000,700", profile=tmp_path / "profile"
    )
    rows = png_rows(shot)

    def widest(state: JobState) -> int:
        colour = rgb(COLOURS[state])
        return max(row[colour] for row in rows)

    # a bar's running part is far wider than the 12 px square of the legend
    for state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED):
        assert widest(state) > 40, (state, widest(state))
    assert widest(JobState.RUNNING) == 0  # nothing was left unfinished
