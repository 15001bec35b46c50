"""Actions: call one, assert on the error code it answers, read the banner."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.densefog import DensefogError, protocol
from jobharness.redaction import redact_mapping
from robotlib._core.connections import UsesConnection
from robotlib._core.logging import log_body
from robotlib.densefog.connection import DensefogConnection


def merged(params: dict[str, Any] | None, more: dict[str, Any]) -> dict[str, Any]:
    """The ``params`` dictionary and the free named arguments, the latter winning."""
    return {**(params or {}), **more}


class ActionKeywords(UsesConnection[DensefogConnection]):
    """``Call Densefog Action``, ``Densefog Action Should Fail``, ``Get Densefog Banner``."""

    def _log_call(self, action: str, params: dict[str, Any]) -> None:
        client = self.connection.client
        log_body(f"action {action}", client.redact(json.dumps(redact_mapping(params), default=str)))

    @keyword
    def call_densefog_action(
        self, action: str, params: dict[str, Any] | None = None, **more: Any
    ) -> Any:
        """Call ``action`` and return the ``data`` of its answer; fail on a non-zero retCode.

        Parameters come from the ``params`` dictionary and from free named
        arguments; Robot passes the latter as strings, so write numbers as
        ``${2}`` or use ``params=``. A failure names the action, the service,
        the retCode and message, ``resourceId`` and ``exceptionTag`` (the id of
        the request in the service's logs).

        | ${data}= | Call Densefog Action | DescribeInstances | instanceIds=${ids} |
        | ${data}= | Call Densefog Action | CreateInstances | count=${2} | name=web-${RUN} |
        """
        values = merged(params, more)
        self._log_call(action, values)
        data = self.connection.client.call_with(action, values)
        log_body("answer", json.dumps(data, default=str))
        return data

    @keyword
    def densefog_action_should_fail(
        self,
        code: int,
        action: str,
        params: dict[str, Any] | None = None,
        *,
        message: str | None = None,
        **more: Any,
    ) -> dict[str, Any]:
        """Call ``action``; fail unless it answers retCode ``code``. Return what came back.

        ``message``, if given, is a glob pattern the server's message must
        match (``*is busy now.``). Returns a dictionary with ``code``,
        ``message``, ``exceptionTag``, ``resourceId`` and ``data``.

        | Densefog Action Should Fail | 4104 | DeleteInstances | instanceIds=${{ ["inst-none"] }} |
        | ${e}= | Densefog Action Should Fail | 4105 | DeleteInstances |
        | ...   | params=${p} | message=*busy* |
        """
        values = merged(params, more)
        self._log_call(action, values)
        try:
            data = self.connection.client.call_with(action, values)
        except DensefogError as exc:
            if exc.code != int(code):
                raise AssertionError(f"expected retCode {code}, got: {exc}") from None
            if message is not None and not fnmatch.fnmatchcase(exc.message or "", message):
                raise AssertionError(
                    f"expected a message matching {message!r}, got: {exc.message!r}"
                ) from None
            logger.info(f"{action} answered retCode {exc.code} as expected: {exc.message}")
            return {
                "code": exc.code,
                "message": exc.message,
                protocol.EXCEPTION_TAG: exc.exception_tag,
                protocol.RESOURCE_ID: exc.resource_id,
                "data": exc.data,
            }
        raise AssertionError(
            f"expected {action} to answer retCode {code}, it succeeded with "
            f"{json.dumps(data, default=str)[:200]}"
        )

    @keyword
    def get_densefog_banner(self) -> str:
        """Return what ``GET /`` answers (``It's DenseFog API service.`` on a densefog service)."""
        return self.connection.client.banner()
