"""Where a job table lives: a SQLite file or a MySQL/MariaDB database, written as a DSN.

Accepted forms::

    sqlite:///absolute/path/densefog.sqlite3     /absolute/path.sqlite3     relative.db
    mysql://user:password@host:3306/database     (also mariadb:// and mysql+pymysql://)
    mysql://root@localhost/database?unix_socket=/path/mysqld.sock

The password never shows: :meth:`Dsn.shown` and the repr mask it; only
:attr:`Dsn.text` (for passing it on privately) has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from jobharness.backends.densefog.protocol import Dialect
from jobharness.errors import ConfigurationError
from jobharness.redaction import MASK

MYSQL_SCHEMES = ("mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql")
DEFAULT_MYSQL_PORT = 3306


@dataclass(frozen=True)
class Dsn:
    """A parsed job table DSN (see the module docstring for the forms)."""

    dialect: Dialect
    path: str | None = None
    host: str | None = None
    port: int = DEFAULT_MYSQL_PORT
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    unix_socket: str | None = None

    @property
    def text(self) -> str:
        """The DSN in full, password included: never log or show it."""
        return self._format(self.password)

    def shown(self) -> str:
        """The DSN with the password masked, for messages and logs."""
        return self._format(MASK if self.password else None)

    def _format(self, password: str | None) -> str:
        if self.dialect == "sqlite":
            return (
                f"sqlite:///{self.path}"
                if self.path and self.path.startswith("/")
                else (f"sqlite:///{Path(self.path or '').resolve()}")
            )
        credentials = ""
        if self.user:
            secret = (
                f":{password if password == MASK else quote(password, safe='')}"
                if (password)
                else ""
            )
            credentials = f"{quote(self.user, safe='')}{secret}@"
        where = self.host or "localhost"
        port = f":{self.port}" if self.port != DEFAULT_MYSQL_PORT else ""
        query = f"?unix_socket={self.unix_socket}" if self.unix_socket else ""
        return f"mysql://{credentials}{where}{port}/{self.database or ''}{query}"

    def __repr__(self) -> str:
        return f"<Dsn {self.shown()}>"


def parse_dsn(text: str) -> Dsn:
    """Parse ``text``; a ConfigurationError (without the password) says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError("a job table DSN must not be empty")
    text = text.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        return Dsn("sqlite", path=str(Path(text).expanduser().resolve()))
    scheme = scheme.lower()
    if scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") and rest[1:2] == "/" else rest
        if not path:
            raise ConfigurationError("sqlite DSN has no file path: write sqlite:////abs/path.db")
        return Dsn("sqlite", path=str(Path(unquote(path)).expanduser().resolve()))
    if scheme not in MYSQL_SCHEMES:
        raise ConfigurationError(
            f"unknown job table DSN scheme {scheme!r}: use sqlite:///PATH or "
            "mysql://USER:PASSWORD@HOST:PORT/DATABASE"
        )
    parts = urlsplit("mysql://" + rest)
    query = dict(parse_qsl(parts.query))
    database = unquote(parts.path.lstrip("/")) or None
    try:
        port = parts.port or DEFAULT_MYSQL_PORT
    except ValueError:
        raise ConfigurationError("the port of the job table DSN is not a number") from None
    if not database:
        raise ConfigurationError(
            "the MySQL job table DSN names no database (mysql://USER@HOST/DATABASE)"
        )
    return Dsn(
        "mysql",
        host=parts.hostname or "localhost",
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        database=database,
        unix_socket=query.get("unix_socket") or query.get("socket"),
    )
