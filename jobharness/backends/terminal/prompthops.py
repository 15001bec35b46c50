"""The usual prompt hops: sudo, su, a nested ssh, a network namespace, a pod, a Python REPL.

Each helper returns a :class:`~jobharness.backends.terminal.spec.PromptHop`
with both forms filled in where both exist: ``command`` for an interactive
session and ``run`` for one command without a terminal. Passwords are
secret answers: they travel on the hop's standard input (``sudo -S``,
``su``), never on a command line.
"""

from __future__ import annotations

import re
import shlex

from jobharness.backends.terminal.protocol import ssh_options
from jobharness.backends.terminal.spec import SUDO_PROMPT, Answer, PromptHop, SshHop

PASSWORD_PROMPT = r"(?i)password(?: for [^:]*)?: ?$"
"""A password prompt at the end of what a program printed (``Password: ``, ``...'s password: ``)."""

SUDO_FAILURES = (
    r"Sorry, try again",
    r"incorrect password attempt",
    r"is not in the sudoers file",
    r"is not allowed to (?:run|execute)",
    r"a password is required",
    r"a terminal is required",
)
SU_FAILURES = (r"Authentication failure", r"does not exist", r"must be run from a terminal")
SSH_FAILURES = (
    r"Permission denied",
    r"Host key verification failed",
    r"Could not resolve hostname",
    r"Connection refused",
    r"No route to host",
    r"Connection timed out",
)


def _secret(password: str | None, expect: str) -> tuple[Answer, ...]:
    return () if password is None else (Answer(expect, password, secret=True),)


def sudo(password: str | None = None, user: str = "root", *, login: bool = False) -> PromptHop:
    """``sudo`` to ``user``: with ``password`` it is read on standard input (``sudo -S``).

    Without a password, commands use ``sudo -n`` and fail at once when sudo
    would ask for one. ``login`` starts a login shell in interactive sessions.
    """
    prompt = shlex.quote(SUDO_PROMPT)
    who = shlex.quote(user)
    run = (
        f"sudo -S -p {prompt} -u {who} -- /bin/sh -c {{command}}"
        if password is not None
        else f"sudo -n -u {who} -- /bin/sh -c {{command}}"
    )
    return PromptHop(
        command=f"sudo -p {prompt} -u {who} {'-i' if login else '-s'}",
        run=run,
        answers=_secret(password, re.escape(SUDO_PROMPT)),
        failures=SUDO_FAILURES,
        name=f"sudo to {user}",
    )


def su(user: str = "root", password: str | None = None, *, login: bool = False) -> PromptHop:
    """``su`` to ``user``; its password prompt is answered on standard input."""
    dash = "- " if login else ""
    who = shlex.quote(user)
    return PromptHop(
        command=f"su {dash}{who}",
        run=f"su {dash}{who} -c {{command}}",
        answers=_secret(password, PASSWORD_PROMPT),
        failures=SU_FAILURES,
        name=f"su to {user}",
    )


def nested_ssh(hop: SshHop) -> PromptHop:
    """``hop`` as an ``ssh`` typed on the previous host (when no direct route exists).

    Its key file and known-hosts file are paths on that host. With a key
    (no password) commands pass it without a terminal; a password login
    needs one, so only an interactive session passes it.
    """
    options = shlex.join(ssh_options(hop, config_file=hop.config_file))
    destination = shlex.quote(f"{hop.user}@{hop.host}" if hop.user else hop.host)
    run = None
    if hop.password is None:
        run = f"ssh -T -o BatchMode=yes {options} {destination} {{command}}"
    return PromptHop(
        command=f"ssh -t {options} {destination}",
        run=run,
        answers=_secret(hop.password, PASSWORD_PROMPT),
        failures=SSH_FAILURES,
        name=f"nested {hop.describe()}",
        init_env=hop.init_env,
        workdir=hop.workdir,
    )


def namespace(name: str) -> PromptHop:
    """A shell in the network namespace ``name`` (``ip netns exec``)."""
    quoted = shlex.quote(name)
    return PromptHop(
        command=f"ip netns exec {quoted} bash",
        run=f"ip netns exec {quoted} /bin/sh -c {{command}}",
        name=f"netns {name}",
    )


def kubernetes(
    pod: str,
    container: str | None = None,
    namespace: str | None = None,
    *,
    shell: str = "bash",
    cli: str = "kubectl",
) -> PromptHop:
    """A shell in a pod (``kubectl exec``), in ``container`` and ``namespace`` when given."""
    where = [
        pod,
        *(["-c", container] if container else []),
        *(["-n", namespace] if namespace else []),
    ]
    args = shlex.join(where)
    return PromptHop(
        command=f"{shlex.quote(cli)} exec -it {args} -- {shlex.quote(shell)}",
        run=f"{shlex.quote(cli)} exec -i {args} -- /bin/sh -c {{command}}",
        name=f"pod {pod}",
    )


def python(start_command: str = "python3") -> PromptHop:
    """A Python REPL: interactive sessions only (commands need a shell)."""
    return PromptHop(
        command=start_command,
        run=None,
        prompt=r">>> $",
        exit_command="exit()",
        name="python",
    )
