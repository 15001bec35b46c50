"""Secret redaction for every log line, error text and report.

Two layers: the exact secret values a client knows (tokens, passwords),
and patterns that catch credentials by their shape (``Authorization``
headers, ``"password": ...`` pairs, ``user:pass@`` in URLs).

A secret shorter than :data:`SHORT_SECRET` characters is masked only where
it stands as a word of its own: a one-letter password must not turn
``https://`` into ``htt***s://``.

Every :class:`Redactor` made in the process is known (weakly) to
:func:`live_secrets`, so a last line of defence such as the pytest plugin's
report scrubbing can mask what any live client knows, whatever printed it
(a traceback's locals, a captured log).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "***"
SHORT_SECRET = 4
"""Secrets shorter than this are masked only as whole words."""

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


def secret_values(secrets: Iterable[Any]) -> set[str]:
    """The texts of ``secrets``: ``None`` and empty values left out, anything else as ``str``.

    A Robot ``Secret`` (anything with a ``value``) gives its value.
    """
    found: set[str] = set()
    for secret in secrets:
        if secret is None:
            continue
        value = getattr(secret, "value", secret) if not isinstance(secret, str) else secret
        text = value if isinstance(value, str) else str(value)
        if text:
            found.add(text)
    return found


def _mask_value(text: str, secret: str) -> str:
    if len(secret) >= SHORT_SECRET:
        return text.replace(secret, MASK)
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", MASK, text)


def mask_values(text: str, secrets: Iterable[Any]) -> str:
    """Return ``text`` with the given secret values masked (no shape patterns)."""
    for secret in sorted(secret_values(secrets), key=len, reverse=True):
        text = _mask_value(text, secret)
    return text


def redact(text: str, secrets: Iterable[Any] = ()) -> str:
    """Return ``text`` with known secret values and credential shapes masked."""
    text = mask_values(text, secrets)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def url_secrets(url: Any) -> set[str]:
    """The password (and the whole ``user:pass``) written into a URL, if any."""
    if not isinstance(url, str) or "@" not in url:
        return set()
    try:
        parts = urlsplit(url.strip())
        password = parts.password
    except ValueError:
        return set()
    if not password:
        return set()
    return {password, unquote(password)}


def redact_url(url: Any) -> str:
    """``url`` with the password of its ``user:pass@`` part masked."""
    return redact(str(url), url_secrets(url))


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


_LIVE: weakref.WeakSet[Redactor] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def live_secrets() -> set[str]:
    """Every secret a live :class:`Redactor` of this process holds (for report scrubbing)."""
    with _LIVE_LOCK:
        redactors = list(_LIVE)
    found: set[str] = set()
    for redactor in redactors:
        found |= redactor.secrets
    return found


class Redactor:
    """Masks the secrets one client knows, on top of the shape patterns.

    Each client owns one; the process only keeps a weak reference to it
    (:func:`live_secrets`), so a secret is forgotten with its client.
    Secrets may be given as any value (a number, a Robot ``Secret``); they
    are masked as text.
    """

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        self._secrets: set[str] = secret_values(secrets)
        with _LIVE_LOCK:
            _LIVE.add(self)

    @property
    def secrets(self) -> set[str]:
        """A copy of the secret values this redactor masks."""
        return set(self._secrets)

    def add(self, secret: Any) -> None:
        """Remember one more secret value to mask."""
        self._secrets |= secret_values([secret])

    def __call__(self, text: str) -> str:
        """Return ``text`` with this redactor's secrets and credential shapes masked."""
        return redact(text, self._secrets)

    def __repr__(self) -> str:
        return f"<Redactor of {len(self._secrets)} secret(s)>"
