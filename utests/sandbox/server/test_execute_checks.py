"""POST /execute/: request encoding and the status table, in the real server's order."""

from __future__ import annotations

import json
import os
import uuid

import pytest
import requests

HTML = "text/html; charset=utf-8"


def assert_text(response: requests.Response, status: int, text: str) -> None:
    assert (response.status_code, response.text) == (status, text)
    assert response.headers["Content-Type"] == HTML


def test_missing_config(sandbox_target):
    response = requests.post(f"{sandbox_target.url}/execute/", timeout=10)
    assert_text(response, 400, "Missing argument 'config'")


def test_config_sent_as_a_file_part_is_not_seen(sandbox_target):
    files = {"config": ("config.json", json.dumps({"commands": ["true"]}))}
    response = requests.post(f"{sandbox_target.url}/execute/", files=files, timeout=10)
    assert_text(response, 400, "Missing argument 'config'")


def test_invalid_json_quotes_the_parser_message(sandbox_target):
    assert_text(
        sandbox_target.execute("{nope", raw=True),
        400,
        "'config' json is invalid - Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
    )


@pytest.mark.parametrize(("config", "kind"), [([], "list"), ("x", "str"), (3, "int")])
def test_config_must_be_an_object(sandbox_target, config, kind):
    response = sandbox_target.execute(config)
    assert_text(response, 400, f"config must be an object, not <class '{kind}'>")


@pytest.mark.parametrize(
    ("config", "text"),
    [
        ({}, "Missing field 'commands' in config"),
        ({"commands": "ls"}, "commands must be a list, not <class 'str'>"),
        ({"commands": [], "environ": []}, "environ must be an object, not <class 'list'>"),
        ({"commands": []}, "Command list cannot be empty"),
        ({"commands": [3]}, "Command badly formatted : '3'"),
        ({"commands": [None]}, "Command badly formatted : 'None'"),
        ({"commands": [{"command": 1}]}, "Command badly formatted : '{'command': 1}'"),
        (
            {"commands": [{"command": "ls", "timeout": "2"}]},
            "Command badly formatted : '{'command': 'ls', 'timeout': '2'}'",
        ),
        ({"commands": ["ls"], "result_path": 1}, "result_path must be a string, not <class 'int'>"),
        ({"commands": ["ls"], "save": "yes"}, "save must be a boolean, not <class 'str'>"),
        ({"commands": ["ls"], "save": 1}, "save must be a boolean, not <class 'int'>"),
    ],
)
def test_config_checks_answer_400_with_the_real_texts(sandbox_target, config, text):
    assert_text(sandbox_target.execute(config), 400, text)


def test_unknown_environment_is_checked_before_the_commands(sandbox_target):
    name = str(uuid.uuid4())
    response = sandbox_target.execute({"environment": name})
    assert_text(response, 404, f"No environment with UUID '{name}' found")
    assert_text(
        sandbox_target.execute({"environment": ""}), 404, "No environment with UUID '' found"
    )
    escape = {"commands": ["true"], "environment": "../environments/x"}
    assert sandbox_target.execute(escape).status_code == 404


def test_null_environment_counts_as_absent(sandbox_target):
    assert sandbox_target.run({"commands": ["true"], "environment": None})["status"] == 0


def test_extra_key_in_a_command_object_is_a_500(sandbox_target):
    response = sandbox_target.execute({"commands": [{"command": "true", "environ": {}}]})
    assert response.status_code == 500
    assert "<h1>Server Error (500)</h1>" in response.text


def test_commands_are_checked_in_order(sandbox_target):
    first_500 = sandbox_target.execute({"commands": [{"command": "true", "x": 1}, 5]})
    assert first_500.status_code == 500
    first_400 = sandbox_target.execute({"commands": [5, {"command": "true", "x": 1}]})
    assert_text(first_400, 400, "Command badly formatted : '5'")


def test_bad_command_beats_bad_save(sandbox_target):
    response = sandbox_target.execute({"commands": [1], "save": "no"})
    assert_text(response, 400, "Command badly formatted : '1'")


def test_non_gzip_upload_is_a_500_with_or_without_a_stored_environment(sandbox_target, kit):
    alone = sandbox_target.execute({"commands": ["true"]}, b"garbage")
    assert alone.status_code == 500
    plain_tar = kit.make_tgz({"a": b"a"}, mode="w")
    assert sandbox_target.execute({"commands": ["true"]}, plain_tar).status_code == 500
    base = sandbox_target.run({"commands": ["true"], "save": True})["environment"]
    # With a stored environment the upload is read first: 500 even before the commands.
    merged = sandbox_target.execute({"commands": [], "environment": base}, b"garbage")
    assert merged.status_code == 500


def test_environment_sent_as_a_plain_field_is_ignored(sandbox_target):
    data = {"config": json.dumps({"commands": ["ls | wc -l"]}), "environment": "xyz"}
    response = requests.post(f"{sandbox_target.url}/execute/", data=data, timeout=10)
    assert response.status_code == 200
    assert response.json()["execution"][0]["stdout"] == "0"


def test_urlencoded_and_multipart_bodies_both_work(sandbox_target, kit):
    assert sandbox_target.run({"commands": ["echo a"]})["execution"][0]["stdout"] == "a"
    body = sandbox_target.run({"commands": ["cat f"]}, kit.make_tgz({"f": b"from upload"}))
    assert body["execution"][0]["stdout"] == "from upload"


@pytest.mark.parametrize("multipart", [False, True])
def test_oversized_form_fields_are_a_html_400(sandbox_target, kit, multipart):
    big = json.dumps({"commands": ["true"], "pad": "x" * (3 * 1024 * 1024)})
    archive = kit.make_tgz({"a": b"a"}) if multipart else None
    response = sandbox_target.execute(big, archive, raw=True)
    assert response.status_code == 400
    assert "<h1>Bad Request (400)</h1>" in response.text


def test_large_uploaded_archives_are_accepted(sandbox_target, kit):
    archive = kit.make_tgz({"big.bin": os.urandom(3 * 1024 * 1024)})
    body = sandbox_target.run({"commands": ["stat -c %s big.bin"]}, archive)
    assert body["execution"][0]["stdout"] == str(3 * 1024 * 1024)


def test_other_config_keys_are_ignored(sandbox_target):
    assert sandbox_target.run({"commands": ["true"], "whatever": [1, 2]})["status"] == 0
