"""The terminal backend: commands, background jobs and copies on local and ssh targets.

>>> from jobharness.backends.terminal import SshHop, Terminal, sudo      # doctest: +SKIP
>>> with Terminal([SshHop("10.0.0.5", user="t", key_file="id", known_hosts="kh"),
...                sudo("secret")]) as t:                                 # doctest: +SKIP
...     status, out, err = t.run("id -u")                                 # doctest: +SKIP

A route is data (:mod:`.spec`, crl's names in :mod:`.shells`, dicts in
:mod:`.shelldicts`); a :class:`Terminal` logs in once per route and runs
everything through that connection. An :class:`InteractiveSession` is a
shell on a pseudo-terminal for what really is interactive; an
:class:`AutoRecoveringTerminal` opens itself again when it breaks (crl's
shell names, ``SshShell`` ..., build its route). A :class:`RunnerTerminal` starts a
Python agent at the end of a route and calls remote code through proxies
(crl.interactivesessions' remote runner). See ``docs/terminal.md``.

Everything here is imported on first use (see :mod:`jobharness.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobharness.lazy import lazy_exports

if TYPE_CHECKING:
    from jobharness.backends.terminal.agentjob import RemoteCall
    from jobharness.backends.terminal.agentlink import LinkSettings
    from jobharness.backends.terminal.agentstream import (
        AgentStarter,
        LinkPython,
        LocalPython,
        PtyPython,
        RoutePython,
        bootstrap_line,
    )
    from jobharness.backends.terminal.autorunner import AutoRunnerTerminal
    from jobharness.backends.terminal.channel import Channel
    from jobharness.backends.terminal.client import Terminal
    from jobharness.backends.terminal.connection import LocalLink, SshMaster
    from jobharness.backends.terminal.errors import (
        AuthRefused,
        CommandError,
        CommandFailed,
        CommandTimedOut,
        HostKeyChanged,
        HostKeyError,
        HostKeyUnknown,
        NeedsInteractiveSession,
        ReadTimedOut,
        SessionBroken,
        SessionInitializationFailed,
        TerminalError,
        TerminalUnreachable,
        TransferFailed,
    )
    from jobharness.backends.terminal.heartbeat import Heartbeat
    from jobharness.backends.terminal.interactive import InteractiveSession
    from jobharness.backends.terminal.job import TerminalJob
    from jobharness.backends.terminal.plan import Plan, plan_route
    from jobharness.backends.terminal.prompthops import (
        kubernetes,
        namespace,
        nested_ssh,
        python,
        su,
        sudo,
    )
    from jobharness.backends.terminal.proxies import RecursiveProxy, RemoteMethod, RemoteProxy
    from jobharness.backends.terminal.recovery import AutoRecoveringTerminal
    from jobharness.backends.terminal.results import CommandResult
    from jobharness.backends.terminal.runner import HandledValue, RunnerTerminal
    from jobharness.backends.terminal.runner_errors import (
        InvalidProxySession,
        RemoteError,
        RemoteTimeout,
        RunnerException,
        RunnerTerminalSessionBroken,
        RunnerTerminalSessionClosed,
        RunnerTerminalUnableToDeserialize,
        UnableToDeserialize,
    )
    from jobharness.backends.terminal.shelldicts import hop_from_dict
    from jobharness.backends.terminal.shells import (
        BashShell,
        DefaultSshShell,
        KeyAuthenticatedSshShell,
        KubernetesShell,
        NamespaceShell,
        PythonShell,
        RawPythonShell,
        RemoteShell,
        SshShell,
        SudoShell,
    )
    from jobharness.backends.terminal.spec import (
        Answer,
        Hop,
        HostKeyPolicy,
        LocalShell,
        PromptHop,
        Route,
        SshHop,
        route,
    )
    from jobharness.backends.terminal.target import TERMINAL_TARGET, target_hop, terminal_client

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "RunnerTerminal": "jobharness.backends.terminal.runner",
        "HandledValue": "jobharness.backends.terminal.runner",
        "AutoRunnerTerminal": "jobharness.backends.terminal.autorunner",
        "RemoteProxy": "jobharness.backends.terminal.proxies",
        "RecursiveProxy": "jobharness.backends.terminal.proxies",
        "RemoteMethod": "jobharness.backends.terminal.proxies",
        "RemoteCall": "jobharness.backends.terminal.agentjob",
        "RunnerException": "jobharness.backends.terminal.runner_errors",
        "RemoteTimeout": "jobharness.backends.terminal.runner_errors",
        "RunnerTerminalSessionBroken": "jobharness.backends.terminal.runner_errors",
        "RunnerTerminalSessionClosed": "jobharness.backends.terminal.runner_errors",
        "UnableToDeserialize": "jobharness.backends.terminal.runner_errors",
        "RunnerTerminalUnableToDeserialize": "jobharness.backends.terminal.runner_errors",
        "InvalidProxySession": "jobharness.backends.terminal.runner_errors",
        "RemoteError": "jobharness.backends.terminal.runner_errors",
        "LinkSettings": "jobharness.backends.terminal.agentlink",
        "AgentStarter": "jobharness.backends.terminal.agentstream",
        "LocalPython": "jobharness.backends.terminal.agentstream",
        "LinkPython": "jobharness.backends.terminal.agentstream",
        "RoutePython": "jobharness.backends.terminal.agentstream",
        "PtyPython": "jobharness.backends.terminal.agentstream",
        "bootstrap_line": "jobharness.backends.terminal.agentstream",
        "AutoRecoveringTerminal": "jobharness.backends.terminal.recovery",
        "BashShell": "jobharness.backends.terminal.shells",
        "DefaultSshShell": "jobharness.backends.terminal.shells",
        "Heartbeat": "jobharness.backends.terminal.heartbeat",
        "InteractiveSession": "jobharness.backends.terminal.interactive",
        "KeyAuthenticatedSshShell": "jobharness.backends.terminal.shells",
        "KubernetesShell": "jobharness.backends.terminal.shells",
        "NamespaceShell": "jobharness.backends.terminal.shells",
        "PythonShell": "jobharness.backends.terminal.shells",
        "RawPythonShell": "jobharness.backends.terminal.shells",
        "ReadTimedOut": "jobharness.backends.terminal.errors",
        "RemoteShell": "jobharness.backends.terminal.shells",
        "SessionInitializationFailed": "jobharness.backends.terminal.errors",
        "SshShell": "jobharness.backends.terminal.shells",
        "SudoShell": "jobharness.backends.terminal.shells",
        "Answer": "jobharness.backends.terminal.spec",
        "AuthRefused": "jobharness.backends.terminal.errors",
        "Channel": "jobharness.backends.terminal.channel",
        "CommandError": "jobharness.backends.terminal.errors",
        "CommandFailed": "jobharness.backends.terminal.errors",
        "CommandResult": "jobharness.backends.terminal.results",
        "CommandTimedOut": "jobharness.backends.terminal.errors",
        "Hop": "jobharness.backends.terminal.spec",
        "hop_from_dict": "jobharness.backends.terminal.shelldicts",
        "HostKeyChanged": "jobharness.backends.terminal.errors",
        "HostKeyError": "jobharness.backends.terminal.errors",
        "HostKeyPolicy": "jobharness.backends.terminal.spec",
        "HostKeyUnknown": "jobharness.backends.terminal.errors",
        "kubernetes": "jobharness.backends.terminal.prompthops",
        "LocalLink": "jobharness.backends.terminal.connection",
        "LocalShell": "jobharness.backends.terminal.spec",
        "namespace": "jobharness.backends.terminal.prompthops",
        "NeedsInteractiveSession": "jobharness.backends.terminal.errors",
        "nested_ssh": "jobharness.backends.terminal.prompthops",
        "Plan": "jobharness.backends.terminal.plan",
        "plan_route": "jobharness.backends.terminal.plan",
        "PromptHop": "jobharness.backends.terminal.spec",
        "python": "jobharness.backends.terminal.prompthops",
        "Route": "jobharness.backends.terminal.spec",
        "route": "jobharness.backends.terminal.spec",
        "SessionBroken": "jobharness.backends.terminal.errors",
        "SshHop": "jobharness.backends.terminal.spec",
        "SshMaster": "jobharness.backends.terminal.connection",
        "su": "jobharness.backends.terminal.prompthops",
        "sudo": "jobharness.backends.terminal.prompthops",
        "target_hop": "jobharness.backends.terminal.target",
        "Terminal": "jobharness.backends.terminal.client",
        "terminal_client": "jobharness.backends.terminal.target",
        "TERMINAL_TARGET": "jobharness.backends.terminal.target",
        "TerminalError": "jobharness.backends.terminal.errors",
        "TerminalJob": "jobharness.backends.terminal.job",
        "TerminalUnreachable": "jobharness.backends.terminal.errors",
        "TransferFailed": "jobharness.backends.terminal.errors",
    },
)

__all__ = [
    "TERMINAL_TARGET",
    "AgentStarter",
    "Answer",
    "AuthRefused",
    "AutoRecoveringTerminal",
    "AutoRunnerTerminal",
    "BashShell",
    "Channel",
    "CommandError",
    "CommandFailed",
    "CommandResult",
    "CommandTimedOut",
    "DefaultSshShell",
    "HandledValue",
    "Heartbeat",
    "Hop",
    "HostKeyChanged",
    "HostKeyError",
    "HostKeyPolicy",
    "HostKeyUnknown",
    "InteractiveSession",
    "InvalidProxySession",
    "KeyAuthenticatedSshShell",
    "KubernetesShell",
    "LinkPython",
    "LinkSettings",
    "LocalLink",
    "LocalPython",
    "LocalShell",
    "NamespaceShell",
    "NeedsInteractiveSession",
    "Plan",
    "PromptHop",
    "PtyPython",
    "PythonShell",
    "RawPythonShell",
    "ReadTimedOut",
    "RecursiveProxy",
    "RemoteCall",
    "RemoteError",
    "RemoteMethod",
    "RemoteProxy",
    "RemoteShell",
    "RemoteTimeout",
    "Route",
    "RoutePython",
    "RunnerException",
    "RunnerTerminal",
    "RunnerTerminalSessionBroken",
    "RunnerTerminalSessionClosed",
    "RunnerTerminalUnableToDeserialize",
    "SessionBroken",
    "SessionInitializationFailed",
    "SshHop",
    "SshMaster",
    "SshShell",
    "SudoShell",
    "Terminal",
    "TerminalError",
    "TerminalJob",
    "TerminalUnreachable",
    "TransferFailed",
    "UnableToDeserialize",
    "bootstrap_line",
    "hop_from_dict",
    "kubernetes",
    "namespace",
    "nested_ssh",
    "plan_route",
    "python",
    "route",
    "su",
    "sudo",
    "target_hop",
    "terminal_client",
]
