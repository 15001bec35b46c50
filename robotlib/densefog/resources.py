"""Resources: their types, creating and tracking them, waiting until they are no longer busy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.densefog import DensefogResources, ResourceType
from robotlib._core.connections import UsesConnection
from robotlib._core.conversions import OnTimeoutName, poll_policy, seconds
from robotlib._core.logging import log_body
from robotlib.densefog.actions import merged
from robotlib.densefog.connection import DensefogConnection


def _ids(ids: Sequence[Any]) -> list[str]:
    """Ids given one by one or as lists (``@{ids}`` or ``${ids}``)."""
    found: list[str] = []
    for item in ids:
        if isinstance(item, (list, tuple)):
            found += [str(i) for i in item]
        else:
            found.append(str(item))
    return found


class ResourceKeywords(UsesConnection[DensefogConnection]):
    """Resource types, ``Create Densefog Resources``, waits and status assertions, deletion."""

    def _resources(self, rtype: str, ids: Sequence[Any]) -> DensefogResources:
        return self.connection.client.resources(rtype, _ids(ids))

    @keyword
    def register_densefog_resource_type(
        self,
        name: str,
        describe_action: str | None = None,
        ids_param: str | None = None,
        set_field: str | None = None,
        id_field: str | None = None,
        status_field: str | None = None,
        delete_action: str | None = None,
        delete_ids_param: str | None = None,
        create_action: str | None = None,
    ) -> ResourceType:
        """Say how resources of type ``name`` are described, created and deleted.

        Unregistered types follow the consumer apps' naming: ``instance`` is
        described by ``DescribeInstances`` with ``instanceIds``, listed in
        ``instanceSet`` with ``instanceId`` and ``status``, created by
        ``CreateInstances`` (its answer lists ``instanceIds``) and deleted by
        ``DeleteInstances``. Give only what differs.

        | Register Densefog Resource Type | volume | delete_action=ReleaseVolumes |
        """
        rtype = ResourceType.named(
            name,
            describe_action=describe_action,
            ids_param=ids_param,
            set_field=set_field,
            id_field=id_field,
            status_field=status_field,
            delete_action=delete_action,
            delete_ids_param=delete_ids_param,
            create_action=create_action,
        )
        logger.info(f"densefog {rtype.name}: {rtype}")
        return self.connection.client.register_resource_type(rtype)

    @keyword
    def create_densefog_resources(
        self,
        type: str,
        action: str | None = None,
        params: dict[str, Any] | None = None,
        **more: Any,
    ) -> dict[str, Any]:
        """Call a create action of resources of ``type``; return its answer's data.

        ``action`` defaults to ``Create<Things>``; the ids are read from the
        answer's ``<thing>Ids``. They are deleted when the test ends (by the
        library's ``cleanup`` policy, also after a failure), once they are no
        longer busy; the answer's job is tracked too. Parameters as in
        `Call Densefog Action`.

        | ${made}= | Create Densefog Resources | instance | count=${2} | name=web-${RUN} |
        | Wait For Densefog Resources | instance | ${made}[instanceIds] | status=active |
        """
        created = self.connection.client.create_resources(type, merged(params, more), action=action)
        self.ctx.track(created.resources)
        if created.job is not None:
            self.ctx.track(created.job)
        logger.info(f"created {created.resources.cleanup_summary()}")
        log_body("answer", json.dumps(created.data, default=str))
        data: dict[str, Any] = created.data
        return data

    @keyword
    def track_densefog_resources(self, type: str, *ids: Any) -> None:
        """Delete these resources of ``type`` when the test ends, as if this test made them.

        | ${data}= | Call Densefog Action | CreateInstances | count=${1} |
        | Track Densefog Resources | instance | ${data}[instanceIds] |
        """
        self.ctx.track(self._resources(type, ids))

    @keyword
    def wait_for_densefog_resources(
        self,
        type: str,
        *ids: Any,
        status: str | None = None,
        timeout: timedelta | None = None,
        poll: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> dict[str, str | None]:
        """Wait until none of ``ids`` is busy (a status ending in ``ing``); return their statuses.

        All of them are described with one call per poll round. ``status``, if
        given, is the status each must end in (``active``; ``deleted``): the
        keyword fails naming those that ended otherwise (``error``, or
        ``missing`` when the describe action no longer lists one). ``timeout``
        bounds the whole wait; ``on_timeout`` as in `Wait For Densefog Job`
        (``continue`` returns the statuses as they are).

        | ${statuses}= | Wait For Densefog Resources | instance | @{ids} | status=active |
        """
        found = self._resources(type, ids)
        statuses = found.wait(
            seconds(timeout, self.ctx.default_timeout),
            status=status,
            poll=poll_policy(poll),
            on_timeout="continue" if on_timeout == "continue" else "fail",
        )
        logger.info(f"densefog {found.type.name}(s): {json.dumps(statuses)}")
        return statuses

    @keyword
    def get_densefog_resource_status(self, type: str, id: str) -> str | None:
        """Return the status of resource ``id`` of ``type`` now (``None`` if it is not listed)."""
        return self._resources(type, [id]).refresh()[id]

    @keyword
    def densefog_resource_status_should_be(self, type: str, id: str, expected: str) -> None:
        """Fail unless resource ``id`` of ``type`` has the status ``expected`` now.

        | Densefog Resource Status Should Be | instance | ${id} | active |
        """
        actual = self.get_densefog_resource_status(type, id)
        if actual != expected:
            raise AssertionError(
                f"densefog {type} {id}: expected status {expected!r}, got {actual!r}"
            )

    @keyword
    def delete_densefog_resources(self, type: str, *ids: Any) -> Any:
        """Call the delete action of ``type`` for ``ids``; return its answer's data.

        A busy or deleted resource makes the service refuse (retCode 4105);
        wait with `Wait For Densefog Resources` first.
        """
        data = self._resources(type, ids).delete()
        log_body("answer", json.dumps(data, default=str))
        return data
