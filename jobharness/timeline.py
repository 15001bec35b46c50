"""Draw the jobs of a test as a timeline: self-contained HTML with inline SVG.

One bar per job, from submission through queueing (pale) and running (full)
to its end, coloured by the state it ended in; an unfinished job's bar is
dashed and reaches the end of the axis. Hovering a bar shows the job's name,
backend, id, native state and the time of every state change: an SVG
``<title>``, so no script is needed. The output needs no external asset.

The renderer is pure: it turns :class:`~jobharness.jobrecord.JobRecord`\\ s
into text. Every string is escaped here; records come redacted already.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from jobharness.jobrecord import JobRecord
from jobharness.jobs import JobState

COLOURS: dict[JobState, str] = {
    JobState.SUCCEEDED: "#2f9e44",
    JobState.FAILED: "#e03131",
    JobState.CANCELLED: "#f08c00",
    JobState.ERROR: "#9c36b5",
    JobState.RUNNING: "#1c7ed6",
    JobState.PENDING: "#868e96",
}
"""The colour of a bar by the job's last state (running and pending: still unfinished)."""

WIDTH = 960
LABEL_WIDTH = 250
ROW = 24
AXIS = 26
LEGEND = 26
PAD = 16
LABEL_CHARS = 34
_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(text: object) -> str:
    """``text`` escaped for HTML text and attributes, control characters dropped."""
    return html.escape(_CONTROL.sub("", str(text)), quote=True)


def clock(at: float) -> str:
    """Local wall-clock time with milliseconds: ``14:41:29.700``."""
    return time.strftime("%H:%M:%S", time.localtime(at)) + f".{int(at * 1000) % 1000:03d}"


