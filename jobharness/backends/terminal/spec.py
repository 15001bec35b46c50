"""Routes to a terminal target as data: immutable hops, and the route they make.

A *hop* says how to get one step further; a :class:`Route` is the tuple of
hops from here to the target. Three kinds of hop:

* :class:`LocalShell`: a shell on this machine (only meaningful first; later
  in a route it stands for "a shell where the route already is" and only
  adds its ``init_env`` and ``workdir``);
* :class:`SshHop`: an OpenSSH login, by key or password, host keys checked
  against a known-hosts file. Consecutive ssh hops become one connection
  using ssh's own jumps (``ProxyJump``);
* :class:`PromptHop`: a program that is typed into a terminal and may ask
  questions (``sudo`` with a password, ``su``, a vendor CLI, a nested
  ``ssh``). ``run`` says how one command runs through it without a terminal
  (``sudo -S`` reads its password on standard input); without ``run`` only
  an interactive session can pass it.

Specs never change and hold no runtime state: every connection attempt
builds fresh runtime objects from them. A password is never part of a repr.
Helpers build the usual prompt hops: :func:`sudo`, :func:`su`,
:func:`nested_ssh`, :func:`namespace`. Dicts (Robot data, crl's shell
dicts) become hops through :mod:`jobharness.backends.terminal.shelldicts`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from jobharness.choices import Choice
from jobharness.deadline import parse_timeout
from jobharness.errors import ConfigurationError

DEFAULT_CONNECT_TIMEOUT = 10.0
SUDO_PROMPT = "jobharness-sudo-password: "
"""The prompt sudo is told to show (``-p``), so it is recognised in any locale."""

# ssh options the transport sets itself; a hop's ``options`` may not override them
MANAGED_OPTIONS = frozenset(
    name.lower()
    for name in (
        "ControlPath",
        "ControlMaster",
        "ControlPersist",
        "StrictHostKeyChecking",
        "UserKnownHostsFile",
        "GlobalKnownHostsFile",
        "BatchMode",
        "ProxyJump",
        "ProxyCommand",
        "HostName",
        "Port",
        "User",
        "IdentityFile",
        "IdentitiesOnly",
        "ConnectTimeout",
        "NumberOfPasswordPrompts",
    )
)


class HostKeyPolicy(Choice):
    """How an ssh hop treats the server's host key.

    ``strict`` (default): it must already be in the known-hosts file.
    ``accept-new``: an unknown key is added to the file; a changed key is
    still refused. Checking is never turned off.
    """

    STRICT = "strict"
    ACCEPT_NEW = "accept-new"

    @classmethod
    def _label(cls) -> str:
        return "host_key_policy"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"yes": "strict", "accept_new": "accept-new"}


def pairs(value: Any, what: str) -> tuple[tuple[str, str], ...]:
    """A mapping (or pairs) as sorted ``(name, value)`` text pairs, so specs stay hashable."""
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    try:
        pairs = tuple((str(k), str(v)) for k, v in items)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"{what} must be a mapping of names to values, got {value!r}"
        ) from None
    return tuple(sorted(pairs))


def port_number(value: Any, host: str = "") -> int:
    """A TCP port from a number or numeric text (22 when unset); a clear error otherwise."""
    if value is None or value == "":
        return 22
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ConfigurationError(f"ssh hop {host}: port must be 1-65535, got {value!r}")
    return value


def _text(value: Any, what: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ConfigurationError(f"{what} is required")
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be text, got {type(value).__name__} {value!r}")
    return value


@dataclass(frozen=True, kw_only=True)
class ShellOptions:
    """What every hop may add to the commands run after it: a file to source, a directory.

    ``init_env`` is a file sourced before each command, or ``content:``
    followed by shell commands run before it (crl's two forms). ``workdir``
    is where commands start.
    """

    init_env: str | None = None
    workdir: str | None = None

    def _check_shell_options(self) -> None:
        _text(self.init_env, "init_env")
        _text(self.workdir, "workdir")


@dataclass(frozen=True)
class LocalShell(ShellOptions):
    """A shell on this machine: commands run as local process groups."""

    kind: ClassVar[str] = "local"

    def __post_init__(self) -> None:
        self._check_shell_options()

    def describe(self) -> str:
        """How messages name the hop."""
        return "local shell"


@dataclass(frozen=True)
class SshHop(ShellOptions):
    """An OpenSSH login: ``user@host:port`` by key file and/or password.

    ``known_hosts`` is the known-hosts file the suite owns (default: ssh's
    own, ``~/.ssh/known_hosts``); the host key is checked against it by
    ``host_key_policy``. ``options`` are extra ``-o`` options (name to
    value); the ones the transport manages are refused. ``config_file`` is
    an ssh_config to read (default: none, so the user's configuration does
    not change what a suite does). The password is never shown.
    """

    host: str
    port: int = 22
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    key_file: str | None = None
    known_hosts: str | None = None
    host_key_policy: HostKeyPolicy = HostKeyPolicy.STRICT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    options: tuple[tuple[str, str], ...] = ()
    config_file: str | None = None

    kind: ClassVar[str] = "ssh"

    def __post_init__(self) -> None:
        self._check_shell_options()
        _text(self.host, "ssh hop: host", required=True)
        if not re.fullmatch(r"[A-Za-z0-9_.:%\-\[\]]+", self.host):
            raise ConfigurationError(f"ssh hop: host {self.host!r} is not a host name or address")
        object.__setattr__(self, "port", port_number(self.port, self.host))
        for name in ("user", "password", "key_file", "known_hosts", "config_file"):
            _text(getattr(self, name), f"ssh hop {self.host}: {name}")
        if self.known_hosts in ("/dev/null", "none"):
            raise ConfigurationError(
                f"ssh hop {self.host}: known_hosts {self.known_hosts!r} would turn host key "
                "checking off; give a file the suite owns (host_key_policy accept-new adds "
                "unknown keys to it)"
            )
        if self.user is not None and not re.fullmatch(r"[A-Za-z0-9_.][A-Za-z0-9_.@\-]*", self.user):
            raise ConfigurationError(f"ssh hop {self.host}: user {self.user!r} is not a user name")
        object.__setattr__(self, "host_key_policy", HostKeyPolicy.parse(self.host_key_policy))
        object.__setattr__(
            self,
            "connect_timeout",
            parse_timeout(self.connect_timeout, f"ssh hop {self.host}: connect_timeout"),
        )
        options = pairs(self.options, f"ssh hop {self.host}: options")
        for name, _ in options:
            if name.lower() in MANAGED_OPTIONS:
                raise ConfigurationError(
                    f"ssh hop {self.host}: option {name} is set by jobharness from the hop's "
                    "fields (host, port, user, key_file, known_hosts, host_key_policy, "
                    "connect_timeout); set the field instead"
                )
        object.__setattr__(self, "options", options)

    @property
    def address(self) -> str:
        """``user@host:port`` (no password)."""
        user = f"{self.user}@" if self.user else ""
        return f"{user}{self.host}:{self.port}"

    def describe(self) -> str:
        """How messages name the hop."""
        return f"ssh {self.address}"


@dataclass(frozen=True)
class Answer:
    """What to reply when a prompt hop's output matches ``expect`` (a regular expression).

    A ``secret`` reply (a password) is never logged or shown.
    """

    expect: str
    reply: str = field(repr=False)
    secret: bool = False

    def __post_init__(self) -> None:
        try:
            re.compile(self.expect)
        except re.error as exc:
            raise ConfigurationError(f"answer: expect {self.expect!r} is no regex: {exc}") from None

    def __repr__(self) -> str:
        shown = "***" if self.secret else repr(self.reply)
        return f"Answer(expect={self.expect!r}, reply={shown})"


@dataclass(frozen=True)
class PromptHop(ShellOptions):
    """A program typed into the terminal of the previous hop, answering its prompts.

    ``command`` enters the hop in an interactive session (``sudo -s``,
    ``su - root``, ``ssh -t host``). ``run`` runs one command through the hop
    without a terminal: a shell command line where ``{command}`` stands for
    the quoted inner command (``sudo -S -p PROMPT -- /bin/sh -c {command}``);
    ``None`` means the hop needs a terminal, so only interactive sessions
    pass it. ``answers`` are replied in order of appearance, in both modes;
    ``failures`` are regexes meaning the hop refused (a wrong password).
    ``prompt`` is the interactive shell's prompt regex after entering (None:
    the session forces its own). ``name`` names the hop in messages.
    """

    command: str
    run: str | None = None
    answers: tuple[Answer, ...] = ()
    failures: tuple[str, ...] = ()
    prompt: str | None = None
    exit_command: str = "exit"
    name: str = ""

    kind: ClassVar[str] = "prompt"

    def __post_init__(self) -> None:
        self._check_shell_options()
        _text(self.command, "prompt hop: command", required=True)
        if self.run is not None and "{command}" not in self.run:
            raise ConfigurationError(
                f"prompt hop {self.describe()}: run must contain {{command}}, got {self.run!r}"
            )
        answers = tuple(self.answers)
        for answer in answers:
            if not isinstance(answer, Answer):
                raise ConfigurationError(f"prompt hop {self.describe()}: {answer!r} is no Answer")
        object.__setattr__(self, "answers", answers)
        object.__setattr__(self, "failures", tuple(self.failures))
        for pattern in (*self.failures, *([self.prompt] if self.prompt else [])):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigurationError(
                    f"prompt hop {self.describe()}: {pattern!r} is no regex: {exc}"
                ) from None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret replies (to mask in any text)."""
        return tuple(answer.reply for answer in self.answers if answer.secret)

    def run_line(self, inner: str) -> str:
        """The shell command line that runs the shell command ``inner`` through this hop."""
        if self.run is None:
            raise ConfigurationError(f"prompt hop {self.describe()} has no non-interactive form")
        return self.run.replace("{command}", shlex.quote(inner))

    def describe(self) -> str:
        """How messages name the hop."""
        if self.name:
            return self.name
        return self.command.split()[0] if self.command.strip() else "prompt hop"


