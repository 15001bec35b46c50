"""Where the harp clients go: configured servers, or an embedded harpd + dispatcher pair.

Both adapters (Robot, pytest) resolve their settings and ask for a
:class:`HarpTargets`: the dispatcher's address, harpd's address and
credentials, and the registry name of the target host. Embedded, harpd
starts first; the dispatcher then gets a private hosts file naming it (with
its generated login, never on a command line) and its CA.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobharness.backends.harp.client import HarpCaller, parse_address
from jobharness.backends.harp.harpd import HarpServer
from jobharness.backends.harp.protocol import DISPATCHER_PORT, HARPD_PORT
from jobharness.backends.harp.settings import (
    ALL_SETTINGS,
    HARP_DISPATCHER,
    HARP_HOST,
    HARPD_CA_FILE,
    HARPD_PASSWORD,
    HARPD_URL,
    HARPD_USER,
)
from jobharness.errors import ConfigurationError
from jobharness.resources import Closing
from jobharness.settings import resolve
from jobharness.targets import Service, Settings, StartContext, Target, TargetSpec, open_target

HOST_NAME = "local"
"""The registry name of the embedded harpd in the embedded dispatcher."""


@dataclass(frozen=True)
class HarpdTarget:
    """A harpd: address, login (the password is never shown) and CA file."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    ca_file: str | None = None

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"

    def server(self, **kwargs: Any) -> HarpServer:
        """A :class:`HarpServer` for this harpd (``kwargs``: its keyword options)."""
        return HarpServer(
            self.host, self.user, self.password, self.port, ca_file=self.ca_file, **kwargs
        )


def _harpd_args(context: StartContext) -> list[str]:
    args = [
        "--data-dir",
        str(context.workdir / "harpd-data"),
        *context.options.get("harpd_args", ()),
    ]
    procedures = context.options.get("procedures")
    if procedures is not None:
        args += ["--procedures", str(procedures)]
    return args


def host_entry(harpd: Mapping[str, Any], host_name: str = HOST_NAME) -> dict[str, Any]:
    """The dispatcher's registry entry naming ``harpd`` (what it announced), with its login."""
    return {
        "hostname": host_name,
        "address": harpd["host"],
        "port": harpd["port"],
        "credentials": {"user": harpd["user"], "password": harpd["password"]},
    }


def dispatcher_args(
    workdir: Path, harpd: Mapping[str, Any], faults: Iterable[str] = ()
) -> list[str]:
    """Options naming ``harpd`` through a private hosts file (no password on the command line)."""
    hosts_file = workdir / "hosts.jsonl"
    hosts_file.touch(mode=0o600)
    hosts_file.write_text(json.dumps(host_entry(harpd)) + "\n", encoding="utf-8")
    args = [
        *("--hosts-file", str(hosts_file)),
        *("--ca-file", str(harpd["ca_file"])),
        *("--data-dir", str(workdir / "dispatcher-data")),
    ]
    for fault in faults:
        args += ["--fault", fault]
    return args


def _dispatcher_args(context: StartContext) -> list[str]:
    return [
        *dispatcher_args(context.workdir, context.infos[0], context.options.get("faults", ())),
        *context.options.get("dispatcher_args", ()),
    ]


def _configured(settings: Settings) -> dict[str, Any] | None:
    dispatcher = settings[HARP_DISPATCHER.name].value
    harpd_url = settings[HARPD_URL.name].value
    if not dispatcher and not harpd_url:
        return None
    info: dict[str, Any] = {
        "dispatcher": parse_address(dispatcher, DISPATCHER_PORT) if dispatcher else None,
        "harpd": None,
        "host_name": settings[HARP_HOST.name].value or HOST_NAME,
    }
    if harpd_url:
        user = settings[HARPD_USER.name].value
        password = settings[HARPD_PASSWORD.name].value
        if not user or password is None:
            raise ConfigurationError(
                f"harpd_url is set to {harpd_url!r}: harpd_user and harpd_password are needed too"
            )
        host, port = parse_address(harpd_url, HARPD_PORT)
        ca_file = settings[HARPD_CA_FILE.name].value or None
        info["harpd"] = HarpdTarget(host, port, user, password, ca_file)
    return info


