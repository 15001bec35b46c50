"""Stored environments: ``<uuid>.tgz`` files in one directory, and their expiry.

Dropping a ``<uuid>.tgz`` into the directory makes it available at once (this
is how tests seed environments). A background sweep deletes archives whose
ctime is at least ``expiration`` seconds old, like the real server's hourly job.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

log = logging.getLogger(__name__)

UUID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_STORED_NAME = re.compile(rf"(?:{UUID_PATTERN}\.tgz|\..*\.partial)")


class EnvironmentStore:
    """The directory of stored environments."""

    def __init__(self, root: Path, expiration: float) -> None:
        self.root = root
        self.expiration = expiration
        root.mkdir(parents=True, exist_ok=True)

    def path_for(self, uuid: str) -> Path:
        """Where the environment ``uuid`` is (or would be) stored."""
        return self.root / f"{uuid}.tgz"

    def find(self, name: object) -> Path | None:
        """The archive of the environment named ``name``, None if there is none.

        Any value is accepted, as the real server accepts any JSON value in
        ``environment``; only a plain file name can match, so no value can
        reach outside the directory.
        """
        text = f"{name}"
        if not text or "/" in text or "\\" in text or text in {".", ".."}:
            return None
        path = self.path_for(text)
        return path if path.is_file() else None

    def expiry_of_new(self) -> str:
        """The informational ``expire`` of an environment saved now (ISO 8601, UTC)."""
        expire = datetime.now(timezone.utc) + timedelta(seconds=self.expiration)
        return expire.isoformat()

    def sweep(self, now: float | None = None) -> list[Path]:
        """Delete stored archives (and stale partial ones) at least ``expiration`` seconds old."""
        now = time.time() if now is None else now
        removed = []
        for entry in self.root.iterdir():
            if not _STORED_NAME.fullmatch(entry.name):
                continue
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file() and now - entry.stat().st_ctime >= self.expiration:
                    entry.unlink()
                    removed.append(entry)
        return removed


class ExpirySweeper:
    """A daemon thread that runs :meth:`EnvironmentStore.sweep` every ``interval`` seconds."""

    def __init__(self, store: EnvironmentStore, interval: float) -> None:
        self.store = store
        self.interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-expiry", daemon=True)

    def start(self) -> None:
        """Start sweeping."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sweeping (the current sweep finishes)."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                removed = self.store.sweep()
            except OSError:
                log.exception("expiry sweep of %s failed", self.store.root)
                continue
            if removed:
                log.info("expiry sweep removed %d environment(s)", len(removed))
