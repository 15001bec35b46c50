"""HS256 JSON Web Tokens with the claims simplejwt uses (stdlib only)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

ACCESS_LIFETIME = 3 * 24 * 3600
REFRESH_LIFETIME = 245 * 24 * 3600
_HEADER = {"typ": "JWT", "alg": "HS256"}


class TokenInvalid(Exception):
    """The token is malformed, badly signed, expired or of the wrong type."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, signing_input: str) -> str:
    return _b64(hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest())


def encode(secret: str, token_type: str, user_id: int, lifetime: int) -> str:
    """A signed token of ``token_type`` (``access`` or ``refresh``) for ``user_id``."""
    claims = {
        "token_type": token_type,
        "exp": int(time.time()) + lifetime,
        "jti": uuid.uuid4().hex,
        "user_id": user_id,
    }
    head = _b64(json.dumps(_HEADER, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{_sign(secret, f'{head}.{body}')}"


def decode(secret: str, token: str, token_type: str) -> dict[str, Any]:
    """The claims of ``token`` if it is valid, unexpired and of ``token_type``."""
    try:
        head, body, signature = token.split(".")
        header = json.loads(_unb64(head))
        claims = json.loads(_unb64(body))
    except ValueError:
        raise TokenInvalid("malformed") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenInvalid("unsupported algorithm")
    if not hmac.compare_digest(signature, _sign(secret, f"{head}.{body}")):
        raise TokenInvalid("bad signature")
    if not isinstance(claims, dict) or claims.get("token_type") != token_type:
        raise TokenInvalid("wrong token type")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp < time.time():
        raise TokenInvalid("expired")
    if "jti" not in claims or not isinstance(claims.get("user_id"), int):
        raise TokenInvalid("missing claims")
    return claims