def _embedded(infos: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    harpd, dispatcher = infos
    return {
        "dispatcher": (str(dispatcher["host"]), int(dispatcher["port"])),
        "harpd": HarpdTarget(
            str(harpd["host"]),
            int(harpd["port"]),
            harpd["user"],
            harpd["password"],
            harpd["ca_file"],
        ),
        "host_name": HOST_NAME,
        "harpd_info": dict(harpd),
        "dispatcher_info": dict(dispatcher),
    }


HARP_TARGET = TargetSpec(
    backend="harp",
    settings=ALL_SETTINGS,
    configured=_configured,
    services=(Service("harpd", _harpd_args), Service("harp", _dispatcher_args)),
    embedded=_embedded,
    secrets=("harpd_info",),
)
"""harp's target: ``harp_dispatcher`` and/or ``harpd_url``, else an embedded pair."""


class HarpTargets(Closing):
    """The dispatcher and harpd to use (a harp view of a :class:`~jobharness.targets.Target`)."""

    def __init__(self, target: Target) -> None:
        self.target = target

    @property
    def dispatcher(self) -> tuple[str, int] | None:
        """The dispatcher's ``(host, port)``, if there is one."""
        found: tuple[str, int] | None = self.target.info.get("dispatcher")
        return found

    @property
    def harpd(self) -> HarpdTarget | None:
        """The harpd, if there is one."""
        found: HarpdTarget | None = self.target.info.get("harpd")
        return found

    @property
    def host_name(self) -> str:
        """The harpd's name in the dispatcher's registry."""
        return str(self.target.info.get("host_name") or HOST_NAME)

    @property
    def source(self) -> str:
        """Where the servers came from (``embedded`` or the settings' sources)."""
        return self.target.source

    @property
    def embedded(self) -> bool:
        """True when this run started the pair."""
        return self.target.embedded

    @property
    def harpd_info(self) -> dict[str, Any]:
        """What the embedded harpd announced: url, host, port, ca_file, user, password."""
        return dict(self.target.info.get("harpd_info") or {})

    @property
    def dispatcher_info(self) -> dict[str, Any]:
        """What the embedded dispatcher announced: url, host, port, data_dir."""
        return dict(self.target.info.get("dispatcher_info") or {})

    def caller(self, **kwargs: Any) -> HarpCaller:
        """A :class:`HarpCaller` for the dispatcher (``kwargs``: its keyword options)."""
        if self.dispatcher is None:
            raise ConfigurationError(
                "no harp dispatcher configured: set harp_dispatcher (host:port), "
                "or leave both harp_dispatcher and harpd_url unset to use embedded servers"
            )
        return HarpCaller(*self.dispatcher, **kwargs)

    def harpd_target(self) -> HarpdTarget:
        """The harpd, or a :class:`ConfigurationError` saying what to set."""
        if self.harpd is None:
            raise ConfigurationError(
                "no harpd configured: set harpd_url (host:port) with harpd_user and "
                "harpd_password, or leave both harp_dispatcher and harpd_url unset to use "
                "embedded servers"
            )
        return self.harpd

    def describe(self) -> str:
        """One line for report headers and logs (no password)."""
        parts = []
        if self.dispatcher is not None:
            parts.append(f"dispatcher tcp://{self.dispatcher[0]}:{self.dispatcher[1]}")
        if self.harpd is not None:
            parts.append(f"harpd tls://{self.harpd.address} as {self.harpd.user!r}")
        where = ", ".join(parts) or "nothing"
        return f"{where} (host {self.host_name!r}, {self.source})"

    def restart_dispatcher(self, faults: Iterable[str] | None = None) -> None:
        """Stop the embedded dispatcher and start it again on the same data (and ``faults``)."""
        args = None
        if faults is not None:
            assert self.target.workdir is not None
            args = dispatcher_args(self.target.workdir, self.harpd_info, faults)
        server = self.target.restart("harp", args)
        self.target.info["dispatcher"] = (str(server.info["host"]), int(server.info["port"]))
        self.target.info["dispatcher_info"] = dict(server.info)

    def stop(self) -> None:
        """Stop the embedded servers, if this started them."""
        self.target.close()

    def close(self) -> None:
        """The same as :meth:`stop`."""
        self.stop()

    def __repr__(self) -> str:
        return f"<HarpTargets {self.describe()}>"


def harp_targets(settings: Settings, **options: Any) -> HarpTargets:
    """The configured harp servers, or an embedded pair started now (``options``: see
    :func:`embedded_targets`)."""
    return HarpTargets(open_target(HARP_TARGET, settings, options=options))


def embedded_targets(
    procedures: str | os.PathLike[str] | None = None,
    faults: Iterable[str] = (),
    *,
    harpd_args: Sequence[str] = (),
    dispatcher_args: Sequence[str] = (),
) -> HarpTargets:
    """Start an embedded harpd (``procedures``: a Python file) and a dispatcher naming it.

    ``faults`` are the dispatcher's test-only ``--fault`` values.
    """
    unset = {setting.name: resolve(setting, environ={}) for setting in ALL_SETTINGS}
    return harp_targets(
        unset,
        procedures=procedures,
        faults=tuple(faults),
        harpd_args=tuple(harpd_args),
        dispatcher_args=tuple(dispatcher_args),
    )


def configured_targets(
    dispatcher: str | None,
    harpd_url: str | None,
    user: str | None = None,
    password: str | None = None,
    ca_file: str | None = None,
    host_name: str | None = None,
    source: str = "configured",
) -> HarpTargets | None:
    """Targets from values; ``None`` when neither server is configured (use embedded)."""
    values = {
        HARP_DISPATCHER.name: dispatcher,
        HARPD_URL.name: harpd_url,
        HARPD_USER.name: user,
        HARPD_PASSWORD.name: password,
        HARPD_CA_FILE.name: ca_file,
        HARP_HOST.name: host_name,
    }
    settings = {
        setting.name: resolve(setting, values[setting.name], environ={}) for setting in ALL_SETTINGS
    }
    info = _configured(settings)
    return None if info is None else HarpTargets(Target(HARP_TARGET, info, source))
