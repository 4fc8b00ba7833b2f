"""RabbitMQ: the change notifications TF publishes on the fanout exchange vnc_config.object-update.

tfdata never relies on TF's non-durable queues: it declares its own DURABLE queue bound to the
exchange *before* it starts reading Cassandra, so no change made during the read is missed, and
acks a message only after acting on it.
"""

from __future__ import annotations

import json
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from ..config import RabbitConfig
from ..errors import ConnectionFailed

EXCHANGE = "vnc_config.object-update"

# pika logs every failed connection attempt at ERROR; tfdata reports reconnects itself, once.
logging.getLogger("pika").setLevel(logging.CRITICAL)


def parameters(cfg: RabbitConfig, host: str | None = None, heartbeat: int = 30):
    import pika

    ssl_options = None
    if cfg.tls.enabled:
        ctx = ssl.create_default_context(cafile=cfg.tls.ca_file)
        if not cfg.tls.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if cfg.tls.cert_file:
            ctx.load_cert_chain(cfg.tls.cert_file, cfg.tls.key_file)
        ssl_options = pika.SSLOptions(ctx, host or cfg.hosts[0])
    return pika.ConnectionParameters(
        host or cfg.hosts[0], cfg.port, cfg.vhost,
        pika.PlainCredentials(cfg.user, cfg.password or ""), ssl_options=ssl_options,
        connection_attempts=2, retry_delay=1, socket_timeout=10, blocked_connection_timeout=60,
        heartbeat=heartbeat)


def connect(cfg: RabbitConfig, what: str = "rabbitmq"):
    """A BlockingConnection to the first broker of the list that answers."""
    import pika
    from pika.exceptions import AMQPConnectionError, ProbableAuthenticationError

    errors = []
    for host in cfg.hosts:
        try:
            return pika.BlockingConnection(parameters(cfg, host))
        except ProbableAuthenticationError:
            raise ConnectionFailed(f"{what} {host}:{cfg.port}: authentication failed (check user/password)") from None
        except AMQPConnectionError as exc:
            text = repr(exc)
            if "ACCESS_REFUSED" in text or "403" in text:
                raise ConnectionFailed(f"{what} {host}:{cfg.port}: authentication failed (check user/password)") from None
            errors.append(f"{host}:{cfg.port}: {exc.__class__.__name__}")
        except (OSError, ssl.SSLError) as exc:
            errors.append(f"{host}:{cfg.port}: {exc}")
    raise ConnectionFailed(f"{what}: cannot connect ({'; '.join(errors) or 'no hosts'})")


def declare_exchange(channel) -> None:
    """Same attributes TF uses (fanout, non-durable), so declaring never conflicts with it."""
    channel.exchange_declare(EXCHANGE, exchange_type="fanout", durable=False, auto_delete=False)


def declare_capture_queue(channel, queue: str) -> None:
    declare_exchange(channel)
    channel.queue_declare(queue, durable=True, auto_delete=False)
    channel.queue_bind(queue, EXCHANGE)


@dataclass
class Notification:
    oper: str
    type: str
    uuid: str
    fq_name: list[str] | None
    body: dict[str, Any]

    @classmethod
    def parse(cls, raw: bytes) -> "Notification":
        body = json.loads(raw)
        if not isinstance(body, dict) or "oper" not in body or "uuid" not in body:
            raise ValueError("not a TF config notification (needs oper and uuid)")
        return cls(str(body["oper"]), str(body.get("type", "")).replace("-", "_"), str(body["uuid"]),
                   body.get("fq_name"), body)

    def peer_uuids(self) -> set[str]:
        """Other objects whose rows this change touched (parent, ref targets), as far as the body says."""
        peers: set[str] = set()
        obj = self.body.get("obj_dict") or {}
        if obj.get("parent_uuid"):
            peers.add(obj["parent_uuid"])
        for key, value in obj.items():
            if key.endswith("_refs") and isinstance(value, list):
                peers.update(ref.get("uuid") for ref in value if isinstance(ref, dict) and ref.get("uuid"))
        return peers
