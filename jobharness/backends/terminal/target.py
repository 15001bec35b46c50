"""Where the terminal clients go: the configured ssh host, or an embedded sshd.

Configured: ``terminal_host`` (with port, user, password or key file,
known-hosts file and host-key policy). Otherwise ``jobharness serve sshd``
is started for the run: a private sshd on 127.0.0.1 whose ready file (mode
0600) gives the test account, its password, a client key and a known-hosts
file holding the server's host key, so the host key is checked strictly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jobharness.backends.terminal.client import Terminal
from jobharness.backends.terminal.settings import (
    ALL_SETTINGS,
    TERMINAL_HOST,
    TERMINAL_HOST_KEY_POLICY,
    TERMINAL_KEY_FILE,
    TERMINAL_KNOWN_HOSTS,
    TERMINAL_PASSWORD,
    TERMINAL_PORT,
    TERMINAL_USER,
)
from jobharness.backends.terminal.spec import HostKeyPolicy, SshHop, port_number
from jobharness.targets import Service, Settings, Target, TargetSpec


def _configured(settings: Settings) -> dict[str, Any] | None:
    host = settings[TERMINAL_HOST.name].value
    if not host:
        return None
    return {
        "host": host,
        "port": port_number(settings[TERMINAL_PORT.name].value, host),
        "user": settings[TERMINAL_USER.name].value,
        "password": settings[TERMINAL_PASSWORD.name].value,
        "key_file": settings[TERMINAL_KEY_FILE.name].value,
        "known_hosts": settings[TERMINAL_KNOWN_HOSTS.name].value,
        "host_key_policy": HostKeyPolicy.parse(
            settings[TERMINAL_HOST_KEY_POLICY.name].value or HostKeyPolicy.STRICT
        ).value,
    }


def _embedded(infos: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    info = infos[-1]
    return {
        "host": info["host"],
        "port": int(info["port"]),
        "user": info["user"],
        "password": info.get("password"),
        "key_file": info["client_key"],
        "known_hosts": info["known_hosts"],
        "host_key_policy": HostKeyPolicy.STRICT.value,
        "host_key": info.get("host_key"),
        "log_file": info.get("log_file"),
        "url": info.get("url"),
    }


TERMINAL_TARGET = TargetSpec(
    backend="terminal",
    settings=ALL_SETTINGS,
    configured=_configured,
    services=(Service("sshd"),),
    embedded=_embedded,
    secrets=("password",),
)
"""The terminal's target: ``terminal_host`` and its login settings, else an embedded sshd."""


def target_hop(target: Target, *, use_password: bool = False, **changes: Any) -> SshHop:
    """The ssh hop to ``target``: by key when it has one (by password with ``use_password``).

    ``changes`` replace fields of the hop (``host_key_policy``, ``workdir`` ...).
    """
    info = target.info
    key_file = info.get("key_file")
    password = info.get("password")
    if use_password or not key_file:
        key_file = None if use_password else key_file
    else:
        password = None
    values: dict[str, Any] = {
        "host": info["host"],
        "port": info["port"],
        "user": info.get("user"),
        "password": password,
        "key_file": key_file,
        "known_hosts": info.get("known_hosts"),
        "host_key_policy": HostKeyPolicy.parse(info.get("host_key_policy") or "strict"),
    }
    values.update(changes)
    return SshHop(**values)


def terminal_client(target: Target, **options: Any) -> Terminal:
    """A :class:`Terminal` to ``target`` (``options``: the Terminal's keyword options)."""
    use_password = bool(options.pop("use_password", False))
    return Terminal(target_hop(target, use_password=use_password), **options)
