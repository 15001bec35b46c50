"""Secret redaction for every log line and error text.

Two layers: the exact secret values a client knows (tokens, passwords),
and patterns that catch credentials by their shape (``Authorization``
headers, ``"password": ...`` pairs, ``user:pass@`` in URLs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

_SENSITIVE_KEYS = ("password", "passwd", "token", "secret", "auth_token", "access", "refresh")
_KEYS = "|".join(_SENSITIVE_KEYS)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Token abc / Bearer abc / Basic abc
    (
        re.compile(
            r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:token|bearer|basic|jwt)?\s*)[^\s'\",}]+"
        ),
        r"\1" + MASK,
    ),
    # "password": "x"   'token': 'x'   password=x
    (re.compile(rf"(?i)(['\"]?(?:{_KEYS})['\"]?\s*[:=]\s*['\"]?)([^'\"\s,&}}]+)"), r"\1" + MASK),
    # scheme://user:pass@host
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), r"\1" + MASK + "@"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with known secret values and credential shapes masked."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``data`` with the values of sensitive keys masked, recursively."""
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if any(word in str(key).lower() for word in _SENSITIVE_KEYS):
            clean[key] = MASK
        elif isinstance(value, Mapping):
            clean[key] = redact_mapping(value)
        else:
            clean[key] = value
    return clean


SNIPPET_SCAN = 64 * 1024
"""Longer texts are cut before they are decoded and stripped, so a huge answer costs little."""


def snippet(text: str | bytes, limit: int = 200) -> str:
    """Return the start of ``text`` for an error message, shortened to ``limit`` characters."""
    total = len(text)
    head = text[:SNIPPET_SCAN]
    if isinstance(head, bytes):
        head = head.decode("utf-8", errors="replace")
    head = head.strip()
    if total > SNIPPET_SCAN:
        return (
            head[:limit] + f"... ({total} {'bytes' if isinstance(text, bytes) else 'characters'})"
        )
    return head if len(head) <= limit else head[:limit] + f"... ({len(head)} characters)"


class Redactor:
    """Masks the secrets one client knows, on top of the shape patterns.

    Each client owns one, so no secret is kept in shared module state.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = {s for s in secrets if s}

    def add(self, secret: str | None) -> None:
        """Remember one more secret value to mask."""
        if secret:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        """Return ``text`` with this redactor's secrets and credential shapes masked."""
        return redact(text, self._secrets)
