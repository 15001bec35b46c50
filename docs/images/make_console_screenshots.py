"""Make the console screenshots of docs/reporting.md: the live status line during a wait.

    python docs/images/make_console_screenshots.py

Runs a small Robot suite and a small pytest module (written below) on a
pseudo-terminal, as a tester's terminal would, each waiting on harp calls of
an embedded harp dispatcher. While the wait runs, the screen is read (a small
terminal emulator replays what the runner wrote) and drawn as HTML, which
headless Chromium turns into ``console-robot.png`` and ``console-pytest.png``
next to this script.
"""

from __future__ import annotations

import fcntl
import html
import os
import pty
import re
import select
import signal
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

from make_report_screenshots import screenshot

HERE = Path(__file__).resolve().parent
COLUMNS, ROWS = 100, 18

SUITE = """\
*** Settings ***
Library    robotlib.HarpLibrary    timeout=1 min

*** Test Cases ***
Nightly Steps Finish
    ${build}=    Submit Harp Call    sleep    ${2}
    ${soak}=    Submit Harp Call    sleep    ${9}
    Wait For Harp Calls    ${build}    ${soak}
"""

MODULE = """\
def test_nightly_steps_finish(harp_job):
    build, soak = harp_job("sleep", 2), harp_job("sleep", 9)
    for call in (build, soak):
        call.wait(60)
"""

COLOURS = {"31": "#e06c75", "32": "#98c379", "33": "#e5c07b", "36": "#56b6c2"}


class Screen:
    """The few terminal controls Robot, pytest and the status line use, on a grid of cells."""

    def __init__(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns, rows
        self.cells = [[(" ", "")] * columns for _ in range(rows)]
        self.row = self.col = 0
        self.saved = (0, 0)
        self.style = ""

    def _down(self) -> None:
        if self.row == self.rows - 1:
            self.cells = [*self.cells[1:], [(" ", "")] * self.columns]
        else:
            self.row += 1

    def feed(self, text: str) -> None:
        """Replay ``text`` as a terminal would."""
        for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[78DM]|\x1b.|[^\x1b]", text):
            if token == "\r":
                self.col = 0
            elif token == "\n":
                self.col = 0
                self._down()
            elif token == "\x1bD":
                self._down()
            elif token == "\x1bM":
                self.row = max(self.row - 1, 0)
            elif token == "\x1b7":
                self.saved = (self.row, self.col)
            elif token == "\x1b8":
                self.row, self.col = self.saved
            elif token.startswith("\x1b[") and token.endswith("K"):
                self.cells[self.row][self.col :] = [(" ", "")] * (self.columns - self.col)
            elif token.startswith("\x1b[") and token.endswith("m"):
                codes = token[2:-1].split(";")
                self.style = next((COLOURS[c] for c in codes if c in COLOURS), "")
            elif token.startswith("\x1b") or token in "\b\x07":
                continue
            elif self.col < self.columns:
                self.cells[self.row][self.col] = (token, self.style)
                self.col += 1

    def html(self, title: str) -> str:
        """The screen as a page: a terminal window with its title."""
        lines = []
        for row in self.cells:
            spans = "".join(
                f'<span style="color:{style}">{html.escape(ch)}</span>'
                if style
                else html.escape(ch)
                for ch, style in row
            )
            lines.append(spans.rstrip())
        body = "\n".join(lines)
        return (
            "<!doctype html><meta charset=utf-8><body style='margin:0;background:#1e2127'>"
            f"<div style='font:13px sans-serif;color:#abb2bf;padding:6px 12px;background:#2c313a'>"
            f"{html.escape(title)}</div><pre style='margin:0;padding:10px 12px;color:#dcdfe4;"
            f"font:13px/1.35 monospace'>{body}</pre>"
        )


def run_on_pty(command: list[str], cwd: Path, until: str, after: float) -> Screen:
    """Run ``command`` on a pty; the screen ``after`` seconds past the first ``until`` seen."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, on the pty
        os.chdir(cwd)
        os.environ.update(COLUMNS=str(COLUMNS), LINES=str(ROWS), TERM="xterm-256color")
        os.execvp(command[0], command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    screen, seen, stop = Screen(COLUMNS, ROWS), "", time.monotonic() + 120
    while time.monotonic() < stop:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536).decode("utf-8", "replace")
            except OSError:
                break
            screen.feed(chunk)
            seen += chunk
            if until in seen and stop > time.monotonic() + after:
                stop = time.monotonic() + after
    os.kill(pid, signal.SIGINT)  # the runner cleans up as after Ctrl-C
    os.waitpid(pid, 0)
    os.close(fd)
    return screen


def main() -> None:
    """Run both, take both screenshots."""
    with tempfile.TemporaryDirectory(prefix="jobharness-console-") as tmp:
        work = Path(tmp)
        (work / "nightly.robot").write_text(SUITE)
        (work / "test_nightly.py").write_text(MODULE)
        robot = [sys.executable, "-m", "robot", "--outputdir", str(work / "out"), "nightly.robot"]
        pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_nightly.py"]
        for name, command, title in (
            ("robot", robot, "$ robot nightly.robot"),
            ("pytest", pytest, "$ pytest test_nightly.py"),
        ):
            screen = run_on_pty(command, work, "jobharness:", 2.5)
            page = work / f"{name}.html"
            page.write_text(screen.html(title))
            screenshot(page.as_uri(), HERE / f"console-{name}.png", "960,400", work / "profile")


if __name__ == "__main__":
    main()
