"""Stored environments: download, HEAD, files, seeding, merging, saving and expiry."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import requests

from jobharness.servers.base import EmbeddedServer

HTML = "text/html; charset=utf-8"


@pytest.fixture
def seeded(sandbox_target, kit):
    """A stored environment dropped into the directory by hand, as upstream tests do."""
    name = str(uuid.uuid4())
    blob = kit.make_tgz({"dir": None, "dir/file1.txt": b"one\n", "top.txt": b"top"})
    (sandbox_target.environments / f"{name}.tgz").write_bytes(blob)
    return name, blob


def test_download_returns_the_stored_archive_with_headers(sandbox_target, seeded):
    name, blob = seeded
    response = sandbox_target.get(f"environments/{name}/")
    assert response.status_code == 200
    assert response.content == blob
    assert response.headers["Content-Type"] == "application/gzip"
    assert response.headers["Content-Length"] == str(len(blob))
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}.tgz"


def test_head_on_environment_has_the_same_headers_and_no_body(sandbox_target, seeded):
    name, _ = seeded
    response = sandbox_target.get(f"environments/{name}/")
    head = requests.head(f"{sandbox_target.url}/environments/{name}/", timeout=10)
    assert head.status_code == 200
    assert head.content == b""
    for header in ("Content-Type", "Content-Length", "Content-Disposition"):
        assert head.headers[header] == response.headers[header]


def test_unknown_environment_is_a_text_404(sandbox_target):
    name = str(uuid.uuid4())
    for path in (f"environments/{name}/", f"files/{name}/a.txt/"):
        response = sandbox_target.get(path)
        assert response.status_code == 404
        assert response.text == f"No environment with UUID '{name}' found"
        assert response.headers["Content-Type"] == HTML


def test_file_download_by_member_name(sandbox_target, seeded):
    name, _ = seeded
    response = sandbox_target.get(f"files/{name}/dir/file1.txt/")
    assert response.status_code == 200
    assert response.content == b"one\n"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Length"] == "4"
    assert response.headers["Content-Disposition"] == "attachment; filename=file1.txt"
    head = requests.head(f"{sandbox_target.url}/files/{name}/dir/file1.txt/", timeout=10)
    assert (head.status_code, head.content, head.headers["Content-Length"]) == (200, b"", "4")


def test_missing_file_is_a_text_404_and_directory_member_a_500(sandbox_target, seeded):
    name, _ = seeded
    missing = sandbox_target.get(f"files/{name}/nope.txt/")
    assert missing.status_code == 404
    assert missing.text == f"The file 'nope.txt' could not be found in environment '{name}'"
    directory = sandbox_target.get(f"files/{name}/dir/")
    assert directory.status_code == 500
    assert "<h1>Server Error (500)</h1>" in directory.text
    assert sandbox_target.get(f"files/{name}/top.txt").status_code == 404  # no trailing slash


def test_execute_starts_from_a_seeded_environment(sandbox_target, seeded):
    name, _ = seeded
    body = sandbox_target.run({"commands": ["cat dir/file1.txt top.txt"], "environment": name})
    assert body["status"] == 0
    assert body["execution"][0]["stdout"] == "one\ntop"


def test_upload_replaces_members_of_exactly_the_same_name(sandbox_target, kit):
    base = str(uuid.uuid4())
    stored = kit.make_tgz({"a.txt": b"stored-a", "b.txt": b"stored-b", "./c.txt": b"stored-c"})
    (sandbox_target.environments / f"{base}.tgz").write_bytes(stored)
    upload = kit.make_tgz({"a.txt": b"upload-a", "c.txt": b"upload-c", "new.txt": b"n"})
    body = sandbox_target.run(
        {"commands": ["cat a.txt b.txt c.txt new.txt"], "environment": base}, upload
    )
    # a.txt is replaced; ./c.txt is another name, so the stored one is laid down after
    # the upload's c.txt and wins on disk, as on the real server.
    assert body["execution"][0]["stdout"] == "upload-astored-bstored-cn"


def test_save_makes_a_new_environment_and_leaves_the_base_alone(sandbox_target, seeded, kit):
    name, blob = seeded
    body = sandbox_target.run(
        {
            "commands": ["echo changed > top.txt", "mkdir -p out && echo r > out/r"],
            "save": True,
            "environment": name,
        }
    )
    new = body["environment"]
    assert new != name
    uuid.UUID(new)
    assert body["expire"].endswith("+00:00")
    assert sandbox_target.get(f"environments/{name}/").content == blob
    saved = kit.tgz_names(sandbox_target.get(f"environments/{new}/").content)
    assert saved["top.txt"] == b"changed\n"
    assert saved["out/r"] == b"r\n"
    assert saved["dir/file1.txt"] == b"one\n"
    assert not any(member.startswith("./") for member in saved)
    assert sandbox_target.get(f"files/{new}/out/r/").content == b"r\n"


def test_save_keeps_the_files_of_a_failed_run(sandbox_target):
    body = sandbox_target.run({"commands": ["echo partial > p.txt", "exit 7"], "save": True})
    assert body["status"] == 7
    assert sandbox_target.get(f"files/{body['environment']}/p.txt/").content == b"partial\n"


def test_without_save_nothing_is_stored(sandbox_target):
    before = set(sandbox_target.environments.iterdir())
    body = sandbox_target.run({"commands": ["echo x > x"]})
    assert "environment" not in body and "expire" not in body
    assert set(sandbox_target.environments.iterdir()) == before


def test_failed_requests_leave_no_orphan_archive(sandbox_target, kit):
    before = set(sandbox_target.environments.iterdir())
    assert sandbox_target.execute({"commands": []}, kit.make_tgz({"a": b"a"})).status_code == 400
    assert sandbox_target.execute({"commands": ["true"]}, b"not gzip").status_code == 500
    assert set(sandbox_target.environments.iterdir()) == before


def test_expiry_sweep_deletes_old_environments(kit):
    args = ["--expiration", "0.5", "--sweep-interval", "0.1"]
    with EmbeddedServer("sandbox", args=args) as server:
        directory = Path(server.info["environments_dir"])
        name = str(uuid.uuid4())
        (directory / f"{name}.tgz").write_bytes(kit.make_tgz({"a": b"a"}))
        url = f"{server.url}/environments/{name}/"
        assert requests.get(url, timeout=10).status_code == 200
        deadline = time.monotonic() + 10
        while (directory / f"{name}.tgz").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not (directory / f"{name}.tgz").exists()
        assert requests.get(url, timeout=10).status_code == 404
