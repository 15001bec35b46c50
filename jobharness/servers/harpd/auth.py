"""harpd users: ``--user NAME:PASSWORD`` entries and a ``user:crypt-hash`` password file.

The password file is re-read on every request (edits apply at once, as with
harpd's ``passfile`` module); a missing or unreadable file makes its logins
fail. Hashes (``$6$`` SHA-512, ``$5$`` SHA-256, ...) are checked with the
stdlib ``crypt`` module, which Python 3.13 removed: there a password file is
refused at start with a clear message.
"""

from __future__ import annotations

import hmac
import importlib
import logging
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

from jobharness.errors import ConfigurationError

log = logging.getLogger(__name__)

CryptFunction = Callable[[str, str], "str | None"]


def crypt_function() -> CryptFunction | None:
    """The stdlib ``crypt.crypt``, or ``None`` where this Python has no ``crypt`` module."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            module = importlib.import_module("crypt")
        except ImportError:
            return None
    function: CryptFunction = module.crypt
    return function


def parse_user(text: str) -> tuple[str, str]:
    """Split a ``NAME:PASSWORD`` option value."""
    name, sep, password = text.partition(":")
    if not sep or not name:
        raise ConfigurationError(f"--user expects NAME:PASSWORD, got {name or '(empty)'!r}")
    return name, password


class Authenticator:
    """Checks a user name and password against the plain users and the password file."""

    def __init__(self, users: Mapping[str, str], password_file: Path | None = None) -> None:
        self.users = dict(users)
        self.password_file = password_file
        self._crypt: CryptFunction | None = None
        if password_file is not None:
            self._crypt = crypt_function()
            if self._crypt is None:
                raise ConfigurationError(
                    "--password-file needs crypt(3) hashes checked by the stdlib 'crypt' module, "
                    "which this Python does not have; use --user NAME:PASSWORD instead"
                )

    def authenticate(self, user: str, password: str) -> bool:
        """Whether ``user`` exists and ``password`` is right (one answer for both failures)."""
        expected = self.users.get(user)
        if expected is not None and hmac.compare_digest(
            expected.encode("utf-8", "surrogatepass"), password.encode("utf-8", "surrogatepass")
        ):
            return True
        hashed = self._file_hash(user)
        if hashed is None or self._crypt is None:
            return False
        computed = self._crypt(password, hashed)
        return computed is not None and hmac.compare_digest(computed, hashed)

    def _file_hash(self, user: str) -> str | None:
        if self.password_file is None:
            return None
        try:
            text = self.password_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("password file %s unreadable: %s", self.password_file, exc)
            return None
        for line in text.splitlines():
            name, sep, hashed = line.strip().partition(":")
            if sep and name == user and hashed:
                return hashed
        return None
