"""Targets: the configured server, or else embedded servers started for the run.

Every backend describes its target once, as a :class:`TargetSpec`: the
settings that name a real server, how those become the target's ``info``,
and the embedded servers to start when none is configured. The adapters
resolve the settings their way (Robot variables, pytest options) and call
:func:`open_target`; they hold no copy of this logic.

An embedded target is a group of ``jobharness serve <name>`` processes
started by the launcher, in order (a later one can be given what an earlier
one announced), and stopped together when the target is closed. Backend
modules never import a server module: a spec names servers by their
``serve`` name only.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobharness.errors import ConfigurationError
from jobharness.redaction import MASK, redact
from jobharness.resources import Closing
from jobharness.servers.launcher import EmbeddedServer, ProcessGroup
from jobharness.settings import Resolved, Setting, resolve

Settings = Mapping[str, Resolved]
"""Resolved settings by setting name (``sandbox_url`` -> its value and source)."""


@dataclass(frozen=True)
class StartContext:
    """What a service's argument builder may use: a private directory, what started before."""

    workdir: Path
    infos: Sequence[Mapping[str, Any]]
    settings: Settings
    options: Mapping[str, Any]


ArgsBuilder = Callable[[StartContext], Sequence[str]]


@dataclass(frozen=True)
class Service:
    """One embedded server of a target: ``jobharness serve <name> ARGS``.

    ``args`` is a list, or a function of the :class:`StartContext` (it may
    write files into the context's directory, such as a hosts file naming
    an earlier service).
    """

    name: str
    args: Sequence[str] | ArgsBuilder = ()

    def arguments(self, context: StartContext) -> list[str]:
        """The command-line arguments for this start."""
        return list(self.args(context) if callable(self.args) else self.args)


@dataclass(frozen=True)
class TargetSpec:
    """How a backend finds its target.

    ``configured`` turns resolved settings into the target's ``info``, or
    returns None when no server is configured (then ``services`` are started
    and ``embedded`` builds the info from what they announced). ``secrets``
    are keys of ``info`` that are never shown.
    """

    backend: str
    settings: tuple[Setting, ...]
    configured: Callable[[Settings], dict[str, Any] | None]
    services: tuple[Service, ...]
    embedded: Callable[[Sequence[Mapping[str, Any]]], dict[str, Any]] = lambda infos: dict(
        infos[-1]
    )
    secrets: tuple[str, ...] = ()

    def resolve(
        self, lookup: Callable[[Setting], Resolved], explicit: Mapping[str, Any] | None = None
    ) -> dict[str, Resolved]:
        """Every setting of this backend: an explicit value first, else ``lookup``'s answer."""
        given = {k: v for k, v in (explicit or {}).items() if v not in (None, "")}
        unknown = set(given) - {setting.name for setting in self.settings}
        if unknown:
            raise ConfigurationError(
                f"unknown {self.backend} setting(s): {', '.join(sorted(unknown))}"
            )
        return {
            setting.name: (
                resolve(setting, given[setting.name]) if setting.name in given else lookup(setting)
            )
            for setting in self.settings
        }


class TargetInfo(dict[str, Any]):
    """A target's ``info``: a plain dict whose repr masks the secrets.

    pytest shows the repr of what an assertion touched, and Robot logs
    return values at TRACE: neither may show a token.
    """

    def __init__(self, data: Mapping[str, Any], secrets: Sequence[str] = ()) -> None:
        super().__init__(data)
        self._secret_keys = tuple(secrets)

    def shown(self) -> dict[str, Any]:
        """A copy with secret values masked and URL credentials redacted."""
        known = {str(value) for key, value in self.items() if key in self._secret_keys and value}
        return {
            key: MASK if key in self._secret_keys else redact(str(value), known)
            for key, value in self.items()
        }

    def __repr__(self) -> str:
        return repr(self.shown())

    __str__ = __repr__


