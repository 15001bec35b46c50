"""The embedded saltant server: the saltant REST API, with a worker that runs jobs locally.

``jobharness serve saltant`` starts it; :mod:`.cli` has its options.
"""

from __future__ import annotations

from jobharness.plugins import ServerSpec, hookimpl


@hookimpl
def jobharness_servers() -> list[ServerSpec]:
    """The saltant server spec (modules are imported only when it runs)."""
    from jobharness.servers.saltant import cli

    return [
        ServerSpec(
            "saltant",
            "saltant REST API with a local worker (task types, queues, instances run as processes)",
            cli.add_arguments,
            cli.run,
        )
    ]
