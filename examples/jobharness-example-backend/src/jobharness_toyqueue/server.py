"""The toyqueue server: ``jobharness serve toyqueue``, a JSON API over local processes.

``POST /jobs {"name", "argv"}`` starts a process (201, the job);
``GET /jobs?name_contains=X`` lists jobs; ``GET /jobs/<id>`` shows one
(state ``running``, ``succeeded``, ``failed`` or ``cancelled``, its exit code
and output); ``POST /jobs/<id>/cancel`` kills a running one (202).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.exceptions import BadRequest, HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from jobharness.servers.base import base_url, make_http_server, serve_until_stopped


@dataclass
class ToyJob:
    """One job: its process, and what it became."""

    id: str
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    state: str = "running"
    exit_code: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def view(self) -> dict[str, Any]:
        """The job as the API shows it."""
        output = self.log.read_text(errors="replace") if self.log.exists() else ""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "exit_code": self.exit_code,
            "output": output,
        }


class ToyQueue:
    """The jobs of one server, run as processes in their own sessions."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.jobs: dict[str, ToyJob] = {}

    def start(self, name: str, argv: list[str]) -> ToyJob:
        """Start ``argv``; a thread records how it ends."""
        job_id = uuid.uuid4().hex
        log = self.workdir / f"{job_id}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        job = self.jobs[job_id] = ToyJob(job_id, name, process, log)
        threading.Thread(target=self._reap, args=(job,), daemon=True).start()
        return job

    def _reap(self, job: ToyJob) -> None:
        code = job.process.wait()
        with job.lock:
            job.exit_code = code
            if job.state == "running":
                job.state = "succeeded" if code == 0 else "failed"

    def cancel(self, job: ToyJob) -> None:
        """Kill a running job's process group; a finished job stays as it is."""
        with job.lock:
            if job.state != "running":
                return
            job.state = "cancelled"
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Cancel every running job (the server is stopping)."""
        for job in list(self.jobs.values()):
            self.cancel(job)


URLS = Map(
    [
        Rule("/jobs", endpoint="jobs"),
        Rule("/jobs/<job_id>", endpoint="job"),
        Rule("/jobs/<job_id>/cancel", endpoint="cancel", methods=["POST"]),
    ]
)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


class ToyQueueApp:
    """The WSGI app of the toyqueue API."""

    def __init__(self, queue: ToyQueue) -> None:
        self.queue = queue

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, values = URLS.bind_to_environ(environ).match()
            response = getattr(self, endpoint)(request, **values)
        except HTTPException as exc:
            response = _json({"error": exc.description}, exc.code or 500)
        return response(environ, start_response)

    def _job(self, job_id: str) -> ToyJob:
        if job_id not in self.queue.jobs:
            raise NotFound(f"no job {job_id}")
        return self.queue.jobs[job_id]

    def jobs(self, request: Request) -> Response:
        """List jobs (``name_contains`` filters) or start one."""
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("argv"), list):
                raise BadRequest('send {"name": str, "argv": [str, ...]}')
            job = self.queue.start(str(body.get("name", "")), [str(a) for a in body["argv"]])
            return _json(job.view(), 201)
        part = request.args.get("name_contains", "")
        return _json([job.view() for job in self.queue.jobs.values() if part in job.name])

    def job(self, request: Request, job_id: str) -> Response:
        """One job."""
        return _json(self._job(job_id).view())

    def cancel(self, request: Request, job_id: str) -> Response:
        """Cancel one job."""
        job = self._job(job_id)
        self.queue.cancel(job)
        return _json(job.view(), 202)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """toyqueue has no options of its own."""


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM/SIGINT; running jobs are cancelled at stop."""
    with tempfile.TemporaryDirectory(prefix="toyqueue-") as workdir:
        queue = ToyQueue(Path(workdir))
        server = make_http_server(args.host, args.port, ToyQueueApp(queue), verbose=args.verbose)
        info = {"backend": "toyqueue", "url": base_url(args.host, server.port)}
        return serve_until_stopped(server, args, info, on_stop=queue.stop)
