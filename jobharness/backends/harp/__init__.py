"""The harp backend: the HarpCaller dispatcher (jobs, streams) and harpd (direct calls over TLS).

* :class:`HarpCaller` submits calls to the dispatcher; each is a
  :class:`RemoteCall`, a :class:`~jobharness.jobs.Job` with backend ``harp``.
* :class:`HarpServer` calls procedures on a harpd directly.

The seed ``harp`` module's names are kept (``CALL_NOT_FINISHED``,
``RemoteException``, ``Result`` ...), inside the jobharness exception tree.

Everything here is imported on first use (see :mod:`jobharness.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobharness.lazy import lazy_exports

if TYPE_CHECKING:
    from jobharness.backends.harp.client import (
        HarpCaller,
        RemoteProcedure,
        RemoteServer,
        parse_address,
    )
    from jobharness.backends.harp.errors import (
        CancelledException,
        CommunicationError,
        RemoteAuthError,
        RemoteError,
        RemoteException,
        RemoteFailure,
        UnknownJob,
    )
    from jobharness.backends.harp.harpd import HarpProcedure, HarpServer, HarpStreamIterator
    from jobharness.backends.harp.job import CallStatus, HarpJobResult, RemoteCall
    from jobharness.backends.harp.outcome import CALL_CANCELLED, CALL_NOT_FINISHED, Outcome, Result
    from jobharness.backends.harp.protocol import DISPATCHER_PORT, HARPD_PORT, CallOptions
    from jobharness.backends.harp.streams import StreamIterator
    from jobharness.transport.jsonlines import ConnectionLost, RequestRejected, TLSFailed

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "CALL_CANCELLED": "jobharness.backends.harp.outcome",
        "CALL_NOT_FINISHED": "jobharness.backends.harp.outcome",
        "CallOptions": "jobharness.backends.harp.protocol",
        "CallStatus": "jobharness.backends.harp.job",
        "CancelledException": "jobharness.backends.harp.errors",
        "CommunicationError": "jobharness.backends.harp.errors",
        "ConnectionLost": "jobharness.transport.jsonlines",
        "DISPATCHER_PORT": "jobharness.backends.harp.protocol",
        "HARPD_PORT": "jobharness.backends.harp.protocol",
        "HarpCaller": "jobharness.backends.harp.client",
        "HarpJobResult": "jobharness.backends.harp.job",
        "HarpProcedure": "jobharness.backends.harp.harpd",
        "HarpServer": "jobharness.backends.harp.harpd",
        "HarpStreamIterator": "jobharness.backends.harp.harpd",
        "Outcome": "jobharness.backends.harp.outcome",
        "RemoteAuthError": "jobharness.backends.harp.errors",
        "RemoteCall": "jobharness.backends.harp.job",
        "RemoteError": "jobharness.backends.harp.errors",
        "RemoteException": "jobharness.backends.harp.errors",
        "RemoteFailure": "jobharness.backends.harp.errors",
        "RemoteProcedure": "jobharness.backends.harp.client",
        "RemoteServer": "jobharness.backends.harp.client",
        "RequestRejected": "jobharness.transport.jsonlines",
        "Result": "jobharness.backends.harp.outcome",
        "StreamIterator": "jobharness.backends.harp.streams",
        "TLSFailed": "jobharness.transport.jsonlines",
        "UnknownJob": "jobharness.backends.harp.errors",
        "parse_address": "jobharness.backends.harp.client",
    },
)

__all__ = [
    "CALL_CANCELLED",
    "CALL_NOT_FINISHED",
    "DISPATCHER_PORT",
    "HARPD_PORT",
    "CallOptions",
    "CallStatus",
    "CancelledException",
    "CommunicationError",
    "ConnectionLost",
    "HarpCaller",
    "HarpJobResult",
    "HarpProcedure",
    "HarpServer",
    "HarpStreamIterator",
    "Outcome",
    "RemoteAuthError",
    "RemoteCall",
    "RemoteError",
    "RemoteException",
    "RemoteFailure",
    "RemoteProcedure",
    "RemoteServer",
    "RequestRejected",
    "Result",
    "StreamIterator",
    "TLSFailed",
    "UnknownJob",
    "parse_address",
]
