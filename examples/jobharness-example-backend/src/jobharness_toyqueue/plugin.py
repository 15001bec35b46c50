"""The hooks that make toyqueue a jobharness backend (the ``jobharness`` entry point)."""

from __future__ import annotations

import argparse

from jobharness.plugins import BackendSpec, ServerSpec, hookimpl
from jobharness.reap import Lookup, ReapReport
from jobharness_toyqueue.client import toyqueue_client
from jobharness_toyqueue.job import ToyJob
from jobharness_toyqueue.target import TOYQUEUE_TARGET


def _run(args: argparse.Namespace) -> int:
    from jobharness_toyqueue.server import run  # werkzeug only when serving

    return run(args)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    from jobharness_toyqueue.server import add_arguments

    add_arguments(parser)


@hookimpl
def jobharness_servers() -> list[ServerSpec]:
    """``jobharness serve toyqueue``."""
    return [
        ServerSpec("toyqueue", "toyqueue: runs commands as local processes", _add_arguments, _run)
    ]


@hookimpl
def jobharness_backends() -> list[BackendSpec]:
    """toyqueue's settings, target, client, Job type, Robot library and pytest fixtures."""
    return [
        BackendSpec(
            name="toyqueue",
            target=TOYQUEUE_TARGET,
            client=toyqueue_client,
            job_type=ToyJob,
            robot_library="jobharness_toyqueue.robot.ToyQueueLibrary",
            pytest_plugin="jobharness_toyqueue.fixtures",
        )
    ]


@hookimpl
def jobharness_reap(run_id: str, lookup: Lookup, timeout: float) -> list[ReapReport]:
    """Cancel what a killed run left on the configured toyqueue server."""
    from jobharness_toyqueue.reap import reap_toyqueue

    return [reap_toyqueue(run_id, lookup, timeout)]
