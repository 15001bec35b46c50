"""Who may change what: owners and superusers write; everyone reads, clones and terminates."""

from __future__ import annotations

from .conftest import Api, provision, unique

FORBIDDEN = {"detail": "You do not have permission to perform this action."}


def test_only_owner_or_superuser_may_put_a_task_type(api: Api, bob: Api, server) -> None:
    mine = bob.created("executabletasktypes/", {"name": unique("bob"), "command_to_run": "true"})
    assert mine["user"] == "bob"
    carol = server.api("carol")
    update = {"name": mine["name"], "command_to_run": "false", "description": "changed"}
    denied = carol.put(f"executabletasktypes/{mine['id']}/", json=update)
    assert denied.status_code == 403
    assert denied.json() == FORBIDDEN
    own = bob.put(f"executabletasktypes/{mine['id']}/", json=update)
    assert own.status_code == 200
    assert own.json()["command_to_run"] == "false"
    assert own.json()["user"] == "bob"
    admin = api.put(f"executabletasktypes/{mine['id']}/", json={**update, "description": "admin"})
    assert admin.status_code == 200
    assert admin.json()["user"] == "bob"


def test_put_needs_the_required_fields_and_checks_unique_names(api: Api) -> None:
    first = api.created("executabletasktypes/", {"name": unique("a"), "command_to_run": "true"})
    second = api.created("executabletasktypes/", {"name": unique("b"), "command_to_run": "true"})
    incomplete = api.put(f"executabletasktypes/{first['id']}/", json={"name": first["name"]})
    assert incomplete.json() == {"command_to_run": ["This field is required."]}
    clash = api.put(
        f"executabletasktypes/{first['id']}/",
        json={"name": second["name"], "command_to_run": "true"},
    )
    assert clash.json() == {"name": ["executable task type with this name already exists."]}
    same = api.put(
        f"executabletasktypes/{first['id']}/",
        json={"name": first["name"], "command_to_run": "true"},
    )
    assert same.status_code == 200


def test_queue_and_whitelist_patch_by_owner_only(api: Api, bob: Api) -> None:
    queue = api.created("taskqueues/", {"name": unique("q")})
    assert bob.patch(f"taskqueues/{queue['id']}/", json={"description": "x"}).json() == FORBIDDEN
    patched = api.patch(f"taskqueues/{queue['id']}/", data={"description": "patched"})
    assert patched.status_code == 200
    assert patched.json()["description"] == "patched"
    assert patched.json()["active"] is True  # a form PATCH leaves other booleans alone
    whitelist = bob.created("taskwhitelists/", {"name": unique("w")})
    kind = api.created(
        "containertasktypes/",
        {
            "name": unique("c"),
            "command_to_run": "true",
            "container_image": "alpine:3",
            "container_type": "docker",
        },
    )
    updated = bob.patch(
        f"taskwhitelists/{whitelist['id']}/",
        json={"whitelisted_container_task_types": [kind["id"]]},
    )
    assert updated.json()["whitelisted_container_task_types"] == [kind["id"]]
    cleared = bob.patch(
        f"taskwhitelists/{whitelist['id']}/", json={"whitelisted_container_task_types": []}
    )
    assert cleared.json()["whitelisted_container_task_types"] == []
    assert api.put(f"taskwhitelists/{whitelist['id']}/", json={"name": whitelist["name"]}).ok
    assert bob.get(f"taskwhitelists/{whitelist['id']}/").json()["user"] == "bob"


def test_anyone_clones_and_terminates_and_a_clone_belongs_to_the_caller(api: Api, bob: Api) -> None:
    typed = provision(api)
    job = typed.job(api, {"seconds": 0}, name="to-clone")
    response = bob.post(f"executabletaskinstances/{job['uuid']}/clone/")
    assert response.status_code == 201
    clone = response.json()
    assert clone["uuid"] != job["uuid"]
    assert clone["user"] == "bob"
    assert clone["state"] == "created"
    for key in ("name", "task_type", "task_queue", "arguments"):
        assert clone[key] == job[key]
    bob.wait("executable", clone["uuid"])
    assert bob.post(f"executabletaskinstances/{job['uuid']}/terminate/").status_code == 202
