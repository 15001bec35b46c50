"""Libraries composed of keyword components, and the listener that cleans up after tests.

A :class:`Component` is a class whose ``@keyword`` methods are keywords. A
keyword name may name the library's noun in braces (``"Wait For {noun}"``),
so one component serves every backend: JobLibrary's ``Wait For Job`` and
SaltantLibrary's ``Wait For Task Instance`` are the same code. A
:class:`ComponentLibrary` gathers the keywords of its components (Robot's
hybrid library API) and is its own listener: what a test started is cleaned
up when the test (or suite) ends, also after a failure, a timeout or Ctrl-C.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from jobharness.cleanup import CleanupPolicy
from jobharness.deadline import Deadline
from jobharness.jobrecord import REFRESH_TIMEOUT
from robotlib._core.context import LibraryContext
from robotlib._core.timeline import log_timeline


class Component:
    """A set of keywords; ``names`` fill the braces of its keyword names and docs."""

    def __init__(self, context: LibraryContext, **names: str) -> None:
        self.ctx = context
        self.names = names

    def keywords(self) -> dict[str, tuple[str, Callable[..., Any]]]:
        """Each keyword by its Robot name, with the method name it comes from."""
        found: dict[str, tuple[str, Callable[..., Any]]] = {}
        for attribute in dir(type(self)):
            function = getattr(type(self), attribute, None)
            robot_name = getattr(function, "robot_name", None)
            if not callable(function) or not hasattr(function, "robot_name"):
                continue
            method = getattr(self, attribute)
            name = self.fill(robot_name or attribute)
            if name != (robot_name or attribute) or self.fill(function.__doc__ or "") != (
                function.__doc__ or ""
            ):
                method = self._named(method, name)
            found[name] = (attribute, method)
        return found

    def fill(self, text: str) -> str:
        """``text`` with ``{noun}`` (and the other names) filled in; other braces stay."""
        for key, value in self.names.items():
            text = text.replace("{" + key + "}", value)
        return text

    def _named(self, method: Callable[..., Any], name: str) -> Callable[..., Any]:
        """``method`` under its filled-in name and docs (arguments and types kept)."""

        @functools.wraps(method)
        def keyword(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **kwargs)

        keyword.__doc__ = self.fill(method.__doc__ or "")
        keyword.robot_name = name  # type: ignore[attr-defined]
        keyword.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
        return keyword


class ComponentLibrary:
    """A Robot library made of components; subclasses build them in ``__init__``.

    Keywords are reachable as attributes under their Robot names, their
    method names and their Robot names in snake case, so Python code can call
    ``library.wait_for_harp_call(call)``.
    """

    ROBOT_LISTENER_API_VERSION = 3
    # before listeners given on the command line (Allure's), so a test's timeline is
    # logged and attached while their test is still open
    ROBOT_LISTENER_PRIORITY = 1
    backend: ClassVar[str] = "job"

    def __init__(self, context: LibraryContext, components: Sequence[Component]) -> None:
        self.ctx = context
        self.components = tuple(components)
        self._keywords: dict[str, Callable[..., Any]] = {}
        self._attributes: dict[str, Callable[..., Any]] = {}
        for component in self.components:
            for name, (attribute, method) in component.keywords().items():
                if name in self._keywords:
                    raise TypeError(f"two components of {type(self).__name__} define {name!r}")
                self._keywords[name] = method
                snake = name.lower().replace(" ", "_")
                self._attributes[attribute] = self._attributes[name] = method
                self._attributes[snake] = method

    def get_keyword_names(self) -> list[str]:
        """Every keyword of every component (Robot's hybrid library API)."""
        return sorted(self._keywords)

    def __getattr__(self, name: str) -> Any:
        attributes: Mapping[str, Any] = self.__dict__.get("_attributes", {})
        if name in attributes:
            return attributes[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- what the components share -----------------------------------------------------

    @property
    def connections(self) -> Any:
        """The library's connections (by kind, alias and index)."""
        return self.ctx.connections

    @property
    def tracker(self) -> Any:
        """What the library cleans up, per suite and test."""
        return self.ctx.tracker

    @property
    def default_timeout(self) -> float:
        """The default of every wait, in seconds."""
        return self.ctx.default_timeout

    # -- listener (v3) -------------------------------------------------------------------

    def start_suite(self, data: Any, result: Any) -> None:
        """Listener: open a cleanup scope for the suite."""
        self.ctx.start_scope()

    def end_suite(self, data: Any, result: Any) -> None:
        """Listener: clean up the suite's leftovers unless the policy is ``never``."""
        self.ctx.end_scope(self.ctx.cleanup_policy is not CleanupPolicy.NEVER)

    def start_test(self, data: Any, result: Any) -> None:
        """Listener: open a cleanup scope for the test."""
        self.ctx.start_scope()

    def end_test(self, data: Any, result: Any) -> None:
        """Listener: clean up the test's leftovers when the policy is ``test``; log its timeline."""
        started = self.ctx.tracker.current()
        # the cleanup and the timeline's last look at the servers share one deadline,
        # so a frozen server costs the test's end no more than cleanup_timeout
        budget = Deadline(self.ctx.tracker.timeout, "cleanup")
        self.ctx.end_scope(self.ctx.cleanup_policy is CleanupPolicy.TEST)
        if result is not None:  # None when called as a plain method, outside a run
            last_look = min(budget.remaining(), REFRESH_TIMEOUT)
            log_timeline(started, result.full_name, result.status, self.ctx.backend, last_look)

    def close(self) -> None:
        """Listener: clean up everything left, close connections, stop embedded servers."""
        self.ctx.close()
