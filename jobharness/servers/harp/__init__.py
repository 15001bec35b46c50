"""Embedded HarpCaller dispatcher: async harp jobs over plain TCP JSON lines.

``jobharness serve harp`` starts it; it calls harpd daemons named in its
hosts registry and keeps job records and stream packets on disk.
"""

from __future__ import annotations

from jobharness.plugins import ServerSpec, hookimpl


@hookimpl
def jobharness_servers() -> list[ServerSpec]:
    """The ``harp`` embedded server (the dispatcher)."""
    from jobharness.servers.harp.cli import add_arguments, run

    return [
        ServerSpec(
            name="harp",
            help="HarpCaller dispatcher: queues harp calls to harpd daemons, keeps results",
            add_arguments=add_arguments,
            run=run,
        )
    ]
