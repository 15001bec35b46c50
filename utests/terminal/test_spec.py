"""Routes as data: hop specs, dicts (ours and crl's), crl's shell names, the plan of a route."""

from __future__ import annotations

import dataclasses

import pytest

from jobharness.backends.terminal import (
    Answer,
    HostKeyPolicy,
    LocalShell,
    PromptHop,
    Route,
    SshHop,
    hop_from_dict,
    nested_ssh,
    plan_route,
    route,
    shells,
    su,
    sudo,
)
from jobharness.backends.terminal.protocol import ssh_config, ssh_options
from jobharness.errors import ConfigurationError


def test_an_ssh_hop_is_frozen_hashable_and_checked() -> None:
    hop = SshHop("10.0.0.1", "2222", "tester", "pw", known_hosts="/suite/kh")  # type: ignore[arg-type]
    assert hop.port == 2222 and hop.host_key_policy is HostKeyPolicy.STRICT
    assert hop == SshHop("10.0.0.1", 2222, "tester", "pw", known_hosts="/suite/kh")
    assert len({hop, dataclasses.replace(hop)}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        hop.host = "x"  # type: ignore[misc]
    assert "pw" not in repr(hop) and hop.describe() == "ssh tester@10.0.0.1:2222"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"host": ""}, "host is required"),
        ({"host": "a b"}, "not a host name"),
        ({"port": 0}, "port must be 1-65535"),
        ({"port": "ssh"}, "port must be 1-65535"),
        ({"host_key_policy": "no"}, "host_key_policy must be one of strict, accept-new"),
        ({"known_hosts": "/dev/null"}, "would turn host key checking off"),
        ({"options": {"StrictHostKeyChecking": "no"}}, "option StrictHostKeyChecking is set by"),
        ({"options": {"UserKnownHostsFile": "/dev/null"}}, "UserKnownHostsFile is set by"),
        ({"connect_timeout": -1}, "connect_timeout must be a finite duration"),
        ({"user": "a;b"}, "not a user name"),
    ],
)
def test_bad_ssh_hops_are_refused_naming_the_field(
    changes: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {"host": "h", **changes}
    with pytest.raises(ConfigurationError, match=message):
        SshHop(**values)  # type: ignore[arg-type]


def test_a_route_from_a_hop_a_dict_or_a_list() -> None:
    one = SshHop("gw")
    assert route(one) == Route((one,))
    assert route({"host": "gw"}) == Route((one,))
    assert route([LocalShell(), {"host": "gw"}, {"kind": "sudo"}]).hops[:2] == (LocalShell(), one)
    assert route(route(one)) == route(one)
    with pytest.raises(ConfigurationError, match="at least one hop"):
        route([])
    with pytest.raises(ConfigurationError, match="hop 1 is a int"):
        route([one, 3])
    with pytest.raises(ConfigurationError, match="a route is a hop"):
        route("gw")


def test_crl_shell_dicts_become_hops() -> None:
    hop = hop_from_dict({"host": "10.0.0.2", "user": "u", "password": "p", "port": "2022"})
    assert hop == SshHop("10.0.0.2", 2022, "u", "p")
    assert hop_from_dict({"host": "h", "username": "u", "tty_echo": True}) == SshHop("h", user="u")
    assert hop_from_dict({"shellname": "BashShell"}) == LocalShell()
    sudo_hop = hop_from_dict({"shellname": "SudoShell", "password": "s"})
    assert isinstance(sudo_hop, PromptHop) and sudo_hop.secrets == ("s",)
    netns = hop_from_dict({"shellname": "NamespaceShell", "namespace": "qdhcp-1"})
    assert isinstance(netns, PromptHop) and netns.run is not None and "qdhcp-1" in netns.run
    key = hop_from_dict(
        {"shellname": "KeyAuthenticatedSshShell", "host": "h", "initial_prompt": "$"}
    )
    assert key == SshHop("h")
    assert hop_from_dict({"shellname": "PythonShell"}).run is None  # type: ignore[union-attr]


def test_our_dicts_become_hops() -> None:
    hop = hop_from_dict(
        {
            "kind": "ssh",
            "host": "h",
            "username": "u",
            "known_hosts": "/kh",
            "host_key_policy": "accept-new",
            "options": {"Compression": "yes"},
        }
    )
    assert hop == SshHop(
        "h",
        user="u",
        known_hosts="/kh",
        host_key_policy=HostKeyPolicy.ACCEPT_NEW,
        options=(("Compression", "yes"),),
    )
    assert hop_from_dict({"kind": "local", "workdir": "/w"}) == LocalShell(workdir="/w")
    assert hop_from_dict({"kind": "su", "user": "x", "password": "p"}) == su("x", "p")
    custom = hop_from_dict(
        {
            "kind": "prompt",
            "command": "vendorcli",
            "answers": [{"expect": "PIN:", "reply": "1234", "secret": True}],
        }
    )
    assert isinstance(custom, PromptHop) and custom.answers == (Answer("PIN:", "1234", True),)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"host": "h", "pasword": "x"}, "hop 0: unknown key 'pasword' for ssh"),
        ({"kind": "ssh", "host": "h", "tty_echo": True}, "unknown key 'tty_echo' for ssh"),
        ({"kind": "ssh"}, "ssh needs the key 'host'"),
        ({"kind": "teleport"}, "unknown kind 'teleport'"),
        ({"shellname": "TelnetShell"}, "unknown shellname 'TelnetShell'"),
        ({"shellname": "SudoShell", "pasword": "x"}, "unknown key 'pasword' for SudoShell"),
        ({"shellname": "NamespaceShell"}, "NamespaceShell needs the key 'namespace'"),
        ({"user": "u"}, "needs a host"),
        ({"host": ""}, "'host' is empty"),
        ({"host": "h", "port": "x"}, "port must be 1-65535"),
        ({"host": "h", "second_password": "p"}, "second_password is not supported"),
        ({"kind": "ssh", "shellname": "SshShell"}, "not both"),
        ({"kind": "prompt", "command": "x", "answers": ["PIN"]}, "answers\\[0\\] must be a dict"),
        ({"kind": "prompt", "command": "x", "run": "no placeholder"}, "must contain {command}"),
    ],
)
def test_bad_dicts_name_the_bad_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        route([data])


