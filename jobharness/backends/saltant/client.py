"""The saltant API client: one session, the seven managers, token or JWT authentication.

Compared with saltant-py's ``Client`` it takes the same arguments and offers
the same managers, and in addition:

* the URL may be given with or without the ``/api/`` suffix and trailing slash;
* every request ends by its deadline (``default_timeout``, or the wait's),
  idempotent ones are retried on 502/503/504 and lost answers, and every
  failure is a :class:`~jobharness.errors.JobHarnessError` naming the URL;
* :meth:`SaltantClient.login` authenticates with a username and password (JWT)
  and renews the access token once it expires;
* the token never appears in a log line or an error text.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from jobharness.backends.saltant import protocol
from jobharness.backends.saltant.errors import (
    AuthenticationError,
    BadEnvironmentError,
    error_for_response,
)
from jobharness.backends.saltant.managers import (
    ContainerTaskInstanceManager,
    ContainerTaskTypeManager,
    ExecutableTaskInstanceManager,
    ExecutableTaskTypeManager,
    TaskQueueManager,
    TaskWhitelistManager,
    UserManager,
)
from jobharness.backends.saltant.protocol import DEFAULT_PAGE_SIZE, api_root
from jobharness.checks import flag, instance, shown, text, verify_option
from jobharness.deadline import parse_timeout
from jobharness.errors import ConfigurationError, ProtocolError
from jobharness.jobs import DEFAULT_TIMEOUT, PollPolicy
from jobharness.redaction import Redactor, snippet
from jobharness.resources import Closing
from jobharness.transport.http import HttpTransport, make_session
from jobharness.transport.retry import RetryPolicy

ENV_URL = "SALTANT_API_URL"
ENV_TOKEN = "SALTANT_AUTH_TOKEN"
DEFAULT_REQUEST_TIMEOUT = 90.0

SALTANT_POLL = PollPolicy(initial=0.05, factor=1.5, maximum=1.0)
"""Default polling of waits: a job that ends early is seen within ~0.1 s, later within 1 s."""


class SaltantClient(Closing):
    """API client for a saltant server.

    ``base_api_url`` is the API root (``/api/`` optional); ``auth_token`` a DRF
    token (sent as ``Authorization: Token ...``). ``default_timeout`` limits
    every request, ``wait_timeout`` every wait that is given no timeout.
    With ``test_if_authenticated`` (the default) the constructor checks the
    token with one ``GET users/`` and raises :class:`AuthenticationError` if
    the server refuses it.

    Managers (as in saltant-py): :attr:`executable_task_instances`,
    :attr:`container_task_instances`, :attr:`executable_task_types`,
    :attr:`container_task_types`, :attr:`task_queues`,
    :attr:`task_whitelists`, :attr:`users`.
    """

    def __init__(
        self,
        base_api_url: str,
        auth_token: str,
        default_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        test_if_authenticated: bool = True,
        *,
        verify: bool | str = True,
        retries: int = 3,
        wait_timeout: float = DEFAULT_TIMEOUT,
        poll: PollPolicy | None = None,
        auth_scheme: str = "Token",
        refresh_token: str | None = None,
        logs_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        auth_token = secret_text(auth_token, "auth_token")
        self.base_api_url = api_root(base_api_url)
        text(auth_scheme, "auth_scheme")
        flag(test_if_authenticated, "test_if_authenticated")
        instance(poll, PollPolicy, "poll")
        self.default_timeout = parse_timeout(default_timeout, "default_timeout")
        self.wait_timeout = parse_timeout(wait_timeout, "wait_timeout")
        self.poll = poll or SALTANT_POLL
        if logs_dir is not None and not isinstance(logs_dir, (str, os.PathLike)):
            raise ConfigurationError(f"logs_dir must be a directory path, got {shown(logs_dir)}")
        self.logs_dir = Path(logs_dir) if logs_dir else None
        self.redact = Redactor([auth_token, refresh_token])
        self._scheme = auth_scheme
        self._refresh_token = refresh_token
        self.session: requests.Session = make_session(verify=verify_option(verify))
        self._transport = HttpTransport(
            self.base_api_url,
            request_timeout=self.default_timeout,
            session=self.session,
            retry=RetryPolicy.build(retries),
            redactor=self.redact,
            error_factory=lambda response, message: error_for_response(
                response, message, self.redact
            ),
            server_name=protocol.SERVER_NAME,
        )
        self._set_token(auth_token)
        self.container_task_instances = ContainerTaskInstanceManager(self)
        self.container_task_types = ContainerTaskTypeManager(self)
        self.executable_task_instances = ExecutableTaskInstanceManager(self)
        self.executable_task_types = ExecutableTaskTypeManager(self)
        self.task_queues = TaskQueueManager(self)
        self.task_whitelists = TaskWhitelistManager(self)
        self.users = UserManager(self)
        if test_if_authenticated:
            self.test_authentication()

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_env(
        cls,
        default_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        environ: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> SaltantClient:
        """A client configured from ``SALTANT_API_URL`` and ``SALTANT_AUTH_TOKEN``.

        Raises :class:`BadEnvironmentError` naming the variable that is missing or empty.
        """
        env = os.environ if environ is None else environ
        for name in (ENV_URL, ENV_TOKEN):
            if not env.get(name):
                raise BadEnvironmentError(f"environment variable {name} is not defined")
        return cls(env[ENV_URL], env[ENV_TOKEN], default_timeout, **kwargs)

    @classmethod
    def login(
        cls,
        base_api_url: str,
        username: str,
        password: str,
        default_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        **kwargs: Any,
    ) -> SaltantClient:
        """Log in with a username and password (``POST token/``) and use the JWT it returns.

        The access token is renewed with the refresh token (``POST token/refresh/``)
        when the server says it expired.
        """
        root = api_root(base_api_url)
        username = text(username, "username")
        password = secret_text(password, "password")
        redact = Redactor([password])
        transport = HttpTransport(
            root,
            request_timeout=parse_timeout(default_timeout, "default_timeout"),
            redactor=redact,
            verify=kwargs.get("verify", True),
            error_factory=lambda response, message: error_for_response(response, message, redact),
            server_name=protocol.SERVER_NAME,
        )
        try:
            response = transport.request(
                "POST", protocol.TOKEN, json={"username": username, "password": password}
            )
            tokens = transport.json(response)
        finally:
            transport.close()
        access, refresh = (
            _field(tokens, "access", response.url),
            _field(tokens, "refresh", response.url),
        )
        return cls(
            root,
            access,
            default_timeout,
            auth_scheme="Bearer",
            refresh_token=refresh,
            **kwargs,
        )

    def _set_token(self, token: str) -> None:
        self.redact.add(token)
        self.session.headers["Authorization"] = f"{self._scheme} {token}"

    # -- requests --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """The absolute URL of an API path (``users/`` -> ``http://h/api/users/``)."""
        return self._transport.url(path)

    def request(
        self,
        method: str,
        path: str,
        *,
        expect: Collection[int] = (200,),
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request to ``path`` (relative to the API root); return the response.

        A status outside ``expect`` raises the matching :mod:`~.errors` class.
        Under JWT, an expired access token is renewed once and the request sent again
        (the server refused it before acting on it).
        """
        try:
            return self._transport.request(method, path, expect=expect, **kwargs)
        except AuthenticationError as exc:
            if not self._refresh_token or "token_not_valid" not in exc.body:
                raise
            self._renew_access()
            return self._transport.request(method, path, expect=expect, **kwargs)

    def call(
        self, method: str, path: str, *, expect: Collection[int] = (200,), **kwargs: Any
    ) -> Any:
        """Like :meth:`request`, returning the decoded JSON body (a ProtocolError if it is not)."""
        return self._transport.json(self.request(method, path, expect=expect, **kwargs))

    def pages(
        self,
        path: str,
        params: Mapping[str, str],
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
    ) -> Iterator[list[Any]]:
        """Yield the ``results`` of each page of a list, following ``next`` to the end.

        The query of ``next`` is re-applied to ``path`` on this client's API root, so a
        server behind a proxy that announces another host still works. At most
        ``max_pages`` pages are read when it is given.
        """
        query: dict[str, str] = {**params, "page_size": str(page_size)}
        count = 0
        while True:
            response = self.request("GET", path, params=query)
            data = self._transport.json(response)
            source = f"GET {self.redact(response.url)}"
            if not isinstance(data, dict) or not isinstance(data.get("results"), list):
                raise ProtocolError(
                    f"{source}: expected a page with a 'results' list, got {snippet(repr(data))}",
                    url=response.url,
                    snippet=snippet(repr(data)),
                )
            yield data["results"]
            count += 1
            following = data.get("next")
            if not following or (max_pages is not None and count >= max_pages):
                return
            if not isinstance(following, str):
                raise ProtocolError(f"{source}: 'next' is not a URL: {following!r}", response.url)
            query = dict(parse_qsl(urlsplit(following).query, keep_blank_values=True))

    def test_authentication(self) -> None:
        """Check the credentials with one ``GET users/``; raise AuthenticationError if refused."""
        try:
            response = self.request("GET", protocol.USERS, params={"page_size": "1"})
        except AuthenticationError as exc:
            raise AuthenticationError(
                f"saltant at {self.base_api_url} refused the credentials: {exc.status} {exc.body}",
                url=exc.url,
                status=exc.status,
                body=exc.body,
                response=exc.response,
            ) from None
        data = self._transport.json(response)
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            shown_data = self.redact(snippet(repr(data)))
            raise ProtocolError(
                f"GET {self.redact(response.url)}: the token check got a 200 answer that is not "
                f"a page of users (a saltant API answers {{'results': [...]}}), got {shown_data}; "
                "is the URL the API root of a saltant server?",
                url=response.url,
                snippet=shown_data,
            )

    def _renew_access(self) -> None:
        data = self.call("POST", protocol.TOKEN_REFRESH, json={"refresh": self._refresh_token})
        self._set_token(_field(data, "access", self.url(protocol.TOKEN_REFRESH)))

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections."""
        self._transport.close()

    def __repr__(self) -> str:
        return f"<SaltantClient {self.base_api_url} ({self._scheme} auth)>"


def secret_text(value: Any, what: str) -> str:
    """The text of a token or password (a ``str``, or a Robot ``Secret``), never empty.

    The message never shows the value.
    """
    value = getattr(value, "value", value)
    if not isinstance(value, str):
        raise ConfigurationError(
            f"saltant {what} must be text, got a {type(value).__name__} (value not shown)"
        )
    if not value.strip():
        raise ConfigurationError(f"saltant {what} is empty")
    return value


def _field(data: Any, name: str, url: str) -> str:
    """A non-empty string field of a JSON object, else a ProtocolError (value never shown)."""
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"POST {url}: the answer has no {name!r} token", url=url)
    return value


from_env = SaltantClient.from_env
"""Shortcut for :meth:`SaltantClient.from_env` (as ``saltant.client.from_env``)."""
