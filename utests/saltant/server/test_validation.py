"""Validation errors with upstream's exact bodies, for JSON and form bodies."""

from __future__ import annotations

import json

from .conftest import Api, Setup, provision, unique


def test_task_type_errors(api: Api) -> None:
    name = unique("dup")
    api.created("executabletasktypes/", {"name": name, "command_to_run": "true"})
    duplicate = api.post("executabletasktypes/", json={"name": name, "command_to_run": "true"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {"name": ["executable task type with this name already exists."]}
    missing = api.post("executabletasktypes/", json={"name": unique("m")})
    assert missing.json() == {"command_to_run": ["This field is required."]}
    subset = api.post(
        "executabletasktypes/",
        json={
            "name": unique("s"),
            "command_to_run": "true",
            "required_arguments": ["a"],
            "required_arguments_default_values": {"b": 1},
        },
    )
    assert subset.status_code == 400
    assert subset.json() == {
        "non_field_errors": ["['default arguments not a subset of required arguments']"]
    }
    podman = api.post(
        "containertasktypes/",
        json={
            "name": unique("c"),
            "command_to_run": "true",
            "container_image": "alpine:3",
            "container_type": "podman",
        },
    )
    assert podman.json() == {"container_type": ['"podman" is not a valid choice.']}
    array = api.post(
        "executabletasktypes/",
        json={"name": unique("a"), "command_to_run": "true", "environment_variables": {"A": 1}},
    )
    assert array.json() == {"non_field_errors": ["[\"'{'A': 1}' is not a valid JSON array!\"]"]}
    long_name = api.post("executabletasktypes/", json={"name": "x" * 201, "command_to_run": "t"})
    assert long_name.json() == {"name": ["Ensure this field has no more than 200 characters."]}
    not_object = api.post("executabletasktypes/", json=[1, 2])
    assert not_object.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }


def test_task_type_from_a_form_decodes_json_fields(api: Api) -> None:
    response = api.post(
        "executabletasktypes/",
        data={
            "name": unique("form"),
            "command_to_run": "true",
            "environment_variables": json.dumps(["HOME"]),
            "required_arguments": json.dumps(["x"]),
            "required_arguments_default_values": json.dumps({"x": 1}),
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["environment_variables"] == ["HOME"]
    assert body["required_arguments_default_values"] == {"x": 1}
    assert body["json_file_option"] is None
    assert list(body) == [
        "id",
        "user",
        "name",
        "description",
        "datetime_created",
        "command_to_run",
        "environment_variables",
        "required_arguments",
        "required_arguments_default_values",
        "json_file_option",
    ]
    broken = api.post(
        "executabletasktypes/",
        data={"name": unique("f"), "command_to_run": "true", "required_arguments": "[oops"},
    )
    assert broken.json() == {"required_arguments": ["Value must be valid JSON."]}


def test_body_parsing_errors(api: Api) -> None:
    garbage = api.post(
        "taskqueues/", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 400
    assert garbage.json()["detail"].startswith("JSON parse error - ")
    text = api.post("taskqueues/", data="name=x", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    assert text.json() == {"detail": 'Unsupported media type "text/plain" in request.'}


def test_multipart_bodies_are_accepted(api: Api) -> None:
    name = unique("mp")
    response = api.post("taskwhitelists/", files={"name": (None, name)})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name


def test_queue_and_whitelist_errors(api: Api) -> None:
    bad_name = api.post("taskqueues/", json={"name": "bad name!"})
    assert bad_name.json() == {"name": [" @/+/-/_ only"]}
    wl = api.post(
        "taskwhitelists/", json={"name": unique("w"), "whitelisted_executable_task_types": [999999]}
    )
    assert wl.json() == {
        "whitelisted_executable_task_types": ['Invalid pk "999999" - object does not exist.']
    }
    not_list = api.post("taskqueues/", json={"name": unique("q"), "whitelists": "1"})
    assert not_list.json() == {"whitelists": ['Expected a list of items but got type "str".']}
    flag = api.post("taskqueues/", json={"name": unique("q"), "active": "perhaps"})
    assert flag.json() == {"active": ["Must be a valid boolean."]}
    name = unique("q")
    api.created("taskqueues/", {"name": name})
    assert api.post("taskqueues/", json={"name": name}).json() == {
        "name": ["task queue with this name already exists."]
    }


def test_queue_form_booleans_and_defaults(api: Api) -> None:
    from_json = api.created("taskqueues/", {"name": unique("j")})
    assert from_json["active"] is True
    assert from_json["runs_executable_tasks"] is True
    form = api.post(
        "taskqueues/", data={"name": unique("f"), "private": "True", "active": "False"}
    ).json()
    assert form["private"] is True
    assert form["active"] is False
    # an HTML form omits unchecked boxes: missing booleans read as false (as DRF does)
    assert form["runs_executable_tasks"] is False


def test_instance_errors(api: Api, setup: Setup) -> None:
    typed = provision(
        api,
        required_arguments=["seconds"],
    )
    other_type = api.created(
        "executabletasktypes/", {"name": unique("other"), "command_to_run": "true"}
    )
    path = "executabletaskinstances/"

    def post(body: dict[str, object]) -> dict[str, object]:
        response = api.post(path, json=body)
        assert response.status_code == 400, response.text
        return dict(response.json())

    assert post({"task_type": other_type["id"], "task_queue": typed.queue["id"]}) == {
        "non_field_errors": [
            f"['Queue {typed.queue['name']} has not whitelisted task type {other_type['name']}']"
        ]
    }
    assert post({"task_type": typed.task_type["id"], "task_queue": typed.queue["id"]}) == {
        "non_field_errors": ["[\"required argument 'seconds' not provided!\"]"]
    }
    assert post(
        {"task_type": typed.task_type["id"], "task_queue": typed.queue["id"], "arguments": [1, 2]}
    ) == {"non_field_errors": ["[\"'[1, 2]' is not a valid JSON dictionary!\"]"]}
    assert post({"task_type": typed.task_type["id"], "task_queue": 999999}) == {
        "task_queue": ['Invalid pk "999999" - object does not exist.']
    }
    assert post({"task_type": typed.task_type["id"]}) == {"task_queue": ["This field is required."]}
    assert post({"task_type": "abc", "task_queue": typed.queue["id"]}) == {
        "task_type": ["Incorrect type. Expected pk value, received str."]
    }
    noexec = api.created(
        "taskqueues/",
        {
            "name": unique("noexec"),
            "runs_executable_tasks": False,
            "whitelists": [typed.whitelist["id"]],
        },
    )
    assert post(
        {
            "task_type": typed.task_type["id"],
            "task_queue": noexec["id"],
            "arguments": {"seconds": 0},
        }
    ) == {"non_field_errors": [f"['Queue {noexec['name']} does not accept executable tasks']"]}


def test_instance_arguments_are_filled_from_defaults(api: Api) -> None:
    typed = provision(
        api,
        required_arguments=["seconds", "exit_code"],
        required_arguments_default_values={"seconds": 0, "exit_code": 0},
    )
    job = typed.job(api, {"exit_code": 0, "extra": "kept"})
    assert job["arguments"] == {"exit_code": 0, "extra": "kept", "seconds": 0}
    assert job["state"] == "created"
    assert job["datetime_finished"] is None
    assert list(job) == [
        "uuid",
        "user",
        "name",
        "state",
        "datetime_created",
        "datetime_finished",
        "arguments",
        "task_queue",
        "task_type",
    ]


def test_hidden_queues_are_invalid_pks(api: Api, bob: Api) -> None:
    typed = provision(api)
    private = api.created(
        "taskqueues/",
        {"name": unique("priv"), "private": True, "whitelists": [typed.whitelist["id"]]},
    )
    body = {"task_type": typed.task_type["id"], "task_queue": private["id"]}
    hidden = bob.post("executabletaskinstances/", json=body)
    assert hidden.status_code == 400
    assert hidden.json() == {
        "task_queue": [f'Invalid pk "{private["id"]}" - object does not exist.']
    }
    assert api.post("executabletaskinstances/", json=body).status_code == 201
    api.patch(f"taskqueues/{private['id']}/", json={"active": False})
    inactive = api.post("executabletaskinstances/", json=body)
    assert inactive.json() == {
        "task_queue": [f'Invalid pk "{private["id"]}" - object does not exist.']
    }
