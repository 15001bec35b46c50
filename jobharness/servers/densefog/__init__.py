"""The embedded densefog service: an IaaS demo with a job table and a worker, extensible by module.

``jobharness serve densefog`` starts it; :mod:`.cli` has its options.
"""

from __future__ import annotations

from jobharness.plugins import ServerSpec, hookimpl


@hookimpl
def jobharness_servers() -> list[ServerSpec]:
    """The densefog service spec (modules are imported only when it runs)."""
    from jobharness.servers.densefog import cli

    return [
        ServerSpec(
            "densefog",
            "densefog-style action API (instances demo) with a job table (SQLite or MariaDB) "
            "and a worker",
            cli.add_arguments,
            cli.run,
        )
    ]
