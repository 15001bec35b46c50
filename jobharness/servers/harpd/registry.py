"""Loading a procedures file: every module-level name bound to a ``Procedure`` is exposed."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from jobharness.errors import ConfigurationError
from jobharness.servers.harpd.proc import Procedure

DEFAULT_MODULE = "jobharness.servers.harpd.sample_procedures"
LOADED_NAME = "jobharness_harpd_procedures"


def load_module(path: Path) -> ModuleType:
    """Execute the procedures file ``path`` as a module."""
    if not path.is_file():
        raise ConfigurationError(f"procedures file {path} does not exist")
    spec = importlib.util.spec_from_file_location(LOADED_NAME, path)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"procedures file {path} cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[LOADED_NAME] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ConfigurationError(f"procedures file {path} failed to load: {exc!r}") from exc
    return module


def exposed_procedures(module: ModuleType) -> dict[str, Procedure]:
    """The module's procedures, by the variable name they are bound to."""
    return {name: value for name, value in vars(module).items() if isinstance(value, Procedure)}


def load_procedures(path: Path | None) -> dict[str, Procedure]:
    """The procedures of ``path``, or of the shipped sample module when ``path`` is ``None``."""
    module = importlib.import_module(DEFAULT_MODULE) if path is None else load_module(path)
    procedures = exposed_procedures(module)
    if not procedures:
        raise ConfigurationError(f"{path or DEFAULT_MODULE} exposes no procedures")
    return procedures
