"""File copies to, from and between targets, byte for byte.

Three ways, the fastest the route allows:

* a local route copies with the file system;
* an ssh route without prompt hops uses SFTP on one channel of the master
  (:mod:`~jobharness.backends.terminal.sftp`), kept open between copies;
* a route through prompt hops (``sudo``, ``su``) streams through a bare
  command channel (``cat``, ``tar``), as the last hop's user;
* with the terminal's ``via_agent``, single files go through the remote
  Python agent as raw frames (:mod:`~jobharness.backends.terminal.agentroute`).

Directories travel as one tar stream (built in memory) and are unpacked
by ``tar`` on the target. A copy between two targets goes through a local
temporary file. Sizes are checked after every copy. Remote paths are
absolute, or relative to the login directory (no ``~`` expansion).
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from jobharness.backends.terminal.errors import SessionBroken, TerminalError, TransferFailed
from jobharness.backends.terminal.sftp import SftpSession
from jobharness.deadline import Deadline

if TYPE_CHECKING:
    from jobharness.backends.terminal.client import Terminal

LocalPath = str | os.PathLike[str]


@contextlib.contextmanager
def transfer_errors(what: str) -> Iterator[None]:
    """Turn a local file error (a missing source, a full disk) into :class:`TransferFailed`."""
    try:
        yield
    except (OSError, tarfile.TarError) as exc:
        raise TransferFailed(f"{what}: {exc}") from exc


def file_mode(mode: int | str | None) -> int | None:
    """Permission bits from a number or octal text (``"0644"``); None stays None."""
    if mode is None:
        return None
    if isinstance(mode, str):
        try:
            return int(mode, 8)
        except ValueError:
            raise TransferFailed(f"mode {mode!r} is not an octal mode such as 0644") from None
    return int(mode)


class Transfers:
    """The copies of one :class:`~jobharness.backends.terminal.client.Terminal`."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self._sftp: SftpSession | None = None

    @property
    def _local(self) -> bool:
        return self.terminal.plan.local and not self.terminal.plan.tail

    def _session(self, deadline: Deadline) -> SftpSession | None:
        """The SFTP session, opened on first use; None when the route has prompt hops."""
        plan = self.terminal.plan
        if plan.local or plan.tail:
            return None
        master = self.terminal.master_for(deadline)
        if self._sftp is None or not self._sftp.alive:
            self.close()
            argv = master.argv("sftp", subsystem=True)
            self._sftp = SftpSession(argv, deadline, f"sftp to {self.terminal.describe()}")
        return self._sftp

    # -- single files ---------------------------------------------------------------------

    def put(self, source: LocalPath, remote: str, mode: int | str | None, timeout: float) -> int:
        """Copy the local file ``source`` to ``remote``; return its size."""
        path, mode_bits = Path(source), file_mode(mode)
        deadline = Deadline(timeout, "copy")
        if self._local:
            shutil.copyfile(path, remote)
            if mode_bits is not None:
                os.chmod(remote, mode_bits)
            return path.stat().st_size
        if self.terminal.via_agent:
            return self.terminal.agent_route().write(remote, path.read_bytes(), mode_bits, deadline)
        session = self._session(deadline)
        if session is not None:
            with path.open("rb") as data:
                size = session.put(data, remote, mode_bits, deadline)
            return self._checked(size, path.stat().st_size, remote)
        chmod = f" && chmod {mode_bits:o} {shlex.quote(remote)}" if mode_bits is not None else ""
        self._bare(f"cat > {shlex.quote(remote)}{chmod}", path.read_bytes(), deadline)
        return path.stat().st_size

    def get(self, remote: str, target: LocalPath, timeout: float) -> int:
        """Copy ``remote`` to the local file ``target``; return its size."""
        deadline = Deadline(timeout, "copy")
        path = Path(target)
        if self._local:
            shutil.copyfile(remote, path)
            return path.stat().st_size
        if self.terminal.via_agent:
            with path.open("wb") as out:
                return self.terminal.agent_route().read(remote, out.write, deadline)
        session = self._session(deadline)
        if session is not None:
            expected = session.size(remote, deadline)
            with path.open("wb") as out:
                size = session.get(remote, out.write, deadline)
            return self._checked(size, expected, remote) if expected is not None else size
        data = self._bare(f"cat {shlex.quote(remote)}", b"", deadline)
        path.write_bytes(data)
        return len(data)

    def read_bytes(self, remote: str, timeout: float) -> bytes:
        """The content of the file ``remote``."""
        deadline = Deadline(timeout, "copy")
        if self._local:
            return Path(remote).read_bytes()
        if self.terminal.via_agent:
            pieces: list[bytes] = []
            self.terminal.agent_route().read(remote, pieces.append, deadline)
            return b"".join(pieces)
        session = self._session(deadline)
        if session is None:
            return self._bare(f"cat {shlex.quote(remote)}", b"", deadline)
        parts: list[bytes] = []
        session.get(remote, parts.append, deadline)
        return b"".join(parts)

    def write_bytes(self, remote: str, data: bytes, mode: int | str | None, timeout: float) -> None:
        """Make the file ``remote`` hold ``data``."""
        if self.terminal.via_agent and not self._local:
            self.terminal.agent_route().write(remote, data, file_mode(mode), Deadline(timeout))
            return
        with tempfile.NamedTemporaryFile(prefix="jh-copy-") as local:
            local.write(data)
            local.flush()
            self.put(local.name, remote, mode, timeout)

    def between(self, other: Terminal, source: str, target: str, timeout: float) -> int:
        """Copy ``source`` on this target to ``target`` on ``other``; return its size."""
        deadline = Deadline(timeout, "copy")
        with tempfile.TemporaryDirectory(prefix="jh-copy-") as scratch:
            local = Path(scratch) / "file"
            self.get(source, local, deadline.remaining())
            return other.transfers.put(local, target, None, deadline.remaining())

    def between_dirs(self, other: Terminal, source: str, target: str, timeout: float) -> None:
        """Copy the directory ``source`` here into ``target`` on ``other``."""
        deadline = Deadline(timeout, "copy")
        with tempfile.TemporaryDirectory(prefix="jh-copy-") as scratch:
            self.get_dir(source, scratch, deadline.remaining())
            other.transfers.put_dir(scratch, target, deadline.remaining())

    # -- directories ----------------------------------------------------------------------

    def put_dir(self, source: LocalPath, remote: str, timeout: float) -> None:
        """Copy the local directory ``source`` into ``remote`` (made if missing)."""
        deadline = Deadline(timeout, "copy")
        root = Path(source)
        if not root.is_dir():
            raise TransferFailed(f"{root} is not a directory")
        if self._local:
            shutil.copytree(root, remote, dirs_exist_ok=True, symlinks=True)
            return
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for child in sorted(root.iterdir()):
                archive.add(child, arcname=child.name)
        target = shlex.quote(remote)
        self._bare(f"mkdir -p {target} && tar -C {target} -xf -", buffer.getvalue(), deadline)

    def get_dir(self, remote: str, target: LocalPath, timeout: float) -> None:
        """Copy the directory ``remote`` into the local directory ``target`` (made if missing)."""
        deadline = Deadline(timeout, "copy")
        root = Path(target)
        if self._local:
            shutil.copytree(remote, root, dirs_exist_ok=True, symlinks=True)
            return
        data = self._bare(f"tar -C {shlex.quote(remote)} -cf - .", b"", deadline)
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as archive:
            archive.extractall(root, filter="tar")

    # -- helpers --------------------------------------------------------------------------

    def _bare(self, command: str, data: bytes, deadline: Deadline) -> bytes:
        """Run ``command`` in a bare channel fed ``data``; its standard output."""
        channel = self.terminal.open_channel(command, deadline=deadline)
        try:
            channel.send(data)
            status = channel.finish(deadline)
            if status is None:
                raise SessionBroken(f"copy on {self.terminal.describe()} did not end in time")
            out, err = channel.output()
            if status != 0:
                said = self.terminal.redact(err.decode("utf-8", errors="replace").strip())
                raise TransferFailed(
                    f"{command.split()[0]} on {self.terminal.describe()} failed "
                    f"(status {status}): {said or '(no message)'}"
                )
            return out
        finally:
            channel.close()

    def _checked(self, size: int, expected: int | None, remote: str) -> int:
        if expected is not None and size != expected:
            raise TransferFailed(
                f"copy of {remote} on {self.terminal.describe()}: {size} bytes moved, "
                f"{expected} expected"
            )
        return size

    def close(self) -> None:
        """End the SFTP session, if one is open."""
        session, self._sftp = self._sftp, None
        if session is not None:
            with contextlib.suppress(OSError, TerminalError):
                session.close()
