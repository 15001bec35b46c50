"""The embedded sshd: Debian's OpenSSH server, private to the run, for the terminal backend.

``jobharness serve sshd`` starts it; :mod:`.cli` has its options and what it
announces.
"""

from __future__ import annotations

from jobharness.plugins import ServerSpec, hookimpl


@hookimpl
def jobharness_servers() -> list[ServerSpec]:
    """The ``sshd`` embedded server (its modules are imported only when it runs)."""
    from jobharness.servers.sshd import cli

    return [
        ServerSpec(
            "sshd",
            "a private OpenSSH sshd on 127.0.0.1 with its own keys and a test account",
            cli.add_arguments,
            cli.run,
        )
    ]
