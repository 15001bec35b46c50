"""Registration of the sandbox server: the plugin hook, the CLI options, the ready handshake."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from jobharness.cli import build_parser
from jobharness.plugins import servers
from jobharness.servers.base import EmbeddedServer
from jobharness.servers.sandbox.options import ServerOptions


def test_the_sandbox_server_is_a_builtin_plugin():
    spec = servers()["sandbox"]
    assert spec.name == "sandbox"
    assert "sandbox" in spec.help


def test_cli_defaults_mirror_the_real_server():
    args = build_parser(servers()).parse_args(["serve", "sandbox"])
    assert ServerOptions.from_args(args) == ServerOptions()
    options = ServerOptions()
    assert (options.containers, options.wait_for_container, options.execute_timeout) == (
        20,
        2.0,
        10.0,
    )
    assert (options.expiration, options.usage_interval, options.hard_timeout) == (
        86400.0,
        2.0,
        300.0,
    )
    assert options.data_dir is None and options.environments_dir is None  # a temporary one


@pytest.mark.parametrize(
    "bad",
    [
        ["--containers", "0"],
        ["--execute-timeout", "-1"],
        ["--memory-limit", "0"],
        ["--process-limit", "-2"],
        ["--usage-interval", "x"],
        ["--container-return-delay", "-1"],
        ["--fault", "container-removed-every=0"],
        ["--fault", "everything"],
    ],
)
def test_cli_rejects_unusable_values(bad, capsys):
    with pytest.raises(SystemExit):
        build_parser(servers()).parse_args(["serve", "sandbox", *bad])
    assert bad[0] in capsys.readouterr().err


def test_embedded_server_announces_its_url_and_serves(tmp_path):
    environments = tmp_path / "envs"
    args = ["--environments-dir", str(environments), "--usage-interval", "0.1"]
    with EmbeddedServer("sandbox", args=args) as server:
        assert set(server.info) == {"backend", "url", "port", "data_dir", "environments_dir"}
        assert server.info["environments_dir"] == str(environments.resolve())
        assert server.info["backend"] == "sandbox"
        assert server.url == f"http://127.0.0.1:{server.info['port']}"
        body = requests.post(
            f"{server.url}/execute/",
            data={"config": '{"commands": ["echo hi"], "save": true}'},
            timeout=10,
        ).json()
        assert (environments / f"{body['environment']}.tgz").is_file()
        specs = requests.get(f"{server.url}/specifications/", timeout=10).json()
        assert specs["container"]["memory"]["ram"] == 100_000_000
    assert server.pid is None


def _save_one(server: EmbeddedServer) -> Path:
    body = requests.post(
        f"{server.url}/execute/",
        data={"config": '{"commands": ["echo kept > f.txt"], "save": true}'},
        timeout=10,
    ).json()
    return Path(server.info["environments_dir"]) / f"{body['environment']}.tgz"


def test_by_default_the_data_lives_in_a_temporary_directory_removed_at_stop(tmp_path):
    started_in = tmp_path / "checkout"
    with EmbeddedServer("sandbox", workdir=started_in) as server:
        saved = _save_one(server)
        assert saved.is_file()
        data_dir = Path(server.info["data_dir"])
        assert started_in not in saved.parents and data_dir in saved.parents
    assert not data_dir.exists()
    assert sorted(p.name for p in started_in.iterdir() if p.is_dir()) == []


def test_data_dir_keeps_the_environments_across_restarts(tmp_path):
    data = tmp_path / "data"
    with EmbeddedServer("sandbox", ["--data-dir", str(data)]) as first:
        saved = _save_one(first)
    assert saved == data.resolve() / "environments" / saved.name and saved.is_file()
    with EmbeddedServer("sandbox", ["--data-dir", str(data)]) as second:
        name = saved.name.removesuffix(".tgz")
        reply = requests.get(f"{second.url}/files/{name}/f.txt/", timeout=10)
        assert reply.text == "kept\n"
