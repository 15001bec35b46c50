"""The harp backend: the HarpCaller dispatcher (jobs, streams) and harpd (direct calls over TLS).

* :class:`HarpCaller` submits calls to the dispatcher; each is a
  :class:`RemoteCall`, a :class:`~jobharness.jobs.Job` with backend ``harp``.
* :class:`HarpServer` calls procedures on a harpd directly.

The seed ``harp`` module's names are kept (``CALL_NOT_FINISHED``,
``RemoteException``, ``Result`` ...), inside the jobharness exception tree.
"""

from jobharness.backends.harp.call import CallStatus, HarpJobResult, RemoteCall, StreamIterator
from jobharness.backends.harp.dispatcher import (
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
from jobharness.backends.harp.outcome import CALL_CANCELLED, CALL_NOT_FINISHED, Outcome, Result
from jobharness.backends.harp.protocol import DISPATCHER_PORT, HARPD_PORT, CallOptions
from jobharness.transport.jsonlines import ConnectionLost, RequestRejected, TLSFailed

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
