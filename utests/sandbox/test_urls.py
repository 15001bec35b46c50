"""URL building: base URLs with and without a trailing slash or a path prefix, quoted paths."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.wrappers import Response

from jobharness.backends.sandbox import Sandbox

ENV = "0f0e0d0c-0b0a-4908-8706-050403020100"


@pytest.mark.parametrize("base", ["", "/", "/api/sandbox", "/api/sandbox/"])
def test_routes_under_any_base(stub: Any, base: str) -> None:
    prefix = base.rstrip("/")
    stub.reply(stub.json("{}"))
    with Sandbox(stub.url + base) as client:
        client.specifications()
        client.usage()
        client.libraries()
    assert stub.paths == [f"{prefix}/specifications/", f"{prefix}/usages/", f"{prefix}/libraries/"]


def test_file_paths_are_quoted(stub: Any) -> None:
    stub.reply(Response(b"\x1f\x8b"))  # an environment is a gzip archive
    with Sandbox(stub.url + "/p") as client:
        client.download(ENV)
        client.download(ENV, "dir/my file#1.txt")
        client.check(ENV, "/a/b.txt/")
    assert stub.paths == [
        f"/p/environments/{ENV}/",
        f"/p/files/{ENV}/dir/my%20file%231.txt/",
        f"/p/files/{ENV}/a/b.txt/",
    ]


def test_relative_url_is_refused() -> None:
    with pytest.raises(ValueError, match="must be absolute"):
        Sandbox("127.0.0.1:8000")
