"""The service's app: the demo plus the modules given with ``--app``.

An app module (an import name, or the path of a ``.py`` file) may define:

* ``ACTIONS``: a dict of action name -> handler, a function of one
  :class:`~.framework.ActionRequest` returning the answer's data; its
  actions replace the demo's of the same name;
* job functions, found as densefog's worker finds them: job action
  ``SendMail`` runs the module's ``send_mail(params, time_sleep=...,
  is_last_chance=...)`` (and gets ``db=`` too if it takes a ``db`` argument);
* ``setup(db)``: called once at start, to create its tables
  (``CREATE TABLE IF NOT EXISTS ...``).

A job's action is looked up in the app modules first, then in the demo.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from jobharness.backends.densefog import names
from jobharness.errors import ConfigurationError
from jobharness.servers.densefog.demo import DemoApp
from jobharness.servers.densefog.framework import Handler
from jobharness.servers.densefog.store import Database


def load_module(name: str) -> ModuleType:
    """Import ``name``: a dotted module name, or a ``.py`` file's path."""
    path = Path(name)
    if name.endswith(".py") or path.is_file():
        spec = importlib.util.spec_from_file_location(f"densefog_app_{path.stem}", path)
        if spec is None or spec.loader is None or not path.is_file():
            raise ConfigurationError(f"--app {name}: no such Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigurationError(f"--app {name}: cannot import it: {exc}") from exc


class App:
    """The demo and the app modules: their actions, their job functions, their tables."""

    def __init__(self, demo: DemoApp, modules: Sequence[ModuleType] = ()) -> None:
        self.demo = demo
        self.modules = list(modules)

    def setup(self, db: Database) -> None:
        """Create the demo's tables and let each module create its own."""
        self.demo.setup(db)
        for module in self.modules:
            setup = getattr(module, "setup", None)
            if callable(setup):
                setup(db)

    def actions(self) -> dict[str, Handler]:
        """Every action by name, the modules' over the demo's."""
        found = self.demo.actions()
        for module in self.modules:
            extra = getattr(module, "ACTIONS", {})
            if not isinstance(extra, dict):
                raise ConfigurationError(f"{module.__name__}.ACTIONS must be a dict")
            found.update(extra)
        return found

    def job_function(self, action: str) -> Callable[..., Any] | None:
        """The function that runs job action ``action`` (None: unknown to this worker)."""
        name = names.snake_case(action)
        for module in self.modules:
            function = getattr(module, name, None)
            if callable(function):
                return function  # type: ignore[no-any-return]
        return self.demo.job_function(name)
