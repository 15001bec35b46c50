"""Uploaded and stored archives: only relative regular files and directories are extracted.

This is where the embedded server deliberately differs from the real one,
which extracts any member anywhere.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import uuid

import pytest


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


def _escape_name(tmp_path, name: str) -> str:
    """A ``..`` path that lands on ``tmp_path/name`` from any working directory depth."""
    return "../" * 30 + str(tmp_path / name).lstrip("/")


def _assert_refused(response, name: str) -> None:
    assert response.status_code == 400, response.text
    assert response.text.startswith(f"Unsafe archive member '{name}'")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_dotdot_member_is_refused_and_nothing_is_written(sandbox_target, kit, tmp_path):
    name = _escape_name(tmp_path, "evil.txt")
    archive = kit.tgz_with(_member(name), b"pwned")
    _assert_refused(sandbox_target.execute({"commands": ["true"]}, archive), name)
    assert not (tmp_path / "evil.txt").exists()


def test_absolute_member_is_refused_and_nothing_is_written(sandbox_target, kit, tmp_path):
    name = str(tmp_path / "abs.txt")
    archive = kit.tgz_with(_member(name), b"pwned")
    _assert_refused(sandbox_target.execute({"commands": ["true"]}, archive), name)
    assert not (tmp_path / "abs.txt").exists()


@pytest.mark.parametrize(
    ("kind", "link"),
    [(tarfile.SYMTYPE, "/etc/passwd"), (tarfile.LNKTYPE, "/etc/passwd"), (tarfile.SYMTYPE, "a")],
)
def test_links_are_refused(sandbox_target, kit, kind, link):
    archive = kit.tgz_with(_member("link", kind, link))
    _assert_refused(sandbox_target.execute({"commands": ["true"]}, archive), "link")


@pytest.mark.parametrize("kind", [tarfile.FIFOTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE])
def test_special_files_are_refused(sandbox_target, kit, kind):
    archive = kit.tgz_with(_member("special", kind))
    _assert_refused(sandbox_target.execute({"commands": ["true"]}, archive), "special")


def test_a_bad_member_after_good_ones_refuses_the_whole_archive(sandbox_target, kit, tmp_path):
    name = _escape_name(tmp_path, "late.txt")
    good = kit.make_tgz({"ok.txt": b"ok"})
    buffer = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(gzip.decompress(good)), mode="r") as src,
        tarfile.open(fileobj=buffer, mode="w:gz") as tar,
    ):
        for info in src.getmembers():
            tar.addfile(info, src.extractfile(info))
        bad = _member(name)
        bad.size = 3
        tar.addfile(bad, io.BytesIO(b"bad"))
    _assert_refused(sandbox_target.execute({"commands": ["true"]}, buffer.getvalue()), name)
    assert not (tmp_path / "late.txt").exists()


def test_a_seeded_environment_with_a_link_is_refused_when_used(sandbox_target, kit):
    stored = str(uuid.uuid4())
    archive = kit.tgz_with(_member("sneaky", tarfile.SYMTYPE, "/etc"))
    (sandbox_target.environments / f"{stored}.tgz").write_bytes(archive)
    response = sandbox_target.execute({"commands": ["true"], "environment": stored})
    _assert_refused(response, "sneaky")


def test_dot_prefixed_names_and_nested_directories_are_fine(sandbox_target, kit):
    archive = kit.make_tgz({".": None, "./d": None, "./d/e/f.txt": b"deep", "x/../y.txt": b"y"})
    response = sandbox_target.execute({"commands": ["cat d/e/f.txt"]}, archive)
    # 'x/../y.txt' has a '..' component: refused like any other.
    _assert_refused(response, "x/../y.txt")
    archive = kit.make_tgz({".": None, "./d": None, "./d/e/f.txt": b"deep"})
    assert sandbox_target.run({"commands": ["cat d/e/f.txt"]}, archive)["status"] == 0


def test_saving_leaves_links_out_so_the_environment_stays_usable(sandbox_target, kit):
    body = sandbox_target.run(
        {"commands": ["echo data > f", "ln -s /etc/passwd link", "mkfifo pipe"], "save": True}
    )
    saved = kit.tgz_names(sandbox_target.get(f"environments/{body['environment']}/").content)
    assert saved == {"f": b"data\n"}
    again = sandbox_target.run({"commands": ["cat f"], "environment": body["environment"]})
    assert again["execution"][0]["stdout"] == "data"
