"""Passwords for ssh through ``SSH_ASKPASS``: never on a command line, never in a log.

ssh asks its askpass program for a password, the prompt as its argument
(``user@host's password: ``, or ``(user@host) Password: `` for
keyboard-interactive logins). The helper written here answers from a file
of ``user@host<TAB>password`` lines beside it (mode 0600, in a private 0700
directory), using shell built-ins only, so no password appears in a
process's arguments. It answers nothing else: no passphrase, no question.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from pathlib import Path

from jobharness.backends.terminal.spec import SshHop
from jobharness.errors import ConfigurationError
from jobharness.privatefiles import write_private

HELPER_NAME = "askpass"
PASSWORDS_NAME = "passwords"

HELPER = r"""#!/bin/sh
# jobharness: answers ssh's password prompts for one connection, from the file beside it
case $1 in
*"'s password: ") k=${1%"'s password: "}; k=${k##* } ;;
"("*"@"*") "*) k=${1#"("}; k=${k%%")"*} ;;
*) exit 1 ;;
esac
f="${0%/*}/passwords"
while IFS= read -r l; do
  case $l in "$k	"*) printf '%s\n' "${l#*	}"; exit 0 ;; esac
done <"$f"
exit 1
"""


def login_name(hop: SshHop) -> str:
    """``user@host`` as ssh shows it in a password prompt."""
    return f"{hop.user or getpass.getuser()}@{hop.host}"


def password_lines(hops: Sequence[SshHop]) -> dict[str, str]:
    """The password of each ``user@host`` of ``hops`` that has one."""
    found: dict[str, str] = {}
    for hop in hops:
        if hop.password is None:
            continue
        if "\n" in hop.password or "\t" in hop.password:
            raise ConfigurationError(f"{hop.describe()}: a password cannot hold a tab or newline")
        name = login_name(hop)
        if found.get(name, hop.password) != hop.password:
            raise ConfigurationError(f"{name} appears twice on the route with different passwords")
        found[name] = hop.password
    return found


def install(directory: Path, passwords: Mapping[str, str]) -> dict[str, str]:
    """Write the helper and its password file into ``directory``; the environment for ssh.

    Returns ``{}`` when there is no password (ssh then runs in batch mode).
    """
    if not passwords:
        return {}
    write_private(
        directory / PASSWORDS_NAME,
        "".join(f"{name}\t{password}\n" for name, password in passwords.items()),
        0o600,
    )
    helper = directory / HELPER_NAME
    write_private(helper, HELPER, 0o700)
    return {"SSH_ASKPASS": str(helper), "SSH_ASKPASS_REQUIRE": "force"}
