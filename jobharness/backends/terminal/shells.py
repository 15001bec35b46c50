"""crl.interactivesessions' shell names, returning jobharness hop specs.

Code written for crl builds its paths from shell objects:
``[SshShell("10.0.0.1", "user", "pw"), SudoShell(password="pw")]``. The
functions here take the same names and constructor arguments and return the
immutable specs of :mod:`~jobharness.backends.terminal.spec`, so such a path
becomes a route unchanged. They are factories, not classes: ``isinstance``
checks against them do not work.

What differs from crl: host keys are checked (give ``known_hosts``, or
``host_key_policy="accept-new"``); ``tty_echo``, ``set_rand_promt`` and
``banner_timeout`` are accepted and ignored (no prompt is typed for a
command); ``second_password`` is refused (give each hop its own password).
"""

from __future__ import annotations

import re
from typing import Any

from jobharness.backends.terminal import prompthops
from jobharness.backends.terminal.spec import (
    DEFAULT_CONNECT_TIMEOUT,
    Answer,
    HostKeyPolicy,
    LocalShell,
    PromptHop,
    SshHop,
    pairs,
    port_number,
)
from jobharness.errors import ConfigurationError

# crl's names are the API here, CamelCase included.


def SshShell(
    ip: str,
    username: str | None = None,
    password: str | None = None,
    tty_echo: bool = False,
    second_password: str | None = None,
    port: int | str | None = None,
    init_env: str | None = None,
    *,
    key_file: str | None = None,
    known_hosts: str | None = None,
    host_key_policy: HostKeyPolicy | str = HostKeyPolicy.STRICT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    options: Any = None,
    workdir: str | None = None,
    config_file: str | None = None,
) -> SshHop:
    """An ssh login to ``ip`` as ``username`` (password or key)."""
    if second_password is not None:
        raise ConfigurationError(
            f"SshShell {ip}: second_password is not supported; give each hop its own password"
        )
    return SshHop(
        host=ip,
        port=port_number(port, ip),
        user=username,
        password=password,
        key_file=key_file,
        known_hosts=known_hosts,
        host_key_policy=HostKeyPolicy.parse(host_key_policy),
        connect_timeout=connect_timeout,
        options=pairs(options, f"ssh hop {ip}: options"),
        config_file=config_file,
        init_env=init_env,
        workdir=workdir,
    )


def DefaultSshShell(
    host: str | None = None,
    user: str | None = None,
    username: str | None = None,
    **kwargs: Any,
) -> SshHop:
    """:func:`SshShell` with crl's dict spelling: ``host``, ``user`` or ``username``."""
    ip = kwargs.pop("ip", None) or host
    if not ip:
        raise ConfigurationError("DefaultSshShell needs a host")
    return SshShell(ip, username or user, **kwargs)


def KeyAuthenticatedSshShell(
    host: str,
    initial_prompt: str | None = None,
    tty_echo: bool = False,
    *,
    username: str | None = None,
    port: int | str | None = None,
    key_file: str | None = None,
    known_hosts: str | None = None,
    host_key_policy: HostKeyPolicy | str = HostKeyPolicy.STRICT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> SshHop:
    """An ssh login to ``host`` by key (``initial_prompt`` is not needed and ignored)."""
    return SshShell(
        host,
        username,
        port=port,
        key_file=key_file,
        known_hosts=known_hosts,
        host_key_policy=host_key_policy,
        connect_timeout=connect_timeout,
    )


def RemoteShell(
    ip: str,
    username: str | None = None,
    password: str | None = None,
    tty_echo: bool = False,
    port: int | str | None = None,
    source: str | None = None,
    key_file: str | None = None,
    sudo: bool | None = None,
    *,
    known_hosts: str | None = None,
    host_key_policy: HostKeyPolicy | str = HostKeyPolicy.STRICT,
) -> SshHop:
    """crl 1.4's paramiko shell, as an ssh hop (``source`` becomes ``init_env``)."""
    if sudo:
        raise ConfigurationError(f"RemoteShell {ip}: sudo=True: add a SudoShell() hop after it")
    return SshShell(
        ip,
        username,
        password,
        port=port,
        init_env=source,
        key_file=key_file,
        known_hosts=known_hosts,
        host_key_policy=host_key_policy,
    )


def BashShell(
    cmd: str = "bash",
    confirmation_msg: str | None = None,
    confirmation_rsp: str = "Y",
    tty_echo: bool = False,
    set_rand_promt: bool = True,
    init_env: str | None = None,
    workdir: str | None = None,
    banner_timeout: float | None = None,
) -> LocalShell | PromptHop:
    """A bash where the route is (:class:`LocalShell`), or ``cmd`` typed there as a prompt hop."""
    if cmd.strip() == "bash" and confirmation_msg is None:
        return LocalShell(init_env=init_env, workdir=workdir)
    answers = (
        () if confirmation_msg is None else (Answer(re.escape(confirmation_msg), confirmation_rsp),)
    )
    return PromptHop(cmd, None, answers, init_env=init_env, workdir=workdir, name=cmd.split()[0])


def SudoShell(cmd: str = "sudo bash", password: str | None = None) -> PromptHop:
    """``sudo``: commands use ``sudo -S`` with the password on standard input."""
    if cmd.strip() in ("sudo bash", "sudo -s", "sudo su", "sudo -i"):
        return prompthops.sudo(password, login=cmd.strip() in ("sudo -i", "sudo su"))
    answers = () if password is None else (Answer(prompthops.PASSWORD_PROMPT, password, True),)
    return PromptHop(cmd, None, answers, prompthops.SUDO_FAILURES, name="sudo")


def NamespaceShell(
    namespace: str, *, init_env: str | None = None, workdir: str | None = None, **ignored: Any
) -> PromptHop:
    """A shell in the network namespace ``namespace``."""
    hop = prompthops.namespace(namespace)
    return PromptHop(hop.command, hop.run, name=hop.name, init_env=init_env, workdir=workdir)


def KubernetesShell(
    pod_name: str,
    container: str | None = None,
    namespace: str | None = None,
    cmd: str = "bash",
    init_env: str | None = None,
    workdir: str | None = None,
    cli: str = "kubectl",
) -> PromptHop:
    """A shell in a pod (``kubectl exec``)."""
    hop = prompthops.kubernetes(pod_name, container, namespace, shell=cmd, cli=cli)
    return PromptHop(hop.command, hop.run, name=hop.name, init_env=init_env, workdir=workdir)


def PythonShell(
    start_cmd: str = "python", tty_echo: bool = False, readline_init: str | None = None
) -> PromptHop:
    """A Python REPL hop (interactive sessions only)."""
    return prompthops.python(start_cmd)


def RawPythonShell(start_cmd: str = "python -u") -> PromptHop:
    """A Python REPL hop (interactive sessions only)."""
    return prompthops.python(start_cmd)


SHELLS = {
    function.__name__: function
    for function in (
        SshShell,
        DefaultSshShell,
        KeyAuthenticatedSshShell,
        RemoteShell,
        BashShell,
        SudoShell,
        NamespaceShell,
        KubernetesShell,
        PythonShell,
        RawPythonShell,
    )
}
"""crl's shell names and the factories that stand for them."""
