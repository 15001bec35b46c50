"""Packing environments from a directory, a path, bytes or a file object; unpacking them."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest

from jobharness.backends.sandbox import extract_environment, pack_directory, pack_environment
from jobharness.errors import ProtocolError, ValidationError


def tree(root: Path) -> Path:
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.txt").write_text("beta")
    (root / "sub" / "deep" / "c.txt").write_text("gamma")
    (root / "empty").mkdir()
    return root


def members(data: bytes) -> dict[str, bytes | None]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {
            m.name: (archive.extractfile(m).read() if m.isfile() else None)  # type: ignore[union-attr]
            for m in archive.getmembers()
        }


def test_directory_is_packed_with_relative_names(tmp_path: Path) -> None:
    found = members(pack_environment(tree(tmp_path / "env")))
    assert found == {
        "a.txt": b"alpha",
        "empty": None,
        "sub": None,
        "sub/b.txt": b"beta",
        "sub/deep": None,
        "sub/deep/c.txt": b"gamma",
    }
    assert not any(name.startswith(("./", "/")) for name in found)


def test_path_bytes_and_file_object_give_the_same_archive(tmp_path: Path) -> None:
    data = pack_directory(tree(tmp_path / "env"))
    archive = tmp_path / "env.tgz"
    archive.write_bytes(data)
    assert pack_environment(archive) == data
    assert pack_environment(str(archive)) == data
    assert pack_environment(data) == data
    assert pack_environment(bytearray(data)) == data
    assert pack_environment(io.BytesIO(data)) == data
    with archive.open("rb") as handle:
        assert pack_environment(handle) == data


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: b"PK\x03\x04 a zip", "the environment given as bytes is not a gzip"),
        (lambda p: io.BytesIO(b"plain"), "file object is not a gzip"),
        (lambda p: p / "missing", "is neither a directory nor a file"),
        (lambda p: 42, "not int"),
        (lambda p: io.StringIO("text"), "binary mode"),
    ],
)
def test_unusable_environment_is_refused(tmp_path: Path, make, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        pack_environment(make(tmp_path))
    assert caught.value.field == "environ"
    assert words in str(caught.value)


def test_plain_file_path_that_is_not_gzip_is_named(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ValidationError, match=r"notes\.txt"):
        pack_environment(path)


def test_extract_round_trip(tmp_path: Path) -> None:
    data = pack_directory(tree(tmp_path / "env"))
    out = extract_environment(data, tmp_path / "out" / "nested")
    assert (out / "sub" / "deep" / "c.txt").read_text() == "gamma"
    assert (out / "empty").is_dir()


def test_extract_refuses_escaping_members(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ProtocolError, match="outside the destination"):
        extract_environment(buffer.getvalue(), tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_extract_of_garbage_is_a_protocol_error(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"not a usable tar\.gz"):
        extract_environment(b"garbage", tmp_path)


# -- what the real server saves, links included ---------------------------------------------


def archive_of(*members: tuple[str, bytes, str | bytes | None]) -> bytes:
    """A tar.gz of ``(name, type, content or link target)`` members, in that order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, kind, value in members:
            info = tarfile.TarInfo(name)
            info.type, info.mode = kind, 0o755 if kind == tarfile.DIRTYPE else 0o644
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = str(value)
                archive.addfile(info)
            elif kind == tarfile.REGTYPE:
                data = value if isinstance(value, bytes) else b""
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(info)
    return buffer.getvalue()


def test_links_the_server_saves_are_extracted_as_links(tmp_path: Path) -> None:
    data = archive_of(
        ("host", tarfile.SYMTYPE, "/etc/hostname"),
        ("etc", tarfile.SYMTYPE, "/etc"),
        ("up", tarfile.SYMTYPE, "../../somewhere/else"),
        ("d", tarfile.DIRTYPE, None),
        ("d/f.txt", tarfile.REGTYPE, b"data"),
        ("d/same.txt", tarfile.LNKTYPE, "d/f.txt"),
        ("d/near", tarfile.SYMTYPE, "f.txt"),
        ("pipe", tarfile.FIFOTYPE, None),
    )
    out = extract_environment(data, tmp_path / "out")
    assert os.readlink(out / "host") == "/etc/hostname"
    assert os.readlink(out / "etc") == "/etc"
    assert os.readlink(out / "up") == "../../somewhere/else"
    assert (out / "d" / "near").read_text() == "data"
    assert (out / "d" / "same.txt").read_text() == "data"
    assert (out / "d" / "same.txt").stat().st_ino == (out / "d" / "f.txt").stat().st_ino
    assert stat.S_ISFIFO((out / "pipe").lstat().st_mode)


