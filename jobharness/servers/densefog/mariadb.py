"""A private mariadbd (Debian's ``mariadb-server``) for the embedded service, through the launcher.

It lives in a directory of its own (data, socket, PID file, log), listens on a
free port on 127.0.0.1 and reads nothing of the system's configuration. Its
root has no password and is reached over the socket only; a database and a
user with a random password are made for the service, which connects over TCP.
It is stopped with the process (SIGTERM, as the launcher stops every process).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

from jobharness.backends.densefog.dsn import Dsn
from jobharness.errors import EmbeddedServerError
from jobharness.resources import Closing
from jobharness.servers.launcher import LogLine, ManagedProcess, free_port

SYSTEM_PATH = os.pathsep.join(
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin", os.environ.get("PATH", "")]
)
READY_LINE = r"^Version: '(?P<version>[^']+)'\s+socket: '(?P<socket>[^']*)'\s+port: (?P<port>\d+)"
SMALL = ["--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M"]
INSTALL_TIMEOUT = 120.0


def program(name: str) -> str | None:
    """The absolute path of ``name`` (sbin directories included), or None."""
    return shutil.which(name, path=SYSTEM_PATH)


def available() -> bool:
    """True when ``mariadbd`` and ``mariadb-install-db`` are installed."""
    return program("mariadbd") is not None and program("mariadb-install-db") is not None


class PrivateMariaDB(Closing):
    """A mariadbd with its data directory, temporary directory, socket and PID file in
    ``directory``.

    :meth:`start` creates the data directory on first use (``mariadb-install-db``)
    and starts the server; :meth:`create_database` makes a database and a user.
    """

    def __init__(self, directory: str | Path, *, startup_timeout: float = 60.0) -> None:
        mariadbd, install = program("mariadbd"), program("mariadb-install-db")
        if mariadbd is None or install is None:
            raise EmbeddedServerError(
                "mariadbd is not installed (Debian: apt-get install mariadb-server)"
            )
        self.directory = Path(directory).resolve()
        self.data = self.directory / "data"
        self.socket = self.directory / "mariadbd.sock"
        self.tmpdir = self.directory / "tmp"
        self.port = free_port()
        self._install = install
        as_root = ["--user=root"] if os.geteuid() == 0 else []
        self._as_root = as_root
        self.process = ManagedProcess(
            "mariadbd",
            [
                mariadbd,
                "--no-defaults",
                f"--datadir={self.data}",
                f"--socket={self.socket}",
                f"--pid-file={self.directory / 'mariadbd.pid'}",
                f"--port={self.port}",
                f"--tmpdir={self.tmpdir}",
                "--bind-address=127.0.0.1",
                "--skip-log-bin",
                "--skip-name-resolve",
                *as_root,
                *SMALL,
            ],
            ready=LogLine(READY_LINE),
            workdir=self.directory,
            startup_timeout=startup_timeout,
        )

    def start(self) -> PrivateMariaDB:
        """Create the data directory if needed and start mariadbd; return once it accepts."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.tmpdir.mkdir(mode=0o700, exist_ok=True)
        if not (self.data / "mysql").is_dir():
            self._install_db()
        self.process.start()
        return self

    def _install_db(self) -> None:
        command = [
            self._install,
            "--no-defaults",
            f"--datadir={self.data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            f"--tmpdir={self.tmpdir}",
            *self._as_root,
            *SMALL,
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EmbeddedServerError(f"mariadb-install-db failed: {exc}") from exc
        if done.returncode != 0:
            raise EmbeddedServerError(
                f"mariadb-install-db exited with {done.returncode}:\n{done.stdout}{done.stderr}"
            )

    def root(self) -> Any:
        """A PyMySQL connection as root over the socket (autocommit)."""
        import pymysql

        return pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True)

    def create_database(
        self, database: str, user: str | None = None, password: str | None = None
    ) -> Dsn:
        """Create ``database`` (and ``user``@127.0.0.1 with ``password``, random if not given)
        if they are not there; return the DSN to reach it over TCP as that user (or root
        over the socket without a user)."""
        user_password = password or secrets.token_hex(16)
        with self.root() as connection, connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4")
            if user is None:
                return Dsn(
                    "mysql",
                    host="localhost",
                    user="root",
                    database=database,
                    unix_socket=str(self.socket),
                )
            cursor.execute("CREATE USER IF NOT EXISTS %s@'127.0.0.1'", [user])
            cursor.execute("ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", [user, user_password])
            cursor.execute(f"GRANT ALL ON `{database}`.* TO %s@'127.0.0.1'", [user])
        return Dsn(
            "mysql",
            host="127.0.0.1",
            port=self.port,
            user=user,
            password=user_password,
            database=database,
        )

    def stop(self) -> None:
        """Stop mariadbd (its data directory stays)."""
        self.process.stop()

    def close(self) -> None:
        """The same as :meth:`stop`."""
        self.stop()

    def __repr__(self) -> str:
        return f"<PrivateMariaDB {self.directory} port {self.port}>"
