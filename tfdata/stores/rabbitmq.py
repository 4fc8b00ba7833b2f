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
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import pika
    from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
    from pika.spec import Basic, BasicProperties

from ..config import RabbitConfig
from ..errors import ConnectionFailed
from ..tls import client_context, tls_reason

EXCHANGE = "vnc_config.object-update"
# One message as a channel's consume() yields it: (method frame, properties, body).
Delivery: TypeAlias = tuple["Basic.Deliver", "BasicProperties", bytes]
log = logging.getLogger(__name__)


def parameters(cfg: RabbitConfig, host: str | None = None, heartbeat: int = 30) -> pika.ConnectionParameters:
    import pika

    ctx = client_context(cfg.tls)
    ssl_options = pika.SSLOptions(ctx, host or cfg.hosts[0]) if ctx else None
    return pika.ConnectionParameters(
        host or cfg.hosts[0], cfg.port, cfg.vhost,
        pika.PlainCredentials(cfg.user, cfg.password or ""), ssl_options=ssl_options,
        connection_attempts=2, retry_delay=1, socket_timeout=10, blocked_connection_timeout=60,
        heartbeat=heartbeat)


def connect(cfg: RabbitConfig, what: str = "rabbitmq") -> BlockingConnection:
    """A BlockingConnection to the first broker of the list that answers."""
    import pika
    from pika.exceptions import AMQPConnectionError, ProbableAuthenticationError

    errors: list[str] = []
    for host in cfg.hosts:
        try:
            return pika.BlockingConnection(parameters(cfg, host))
        except ProbableAuthenticationError:
            raise ConnectionFailed(f"{what} {host}:{cfg.port}: authentication failed (check user/password)") from None
        except AMQPConnectionError as exc:
            text = repr(exc)
            if "ACCESS_REFUSED" in text or "403" in text:
                raise ConnectionFailed(f"{what} {host}:{cfg.port}: authentication failed "
                                       "(check user/password)") from None
            hint = ("" if cfg.tls.enabled or "IncompatibleProtocol" not in text
                    else " (does the port expect TLS? set tls in the profile)")
            errors.append(f"{host}:{cfg.port}: {exc.__class__.__name__}{hint}")
        except (OSError, ssl.SSLError) as exc:
            errors.append(f"{host}:{cfg.port}: {tls_reason(exc)}")
    raise ConnectionFailed(f"{what}: cannot connect ({'; '.join(errors) or 'no hosts'})")


def broker_errors() -> tuple[type[BaseException], ...]:
    """What a broker going away raises (protocol and socket errors, a failed reconnect): the
    errors to catch for a reconnect, so callers need not know the client library."""
    from pika.exceptions import AMQPError

    return AMQPError, OSError, ConnectionFailed


def publish_notification(channel: BlockingChannel, body: bytes, headers: dict | None = None) -> None:
    """Publish a config notification on TF's exchange as the API servers do (JSON, not persistent)."""
    import pika

    channel.basic_publish(EXCHANGE, "", body, pika.BasicProperties(content_type="application/json", headers=headers))


def send_to_queue(channel: BlockingChannel, queue: str, body: bytes, headers: dict | None = None) -> None:
    """Put a message straight on one of our durable queues, persistent (e.g. the dead-letter queue)."""
    import pika

    channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2, headers=headers))


def declare_exchange(channel: BlockingChannel) -> None:
    """Same attributes TF uses (fanout, non-durable), so declaring never conflicts with it."""
    channel.exchange_declare(EXCHANGE, exchange_type="fanout", durable=False, auto_delete=False)


def declare_capture_queue(channel: BlockingChannel, queue: str) -> BlockingChannel:
    """Declare our queue bound to TF's exchange; returns the channel to keep using.

    A quorum queue: TF publishes its notifications without asking for persistence, and a classic
    durable queue drops such messages when the broker restarts; a quorum queue keeps every
    message. Brokers older than 3.8 (or an existing classic queue of that name) get a classic
    durable queue instead.
    """
    from pika.exceptions import ChannelClosedByBroker

    declare_exchange(channel)
    try:
        channel.queue_declare(queue, durable=True, auto_delete=False, arguments={"x-queue-type": "quorum"})
    except ChannelClosedByBroker as exc:
        log.warning("queue %s: quorum queue refused (%s); using a classic durable queue", queue, exc.reply_text)
        channel = channel.connection.channel()
        channel.queue_declare(queue, durable=True, auto_delete=False, passive=_exists(channel, queue))
    channel.queue_bind(queue, EXCHANGE)
    return channel


def _exists(channel: BlockingChannel, queue: str) -> bool:
    from pika.exceptions import ChannelClosedByBroker

    probe = channel.connection.channel()
    try:
        probe.queue_declare(queue, passive=True)
        probe.close()
        return True
    except ChannelClosedByBroker:
        return False


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
                peers.update(uuid for ref in value if isinstance(ref, dict) and (uuid := ref.get("uuid")))
        return peers


class ChangeCapture:
    """A queue of our own bound to TF's change exchange for the length of one job (a consistent
    snapshot): it sees every change made after it was declared, and is deleted at close()."""

    def __init__(self, cfg: RabbitConfig, what: str) -> None:
        import uuid

        self.queue = f"tfdata.snapshot.{uuid.uuid4()}"
        self.conn = connect(cfg, what)
        self.channel = declare_capture_queue(self.conn.channel(), self.queue)

    def drain(self) -> list[Notification]:
        """Every notification waiting now (acked: ones that do not parse are not ours to retry)."""
        out: list[Notification] = []
        while True:
            method, _, body = self.channel.basic_get(self.queue, auto_ack=False)
            if method is None:
                return out
            try:
                out.append(Notification.parse(body))
            except ValueError:
                pass
            self.channel.basic_ack(method.delivery_tag)

    def close(self) -> None:
        try:
            self.channel.queue_delete(self.queue)
            self.conn.close()
        except Exception:  # the queue is exclusive to this job; a broker that went away took it along
            pass
