"""Robot Framework keywords for harp: dispatcher jobs and streams, direct harpd calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library
from robot.utils import ConnectionCache

from jobharness.backends.harp import (
    CallOptions,
    HarpCaller,
    HarpServer,
    HarpStreamIterator,
    RemoteCall,
    Result,
)
from jobharness.backends.harp.protocol import call_arguments
from jobharness.backends.harp.settings import (
    HARP_DISPATCHER,
    HARP_HOST,
    HARPD_CA_FILE,
    HARPD_PASSWORD,
    HARPD_URL,
    HARPD_USER,
)
from jobharness.backends.harp.targets import (
    HarpTargets,
    configured_targets,
    embedded_targets,
)
from jobharness.cleanup import CleanupPolicy
from robotlib._common import (
    BackendLibrary,
    OnTimeoutName,
    Secret,
    caller_id,
    log_body,
    log_result,
    robot_setting,
    seconds,
    secret_text,
    wait_and_log,
)

DEFAULT_REQUEST_TIMEOUT = 30.0


def _expected(expected: Any, actual: Any) -> Any:
    """``expected`` as given, or parsed as JSON when it is text and ``actual`` is not."""
    if isinstance(expected, str) and not isinstance(actual, str):
        try:
            return json.loads(expected)
        except ValueError:
            return expected
    return expected


@dataclass
class HarpStream:
    """What a streaming harpd procedure produced: its ``values`` and its end ``result``."""

    values: list[Any] = field(default_factory=list)
    result: Any = None


@library(scope="GLOBAL", listener="SELF", auto_keywords=False)
class HarpLibrary(BackendLibrary):
    """Call harp procedures: as jobs through the HarpCaller dispatcher, or directly on harpd.

    == Two ways to call ==

    - Through the *dispatcher*: `Submit Harp Call` returns at once with a job
      handle (a harp ``RemoteCall``). Wait with `Wait For Harp Call`, read the
      stream with `Follow Harp Stream` (live, resumed if the connection is cut)
      or `Get Harp Stream` (what is stored), assert with `Harp Result Should Be`
      and `Harp Call Should Raise`, stop it with `Cancel Harp Call`. The handle
      also works with JobLibrary's keywords (`Wait For Job` ...). Its states:
      ``pending`` (queued), ``running``, ``succeeded`` (result), ``failed``
      (the procedure raised), ``error`` (harp error: unknown host, lost job,
      timeout ...), ``cancelled``.
    - *Directly* on harpd: `Call Harp Procedure` runs it and returns its
      value (for a streaming procedure: a ``HarpStream`` with ``values`` and
      ``result``).

    == Connecting ==

    `Connect To Harp Dispatcher` and `Connect To Harpd` take an address; without
    one, the ``JOBHARNESS_HARP_DISPATCHER`` / ``JOBHARNESS_HARPD_URL``
    environment variables, then the ``${HARP_DISPATCHER}`` / ``${HARPD_URL}``
    Robot variables are used (user, password and CA file likewise:
    ``${HARPD_USER}``, ``${HARPD_PASSWORD}``, ``${HARPD_CA_FILE}``). When neither
    server is configured, an embedded harpd and an embedded dispatcher are
    started for the run; the dispatcher knows the harpd as host ``local``.
    Keywords used before connecting connect that way on their own.

    TLS to harpd is verified (against the CA file, else the system trust
    store). The password is never logged; pass it as a ``Secret`` where you can.

    == Cleanup ==

    Calls submitted by a test and still running when it ends are cancelled
    (``cleanup=test``, the default; or ``suite``, or ``never``).

    == Example ==

    | ***** Settings *****
    | Library    robotlib.HarpLibrary
    |
    | ***** Test Cases *****
    | Adds
    |     ${call}=    Submit Harp Call    add    2    40
    |     Harp Result Should Be    ${call}    {"sum": 42, "difference": -38}
    | Counts
    |     ${call}=    Submit Harp Call    count    3
    |     ${items}=    Follow Harp Stream    ${call}
    |     Length Should Be    ${items}    3
    """

    backend = "harp"

    def __init__(
        self,
        cleanup: CleanupPolicy = CleanupPolicy.TEST,
        timeout: timedelta = timedelta(seconds=60),
        request_timeout: timedelta = timedelta(seconds=DEFAULT_REQUEST_TIMEOUT),
    ) -> None:
        """``cleanup``: when unfinished calls are cancelled (``test``, ``suite``, ``never``);
        ``timeout``: the default wait (results, streams); ``request_timeout``: connecting
        and each immediate reply (for direct harpd calls: each reply line).
        """
        super().__init__(cleanup=cleanup, timeout=timeout)
        self.request_timeout = seconds(request_timeout, DEFAULT_REQUEST_TIMEOUT)
        self.harpd_connections = ConnectionCache("No open harpd connection.")
        self._embedded: HarpTargets | None = None
        self._host_names: dict[int, str] = {}

    # -- connections -------------------------------------------------------------------

    def _embedded_targets(self) -> HarpTargets:
        if self._embedded is None:
            self._embedded = embedded_targets()
            logger.info(f"started embedded harp servers: {self._embedded.describe()}")
        return self._embedded

    @keyword
    def connect_to_harp_dispatcher(
        self,
        address: str | None = None,
        alias: str | None = None,
        host: str | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """Connect to the harp dispatcher at ``address`` (``host:port`` or ``tcp://host:port``).

        Without ``address``: ``JOBHARNESS_HARP_DISPATCHER``, else ``${HARP_DISPATCHER}``,
        else an embedded dispatcher (with an embedded harpd as host ``local``).
        ``host`` is the default target host name of `Submit Harp Call` (default:
        ``JOBHARNESS_HARP_HOST``, ``${HARP_HOST}`` or ``local``). ``timeout`` bounds
        connecting and each immediate reply. Returns the connection index; ``alias``
        names it for the ``dispatcher`` argument of other keywords.

        | Connect To Harp Dispatcher |                      |              |
        | Connect To Harp Dispatcher | harp.example.org:3502 | alias=prod | host=web01 |
        """
        resolved = robot_setting(HARP_DISPATCHER, address)
        if resolved.value is None:
            targets, where = self._embedded_targets(), "embedded"
        else:
            found = configured_targets(resolved.value, None, source=resolved.source)
            assert found is not None
            targets, where = found, resolved.source
        caller = targets.caller(
            timeout=seconds(timeout, self.request_timeout), wait_timeout=self.default_timeout
        )
        name = host or robot_setting(HARP_HOST).value or targets.host_name
        index = int(self.connections.register(caller, alias))
        self._host_names[index] = name
        logger.info(f"connected to harp dispatcher at {caller.url} ({where}); host {name!r}")
        return index

    @keyword
    def connect_to_harpd(
        self,
        url: str | None = None,
        user: str | None = None,
        password: str | Secret | None = None,
        ca_file: str | None = None,
        alias: str | None = None,
        verify: bool = True,
        allow_old_tls: bool = False,
        timeout: timedelta | None = None,
    ) -> int:
        """Connect to harpd at ``url`` (``host:port`` or ``tls://host:port``) as ``user``.

        Without ``url``: ``JOBHARNESS_HARPD_URL``, else ``${HARPD_URL}``, else the
        embedded harpd (and its generated login and CA). ``user``, ``password``
        (a ``Secret`` or a string, never logged) and ``ca_file`` are looked up the
        same way. The certificate is verified against ``ca_file`` (else the system
        trust store); ``verify=False`` turns that off and ``allow_old_tls=True``
        allows TLS 1.0/1.1 for old daemons; both are logged as warnings. ``timeout``
        bounds connecting and the wait for each reply line. Returns the connection
        index; ``alias`` names it for the ``connection`` argument of `Call Harp Procedure`.

        | Connect To Harpd |                     |        |              |
        | Connect To Harpd | 10.0.0.5:4306 | tester | ${PASSWORD} | ca_file=${CA} |
        """
        resolved = robot_setting(HARPD_URL, url)
        if resolved.value is None:
            target = self._embedded_targets().harpd_target()
            where = "embedded"
        else:
            found = configured_targets(
                None,
                resolved.value,
                robot_setting(HARPD_USER, user).value,
                robot_setting(HARPD_PASSWORD, secret_text(password)).value,
                robot_setting(HARPD_CA_FILE, ca_file).value,
                source=resolved.source,
            )
            assert found is not None
            target, where = found.harpd_target(), resolved.source
        server = target.server(
            verify=verify,
            allow_old_tls=allow_old_tls,
            timeout=seconds(timeout, self.request_timeout),
        )
        logger.info(f"connected to harpd at {server.url} as {target.user!r} ({where})")
        return int(self.harpd_connections.register(server, alias))

    @keyword
    def close_all_harp_connections(self) -> None:
        """Forget every dispatcher and harpd connection; the next keyword connects anew.

        Calls already submitted keep running (cleanup still cancels them).
        """
        self.connections.close_all(closer_method="close")
        self.harpd_connections.close_all(closer_method="close")
        self._host_names.clear()

    def close(self) -> None:
        """Listener: cleanup, close connections and stop the embedded servers."""
        super().close()
        self.harpd_connections.close_all(closer_method="close")
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None

    def _caller(self, dispatcher: str | None) -> tuple[HarpCaller, str]:
        if not self.connections:
            self.connect_to_harp_dispatcher()
        if dispatcher is None:
            index = self.connections.current_index
            caller: HarpCaller = self.connections.current
        else:
            index = self.connections.get_connection_index(dispatcher)
            caller = self.connections.get_connection(dispatcher)
        return caller, self._host_names.get(int(index or 0), "local")

    def _harpd(self, connection: str | None) -> HarpServer:
        if not self.harpd_connections:
            self.connect_to_harpd()
        if connection is None:
            server: HarpServer = self.harpd_connections.current
            return server
        found: HarpServer = self.harpd_connections.get_connection(connection)
        return found

    # -- direct calls ------------------------------------------------------------------

    @keyword
    def call_harp_procedure(
        self, procedure: str, *args: Any, connection: str | None = None, **kwargs: Any
    ) -> Any:
        """Run ``procedure`` on harpd directly and return its value.

        Arguments are positional or named, never both. A streaming procedure
        returns a ``HarpStream``: ``${out.values}`` is the list of streamed values
        and ``${out.result}`` its end value. The procedure's own exception fails
        the keyword with ``remote exception <Type>: <message>``; a harpd error
        (login refused, unknown procedure, timeout) with ``remote error <type>``.
        ``connection`` picks a connection by alias or index.

        | ${sum}= | Call Harp Procedure | add | 2 | 40 |
        | ${out}= | Call Harp Procedure | count | ${3} |
        | Should Be Equal | ${out.result} | ${{ {"count": 3} }} |
        """
        server = self._harpd(connection)
        logger.info(f"calling {procedure} on harpd at {server.url}")
        log_body("arguments", json.dumps(call_arguments(args, kwargs), default=repr))
        value = server.call(procedure, *args, **kwargs)
        if isinstance(value, HarpStreamIterator):
            stream = HarpStream()
            with value:
                for item in value:
                    if isinstance(item, Result):
                        stream.result = item.value
                    else:
                        stream.values.append(item)
            logger.info(f"{procedure} streamed {len(stream.values)} value(s)")
            log_body("result", json.dumps(stream.result, default=repr))
            return stream
        log_body("result", json.dumps(value, default=repr))
        return value

    # -- dispatcher calls ----------------------------------------------------------------

    @keyword
    def submit_harp_call(
        self,
        procedure: str,
        *args: Any,
        host: str | None = None,
        queue: dict[str, Any] | None = None,
        concurrency: int | None = None,
        timeout: timedelta | None = None,
        max_exec_time: timedelta | None = None,
        info: Any = None,
        dispatcher: str | None = None,
        **kwargs: Any,
    ) -> RemoteCall:
        """Submit ``procedure`` to the dispatcher; return the call's job handle at once.

        Arguments are positional or named, never both (named ones that clash with
        the options below cannot be passed). ``host`` is the target in the
        dispatcher's registry (default: the connection's host, ``local`` for the
        embedded servers). ``queue`` (a dictionary naming the queue) and
        ``concurrency`` limit parallel runs; ``timeout`` is the job's time limit
        (the dispatcher also applies it as ``max_exec_time``, which it ignores).
        ``info`` is stored with the job (default: the test's caller id).
        The call is cancelled when the test ends unfinished (see Cleanup).

        | ${call}= | Submit Harp Call | sleep | ${1} | timeout=30 s |
        | ${call}= | Submit Harp Call | restart | host=web01 | queue=${{ {"svc": "nginx"} }} |
        """
        caller, default_host = self._caller(dispatcher)
        options = CallOptions.build(
            queue,
            concurrency,
            timeout,
            max_exec_time,
            info if info is not None else {"caller": caller_id()},
        )
        target = host or default_host
        call = caller.submit(target, procedure, call_arguments(args, kwargs), options)
        logger.info(f"submitted harp job {call.id}: {target}.{procedure}")
        log_body(
            "request",
            json.dumps(
                {"arguments": call_arguments(args, kwargs), **options.fields()}, default=repr
            ),
        )
        self.track(call)
        return call

    @keyword
    def wait_for_harp_call(
        self,
        call: RemoteCall,
        timeout: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> Any:
        """Wait until ``call`` has ended; return its value (``None`` unless it succeeded).

        A failed call does not fail this keyword: assert with `Harp Result Should Be`
        or `Harp Call Should Raise`. Past ``timeout`` (default: the library's) the
        keyword fails (``on_timeout=fail``), cancels the call and fails (``cancel``),
        or returns ``None`` with the call still running (``continue``).

        | ${value}= | Wait For Harp Call | ${call} | timeout=1 min |
        """
        wait_and_log(
            [call], timeout, self.default_timeout, job_log=self.job_log, on_timeout=on_timeout
        )
        if not call.done:
            logger.info(f"{call.summary()} (still unfinished, continuing)")
            return None
        self.job_log.changes(call)
        result = call.result
        log_result(result, [("call", call.name)])
        return result.value

    def _ended(self, call: RemoteCall, timeout: timedelta | None) -> None:
        call.fetch_outcome(wait=True, timeout=seconds(timeout, self.default_timeout))
        self.job_log.changes(call)

    @keyword
    def harp_result_should_be(
        self, call: RemoteCall, expected: Any, timeout: timedelta | None = None
    ) -> None:
        """Wait for ``call`` (up to ``timeout``) and check that it returned ``expected``.

        ``expected`` given as text is read as JSON when the value is not text
        (``{"sum": 42}``, ``[1, 2]``, ``3``, ``null``). Fails with the remote
        exception or error when the call did not succeed.

        | Harp Result Should Be | ${call} | {"sum": 42, "difference": -38} |
        | Harp Result Should Be | ${call} | pong |
        """
        self._ended(call, timeout)
        value = call.get(wait=False)
        wanted = _expected(expected, value)
        if value != wanted:
            raise AssertionError(f"{call.summary()} returned {value!r}, expected {wanted!r}")

    @keyword
    def harp_call_should_raise(
        self,
        call: RemoteCall,
        type: str,
        message: str | None = None,
        timeout: timedelta | None = None,
    ) -> None:
        """Wait for ``call`` and check it ended in a remote exception (or harp error) of ``type``.

        ``type`` is the exception class name (``ValueError``) or a harp error type
        (``unknown_host``, ``missing_result``, ``timeout``); ``message``, if given,
        must be the exact message.

        | Harp Call Should Raise | ${call} | ValueError | bad thing |
        | Harp Call Should Raise | ${call} | unknown_host |
        """
        self._ended(call, timeout)
        outcome = call.outcome
        assert outcome is not None
        if outcome.kind not in ("exception", "error"):
            raise AssertionError(f"{call.summary()} did not raise; it ended with {outcome.kind}")
        if outcome.type != type:
            raise AssertionError(
                f"{call.summary()} raised {outcome.type}: {outcome.message}, expected {type}"
            )
        if message is not None and outcome.message != message:
            raise AssertionError(
                f"{call.summary()} raised {outcome.type} with message {outcome.message!r}, "
                f"expected {message!r}"
            )
        logger.info(f"{call.summary()} raised {outcome.type}: {outcome.message}")

    @keyword
    def follow_harp_stream(
        self,
        call: RemoteCall,
        since: int | None = 0,
        recent: int | None = None,
        timeout: timedelta | None = None,
        log: bool = True,
        numbered: bool = False,
    ) -> list[Any]:
        """Follow ``call``'s stream until the call ends; return the packets as a list.

        Starts at packet ``since`` (default ``0``: the whole stream) or ``recent``
        packets before the current end (then give ``since=None``). A cut
        connection is resumed after the last packet seen, so nothing is lost or
        repeated. Each packet is logged at INFO when ``log`` is true;
        ``numbered=True`` returns ``[number, data]`` pairs. ``timeout`` (default:
        the library's) bounds the whole follow.

        | ${items}= | Follow Harp Stream | ${call} |
        | ${last}= | Follow Harp Stream | ${call} | since=${None} | recent=${5} | log=False |
        """
        if recent is not None:
            since = None
        packets: list[Any] = []
        limit = seconds(timeout, self.default_timeout)
        for number, data in call.follow(since, recent, numbered=True, timeout=limit):
            if log:
                logger.info(f"packet {number}: {json.dumps(data, default=repr)}")
            packets.append([number, data] if numbered else data)
        self.job_log.changes(call)
        logger.info(f"followed {len(packets)} packet(s) of {call.summary()}")
        return packets

    @keyword
    def get_harp_stream(
        self,
        call: RemoteCall,
        since: int | None = None,
        recent: int | None = None,
        numbered: bool = False,
    ) -> list[Any]:
        """Return the packets of ``call``'s stream stored so far, without waiting.

        ``since`` (default: from the start) or ``recent`` choose where to start;
        ``numbered=True`` returns ``[number, data]`` pairs.

        | ${so_far}= | Get Harp Stream | ${call} |
        """
        items = [
            [number, data] if numbered else data
            for number, data in call.stream(since, recent, numbered=True)
        ]
        self.job_log.changes(call)
        logger.info(f"read {len(items)} stored packet(s) of {call.summary()}")
        return items

    @keyword
    def cancel_harp_call(self, call: RemoteCall) -> bool:
        """Cancel ``call``; return whether the dispatcher stopped it (false if it had ended).

        | ${stopped}= | Cancel Harp Call | ${call} |
        """
        cancelled = call.cancel()
        self.job_log.changes(call)
        logger.info(f"{call.summary()}: cancel {'accepted' if cancelled else 'not needed'}")
        return cancelled
