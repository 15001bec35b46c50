"""The TLS client context for harpd: verified by default, relaxed only when asked.

* ``verify=True`` (default): the server certificate must chain to ``ca_file``
  (or the system trust store when no CA file is given) and match the host name.
* ``verify=False``: no verification at all; logged as a warning.
* ``allow_old_tls=True``: TLS 1.0 and 1.1 (and the legacy ciphers they need,
  ``@SECLEVEL=0``) are allowed, for unmodified Python 2 harpd daemons that
  speak TLS 1.0 only; logged as a warning.
"""

from __future__ import annotations

import logging
import os
import ssl
import warnings

from jobharness.errors import ConfigurationError

log = logging.getLogger("jobharness.harp")


def client_context(
    *,
    ca_file: str | os.PathLike[str] | None = None,
    verify: bool = True,
    allow_old_tls: bool = False,
    target: str = "harpd",
) -> ssl.SSLContext:
    """An :class:`ssl.SSLContext` for connecting to ``target`` (named in the warnings)."""
    if ca_file is not None and not os.path.isfile(ca_file):
        raise ConfigurationError(f"CA file for {target} not found: {os.fspath(ca_file)!r}")
    try:
        context = ssl.create_default_context(cafile=os.fspath(ca_file) if ca_file else None)
    except ssl.SSLError as exc:
        raise ConfigurationError(
            f"CA file for {target} is not a PEM certificate bundle: {os.fspath(ca_file or '')!r} "
            f"({exc.reason or exc})"
        ) from exc
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        log.warning(
            "TLS certificate verification is OFF for %s (verify=False): "
            "the server's identity is not checked",
            target,
        )
    if allow_old_tls:
        with warnings.catch_warnings():  # the deprecation is the point of the warning below
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        log.warning(
            "TLS 1.0/1.1 and legacy ciphers are allowed for %s (allow_old_tls=True): "
            "use this only for old daemons that speak nothing newer",
            target,
        )
    return context
