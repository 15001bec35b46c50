"""harpd's TLS: the server context, from files or from a certificate made at start."""

from __future__ import annotations

import logging
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path

import trustme

from jobharness.errors import ConfigurationError

log = logging.getLogger(__name__)

CA_FILE_NAME = "harpd-ca.pem"


@dataclass(frozen=True)
class ServerCertificate:
    """Where the server's certificate chain and key are, and the CA to trust (if generated)."""

    cert_file: Path
    key_file: Path
    ca_file: Path | None = None


def generate_certificate(data_dir: Path) -> ServerCertificate:
    """Make a throw-away CA and a certificate for 127.0.0.1/localhost under ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="jobharness harpd")
    issued = ca.issue_cert("127.0.0.1", "localhost", "::1")
    ca_file = data_dir / CA_FILE_NAME
    cert_file = data_dir / "harpd-cert.pem"
    key_file = data_dir / "harpd-key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(key_file))
    key_file.chmod(0o600)
    return ServerCertificate(cert_file, key_file, ca_file)


def server_context(certificate: ServerCertificate, allow_old_tls: bool = False) -> ssl.SSLContext:
    """A server-side context: TLS 1.2+ unless ``allow_old_tls`` (then 1.0+ like harpd)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if allow_old_tls:
        log.warning("accepting TLS 1.0 and 1.1 (--allow-old-tls): these versions are insecure")
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(certificate.cert_file), str(certificate.key_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"cannot load certificate {certificate.cert_file} / key {certificate.key_file}: {exc}"
        ) from exc
    return context
