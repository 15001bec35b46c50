"""Input fields with the validation rules and messages of DRF's serializer fields.

Each field reads its value from a :class:`Body` the way DRF does (HTML forms
and JSON differ: a form omits empty lists, sends booleans and numbers as
strings, and JSON-valued fields as JSON text), converts it, runs its
validators and raises :class:`FieldError` with DRF's messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from jobharness.servers.saltant.body import Body
from jobharness.servers.saltant.store import Database, Row


class _Missing:
    """The type of :data:`MISSING`."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""A value that was not given (so the field is skipped or takes its default)."""

_TRUE = {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"}
_FALSE = {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"}


class FieldError(Exception):
    """A field's value was rejected; ``messages`` are shown under the field's name."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


@dataclass
class Context:
    """What validation may look at: the database, the caller and the row being updated."""

    db: Database
    user: Row
    instance: Row | None = None


Validator = Callable[[Any, Context], "str | None"]


class Field:
    """A DRF-like serializer field; subclasses define :meth:`convert`."""

    allow_blank = False

    def __init__(
        self,
        name: str,
        *,
        required: bool = False,
        allow_null: bool = False,
        validators: Sequence[Validator] = (),
    ) -> None:
        self.name = name
        self.required = required
        self.allow_null = allow_null
        self.validators = list(validators)

    def empty_form_value(self) -> Any:
        """What an HTML form means when it omits the field (outside a partial update)."""
        return MISSING

    def extract(self, body: Body, partial: bool) -> Any:
        """The raw value of the field in ``body``, or :data:`MISSING`."""
        if self.name not in body:
            return self.empty_form_value() if body.is_form and not partial else MISSING
        value = body.value(self.name)
        if body.is_form and value == "":
            if self.allow_null:
                return "" if self.allow_blank else None
            if not self.required:
                return "" if self.allow_blank else MISSING
        return value

    def convert(self, value: Any, ctx: Context) -> Any:
        """The Python value of a given, non-null raw value."""
        return value

    def run(self, body: Body, ctx: Context, partial: bool) -> Any:
        """Read, convert and validate the field; :data:`MISSING` when it is to be skipped."""
        value = self.extract(body, partial)
        if value is MISSING:
            if self.required and not partial:
                raise FieldError("This field is required.")
            return MISSING
        if value is None:
            if self.allow_null:
                return None
            raise FieldError("This field may not be null.")
        value = self.convert(value, ctx)
        errors = [message for check in self.validators if (message := check(value, ctx))]
        if errors:
            raise FieldError(*errors)
        return value


class CharField(Field):
    """A string: numbers are accepted as text, whitespace is trimmed.

    Validators run in DRF's order: the given (model) ones, then the length
    limit, then the NUL-character check; a blank value skips them all.
    """

    def __init__(
        self,
        name: str,
        *,
        max_length: int | None = None,
        allow_blank: bool = False,
        required: bool = False,
        allow_null: bool = False,
        validators: Sequence[Validator] = (),
    ) -> None:
        super().__init__(name, required=required, allow_null=allow_null, validators=validators)
        self.max_length = max_length
        self.allow_blank = allow_blank
        self.validators += [self._check_length, _check_nul]

    def run(self, body: Body, ctx: Context, partial: bool) -> Any:
        """As :meth:`Field.run`, but a blank value skips the validators (or is rejected)."""
        value = self.extract(body, partial)
        if isinstance(value, (str, int, float)) and str(value).strip() == "":
            if not self.allow_blank:
                raise FieldError("This field may not be blank.")
            return ""
        return super().run(body, ctx, partial)

    def convert(self, value: Any, ctx: Context) -> Any:
        """Text, trimmed."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise FieldError("Not a valid string.")
        return str(value).strip()

    def _check_length(self, value: str, ctx: Context) -> str | None:
        if self.max_length is not None and len(value) > self.max_length:
            return f"Ensure this field has no more than {self.max_length} characters."
        return None


def _check_nul(value: str, ctx: Context) -> str | None:
    return "Null characters are not allowed." if "\x00" in value else None


class BooleanField(Field):
    """A boolean: ``true``/``True``/``1``/``yes``/``on``... An omitted form field means false."""

    def empty_form_value(self) -> Any:
        """HTML forms omit unchecked boxes, so DRF reads a missing form field as false."""
        return False

    def convert(self, value: Any, ctx: Context) -> Any:
        """``True`` or ``False``."""
        if value is True or value is False:
            return value
        if isinstance(value, (int, float)):
            if value == 1:
                return True
            if value == 0:
                return False
        if isinstance(value, str):
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
        raise FieldError("Must be a valid boolean.")


class JSONField(Field):
    """Any JSON value; in a form it travels as JSON text."""

    def extract(self, body: Body, partial: bool) -> Any:
        """The value; form text is decoded here (a form never omits-means-empty for JSON)."""
        if self.name not in body:
            return MISSING
        value = body.value(self.name)
        if body.is_form:
            try:
                return json.loads(value)
            except ValueError:
                raise FieldError("Value must be valid JSON.") from None
        return value


class ChoiceField(Field):
    """One of fixed ``choices``."""

    def __init__(self, name: str, choices: Sequence[str], **kw: Any) -> None:
        super().__init__(name, **kw)
        self.choices = tuple(choices)

    def convert(self, value: Any, ctx: Context) -> Any:
        """The choice, or DRF's "is not a valid choice"."""
        if str(value) not in self.choices:
            raise FieldError(f'"{value}" is not a valid choice.')
        return str(value)


Exists = Callable[[Context, int], bool]


def to_pk(value: Any, exists: Exists, ctx: Context) -> int:
    """Resolve one primary-key value, with DRF's messages for a bad type or an unknown pk."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FieldError(f"Incorrect type. Expected pk value, received {type(value).__name__}.")
    try:
        pk = int(value)
    except ValueError:
        raise FieldError(
            f"Incorrect type. Expected pk value, received {type(value).__name__}."
        ) from None
    if not exists(ctx, pk):
        raise FieldError(f'Invalid pk "{value}" - object does not exist.')
    return pk


class PkField(Field):
    """A foreign key given by its integer id; ``exists`` says which ids are visible."""

    def __init__(self, name: str, exists: Exists, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.exists = exists

    def convert(self, value: Any, ctx: Context) -> Any:
        """The id."""
        return to_pk(value, self.exists, ctx)


class PkListField(Field):
    """A many-to-many field: a list of ids (repeated keys in a form; omitted when empty)."""

    def __init__(self, name: str, exists: Exists, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.exists = exists

    def empty_form_value(self) -> Any:
        """A form cannot send an empty list, so an omitted key means ``[]``."""
        return []

    def extract(self, body: Body, partial: bool) -> Any:
        """Every value of the repeated form key, or the JSON value."""
        if body.is_form and self.name in body:
            return body.values(self.name)
        return super().extract(body, partial)

    def convert(self, value: Any, ctx: Context) -> Any:
        """Sorted distinct ids (related rows come back ordered by id)."""
        if isinstance(value, (str, dict)) or not isinstance(value, list):
            raise FieldError(f'Expected a list of items but got type "{type(value).__name__}".')
        return sorted({to_pk(item, self.exists, ctx) for item in value})
