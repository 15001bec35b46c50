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
    assert response.json()["users"] == api.url + "users"  # no trailing slash, as upstream
    assert response.headers["Allow"] == "GET, HEAD"


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
    assert "Allow" not in response.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_an_unknown_url_are_an_empty_405(api: Api, method: str) -> None:
    response = api.request(method, "nothing/")
    assert response.status_code == 405
    assert response.content == b""
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "executabletasktypes/", "GET, POST"),
        ("GET", "users/admin/", "GET"),
        ("GET", "taskqueues/", "GET, POST"),
        ("DELETE", "taskqueues/1/", "GET, PUT, PATCH"),
        ("GET", "executabletaskinstances/", "GET, POST"),
        ("PUT", "executabletaskinstances/", "GET, POST"),
    ],
)
def test_every_answer_of_a_route_says_its_methods(
    api: Api, method: str, path: str, allow: str
) -> None:
    assert api.request(method, path).headers["Allow"] == allow


def test_an_anonymous_answer_says_the_methods_too(server: Server) -> None:
    response = requests.get(server.url + "taskwhitelists/", timeout=10)
    assert response.status_code == 403
    assert response.headers["Allow"] == "GET, POST"


def test_users_are_read_only_and_ordered_by_username(api: Api) -> None:
    body = api.get("users/").json()
    names = [user["username"] for user in body["results"]]
    assert names == sorted(names)
    assert {"admin", "bob", "carol"} <= set(names)
    assert set(body["results"][0]) == {"username", "email"}
