"""Targets by name (crl's ``Set Target``), their properties, and one connection per route."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.utils import is_truthy

from jobharness.backends.terminal import HostKeyPolicy, Route, Terminal, route, target_hop
from jobharness.errors import ConfigurationError
from robotlib._core.connections import Connector
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import Secret, is_secret, robot_variable, secret_text

DEFAULT = "default"
DEFAULT_PROPERTIES: dict[str, Any] = {
    "termination_timeout": 10,
    "prompt_timeout": 30,
    "default_executable": "/bin/bash",
    "max_processes_in_target": 100,
    "update_env_dict": {},
    "through_agent": False,
}
"""crl's target properties and their defaults."""
SECRET_KEYS = ("password", "reply")
SSH_SHELLS = ("SshShell", "DefaultSshShell", "KeyAuthenticatedSshShell", "RemoteShell")


class TargetKeywords(Connector):
    """``Set Target`` and the properties of targets; the connection of each route.

    A target is a name for a route. Targets with the same route share one
    connection (one login), so ``Set Target`` in every test's setup reuses
    the open connection. ``host_key_policy`` and ``known_hosts`` are what
    ssh hops given as dicts get when they do not say.
    """

    def __init__(
        self,
        context: LibraryContext,
        request_timeout: float,
        *,
        host_key_policy: str = "accept-new",
        known_hosts: str | None = None,
        **names: str,
    ) -> None:
        super().__init__(context, request_timeout, **names)
        self.host_key_policy = HostKeyPolicy.parse(host_key_policy)
        self.known_hosts = known_hosts
        self.routes: dict[str, Route] = {}
        self.properties: dict[str, dict[str, Any]] = {}
        self.defaults: dict[str, Any] = copy.deepcopy(DEFAULT_PROPERTIES)
        self.terminals: dict[Route, Terminal] = {}
        self._warned: set[str] = set()

    def connect_default(self, kind: str | None) -> None:
        """Targets need no connect: the default target is made on first use."""

    # -- keywords ---------------------------------------------------------------------------

    @keyword
    def set_target(self, shelldicts: Any, name: str = DEFAULT) -> None:
        """Name the route ``shelldicts`` as the target ``name``; later keywords use it by name.

        ``shelldicts`` is a list of hop dicts (one dict is a route of one hop),
        as crl writes them: ``host``, ``port``, ``user`` or ``username``,
        ``password`` for an ssh login (``shellname`` for crl's other shells:
        ``SudoShell``, ``NamespaceShell``, ``BashShell`` ...), or with ``kind``
        (``ssh``, ``sudo``, ``su``, ``namespace``, ``prompt``, ``local``) and
        the keys of jobharness's hops (``key_file``, ``known_hosts``,
        ``host_key_policy`` ...). Consecutive ssh hops become one connection
        through jumps. Give passwords as ``Secret`` values (Robot 7.4+): Robot
        logs keyword arguments at TRACE level.

        Setting the same route again (in each test's setup, say) keeps its
        open connection; its properties stay as they were set.

        | &{HOST}=   | Create Dictionary | host=10.0.0.5 | user=tester | password=${PASSWORD} |
        | Set Target | ${{ [$HOST] }}    | name=node     |             |                      |
        """
        hops = shelldicts if isinstance(shelldicts, (list, tuple)) else [shelldicts]
        plain = [self._plain(hop, index) for index, hop in enumerate(hops)]
        target = route(plain)
        if self.routes.get(name) != target:
            self.properties.setdefault(name, copy.deepcopy(self.defaults))
        self.routes[name] = target
        logger.info(f"target {name!r}: {target.describe()}")

    @keyword
    def set_target_property(
        self, target_name: str, property_name: str, property_value: Any
    ) -> None:
        """Set the property ``property_name`` of the target ``target_name``.

        | = property =                | = what =                                    | = default = |
        | ``termination_timeout``     | seconds from SIGTERM to SIGKILL in a kill   | 10          |
        | ``prompt_timeout``          | seconds a login or a command's start takes  | 30          |
        | ``default_executable``      | the shell commands run in                   | /bin/bash   |
        | ``max_processes_in_target`` | accepted for crl's suites; no limit here    | 100         |
        | ``update_env_dict``         | environment variables of every command      | {}          |
        | ``through_agent``           | commands and file copies via the agent      | False       |

        With ``through_agent`` true, `Execute Command In Target` and the
        single-file copies go through the target's remote Python agent (one
        round trip each, files as raw frames) instead of one ssh channel per
        command and SFTP; the target then needs ``python3``.

        | Set Target Property | node | update_env_dict | ${{ {"LANG": "C"} }} |
        """
        properties = self._properties(target_name)
        if property_name not in properties:
            raise ConfigurationError(
                f"target {target_name!r} has no property {property_name!r}; known: "
                f"{', '.join(sorted(properties))}"
            )
        properties[property_name] = property_value

    @keyword
    def set_default_target_property(self, property_name: str, property_value: Any) -> None:
        """Set a property for the targets set from now on (a new name makes a new property)."""
        self.defaults[property_name] = property_value

    @keyword
    def get_target_properties(self, target: str = DEFAULT) -> dict[str, Any]:
        """The properties of ``target`` in effect, as a dictionary."""
        return copy.deepcopy(self._properties(target))

    @keyword
    def get_default_target_shell_dict(self, use_password: bool = False) -> dict[str, Any]:
        """The shell dict of the default target: the configured host, or the embedded sshd.

        For `Set Target`: ``host``, ``port``, ``user``, ``known_hosts``,
        ``host_key_policy`` and ``key_file``, or with ``use_password`` the
        ``password`` (a ``Secret`` where Robot has the type) instead.

        | ${hop}=    | Get Default Target Shell Dict | use_password=True |
        | Set Target | ${{ [$hop] }}                 | name=node         |
        """
        hop = target_hop(self.ctx.target(), use_password=use_password)
        found: dict[str, Any] = {"host": hop.host, "port": hop.port, "user": hop.user}
        if hop.known_hosts:
            found["known_hosts"] = hop.known_hosts
        found["host_key_policy"] = hop.host_key_policy.value
        if hop.key_file:
            found["key_file"] = hop.key_file
        if hop.password is not None:
            found["password"] = hop.password if Secret is str else Secret(hop.password)
        return found

    # -- for the other components -----------------------------------------------------------

    def route_of(self, name: str) -> Route:
        """The route of the target ``name``; ``default`` is the configured host or the sshd."""
        found = self.routes.get(name)
        if found is not None:
            return found
        if name != DEFAULT:
            raise ConfigurationError(
                f"target {name!r} is not set: use Set Target (set: "
                f"{', '.join(sorted(self.routes)) or 'none'})"
            )
        found = route(target_hop(self.ctx.target()))
        self.routes[DEFAULT] = found
        self.properties.setdefault(DEFAULT, copy.deepcopy(self.defaults))
        logger.info(f"target 'default': {found.describe()}")
        return found

    def _properties(self, name: str) -> dict[str, Any]:
        self.route_of(name)
        return self.properties.setdefault(name, copy.deepcopy(self.defaults))

    def property(self, name: str, key: str) -> Any:
        """The property ``key`` of the target ``name``."""
        return self._properties(name).get(key, DEFAULT_PROPERTIES.get(key))

    def terminal(self, name: str) -> Terminal:
        """The connection of the target ``name`` (one per route; logs in on first use)."""
        target = self.route_of(name)
        terminal = self.terminals.get(target)
        if terminal is None:
            prompt = float(self.property(name, "prompt_timeout") or self.request_timeout)
            terminal = Terminal(
                target,
                request_timeout=prompt,
                default_timeout=self.ctx.default_timeout,
                name=name if name != DEFAULT else "",
            )
            self.terminals[target] = terminal
        terminal.kill_grace = float(self.property(name, "termination_timeout"))
        terminal.via_agent = is_truthy(self.property(name, "through_agent"))
        return terminal

    def seconds_of(self, value: timedelta | None) -> float:
        """``value`` in seconds, or the library's default wait."""
        return self.ctx.default_timeout if value is None else value.total_seconds()

    def _plain(self, hop: Any, index: int) -> Any:
        """A hop dict with ``Secret`` values unwrapped and the library's host-key defaults."""
        if not isinstance(hop, Mapping):
            return hop
        plain: dict[str, Any] = {}
        for key, value in hop.items():
            if key in SECRET_KEYS and value is not None and not is_secret(value):
                self._warn_plain(index, str(key))
            if key == "answers" and isinstance(value, (list, tuple)):
                value = [self._plain(answer, index) for answer in value]
            plain[str(key)] = secret_text(value) if is_secret(value) else value
        kind = str(plain.get("kind", "")).lower()
        shellname = plain.get("shellname")
        if shellname is not None:
            is_ssh = shellname in SSH_SHELLS
        else:
            is_ssh = kind == "ssh" or (not kind and ("host" in plain or "ip" in plain))
        if is_ssh:
            plain.setdefault("host_key_policy", self.host_key_policy.value)
            if self.known_hosts:
                plain.setdefault("known_hosts", self.known_hosts)
        return plain

    def _warn_plain(self, index: int, key: str) -> None:
        where = f"hop {index} {key}"
        if Secret is str or where in self._warned:
            return
        if robot_variable("${LOG LEVEL}") != "TRACE":
            return
        self._warned.add(where)
        logger.warn(
            f"Set Target: the {key} of hop {index} is given as plain text, so it is in this "
            "run's output.xml and log.html (Robot logs keyword arguments at TRACE level). "
            "Give it as a Secret: a variable typed Secret (Robot 7.4+)."
        )

    def close_all(self) -> None:
        """Close every connection and forget the targets (crl's ``Close``)."""
        terminals, self.terminals = list(self.terminals.values()), {}
        for terminal in terminals:
            terminal.close()
        self.routes.clear()
        self.properties.clear()
