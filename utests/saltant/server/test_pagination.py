"""PageNumberPagination: sizes, absolute next/previous links, invalid pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .conftest import Api, Setup, unique


def make_types(api: Api, prefix: str, count: int) -> list[int]:
    """Create ``count`` task types named ``prefix-N``; return their ids."""
    return [
        api.created("executabletasktypes/", {"name": f"{prefix}-{n}", "command_to_run": "true"})[
            "id"
        ]
        for n in range(count)
    ]


def test_pages_links_and_order(api: Api) -> None:
    prefix = unique("page")
    ids = make_types(api, prefix, 12)
    first = api.get(f"executabletasktypes/?name__startswith={prefix}&page_size=5").json()
    assert first["count"] == 12
    assert [t["id"] for t in first["results"]] == ids[:5]
    assert first["previous"] is None
    second_url = first["next"]
    assert second_url.startswith(api.url + "executabletasktypes/?")
    assert parse_qs(urlsplit(second_url).query) == {
        "name__startswith": [prefix],
        "page": ["2"],
        "page_size": ["5"],
    }
    second = api.session.get(second_url, headers={"Authorization": f"Token {api.token}"}).json()
    assert [t["id"] for t in second["results"]] == ids[5:10]
    # the previous link of page 2 drops the page parameter; query keys come sorted
    assert second["previous"] == (
        f"{api.url}executabletasktypes/?name__startswith={prefix}&page_size=5"
    )
    third = api.get(f"executabletasktypes/?name__startswith={prefix}&page_size=5&page=3").json()
    assert [t["id"] for t in third["results"]] == ids[10:]
    assert third["next"] is None
    assert "page=2" in third["previous"]


def test_links_follow_the_host_header(api: Api) -> None:
    prefix = unique("host")
    make_types(api, prefix, 2)
    body = api.get(
        f"executabletasktypes/?name__startswith={prefix}&page_size=1",
        headers={"Host": "saltant.example:8000"},
    ).json()
    assert body["next"].startswith("http://saltant.example:8000/api/executabletasktypes/?")


def test_invalid_pages_are_404(api: Api) -> None:
    for page in ("999", "0", "-1", "abc", "1.0"):
        response = api.get(f"executabletasktypes/?page={page}")
        assert response.status_code == 404, page
        assert response.json() == {"detail": "Invalid page."}


def test_empty_list_has_a_first_page(api: Api) -> None:
    body = api.get(f"executabletasktypes/?name={unique('none')}&page=1").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_invalid_page_sizes_are_ignored(api: Api) -> None:
    prefix = unique("size")
    make_types(api, prefix, 3)
    for size in ("0", "-3", "x"):
        body = api.get(f"executabletasktypes/?name__startswith={prefix}&page_size={size}").json()
        assert len(body["results"]) == 3
        assert body["next"] is None


def test_sdk_page_size_is_accepted(api: Api) -> None:
    response = api.get(f"users/?page=1&page_size={2**63 - 1}")
    assert response.status_code == 200
    assert response.json()["count"] >= 3
    huge = api.get(f"users/?page_size={2**80}")
    assert huge.status_code == 200


def test_instances_page_by_ten_newest_first(api: Api, setup: Setup) -> None:
    name = unique("ten")
    made = [setup.job(api, name=name)["uuid"] for _ in range(11)]
    body = api.get(f"executabletaskinstances/?name={name}").json()
    assert body["count"] == 11
    assert [i["uuid"] for i in body["results"]] == made[::-1][:10]
    assert body["next"] is not None
