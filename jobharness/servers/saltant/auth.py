"""Authentication: DRF tokens (``Token <key>``) and simplejwt access tokens (``Bearer <jwt>``).

Every failure is a 403, as upstream answers (its first scheme, session
authentication, sends no ``WWW-Authenticate`` challenge).
"""

from __future__ import annotations

from jobharness.servers.saltant import jwt
from jobharness.servers.saltant.kinds import USERS
from jobharness.servers.saltant.responses import ApiError, detail
from jobharness.servers.saltant.store import Database, Row

NOT_PROVIDED = "Authentication credentials were not provided."
BAD_BEARER = {
    "detail": "Given token not valid for any token type",
    "code": "token_not_valid",
    "messages": [
        {
            "token_class": "AccessToken",
            "token_type": "access",
            "message": "Token is invalid or expired",
        }
    ],
}


def _token_user(db: Database, parts: list[str]) -> Row:
    if len(parts) == 1:
        raise detail(403, "Invalid token header. No credentials provided.")
    if len(parts) > 2:
        raise detail(403, "Invalid token header. Token string should not contain spaces.")
    user = db.get(USERS, "token", parts[1])
    if user is None:
        raise detail(403, "Invalid token.")
    return user


def _bearer_user(db: Database, secret: str, parts: list[str]) -> Row:
    if len(parts) != 2:
        raise ApiError(
            403,
            {
                "detail": "Authorization header must contain two space-delimited values",
                "code": "bad_authorization_header",
            },
        )
    try:
        claims = jwt.decode(secret, parts[1], "access")
    except jwt.TokenInvalid:
        raise ApiError(403, BAD_BEARER) from None
    user = db.get(USERS, "id", claims["user_id"])
    if user is None:
        raise ApiError(403, {"detail": "User not found", "code": "user_not_found"})
    return user


def authenticate(db: Database, secret: str, header: str | None) -> Row:
    """The user that ``header`` (the ``Authorization`` value) identifies; 403 otherwise."""
    parts = (header or "").split()
    if parts and parts[0].lower() == "token":
        return _token_user(db, parts)
    if parts and parts[0] == "Bearer":
        return _bearer_user(db, secret, parts)
    raise detail(403, NOT_PROVIDED)
