"""The embedded PremierLangage sandbox server: ``jobharness serve sandbox``.

It speaks the real server's HTTP API (see ``protocols/sandbox.md``) and runs
the commands as local processes in a per-request working directory, with
timeouts and resource limits, instead of Docker containers.
"""

from __future__ import annotations

import argparse

from jobharness.plugins import ServerSpec, hookimpl
from jobharness.servers.sandbox.options import add_arguments

HELP = "embedded PremierLangage sandbox: runs commands as local processes"


def _run(args: argparse.Namespace) -> int:
    from jobharness.servers.sandbox.cli import run  # werkzeug only when serving

    return run(args)


@hookimpl
def jobharness_servers() -> list[ServerSpec]:
    """The sandbox server spec."""
    return [ServerSpec("sandbox", HELP, add_arguments, _run)]
