"""How far past its deadline a wait ends, per backend, whatever the server does.

For each backend a job is started through a misbehaving server that first
behaves (utests/faults/misbehaving.py), which then turns silent, drips, resets,
refuses, sends half an answer or one without end; a wait with timeout T is
timed. Prints, per backend, the median and the largest overshoot (elapsed - T)
over every behaviour and round. The promise is an overshoot under 0.5 s.

Run: ``.venv/bin/python benchmarks/engine/bench_deadlines.py [--rounds N] [--timeout T]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import contextlib

from jobharness.backends.harp import HarpCaller, HarpServer
from jobharness.backends.harp.target import embedded_targets
from jobharness.backends.saltant.target import SALTANT_TARGET, saltant_client
from jobharness.backends.sandbox import ASandbox, Sandbox
from jobharness.backends.sandbox.target import SANDBOX_TARGET
from jobharness.errors import JobHarnessError
from jobharness.settings import resolve
from jobharness.targets import Target, TargetSpec, open_target
from utests.faults.misbehaving import MODES, MisbehavingServer

CONFIG = {"commands": ["echo hi"]}


def _embedded(spec: TargetSpec) -> Target:
    return open_target(spec, {s.name: resolve(s, environ={}) for s in spec.settings})


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return str(parts.hostname), int(parts.port or 80)


def _timed(wait: Callable[[], object]) -> float:
    started = time.monotonic()
    with contextlib.suppress(JobHarnessError):
        wait()
    return time.monotonic() - started


def sandbox_sync(target: Target, mode: str, timeout: float) -> float:
    with MisbehavingServer(_address(target.url)) as proxy, Sandbox(proxy.url, 30) as client:
        client.execute(CONFIG)
        proxy.switch(mode)
        return _timed(lambda: client.execute(CONFIG, timeout=timeout))


def sandbox_async(target: Target, mode: str, timeout: float) -> float:
    async def scenario(proxy: MisbehavingServer) -> float:
        async with ASandbox(proxy.url, 30) as client:
            await client.execute(CONFIG)
            proxy.switch(mode)
            started = time.monotonic()
            with contextlib.suppress(JobHarnessError):
                await client.execute(CONFIG, timeout=timeout)
            return time.monotonic() - started

    with MisbehavingServer(_address(target.url)) as proxy:
        return asyncio.run(scenario(proxy))


def saltant(target: Target, mode: str, timeout: float, ids: tuple[int, int]) -> float:
    with MisbehavingServer(_address(target.url)) as proxy:
        client = saltant_client(target)
        through = saltant_client(Target(SALTANT_TARGET, {**target.info, "url": proxy.url}, "proxy"))
        job = through.executable_task_instances.start(*ids)
        proxy.switch(mode)
        elapsed = _timed(lambda: job.wait(timeout))
        client.executable_task_instances.terminate(job.uuid)
        return elapsed


def harp_dispatcher(dispatcher: tuple[str, int], mode: str, timeout: float) -> float:
    with MisbehavingServer(dispatcher, "lines") as proxy:
        call = HarpCaller(*proxy.address, 30).submit("local", "sleep", [60])
        proxy.switch(mode)
        elapsed = _timed(lambda: call.wait(timeout))
        HarpCaller(*dispatcher).job(call.id).cancel()
        return elapsed


def harpd(info: dict[str, object], mode: str, timeout: float) -> float:
    address = (str(info["host"]), int(str(info["port"])))
    with MisbehavingServer(address, "lines") as proxy:
        server = HarpServer(
            "127.0.0.1",
            str(info["user"]),
            str(info["password"]),
            proxy.port,
            ca_file=str(info["ca_file"]),
            request_timeout=timeout,
        )
        server.ping()
        proxy.switch(mode)
        return _timed(server.ping)


def main() -> int:
    """Measure every backend against every behaviour and print the overshoots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="waits per backend and behaviour")
    parser.add_argument("--timeout", type=float, default=1.0, help="the waits' timeout T, in s")
    args = parser.parse_args()
    with (
        _embedded(SANDBOX_TARGET) as sandbox,
        _embedded(SALTANT_TARGET) as saltant_target,
        embedded_targets() as pair,
        saltant_client(saltant_target) as admin,
    ):
        kind = admin.executable_task_types.create("sleep-60", "/bin/sleep 60")
        whitelist = admin.task_whitelists.create(
            "deadlines", whitelisted_executable_task_types=[kind.id]
        )
        queue = admin.task_queues.create("deadlines", whitelists=[whitelist.id])
        assert pair.dispatcher is not None
        dispatcher = pair.dispatcher
        backends: dict[str, Callable[[str, float], float]] = {
            "sandbox execute (sync)": lambda m, t: sandbox_sync(sandbox, m, t),
            "sandbox execute (async)": lambda m, t: sandbox_async(sandbox, m, t),
            "saltant job.wait": lambda m, t: saltant(saltant_target, m, t, (kind.id, queue.id)),
            "harp call.wait": lambda m, t: harp_dispatcher(dispatcher, m, t),
            "harpd direct call": lambda m, t: harpd(pair.harpd_info, m, t),
        }
        print(
            f"wait timeout T = {args.timeout:g} s; {args.rounds} round(s) x {len(MODES)} "
            f"behaviours ({', '.join(MODES)}) per backend"
        )
        worst_all = 0.0
        for name, run in backends.items():
            overshoots = [
                run(mode, args.timeout) - args.timeout for mode in MODES for _ in range(args.rounds)
            ]
            worst = max(overshoots)
            worst_all = max(worst_all, worst)
            print(
                f"  {name:26} overshoot median {statistics.median(overshoots):+.3f} s, "
                f"largest {worst:+.3f} s"
            )
    verdict = "ok" if worst_all < 0.5 else "MISSED"
    print(f"largest overshoot {worst_all:+.3f} s (promise: under 0.5 s) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
