"""The API map, optional trailing slashes, allowed methods and 404s."""

from __future__ import annotations

import pytest
import requests

from .conftest import Api, Server

COLLECTIONS = [
    "users",
    "containertaskinstances",
    "containertasktypes",
    "executabletaskinstances",
    "executabletasktypes",
    "taskqueues",
    "taskwhitelists",
]


def test_root_maps_the_collections(api: Api) -> None:
    response = api.get("")
    assert response.status_code == 200
    assert list(response.json()) == COLLECTIONS
    assert response.json()["users"] == api.url + "users/"


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_trailing_slash_is_optional(api: Api, collection: str) -> None:
    with_slash = api.get(f"{collection}/")
    without = api.get(collection)
    assert with_slash.status_code == without.status_code == 200
    assert without.json()["count"] == with_slash.json()["count"]


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("users/", "POST"),
        ("users/admin/", "PUT"),
        ("executabletasktypes/", "DELETE"),
        ("executabletasktypes/1/", "PATCH"),
        ("containertasktypes/1/", "DELETE"),
        ("taskqueues/", "OPTIONS"),
        ("taskwhitelists/", "HEAD"),
        ("executabletaskinstances/", "PUT"),
        ("containertaskinstances/", "DELETE"),
        ("updatetaskinstancestatus/00000000-0000-0000-0000-000000000000/", "GET"),
    ],
)
def test_disallowed_methods_are_405_json(api: Api, path: str, method: str) -> None:
    response = api.request(method, path)
    assert response.status_code == 405
    if method != "HEAD":
        assert response.json() == {"detail": f'Method "{method}" not allowed.'}


def test_authentication_comes_before_the_method_check(server: Server) -> None:
    response = requests.delete(server.url + "users/", timeout=10)
    assert response.status_code == 403


def test_unknown_objects_are_404_not_found(api: Api) -> None:
    for path in (
        "users/nobody/",
        "executabletasktypes/999999/",
        "executabletasktypes/abc/",
        "taskqueues/999999/",
        "taskwhitelists/999999/",
        "executabletaskinstances/00000000-0000-0000-0000-000000000000/",
        "containertaskinstances/not-a-uuid/",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}


def test_instances_are_not_found_under_the_other_kind(api: Api, setup) -> None:
    job = setup.job(api)
    assert api.get(f"containertaskinstances/{job['uuid']}/").status_code == 404
    assert api.get(f"executabletaskinstances/{job['uuid']}/").status_code == 200


def test_unknown_url_is_an_html_404(api: Api) -> None:
    response = api.get("nothing-here/")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")


def test_users_are_read_only_and_ordered_by_username(api: Api) -> None:
    body = api.get("users/").json()
    names = [user["username"] for user in body["results"]]
    assert names == sorted(names)
    assert {"admin", "bob", "carol"} <= set(names)
    assert set(body["results"][0]) == {"username", "email"}
