"""A small SFTP (version 3) client over one ``ssh -s sftp`` channel of the master.

File copies go through it: the channel stays open, so a copy costs a few
round trips and no process start, and writes and reads are pipelined
(:data:`WINDOW` requests in flight, :data:`CHUNK` bytes each). Only what
copies need is here: open, read, write, close, stat, setstat, mkdir. Every
exchange ends by a deadline; the pipes are non-blocking.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import struct
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from jobharness.backends.terminal.errors import SessionBroken, TransferFailed
from jobharness.deadline import Deadline

CHUNK = 64 * 1024
WINDOW = 32
MAX_PACKET = 512 * 1024

INIT, VERSION, OPEN, CLOSE, READ, WRITE = 1, 2, 3, 4, 5, 6
FSTAT, SETSTAT, MKDIR, STAT = 8, 9, 14, 17
STATUS, HANDLE, DATA, ATTRS = 101, 102, 103, 105
READ_FLAG, WRITE_FLAG, CREAT, TRUNC = 0x1, 0x2, 0x8, 0x10
ATTR_SIZE, ATTR_PERMISSIONS = 0x1, 0x4
OK, EOF = 0, 1
STATUS_NAMES = {
    2: "no such file",
    3: "permission denied",
    4: "failure",
    5: "bad message",
    6: "no connection",
    7: "connection lost",
    8: "operation unsupported",
}


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _attrs(mode: int | None = None) -> bytes:
    if mode is None:
        return struct.pack(">I", 0)
    return struct.pack(">II", ATTR_PERMISSIONS, mode)


@dataclass(frozen=True)
class Reply:
    """One server packet: its type and the payload after the request id."""

    kind: int
    request: int
    payload: bytes

    def status(self) -> tuple[int, str]:
        """``(code, message)`` of a STATUS reply."""
        code, length = struct.unpack(">II", self.payload[:8])
        return code, self.payload[8 : 8 + length].decode("utf-8", errors="replace")


class SftpSession:
    """An SFTP session on a running ``ssh -s ... sftp`` process (``argv``)."""

    def __init__(self, argv: Sequence[str], deadline: Deadline, what: str) -> None:
        self.what = what
        self.process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._buffer = bytearray()
        self._next = 0
        self._send(struct.pack(">BI", INIT, 3), deadline)
        kind, _ = self._packet(deadline)
        if kind != VERSION:
            self.close()
            raise SessionBroken(f"{what}: the sftp server did not answer its version")

    @property
    def alive(self) -> bool:
        """True while the sftp channel's process runs."""
        return self.process.poll() is None

    # -- packets --------------------------------------------------------------------------

    def _send(self, body: bytes, deadline: Deadline) -> None:
        data = memoryview(struct.pack(">I", len(body)) + body)
        with selectors.DefaultSelector() as selector:
            selector.register(self._in, selectors.EVENT_WRITE)
            while data:
                if deadline.expired:
                    raise SessionBroken(f"{self.what}: sftp stalled past {deadline.timeout:g} s")
                if selector.select(deadline.cap(0.05)):
                    try:
                        data = data[os.write(self._in, data) :]
                    except BlockingIOError:
                        continue
                    except OSError as exc:
                        raise SessionBroken(
                            f"{self.what}: the sftp channel closed: {exc}"
                        ) from None

    def _fill(self, size: int, deadline: Deadline) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._out, selectors.EVENT_READ)
            while len(self._buffer) < size:
                if deadline.expired:
                    raise SessionBroken(
                        f"{self.what}: no sftp answer within {deadline.timeout:g} s"
                    )
                if not selector.select(deadline.cap(0.05)):
                    continue
                try:
                    chunk = os.read(self._out, MAX_PACKET)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise SessionBroken(f"{self.what}: the sftp channel closed")
                self._buffer += chunk

    def _packet(self, deadline: Deadline) -> tuple[int, bytes]:
        self._fill(4, deadline)
        (length,) = struct.unpack(">I", self._buffer[:4])
        if not 0 < length <= MAX_PACKET:
            raise SessionBroken(f"{self.what}: a malformed sftp packet ({length} bytes)")
        self._fill(4 + length, deadline)
        body = bytes(self._buffer[4 : 4 + length])
        del self._buffer[: 4 + length]
        return body[0], body[1:]

    def _reply(self, deadline: Deadline) -> Reply:
        kind, body = self._packet(deadline)
        (request,) = struct.unpack(">I", body[:4])
        return Reply(kind, request, body[4:])

    def _request(self, kind: int, payload: bytes, deadline: Deadline) -> int:
        self._next += 1
        self._send(struct.pack(">BI", kind, self._next) + payload, deadline)
        return self._next

    def _call(self, kind: int, payload: bytes, deadline: Deadline, path: str) -> Reply:
        self._request(kind, payload, deadline)
        reply = self._reply(deadline)
        if reply.kind == STATUS:
            self._check(reply, path)
        return reply

    def _check(self, reply: Reply, path: str) -> None:
        code, message = reply.status()
        if code != OK:
            name = STATUS_NAMES.get(code, f"status {code}")
            raise TransferFailed(f"{self.what}: {path}: {name} ({message})")

    # -- operations -----------------------------------------------------------------------

    def _open(self, path: str, flags: int, mode: int | None, deadline: Deadline) -> bytes:
        reply = self._call(
            OPEN, _string(path.encode()) + struct.pack(">I", flags) + _attrs(mode), deadline, path
        )
        if reply.kind != HANDLE:
            raise SessionBroken(f"{self.what}: open {path}: unexpected sftp reply {reply.kind}")
        (length,) = struct.unpack(">I", reply.payload[:4])
        return reply.payload[4 : 4 + length]

    def _close(self, handle: bytes, deadline: Deadline, path: str) -> None:
        self._call(CLOSE, _string(handle), deadline, path)

    def size(self, path: str, deadline: Deadline) -> int | None:
        """The size of ``path`` (None when the server does not say)."""
        reply = self._call(STAT, _string(path.encode()), deadline, path)
        (flags,) = struct.unpack(">I", reply.payload[:4])
        if reply.kind != ATTRS or not flags & ATTR_SIZE:
            return None
        (size,) = struct.unpack(">Q", reply.payload[4:12])
        return int(size)

    def chmod(self, path: str, mode: int, deadline: Deadline) -> None:
        """Set the permission bits of ``path``."""
        self._call(SETSTAT, _string(path.encode()) + _attrs(mode), deadline, path)

    def mkdir(self, path: str, mode: int, deadline: Deadline) -> None:
        """Make the directory ``path`` (its parent must exist)."""
        self._call(MKDIR, _string(path.encode()) + _attrs(mode), deadline, path)

    def put(self, source: BinaryIO, path: str, mode: int | None, deadline: Deadline) -> int:
        """Write ``source`` to ``path`` (created or truncated); return the bytes written."""
        handle = self._open(path, WRITE_FLAG | CREAT | TRUNC, mode, deadline)
        offset = pending = 0
        try:
            while True:
                data = source.read(CHUNK)
                if data:
                    payload = _string(handle) + struct.pack(">Q", offset) + _string(data)
                    self._request(WRITE, payload, deadline)
                    offset += len(data)
                    pending += 1
                while pending and (pending >= WINDOW or not data):
                    self._check(self._reply(deadline), path)
                    pending -= 1
                if not data:
                    break
        finally:
            with contextlib.suppress(SessionBroken, TransferFailed):
                for _ in range(pending):
                    self._reply(deadline)
                self._close(handle, deadline, path)
        if mode is not None:
            self.chmod(path, mode, deadline)
        return offset

    def get(self, path: str, sink: Callable[[bytes], object], deadline: Deadline) -> int:
        """Read ``path`` into ``sink`` in order; return the bytes read."""
        handle = self._open(path, READ_FLAG, None, deadline)
        try:
            return self._read_all(handle, path, sink, deadline)
        finally:
            with contextlib.suppress(SessionBroken, TransferFailed):
                self._close(handle, deadline, path)

    def _read_all(
        self, handle: bytes, path: str, sink: Callable[[bytes], object], deadline: Deadline
    ) -> int:
        asked: dict[int, int] = {}  # request id -> offset
        chunks: dict[int, bytes] = {}
        next_offset = written = 0
        eof = False
        while not eof or asked:
            while not eof and len(asked) < WINDOW:
                payload = _string(handle) + struct.pack(">QI", next_offset, CHUNK)
                asked[self._request(READ, payload, deadline)] = next_offset
                next_offset += CHUNK
            reply = self._reply(deadline)
            offset = asked.pop(reply.request)
            if reply.kind == STATUS:
                code, _ = reply.status()
                if code != EOF:
                    self._check(reply, path)
                eof = True
                continue
            (length,) = struct.unpack(">I", reply.payload[:4])
            data = reply.payload[4 : 4 + length]
            if len(data) < CHUNK:
                eof = True  # a short read ends a regular file; later offsets answer EOF
            chunks[offset] = data
            while written in chunks:
                data = chunks.pop(written)
                sink(data)
                written += len(data)
                if len(data) < CHUNK:
                    break
        return written

    def close(self) -> None:
        """End the sftp channel."""
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            self.process.wait(1.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