def _seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` cut in the middle to ``limit`` characters: a job name's start and end both tell."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 3 // 5
    return text[:head] + "\u2026" + text[len(text) - (limit - 1 - head) :]


def hover_text(record: JobRecord) -> str:
    """What hovering a job's bar shows: who it is and when each state was seen."""
    lines = [
        record.label,
        f"{record.backend} job {record.job_id}",
        f"state: {record.state.value} (native {record.native_state!r})",
    ]
    for change in record.changes:
        native = f" ({change.native_state})" if change.native_state != change.state.value else ""
        offset = change.at - record.submitted
        lines.append(f"{clock(change.at)} +{_seconds(offset)} {change.state.value}{native}")
    started, ended = record.started, record.ended
    if started is not None:
        lines.append(f"queued {_seconds(started - record.submitted)}")
        if ended is not None and ended > started:
            lines.append(f"ran {_seconds(ended - started)}")
    if not record.final:
        lines.append("not seen finished")
    lines.extend(f"{key}: {value}" for key, value in record.extra)
    return "\n".join(lines)


@dataclass(frozen=True)
class _Scale:
    start: float
    span: float
    left: float
    width: float

    def x(self, at: float) -> float:
        return self.left + (at - self.start) / self.span * self.width


def _step(span: float) -> float:
    for step in _STEPS:
        if span / step <= 8:
            return step
    return _STEPS[-1] * max(1, round(span / _STEPS[-1] / 8))


def _axis(scale: _Scale, height: float) -> list[str]:
    step = _step(scale.span)
    parts = []
    count = int(scale.span / step + 1e-9)
    for index in range(count + 1):
        x = scale.x(scale.start + index * step)
        parts.append(
            f'<line x1="{x:.1f}" y1="{AXIS - 6}" x2="{x:.1f}" y2="{height:.1f}" '
            'stroke="#dee2e6" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{AXIS - 10}" font-size="11" fill="#495057" '
            f'text-anchor="middle">+{index * step:g} s</text>'
        )
    return parts


def _bar(record: JobRecord, scale: _Scale, y: float, end: float) -> str:
    colour = COLOURS[record.state]
    started = record.started
    ended = record.ended if record.ended is not None else end
    queue_end = started if started is not None else ended
    h = ROW - 8
    x0, x1, x2 = scale.x(record.submitted), scale.x(queue_end), scale.x(ended)
    parts = [
        f'<rect class="queued" x="{x0:.1f}" y="{y + 4:.1f}" width="{max(x1 - x0, 0):.1f}" '
        f'height="{h}" fill="{colour}" fill-opacity="0.3"/>'
    ]
    dash = "" if record.final else ' stroke-dasharray="4 3"'
    parts.append(
        f'<rect class="ran" x="{x1:.1f}" y="{y + 4:.1f}" width="{max(x2 - x1, 2):.1f}" '
        f'height="{h}" fill="{colour}" stroke="{colour}"{dash}/>'
    )
    label = shorten(record.label)
    return (
        f'<g class="job" data-state="{esc(record.state.value)}" data-colour="{colour}">'
        f"<title>{esc(hover_text(record))}</title>"
        f'<rect x="0" y="{y:.1f}" width="{WIDTH}" height="{ROW}" fill="#ffffff" '
        'fill-opacity="0"/>'
        f'<text x="{PAD / 2}" y="{y + ROW / 2 + 4:.1f}" font-size="12" fill="#212529">'
        f"{esc(label)}</text>" + "".join(parts) + "</g>"
    )


def _legend(records: Sequence[JobRecord], y: float) -> str:
    seen = [state for state in COLOURS if any(r.state is state for r in records)]
    parts, x = [], float(LABEL_WIDTH)
    for state in seen:
        name = state.value if state.is_final else f"{state.value} (unfinished)"
        parts.append(
            f'<rect x="{x:.0f}" y="{y + 8:.0f}" width="12" height="12" fill="{COLOURS[state]}"/>'
            f'<text x="{x + 16:.0f}" y="{y + 18:.0f}" font-size="11" fill="#495057">'
            f"{esc(name)}</text>"
        )
        x += 30 + 7 * len(name)
    parts.append(
        f'<rect x="{PAD / 2}" y="{y + 8:.0f}" width="12" height="12" fill="#495057" '
        'fill-opacity="0.3"/>'
        f'<text x="{PAD / 2 + 16}" y="{y + 18:.0f}" font-size="11" fill="#495057">'
        "queued (pale), running (full)</text>"
    )
    return "".join(parts)


def render_svg(records: Sequence[JobRecord], *, now: float | None = None) -> str:
    """An inline ``<svg>`` with one bar per record; empty text for no records.

    Unfinished jobs reach ``now`` (default: the last state change seen).
    """
    if not records:
        return ""
    start = min(r.submitted for r in records)
    last = max(c.at for r in records for c in r.changes)
    end = max(last, now) if now is not None else last
    span = max(end - start, 0.001)
    scale = _Scale(start, span, LABEL_WIDTH, WIDTH - LABEL_WIDTH - PAD)
    rows_end = AXIS + ROW * len(records)
    height = rows_end + LEGEND
    body = _axis(scale, rows_end)
    body += [_bar(record, scale, AXIS + i * ROW, end) for i, record in enumerate(records)]
    body.append(_legend(records, rows_end))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="jobharness-timeline" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" '
        f'style="width:100%;max-width:{WIDTH}px;height:auto" role="img">' + "".join(body) + "</svg>"
    )


def render_fragment(
    records: Sequence[JobRecord], title: str = "job timeline", *, now: float | None = None
) -> str:
    """The timeline as an HTML ``<div>`` for a log or report (inline styles only)."""
    if not records:
        return ""
    when = clock(min(r.submitted for r in records))
    return (
        '<div class="jobharness-timeline" style="font-family:sans-serif;margin:4px 0">'
        f'<div style="font-size:12px;color:#495057">{esc(title)}: {len(records)} job(s) '
        f"from {esc(when)} (hover a bar for details)</div>"
        f"{render_svg(records, now=now)}</div>"
    )


def render_outputs(records: Sequence[JobRecord]) -> str:
    """The output of each failed job as collapsible ``<pre>`` blocks (empty when none)."""
    parts = []
    for record in records:
        text = record.output or record.output_error
        if record.state not in (JobState.FAILED, JobState.ERROR) or not text:
            continue
        parts.append(
            '<details style="font-size:13px"><summary>output of'
            f" {esc(record.backend)} job {esc(record.job_id)} "
            f"{esc(record.name)} ({esc(record.state.value)})</summary>"
            f'<pre style="background:#f8f9fa;padding:6px;white-space:pre-wrap">{esc(text)}'
            "</pre></details>"
        )
    return "".join(parts)


@dataclass(frozen=True)
class Section:
    """The jobs of one test for a page: its name, its outcome and its job records."""

    test: str
    outcome: str
    records: tuple[JobRecord, ...]


_OUTCOME_COLOURS = {"passed": "#2f9e44", "failed": "#e03131", "skipped": "#868e96"}


def render_page(sections: Sequence[Section], title: str = "jobharness job timeline") -> str:
    """A standalone HTML page with the timeline of every test that started jobs."""
    jobs = sum(len(s.records) for s in sections)
    body = []
    for section in sections:
        colour = _OUTCOME_COLOURS.get(section.outcome, "#495057")
        body.append(
            f'<section class="test"><h2 style="font-size:15px;margin:18px 0 4px">'
            f"{esc(section.test)} "
            f'<span class="outcome" style="color:{colour}">{esc(section.outcome)}</span></h2>'
            + render_fragment(section.records)
            + render_outputs(section.records)
            + "</section>"
        )
    if not sections:
        body.append("<p>No test started a job.</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title></head>"
        '<body style="font-family:sans-serif;margin:16px;background:#ffffff">'
        f'<h1 style="font-size:20px">{esc(title)}</h1>'
        f"<p>{len(sections)} test(s) started {jobs} job(s).</p>"
        + "".join(body)
        + "</body></html>\n"
    )
