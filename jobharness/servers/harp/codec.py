"""The dispatcher's JSON: strict line decoding with HarpCaller's quirks, and reply encoding.

HarpCaller's decoder rejects two things Python's accepts, and this one does
the same (a request with them gets no reply; a harpd line with them loses
the job): a number with an exponent but no decimal point (``1e-07``), and
``\\u`` escapes of surrogates (``"\\ud83d\\ude00"``). Replies are UTF-8 with
raw non-ASCII characters and sorted keys.
"""

from __future__ import annotations

import json
import re
from typing import Any

# a \uD800-\uDFFF escape, not preceded by an escaped backslash
_SURROGATE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


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


def encode_line(message: Any) -> bytes:
    """One reply line: sorted keys, raw UTF-8."""
    return json.dumps(message, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"


def encode_value(value: Any) -> str:
    """A value as stored JSON text (for packets and results kept on disk)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def packet_line(index: int, data_json: str) -> bytes:
    """A stream packet line built from the stored JSON text of its data."""
    return f'{{"data": {data_json}, "packet": {index}}}\n'.encode()
