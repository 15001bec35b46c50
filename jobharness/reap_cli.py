"""``jobharness reap RUN_ID``: cancel what a crashed or killed run left on the configured servers.

The servers are found as the libraries find them: from the environment
(``JOBHARNESS_SALTANT_URL`` with ``JOBHARNESS_SALTANT_TOKEN``, ...), or from
``--setting NAME=VALUE`` for settings that are not secret (a token never goes
on a command line). Exit status 0 when every backend was reaped without an
error, 1 otherwise.
"""

from __future__ import annotations

import argparse

from jobharness.errors import ConfigurationError
from jobharness.reap import DEFAULT_REAP_TIMEOUT, Lookup, reap
from jobharness.settings import Resolved, Setting, resolve


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``jobharness reap``."""
    parser.add_argument("run_id", metavar="RUN_ID", help="the run whose jobs to cancel")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a backend setting by its ini name (saltant_url=...); secrets only from the env",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_REAP_TIMEOUT,
        help=f"seconds each backend may take (default {DEFAULT_REAP_TIMEOUT:g})",
    )


def settings_lookup(pairs: list[str]) -> Lookup:
    """A lookup that takes ``NAME=VALUE`` pairs first, then the environment."""
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ConfigurationError(f"--setting {pair!r}: write NAME=VALUE (saltant_url=...)")
        given[name.strip()] = value

    def lookup(setting: Setting) -> Resolved:
        if setting.name in given:
            if setting.secret:
                env = " or ".join(setting.env) or "its environment variable"
                raise ConfigurationError(
                    f"--setting {setting.name}: a secret never goes on a command line; "
                    f"set {env} instead"
                )
            return resolve(setting, given[setting.name])
        return resolve(setting)

    return lookup


def run(args: argparse.Namespace) -> int:
    """Reap ``args.run_id`` and print what each backend found."""
    result = reap(args.run_id, settings_lookup(args.setting), timeout=args.timeout)
    print("\n".join(result.lines()))
    return 0 if result.ok else 1
