"""Packing environments from a directory, a path, bytes or a file object; unpacking them."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

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
        (lambda p: b"PK\x03\x04 a zip", "the environment bytes is not a gzip"),
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
