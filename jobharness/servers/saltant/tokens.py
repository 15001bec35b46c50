"""``POST /api/token/`` and ``/api/token/refresh/``: simplejwt's JWT endpoints (no auth needed)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from jobharness.servers.saltant import jwt
from jobharness.servers.saltant.api import Call
from jobharness.servers.saltant.fields import CharField
from jobharness.servers.saltant.kinds import USERS
from jobharness.servers.saltant.responses import ApiError, json_response
from jobharness.servers.saltant.schemas import Schema
from jobharness.servers.saltant.users import check_password

_LOGIN = Schema([CharField("username", required=True), CharField("password", required=True)])
_REFRESH = Schema([CharField("refresh", required=True)])


def obtain(call: Call, values: dict[str, Any]) -> Response:
    """A refresh and an access token for a username and password; 401 if they do not match."""
    attrs = _LOGIN.validate(call.body(), call.context())
    user = call.db.get(USERS, "username", attrs["username"])
    if user is None or not check_password(attrs["password"], user["password_hash"]):
        raise ApiError(
            401,
            {"detail": "No active account found with the given credentials"},
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
    secret = call.services.secret
    return json_response(
        {
            "refresh": jwt.encode(secret, "refresh", user["id"], jwt.REFRESH_LIFETIME),
            "access": jwt.encode(secret, "access", user["id"], jwt.ACCESS_LIFETIME),
        }
    )


def refresh(call: Call, values: dict[str, Any]) -> Response:
    """A new access token for a valid refresh token; 401 otherwise."""
    attrs = _REFRESH.validate(call.body(), call.context())
    secret = call.services.secret
    try:
        claims = jwt.decode(secret, attrs["refresh"], "refresh")
    except jwt.TokenInvalid:
        raise ApiError(
            401,
            {"detail": "Token is invalid or expired", "code": "token_not_valid"},
            {"WWW-Authenticate": 'Bearer realm="api"'},
        ) from None
    return json_response(
        {"access": jwt.encode(secret, "access", claims["user_id"], jwt.ACCESS_LIFETIME)}
    )
