"""Shared set-up of the utests.

pytester's in-process runs forget the modules first imported inside them, and
the plugin imports backends only when a test uses them; a client made from a
forgotten module then meets classes of its fresh copy (requests' cookie jar,
say). The backends are imported here, once, before any inner run.
"""

from __future__ import annotations

import jobharness.backends.harp.target
import jobharness.backends.saltant.target
import jobharness.backends.sandbox.aclient
import jobharness.backends.sandbox.target  # noqa: F401
