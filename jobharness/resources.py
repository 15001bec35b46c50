"""A mixin for objects that hold connections or processes and are used with ``with``."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

ClosingT = TypeVar("ClosingT", bound="Closing")


class Closing:
    """``with obj: ...`` calls ``obj.close()`` on the way out, also after an error."""

    def close(self) -> None:
        """Release what the object holds; subclasses override this."""

    def __enter__(self: ClosingT) -> ClosingT:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
