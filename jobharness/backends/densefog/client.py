"""The densefog action client: ``call(action, **params) -> data``, jobs and resources.

Every action is ``POST /`` with ``{"action": ..., **params}``; the answer is
the envelope ``{retCode, message, data}`` (HTTP 200 for errors too). A
non-zero retCode raises the class of its code (:mod:`.errors`); anything that
is not an envelope (an HTML 404 or 405 page, the ``GET /`` banner, a proxy's
page) is a :class:`~jobharness.errors.ProtocolError` naming what came back.

Actions are not idempotent in general, so a call is sent again only when it
cannot have reached the service, or when it reads (``Describe...``, the jobs
action, or one listed in ``read_actions``): an action that creates something
is never sent twice by a retry. The auth headers are secrets: they never
appear in a repr, a log line or an error text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from jobharness.backends.densefog import names, protocol
from jobharness.backends.densefog.dsn import Dsn
from jobharness.backends.densefog.errors import DensefogError, error_class
from jobharness.backends.densefog.job import (
    DEFAULT_STUCK_AFTER,
    ActionJobSource,
    DensefogJob,
    JobsAction,
    JobSource,
    TableJobSource,
)
from jobharness.backends.densefog.jobtable import JobTable
from jobharness.backends.densefog.resources import Created, DensefogResources, ResourceType
from jobharness.backends.densefog.settings import parse_headers
from jobharness.deadline import parse_timeout
from jobharness.errors import ConfigurationError, ProtocolError
from jobharness.jobs import DEFAULT_TIMEOUT, PollPolicy
from jobharness.redaction import Redactor, redact_mapping, snippet
from jobharness.resources import Closing
from jobharness.transport.http import HttpTransport, make_session
from jobharness.transport.retry import RETRY_STATUSES, RetryPolicy

log = logging.getLogger("jobharness.densefog")

DEFAULT_REQUEST_TIMEOUT = 30.0
ANSWERED = frozenset(range(100, 600)) - RETRY_STATUSES
"""Statuses read as an answer; 502/503/504 go through the retry policy first."""
PARAMS_SHOWN = 200


@dataclass(frozen=True)
class Envelope:
    """An action's answer as it came: ``code`` (retCode), ``message`` and ``data``."""

    code: int
    message: str | None
    data: Any


