"""The hosts registry: registry names -> harpd address, port and credentials (§1.11)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobharness.errors import ConfigurationError

log = logging.getLogger(__name__)

ENTRY_KEYS = {"hostname", "address", "port", "credentials"}


@dataclass(frozen=True)
class HostEntry:
    """One harpd the dispatcher may call."""

    hostname: str
    address: str
    port: Any
    user: str
    password: str

    def __repr__(self) -> str:
        return f"HostEntry({self.hostname!r}, {self.address!r}, {self.port!r}, user={self.user!r})"


def parse_entry(value: Any) -> HostEntry:
    """A registry entry from its JSON object; ``ValueError`` naming what is wrong."""
    if not isinstance(value, dict) or set(value) != ENTRY_KEYS:
        raise ValueError(f"a host entry has exactly the keys {sorted(ENTRY_KEYS)}")
    credentials = value["credentials"]
    if not isinstance(credentials, dict) or set(credentials) != {"user", "password"}:
        raise ValueError("credentials must have exactly the keys user and password")
    for key in ("hostname", "address"):
        if not isinstance(value[key], str):
            raise ValueError(f"{key} must be a string")
    if not all(isinstance(credentials[key], str) for key in ("user", "password")):
        raise ValueError("credentials user and password must be strings")
    return HostEntry(
        value["hostname"],
        value["address"],
        value["port"],
        credentials["user"],
        credentials["password"],
    )


def read_hosts_file(path: Path) -> list[HostEntry]:
    """Entries of a JSON-lines file; lines that are not valid entries are skipped (and logged)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"hosts file {path} cannot be read: {exc}") from exc
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(parse_entry(json.loads(line)))
        except ValueError as exc:
            log.warning("%s:%d: ignored: %s", path, number, exc)
    return entries


def parse_entry_option(text: str) -> HostEntry:
    """A ``--host-entry JSON`` option value."""
    try:
        return parse_entry(json.loads(text))
    except ValueError as exc:
        raise ConfigurationError(f"--host-entry: {exc}") from exc


def build_registry(entries: Iterable[HostEntry]) -> Mapping[str, HostEntry]:
    """The registry by host name; a later entry replaces an earlier one of the same name."""
    return {entry.hostname: entry for entry in entries}