Hop = LocalShell | SshHop | PromptHop
HOP_TYPES = (LocalShell, SshHop, PromptHop)


@dataclass(frozen=True)
class Route:
    """The hops from here to a target, in order; iterable, hashable, never empty.

    Build one with :func:`route` from a hop, a list of hops or dicts.
    """

    hops: tuple[Hop, ...]

    def __post_init__(self) -> None:
        hops = tuple(self.hops)
        if not hops:
            raise ConfigurationError("a route needs at least one hop")
        for index, hop in enumerate(hops):
            if not isinstance(hop, HOP_TYPES):
                raise ConfigurationError(f"hop {index} is a {type(hop).__name__}, not a hop spec")
        object.__setattr__(self, "hops", hops)

    def __iter__(self) -> Iterator[Hop]:
        return iter(self.hops)

    def __len__(self) -> int:
        return len(self.hops)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every password and secret answer on the route."""
        found: list[str] = []
        for hop in self.hops:
            if isinstance(hop, SshHop) and hop.password:
                found.append(hop.password)
            elif isinstance(hop, PromptHop):
                found.extend(hop.secrets)
        return tuple(found)

    def describe(self) -> str:
        """``ssh u@gw:22 -> ssh u@vm:22 -> sudo``: the route without secrets."""
        return " -> ".join(hop.describe() for hop in self.hops)

    def __str__(self) -> str:
        return self.describe()


def route(value: Route | Hop | Mapping[str, Any] | Any) -> Route:
    """A :class:`Route` from a route, a hop, a dict, or a list of hops and dicts."""
    from jobharness.backends.terminal.shelldicts import hop_from_dict

    if isinstance(value, Route):
        return value
    if isinstance(value, HOP_TYPES):
        return Route((value,))
    if isinstance(value, Mapping):
        return Route((hop_from_dict(value),))
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ConfigurationError(
            f"a route is a hop, a dict or a list of them, got {type(value).__name__} {value!r}"
        )
    hops: list[Hop] = []
    for index, item in enumerate(value):
        if isinstance(item, HOP_TYPES):
            hops.append(item)
        elif isinstance(item, Mapping):
            hops.append(hop_from_dict(item, f"hop {index}"))
        else:
            raise ConfigurationError(
                f"hop {index} is a {type(item).__name__} ({item!r}), not a hop or a dict"
            )
    return Route(tuple(hops))
