"""One way to build a client TLS context from a profile's settings (Cassandra, RabbitMQ)."""

from __future__ import annotations

import ssl

from .config import Tls


def client_context(tls: Tls) -> ssl.SSLContext | None:
    if not tls.enabled:
        return None
    ctx = ssl.create_default_context(cafile=tls.ca_file)
    if not tls.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if tls.cert_file:
        ctx.load_cert_chain(tls.cert_file, tls.key_file)
    return ctx


def tls_reason(exc: BaseException) -> str:
    """One short phrase for a TLS failure, with the profile key that fixes it."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        detail = text.split("certificate verify failed:", 1)[-1].split("(_ssl.c")[0].strip(" )")
        return f"TLS certificate verification failed ({detail}); set tls.ca_file to the CA that signed the server"
    if "WRONG_VERSION_NUMBER" in text or "UNEXPECTED_EOF" in text:
        return "TLS handshake failed (does that port speak TLS?)"
    return text.splitlines()[0][:160] if text else exc.__class__.__name__
