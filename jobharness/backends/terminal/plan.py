"""How a route is travelled: a local start, one ssh connection, then prompt hops.

A route splits into three parts:

* where it starts: this machine (a leading :class:`LocalShell` says so, and
  is the default);
* the ssh chain: the ssh hops up to the first prompt hop, one connection
  through ``ProxyJump`` (no hop typed into another);
* the tail: the prompt hops after it, in order. An ssh hop that comes after
  a prompt hop cannot jump (it starts from the prompt hop's shell), so it
  becomes a nested ``ssh`` (:func:`~jobharness.backends.terminal.prompthops.nested_ssh`).

A command passes the tail through each hop's non-interactive form (``run``),
outermost first. A hop without one needs a terminal: an interactive session
(pexpect) types ``command`` and the answers instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobharness.backends.terminal.errors import NeedsInteractiveSession
from jobharness.backends.terminal.prompthops import nested_ssh
from jobharness.backends.terminal.spec import LocalShell, PromptHop, Route, SshHop


@dataclass(frozen=True)
class Plan:
    """A route split into its ssh chain and its tail of prompt hops."""

    route: Route
    ssh: tuple[SshHop, ...]
    tail: tuple[PromptHop, ...]
    init_env: str | None = None
    workdir: str | None = None

    @property
    def local(self) -> bool:
        """True when commands start on this machine (no ssh chain)."""
        return not self.ssh

    @property
    def interactive_only(self) -> PromptHop | None:
        """The first tail hop that only a terminal can pass, if any."""
        return next((hop for hop in self.tail if hop.run is None), None)

    def through_tail(self, line: str) -> str:
        """The shell line that runs ``line`` through every tail hop (innermost last hop)."""
        blocker = self.interactive_only
        if blocker is not None:
            raise NeedsInteractiveSession(
                f"the route {self.route.describe()} passes {blocker.describe()}, which only a "
                "terminal can pass: use an interactive session, or give the hop a 'run' form"
            )
        for hop in reversed(self.tail):
            line = hop.run_line(line)
        return line


def plan_route(route: Route) -> Plan:
    """Split ``route`` into its ssh chain and tail."""
    ssh: list[SshHop] = []
    tail: list[PromptHop] = []
    init_env = workdir = None
    for hop in route:
        init_env = hop.init_env or init_env
        workdir = hop.workdir or workdir
        if isinstance(hop, LocalShell):
            continue
        if isinstance(hop, SshHop) and not tail:
            ssh.append(hop)
        elif isinstance(hop, SshHop):
            tail.append(nested_ssh(hop))
        else:
            tail.append(hop)
    return Plan(route, tuple(ssh), tuple(tail), init_env, workdir)


plan = plan_route
"""The same as :func:`plan_route` (import it from this module: the package's ``plan`` is
this module)."""
