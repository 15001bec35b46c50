"""Request bodies: JSON, form-encoded or multipart, read through werkzeug."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from jobharness.servers.saltant.responses import ApiError, detail

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Body:
    """A parsed request body.

    ``form`` is set for form-encoded and multipart bodies (every value a
    string, keys may repeat); otherwise ``data`` holds the decoded JSON
    (``{}`` for an empty body), which need not be an object.
    """

    form: MultiDict[str, str] | None = None
    data: Any = field(default_factory=dict)

    @property
    def is_form(self) -> bool:
        """Whether the body came as an HTML form (string values, lists as repeated keys)."""
        return self.form is not None

    def __contains__(self, name: object) -> bool:
        """Whether the body gives ``name``."""
        if self.form is not None:
            return name in self.form
        return isinstance(self.data, dict) and name in self.data

    def value(self, name: str) -> Any:
        """The value of ``name`` (for a repeated form key, the last one)."""
        if self.form is not None:
            return self.form.getlist(name)[-1]
        return self.data[name]

    def values(self, name: str) -> list[str]:
        """Every form value of ``name``."""
        return self.form.getlist(name) if self.form is not None else []


def read_body(request: Request) -> Body:
    """Parse the body of ``request`` by its content type, as DRF's default parsers do."""
    mimetype = request.mimetype
    if mimetype in _FORM_TYPES:
        return Body(form=MultiDict(request.form))
    raw = request.get_data(cache=True)
    if not raw:
        return Body()
    if mimetype == "application/json" or mimetype.endswith("+json"):
        try:
            return Body(data=json.loads(raw))
        except (ValueError, UnicodeDecodeError) as exc:
            raise detail(400, f"JSON parse error - {exc}") from exc
    shown = request.headers.get("Content-Type", "")
    raise ApiError(415, {"detail": f'Unsupported media type "{shown}" in request.'})
