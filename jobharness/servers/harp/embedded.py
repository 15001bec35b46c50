"""Parent side: start an embedded harpd and a dispatcher whose registry names it.

>>> with start_embedded_harp() as harp:
...     harp.dispatcher_info["port"], harp.harpd_info["ca_file"]
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobharness.resources import Closing
from jobharness.servers.base import EmbeddedServer

HOST_NAME = "local"


@dataclass
class EmbeddedHarp(Closing):
    """A running harpd and dispatcher pair; ``stop()`` (or leaving the ``with``) ends both."""

    harpd: EmbeddedServer
    dispatcher: EmbeddedServer
    host_name: str = HOST_NAME
    data_dir: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="jobharness-harp-"))
    )

    @property
    def harpd_info(self) -> dict[str, Any]:
        """What harpd announced: url, host, port, ca_file, user, password."""
        return self.harpd.info

    @property
    def dispatcher_info(self) -> dict[str, Any]:
        """What the dispatcher announced: url, host, port, data_dir."""
        return self.dispatcher.info

    def host_entry(self) -> dict[str, Any]:
        """The registry entry that names the harpd (with its credentials)."""
        info = self.harpd.info
        return {
            "hostname": self.host_name,
            "address": info["host"],
            "port": info["port"],
            "credentials": {"user": info["user"], "password": info["password"]},
        }

    def restart_dispatcher(self, faults: Iterable[str] | None = None) -> None:
        """Stop the dispatcher and start it again on the same data directory."""
        self.dispatcher.stop()
        if faults is not None:
            self.dispatcher.args = _dispatcher_args(self, faults)
        self.dispatcher.start()

    def stop(self) -> None:
        """Stop both servers and remove their files."""
        self.dispatcher.stop()
        self.harpd.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def close(self) -> None:
        """The same as :meth:`stop`, for ``with`` blocks."""
        self.stop()


def _dispatcher_args(harp: EmbeddedHarp, faults: Iterable[str]) -> list[str]:
    """Options naming the harpd through a private hosts file (no password on the command line)."""
    hosts_file = harp.data_dir / "hosts.jsonl"
    hosts_file.touch(mode=0o600)
    hosts_file.write_text(json.dumps(harp.host_entry()) + "\n", encoding="utf-8")
    args = [
        "--hosts-file",
        str(hosts_file),
        "--ca-file",
        str(harp.harpd.info["ca_file"]),
        "--data-dir",
        str(harp.data_dir / "dispatcher"),
    ]
    for fault in faults:
        args += ["--fault", fault]
    return args


def start_embedded_harp(
    procedures: str | Path | None = None,
    faults: Iterable[str] = (),
    *,
    harpd_args: Sequence[str] = (),
    dispatcher_args: Sequence[str] = (),
    startup_timeout: float = 30.0,
) -> EmbeddedHarp:
    """Start harpd (with ``procedures``, default the sample set) and a dispatcher calling it.

    The dispatcher's registry has one host, ``local``, with harpd's generated
    credentials; it verifies harpd against the CA harpd generated.
    ``faults`` are dispatcher ``--fault`` values.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="jobharness-harp-"))
    args = ["--data-dir", str(data_dir / "harpd"), *harpd_args]
    if procedures is not None:
        args += ["--procedures", str(procedures)]
    harpd = EmbeddedServer("harpd", args, startup_timeout=startup_timeout)
    harpd.start()
    dispatcher = EmbeddedServer("harp", startup_timeout=startup_timeout)
    harp = EmbeddedHarp(harpd, dispatcher, data_dir=data_dir)
    try:
        dispatcher.args = [*_dispatcher_args(harp, faults), *dispatcher_args]
        dispatcher.start()
    except BaseException:
        harp.stop()
        raise
    return harp