def test_a_saved_environment_with_an_absolute_link_round_trips(tmp_path: Path) -> None:
    source = tmp_path / "env"
    source.mkdir()
    (source / "host").symlink_to("/etc/hostname")
    (source / "notes.txt").write_text("n")
    out = extract_environment(pack_directory(source), tmp_path / "out")
    assert os.readlink(out / "host") == "/etc/hostname"
    assert (out / "notes.txt").read_text() == "n"


@pytest.mark.parametrize(
    ("members", "name", "why"),
    [
        ([("../up.txt", tarfile.REGTYPE, b"x")], "../up.txt", "outside the destination"),
        ([("/abs.txt", tarfile.REGTYPE, b"x")], "/abs.txt", "absolute path"),
        ([("a/../../b", tarfile.REGTYPE, b"x")], "a/../../b", "outside the destination"),
        (
            [("out", tarfile.SYMTYPE, "/tmp"), ("out/evil.txt", tarfile.REGTYPE, b"x")],
            "out/evil.txt",
            "through the symbolic link 'out'",
        ),
        (
            [("l", tarfile.SYMTYPE, "."), ("l/l/f", tarfile.REGTYPE, b"x")],
            "l/l/f",
            "through the symbolic link 'l'",
        ),
        ([("h", tarfile.LNKTYPE, "/etc/passwd")], "h", "hard link"),
        ([("h", tarfile.LNKTYPE, "nowhere.txt")], "h", "hard link"),
        ([("dev", tarfile.CHRTYPE, None)], "dev", "device"),
        (
            [("f", tarfile.REGTYPE, b"x"), ("f/g", tarfile.REGTYPE, b"y")],
            "f/g",
            "'f' is not a directory",
        ),
    ],
)
def test_what_would_write_outside_or_through_a_link_is_refused(
    tmp_path: Path, members: list[tuple[str, bytes, Any]], name: str, why: str
) -> None:
    data = archive_of(("first.txt", tarfile.REGTYPE, b"1"), *members)
    with pytest.raises(ProtocolError) as caught:
        extract_environment(data, tmp_path / "out")
    message = str(caught.value)
    assert f"'{name}'" in message and why in message
    assert not (tmp_path / "out").exists()  # all or nothing: not even the directory
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_link_already_in_the_destination_is_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(outside)
    data = archive_of(("ok.txt", tarfile.REGTYPE, b"ok"), ("sub/f.txt", tarfile.REGTYPE, b"x"))
    with pytest.raises(ProtocolError, match="through the symbolic link 'sub'"):
        extract_environment(data, out)
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == ["sub"]  # ok.txt was not written either


def test_a_member_replaces_a_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("untouched")
    data = archive_of(("f", tarfile.SYMTYPE, str(target)), ("f", tarfile.REGTYPE, b"new"))
    out = extract_environment(data, tmp_path / "out")
    assert not (out / "f").is_symlink() and (out / "f").read_text() == "new"
    assert target.read_text() == "untouched"


# -- only a tar.gz goes to the server -------------------------------------------------------


def test_gzip_data_that_is_not_a_tar_is_refused_locally(tmp_path: Path) -> None:
    data = gzip.compress(b"just some text, not a tar archive")
    with pytest.raises(ValidationError) as caught:
        pack_environment(data)
    assert caught.value.field == "environ"
    message = str(caught.value)
    assert "the environment given as bytes" in message and "not a tar archive" in message
    path = tmp_path / "notes.txt.gz"
    path.write_bytes(data)
    with pytest.raises(ValidationError, match=r"notes\.txt\.gz.*not a tar archive"):
        pack_environment(path)


def test_a_truncated_archive_is_refused_locally(tmp_path: Path) -> None:
    data = pack_directory(tree(tmp_path / "env"))
    with pytest.raises(ValidationError, match=r"the environment file object.*not a usable"):
        pack_environment(io.BytesIO(data[: len(data) // 2]))
