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
    assert options.environments_dir == Path("environments")


@pytest.mark.parametrize(
    "bad",
    [
        ["--containers", "0"],
        ["--execute-timeout", "-1"],
        ["--memory-limit", "0"],
        ["--process-limit", "-2"],
        ["--usage-interval", "x"],
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
        assert set(server.info) == {"backend", "url", "port"}
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
