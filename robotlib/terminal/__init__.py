"""TerminalLibrary: commands, copies and interactive sessions on ssh targets; crl's RemoteRunner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api.deco import keyword, library

from jobharness.backends.terminal.target import TERMINAL_TARGET
from jobharness.cleanup import CLEANUP_TIMEOUT, CleanupPolicy
from jobharness.jobs import DEFAULT_TIMEOUT
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import LibraryCleanup, LibraryDuration, seconds
from robotlib._core.jobs import CleanupKeywords, ResultKeywords
from robotlib._core.library import Component, ComponentLibrary
from robotlib.terminal.commands import CommandKeywords, CommandStates, CommandWaits
from robotlib.terminal.files import FileKeywords
from robotlib.terminal.proxies import ProxyKeywords
from robotlib.terminal.results import RunResult
from robotlib.terminal.sessions import SESSION, SessionKeywords
from robotlib.terminal.targets import TargetKeywords

DEFAULT_REQUEST_TIMEOUT = 30.0
NAMES = {
    "noun": "Command",
    "plural": "Commands",
    "what": "command",
    "returns": "its result (``status``, ``stdout``, ``stderr``)",
    "returns_many": "their results",
}

__all__ = ["RunResult", "TerminalLibrary"]


class CloseKeyword(Component):
    """crl's ``Close``."""

    def __init__(
        self,
        context: LibraryContext,
        targets: TargetKeywords,
        commands: CommandKeywords,
        sessions: SessionKeywords,
        proxies: ProxyKeywords,
    ) -> None:
        super().__init__(context)
        self.targets, self.commands, self.sessions = targets, commands, sessions
        self.proxies = proxies

    @keyword("Close")
    def close_everything(self) -> None:
        """Kill the background executions, end the remote Pythons, close the interactive
        sessions and the connections, and forget the targets (crl's ``Close``, for the end
        of suites sharing targets).

        The next keyword connects again. Processes of `Execute Nohup Background In
        Target` keep running until the run ends.
        """
        self.commands.cancel_all()
        self.proxies.close_all()
        self.sessions.close_all_interactive_sessions()
        self.targets.close_all()


