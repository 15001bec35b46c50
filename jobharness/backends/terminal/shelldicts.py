"""Hops from plain dicts: Robot data, and crl's shell dicts.

Two spellings are accepted:

* ours, with ``kind``: ``{kind: ssh, host: ..., port: ..., user: ...,
  password: ..., key_file: ..., known_hosts: ..., host_key_policy: ...}``;
  ``{kind: local}``; ``{kind: sudo, password: ...}``; ``{kind: su, user:
  ...}``; ``{kind: namespace, name: ...}``; ``{kind: prompt, command: ...,
  run: ..., answers: [{expect: ..., reply: ..., secret: true}]}``;
* crl's, with ``shellname`` (default ``DefaultSshShell``): ``{host: ...,
  user: ..., password: ...}``, ``{shellname: SudoShell, password: ...}``,
  ``{shellname: NamespaceShell, namespace: ...}`` and the other names of
  :mod:`~jobharness.backends.terminal.shells`.

A key the hop does not take, a missing key or a bad value is a
:class:`~jobharness.errors.ConfigurationError` naming the key.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from jobharness.backends.terminal import prompthops
from jobharness.backends.terminal.shells import SHELLS, DefaultSshShell, SshShell
from jobharness.backends.terminal.spec import (
    HOP_TYPES,
    Answer,
    LocalShell,
    PromptHop,
    SshHop,
    pairs,
)
from jobharness.errors import ConfigurationError


def _ssh(**values: Any) -> SshHop:
    if "username" in values:
        if "user" in values:
            raise ConfigurationError("give user or username, not both")
        values["user"] = values.pop("username")
    values["options"] = pairs(values.get("options"), "options")
    return SshHop(**values)


def _answers(values: Any) -> tuple[Answer, ...]:
    if values is None:
        return ()
    answers = []
    for index, item in enumerate(values):
        if isinstance(item, Answer):
            answers.append(item)
        elif isinstance(item, Mapping):
            answers.append(_call(Answer, dict(item), f"answers[{index}]", "answer"))
        else:
            raise ConfigurationError(f"answers[{index}] must be a dict with expect and reply")
    return tuple(answers)


def _prompt(**values: Any) -> PromptHop:
    values["answers"] = _answers(values.get("answers"))
    values["failures"] = tuple(values.get("failures") or ())
    return PromptHop(**values)


def _namespace(name: str) -> PromptHop:
    return prompthops.namespace(name)


KINDS: dict[str, Callable[..., Any]] = {
    "local": LocalShell,
    "ssh": _ssh,
    "prompt": _prompt,
    "sudo": prompthops.sudo,
    "su": prompthops.su,
    "namespace": _namespace,
    "kubernetes": prompthops.kubernetes,
    "python": prompthops.python,
}
"""Our hop kinds and what builds each from a dict's keys."""

_SSH_KEYS = (
    "host",
    "port",
    "user",
    "username",
    "password",
    "key_file",
    "known_hosts",
    "host_key_policy",
    "connect_timeout",
    "options",
    "config_file",
    "init_env",
    "workdir",
)
_PROMPT_KEYS = (
    "command",
    "run",
    "answers",
    "failures",
    "prompt",
    "exit_command",
    "name",
    "init_env",
    "workdir",
)


def _accepted(factory: Callable[..., Any], kind: str) -> tuple[set[str], set[str], bool]:
    """The keys ``factory`` takes, the required ones, and whether it takes any other."""
    if factory is _ssh:
        return set(_SSH_KEYS), {"host"}, False
    if factory is _prompt:
        return set(_PROMPT_KEYS), {"command"}, False
    if factory is DefaultSshShell:
        names, _, _ = _accepted(SshShell, kind)
        return names | {"host", "user", "username"}, set(), False
    signature = inspect.signature(factory)
    names, required, extra = set(), set(), False
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_KEYWORD:
            extra = True
        elif parameter.kind is not parameter.VAR_POSITIONAL:
            names.add(parameter.name)
            if parameter.default is parameter.empty:
                required.add(parameter.name)
    return names, required, extra


def _call(factory: Callable[..., Any], values: dict[str, Any], where: str, kind: str) -> Any:
    names, required, extra = _accepted(factory, kind)
    unknown = [] if extra else sorted(set(values) - names)
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key {unknown[0]!r} for {kind}; it takes: {', '.join(sorted(names))}"
        )
    missing = sorted(required - set(values))
    if missing:
        raise ConfigurationError(f"{where}: {kind} needs the key {missing[0]!r}")
    try:
        return factory(**values)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    except TypeError as exc:
        raise ConfigurationError(f"{where}: {kind}: {exc}") from None


def hop_from_dict(data: Mapping[str, Any], where: str = "hop") -> Any:
    """The hop a dict describes (ours with ``kind``, crl's with ``shellname`` or ``host``)."""
    values = {str(key): value for key, value in data.items()}
    kind = values.pop("kind", None)
    shellname = values.pop("shellname", None)
    if kind is not None and shellname is not None:
        raise ConfigurationError(f"{where}: give kind or shellname, not both")
    if shellname is not None:
        factory = SHELLS.get(str(shellname))
        if factory is None:
            raise ConfigurationError(
                f"{where}: unknown shellname {shellname!r}; known: {', '.join(sorted(SHELLS))}"
            )
        hop = _call(factory, values, where, str(shellname))
    elif kind is not None:
        builder = KINDS.get(str(kind).strip().lower())
        if builder is None:
            raise ConfigurationError(
                f"{where}: unknown kind {kind!r}; known: {', '.join(sorted(KINDS))}"
            )
        hop = _call(builder, values, where, str(kind))
    elif "host" in values or "ip" in values:
        if not (values.get("host") or values.get("ip")):
            raise ConfigurationError(f"{where}: the key 'host' is empty")
        hop = _call(DefaultSshShell, values, where, "ssh")
    else:
        raise ConfigurationError(
            f"{where}: a hop dict needs a host (ssh), a kind or a shellname; got keys "
            f"{', '.join(sorted(values)) or '(none)'}"
        )
    if not isinstance(hop, HOP_TYPES):  # pragma: no cover - every factory returns a hop
        raise ConfigurationError(f"{where}: {kind or shellname} did not make a hop")
    return hop
