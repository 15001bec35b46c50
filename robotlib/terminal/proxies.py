"""Remote Python in targets: crl's RemoteRunner proxy keywords, run Python, calls as jobs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.terminal.agentjob import RemoteCall
from jobharness.backends.terminal.agentstream import RoutePython
from jobharness.backends.terminal.autorunner import AutoRunnerTerminal
from jobharness.backends.terminal.proxies import RemoteMethod, RemoteProxy
from jobharness.backends.terminal.spec import Route
from jobharness.cleanup import Resource
from jobharness.errors import ConfigurationError
from jobharness.redaction import snippet
from robotlib._core.connections import UsesConnection
from robotlib._core.context import LibraryContext
from robotlib.terminal.targets import DEFAULT, TargetKeywords

MAX_WALK = 1000
"""How many items of a returned list or dict are searched for proxies to release."""


def release(proxy: RemoteProxy) -> bool:
    """Let go of the remote object behind ``proxy`` now; False when it held none.

    The proxy becomes empty (using it raises ``InvalidProxySession``); its
    handle goes back to the agent in the next batch of releases.
    """
    state = proxy._jh
    target = state.target
    if target is None or target.handle is None:
        return False
    state.target = None
    state.methods.clear()
    return True


class ProxyKeywords(UsesConnection[TargetKeywords]):
    """Python in targets through the remote agent: terminals, proxies, calls and async calls.

    `Get Terminal` gives the target's remote Python (one agent per route,
    started on first use, recovered by itself when it dies). Proxies the
    keywords return are released when the test that made them ends (the
    library's ``cleanup``); a call started with `Start Call In Terminal` is a
    job, cancelled then if it still runs.
    """

    def __init__(self, context: LibraryContext, connection: TargetKeywords, **names: str) -> None:
        super().__init__(context, connection, **names)
        self.terminals: dict[Route, AutoRunnerTerminal] = {}

    # -- helpers ----------------------------------------------------------------------------

    def runner(self, terminal: Any) -> AutoRunnerTerminal:
        """``terminal`` itself (what `Get Terminal` returned) or the terminal of a target name."""
        if isinstance(terminal, AutoRunnerTerminal):
            return terminal
        if isinstance(terminal, str):
            return self.get_terminal(terminal)
        raise ConfigurationError(
            f"a terminal is what Get Terminal returns, or a target name; got "
            f"{type(terminal).__name__}"
        )

    def _tracked(self, value: Any) -> Any:
        """Track the proxies in ``value`` (a proxy, a list, tuple or dict of them) for release."""
        found: list[RemoteProxy] = []
        todo, seen = [value], 0
        while todo and seen < MAX_WALK:
            item = todo.pop()
            seen += 1
            if isinstance(item, RemoteProxy):
                found.append(item)
            elif isinstance(item, (list, tuple)):
                todo.extend(item)
            elif isinstance(item, dict):
                todo.extend(item.values())
        for proxy in found:
            if proxy._jh.target is not None and proxy._jh.target.handle is not None:
                self.ctx.track(_Release(proxy))
        return value

    # -- crl's keywords ---------------------------------------------------------------------

    @keyword
    def get_terminal(self, target: str = DEFAULT) -> AutoRunnerTerminal:
        """The remote Python of ``target``: an ``AutoRunnerTerminal`` (crl's ``RunnerTerminal``
        methods: ``run_python``, ``get_proxy_object`` ...).

        One per route, started on first use as a Python agent on a channel of the
        target's connection (no new login), and started again by itself when it
        dies. Its methods also work in Robot's extended variable syntax.

        | ${terminal}= | Get Terminal | node |
        | ${two}=      | Set Variable | ${terminal.run_python('1+1')} |
        """
        route = self.connection.route_of(target)
        runner = self.terminals.get(route)
        if runner is None:
            terminal = self.connection.terminal(target)
            runner = AutoRunnerTerminal(
                RoutePython(terminal),
                default_timeout=self.ctx.default_timeout,
                start_timeout=terminal.request_timeout,
            )
            self.terminals[route] = runner
        return runner

    @keyword
    def import_local_path_module_in_terminal(self, terminal: Any, path: str) -> None:
        """Send the local Python file ``path`` to ``terminal`` and import it there as a module.

        The module's name is the file's name without ``.py``; it is sent again
        after every recovery. Its source runs on the target (and is logged).

        | Import Local Path Module In Terminal | ${terminal} | ${CURDIR}/helpers.py |
        | ${proxy}= | Get Proxy Object In Terminal | ${terminal} | helpers |
        """
        runner = self.runner(terminal)
        local = Path(path)
        try:
            source = local.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"cannot read the module {path}: {exc}") from None
        logger.info(f"importing {local} in {runner.describe()} as {local.stem}")
        runner.initialize_if_needed()
        runner.declare_module(local.stem, source, str(local))

    @keyword
    def get_proxy_from_call_in_terminal(
        self, terminal: Any, remote_function: str, *args: Any, **kwargs: Any
    ) -> RemoteProxy:
        """Call ``remote_function`` (a name on the target, ``os.getcwd``) with ``args`` and
        ``kwargs``; return a proxy of what it returned (released when the test ends).

        Arguments are data (numbers, strings, bytes, lists, dicts) or proxies.

        | ${d}=           | Get Proxy From Call In Terminal | ${terminal} | dict | a=1 |
        | Should Be Equal | ${d.get('a')}                   | 1           |      |     |
        """
        runner = self.runner(terminal)
        proxy = runner.get_proxy_object_from_call(remote_function, *args, **kwargs)
        return self._tracked(proxy)  # type: ignore[no-any-return]

    @keyword
    def get_proxy_object_in_terminal(self, terminal: Any, remote_object: str) -> RemoteProxy:
        """A proxy of the object ``remote_object`` names on the target (``os``, ``os.path``).

        It follows the name: after a recovery it points at the new agent's
        object (import the module again with `Import Libraries In Terminal`
        or `Import Local Path Module In Terminal`, which recover by themselves).

        | ${os}=      | Get Proxy Object In Terminal | ${terminal} | os |
        | ${cwd}=     | Set Variable                 | ${os.getcwd()}  |
        """
        return self.runner(terminal).declare_proxy(remote_object)

    # -- more ---------------------------------------------------------------------------------

    @keyword
    def import_libraries_in_terminal(self, terminal: Any, *modules: str) -> None:
        """Import ``modules`` in ``terminal``, now and again after every recovery.

        | Import Libraries In Terminal | ${terminal} | os | json |
        """
        runner = self.runner(terminal)
        runner.initialize_if_needed()
        runner.declare_import(*modules)

    @keyword
    def run_python_in_terminal(
        self, terminal: Any, source: str, timeout: timedelta | None = None
    ) -> Any:
        """Run Python ``source`` in ``terminal``; the value of its last expression.

        ``source`` is an expression or statements (the last may be an
        expression); it is logged. The value comes back as data; what is not
        data (an open file, a socket) comes back as a proxy, released when the
        test ends. ``timeout`` defaults to the library's.

        | ${pid}= | Run Python In Terminal | ${terminal} | import os; os.getpid() |
        """
        runner = self.runner(terminal)
        value = runner.run_python(source, self._seconds(timeout))
        logger.info(f"run_python in {runner.describe()}: {snippet(repr(value), 200)}")
        return self._tracked(value)

    @keyword
    def call_proxy_method(self, proxy: RemoteProxy, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``method`` of ``proxy`` with ``args`` and ``kwargs``; what it returned.

        The same as Robot's ``${proxy.method(args)}``, with Robot's argument
        syntax. Data comes back as data; other objects as proxies, released
        when the test ends.

        | ${joined}= | Call Proxy Method | ${path} | join | a | b |
        """
        if not isinstance(proxy, RemoteProxy):
            raise ConfigurationError(f"not a proxy of a remote object: {type(proxy).__name__}")
        if not method.isidentifier():
            raise ConfigurationError(f"{method!r} is not a method name")
        return self._tracked(getattr(proxy, method)(*args, **kwargs))

    @keyword
    def start_call_in_terminal(
        self, terminal: Any, function: Any, *args: Any, **kwargs: Any
    ) -> RemoteCall:
        """Start a call of ``function`` in ``terminal`` and return at once: a job.

        ``function`` is a name on the target (``time.sleep``), a proxy or a
        proxy's method (``${proxy.method}``). `Get Call Result` waits for the
        value; `Wait For Command`, `Cancel Command` and JobLibrary's keywords
        work on the job. It is cancelled when the test ends if it still runs.

        | ${call}=   | Start Call In Terminal | ${terminal} | time.sleep | 1 |
        | ${value}=  | Get Call Result        | ${call}     |            |   |
        """
        if not isinstance(function, (str, RemoteProxy, RemoteMethod)):
            raise ConfigurationError(
                f"a function is a name, a proxy or a proxy's method; got {type(function).__name__}"
            )
        call = self.runner(terminal).start_call(function, *args, **kwargs)
        self.ctx.track(call)
        return call

    @keyword
    def start_python_in_terminal(self, terminal: Any, source: str) -> RemoteCall:
        """Start running Python ``source`` in ``terminal`` and return at once: a job.

        | ${call}=  | Start Python In Terminal | ${terminal} | import time; time.sleep(1); 42 |
        | ${value}= | Get Call Result          | ${call}     |                                |
        """
        call = self.runner(terminal).start_python(source)
        self.ctx.track(call)
        return call

    @keyword
    def get_call_result(self, call: RemoteCall, timeout: timedelta | None = None) -> Any:
        """Wait up to ``timeout`` (default: the library's) for ``call``; its value.

        A remote exception fails the keyword with the remote type, message and
        traceback; a call still running at the timeout fails it with
        ``RemoteTimeout`` and keeps running (ask again, or cancel it).
        """
        if not isinstance(call, RemoteCall):
            raise ConfigurationError(f"not a call started in a terminal: {type(call).__name__}")
        return self._tracked(call.value(self._seconds(timeout)))

    @keyword
    def release_proxy(self, proxy: RemoteProxy) -> None:
        """Release the remote object of ``proxy`` now (instead of at the end of the test)."""
        if not isinstance(proxy, RemoteProxy):
            raise ConfigurationError(f"not a proxy of a remote object: {type(proxy).__name__}")
        release(proxy)

    def _seconds(self, timeout: timedelta | None) -> float:
        return self.ctx.default_timeout if timeout is None else timeout.total_seconds()

    def close_all(self) -> None:
        """End every terminal's agent (crl's ``Close``)."""
        runners, self.terminals = list(self.terminals.values()), {}
        for runner in runners:
            runner.close()


class _Release(Resource):
    """A proxy to release when its test ends."""

    def __init__(self, proxy: RemoteProxy) -> None:
        target = proxy._jh.target
        summary = f"proxy of {target.describe() if target else 'nothing'}"
        super().__init__(summary, lambda: None, "release")
        self.proxy = proxy

    def clean_up(self) -> bool:
        """Release the proxy if it still holds its remote object."""
        return release(self.proxy)
