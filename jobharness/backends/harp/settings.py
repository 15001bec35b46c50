"""The harp settings, shared by the Robot library and the pytest plugin.

With neither ``harp_dispatcher`` nor ``harpd_url`` set, an embedded harpd and
an embedded dispatcher (whose registry names that harpd ``local``) are started.
"""

from __future__ import annotations

from jobharness.settings import Setting

HARP_DISPATCHER = Setting(
    "harp_dispatcher",
    "harp dispatcher as host:port (default: start an embedded one)",
    env=("JOBHARNESS_HARP_DISPATCHER",),
)
HARP_HOST = Setting(
    "harp_host",
    "name of the target host in the dispatcher's registry",
    env=("JOBHARNESS_HARP_HOST",),
    default="local",
)
HARPD_URL = Setting(
    "harpd_url",
    "harpd as host:port or tls://host:port (default: start an embedded one)",
    env=("JOBHARNESS_HARPD_URL",),
)
HARPD_USER = Setting("harpd_user", "user name for harpd", env=("JOBHARNESS_HARPD_USER",))
HARPD_PASSWORD = Setting(
    "harpd_password", "password for harpd", env=("JOBHARNESS_HARPD_PASSWORD",), secret=True
)
HARPD_CA_FILE = Setting(
    "harpd_ca_file",
    "CA certificates (PEM) to verify harpd with (default: the system trust store)",
    env=("JOBHARNESS_HARPD_CA_FILE",),
)

ALL_SETTINGS = (HARP_DISPATCHER, HARP_HOST, HARPD_URL, HARPD_USER, HARPD_PASSWORD, HARPD_CA_FILE)
