"""String enums for options that users spell in Robot data, ini files and CLI options."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from jobharness.errors import ConfigurationError

ChoiceT = TypeVar("ChoiceT", bound="Choice")


class Choice(str, Enum):
    """A string enum whose :meth:`parse` accepts a member, its value in any case, or an alias."""

    @classmethod
    def _label(cls) -> str:
        """How the option is named in error messages."""
        return cls.__name__

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        """Other spellings accepted for some values."""
        return {}

    @classmethod
    def parse(cls: type[ChoiceT], value: ChoiceT | str) -> ChoiceT:
        """The member for ``value``; a clear ConfigurationError naming the choices otherwise."""
        if isinstance(value, cls):
            return value
        text = str(value).strip().lower()
        text = cls._aliases().get(text, text)
        try:
            return cls(text)
        except ValueError:
            choices = ", ".join(member.value for member in cls)
            extra = ", ".join(cls._aliases())
            also = f" (or {extra})" if extra else ""
            raise ConfigurationError(
                f"{cls._label()} must be one of {choices}{also}, got {value!r}"
            ) from None

    def __str__(self) -> str:
        return str(self.value)
