"""Where the harp clients go: configured servers, or an embedded harpd + dispatcher pair.

Both adapters (Robot, pytest) resolve their settings and then ask this module
for a :class:`HarpTargets`: the dispatcher's address, harpd's address and
credentials, and the registry name of the target host.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobharness.backends.harp.dispatcher import HarpCaller, parse_address
from jobharness.backends.harp.harpd import HarpServer
from jobharness.backends.harp.protocol import DISPATCHER_PORT, HARPD_PORT
from jobharness.errors import ConfigurationError
from jobharness.servers.harp.embedded import HOST_NAME, EmbeddedHarp, start_embedded_harp


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
        """A :class:`HarpServer` for this harpd (``kwargs``: verify, allow_old_tls, timeout)."""
        return HarpServer(
            self.host, self.user, self.password, self.port, ca_file=self.ca_file, **kwargs
        )


@dataclass
class HarpTargets:
    """The dispatcher and harpd to use; ``embedded`` is the pair started here, if any."""

    dispatcher: tuple[str, int] | None = None
    harpd: HarpdTarget | None = None
    host_name: str = HOST_NAME
    embedded: EmbeddedHarp | None = None
    source: str = "embedded"

    def caller(self, **kwargs: Any) -> HarpCaller:
        """A :class:`HarpCaller` for the dispatcher (``kwargs``: timeout, wait_timeout ...)."""
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

    def stop(self) -> None:
        """Stop the embedded servers, if this started them."""
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def embedded_targets(
    procedures: str | os.PathLike[str] | None = None, faults: tuple[str, ...] = ()
) -> HarpTargets:
    """Start an embedded harpd (``procedures``: a Python file) and a dispatcher naming it."""
    pair = start_embedded_harp(Path(procedures) if procedures else None, faults)
    info, dispatcher = pair.harpd_info, pair.dispatcher_info
    harpd = HarpdTarget(
        str(info["host"]), int(info["port"]), info["user"], info["password"], info["ca_file"]
    )
    return HarpTargets(
        (str(dispatcher["host"]), int(dispatcher["port"])), harpd, pair.host_name, pair
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
    """Targets from settings; ``None`` when neither server is configured (use embedded)."""
    if not dispatcher and not harpd_url:
        return None
    harpd = None
    if harpd_url:
        if not user or password is None:
            raise ConfigurationError(
                f"harpd_url is set to {harpd_url!r}: harpd_user and harpd_password are needed too"
            )
        host, port = parse_address(harpd_url, HARPD_PORT)
        harpd = HarpdTarget(host, port, user, password, ca_file or None)
    return HarpTargets(
        parse_address(dispatcher, DISPATCHER_PORT) if dispatcher else None,
        harpd,
        host_name or HOST_NAME,
        None,
        source,
    )
