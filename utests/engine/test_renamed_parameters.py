"""``timeout`` means how long a call waits; the request timeout's old spelling still works."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from jobharness.backends.harp import HarpCaller, HarpServer
from jobharness.backends.sandbox import ASandbox, Sandbox
from jobharness.errors import ConfigurationError


def _async_sandbox(**options: Any) -> ASandbox:
    async def make() -> ASandbox:
        client = ASandbox("http://127.0.0.1:1/", **options)
        await client.close()
        return client

    return asyncio.run(make())


CLIENTS: dict[str, Callable[..., Any]] = {
    "Sandbox": lambda **o: Sandbox("http://127.0.0.1:1/", **o),
    "ASandbox": _async_sandbox,
    "HarpCaller": lambda **o: HarpCaller("127.0.0.1", 1, **o),
    "HarpServer": lambda **o: HarpServer("127.0.0.1", "u", "pw", 1, **o),
}


@pytest.mark.parametrize("name", CLIENTS)
def test_old_timeout_keyword_sets_the_request_timeout_with_a_warning(name: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"{name}: .*'timeout'.*write request_timeout="):
        client = CLIENTS[name](timeout=7)
    assert client.request_timeout == 7 and client.timeout == 7


@pytest.mark.parametrize("name", CLIENTS)
def test_new_keyword_without_warning(name: str, recwarn: pytest.WarningsRecorder) -> None:
    assert CLIENTS[name](request_timeout=3).request_timeout == 3
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]


@pytest.mark.parametrize("name", CLIENTS)
@pytest.mark.parametrize("bad", [-1, float("nan"), "soon", float("inf")])
def test_unusable_request_timeouts_are_refused(name: str, bad: object) -> None:
    with pytest.raises(ConfigurationError, match="request_timeout must be a finite duration"):
        CLIENTS[name](request_timeout=bad)


def test_positional_request_timeout_keeps_working() -> None:
    assert Sandbox("http://127.0.0.1:1/", 12).request_timeout == 12
    assert HarpCaller("127.0.0.1", 1, 12).request_timeout == 12
