"""The heartbeat on local echo processes: an echoing peer keeps it alive, a silent or
ended one fails it."""

from __future__ import annotations

import os
import signal

from jobharness.backends.terminal.heartbeat import Heartbeat

from .helpers import eventually

TIMEOUT = 1.0


def test_an_echoing_peer_keeps_it_alive_and_a_stopped_one_fails_it() -> None:
    beat = Heartbeat(["cat"], "local cat", interval=0.05, timeout=TIMEOUT)
    try:
        eventually(lambda: beat.beats >= 3)
        assert beat.alive and beat() is None
        os.kill(beat._process.pid, signal.SIGSTOP)
        eventually(lambda: not beat.alive)
        assert beat() == f"local cat: no answer to the heartbeat for {TIMEOUT:g} s"
    finally:
        os.kill(beat._process.pid, signal.SIGCONT)
        beat.stop()
    assert beat._process.poll() is not None


def test_a_peer_that_ends_fails_it_at_once() -> None:
    beat = Heartbeat(["head", "-n", "2"], "two lines", timeout=60)
    try:
        eventually(lambda: not beat.alive)
        assert "end of file" in str(beat.failure) or "closed" in str(beat.failure)
    finally:
        beat.stop()


def test_a_channel_slow_to_start_is_given_the_start_timeout() -> None:
    # A loaded machine can take seconds to start the channel: that is not a dead peer.
    slow = Heartbeat(["sh", "-c", "sleep 1; exec cat"], "slow", interval=0.05, timeout=0.2)
    try:
        eventually(lambda: slow.beats >= 3)
        assert slow.alive
    finally:
        slow.stop()


def test_a_channel_that_never_echoes_fails_at_the_start_timeout() -> None:
    mute = Heartbeat(["sleep", "60"], "mute", timeout=0.1, start_timeout=0.5)
    try:
        eventually(lambda: not mute.alive)
        assert mute() == "mute: its heartbeat channel gave no echo within 0.5 s"
    finally:
        mute.stop()
