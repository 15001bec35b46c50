"""RunnerTerminal: crl's remote Python calls and proxies, over the jobharness agent.

A crl user moves over by changing imports: the method names, arguments and
return shapes are crl's. What differs: the reply is data (JSON with tags,
never pickle), so what is not data comes back as a proxy; remote errors are
:class:`~jobharness.backends.terminal.runner_errors.RemoteError` (also an
instance of the matching builtin, ``except KeyError`` works); every call
has a finite default timeout, :data:`DEFAULT_TIMEOUT`; source text is only
run by ``run_python``, ``assign_and_run_python`` and ``import_libraries``
(and logged); and asynchronous calls are also jobs of the engine
(:meth:`RunnerTerminal.start_python`, :meth:`RunnerTerminal.start_call`).

``timeout`` is how long a call waits, the start of the agent included.
``None`` means :attr:`RunnerTerminal.default_timeout`; a negative timeout
starts the call and raises :class:`RemoteTimeout` at once, whose
``response_id`` (or ``call``) fetches the reply later.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any, ClassVar, NamedTuple

from jobharness.backends.terminal import wire
from jobharness.backends.terminal.agentjob import RemoteCall, decode
from jobharness.backends.terminal.agentlink import AgentLink, LinkSettings, NotSent
from jobharness.backends.terminal.agentstream import AgentStarter, starter_for
from jobharness.backends.terminal.handles import Handle, Spec, Target
from jobharness.backends.terminal.proxies import (
    ProxyState,
    RecursiveProxy,
    RemoteMethod,
    RemoteProxy,
    ref_factory,
    wire_target,
)
from jobharness.backends.terminal.runner_errors import (
    RemoteError,
    RemoteTimeout,
    RunnerTerminalSessionBroken,
    RunnerTerminalSessionClosed,
)
from jobharness.deadline import Deadline, parse_timeout
from jobharness.errors import ConfigurationError
from jobharness.redaction import snippet
from jobharness.resources import Closing

log = logging.getLogger("jobharness.terminal")

DEFAULT_TIMEOUT = 300.0
"""Seconds a call waits by default (crl's was 3600); liveness is the heartbeat's job."""
START_TIMEOUT = 30.0
"""Seconds the agent may take to start (and an asynchronous call to be sent)."""


class HandledValue(NamedTuple):
    """crl's reply of ``assign_and_run_python``: the value when it is a basic one."""

    isobj: bool
    obj: Any


class Binding(NamedTuple):
    """A declared import or proxy, made again on every connection."""

    kind: str
    name: str
    expression: str
    filename: str = ""


class RunnerTerminal(Closing):
    """Remote Python on one agent: run source, call functions, proxy objects.

    ``starter`` is an :class:`~jobharness.backends.terminal.agentstream.AgentStarter`
    (``LocalPython()``, ``LinkPython(link)``) or a route it can be made from.
    The agent starts at :meth:`initialize`. ``settings`` tunes the heartbeat.
    """

    HANDLED_TYPES: ClassVar[tuple[type, ...]] = (type(None), bool, int, float, str, bytes)
    cleanup_action: ClassVar[str] = "close"
    _recovers: ClassVar[bool] = False

    def __init__(
        self,
        starter: Any = None,
        *,
        default_timeout: float = DEFAULT_TIMEOUT,
        start_timeout: float = START_TIMEOUT,
        settings: LinkSettings | None = None,
    ) -> None:
        self._starter: AgentStarter | None = None if starter is None else starter_for(starter)
        self.default_timeout = parse_timeout(default_timeout, "default_timeout")
        self.start_timeout = parse_timeout(start_timeout, "start_timeout")
        self.settings = settings or LinkSettings()
        self.prompt_timeout = 0.0  # crl's attribute; nothing here waits for a prompt
        self._link: AgentLink | None = None
        self._lock = threading.RLock()
        self._specs: dict[tuple[int, Any], Spec | None] = {}
        self._bindings: list[Binding] = []

    # -- the connection -----------------------------------------------------------------

    @property
    def epoch(self) -> int:
        """The current connection's number (0 before the first); proxies carry theirs."""
        return self._link.epoch if self._link is not None else 0

    @property
    def session_id(self) -> int | None:
        """crl's name of :attr:`epoch` (``None`` when not connected)."""
        return self._link.epoch if self._link is not None else None

    def set_default_timeout(self, default_timeout: float) -> None:
        """How long calls wait when no timeout is given."""
        self.default_timeout = parse_timeout(default_timeout, "default_timeout")

    def initialize(self, session: Any = None) -> None:
        """Start the agent (on ``session``, a starter or route, if given)."""
        with self._lock:
            if session is not None:
                self._starter = starter_for(session)
            self.close()
            self._open(Deadline(self.start_timeout, "start"))

    def initialize_if_needed(self) -> None:
        """Start the agent unless it is running."""
        with self._lock:
            if self._link is None or self._link.broken:
                self.initialize()

    def _open(self, deadline: Deadline) -> AgentLink:
        if self._starter is None:
            raise RunnerTerminalSessionClosed(
                "the runner has no target: give it a starter or route"
            )
        link = AgentLink(self._starter.start(deadline), self.settings).start(deadline)
        self._link = link
        log.debug("agent started on %s: Python %s", link.describe(), link.hello.get("python"))
        for binding in self._bindings:
            self._bind(binding, deadline)
        return link

    def _bind(self, binding: Binding, deadline: Deadline) -> None:
        source = f"import {binding.name}" if binding.kind == "import" else binding.expression
        payload: dict[str, Any] = {"op": "eval", "src": source, "ret": "none"}
        if binding.kind == "module":
            payload = {"op": "module", "name": binding.name, "src": source, "ret": "none"}
            payload["file"] = binding.filename
            source = f"module {binding.name} ({len(source)} characters)"
        elif binding.kind == "proxy":
            payload["name"] = binding.name
        log.info("declared on %s: %s", self.describe(), snippet(source, 200))
        self._request(payload, f"declaring {binding.name}", timeout=deadline.remaining())

    def _link_for(self, deadline: Deadline) -> AgentLink:
        """The link to use now; the auto runner recovers a broken one here."""
        link = self._link
        if link is None:
            raise RunnerTerminalSessionClosed(
                "the runner is not initialized, or closed: call initialize() first"
            )
        if link.broken:
            raise RunnerTerminalSessionBroken(
                f"the agent on {link.describe()} is gone ({link.reason}): initialize() again"
            )
        return link

    def describe(self) -> str:
        """How messages name the target."""
        if self._link is not None:
            return self._link.describe()
        return self._starter.describe() if self._starter is not None else "no target"

    def close(self) -> None:
        """End the agent (and what it started); proxies become invalid."""
        with self._lock:
            link, self._link = self._link, None
            if link is not None:
                link.close()
            close_starter = getattr(self._starter, "close", None)
            if close_starter is not None:
                close_starter()  # a connection the starter made for this runner

    close_session = close

    # -- the cleanup protocol -----------------------------------------------------------

    def cleanup_summary(self) -> str:
        """One line for cleanup reports."""
        return f"remote Python agent on {self.describe()}"

    def clean_up(self) -> bool:
        """Close the agent if it runs; return whether there was one."""
        running = self._link is not None
        self.close()
        return running

    # -- requests -----------------------------------------------------------------------

    def _request(
        self,
        payload: dict[str, Any],
        what: str,
        *,
        timeout: float | None = None,
        cls: type[RemoteProxy] = RemoteProxy,
        proxy_timeout: float | None = None,
        job: bool = False,
    ) -> Any:
        """Send ``payload`` and return the decoded reply (or a RemoteCall when ``job``)."""
        wait = self.default_timeout if timeout is None else float(timeout)
        asynchronous = job or wait < 0
        deadline = Deadline(self.start_timeout if asynchronous else wait, "call")
        for attempt in (1, 2):
            link = self._link_for(deadline)
            keep: list[Handle] = []
            parts = wire.Encoder(functools.partial(wire_target, keep=keep, runner=self)).pack(
                payload
            )
            try:
                pending = link.submit(parts, what, deadline, keep)
                break
            except NotSent:
                if attempt == 2 or not self._recovers:
                    raise
        make_ref = ref_factory(self, link, cls, proxy_timeout)
        if not asynchronous:
            if link.wait(pending, deadline):
                return decode(link, pending, make_ref, what)
            link.keep_late(pending)
        call = RemoteCall(link, pending, make_ref, what, self.default_timeout)
        if job:
            return call
        raise call.timeout_handle()

    # -- crl's calls --------------------------------------------------------------------

    def run_python(self, cmd: str, timeout: float | None = None) -> Any:
        """Run Python source (an expression, or statements whose last may be one); its value."""
        if log.isEnabledFor(logging.INFO):
            log.info("run_python on %s: %s", self.describe(), snippet(cmd, 200))
        return self._request(
            {"op": "eval", "src": cmd, "ret": "value"}, "run_python", timeout=timeout
        )

    def assign_and_run_python(
        self, handle: str, cmd: str, timeout: float | None = None
    ) -> HandledValue:
        """Run ``cmd``, bind its value to ``handle``; return it when it is a basic value."""
        log.info("assign_and_run_python on %s: %s = %s", self.describe(), handle, snippet(cmd, 200))
        payload = {"op": "eval", "src": cmd, "name": handle, "ret": "basic"}
        try:
            return HandledValue(*self._request(payload, f"{handle} = ...", timeout=timeout))
        except RemoteTimeout as exc:
            exc.add_response_wrap(lambda reply: HandledValue(*reply))
            raise

    def run_and_return_handled_python(self, handle: str) -> HandledValue:
        """The object named ``handle``, when it is a basic value."""
        payload = {"op": "get", "obj": wire.RemoteName(handle), "ret": "basic"}
        return HandledValue(*self._request(payload, handle))

    def run_python_call(self, function_name: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the remote function named ``function_name`` (or a proxy) with data or proxies."""
        return self.run_python_call_with_timeout(None, function_name, args, kwargs)

    def run_python_call_with_timeout(
        self, timeout: float | None, function_name: Any, args: Any, kwargs: Any
    ) -> Any:
        """:meth:`run_python_call` with a timeout."""
        return self._call(function_name, args, kwargs, "value", timeout)

    def _call(
        self,
        function: Any,
        args: Any,
        kwargs: Any,
        ret: str,
        timeout: float | None,
        job: bool = False,
    ) -> Any:
        obj = wire.RemoteName(function) if isinstance(function, str) else function
        if not isinstance(obj, (wire.RemoteName, RemoteProxy, RemoteMethod)):
            raise ConfigurationError(
                f"a function is a name or a proxy, got {type(function).__name__}"
            )
        payload = {"op": "call", "obj": obj, "args": list(args), "kwargs": dict(kwargs), "ret": ret}
        name = function if isinstance(function, str) else repr(function)
        return self._request(payload, f"{name}(...)", timeout=timeout, job=job)

    def import_libraries(self, *imports: str) -> None:
        """Import modules in the agent's namespace."""
        source = f"import {', '.join(imports)}"
        log.info("import_libraries on %s: %s", self.describe(), source)
        self._request({"op": "eval", "src": source, "ret": "none"}, source)

    def iscallable(self, remote_object: Any) -> bool:
        """Whether the remote object (a name or a proxy) is callable."""
        obj = wire.RemoteName(remote_object) if isinstance(remote_object, str) else remote_object
        payload = {"op": "call", "obj": wire.RemoteFn("callable"), "args": [obj], "ret": "value"}
        return bool(self._request(payload, f"callable({remote_object!r})"))

    def agent_output(self) -> str:
        """What the remote side printed lately: its standard error, or on a terminal (where
        the frames use the output) what the agent kept of its prints."""
        link = self._link_for(Deadline(self.default_timeout, "call"))
        if not link.hello.get("tty"):
            return link.stderr_tail()
        printed = self._request({"op": "output"}, "agent_output")
        return bytes(printed).decode("utf-8", errors="replace")

    # -- proxies ------------------------------------------------------------------------

    def _named(
        self, name: str | None, cls: type[RemoteProxy], follows: bool = False
    ) -> RemoteProxy:
        if name is None:
            return cls(ProxyState(self, None))
        link = self._link
        epoch = None if follows or link is None or link.broken else link.epoch
        return cls(ProxyState(self, Target(name=name, epoch=epoch)))

    def get_proxy_object(self, remote_object: str | None, local_spec: Any = None) -> RemoteProxy:
        """A proxy of the remote object named ``remote_object`` (an expression)."""
        proxy = self._named(remote_object, RemoteProxy)
        if local_spec is not None:
            proxy.set_proxy_spec(local_spec)
        return proxy

    def get_recursive_proxy(self, remote_object: str) -> RecursiveProxy:
        """A recursive proxy of the remote object named ``remote_object``."""
        proxy = self._named(remote_object, RecursiveProxy)
        assert isinstance(proxy, RecursiveProxy)
        return proxy

    def get_proxy_object_from_call(
        self, function_name: Any, *args: Any, **kwargs: Any
    ) -> RemoteProxy:
        """Call a remote function and return a proxy of what it returned."""
        return self._call(function_name, args, kwargs, "ref", None)  # type: ignore[no-any-return]

    def get_proxy_or_basic_from_call(self, function_name: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a remote function: a basic value back as it is, anything else as a proxy."""
        return self._call(function_name, args, kwargs, "auto", None)

    def get_proxy_or_basic_from_call_with_timeout(
        self, timeout: float | None, function_name: Any, args: Any, kwargs: Any
    ) -> Any:
        """:meth:`get_proxy_or_basic_from_call` with a timeout."""
        return self._call(function_name, args, kwargs, "auto", timeout)

    def create_empty_remote_proxy(self) -> RemoteProxy:
        """An empty proxy, to fill later with ``set_from_remote_proxy`` (in ``prepare``)."""
        return self._named(None, RemoteProxy)

    def create_empty_recursive_proxy(self) -> RecursiveProxy:
        """An empty recursive proxy, to fill later with ``set_from_remote_proxy``."""
        return RecursiveProxy(ProxyState(self, None))

    @staticmethod
    def isproxy(obj: Any) -> bool:
        """True for a proxy of a remote object."""
        return isinstance(obj, RemoteProxy)

    def declare_import(self, *modules: str) -> None:
        """Import ``modules`` now (when connected) and again on every new connection."""
        for module in modules:
            binding = Binding("import", module, "")
            self._bindings.append(binding)
            if self._link is not None and not self._link.broken:
                self._bind(binding, Deadline(self.default_timeout, "call"))

    def declare_module(self, name: str, source: str, filename: str = "") -> None:
        """Make module ``name`` from ``source`` on the target (in ``sys.modules`` and the
        namespace), now when connected and on every new connection."""
        if not name.isidentifier():
            raise ConfigurationError(f"{name!r} is not a module name")
        binding = Binding("module", name, source, filename)
        self._bindings[:] = [b for b in self._bindings if (b.kind, b.name) != ("module", name)]
        self._bindings.append(binding)
        if self._link is not None and not self._link.broken:
            try:
                self._bind(binding, Deadline(self.default_timeout, "call"))
            except RemoteError:  # a module that does not load is not sent again
                self._bindings.remove(binding)
                raise

    def declare_proxy(
        self, name: str, expression: str | None = None, *, spec: Any = None, recursive: bool = False
    ) -> RemoteProxy:
        """A proxy of ``name`` that follows recoveries; ``name = expression`` is run now (when
        connected) and on every new connection."""
        if expression is not None:
            binding = Binding("proxy", name, expression)
            self._bindings.append(binding)
            if self._link is not None and not self._link.broken:
                self._bind(binding, Deadline(self.default_timeout, "call"))
        proxy = self._named(name, RecursiveProxy if recursive else RemoteProxy, follows=True)
        if spec is not None:
            proxy.set_proxy_spec(spec)
        return proxy

    # -- asynchronous calls -------------------------------------------------------------

    def start_python(self, cmd: str) -> RemoteCall:
        """Start ``run_python(cmd)`` in the background: a job to wait for."""
        log.info("start_python on %s: %s", self.describe(), snippet(cmd, 200))
        call = self._request({"op": "eval", "src": cmd, "ret": "value"}, "run_python", job=True)
        assert isinstance(call, RemoteCall)
        return call

    def start_call(self, function: Any, *args: Any, **kwargs: Any) -> RemoteCall:
        """Start a call of a remote function (a name, a proxy or a proxy's method): a job."""
        call = self._call(function, args, kwargs, "value", None, job=True)
        assert isinstance(call, RemoteCall)
        return call

    def get_response(self, remotetimeout: RemoteTimeout, timeout: float | None = None) -> Any:
        """The reply of the call ``remotetimeout`` stands for, waiting up to ``timeout``."""
        if not isinstance(remotetimeout, RemoteTimeout) or remotetimeout.call is None:
            raise ConfigurationError(f"get_response needs a RemoteTimeout, got {remotetimeout!r}")
        value = remotetimeout.call.value(timeout)
        return remotetimeout.response_wrap(value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"
