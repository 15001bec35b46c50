"""File copies to, from and between targets, with crl's keywords and their path rules."""

from __future__ import annotations

import os
import posixpath
from datetime import timedelta
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.terminal.files import file_mode
from robotlib._core.connections import UsesConnection
from robotlib.terminal.results import RunResult
from robotlib.terminal.targets import DEFAULT, TargetKeywords

DEFAULT_MODE = "0755"


def _remote_file(destination_dir: str | None, source_file: str) -> str:
    """crl's rule: the file keeps its name inside ``destination_dir``."""
    return posixpath.join(destination_dir or "", posixpath.basename(source_file))


def _local_file(destination: str | None, source_file: str) -> Path:
    """crl's rule for a local destination: a directory (existing, or ending in ``/``) or a file."""
    target = destination or "./"
    name = posixpath.basename(source_file)
    if os.path.basename(target) == "" or os.path.isdir(target):
        return Path(target) / name
    return Path(target)


class FileKeywords(UsesConnection[TargetKeywords]):
    """crl's copy keywords; each returns crl's result of a copy (status ``"0"``, no output).

    Copies use SFTP on the target's open connection (a stream through the
    prompt hops when the route has some); sizes are checked after every
    copy. ``mode`` is octal text (``0755``, crl's ``0o755`` works too).
    """

    def _chmod(self, target: str, mode: str | int | None, paths: list[str]) -> None:
        bits = file_mode(mode)
        if bits is None or not paths:
            return
        terminal = self.connection.terminal(target)
        names = "\0".join(paths) + "\0"
        terminal.run(f"xargs -0 chmod {bits:o} --", terminal.request_timeout, stdin=names).check()

    @keyword
    def copy_file_to_target(
        self,
        source_file: str,
        destination_dir: str = ".",
        mode: str = DEFAULT_MODE,
        target: str = DEFAULT,
        timeout: timedelta | None = None,
    ) -> RunResult:
        """Copy the local ``source_file`` into the directory ``destination_dir`` of ``target``.

        The file keeps its name; missing directories are made. ``mode`` is
        set on the copy. ``timeout`` (default: the library's) bounds the copy.

        | Copy File To Target | ${CURDIR}/foo.sh | /tmp/my-test/ |
        """
        terminal = self.connection.terminal(target)
        remote = _remote_file(destination_dir, source_file)
        if destination_dir not in ("", "."):
            terminal.mkdir(destination_dir)
        size = terminal.copy_to(
            source_file, remote, file_mode(mode), self.connection.seconds_of(timeout)
        )
        logger.info(f"copied {source_file} to {remote} in target {target!r} ({size} bytes)")
        return RunResult.ok()

    @keyword
    def copy_file_from_target(
        self,
        source_file: str,
        destination: str | None = None,
        target: str = DEFAULT,
        timeout: timedelta | None = None,
    ) -> RunResult:
        """Copy ``source_file`` of ``target`` to the local ``destination``.

        ``destination`` is a directory (an existing one, or a path ending in
        ``/``; the current directory by default) where the file keeps its
        name, or the local file name. Missing local directories are made.
        """
        terminal = self.connection.terminal(target)
        local = _local_file(destination, source_file)
        local.parent.mkdir(parents=True, exist_ok=True)
        size = terminal.copy_from(source_file, local, self.connection.seconds_of(timeout))
        logger.info(f"copied {source_file} in target {target!r} to {local} ({size} bytes)")
        return RunResult.ok()

    @keyword
    def copy_file_between_targets(
        self,
        from_target: str,
        source_file: str,
        to_target: str,
        destination_dir: str = ".",
        mode: str = DEFAULT_MODE,
        timeout: timedelta | None = None,
    ) -> RunResult:
        """Copy ``source_file`` of ``from_target`` into ``destination_dir`` of ``to_target``.

        | Copy File Between Targets | default | /tmp/foo.tgz | backup | /tmp/backups/ |
        """
        source = self.connection.terminal(from_target)
        destination = self.connection.terminal(to_target)
        remote = _remote_file(destination_dir, source_file)
        if destination_dir not in ("", "."):
            destination.mkdir(destination_dir)
        size = source.copy_between(
            destination, source_file, remote, self.connection.seconds_of(timeout)
        )
        self._chmod(to_target, mode, [remote])
        logger.info(
            f"copied {source_file} in target {from_target!r} to {remote} in target "
            f"{to_target!r} ({size} bytes)"
        )
        return RunResult.ok()

    @keyword
    def copy_directory_to_target(
        self,
        source_dir: str,
        target_dir: str = ".",
        mode: str = DEFAULT_MODE,
        target: str = DEFAULT,
        timeout: timedelta | None = None,
    ) -> RunResult:
        """Copy what the local ``source_dir`` holds into ``target_dir`` of ``target`` (made if
        missing); ``mode`` is set on every file and directory copied.

        | Copy Directory To Target | ${CURDIR}/scripts | /tmp/my-test/scripts/ |
        """
        terminal = self.connection.terminal(target)
        terminal.copy_dir_to(source_dir, target_dir, self.connection.seconds_of(timeout))
        root = Path(source_dir)
        copied = [
            posixpath.join(target_dir, path.relative_to(root).as_posix())
            for path in sorted(root.rglob("*"))
            if not path.is_symlink()
        ]
        self._chmod(target, mode, [*copied, target_dir])
        logger.info(f"copied {source_dir} to {target_dir} in target {target!r}")
        return RunResult.ok()

    @keyword
    def create_directory_in_target(
        self,
        path: str,
        mode: str = DEFAULT_MODE,
        target: str = DEFAULT,
        timeout: timedelta | None = None,
    ) -> RunResult:
        """Make the directory ``path`` in ``target`` with its missing parents; ``mode`` is set
        on it."""
        terminal = self.connection.terminal(target)
        terminal.mkdir(path)
        self._chmod(target, mode, [path])
        return RunResult.ok()
