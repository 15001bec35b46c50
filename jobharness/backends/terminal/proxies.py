"""Proxies of remote objects: what they point at, what they know, and crl's methods.

A proxy points at a :class:`Target`: a :class:`Handle` (an object the agent
keeps for us, by id) or a name in the agent's namespace (``os.path``), plus
an attribute path. A handle is released, in a batch with others, when the
last local holder is collected (``weakref.finalize``, never ``__del__``).

Every target carries the *epoch* of the connection it was made on; after a
recovery a proxy of an older epoch raises
:class:`~jobharness.backends.terminal.runner_errors.InvalidProxySession`
before anything is sent. Proxies declared with
:meth:`~jobharness.backends.terminal.runner.RunnerTerminal.declare_proxy`
(and names proxied before the first connection) follow the current one.

* :class:`RemoteProxy` (crl's ``_RemoteProxy``): calls return data, or
  proxies for what is not data; attributes the spec says are callable are
  methods (one round trip per call), others are fetched by value.
* :class:`RecursiveProxy` (crl's ``_RecursiveProxy``): every step returns a
  basic value (None, bool, int, float, str, bytes) or another recursive
  proxy, in one round trip; a step to a method the spec knows costs none.

A spec (``dir()`` split into callables and others) comes with the first
reference of each type; for names it is fetched once per connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from jobharness.backends.terminal.handles import Handle, Spec, Target
from jobharness.backends.terminal.runner_errors import InvalidProxySession, RemoteTimeout
from jobharness.backends.terminal.wire import RemoteFn, RemoteName, RemoteRef
from jobharness.errors import ConfigurationError

if TYPE_CHECKING:
    from jobharness.backends.terminal.agentjob import RemoteCall
    from jobharness.backends.terminal.agentlink import AgentLink
    from jobharness.backends.terminal.runner import RunnerTerminal


class ProxyState:
    """Everything a proxy knows, kept in its one slot so no remote name is shadowed."""

    __slots__ = ("asynchronous", "local_spec", "methods", "runner", "spec", "target", "timeout")

    def __init__(
        self,
        runner: RunnerTerminal,
        target: Target | None,
        spec: Spec | None = None,
        timeout: float | None = None,
    ) -> None:
        self.runner = runner
        self.target = target
        self.spec = spec
        self.local_spec: Spec | None = None
        self.timeout = timeout
        self.asynchronous = False
        self.methods: dict[str, RemoteMethod] = {}

    def live_target(self) -> Target:
        """The target, checked: a proxy of an earlier connection, or an empty one, fails here."""
        target = self.target
        if target is None:
            raise InvalidProxySession(
                "this proxy is empty: its remote object was released (at the end of the test "
                "that made it, say), or it was handed over with set_from_remote_proxy, or made "
                "empty; fill it with set_from_remote_proxy"
            )
        if target.epoch is not None and target.epoch != self.runner.epoch:
            raise InvalidProxySession(
                f"the proxy of {target.describe()} belongs to connection {target.epoch}, and the "
                f"runner is on connection {self.runner.epoch} now: make it again "
                "(or declare it with declare_proxy to have it follow recoveries)"
            )
        return target

    def call_timeout(self) -> float | None:
        """The timeout of this proxy's calls (negative: asynchronous)."""
        return -1.0 if self.asynchronous else self.timeout

    def callable(self, name: str) -> bool | None:
        """Whether attribute ``name`` is callable, by the local spec, else the remote one."""
        if self.local_spec is not None:
            return self.local_spec.callable(name) or False
        if self.spec is None:
            self.spec = spec_of(self.runner, self.live_target())
        return self.spec.callable(name) if self.spec is not None else None


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


