"""``jobharness-docs``: keyword documentation from the installed libraries, checked and written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from robotlib import keyword_docs


def test_every_library_is_written_and_documented(tmp_path: Path) -> None:
    assert keyword_docs.main(["--check", "--output", str(tmp_path)]) == 0
    written = sorted(path.stem for path in tmp_path.glob("*.html"))
    assert written == sorted(keyword_docs.library_names())
    page = (tmp_path / "SaltantLibrary.html").read_text()
    assert "Connect To Saltant" in page and "Wait For Task Instance" in page


@pytest.mark.parametrize(
    "given", ["saltant", "Saltant", "SaltantLibrary", "robotlib.saltantlibrary"]
)
def test_a_library_by_short_or_full_name(given: str) -> None:
    assert keyword_docs.resolve_name(given) == "SaltantLibrary"


def test_an_unknown_library_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert keyword_docs.main(["nosuch"]) == 2
    error = capsys.readouterr().err
    assert "no keyword library named 'nosuch'" in error and "TerminalLibrary" in error


def test_an_undocumented_keyword_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from robotlib._core.jobs import WaitKeywords

    monkeypatch.setattr(WaitKeywords.wait_for_job, "__doc__", None)
    assert "JobLibrary.Wait For Job" in keyword_docs.undocumented("JobLibrary")
    assert keyword_docs.main(["job", "--check", "--output", "/nonexistent/never"]) == 1


def test_the_default_output_is_a_per_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert keyword_docs.main(["harp"]) == 0
    assert list(tmp_path.rglob("HarpLibrary.html"))


def test_the_installed_command_runs() -> None:
    command = shutil.which("jobharness-docs")
    if command is None:
        pytest.skip("jobharness-docs is not installed in this environment")
    listed = subprocess.run([command, "--list"], capture_output=True, text=True, check=True)
    assert listed.stdout.split() == keyword_docs.library_names()
