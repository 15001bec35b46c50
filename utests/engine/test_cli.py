"""The ``jobharness`` command and the embedded-server launcher's failure paths."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jobharness import __version__
from jobharness.cli import main
from jobharness.errors import EmbeddedServerError
from jobharness.servers.base import EmbeddedServer


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"jobharness {__version__}"


def test_doctor_without_servers_checks_modules(capsys):
    assert main(["doctor", "--no-servers"]) == 0
    out = capsys.readouterr().out
    assert "ok    requests" in out and "ok    werkzeug" in out


def test_unknown_backend_is_a_usage_error():
    proc = subprocess.run(
        [sys.executable, "-m", "jobharness", "serve", "no-such-backend"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "invalid choice: 'no-such-backend'" in proc.stderr


def test_embedded_server_that_cannot_start_reports_its_log(tmp_path):
    server = EmbeddedServer("no-such-backend", workdir=tmp_path, startup_timeout=30)
    with pytest.raises(EmbeddedServerError) as info:
        server.start()
    text = str(info.value)
    assert "exited with status 2 before it was ready" in text and "no-such-backend" in text
    assert server.pid is None
