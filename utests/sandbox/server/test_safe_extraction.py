"""Uploaded and stored archives: extracted as the real server does, but never outside.

Files, directories, links and FIFOs are extracted as the real server does.
Where the embedded server deliberately differs from the real one, which
extracts any member anywhere: nothing is written outside the working
directory or through a link, and device files are refused.
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


@pytest.mark.parametrize("link", ["/etc/passwd", "a", "../../../../elsewhere"])
def test_symbolic_links_are_extracted_as_links(sandbox_target, kit, link):
    archive = kit.tgz_with(_member("link", tarfile.SYMTYPE, link))
    body = sandbox_target.run({"commands": ["readlink link"]}, archive)
    assert body["execution"][0]["stdout"] == link


def test_a_hard_link_to_a_member_is_extracted(sandbox_target, kit):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = _member("f.txt")
        data.size = 4
        tar.addfile(data, io.BytesIO(b"data"))
        tar.addfile(_member("g.txt", tarfile.LNKTYPE, "f.txt"))
    body = sandbox_target.run({"commands": ["cat g.txt", "stat -c %h f.txt"]}, buffer.getvalue())
    assert [e["stdout"] for e in body["execution"]] == ["data", "2"]


@pytest.mark.parametrize("link", ["/etc/passwd", "../../../../elsewhere"])
def test_a_hard_link_to_anything_else_is_refused(sandbox_target, kit, link):
    archive = kit.tgz_with(_member("link", tarfile.LNKTYPE, link))
    _assert_refused(sandbox_target.execute({"commands": ["true"]}, archive), "link")


def test_nothing_is_written_through_a_link(sandbox_target, kit, tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.addfile(_member("out", tarfile.SYMTYPE, str(tmp_path)))
        evil = _member("out/evil.txt")
        evil.size = 5
        tar.addfile(evil, io.BytesIO(b"pwned"))
    response = sandbox_target.execute({"commands": ["true"]}, buffer.getvalue())
    _assert_refused(response, "out/evil.txt")
    assert "through the symbolic link 'out'" in response.text
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE])
def test_device_files_are_refused(sandbox_target, kit, kind):
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


def test_a_seeded_environment_with_a_link_is_usable(sandbox_target, kit):
    stored = str(uuid.uuid4())
    archive = kit.tgz_with(_member("sneaky", tarfile.SYMTYPE, "/etc"))
    (sandbox_target.environments / f"{stored}.tgz").write_bytes(archive)
    body = sandbox_target.run({"commands": ["readlink sneaky"], "environment": stored})
    assert body["execution"][0]["stdout"] == "/etc"


def test_a_seeded_environment_with_a_device_is_refused_when_used(sandbox_target, kit):
    stored = str(uuid.uuid4())
    archive = kit.tgz_with(_member("tty", tarfile.CHRTYPE))
    (sandbox_target.environments / f"{stored}.tgz").write_bytes(archive)
    response = sandbox_target.execute({"commands": ["true"], "environment": stored})
    _assert_refused(response, "tty")


def test_dot_prefixed_names_and_nested_directories_are_fine(sandbox_target, kit):
    archive = kit.make_tgz({".": None, "./d": None, "./d/e/f.txt": b"deep", "x/../y.txt": b"y"})
    response = sandbox_target.execute({"commands": ["cat d/e/f.txt"]}, archive)
    # 'x/../y.txt' has a '..' component: refused like any other.
    _assert_refused(response, "x/../y.txt")
    archive = kit.make_tgz({".": None, "./d": None, "./d/e/f.txt": b"deep"})
    assert sandbox_target.run({"commands": ["cat d/e/f.txt"]}, archive)["status"] == 0


def test_saving_keeps_links_and_fifos_as_the_real_server_does(sandbox_target, kit):
    body = sandbox_target.run(
        {"commands": ["echo data > f", "ln -s /etc/hostname host", "mkfifo pipe"], "save": True}
    )
    blob = sandbox_target.get(f"environments/{body['environment']}/").content
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        kinds = {info.name: (info.type, info.linkname) for info in tar.getmembers()}
    assert kinds == {
        "f": (tarfile.REGTYPE, ""),
        "host": (tarfile.SYMTYPE, "/etc/hostname"),
        "pipe": (tarfile.FIFOTYPE, ""),
    }
    again = sandbox_target.run(
        {"commands": ["cat f", "readlink host", "test -p pipe"], "environment": body["environment"]}
    )
    assert [e["stdout"] for e in again["execution"]] == ["data", "/etc/hostname", ""]
    assert again["status"] == 0
