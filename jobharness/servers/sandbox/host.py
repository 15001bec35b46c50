"""Host figures for ``/specifications/`` and ``/usages/``, read from ``/proc`` and ``statvfs``.

The keys are the real server's. Figures that the host does not expose (CPU
frequency on many VMs) are 0.0, as the real server reports them there.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobharness.servers.sandbox.options import SANDBOX_VERSION, ServerOptions

DOCKER_VERSION = "none: embedded jobharness sandbox, commands run as local processes"
SECTOR = 512


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _meminfo() -> dict[str, int]:
    figures = {}
    for line in _read("/proc/meminfo").splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            figures[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return figures


def _mounts() -> list[tuple[str, str]]:
    """(device, mount point) of the mounted physical file systems, like psutil's partitions."""
    physical = {
        line.strip()
        for line in _read("/proc/filesystems").splitlines()
        if line.strip() and not line.startswith("nodev")
    }
    found = []
    for line in _read("/proc/mounts").splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] in physical:
            found.append((fields[0], fields[1].replace("\\040", " ")))
    return found


def _storage(used: bool) -> dict[str, int]:
    figures = {}
    for device, mount in _mounts():
        with contextlib.suppress(OSError):
            st = os.statvfs(mount)
            blocks = st.f_blocks - st.f_bfree if used else st.f_blocks
            figures[device] = blocks * st.f_frsize
    return figures


def _device_of(path: Path) -> str:
    best, device = "", ""
    target = str(path.resolve())
    for line in _read("/proc/mounts").splitlines():
        fields = line.split()
        if len(fields) >= 2:
            mount = fields[1]
            inside = target == mount or target.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best):
                best, device = mount, fields[0]
    return device


def _physical_cores() -> int:
    cores: set[tuple[str, str]] = set()
    physical = core = ""
    for line in _read("/proc/cpuinfo").splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "physical id":
            physical = value
        elif key == "core id":
            core = value
            cores.add((physical, core))
    return len(cores) or os.cpu_count() or 1


def _cpu_frequency(kind: str) -> float:
    text = _read(f"/sys/devices/system/cpu/cpu0/cpufreq/{kind}").strip()
    return int(text) / 1000 if text.isdigit() else 0.0


def _current_frequency() -> float:
    speeds = [
        float(line.partition(":")[2])
        for line in _read("/proc/cpuinfo").splitlines()
        if line.startswith("cpu MHz")
    ]
    return sum(speeds) / len(speeds) if speeds else _cpu_frequency("scaling_cur_freq")


def specifications(options: ServerOptions, work_root: Path) -> dict[str, Any]:
    """The ``/specifications/`` body: this host's figures and the configured limits."""
    memory = _meminfo()
    logical = os.cpu_count() or 1
    return {
        "host": {
            "cpu": {
                "core": _physical_cores(),
                "logical": logical,
                "freq_min": _cpu_frequency("cpuinfo_min_freq"),
                "freq_max": _cpu_frequency("cpuinfo_max_freq"),
            },
            "memory": {
                "ram": memory.get("MemTotal", 0),
                "swap": memory.get("SwapTotal", 0),
                "storage": _storage(used=False),
            },
            "docker_version": DOCKER_VERSION,
            "sandbox_version": SANDBOX_VERSION,
        },
        "container": {
            "count": options.containers,
            "cpu": {"count": logical, "period": -1, "shares": -1, "quota": -1},
            "memory": {"ram": options.memory_limit, "swap": 0, "storage": -1},
            "io": {"read_iops": {}, "read_bps": {}, "write_iops": {}, "write_bps": {}},
            "process": options.process_limit,
            "working_dir_device": _device_of(work_root),
        },
    }


@dataclass(frozen=True)
class Counters:
    """One sample of the cumulative counters ``/usages/`` turns into rates."""

    cpu_busy: int
    cpu_total: int
    disks: dict[str, tuple[int, int, int, int]]  # device: reads, writes, read bytes, written
    network: tuple[int, int, int, int]  # sent bytes, received bytes, sent packets, received

    @classmethod
    def sample(cls) -> Counters:
        """Read the counters now."""
        fields = _read("/proc/stat").splitlines()[0].split()[1:] or ["0"]
        ticks = [int(value) for value in fields]
        idle = sum(ticks[3:5])
        disks = {}
        names = {device.rsplit("/", 1)[-1]: device for device, _ in _mounts()}
        for line in _read("/proc/diskstats").splitlines():
            parts = line.split()
            if len(parts) >= 10 and parts[2] in names:
                reads, read_sectors = int(parts[3]), int(parts[5])
                writes, written_sectors = int(parts[7]), int(parts[9])
                disks[names[parts[2]]] = (
                    reads,
                    writes,
                    read_sectors * SECTOR,
                    written_sectors * SECTOR,
                )
        sent = received = sent_packets = received_packets = 0
        for line in _read("/proc/net/dev").splitlines()[2:]:
            values = line.partition(":")[2].split()
            if len(values) >= 10:
                received += int(values[0])
                received_packets += int(values[1])
                sent += int(values[8])
                sent_packets += int(values[9])
        return cls(
            sum(ticks) - idle, sum(ticks), disks, (sent, received, sent_packets, received_packets)
        )


def _rate(after: int, before: int, seconds: float) -> int:
    return int((after - before) // seconds)


def usages(interval: float, containers_in_use: int) -> dict[str, Any]:
    """The ``/usages/`` body, sampling the counters over ``interval`` seconds."""
    first = Counters.sample()
    time.sleep(interval)
    second = Counters.sample()
    logical = os.cpu_count() or 1
    total = second.cpu_total - first.cpu_total
    memory = _meminfo()
    io: dict[str, dict[str, int]] = {
        "read_iops": {},
        "read_bps": {},
        "write_iops": {},
        "write_bps": {},
    }
    for device, now in second.disks.items():
        before = first.disks.get(device, now)
        for key, index in (("read_iops", 0), ("write_iops", 1), ("read_bps", 2), ("write_bps", 3)):
            io[key][device] = _rate(now[index], before[index], interval)
    keys = ("sent_bytes", "received_bytes", "sent_packets", "received_packets")
    return {
        "cpu": {
            "frequency": _current_frequency(),
            "usage": (second.cpu_busy - first.cpu_busy) / total if total > 0 else 0.0,
            "usage_avg": [load / logical for load in os.getloadavg()],
        },
        "memory": {
            "ram": memory.get("MemTotal", 0) - memory.get("MemAvailable", 0),
            "swap": memory.get("SwapTotal", 0) - memory.get("SwapFree", 0),
            "storage": _storage(used=True),
        },
        "io": io,
        "network": {
            key: _rate(after, before, interval)
            for key, after, before in zip(keys, second.network, first.network, strict=True)
        },
        "process": sum(1 for name in os.listdir("/proc") if name.isdigit()),
        "container": containers_in_use,
    }
