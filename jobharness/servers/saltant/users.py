"""Users: the admin superuser and extra users given on the command line, and passwords."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from jobharness.servers.saltant.kinds import USERS
from jobharness.servers.saltant.store import Database, Row

_ITERATIONS = 20_000


def new_token() -> str:
    """A random 40-hex key, the shape of a DRF token."""
    return secrets.token_hex(20)


def hash_password(password: str) -> str:
    """A salted PBKDF2 hash of ``password``."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _ITERATIONS)
    return f"pbkdf2_sha256${_ITERATIONS}${salt}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (an empty hash matches nothing)."""
    try:
        _, iterations, salt, expected = stored.split("$")
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


@dataclass(frozen=True)
class UserSpec:
    """A user to create or refresh at start-up; ``None`` keeps (or generates) the stored value."""

    username: str
    password: str | None = None
    token: str | None = None
    superuser: bool = False

    @classmethod
    def parse(cls, text: str) -> UserSpec:
        """``NAME:PASSWORD[:TOKEN]`` as given to ``--user``."""
        parts = text.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise ValueError(f"expected NAME:PASSWORD[:TOKEN], got {text.split(':')[0]!r}:...")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 and parts[2] else None)


def ensure_user(db: Database, spec: UserSpec) -> Row:
    """Create the user of ``spec`` or update the values it gives; return the stored row."""
    with db.transaction():
        row = db.get(USERS, "username", spec.username)
        values: dict[str, object] = {"is_superuser": spec.superuser}
        if spec.password is not None:
            values["password_hash"] = hash_password(spec.password)
        if spec.token is not None:
            db.update(USERS, "token", spec.token, {"token": None})
            values["token"] = spec.token
        if row is None:
            values.setdefault("password_hash", "")
            values.setdefault("token", new_token())
            db.insert(
                USERS,
                {"username": spec.username, "email": f"{spec.username}@example.com", **values},
            )
        else:
            db.update(USERS, "id", row["id"], values)
        found = db.get(USERS, "username", spec.username)
    assert found is not None
    return found
