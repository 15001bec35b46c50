"""What the terminal backend sends and reads: ssh options, the remote wrapper, status lines.

No I/O here. The pieces:

* :func:`hop_settings`, :func:`ssh_options`, :func:`ssh_config`: one list of
  ssh settings per hop, as ``-o`` options or as an ssh_config file whose
  ``Host`` blocks chain the hops with ``ProxyJump``;
* :data:`WRAPPER` and :func:`wrapped_command`: the POSIX ``sh`` script a
  command runs in, on the target. It reports the command's process group
  before it starts and its status after it ends, on standard error, each
  line tagged with a fresh nonce; it ends standard output with the nonce;
  and it watches its standard input as a lifeline: when that ends before
  the command does (the client closed it to cancel, or died), it sends
  SIGTERM to the process group and SIGKILL ``grace`` seconds later;
* :func:`parse_header`, :func:`parse_trailer`: reading those lines back.

A status is the command's exit status, or minus the signal number when a
signal ended it (``-15``). The wrapper tells the two apart because the
command's subshell reports a normal end itself; a command that calls
``exit`` with a status above 128 reads as a signal.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jobharness.errors import ConfigurationError

if TYPE_CHECKING:
    from jobharness.backends.terminal.spec import SshHop

SERVER_ALIVE_INTERVAL = 5  # seconds between keep-alives; a dead peer is noticed in 3 of them
REMOTE_SHELL = "/bin/sh"
DEFAULT_KILL_GRACE = 2.0

# The wrapper. Arguments: nonce, bytes of standard input to read first, kill grace, command.
# fd 3 is the lifeline (the channel's standard input), fd 4 the command's standard input,
# fd 5 the wrapper's standard error. The command's subshell starts the watchdog itself, once
# its own traps are reset, so a SIGTERM from the watchdog always finds it ready to die of it;
# the watchdog stands down when the subshell is already gone (reaped) by then.
# Every line ends so that the lines can be joined by spaces: the script is sent as one line
# (a login shell of the csh family cannot take a quoted newline).
WRAPPER = r"""n=$1 k=$2 g=$3 c=$4;
pg=$$;
if [ -r /proc/$$/stat ]; then read -r s </proc/$$/stat; s=${s##*) }; set -- $s; pg=$3;
elif command -v ps >/dev/null 2>&1; then pg=$(( $(ps -o pgid= -p $$) )); fi;
printf '%s pgid %s\n' "$n" "$pg" >&2;
exec 3<&0 </dev/null;
if [ "$k" -gt 0 ]; then
t=$(mktemp) || exit 125; head -c "$k" <&3 >"$t"; exec 4<"$t"; rm -f "$t";
else exec 4</dev/null; fi;
trap : HUP INT TERM;
( trap - HUP INT TERM;
  m=; if [ -r /proc/self/stat ]; then read -r m x </proc/self/stat; fi;
  ( trap '' TERM; while read -r x; do :; done;
    if [ -z "$m" ] || kill -0 "$m" 2>/dev/null; then
      kill -s TERM -- -"$pg"; ( sleep "$g"; kill -s KILL -- -"$pg" ) &
    fi ) <&3 >/dev/null 2>&1 4<&- 5>&- &
  w=$!;
  exec 3<&-;
  { eval "$c"; } 5>&-;
  s=$?;
  kill -s KILL "$w" 2>/dev/null;
  printf '%s exit %s\n' "$n" "$s" >&5;
) <&4 5>&2 4<&- &
p=$!;
exec 3<&- 4<&-;
while :; do wait "$p" 2>/dev/null; s=$?; kill -0 "$p" 2>/dev/null || break; done;
printf '%s status %s\n' "$n" "$s" >&2;
printf '%s' "$n"
"""

# A bare channel (file copies, an agent): report the process group, then run the command
# (which may ``exec``); its exit status is the channel's. Joinable like the wrapper.
PROLOGUE = r"""n=$1 c=$2;
pg=$$;
if [ -r /proc/$$/stat ]; then read -r s </proc/$$/stat; s=${s##*) }; set -- $s; pg=$3; fi;
printf '%s pgid %s\n' "$n" "$pg" >&2;
eval "$c"
"""


def one_line(script: str) -> str:
    """``script`` (the wrapper or the prologue) as the one line that is sent."""
    return " ".join(line.strip() for line in script.splitlines() if line.strip())


def new_nonce() -> str:
    """A fresh tag for one command's status lines (and the end of its output)."""
    return f"jh-{secrets.token_hex(8)}"


# -- ssh settings ---------------------------------------------------------------------------


def _value(text: str) -> str:
    """An ssh_config value, quoted when it has blanks."""
    return f'"{text}"' if re.search(r"\s", text) else text


def hop_settings(hop: SshHop) -> list[tuple[str, str]]:
    """The ssh settings of one hop (not its host, user, port): checks, auth, timeouts, extras."""
    settings: list[tuple[str, str]] = []
    if hop.known_hosts:
        settings += [("UserKnownHostsFile", hop.known_hosts), ("GlobalKnownHostsFile", "none")]
    policy = "yes" if hop.host_key_policy.value == "strict" else "accept-new"
    settings += [
        ("StrictHostKeyChecking", policy),
        ("CheckHostIP", "no"),
        ("UpdateHostKeys", "no"),
        ("HashKnownHosts", "no"),
        ("ConnectTimeout", str(max(1, round(hop.connect_timeout)))),
        ("ServerAliveInterval", str(SERVER_ALIVE_INTERVAL)),
        ("ServerAliveCountMax", "3"),
    ]
    if hop.key_file:
        settings += [("IdentityFile", hop.key_file), ("IdentitiesOnly", "yes")]
    if hop.password is None:
        settings += [("BatchMode", "yes"), ("PasswordAuthentication", "no")]
    else:
        settings += [
            ("NumberOfPasswordPrompts", "1"),
            ("PasswordAuthentication", "yes"),
            ("KbdInteractiveAuthentication", "yes"),
        ]
        if not hop.key_file:
            settings.append(("PubkeyAuthentication", "no"))
    settings += list(hop.options)
    return settings


def ssh_options(hop: SshHop, *, config_file: str | None = None) -> list[str]:
    """``hop`` as ssh command-line arguments (``-F``, ``-p``, ``-l``, ``-o``), host not included."""
    args = ["-F", config_file or "none", "-p", str(hop.port)]
    if hop.user:
        args += ["-l", hop.user]
    for name, value in hop_settings(hop):
        args += ["-o", f"{name}={value}"]
    return args


def host_alias(index: int) -> str:
    """The ssh_config name of hop ``index`` of a route."""
    return f"jh-hop-{index}"


def ssh_config(hops: tuple[SshHop, ...]) -> str:
    """An ssh_config with one ``Host`` block per hop, each jumping through the one before."""
    blocks = []
    for index, hop in enumerate(hops):
        lines = [f"Host {host_alias(index)}", f"  HostName {hop.host}", f"  Port {hop.port}"]
        if hop.user:
            lines.append(f"  User {hop.user}")
        if index:
            lines.append(f"  ProxyJump {host_alias(index - 1)}")
        lines += [f"  {name} {_value(value)}" for name, value in hop_settings(hop)]
        blocks.append("\n".join(lines))
    return "\n\n".join(["LogLevel ERROR", *blocks]) + "\n"


# -- commands -------------------------------------------------------------------------------


def shell_prologue(
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    init_env: str | None = None,
) -> str:
    """Shell lines run before a command: source ``init_env``, change to ``cwd``, export ``env``."""
    lines = []
    if init_env:
        if init_env.startswith("content:"):
            lines.append(init_env[len("content:") :].strip())
        else:
            lines.append(f". {shlex.quote(init_env)} || exit 125")
    if cwd:
        lines.append(f"cd -- {shlex.quote(cwd)} || exit 125")
    for name, value in (env or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ConfigurationError(f"env: {name!r} is not a variable name")
        lines.append(f"export {name}={shlex.quote(value)}")
    return "".join(line + "\n" for line in lines)


def wrapped_command(
    command: str, nonce: str, stdin_bytes: int = 0, grace: float = DEFAULT_KILL_GRACE
) -> str:
    """The shell line that runs ``command`` in the wrapper (which takes the shell's place)."""
    args = [nonce, str(stdin_bytes), f"{grace:g}", command]
    return f"exec {REMOTE_SHELL} -c {shlex.quote(one_line(WRAPPER))} jh {shlex.join(args)}"


def bare_command(command: str, nonce: str) -> str:
    """The shell line that reports its process group and then runs ``command``."""
    script = shlex.quote(one_line(PROLOGUE))
    return f"exec {REMOTE_SHELL} -c {script} jh {shlex.join([nonce, command])}"


# -- status lines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Trailer:
    """Where the status lines start in standard error, and the status they give."""

    start: int
    status: int
    complete: bool


def parse_header(stderr: bytes, nonce: str) -> tuple[int, int] | None:
    """``(process group, end of the header)`` once the header line is in ``stderr``."""
    match = re.search(rb"%s pgid (\d+)\n" % re.escape(nonce.encode()), stderr)
    if match is None:
        return None
    return int(match.group(1)), match.end()


def parse_trailer(stderr: bytes, nonce: str) -> Trailer | None:
    """The command's status once the wrapper's final line is in ``stderr`` (after the header)."""
    tag = re.escape(nonce.encode())
    final = re.search(rb"%s status (\d+)\n" % tag, stderr)
    if final is None:
        return None
    exited = re.search(rb"%s exit (\d+)\n" % tag, stderr)
    start = exited.start() if exited is not None else final.start()
    status = int(final.group(1))
    if exited is not None:
        status = int(exited.group(1))
    elif status > 128:
        status = 128 - status
    return Trailer(start, status, True)


def stdout_end(stdout: bytes, nonce: str) -> int | None:
    """Where the command's output ends in ``stdout`` (the wrapper's nonce), once it is there."""
    found = stdout.find(nonce.encode())
    return None if found < 0 else found
