"""File copies to, from and between targets: byte-identical, modes kept, trees whole."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jobharness.backends.terminal import SshHop, Terminal, TransferFailed, su

MEGABYTE = 1_000_000


@pytest.fixture
def remote_dir(anywhere: Terminal) -> Iterator[str]:
    """A fresh directory on the target (the test account's), removed afterwards."""
    path = f"/tmp/jh-copies-{uuid.uuid4().hex}"
    anywhere.mkdir(path, 0o755)
    yield path
    anywhere.run(f"rm -rf {path}")


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and directory (None) under ``root``, by relative path."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        found[str(path.relative_to(root))] = path.read_bytes() if path.is_file() else None
    return found


def test_a_binary_file_goes_there_and_back_byte_identical(
    anywhere: Terminal, remote_dir: str, tmp_path: Path
) -> None:
    data = os.urandom(MEGABYTE) + bytes(range(256)) + b"\r\n\x00\xff"
    source, back = tmp_path / "blob", tmp_path / "blob.back"
    source.write_bytes(data)
    assert anywhere.copy_to(source, f"{remote_dir}/blob") == len(data)
    assert anywhere.run(f"wc -c < {remote_dir}/blob").stdout.strip() == str(len(data))
    assert anywhere.copy_from(f"{remote_dir}/blob", back) == len(data)
    assert back.read_bytes() == data
    assert anywhere.read_bytes(f"{remote_dir}/blob") == data


def test_empty_and_small_files_and_modes(
    anywhere: Terminal, remote_dir: str, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    anywhere.copy_to(empty, f"{remote_dir}/empty", mode=0o640)
    anywhere.write_bytes(f"{remote_dir}/run.sh", b"#!/bin/sh\necho ran\n", mode="0755")
    assert anywhere.run(f"stat -c %a {remote_dir}/empty {remote_dir}/run.sh").stdout.split() == [
        "640",
        "755",
    ]
    assert anywhere.run(f"{remote_dir}/run.sh").stdout == "ran\n"
    assert anywhere.read_bytes(f"{remote_dir}/empty") == b""


def test_a_directory_tree_goes_there_and_back(
    anywhere: Terminal, remote_dir: str, tmp_path: Path
) -> None:
    source = tmp_path / "tree"
    (source / "a" / "b").mkdir(parents=True)
    (source / "empty").mkdir()
    (source / "top.bin").write_bytes(os.urandom(70_000))
    (source / "a" / "mid.txt").write_text("middle\n")
    (source / "a" / "b" / "deep name.dat").write_bytes(bytes(range(256)))
    anywhere.copy_dir_to(source, f"{remote_dir}/copy")
    listing = anywhere.run(f"cd {remote_dir}/copy && find . | sort").stdout.split("\n")
    assert "./a/b/deep name.dat" in listing and "./empty" in listing
    anywhere.copy_dir_from(f"{remote_dir}/copy", tmp_path / "back")
    assert _tree(tmp_path / "back") == _tree(source)


def test_copy_between_two_targets(
    remote: Terminal,
    local: Terminal,
    tmp_path: Path,
    sshd_terminal_factory: Callable[..., Terminal],
) -> None:
    other = sshd_terminal_factory()
    data = os.urandom(300_000)
    name = f"/tmp/jh-between-{uuid.uuid4().hex}"
    source = tmp_path / "source"
    source.write_bytes(data)
    try:
        assert remote.copy_to(source, name) == len(data)
        assert remote.copy_between(other, name, f"{name}.2") == len(data)
        assert remote.copy_between(local, f"{name}.2", str(tmp_path / "local")) == len(data)
        assert (tmp_path / "local").read_bytes() == data
        assert local.copy_between(remote, str(source), f"{name}.3") == len(data)
        assert remote.read_bytes(f"{name}.3") == data
        (tmp_path / "tree" / "sub").mkdir(parents=True)
        (tmp_path / "tree" / "sub" / "f").write_bytes(data)
        local.copy_dir_between(remote, str(tmp_path / "tree"), f"{name}.d")
        remote.copy_dir_between(other, f"{name}.d", f"{name}.e")
        assert other.read_bytes(f"{name}.e/sub/f") == data
    finally:
        remote.run(f"rm -rf {name} {name}.2 {name}.3 {name}.d {name}.e")


def test_a_missing_file_is_a_transfer_failure(anywhere: Terminal, tmp_path: Path) -> None:
    with pytest.raises(TransferFailed):
        anywhere.copy_from("/no/such/file", tmp_path / "x")
    with pytest.raises(TransferFailed):
        anywhere.copy_to(tmp_path / "missing", "/tmp/jh-never")


def test_mkdir_makes_parents_with_a_mode(anywhere: Terminal, remote_dir: str) -> None:
    anywhere.mkdir(f"{remote_dir}/x/y/z", mode=0o700)
    assert anywhere.run(f"stat -c %a {remote_dir}/x/y/z").stdout.strip() == "700"


def test_copies_through_a_prompt_hop_stream_through_it(
    key_hop: SshHop,
    password_hop: SshHop,
    tmp_path: Path,
    sshd_terminal_factory: Callable[..., Terminal],
) -> None:
    """Through ``su`` there is no sftp as the last hop's user: copies stream through the hop."""
    terminal = sshd_terminal_factory(key_hop, su(password_hop.user or "", password_hop.password))
    assert terminal.plan.tail
    data = os.urandom(200_000)
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "f").write_bytes(data)
    (tmp_path / "file").write_bytes(data)
    name = f"/tmp/jh-su-{uuid.uuid4().hex}"
    try:
        assert terminal.copy_to(tmp_path / "file", name, mode=0o600) == len(data)
        assert terminal.run(f"stat -c %a {name}").stdout.strip() == "600"
        assert terminal.copy_from(name, tmp_path / "back") == len(data)
        assert (tmp_path / "back").read_bytes() == data
        terminal.copy_dir_to(tmp_path / "tree", f"{name}.d")
        assert terminal.read_bytes(f"{name}.d/sub/f") == data
        with pytest.raises(TransferFailed, match="status"):
            terminal.copy_from("/no/such/file", tmp_path / "x")
    finally:
        terminal.run(f"rm -rf {name} {name}.d")
