"""Where the saltant clients go: the configured API with its token, or an embedded server.

The embedded server makes its own admin token and announces it (with its
worker's log directory) in its ready file, so no token is ever put on a
command line. With a username and password (JWT login) the clients log in
instead; an embedded server then gets that user from a private file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jobharness.backends.saltant.client import SaltantClient
from jobharness.backends.saltant.settings import (
    SALTANT_LOGS_DIR,
    SALTANT_PASSWORD,
    SALTANT_TOKEN,
    SALTANT_URL,
    SALTANT_USERNAME,
)
from jobharness.errors import ConfigurationError
from jobharness.privatefiles import write_private
from jobharness.targets import Service, Settings, StartContext, Target, TargetSpec


def _login(settings: Settings) -> dict[str, Any]:
    """``username`` and ``password`` for JWT login when both are set; an error for just one."""
    username, password = settings[SALTANT_USERNAME.name], settings[SALTANT_PASSWORD.name]
    if bool(username.value) != bool(password.value):
        given, missing = (
            (username, SALTANT_PASSWORD) if username.value else (password, SALTANT_USERNAME)
        )
        raise ConfigurationError(
            f"saltant login: {given.setting.name} is set ({given.source}) but "
            f"{missing.name} is not: {missing.cli_option}, {' or '.join(missing.env)}, "
            f"ini {missing.name}, or the ${{{missing.name.upper()}}} Robot variable"
        )
    if not username.value:
        return {}
    return {"username": username.value, "password": password.value}


def _configured(settings: Settings) -> dict[str, Any] | None:
    url = settings[SALTANT_URL.name]
    login = _login(settings)
    if url.value is None:
        return None
    token = settings[SALTANT_TOKEN.name].value
    if not token and not login:
        raise ConfigurationError(
            f"saltant URL {url.value} ({url.source}) needs a token: "
            f"{SALTANT_TOKEN.cli_option}, {' or '.join(SALTANT_TOKEN.env)}, "
            "ini saltant_token, or the ${SALTANT_TOKEN} Robot variable; "
            "or a username and password (saltant_username, saltant_password)"
        )
    return {
        "url": url.value,
        "token": token,
        "logs_dir": settings[SALTANT_LOGS_DIR.name].value,
        **login,
    }


def _server_args(context: StartContext) -> list[str]:
    """Its data in the target's directory; ``faults`` (an option) are test-only races.

    A configured username and password become the server's login user, through a
    file only this user can read (never the command line).
    """
    args = ["--data-dir", str(context.workdir / "saltant-data")]
    login = _login(context.settings)
    if login:
        path = context.workdir / "saltant-login.json"
        write_private(path, json.dumps(login))
        args += ["--login-file", str(path)]
    for fault in context.options.get("faults", ()):
        args += ["--fault", fault]
    return args


def _embedded(infos: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    info = infos[-1]
    login = (
        {"username": info["login_username"], "password": info["login_password"]}
        if info.get("login_username")
        else {}
    )
    return {"url": info["url"], "token": info["token"], "logs_dir": info.get("logs_dir"), **login}


SALTANT_TARGET = TargetSpec(
    backend="saltant",
    settings=(SALTANT_URL, SALTANT_TOKEN, SALTANT_LOGS_DIR, SALTANT_USERNAME, SALTANT_PASSWORD),
    configured=_configured,
    services=(Service("saltant", _server_args),),
    embedded=_embedded,
    secrets=("token", "password"),
)
"""saltant's target: ``saltant_url`` with ``saltant_token`` or ``saltant_username`` and
``saltant_password`` (and ``saltant_logs_dir`` for job output), else ``jobharness serve
saltant``."""


def saltant_client(
    target: Target, username: str | None = None, password: str | None = None, **options: Any
) -> SaltantClient:
    """A :class:`SaltantClient` for ``target``, with its worker's log directory when known.

    With a username and password (given here, else in the target) the client logs in
    (JWT, renewed when it expires); otherwise it uses the target's token.
    """
    options.setdefault("logs_dir", target.info.get("logs_dir"))
    username = username or target.info.get("username")
    password = password or target.info.get("password")
    if username and password:
        return SaltantClient.login(target.url, username, password, **options)
    return SaltantClient(target.url, target.info["token"], **options)
