"""The dispatcher's JSON: strict line decoding with HarpCaller's quirks, and reply encoding.

HarpCaller's decoder rejects two things Python's accepts, and this one does
the same (a request with them gets no reply; a harpd line with them loses
the job): a number with an exponent but no decimal point (``1e-07``), and
``\\u`` escapes of surrogates (``"\\ud83d\\ude00"``). Replies are UTF-8 with
raw non-ASCII characters and sorted keys, and every float in them is written
as HarpCaller writes it, in its long exponent form: 20 digits after the
point and a signed exponent of at least two digits (``1.5`` is
``1.50000000000000000000e+00``, ``1e-07`` is ``9.99999999999999954748e-08``),
the same value for any JSON reader.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# a \uD800-\uDFFF escape, not preceded by an escaped backslash
_SURROGATE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# Python writes every float with a digit followed by "." or "e" (1.5, 1e-07, 1e+22);
# text without one holds no float, and is written as it is
_MAY_HOLD_FLOAT = re.compile(r"[0-9][.eE]")


class QuirkError(ValueError):
    """The line is valid JSON for Python but not for HarpCaller's decoder."""


def _parse_float(text: str) -> float:
    if "." not in text:
        raise QuirkError(f"float without a decimal point: {text}")
    return float(text)


def _parse_constant(text: str) -> float:
    raise QuirkError(f"not a JSON number: {text}")


def decode_line(line: bytes, quirks: bool = True) -> Any:
    """Decode one JSON line; ``ValueError`` (or its :class:`QuirkError`) when it is not accepted."""
    text = line.decode("utf-8")
    if not quirks:
        return json.loads(text)
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        raise QuirkError("surrogate escape in a string")
    value = json.loads(text, parse_float=_parse_float, parse_constant=_parse_constant)
    return value


def long_float(value: float) -> str:
    """A float as HarpCaller writes it: ``1.50000000000000000000e+00``."""
    return format(value, ".20e")


def _encode(value: Any, parts: list[str]) -> None:
    if type(value) is float and math.isfinite(value):
        parts.append(long_float(value))
    elif isinstance(value, dict):
        parts.append("{")
        for index, key in enumerate(sorted(value)):
            if index:
                parts.append(", ")
            parts.append(json.dumps(key, ensure_ascii=False))
            parts.append(": ")
            _encode(value[key], parts)
        parts.append("}")
    elif isinstance(value, list):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(", ")
            _encode(item, parts)
        parts.append("]")
    else:
        parts.append(json.dumps(value, ensure_ascii=False))


def encode_value(value: Any) -> str:
    """A value as the dispatcher writes it: sorted keys, raw UTF-8, long-form floats.

    Also the form stored on disk for packets and results, so replies are
    built from it without encoding again.
    """
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if not _MAY_HOLD_FLOAT.search(text):
        return text
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def encode_line(message: Any) -> bytes:
    """One reply line (see :func:`encode_value`)."""
    return encode_value(message).encode("utf-8") + b"\n"


def packet_line(index: int, data_json: str) -> bytes:
    """A stream packet line built from the stored JSON text of its data."""
    return f'{{"data": {data_json}, "packet": {index}}}\n'.encode()