@dataclass
class Target(Closing):
    """Where a backend's clients go, and the embedded servers started for it (if any).

    ``info`` holds what the clients need (``url``, a token, a CA file ...);
    ``source`` says where it came from (``embedded``, ``env
    JOBHARNESS_SANDBOX_URL``, ``argument``). Closing it stops the embedded
    servers. The repr and :meth:`describe` never show a secret.
    """

    spec: TargetSpec
    info: dict[str, Any]
    source: str
    group: ProcessGroup | None = None
    workdir: Path | None = None
    servers: list[EmbeddedServer] = field(default_factory=list, repr=False)

    @property
    def backend(self) -> str:
        """The backend's name."""
        return self.spec.backend

    @property
    def embedded(self) -> bool:
        """True when this run started the servers."""
        return self.group is not None

    @property
    def server(self) -> EmbeddedServer | None:
        """The first embedded server (``None`` for a configured target)."""
        return self.servers[0] if self.servers else None

    @property
    def url(self) -> str:
        """The main server's URL (``info["url"]``)."""
        url = self.info.get("url")
        if not isinstance(url, str):
            raise ConfigurationError(f"the {self.backend} target has no URL")
        return url

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "info" and not isinstance(value, TargetInfo):
            value = TargetInfo(value, self.spec.secrets)
        super().__setattr__(name, value)

    def shown(self) -> dict[str, Any]:
        """``info`` with secrets masked and URL credentials redacted."""
        return TargetInfo(self.info, self.spec.secrets).shown()

    def describe(self) -> str:
        """One line for report headers and logs: where the target is, and why."""
        where = self.info.get("url") or ", ".join(f"{k}={v}" for k, v in self.shown().items())
        return f"{self.backend} at {redact(str(where))} ({self.source})"

    def log_tails(self) -> dict[str, str]:
        """The end of each embedded server's log, for a failure report."""
        return dict(self.group.log_tails()) if self.group is not None else {}

    def server_named(self, name: str) -> EmbeddedServer:
        """The embedded server started as ``jobharness serve <name>``."""
        for server in self.servers:
            if server.backend == name:
                return server
        raise ConfigurationError(f"the {self.backend} target started no {name!r} server")

    def restart(self, name: str, args: Sequence[str] | None = None) -> EmbeddedServer:
        """Stop the embedded server ``name`` and start it again (with ``args`` if given)."""
        server = self.server_named(name)
        if args is not None:
            server.args = list(args)
        assert self.group is not None
        return self.group.restart(server)

    def close(self) -> None:
        """Stop the embedded servers and remove their files (nothing for a configured target)."""
        if self.group is not None:
            self.group.stop()
            self.group = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __repr__(self) -> str:
        return f"<Target {self.describe()}>"


def _source(settings: Settings) -> str:
    sources = sorted({r.source for r in settings.values() if r.value is not None and r.source})
    return ", ".join(s for s in sources if s != "default") or "configured"


def open_target(
    spec: TargetSpec,
    settings: Settings,
    *,
    options: Mapping[str, Any] | None = None,
    startup_timeout: float = 30.0,
) -> Target:
    """The configured server of ``spec``, or its embedded servers started now.

    ``options`` reach the services' argument builders (a procedures file, test
    faults ...). The caller closes the target (which stops what was started).
    """
    info = spec.configured(settings)
    if info is not None:
        return Target(spec, info, _source(settings))
    workdir = Path(tempfile.mkdtemp(prefix=f"jobharness-{spec.backend}-"))
    group = ProcessGroup(spec.backend)
    target = Target(spec, {}, "embedded", group, workdir)
    try:
        infos: list[Mapping[str, Any]] = []
        for service in spec.services:
            context = StartContext(workdir, tuple(infos), settings, dict(options or {}))
            server = EmbeddedServer(
                service.name,
                service.arguments(context),
                startup_timeout=startup_timeout,
                workdir=workdir / f"{service.name}-{len(infos)}",
            )
            target.servers.append(server)
            infos.append(dict(group.start(server).info))
        target.info = spec.embedded(infos)
    except BaseException:
        target.close()
        raise
    return target
