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