class RemoteProxy:
    """A remote object used like a local one (crl's ``_RemoteProxy``).

    Attribute reads, calls, item access and assignments go to the agent;
    ``repr()``, truth and the crl methods below stay local. Names with two
    leading and trailing underscores are never looked up remotely.
    """

    __slots__ = ("_jh",)
    _jh: ProxyState
    _mode = "value"

    def __init__(self, state: ProxyState) -> None:
        object.__setattr__(self, "_jh", state)

    # -- crl's methods ------------------------------------------------------------------

    def as_local_value(self) -> Any:
        """A local copy of the remote object (data; proxies for what is not data)."""
        return proxy_op(self._jh, "get", (), {}, "value", "as_local_value")

    def as_recursive_proxy(self) -> RecursiveProxy:
        """A :class:`RecursiveProxy` of the same remote object."""
        state = self._jh
        state.live_target()
        return RecursiveProxy(ProxyState(state.runner, state.target, state.spec, state.timeout))

    def get_proxy_handle(self) -> str:
        """An expression naming the remote object in the agent's namespace (for run_python)."""
        return self._jh.live_target().expression()

    def set_remote_proxy_timeout(self, timeout: float | None) -> None:
        """The timeout of this proxy's calls: seconds, ``None`` for the runner's default, or
        negative for asynchronous calls (they return a RemoteTimeout handle at once)."""
        state = self._jh
        state.asynchronous = timeout is not None and timeout < 0
        state.timeout = None if timeout is None or timeout < 0 else float(timeout)

    def remote_proxy_use_synchronous_response(self) -> None:
        """Calls wait for their replies (the default)."""
        self._jh.asynchronous = False

    def remote_proxy_use_asynchronous_response(self) -> None:
        """Calls return a RemoteTimeout handle at once; fetch with get_remote_proxy_response."""
        self._jh.asynchronous = True

    def get_remote_proxy_response(
        self, remotetimeout: RemoteTimeout, timeout: float | None = None
    ) -> Any:
        """The reply of a call that timed out or was asynchronous (waits up to ``timeout``)."""
        return self._jh.runner.get_response(remotetimeout, timeout)

    def set_from_remote_proxy(self, proxy: RemoteProxy) -> None:
        """Take over what ``proxy`` points at; ``proxy`` is left empty (crl's semantics)."""
        if not isinstance(proxy, RemoteProxy):
            raise ConfigurationError(
                f"set_from_remote_proxy needs a proxy, got {type(proxy).__name__}"
            )
        mine, theirs = self._jh, proxy._jh
        mine.runner, mine.target, mine.spec = theirs.runner, theirs.target, theirs.spec
        mine.local_spec, mine.timeout = theirs.local_spec, theirs.timeout
        mine.asynchronous, mine.methods = theirs.asynchronous, {}
        if proxy is not self:
            theirs.target, theirs.methods = None, {}

    def set_proxy_spec(self, local_spec: Any) -> None:
        """Use a local class (or object) to know which attributes are methods."""
        self._jh.local_spec = Spec.from_local(local_spec)
        self._jh.methods = {}

    # -- the remote object --------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if _is_dunder(name):
            raise AttributeError(name)
        state = self._jh
        method = state.methods.get(name)
        if method is not None:
            state.live_target()
            return method
        if state.callable(name):
            method = state.methods[name] = RemoteMethod(state, name, type(self))
            return method
        return proxy_op(state, "get", (), {}, self._mode, name, path=(name,), cls=type(self))

    def __setattr__(self, name: str, value: Any) -> None:
        self._fn("setattr", name, value)

    def __delattr__(self, name: str) -> None:
        self._fn("delattr", name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        state = self._jh
        return proxy_op(state, "call", args, kwargs, self._mode, "call", cls=type(self))

    def __getitem__(self, key: Any) -> Any:
        return self._fn("getitem", key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._fn("setitem", key, value)

    def __delitem__(self, key: Any) -> None:
        self._fn("delitem", key)

    def __len__(self) -> int:
        return int(self._fn("len", mode="value"))

    def __contains__(self, item: Any) -> bool:
        return bool(self._fn("contains", item, mode="value"))

    def __bool__(self) -> bool:
        return True

    def _fn(self, fn: str, *args: Any, mode: str | None = None) -> Any:
        """Apply one of the agent's fixed operations to the remote object."""
        state = self._jh
        return proxy_op(
            state, "fn", (self, *args), {}, mode or self._mode, fn, fn=RemoteFn(fn), cls=type(self)
        )

    def __repr__(self) -> str:
        target = self._jh.target
        where = target.describe() if target is not None else "empty"
        return f"<{type(self).__name__} {where}>"

    def __dir__(self) -> list[str]:
        state = self._jh
        spec = state.local_spec or state.spec
        names = set(spec.callables | spec.others) if spec is not None else set()
        return sorted(names | set(dir(type(self))))

    def __reduce__(self) -> Any:
        raise TypeError("a remote proxy cannot be pickled: use as_local_value() for its data")


class RecursiveProxy(RemoteProxy):
    """A proxy whose every attribute, call and item is a basic value or another recursive proxy.

    crl's ``_RecursiveProxy``: basic values (None, bool, int, float, str,
    bytes) come back as values, anything else as a recursive proxy, each
    step in one round trip.
    """

    __slots__ = ()
    _mode = "auto"

    def __getattr__(self, name: str) -> Any:
        if _is_dunder(name):
            raise AttributeError(name)
        state = self._jh
        target = state.live_target()
        if state.spec is not None and state.spec.callable(name):
            return RecursiveProxy(ProxyState(state.runner, target.child(name), None, state.timeout))
        return proxy_op(state, "get", (), {}, "auto", name, path=(name,), cls=RecursiveProxy)

    def __iter__(self) -> Iterator[Any]:
        iterator = self._fn("iter", mode="ref")
        return iter(_Iteration(iterator))

    def __next__(self) -> Any:
        return self._fn("next")

    def __str__(self) -> str:
        return str(self._fn("str", mode="value"))


class _Iteration:
    """Local iteration over a remote iterator: one round trip per item."""

    def __init__(self, iterator: RecursiveProxy) -> None:
        self.iterator = iterator

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                yield next(self.iterator)
            except StopIteration:
                return


class RemoteMethod:
    """A method of a remote object: calling it is one round trip."""

    __slots__ = ("_cached", "cls", "name", "state")

    def __init__(self, state: ProxyState, name: str, cls: type[RemoteProxy]) -> None:
        self.state = state
        self.name = name
        self.cls = cls
        self._cached: tuple[Target, Target, RemoteRef | RemoteName, str] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        state = self.state
        base = state.live_target()
        cached = self._cached
        if cached is None or cached[0] is not base:  # made once per target
            target = base.child(self.name)
            cached = self._cached = (base, target, target.wire(), f"{target.describe()}(...)")
        payload: dict[str, Any] = {"op": "call", "obj": cached[2], "ret": self.cls._mode}
        if args:
            payload["args"] = list(args)
        if kwargs:
            payload["kwargs"] = kwargs
        timeout = state.call_timeout()
        try:
            return state.runner._request(
                payload, cached[3], timeout=timeout, cls=self.cls, proxy_timeout=state.timeout
            )
        except RemoteTimeout as handle:
            if state.asynchronous:
                return handle
            raise

    def start(self, *args: Any, **kwargs: Any) -> RemoteCall:
        """Call it in the background: a job (a ``RemoteCall``)."""
        mode, path = self.cls._mode, (self.name,)
        call: RemoteCall = proxy_op(
            self.state, "call", args, kwargs, mode, self.name, path=path, cls=self.cls, job=True
        )
        return call

    def target(self) -> Target:
        """The method's target (its proxy's, one step further)."""
        return self.state.live_target().child(self.name)

    def __repr__(self) -> str:
        target = self.state.target
        return f"<RemoteMethod {target.describe() if target else 'empty'}.{self.name}>"


def wire_target(
    value: Any, keep: list[Handle], runner: RunnerTerminal
) -> RemoteRef | RemoteName | None:
    """The wire form of a proxy or method sent to ``runner`` (its handle kept alive), else None."""
    if isinstance(value, RemoteProxy):
        state = value._jh
        target = state.live_target()
    elif isinstance(value, RemoteMethod):
        state, target = value.state, value.target()
    else:
        return None
    if state.runner is not runner:
        raise InvalidProxySession(
            f"the proxy of {target.describe()} belongs to another runner: {state.runner!r}"
        )
    if target.handle is not None:
        keep.append(target.handle)
    return target.wire()


ProxyFactory = Callable[[dict[str, Any]], Any]


# -- the plumbing between proxies and the runner -----------------------------------------


def ref_factory(
    runner: RunnerTerminal, link: AgentLink, cls: type[RemoteProxy], timeout: float | None
) -> ProxyFactory:
    """What turns a reply's references into ``cls`` proxies (their specs are cached)."""
    epoch, specs = link.epoch, runner._specs

    def make(ref: dict[str, Any]) -> RemoteProxy:
        sid = ref.get("spec")
        if "specdef" in ref and type(sid) is int:
            specs[(epoch, sid)] = Spec.from_wire(ref["specdef"])
        spec = specs.get((epoch, sid)) if type(sid) is int else None
        handle = Handle(ref["$ref"], epoch, str(ref.get("type", "?")), link.releases)
        return cls(ProxyState(runner, Target(handle=handle, epoch=epoch), spec, timeout))

    return make


def spec_of(runner: RunnerTerminal, target: Target) -> Spec | None:
    """The spec of a named target (fetched once per connection and name)."""
    key = (runner.epoch, target.expression())
    if key not in runner._specs:
        payload = {"op": "spec", "obj": target.wire(), "ret": "value"}
        reply = runner._request(payload, f"the spec of {target.describe()}")
        spec = reply.get("spec") if isinstance(reply, dict) else None
        runner._specs[key] = Spec.from_wire(spec)
    return runner._specs[key]


def proxy_op(
    state: ProxyState,
    op: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    mode: str,
    what: str,
    *,
    path: tuple[str, ...] = (),
    cls: type[RemoteProxy] = RemoteProxy,
    fn: RemoteFn | None = None,
    job: bool = False,
) -> Any:
    """One operation of a proxy: ``get`` (a value), ``call``, or ``fn`` (an agent function)."""
    target = state.live_target()
    for part in path:
        target = target.child(part)
    if op == "fn":
        payload: dict[str, Any] = {"op": "call", "obj": fn, "args": list(args), "ret": mode}
        what = f"{what}({target.describe()})"
    elif op == "call":
        payload = {"op": "call", "obj": target.wire(), "args": list(args), "kwargs": kwargs}
        payload["ret"], what = mode, f"{target.describe()}(...)"
    else:
        payload, what = {"op": "get", "obj": target.wire(), "ret": mode}, target.describe()
    timeout = state.call_timeout()
    try:
        return state.runner._request(
            payload, what, timeout=timeout, cls=cls, proxy_timeout=state.timeout, job=job
        )
    except RemoteTimeout as handle:
        if state.asynchronous and timeout is not None and timeout < 0:
            return handle
        raise