@library(scope="GLOBAL", listener="SELF", auto_keywords=False)
class TerminalLibrary(ComponentLibrary):
    """Run commands, copy files and drive interactive shells on ssh targets.

    A suite written for crl.interactivesessions' ``RemoteRunner`` moves over
    by changing its ``Library`` line: the keywords, their arguments and
    results are crl's (`Set Target`, `Execute Command In Target`, the
    background executions, the copies, `Close`).

    == Targets ==

    A target is a name for a route: `Set Target` takes a list of shell dicts
    as crl writes them (``host``, ``port``, ``user`` or ``username``,
    ``password``; ``shellname`` for crl's other shells such as ``SudoShell``
    or ``NamespaceShell``) or with jobharness's ``kind`` (``ssh``, ``sudo``,
    ``su``, ``namespace``, ``prompt``, ``local``). The target ``default``
    needs no `Set Target`: it is the host of the ``terminal_host`` setting
    (``--variable TERMINAL_HOST:...`` or ``JOBHARNESS_TERMINAL_HOST``, with
    ``TERMINAL_USER``, ``TERMINAL_PASSWORD``, ``TERMINAL_KEY_FILE`` ...) or,
    when none is set, a private sshd started on 127.0.0.1 for the run.

    Each route logs in once (an OpenSSH ControlMaster): every command, copy
    and interactive session of its targets goes through that connection, so
    `Set Target` in every test's setup costs nothing. A command is one round
    trip that gives its status, standard output and standard error apart.

    == Security ==

    Host keys are always checked; a changed key is always refused. An ssh
    hop that does not say otherwise checks its host's key against
    ``known_hosts`` (ssh's own file by default) and refuses an unknown one;
    ``host_key_policy=accept-new`` (a library argument, or a hop's
    ``host_key_policy``) accepts an unknown key once and remembers it.
    Passwords go to ssh through an askpass helper or to ``sudo``/``su`` on
    standard input, never on a command line, and are masked in everything
    the library logs or raises. Robot logs keyword arguments at TRACE level:
    give passwords as ``Secret`` values (Robot 7.4+); the library warns when
    a plain one is logged.

    == Interactive sessions ==

    For what really is interactive (prompts, passwords, pagers, CLIs):
    `Open Interactive Session` by alias, `Write`, `Write Bare`,
    `Write Secret`, `Read`, `Read Until`, `Read Until Regexp`,
    `Read Until Prompt`, `Execute Command In Session`. Every read has a
    timeout; reading is linear in the output's length.

    == Remote Python ==

    crl's proxy keywords by the same names: `Get Terminal` (a remote Python
    agent of the target, recovered by itself), `Import Local Path Module In
    Terminal`, `Get Proxy From Call In Terminal`, `Get Proxy Object In
    Terminal`; and `Run Python In Terminal`, `Call Proxy Method` (or Robot's
    ``${proxy.method()}``), `Start Call In Terminal` and `Get Call Result`
    (the call is a job). Only data comes back from the target: values, or
    proxies of remote objects, released when the test that made them ends.
    With the target property ``through_agent`` set, `Execute Command In
    Target` and the single-file copies go through that agent too, one round
    trip each.

    == Commands as jobs ==

    `Start Command In Target` returns a job: `Wait For Command`,
    `Command State Should Be`, `Cancel Command` and JobLibrary's keywords
    work on it (and on what `Execute Background Command In Target` returns).

    == Cleanup ==

    Commands a test left running are killed when it ends (library argument
    ``cleanup=test``, the default; ``suite`` or ``never``): SIGTERM to their
    process group, SIGKILL after the target's ``termination_timeout``.
    Interactive sessions close with the suite that opened them; connections
    when the run ends, or at `Close`.

    == Example ==

    | ***** Settings *****
    | Library    robotlib.TerminalLibrary
    | Test Setup    Set Target    ${SHELLDICTS}    name=node
    |
    | ***** Test Cases *****
    | Hello
    |     ${result}=    Execute Command In Target    echo hello    target=node
    |     Should Be Equal    ${result.stdout}    hello
    """

    backend = "terminal"

    def __init__(
        self,
        cleanup: LibraryCleanup = "test",
        timeout: LibraryDuration = timedelta(seconds=DEFAULT_TIMEOUT),
        request_timeout: LibraryDuration = timedelta(seconds=DEFAULT_REQUEST_TIMEOUT),
        cleanup_timeout: LibraryDuration = timedelta(seconds=CLEANUP_TIMEOUT),
        host_key_policy: str = "strict",
        known_hosts: str | None = None,
    ) -> None:
        """``cleanup`` says when commands left running are killed (``test``, ``suite`` or
        ``never``); ``timeout`` is the default of every wait, command and read;
        ``request_timeout`` how long a login or a command's start may take;
        ``cleanup_timeout`` how long the cleanup at the end of a test or suite
        may take. ``host_key_policy`` (``strict``, the default, or ``accept-new``)
        and ``known_hosts`` apply to ssh hops that do not set them.
        """
        context = LibraryContext(
            "terminal",
            TERMINAL_TARGET,
            cleanup=cleanup,
            cleanup_timeout=cleanup_timeout,
            timeout=timeout,
            kinds=(SESSION,),
        )
        request = seconds(request_timeout, DEFAULT_REQUEST_TIMEOUT, "request_timeout")
        self.targets = TargetKeywords(
            context, request, host_key_policy=host_key_policy, known_hosts=known_hosts
        )
        self.commands = CommandKeywords(context, self.targets)
        self.sessions = SessionKeywords(context, self.targets)
        self.proxies = ProxyKeywords(context, self.targets)
        super().__init__(
            context,
            [
                self.targets,
                self.commands,
                FileKeywords(context, self.targets),
                self.sessions,
                self.proxies,
                CloseKeyword(context, self.targets, self.commands, self.sessions, self.proxies),
                CommandWaits(context, **NAMES),
                CommandStates(context, **NAMES),
                ResultKeywords(context, **NAMES),
                CleanupKeywords(context, **NAMES),
            ],
        )

    def start_suite(self, data: Any, result: Any) -> None:
        """Listener: open the suite's cleanup scope; its sessions close with it."""
        super().start_suite(data, result)
        self.sessions.suite_started()

    def end_suite(self, data: Any, result: Any) -> None:
        """Listener: clean up the suite's leftovers and close the sessions it opened."""
        try:
            super().end_suite(data, result)
        finally:
            self.sessions.suite_ended()

    def close(self) -> None:
        """Listener: stop nohup processes, clean up, close sessions and connections, then stop
        the embedded sshd."""
        try:
            self.commands.stop_nohups()
            if self.ctx.cleanup_policy is not CleanupPolicy.NEVER:
                self.ctx.report(self.ctx.tracker.clean_up_all())
        finally:
            self.proxies.close_all()
            self.sessions.close_all_interactive_sessions()
            self.targets.close_all()
            super().close()
