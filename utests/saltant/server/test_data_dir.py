"""Where ``jobharness serve saltant`` keeps its data: a temporary directory unless told."""

from __future__ import annotations

from pathlib import Path

from jobharness.servers.base import EmbeddedServer


def test_without_data_dir_nothing_is_written_where_it_was_started(tmp_path: Path) -> None:
    workdir = tmp_path / "started-here"
    with EmbeddedServer("saltant", workdir=workdir) as server:
        logs_dir = Path(server.info["logs_dir"])
        assert (logs_dir.parent / "saltant.sqlite3").is_file()
        assert workdir not in logs_dir.parents
        assert sorted(p.name for p in workdir.iterdir()) == ["ready.json", "server.log"]
    assert not logs_dir.parent.exists()  # removed at stop


def test_a_data_dir_is_kept(tmp_path: Path) -> None:
    data = tmp_path / "kept"
    with EmbeddedServer("saltant", ["--data-dir", str(data)]) as server:
        assert Path(server.info["logs_dir"]) == data / "logs"
    assert (data / "saltant.sqlite3").is_file()