class DensefogClient(Closing):
    """Client of a densefog-based service at ``url``.

    ``headers`` (a mapping or ``Name: value; ...`` text) are sent with every
    action and treated as secrets; ``request_timeout`` bounds each request,
    retries included; ``wait_timeout`` is the default of every wait.

    Jobs are read from the job table when ``job_table`` (a DSN, or a
    :class:`~.jobtable.JobTable`) is given, else through ``jobs_action`` (an
    action name or a :class:`~.job.JobsAction`; None when the service has none).
    ``resource_types`` register types whose actions or fields differ from the
    consumer apps' naming; ``errors`` map an app's own retCodes onto classes;
    ``read_actions`` names more actions that may be sent twice.
    """

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str] | str | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        *,
        verify: bool | str = True,
        retries: int = 3,
        wait_timeout: float = DEFAULT_TIMEOUT,
        poll: PollPolicy | None = None,
        job_table: str | Dsn | JobTable | None = None,
        jobs_action: JobsAction | str | None = "DescribeJobs",
        resource_types: Iterable[ResourceType] = (),
        errors: Mapping[int, type[DensefogError]] | None = None,
        read_actions: Collection[str] = (),
        stuck_after: float | None = DEFAULT_STUCK_AFTER,
    ) -> None:
        self.request_timeout = parse_timeout(request_timeout, "request_timeout")
        self.wait_timeout = parse_timeout(wait_timeout, "wait_timeout")
        self.poll = poll
        self.stuck_after = stuck_after
        self._headers = parse_headers(headers)
        self.redact = Redactor(self._headers.values())
        self.errors = dict(errors or {})
        self.read_actions = set(read_actions)
        session = make_session(verify=verify, headers=self._headers)
        self._transport = HttpTransport(
            url,
            request_timeout=self.request_timeout,
            session=session,
            retry=RetryPolicy.build(retries),
            redactor=self.redact,
            server_name=protocol.SERVER_NAME,
        )
        if isinstance(jobs_action, str):
            jobs_action = None if jobs_action.lower() in ("", "none") else JobsAction(jobs_action)
        self.jobs_action = jobs_action
        if jobs_action is not None:
            self.read_actions.add(jobs_action.action)
        if job_table is not None and not isinstance(job_table, JobTable):
            job_table = JobTable(job_table, request_timeout=self.request_timeout)
        if job_table is not None:
            self.redact.add(job_table.dsn.password)
        self.job_table = job_table
        self._types: dict[str, ResourceType] = {}
        for rtype in resource_types:
            self.register_resource_type(rtype)
        self._source: JobSource | None = None

    @property
    def url(self) -> str:
        """The service's base URL."""
        return self._transport.base_url

    @property
    def header_names(self) -> list[str]:
        """The names of the auth headers sent (never their values)."""
        return sorted(self._headers)

    # -- actions ---------------------------------------------------------------------------

    def is_read(self, action: str) -> bool:
        """True for actions that may be sent again: ``Describe...`` and the ones named so."""
        return action.startswith("Describe") or action in self.read_actions

    def call(self, action: str, **params: Any) -> Any:
        """Call ``action`` with ``params``; return the answer's data, or raise its error."""
        return self.call_with(action, params)

    def call_with(
        self,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool | None = None,
        request_timeout: float | None = None,
    ) -> Any:
        """Like :meth:`call`, with the params as a mapping (for names such as ``action``)."""
        params = dict(params or {})
        envelope = self.envelope(
            action, params, idempotent=idempotent, request_timeout=request_timeout
        )
        if envelope.code != protocol.OK:
            raise self._error(action, params, envelope)
        return envelope.data

    def envelope(
        self,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool | None = None,
        request_timeout: float | None = None,
    ) -> Envelope:
        """Send ``action`` and return its envelope as it came, error codes included."""
        if not isinstance(action, str) or not action:
            raise ConfigurationError(f"a densefog action is a non-empty name, got {action!r}")
        body = {**dict(params or {}), protocol.ACTION: action}
        response = self._transport.request(
            "POST",
            "",
            json=body,
            expect=ANSWERED,
            timeout=request_timeout,
            idempotent=self.is_read(action) if idempotent is None else idempotent,
        )
        envelope = self._parse(response, action)
        log.debug("%s -> retCode %s", action, envelope.code)
        return envelope

    def _what(self, action: str) -> str:
        return f"action {action} (POST {self.redact(self.url)})"

    def _parse(self, response: requests.Response, action: str) -> Envelope:
        try:
            body = response.json()
        except ValueError:
            body = None
        code = body.get(protocol.RET_CODE) if isinstance(body, dict) else None
        if response.status_code != 200 or isinstance(code, bool) or not isinstance(code, int):
            kind = response.headers.get("Content-Type", "no content type")
            text = self.redact(snippet(response.text))
            raise ProtocolError(
                f"{self._what(action)}: densefog answered {response.status_code} "
                f"{response.reason} ({kind}), not a JSON envelope: {text!r}",
                url=self.redact(response.url),
                snippet=text,
            )
        assert isinstance(body, dict)
        message = body.get(protocol.MESSAGE)
        return Envelope(code, message if isinstance(message, str) else None, body.get("data"))

    def _error(self, action: str, params: Mapping[str, Any], envelope: Envelope) -> DensefogError:
        shown = self.redact(json.dumps(redact_mapping(params), default=str, sort_keys=True))
        if len(shown) > PARAMS_SHOWN:
            shown = shown[:PARAMS_SHOWN] + "..."
        data = envelope.data if isinstance(envelope.data, dict) else {}
        extras = [
            f"{key} {data[key]}"
            for key in (protocol.RESOURCE_ID, protocol.EXCEPTION_TAG)
            if data.get(key) is not None
        ]
        message = self.redact(str(envelope.message))
        text = (
            f"{self._what(action)} with {shown} answered retCode {envelope.code} "
            f"({protocol.code_name(envelope.code)}): {message}"
            + (f" [{'; '.join(extras)}]" if extras else "")
        )
        cls = error_class(envelope.code, envelope.message, self.errors)
        return cls(
            self.redact(text),
            code=envelope.code,
            message=envelope.message,
            data=envelope.data,
            action=action,
            url=self.redact(self.url),
            body=self.redact(snippet(json.dumps(envelope.data, default=str))),
        )

    def banner(self) -> str:
        """``GET /``: the service's plain-text banner (a liveness probe)."""
        response = self._transport.request("GET", "")
        return response.text

    # -- jobs ------------------------------------------------------------------------------

    @property
    def job_source(self) -> JobSource:
        """Where jobs are read: the job table if one is given, else the jobs action."""
        if self._source is None:
            if self.job_table is not None:
                self._source = TableJobSource(self.job_table)
            elif self.jobs_action is not None:
                self._source = ActionJobSource(self, self.jobs_action)
            else:
                raise ConfigurationError(
                    f"densefog at {self.redact(self.url)}: no job table and no jobs action "
                    "configured, so jobs cannot be read (wait for their resources instead)"
                )
        return self._source

    def job(
        self, job_id: str, *, data: Any = None, name: str = "", source: JobSource | None = None
    ) -> DensefogJob:
        """A handle on job ``job_id`` (nothing is asked until it is refreshed or waited)."""
        if not isinstance(job_id, str) or not job_id:
            raise ConfigurationError(f"a densefog job id is a non-empty string, got {job_id!r}")
        return DensefogJob(
            job_id,
            source or self.job_source,
            name=name,
            data=data,
            default_timeout=self.wait_timeout,
            poll=self.poll,
            stuck_after=self.stuck_after,
        )

    def job_of(self, data: Any, action: str = "") -> DensefogJob:
        """The job of an action's answer (its ``jobId``); a ProtocolError if it has none."""
        job_id = data.get(protocol.JOB_ID) if isinstance(data, dict) else None
        if not isinstance(job_id, str) or not job_id:
            raise ProtocolError(
                f"{self._what(action or '?')}: the answer has no jobId: "
                f"{self.redact(snippet(repr(data)))}"
            )
        return self.job(job_id, data=data, name=action)

    def submit(
        self, action: str, params: Mapping[str, Any] | None = None, /, **more: Any
    ) -> DensefogJob:
        """Call an action that makes a job (answering ``jobId``); return the job.

        The action's params are ``params`` and the keyword arguments.
        """
        data = self.call_with(action, {**dict(params or {}), **more})
        return self.job_of(data, action)

    # -- resources -------------------------------------------------------------------------

    def register_resource_type(self, rtype: ResourceType) -> ResourceType:
        """Use ``rtype`` for resources of its name (replacing the derived defaults)."""
        self._types[_key(rtype.name)] = rtype
        return rtype

    def resource_type(self, rtype: str | ResourceType) -> ResourceType:
        """The registered type of that name, or one derived from it (:meth:`ResourceType.named`)."""
        if isinstance(rtype, ResourceType):
            return rtype
        return self._types.get(_key(rtype)) or ResourceType.named(rtype)

    def describe(self, rtype: str | ResourceType, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The described items of ``ids`` by id (one call per page of the type's size)."""
        kind = self.resource_type(rtype)
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), kind.page_size):
            page = list(ids[start : start + kind.page_size])
            params: dict[str, Any] = {kind.ids_param: page}
            if kind.limit_param:
                params[kind.limit_param] = len(page)
            data = self.call_with(kind.describe_action, params, idempotent=True)
            for item in self._items(kind, data):
                found[item[kind.id_field]] = item
        return found

    def _items(self, kind: ResourceType, data: Any) -> list[dict[str, Any]]:
        items = data.get(kind.set_field) if isinstance(data, dict) else None
        where = self._what(kind.describe_action)
        if not isinstance(items, list):
            raise ProtocolError(
                f"{where}: expected data with a {kind.set_field!r} list, got "
                f"{self.redact(snippet(repr(data)))}"
            )
        for item in items:
            if (
                not isinstance(item, dict)
                or not isinstance(item.get(kind.id_field), str)
                or not isinstance(item.get(kind.status_field), str)
            ):
                raise ProtocolError(
                    f"{where}: an item has no text {kind.id_field!r} and "
                    f"{kind.status_field!r}: {self.redact(snippet(repr(item)))}"
                )
        return items

    def resources(self, rtype: str | ResourceType, ids: Sequence[str]) -> DensefogResources:
        """A handle on resources ``ids`` of ``rtype`` (nothing is asked yet)."""
        return DensefogResources(self, self.resource_type(rtype), ids)

    def create_resources(
        self,
        rtype: str | ResourceType,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        action: str | None = None,
        **more: Any,
    ) -> Created:
        """Call a create action (default ``Create<Things>``); return what it made and its job.

        The action's params are ``params`` and the other keyword arguments (so an
        action may have a parameter named ``params``).
        The ids are read from the answer's ``<thing>Ids`` (the type's ``ids_param``).
        """
        kind = self.resource_type(rtype)
        name = action or kind.create_action
        if not name:
            raise ConfigurationError(f"densefog {kind.name} has no create action configured")
        data = self.call_with(name, {**dict(params or {}), **more})
        ids = data.get(kind.ids_param) if isinstance(data, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ProtocolError(
                f"{self._what(name)}: the answer has no {kind.ids_param!r} list of ids: "
                f"{self.redact(snippet(repr(data)))}"
            )
        made = DensefogResources(self, kind, ids)
        has_job = isinstance(data, dict) and protocol.JOB_ID in data
        job = self.job_of(data, name) if has_job and self._can_read_jobs() else None
        return Created(data, made, job)

    def _can_read_jobs(self) -> bool:
        return self.job_table is not None or self.jobs_action is not None

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections and the job table's connection."""
        self._transport.close()
        if self.job_table is not None:
            self.job_table.close()

    def __repr__(self) -> str:
        headers = f", headers {', '.join(self.header_names)}" if self._headers else ""
        table = f", {self.job_table.where}" if self.job_table is not None else ""
        return f"<DensefogClient {self.redact(self.url)}{headers}{table}>"


def _key(name: str) -> str:
    return " ".join(names.camel_words(name))
