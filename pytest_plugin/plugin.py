"""Entry point of the jobharness pytest plugin (``pytest11``).

The shared pieces live in :mod:`pytest_plugin._common`; each backend is a
plugin module of its own, listed here.
"""

pytest_plugins = [
    "pytest_plugin._common",
    "pytest_plugin.report",
    "pytest_plugin.densefog",
    "pytest_plugin.extensions",
    "pytest_plugin.harp",
    "pytest_plugin.progress",
    "pytest_plugin.reap",
    "pytest_plugin.saltant",
    "pytest_plugin.sandbox",
    "pytest_plugin.terminal",
]
