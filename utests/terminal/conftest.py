"""Fixtures of the terminal utests: an embedded sshd per session (per xdist worker), terminals.

The sshd is jobharness's own embedded server (``jobharness serve sshd``)
started through the target machinery, as the pytest plugin will start it:
its own host key, configuration and free port, the test account by key
and by password. The ssh tests are skipped, with the reason, when OpenSSH
is not installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jobharness.backends.terminal import (
    LocalShell,
    SshHop,
    Terminal,
    target_hop,
)
from jobharness.targets import Target

from .helpers import embedded_sshd


@pytest.fixture(scope="session")
def sshd_target() -> Iterator[Target]:
    """The session's embedded sshd (never a configured host: tests read its log)."""
    with embedded_sshd() as target:
        yield target


@pytest.fixture(scope="session")
def key_hop(sshd_target: Target) -> SshHop:
    """The ssh hop to the sshd as the test account, by key, host key checked strictly."""
    return target_hop(sshd_target)


@pytest.fixture(scope="session")
def password_hop(sshd_target: Target) -> SshHop:
    """The same hop by password (skipped when the account has none: not run as root)."""
    if not sshd_target.info.get("password"):
        pytest.skip("the sshd's account has no password (password logins need root)")
    return target_hop(sshd_target, use_password=True)


@pytest.fixture(scope="session")
def remote(key_hop: SshHop) -> Iterator[Terminal]:
    """A terminal to the sshd shared by the session's tests (one login)."""
    with Terminal(key_hop, default_timeout=30) as terminal:
        yield terminal


@pytest.fixture
def local() -> Iterator[Terminal]:
    """A terminal on this machine."""
    with Terminal(LocalShell(), default_timeout=30) as terminal:
        yield terminal


@pytest.fixture(params=["local", "ssh"])
def anywhere(request: pytest.FixtureRequest) -> Terminal:
    """Each test runs on a local terminal and on the sshd."""
    fixture = "local" if request.param == "local" else "remote"
    terminal: Terminal = request.getfixturevalue(fixture)
    return terminal


@pytest.fixture
def sshd_terminal_factory(key_hop: SshHop) -> Iterator[Callable[..., Terminal]]:
    """Fresh terminals to the sshd (each logs in once), closed at the end of the test."""
    made: list[Terminal] = []

    def make(*hops: Any, **options: Any) -> Terminal:
        terminal = Terminal(list(hops) or key_hop, **{"default_timeout": 30, **options})
        made.append(terminal)
        return terminal

    yield make
    for terminal in made:
        terminal.close()


TERMINAL_ENV = (
    "JOBHARNESS_TERMINAL_HOST",
    "JOBHARNESS_TERMINAL_PORT",
    "JOBHARNESS_TERMINAL_USER",
    "JOBHARNESS_TERMINAL_PASSWORD",
    "JOBHARNESS_TERMINAL_KEY_FILE",
    "JOBHARNESS_TERMINAL_KNOWN_HOSTS",
)
"""The terminal settings' environment variables, cleared for pytester runs."""


@pytest.fixture
def outer(key_hop: SshHop, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Point pytester runs at this session's sshd (by key) through the command line."""
    for name in TERMINAL_ENV:
        monkeypatch.delenv(name, raising=False)
    return [
        f"--terminal-host={key_hop.host}",
        f"--terminal-port={key_hop.port}",
        f"--terminal-user={key_hop.user}",
        f"--terminal-key-file={key_hop.key_file}",
        f"--terminal-known-hosts={key_hop.known_hosts}",
        "-p",
        "no:cacheprovider",
    ]
