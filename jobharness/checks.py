"""Checks of what a user passes to a client: a clear error naming the parameter, or the value.

Every client checks its arguments with these before it keeps or sends them,
so a typo is a :class:`~jobharness.errors.ConfigurationError` (or a
:class:`~jobharness.errors.ValidationError` for the content of a request)
that says which parameter was wrong and what it got, never a ``TypeError``
from deep inside, and never a value silently turned into something else
(``"seconds"`` into ``['s', 'e', 'c', ...]``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from jobharness.errors import ConfigurationError, ValidationError


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)`` shortened for a message (a type name when even that fails)."""
    try:
        text = repr(value)
    except Exception:  # a value whose repr raises still gets a clear message
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _got(value: Any) -> str:
    return f"got {type(value).__name__} {shown(value)}"


def whole_number(
    value: Any, what: str, *, minimum: int = 0, maximum: int | None = None, optional: bool = False
) -> Any:
    """``value`` if it is an ``int`` (no bool) in ``[minimum, maximum]``; ``None`` if optional."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{what} must be a whole number, {_got(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
        raise ConfigurationError(f"{what} must be a whole number {bounds}, got {value}")
    return value


def text(value: Any, what: str, *, empty: bool = False, optional: bool = False) -> Any:
    """``value`` if it is a ``str`` (non-empty unless ``empty``); ``None`` if ``optional``."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be text, {_got(value)}")
    if not empty and not value:
        raise ConfigurationError(f"{what} must not be empty")
    return value


def flag(value: Any, what: str) -> bool:
    """``value`` if it is a ``bool``."""
    if not isinstance(value, bool):
        raise ConfigurationError(f"{what} must be True or False, {_got(value)}")
    return value


def instance(value: Any, kind: type[Any], what: str, *, optional: bool = True) -> Any:
    """``value`` if it is a ``kind`` (or ``None`` when ``optional``)."""
    if (value is None and optional) or isinstance(value, kind):
        return value
    raise ConfigurationError(f"{what} must be a {kind.__name__}, {_got(value)}")


def verify_option(value: Any, what: str = "verify") -> bool | str:
    """TLS verification: ``True``, ``False`` or the path of a CA bundle."""
    if isinstance(value, bool) or (isinstance(value, str) and value):
        return value
    raise ConfigurationError(
        f"{what} must be True, False or the path of a CA bundle file, {_got(value)}"
    )


def text_list(value: Any, what: str, *, optional: bool = True) -> list[str]:
    """A list of texts from any iterable of ``str``; a lone ``str`` is refused, not split.

    ``None`` gives an empty list when ``optional``.
    """
    if value is None and optional:
        return []
    if isinstance(value, (str, bytes, Mapping)):
        raise ValidationError(
            f"must be a list of texts, not a single {type(value).__name__} {shown(value)} "
            f"(write [{shown(value)}] for one item)",
            what,
        )
    if not isinstance(value, Iterable):
        raise ValidationError(f"must be a list of texts, {_got(value)}", what)
    items = list(value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ValidationError(f"must be text, {_got(item)}", f"{what}[{index}]")
    return items


def mapping(value: Any, what: str, *, optional: bool = True) -> dict[str, Any]:
    """A dict copy of a mapping with text keys; ``None`` gives ``{}`` when ``optional``."""
    if value is None and optional:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"must be a mapping of names to values, {_got(value)}", what)
    for key in value:
        if not isinstance(key, str):
            raise ValidationError(f"keys must be text, {_got(key)}", what)
    return dict(value)


def url_problem(url: object) -> str:
    """What is wrong with ``url`` as a server's base URL, or ``""``."""
    if not isinstance(url, str):
        return "it is not text"
    if not url.strip() or "://" not in url:
        return "it has no scheme"
    if any(ch.isspace() or ord(ch) < 32 for ch in url.strip()):
        return "it holds white space or control characters"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        return f"it is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"the scheme must be http or https, not {parts.scheme!r}"
    if not parts.hostname:
        return "it has no host"
    if port == 0:
        return "port 0 is not a server's port"
    return ""


__all__ = [
    "flag",
    "instance",
    "mapping",
    "shown",
    "text",
    "text_list",
    "url_problem",
    "verify_option",
    "whole_number",
]
