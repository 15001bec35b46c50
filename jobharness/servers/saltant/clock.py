"""Timestamps as the saltant API stores, compares and shows them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_STORED = "%Y-%m-%dT%H:%M:%S.%fZ"

# The ISO 8601 forms the server accepts in filters (date, time, optional seconds,
# optional fraction, optional zone); a date alone is not a date/time.
_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})[T ]"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<fraction>\d{1,6})\d{0,6})?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def now_stored() -> str:
    """The current UTC time in the stored form (fixed width, so text order is time order)."""
    return datetime.now(timezone.utc).strftime(_STORED)


def to_stored(moment: datetime) -> str:
    """``moment`` (aware; naive means UTC) in the stored form."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(_STORED)


def to_api(stored: str | None) -> str | None:
    """A stored timestamp as the API shows it: ISO 8601, ``Z``, microseconds unless zero."""
    if stored is None:
        return None
    return stored.replace(".000000Z", "Z")


def parse_iso(text: str) -> datetime | None:
    """Parse an ISO 8601 date/time as a filter value; ``None`` if it is not one."""
    match = _ISO.match(text.strip())
    if match is None:
        return None
    parts = match.groupdict()
    fraction = (parts["fraction"] or "").ljust(6, "0")
    zone = parts["zone"]
    tz = timezone.utc
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
        tz = timezone(sign * timedelta(minutes=minutes))
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
            int(fraction),
            tzinfo=tz,
        )
    except ValueError:
        return None
