"""Private instances of Debian's sshd and mariadbd, started through the launcher.

Each lives in a directory of its own (configuration, keys, data, socket, PID
file, log) and listens on a free port on 127.0.0.1; nothing of the system's
configuration is read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from jobharness.servers.launcher import LogLine, ManagedProcess, PortOpen, free_port

SYSTEM_PATH = os.pathsep.join(
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin", os.environ.get("PATH", "")]
)
PRIVSEP_DIR = Path("/run/sshd")  # sshd refuses to start as root without it
READY_LINE = r"^Version: '(?P<version>[^']+)'\s+socket: '(?P<socket>[^']*)'\s+port: (?P<port>\d+)"


def program(name: str) -> str | None:
    """The absolute path of ``name`` (sbin directories included), or None."""
    return shutil.which(name, path=SYSTEM_PATH)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


@dataclass
class Sshd:
    """A private sshd (not started yet) and the client key it accepts."""

    process: ManagedProcess
    port: int
    client_key: Path

    def ssh_command(self, *remote: str) -> list[str]:
        """An ``ssh`` command line running ``remote`` on this sshd as the current user."""
        return [
            *("ssh", "-F", "/dev/null", "-i", str(self.client_key), "-p", str(self.port)),
            *("-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"),
            *("-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"),
            "127.0.0.1",
            *remote,
        ]


def private_sshd(directory: Path) -> Sshd:
    """An sshd with its own host key and configuration in ``directory``, on a free port.

    It accepts the client key it generates for the current user and nothing else.
    """
    sshd = program("sshd")
    if sshd is None:
        raise FileNotFoundError("sshd")
    directory.mkdir(parents=True, exist_ok=True)
    host_key, client_key = directory / "host_key", directory / "client_key"
    for key in (host_key, client_key):
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(key)])
    (directory / "authorized_keys").write_text(
        Path(f"{client_key}.pub").read_text(encoding="utf-8"), encoding="utf-8"
    )
    if os.geteuid() == 0 and not PRIVSEP_DIR.is_dir():
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    port = free_port()
    config = directory / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {host_key}\n"
        "PidFile none\n"
        f"AuthorizedKeysFile {directory / 'authorized_keys'}\n"
        "AuthenticationMethods publickey\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\n"
        "UsePAM no\n"
        "StrictModes no\n",
        encoding="utf-8",
    )
    process = ManagedProcess(
        "sshd", [sshd, "-D", "-e", "-f", str(config)], ready=PortOpen(port), workdir=directory
    )
    return Sshd(process, port, client_key)


@dataclass
class MariaDB:
    """A private mariadbd (not started yet): where its socket is and its port."""

    process: ManagedProcess
    port: int
    socket: Path

    def client_command(self, sql: str) -> list[str]:
        """A ``mariadb`` command line running ``sql`` as root over the socket."""
        return ["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot", "-N", "-e", sql]


def private_mariadb(directory: Path) -> MariaDB:
    """A mariadbd with its data directory, socket and PID file in ``directory``, on a free port.

    The data directory is created with ``mariadb-install-db`` (root without a
    password, over the socket); small InnoDB files keep it quick.
    """
    mariadbd, install_db = program("mariadbd"), program("mariadb-install-db")
    if mariadbd is None or install_db is None:
        raise FileNotFoundError("mariadbd")
    data = directory / "data"
    directory.mkdir(parents=True, exist_ok=True)
    small = ["--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M"]
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    _run(
        [
            install_db,
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *as_root,
            *small,
        ]
    )
    port = free_port()
    socket = directory / "mariadbd.sock"
    command = [
        mariadbd,
        "--no-defaults",
        f"--datadir={data}",
        f"--socket={socket}",
        f"--pid-file={directory / 'mariadbd.pid'}",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        "--skip-log-bin",
        *as_root,
        *small,
    ]
    process = ManagedProcess("mariadbd", command, ready=LogLine(READY_LINE), workdir=directory)
    return MariaDB(process, port, socket)
