"""One client connection to the dispatcher: read the request, answer it, close.

A request that cannot be decoded or validated gets no reply: the connection
is just closed, like HarpCaller's crashing worker. While a reply waits (a
``get_result`` with ``wait`` or a ``follow_stream``), anything the client
sends, or its closing, ends the connection.
"""

from __future__ import annotations

import logging
import select
import socket
import socketserver
from typing import Any

from jobharness.servers.harp.codec import decode_line, encode_line, packet_line
from jobharness.servers.harp.jobs import INVALID_JOBID, MISSING_RESULT, ActiveJob, JobManager
from jobharness.servers.harp.request import CallRequest, JobRequest, Rejected, parse_request

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1 << 20
REQUEST_TIMEOUT = 30.0
WAIT_SLICE = 0.2
NO_RESULT = encode_line({"no_result": True})
CONTINUE = encode_line({"continue": True})


class ClientGone(Exception):
    """The client closed the connection or sent more than its request."""


def read_request_line(sock: socket.socket) -> tuple[bytes, bytes] | None:
    """The request line and what followed it, or ``None`` (EOF, timeout, longer than 1 MiB)."""
    buffer = bytearray()
    while b"\n" not in buffer:
        try:
            chunk = sock.recv(65536)
        except OSError:
            return None
        if not chunk or len(buffer) + len(chunk) > MAX_REQUEST_BYTES:
            return None
        buffer += chunk
    line, _, rest = bytes(buffer).partition(b"\n")
    return line, rest


class DispatcherHandler(socketserver.BaseRequestHandler):
    """Serves one request of the harpcaller protocol."""

    server: Any
    extra_data = b""

    @property
    def manager(self) -> JobManager:
        """The dispatcher's job manager."""
        manager: JobManager = self.server.manager
        return manager

    def handle(self) -> None:
        """Read, validate and answer one request."""
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(REQUEST_TIMEOUT)
        received = read_request_line(sock)
        if received is None:
            return
        line, self.extra_data = received
        try:
            request = parse_request(decode_line(line, self.manager.json_quirks))
        except (ValueError, RecursionError) as exc:
            log.info(
                "request rejected without reply: %s",
                exc if isinstance(exc, Rejected) else "bad JSON",
            )
            return
        try:
            if isinstance(request, CallRequest):
                job_id = self.manager.submit(request)
                self.send(encode_line({"harpcaller": 1, "job_id": job_id}))
            else:
                self.answer(request)
        except (ClientGone, OSError) as exc:
            log.info("client connection ended: %s", exc)

    def send(self, data: bytes) -> None:
        """Write reply bytes."""
        self.request.sendall(data)

    def check_client(self) -> None:
        """Raise :class:`ClientGone` if the client sent anything or closed."""
        readable, _, _ = select.select([self.request], [], [], 0)
        if readable or self.extra_data:
            raise ClientGone("client closed or sent data after its request")

    def answer(self, request: JobRequest) -> None:
        """Answer an operation on a job."""
        manager = self.manager
        if request.operation == "get_status":
            self.send(encode_line(manager.status(request.job_id)))
        elif request.operation == "cancel":
            self.send(encode_line({"cancelled": manager.cancel(request.job_id)}))
        elif request.operation == "get_result":
            self.get_result(request)
        else:
            self.stream(request)

    def get_result(self, request: JobRequest) -> None:
        """``get_result``: the terminal object, ``no_result``, or wait for the end."""
        record, job = self.manager.lookup(request.job_id)
        if record is None:
            self.send(encode_line(INVALID_JOBID))
            return
        if job is not None and not request.wait:
            with job.changed:
                outcome = job.outcome
            self.send(NO_RESULT if outcome is None else (outcome.encode() + b"\n"))
            return
        outcome = self.wait_end(job) if job is not None else (record.outcome or MISSING_RESULT)
        self.send_terminal(request, outcome)

    def wait_end(self, job: ActiveJob) -> str:
        """Wait (watching the client) until ``job`` ends; its terminal object."""
        with job.changed:
            while job.outcome is None:
                self.check_client()
                job.changed.wait(WAIT_SLICE)
            return job.outcome

    def send_terminal(self, request: JobRequest, outcome: str) -> None:
        """Send the terminal object, or the spurious ``missing_result`` when that fault is on."""
        waited = request.operation == "follow_stream" or request.wait
        if waited and self.manager.take_spurious(request.job_id):
            outcome = MISSING_RESULT
        self.send(outcome.encode() + b"\n")

    def stream(self, request: JobRequest) -> None:
        """``read_stream`` and ``follow_stream``: stored packets, then live ones or the end."""
        manager = self.manager
        record, job = manager.lookup(request.job_id)
        if record is None:
            return
        follow = request.operation == "follow_stream"
        count, outcome = self.snapshot(request.job_id, job)
        if request.since is not None:
            position = request.since
        elif request.recent is not None:
            position = max(count - request.recent, 0)
        else:
            position = count if follow else 0
        cut_after = manager.faults.cut_follow_after if follow else None
        skipped = self.skipped_packet(follow, count, outcome)
        sent = 0
        while True:
            for index, data in manager.store.packets(request.job_id, position, count):
                position = index + 1
                if index == skipped:
                    continue
                self.send(packet_line(index, data))
                sent += 1
                if cut_after is not None and sent >= cut_after:
                    return
            if outcome is not None:
                self.send_terminal(request, outcome)
                return
            if not follow:
                self.send(CONTINUE)
                return
            assert job is not None
            count, outcome = self.wait_change(job, position)

    def skipped_packet(self, follow: bool, stored: int, outcome: str | None) -> int | None:
        """The packet this follow never sends (``--fault skip-follow-packet``), if any.

        HarpCaller's follower reads the stored packets, then registers for
        live ones; a packet stored in between is lost. The fault loses the
        first packet stored after the snapshot, whenever the job still runs.
        """
        if follow and outcome is None and self.manager.faults.skip_follow_packet:
            return stored
        return None

    def snapshot(self, job_id: str, job: ActiveJob | None) -> tuple[int, str | None]:
        """(packets stored, terminal object or ``None`` while the job runs)."""
        if job is not None:
            with job.changed:
                return job.packets, job.outcome
        record = self.manager.store.get(job_id)
        outcome = record.outcome if record is not None else None
        return self.manager.store.packet_count(job_id), outcome or MISSING_RESULT

    def wait_change(self, job: ActiveJob, position: int) -> tuple[int, str | None]:
        """Wait until ``job`` has a packet at ``position`` or has ended."""
        with job.changed:
            while job.packets <= position and job.outcome is None:
                self.check_client()
                job.changed.wait(WAIT_SLICE)
            return job.packets, job.outcome
