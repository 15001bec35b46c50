"""harp clients against a minimal raw-socket client, side by side, on loopback.

One embedded harpd and dispatcher pair serves both clients. Two measurements:

1. **Round trip of a direct harpd call.** ``ping()`` through :class:`HarpServer`
   against a raw client (``socket`` + ``ssl`` with the same CA, one JSON line
   out, ``json.loads`` per reply line until the server closes). Median of
   ``--calls`` calls each, interleaved so both see the same machine load; the
   ratio is the median of the per-pair ratios.
2. **Following a 10,000-message stream through the dispatcher.** The
   ``count`` procedure's stream is followed from packet 0 once the job has
   ended (so the producer's speed does not count): :meth:`RemoteCall.follow`
   against a raw ``follow_stream`` reader. Best messages per second of
   ``--rounds`` rounds each.

Targets: round trip at most 1.2x the raw client's, stream rate at least 0.8x.

Run: ``.venv/bin/python benchmarks/harp/bench_harp.py`` (about half a minute).
"""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import statistics
import time
from collections.abc import Callable
from typing import Any

from jobharness.backends.harp import HarpCaller, HarpServer
from jobharness.backends.harp.target import embedded_targets


def raw_lines(sock: socket.socket) -> list[Any]:
    """Read JSON lines until the server closes (the minimal client's reader)."""
    replies = []
    with sock.makefile("rb") as reader:
        for line in reader:
            replies.append(json.loads(line))
    return replies


def raw_harpd_call(info: dict[str, Any], context: ssl.SSLContext, procedure: str) -> Any:
    """One harpd call with plain socket/ssl: connect, send one line, read to EOF."""
    request = {
        "harp": 1,
        "procedure": procedure,
        "arguments": [],
        "auth": {"user": info["user"], "password": info["password"]},
    }
    raw = socket.create_connection((info["host"], info["port"]))
    with context.wrap_socket(raw, server_hostname=info["host"]) as tls:
        tls.sendall(json.dumps(request).encode() + b"\n")
        replies = raw_lines(tls)
    return replies[-1]["result"]


def raw_follow(info: dict[str, Any], job_id: str) -> int:
    """Follow a stream from packet 0 with plain sockets; return the number of packets."""
    with socket.create_connection((info["host"], info["port"])) as sock:
        request = {"harpcaller": 1, "follow_stream": job_id, "since": 0}
        sock.sendall(json.dumps(request).encode() + b"\n")
        return sum(1 for reply in raw_lines(sock) if "packet" in reply)


def timed(action: Callable[[], Any]) -> float:
    """Seconds one call of ``action`` takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def round_trips(harpd_info: dict[str, Any], calls: int) -> tuple[float, float, float]:
    """Median seconds per ping (jobharness, raw) and the median of the paired ratios."""
    server = HarpServer(
        harpd_info["host"],
        harpd_info["user"],
        harpd_info["password"],
        harpd_info["port"],
        ca_file=harpd_info["ca_file"],
    )
    context = ssl.create_default_context(cafile=harpd_info["ca_file"])
    ours: list[float] = []
    raw: list[float] = []
    for _ in range(5):  # warm-up
        server.ping()
        raw_harpd_call(harpd_info, context, "ping")
    for _ in range(calls):
        ours.append(timed(server.ping))
        raw.append(timed(lambda: raw_harpd_call(harpd_info, context, "ping")))
    ratios = [a / b for a, b in zip(ours, raw, strict=True)]
    return statistics.median(ours), statistics.median(raw), statistics.median(ratios)


def stream_rates(
    dispatcher_info: dict[str, Any], messages: int, rounds: int
) -> tuple[float, float]:
    """Best messages per second following a finished stream: (jobharness, raw)."""
    caller = HarpCaller(dispatcher_info["host"], dispatcher_info["port"], wait_timeout=300)
    call = caller.local.count(messages)
    call.get()
    ours: list[float] = []
    raw: list[float] = []
    for _ in range(rounds):
        fresh = caller.job(call.id)
        seconds = timed(lambda job=fresh: sum(1 for _ in job.follow(since=0)))
        ours.append(messages / seconds)
        count = 0

        def follow_raw() -> None:
            nonlocal count
            count = raw_follow(dispatcher_info, call.id)

        raw.append(messages / timed(follow_raw))
        assert count == messages, f"raw client saw {count} of {messages} packets"
    return max(ours), max(raw)


def main() -> int:
    """Run both measurements and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="direct calls per client")
    parser.add_argument("--messages", type=int, default=10_000, help="stream length")
    parser.add_argument("--rounds", type=int, default=9, help="follows per client")
    args = parser.parse_args()
    with embedded_targets() as harp:
        ours_rt, raw_rt, rt_ratio = round_trips(harp.harpd_info, args.calls)
        ours_rate, raw_rate = stream_rates(harp.dispatcher_info, args.messages, args.rounds)
    rate_ratio = ours_rate / raw_rate
    print(f"harpd round trip (median of {args.calls}; ratio: median of paired calls):")
    print(f"  jobharness {ours_rt * 1000:7.2f} ms   raw {raw_rt * 1000:7.2f} ms   ", end="")
    print(f"ratio {rt_ratio:.2f}x (target <= 1.2x) {'ok' if rt_ratio <= 1.2 else 'MISSED'}")
    print(f"follow a {args.messages}-message stream (best of {args.rounds}):")
    print(f"  jobharness {ours_rate:9.0f} msg/s   raw {raw_rate:9.0f} msg/s   ", end="")
    print(f"ratio {rate_ratio:.2f}x (target >= 0.8x) {'ok' if rate_ratio >= 0.8 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
