"""A module the proxies suite sends to the target with Import Local Path Module In Terminal."""

import os


class Counter:
    """A remote object with state, for proxies."""

    def __init__(self, start=0):
        self.value = start

    def add(self, step=1):
        """Add ``step``; the new value."""
        self.value += step
        return self.value


def where():
    """The target's process id and working directory."""
    return {"pid": os.getpid(), "cwd": os.getcwd()}


def fail(message):
    """Raise a remote error."""
    raise KeyError(message)
