"""The timeline renderer and the job records it draws, without any server."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from jobharness.errors import ConfigurationError
from jobharness.jobrecord import Change, JobRecord, record_of, records_of
from jobharness.jobs import Job, JobResult, JobState
from jobharness.redaction import Redactor
from jobharness.timeline import (
    COLOURS,
    Section,
    render_fragment,
    render_page,
    render_svg,
    shorten,
)

SVG = "{http://www.w3.org/2000/svg}"
T0 = 1_700_000_000.0


def record(name: str, *states: tuple[float, JobState], **kwargs: object) -> JobRecord:
    changes = tuple(Change(T0 + at, state, f"native-{state.value}") for at, state in states)
    return JobRecord("saltant", f"id-{name}", name, changes, **kwargs)  # type: ignore[arg-type]


OK = record("ok", (0, JobState.PENDING), (1, JobState.RUNNING), (3, JobState.SUCCEEDED))
BAD = record("bad", (0.5, JobState.PENDING), (2, JobState.RUNNING), (4, JobState.FAILED))
OPEN = record("open", (1, JobState.PENDING), (2.5, JobState.RUNNING))


def groups(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(f"{SVG}g"))


def bar(group: ET.Element, kind: str) -> ET.Element:
    return next(r for r in group.iter(f"{SVG}rect") if r.get("class") == kind)


def test_one_bar_per_job_coloured_by_its_last_state() -> None:
    found = groups(render_svg([OK, BAD, OPEN]))
    assert [g.get("data-state") for g in found] == ["succeeded", "failed", "running"]
    assert [bar(g, "ran").get("fill") for g in found] == [
        COLOURS[JobState.SUCCEEDED],
        COLOURS[JobState.FAILED],
        COLOURS[JobState.RUNNING],
    ]
    assert bar(found[2], "ran").get("stroke-dasharray")  # unfinished: dashed
    assert bar(found[0], "ran").get("stroke-dasharray") is None


def test_bars_are_placed_on_one_time_axis() -> None:
    ok, bad, still = groups(render_svg([OK, BAD, OPEN]))

    def span(group: ET.Element, kind: str) -> tuple[float, float]:
        rect = bar(group, kind)
        x, width = float(rect.get("x", 0)), float(rect.get("width", 0))
        return x, x + width

    # ok queued 0..1 and ran 1..3; bad queued 0.5..2 and ran 2..4 (the axis is 0..4 s)
    assert span(ok, "queued")[0] < span(bad, "queued")[0] < span(ok, "ran")[0]
    assert span(ok, "queued")[1] == pytest.approx(span(ok, "ran")[0])
    assert span(ok, "ran")[1] < span(bad, "ran")[1]
    assert span(still, "ran")[1] == pytest.approx(span(bad, "ran")[1])  # open: to the axis end
    assert span(ok, "ran")[1] - span(ok, "ran")[0] == pytest.approx(
        span(bad, "ran")[1] - span(bad, "ran")[0]
    )


def test_hover_names_the_job_with_its_native_states_and_times() -> None:
    title = groups(render_svg([BAD]))[0].find(f"{SVG}title")
    assert title is not None and title.text is not None
    lines = title.text.splitlines()
    assert lines[:3] == ["bad", "saltant job id-bad", "state: failed (native 'native-failed')"]
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.500 \+0\.000 s pending \(native-pending\)", lines[3])
    assert lines[-2:] == ["queued 1.500 s", "ran 2.000 s"]


def test_every_string_is_escaped() -> None:
    nasty = JobRecord(
        "b<x>",
        'i"d',
        "<script>alert(1)</script>&",
        (Change(T0, JobState.FAILED, "<b>"),),
        output="</pre><img src=x>",
    )
    page = render_page([Section("test_<x>", "failed", (nasty,))])
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in page
    ET.fromstring(render_svg([nasty]))  # well-formed


def test_nothing_to_draw_without_jobs() -> None:
    assert render_svg([]) == "" and render_fragment([]) == ""
    assert "No test started a job" in render_page([])


class Failing(Job):
    backend = "scripted"

    def __init__(self, output: str) -> None:
        super().__init__("j-1", name="failing", state=JobState.RUNNING)
        self._output = output

    def _fetch_state(self) -> tuple[JobState, str]:
        return JobState.FAILED, "EXIT_3"

    def _cancel(self) -> bool:
        return False

    def _build_result(self) -> JobResult:
        return JobResult(self.id, self.backend, self.state, self.native_state)

    def output(self) -> str | None:
        return self._output


def test_records_ask_unfinished_jobs_once_and_mask_what_clients_know() -> None:
    redactor = Redactor(["s3cr3t-value"])
    job = Failing("x" * 5000 + "token leaked: s3cr3t-value")
    (found,) = records_of([job, "not a job"], secrets={"other-secret"})
    assert found.state is JobState.FAILED and found.native_state == "EXIT_3"
    assert [c.state for c in found.changes] == [JobState.RUNNING, JobState.FAILED]
    assert found.output is not None and "s3cr3t-value" not in found.output
    assert found.output.endswith("token leaked: ***") and len(found.output) == 4000
    assert redactor.secrets  # the redactor lives until here


class Stopping(Job):
    """A running job whose server stops it some questions after it accepted the cancel."""

    backend = "test"

    def __init__(self, questions_to_stop: int) -> None:
        super().__init__("stopping", state=JobState.RUNNING)
        self.questions_to_stop = questions_to_stop
        self.asked = 0
        self.stop_requested = False

    def _fetch_state(self) -> tuple[JobState, str]:
        self.asked += 1
        if self.stop_requested:
            self.questions_to_stop -= 1
            if self.questions_to_stop <= 0:
                return JobState.CANCELLED, "terminated"
        return JobState.RUNNING, "running"

    def _cancel(self) -> bool:
        self.stop_requested = True
        return True

    def _build_result(self) -> JobResult:
        return JobResult(self.id, self.backend, self.state, self.native_state)


def test_a_cancelled_job_still_stopping_is_asked_until_it_ends() -> None:
    job = Stopping(questions_to_stop=4)
    assert job.cancel() and job.cancel_accepted and job.state is JobState.RUNNING
    (found,) = records_of([job])
    assert found.state is JobState.CANCELLED and found.native_state == "terminated"
    assert job.asked == 4


def test_a_running_job_nobody_cancelled_is_asked_once() -> None:
    job = Stopping(questions_to_stop=1)
    (found,) = records_of([job])
    assert found.state is JobState.RUNNING and job.asked == 1 and not job.cancel_accepted


def test_a_cancelled_job_that_does_not_stop_is_asked_until_the_budget_ends() -> None:
    job = Stopping(questions_to_stop=10**9)
    job.cancel()
    (found,) = records_of([job], refresh_timeout=0.3)
    assert found.state is JobState.RUNNING and job.asked > 1


def test_a_record_survives_json_and_a_malformed_one_is_a_clear_error() -> None:
    job = Failing("out")
    job.refresh()
    data = json.loads(json.dumps(record_of(job).to_dict()))
    assert JobRecord.from_dict(data) == record_of(job)
    data["changes"] = [[1.0, "finished-ish", "x"]]
    with pytest.raises(ConfigurationError, match=r"malformed job record.*finished-ish"):
        JobRecord.from_dict(data)


def test_long_names_keep_their_start_and_end() -> None:
    name = "build@jh-0123456789/gw1:tests/test_release.py::test_checks#12"
    label = shorten(name)
    assert len(label) == 34 and label.startswith("build@jh-") and label.endswith("checks#12")
    assert shorten("short") == "short"


@pytest.mark.parametrize("seconds", [0.0, 0.003, 7, 95, 4000, 200_000])
def test_the_axis_has_a_few_readable_ticks_whatever_the_span(seconds: float) -> None:
    done = record("x", (0, JobState.PENDING), (seconds, JobState.SUCCEEDED))
    ticks = re.findall(r">\+([0-9.e+]+) s</text>", render_svg([done]))
    assert 1 <= len(ticks) <= 9 and ticks[0] == "0"
    values = [float(tick) for tick in ticks]
    assert values == sorted(set(values))
