"""The misbehaving server of the deadline tests: the product's fault proxy.

It grew into :mod:`jobharness.faultproxy` (``jobharness fault-proxy``);
these names stay for the tests and benchmarks that use them.
"""

from __future__ import annotations

from jobharness.faultproxy import FAULTS, MODES, FaultProxy, elapsed_since

MisbehavingServer = FaultProxy

__all__ = ["FAULTS", "MODES", "MisbehavingServer", "elapsed_since"]