def test_crl_shell_names_take_crl_arguments() -> None:
    assert shells.SshShell("10.0.0.1", "u", "p", port=2200) == SshHop("10.0.0.1", 2200, "u", "p")
    assert shells.DefaultSshShell(host="h", user="u") == SshHop("h", user="u")
    assert shells.BashShell(workdir="/w") == LocalShell(workdir="/w")
    assert shells.SudoShell(password="x") == sudo("x")
    assert shells.SudoShell("sudo -i", "x") == sudo("x", login=True)
    assert isinstance(shells.BashShell("bash --norc"), PromptHop)
    assert shells.KubernetesShell("pod", namespace="ns").run == (
        "kubectl exec -i pod -n ns -- /bin/sh -c {command}"
    )
    with pytest.raises(ConfigurationError, match="add a SudoShell"):
        shells.RemoteShell("h", sudo=True)


def test_the_plan_splits_the_ssh_chain_from_the_prompt_hops() -> None:
    gw, vm, inner = SshHop("gw"), SshHop("vm", key_file="/k"), SshHop("inner")
    hops = plan_route(route([LocalShell(), gw, LocalShell(workdir="/w"), vm, sudo("pw"), inner]))
    assert hops.ssh == (gw, vm)
    assert hops.tail == (sudo("pw"), nested_ssh(inner))
    assert hops.workdir == "/w"
    line = hops.through_tail("echo hi")
    assert line.startswith("sudo -S -p ") and "ssh -T -o BatchMode=yes" in line
    assert plan_route(route(LocalShell())).local


def test_the_ssh_config_chains_hops_and_never_turns_checking_off() -> None:
    gw = SshHop("gw", user="a", password="secret", known_hosts="/suite/kh")
    vm = SshHop("vm", 2222, key_file="/keys/id", host_key_policy="accept-new")  # type: ignore[arg-type]
    config = ssh_config((gw, vm))
    assert "ProxyJump jh-hop-0" in config
    assert "StrictHostKeyChecking yes" in config and "StrictHostKeyChecking accept-new" in config
    assert "/dev/null" not in config and "secret" not in config
    assert "BatchMode yes" in config  # the key hop never prompts
    options = ssh_options(vm)
    assert options[:4] == ["-F", "none", "-p", "2222"]
    assert "IdentityFile=/keys/id" in options
