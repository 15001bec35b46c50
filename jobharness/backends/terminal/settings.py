"""The terminal settings, shared by the Robot library and the pytest plugin.

They name one ssh target; a route with more hops is given as data to the
client. With no host set, the run starts an embedded sshd.
"""

from __future__ import annotations

from jobharness.settings import Setting

TERMINAL_HOST = Setting(
    "terminal_host",
    "ssh host of the terminal target (default: start an embedded sshd on 127.0.0.1)",
    env=("JOBHARNESS_TERMINAL_HOST",),
)
TERMINAL_PORT = Setting(
    "terminal_port",
    "ssh port of the terminal target",
    env=("JOBHARNESS_TERMINAL_PORT",),
    default="22",
)
TERMINAL_USER = Setting(
    "terminal_user",
    "user to log in as on the terminal target (default: ssh's, the local user)",
    env=("JOBHARNESS_TERMINAL_USER",),
)
TERMINAL_PASSWORD = Setting(
    "terminal_password",
    "password of the terminal user (given to ssh through SSH_ASKPASS, never on a command line)",
    env=("JOBHARNESS_TERMINAL_PASSWORD",),
    secret=True,
)
TERMINAL_KEY_FILE = Setting(
    "terminal_key_file",
    "private key file for the terminal user",
    env=("JOBHARNESS_TERMINAL_KEY_FILE",),
)
TERMINAL_KNOWN_HOSTS = Setting(
    "terminal_known_hosts",
    "known-hosts file the suite owns, checked for the target's host key "
    "(default: ssh's own, ~/.ssh/known_hosts)",
    env=("JOBHARNESS_TERMINAL_KNOWN_HOSTS",),
)
TERMINAL_HOST_KEY_POLICY = Setting(
    "terminal_host_key_policy",
    "strict (the host key must be known) or accept-new (an unknown key is added to the file)",
    env=("JOBHARNESS_TERMINAL_HOST_KEY_POLICY",),
    default="strict",
)

ALL_SETTINGS = (
    TERMINAL_HOST,
    TERMINAL_PORT,
    TERMINAL_USER,
    TERMINAL_PASSWORD,
    TERMINAL_KEY_FILE,
    TERMINAL_KNOWN_HOSTS,
    TERMINAL_HOST_KEY_POLICY,
)
