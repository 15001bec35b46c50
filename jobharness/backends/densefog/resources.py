"""Resources of a densefog service: their types, waits until they are no longer busy, deletion.

A :class:`ResourceType` says which actions and fields describe and delete one
kind of resource; :meth:`ResourceType.named` derives them from the noun as the
consumer apps name them (``instance``: ``DescribeInstances`` with
``instanceIds``, answering ``instanceSet`` items with ``instanceId`` and
``status``; ``DeleteInstances``). :class:`DensefogResources` are resources of
one type: refreshed with one describe call, waited for through the engine's
wait (one describe call per poll round for all of them, whatever their number
up to the type's page size), and deleted at cleanup once they are no longer busy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from jobharness.backends.densefog import names, protocol
from jobharness.backends.densefog.errors import (
    ResourceIsBusy,
    ResourceIsDeleted,
    ResourceNotFound,
)
from jobharness.deadline import current
from jobharness.errors import CleanupRefused, ConfigurationError, JobFailed
from jobharness.jobs import DEFAULT_TIMEOUT, Job, JobResult, JobState, OnTimeout, PollPolicy
from jobharness.waiting import wait_for as engine_wait_for

if TYPE_CHECKING:
    from jobharness.backends.densefog.client import DensefogClient
    from jobharness.backends.densefog.job import DensefogJob

MISSING = "missing"
"""The status a resource has when its describe action no longer lists it."""
RESOURCE_POLL = PollPolicy(initial=0.05, factor=1.5, maximum=1.0)
DELETE_ATTEMPTS = 5


class ResourceStatusError(JobFailed):
    """A resource ended its busy time in another status than the one required."""


@dataclass(frozen=True)
class ResourceType:
    """How one kind of resource is described and deleted (see :meth:`named` for the defaults)."""

    name: str
    describe_action: str
    ids_param: str
    set_field: str
    id_field: str
    status_field: str = "status"
    delete_action: str | None = None
    delete_ids_param: str | None = None
    create_action: str | None = None
    limit_param: str | None = "limit"
    page_size: int = 100

    @classmethod
    def named(cls, name: str, **overrides: Any) -> ResourceType:
        """The type of ``name`` (``instance``, ``load_balancer``, ``LoadBalancer``) as consumer
        apps name their actions and fields; ``overrides`` replace any of them."""
        words = names.camel_words(name)
        if not words:
            raise ConfigurationError(f"a resource type needs a name, got {name!r}")
        many = names.join_words([*words[:-1], names.plural(words[-1])], True)
        one = names.join_words(words, False)
        unknown = set(overrides) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigurationError(
                f"unknown resource type field(s): {', '.join(sorted(unknown))}"
            )
        fields: dict[str, Any] = {
            "describe_action": f"Describe{many}",
            "ids_param": f"{one}Ids",
            "set_field": f"{one}Set",
            "id_field": f"{one}Id",
            "delete_action": f"Delete{many}",
            "create_action": f"Create{many}",
        }
        fields.update({key: value for key, value in overrides.items() if value is not None})
        return cls(name=" ".join(words), **fields)

    def with_fields(self, **overrides: Any) -> ResourceType:
        """A copy with some fields replaced."""
        return replace(self, **overrides)


def resource_state(status: str | None) -> JobState:
    """How a wait sees a status: busy is unfinished, ``error`` failed, missing an error."""
    if status is None:
        return JobState.ERROR
    if protocol.is_busy(status):
        return JobState.PENDING if status == "pending" else JobState.RUNNING
    if status == protocol.ERROR_STATUS:
        return JobState.FAILED
    return JobState.SUCCEEDED


class DensefogResources:
    """Resources of one type on one service; a cleanable that deletes them.

    ``statuses`` maps each id to its last seen status (None: not listed by the
    describe action). Created by :meth:`DensefogClient.resources` or by a create.
    """

    cleanup_action: ClassVar[str] = "delete"

    def __init__(
        self,
        client: DensefogClient,
        rtype: ResourceType,
        ids: Sequence[str],
        statuses: Mapping[str, str | None] | None = None,
    ) -> None:
        if isinstance(ids, str):
            ids = [ids]
        self.client = client
        self.type = rtype
        self.ids = [str(i) for i in ids]
        self.statuses: dict[str, str | None] = {i: (statuses or {}).get(i) for i in self.ids}
        self.items: dict[str, dict[str, Any]] = {}
        self._seen = {i for i in self.ids if (statuses or {}).get(i) is not None}

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def _take(self, found: Mapping[str, dict[str, Any]], ids: Sequence[str]) -> None:
        for rid in ids:
            item = found.get(rid)
            self._seen.add(rid)
            self.statuses[rid] = item[self.type.status_field] if item else None
            if item is not None:
                self.items[rid] = item

    def refresh(self) -> dict[str, str | None]:
        """Ask the service (one describe call per page) and return every status."""
        self._take(self.client.describe(self.type, self.ids), self.ids)
        return dict(self.statuses)

    def wait(
        self,
        timeout: float | None = None,
        *,
        status: str | None = None,
        poll: PollPolicy | None = None,
        on_timeout: OnTimeout | str = OnTimeout.FAIL,
    ) -> dict[str, str | None]:
        """Wait until none is busy; return their statuses.

        ``timeout`` bounds the whole wait (default: the client's wait timeout);
        on timeout, ``fail`` raises :class:`~jobharness.errors.WaitTimeout` naming
        the busy ones, ``continue`` returns. With ``status``, a resource that ends
        in another status raises :class:`ResourceStatusError`.
        """
        waits = [ResourceWait(self, rid) for rid in self.ids]
        engine_wait_for(
            waits,
            self.client.wait_timeout if timeout is None else timeout,
            poll=poll or RESOURCE_POLL,
            on_timeout=OnTimeout.parse(on_timeout),
        )
        if status is not None:
            wrong = {rid: s for rid, s in self.statuses.items() if not _busy(s) and s != status}
            if wrong:
                shown = ", ".join(f"{rid} {s or MISSING}" for rid, s in wrong.items())
                raise ResourceStatusError(
                    f"expected densefog {self.type.name}(s) to become {status!r}: {shown}"
                )
        return dict(self.statuses)

    def delete(self, ids: Sequence[str] | None = None) -> Any:
        """Call the type's delete action for ``ids`` (default: all); return its data."""
        if not self.type.delete_action:
            raise ConfigurationError(f"densefog {self.type.name} has no delete action configured")
        param = self.type.delete_ids_param or self.type.ids_param
        return self.client.call_with(self.type.delete_action, {param: list(ids or self.ids)})

    # -- the Cleanable protocol --------------------------------------------------------

    def cleanup_summary(self) -> str:
        """``densefog instance(s) inst-a (active), inst-b (deleting)``."""
        shown = ", ".join(f"{rid} ({self._shown(rid)})" for rid in self.ids)
        return f"densefog {self.type.name}(s) {shown}"

    def _shown(self, rid: str) -> str:
        if rid not in self._seen:
            return "status not asked yet"
        return self.statuses.get(rid) or MISSING

    def clean_up(self) -> bool:
        """Delete those that are not deleted yet, once they are no longer busy.

        Returns False when none was left; raises
        :class:`~jobharness.errors.CleanupRefused` when some could not be deleted
        within the cleanup's deadline.
        """
        left = self._undeleted(self.refresh())
        if not left:
            return False
        deadline = current()
        for _ in range(DELETE_ATTEMPTS):
            if any(_busy(self.statuses[rid]) for rid in left):
                remaining = deadline.remaining() if deadline else DEFAULT_TIMEOUT
                self.wait(remaining, on_timeout="continue")
                left = self._undeleted(self.statuses)
                if any(_busy(self.statuses[rid]) for rid in left):
                    raise CleanupRefused(f"still busy: {self.cleanup_summary()}")
            if not left:
                return True
            try:
                self.delete(left)
                return True
            except (ResourceIsDeleted, ResourceNotFound) as exc:
                left = [rid for rid in left if rid != exc.resource_id] if exc.resource_id else []
            except ResourceIsBusy:
                left = self._undeleted(self.refresh())  # became busy meanwhile: wait again
        raise CleanupRefused(f"the delete kept being refused: {self.cleanup_summary()}")

    @staticmethod
    def _undeleted(statuses: Mapping[str, str | None]) -> list[str]:
        return [rid for rid, s in statuses.items() if s is not None and not protocol.is_deleted(s)]

    def __repr__(self) -> str:
        return f"<DensefogResources {self.cleanup_summary()}>"


def _busy(status: str | None) -> bool:
    return protocol.is_busy(status)


class ResourceWait(Job):
    """One resource seen through the engine's wait: unfinished while its status is busy.

    Not a job of the service: it exists for :meth:`DensefogResources.wait`, so
    waits on resources share the engine's deadlines, polling and one describe
    call per poll round.
    """

    backend = "densefog"

    def __init__(self, group: DensefogResources, resource_id: str) -> None:
        # unfinished until the first poll round: a status seen before may be stale
        super().__init__(
            resource_id,
            name=group.type.name,
            state=JobState.PENDING,
            native_state=group.statuses.get(resource_id) or "unknown",
            poll=RESOURCE_POLL,
        )
        self.group = group

    def _sync(self) -> None:
        status = self.group.statuses.get(self.id)
        self._set_state(resource_state(status), status or MISSING)

    def _fetch_state(self) -> tuple[JobState, str]:
        self.group._take(self.group.client.describe(self.group.type, [self.id]), [self.id])
        self._sync()
        return self.state, self.native_state

    @classmethod
    def refresh_many(cls, jobs: Sequence[ResourceWait]) -> None:
        """One describe call per service, type and page for all the busy resources."""
        groups: dict[tuple[int, ResourceType], list[ResourceWait]] = {}
        for wait in jobs:
            if not wait.done:
                groups.setdefault((id(wait.group.client), wait.group.type), []).append(wait)
        for (_, rtype), waits in groups.items():
            client = waits[0].group.client
            found = client.describe(rtype, [wait.id for wait in waits])
            for wait in waits:
                wait.group._take(found, [wait.id])
                wait._sync()

    def _cancel(self) -> bool:
        raise CleanupRefused("a resource's busy time cannot be cancelled")

    def _build_result(self) -> JobResult:
        status = self.group.statuses.get(self.id)
        return JobResult(
            job_id=self.id,
            backend=self.backend,
            state=self.state,
            native_state=self.native_state,
            value=status,
            details=dict(self.group.items.get(self.id, {})),
        )

    def summary(self) -> str:
        """``densefog instance inst-x: creating``."""
        return f"densefog {self.group.type.name} {self.id}: {self.native_state}"


@dataclass
class Created:
    """What a create action made: its answer, the resources (tracked for deletion) and its job."""

    data: Any
    resources: DensefogResources
    job: DensefogJob | None

    @property
    def ids(self) -> list[str]:
        """The ids of the resources made."""
        return list(self.resources.ids)
