"""Embedded harpd: the TLS daemon that runs harp procedures from a Python module.

``jobharness serve harpd`` starts it; procedures are marked with
:mod:`jobharness.servers.harpd.proc`.
"""

from __future__ import annotations

from jobharness.plugins import ServerSpec, hookimpl


@hookimpl
def jobharness_servers() -> list[ServerSpec]:
    """The ``harpd`` embedded server."""
    from jobharness.servers.harpd.cli import add_arguments, run

    return [
        ServerSpec(
            name="harpd",
            help="harpd: runs harp procedures from a Python module over TLS JSON lines",
            add_arguments=add_arguments,
            run=run,
        )
    ]
