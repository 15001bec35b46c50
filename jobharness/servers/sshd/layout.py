"""The files of an embedded sshd: keys, configuration, known-hosts file, authorized keys.

Everything lives in the server's data directory; nothing of the system's
ssh configuration is read or changed. The client key and the known-hosts
file are what a client needs; the authorized keys sit in a directory the
test account can read (sshd reads them as that account).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from jobharness.errors import ConfigurationError, EmbeddedServerError

KEYGEN_TIMEOUT = 60.0
DEFAULT_MAX_SESSIONS = 64  # channels one multiplexed connection may hold (sshd's default is 10)


@dataclass(frozen=True)
class Layout:
    """Where an embedded sshd keeps its files (``root`` is its data directory)."""

    root: Path

    @property
    def host_key(self) -> Path:
        """The server's private host key (ed25519)."""
        return self.root / "host_ed25519_key"

    @property
    def client_key(self) -> Path:
        """The client's private key, accepted for the test user."""
        return self.root / "client_ed25519_key"

    @property
    def authorized_keys(self) -> Path:
        """The keys sshd accepts, in a directory the test user can read."""
        return self.root / "auth" / "authorized_keys"

    @property
    def known_hosts(self) -> Path:
        """A known-hosts file holding this server's host key, for clients."""
        return self.root / "known_hosts"

    @property
    def config(self) -> Path:
        """The sshd configuration."""
        return self.root / "sshd_config"

    @property
    def log_file(self) -> Path:
        """sshd's log (``-E``): logins, errors."""
        return self.root / "sshd.log"


def generate_key(path: Path) -> None:
    """An ed25519 key pair at ``path`` (and ``path.pub``) without a passphrase, if missing."""
    if path.exists() and Path(f"{path}.pub").exists():
        return
    path.unlink(missing_ok=True)
    done = subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "jobharness", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=KEYGEN_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise EmbeddedServerError(f"ssh-keygen failed: {done.stderr.strip()}")


def public_key(path: Path) -> str:
    """The public half of the key at ``path``: ``type base64`` (no comment)."""
    fields = Path(f"{path}.pub").read_text(encoding="utf-8").split()
    return f"{fields[0]} {fields[1]}"


def known_hosts_line(host: str, port: int, key: str) -> str:
    """A known-hosts entry for ``host:port`` (brackets and port unless it is 22)."""
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {key}\n"


def write_files(layout: Layout, host: str, port: int) -> None:
    """Keys (made once), authorized keys and known-hosts file for ``host:port``."""
    layout.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    # the test user must reach the authorized keys; nothing else here is readable to it
    os.chmod(layout.root, 0o711)
    generate_key(layout.host_key)
    generate_key(layout.client_key)
    auth = layout.authorized_keys.parent
    auth.mkdir(exist_ok=True)
    os.chmod(auth, 0o755)
    layout.authorized_keys.write_text(public_key(layout.client_key) + "\n", encoding="utf-8")
    os.chmod(layout.authorized_keys, 0o644)
    layout.known_hosts.write_text(
        known_hosts_line(host, port, public_key(layout.host_key)), encoding="utf-8"
    )


def write_config(
    layout: Layout,
    host: str,
    port: int,
    user: str,
    *,
    password_login: bool,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    verbose: bool = False,
) -> None:
    """The sshd configuration: ``user`` only, by key (and by password if ``password_login``)."""
    lines = [
        f"Port {port}",
        f"ListenAddress {host}",
        f"HostKey {layout.host_key}",
        "PidFile none",
        f"AuthorizedKeysFile {layout.authorized_keys}",
        f"AllowUsers {user}",
        "PermitRootLogin no",
        "PubkeyAuthentication yes",
        f"PasswordAuthentication {'yes' if password_login else 'no'}",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
        f"MaxSessions {max_sessions}",
        "MaxStartups 200:30:400",
        "MaxAuthTries 6",
        "LoginGraceTime 30",
        "Subsystem sftp internal-sftp",
        f"LogLevel {'DEBUG1' if verbose else 'VERBOSE'}",
    ]
    layout.config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def check_reachable(path: Path, user: str) -> None:
    """Refuse a data directory the test account cannot reach (sshd reads its keys as it)."""
    if os.geteuid() != 0:
        return
    for parent in path.parents:
        if not os.stat(parent).st_mode & 0o001:
            raise ConfigurationError(
                f"the test account {user} cannot reach {path}: {parent} is not "
                "searchable by others; choose a --data-dir outside it"
            )
