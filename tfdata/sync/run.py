"""run-sync: replay the old cluster's live changes onto the new cluster, losing none.

Messages from a durable queue declared before pre-sync are acked only after the object's rows,
re-read from OLD, are equal on NEW, then republished on NEW's broker. Why each choice is made:
docs/design/run-sync.md.
"""

from __future__ import annotations

import logging
import shlex
import signal
import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from ..stores.base import Closable
from ..stores.rabbitmq import (
    Delivery,
    Notification,
    broker_errors,
    connect,
    declare_capture_queue,
    declare_exchange,
    publish_notification,
    send_to_queue,
)
from .reconcile import Counts
from .objects import ObjectChange, sync_objects

if TYPE_CHECKING:
    from ..config import Profile
    from ..stores.cassandra import CassandraStore
    from ..stores.rabbitmq import Basic, BasicProperties, BlockingChannel, BlockingConnection

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "tfdata.issu.run-sync"
RETIRED_DB_GRACE = 180.0  # seconds: longer than any Cassandra request may take (120 s timeout)


def declare_queue(old_profile: Profile, queue: str = DEFAULT_QUEUE) -> int:
    """Declare (idempotently) the durable capture queue on the old broker; returns its depth."""
    conn = connect(old_profile.rabbitmq, f"rabbitmq of profile '{old_profile.name}'")
    try:
        ch = conn.channel()
        ch = declare_capture_queue(ch, queue)
        depth = ch.queue_declare(queue, durable=True, passive=True).method.message_count
        ch.queue_declare(f"{queue}.dead", durable=True)
        return depth
    finally:
        conn.close()


def delete_queue(old_profile: Profile, queue: str = DEFAULT_QUEUE) -> None:
    conn = connect(old_profile.rabbitmq, f"rabbitmq of profile '{old_profile.name}'")
    try:
        ch = conn.channel()
        ch.queue_delete(queue)
    finally:
        conn.close()


@dataclass
class RunStats:
    received: int = 0
    applied: int = 0
    republished: int = 0
    dead_lettered: int = 0
    redelivered: int = 0
    coalesced: int = 0  # messages covered by an apply queued for the same object
    retries: int = 0
    reconnects: int = 0
    rows: Counts = field(default_factory=Counts)
    lag_ms: list[float] = field(default_factory=list)  # publish -> applied, when the publisher stamped it
    queue_depth: int = 0
    dead_letters: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        lags = sorted(self.lag_ms)

        def pct(p: float) -> float | None:
            return round(lags[min(len(lags) - 1, int(p * len(lags)))], 2) if lags else None

        return {"received": self.received, "applied": self.applied, "republished": self.republished,
                "dead_lettered": self.dead_lettered, "redelivered": self.redelivered, "coalesced": self.coalesced,
                "retries": self.retries,
                "reconnects": self.reconnects, "queue_depth": self.queue_depth, "rows": self.rows.as_dict(),
                "lag_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": lags[-1] if lags else None, "samples": len(lags)},
                "dead_letters": self.dead_letters[:50]}


_TRANSIENT_NAMES = ("NoHostAvailable", "OperationTimedOut", "Unavailable", "WriteTimeout", "ReadTimeout",
                    "ConnectionShutdown", "ConnectionException", "ConnectionFailed")


def _is_transient(exc: BaseException) -> bool:
    return any(type(e).__name__ in _TRANSIENT_NAMES for e in _chain(exc))


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


@dataclass
class _Job:
    """One object's apply, and every message it answers for (acked together when it is done)."""
    note: Notification
    messages: list[Delivery] = field(default_factory=list)
    peers: set[str] = field(default_factory=set)
    started: bool = False


Applies = dict[Future[dict[int, BaseException]], list[_Job]]  # an apply in flight -> the jobs it applies
Stores = tuple["CassandraStore", "CassandraStore"]  # (old, new)


class RunSync:
    def __init__(self, old_profile: Profile, new_profile: Profile, queue: str = DEFAULT_QUEUE, prefetch: int = 1000,
                 republish: bool = True, max_attempts: int = 5, on_event: Callable[[str, dict], None] | None = None,
                 backoff_max: float = 10.0, workers: int = 8, group: int = 50,
                 stop_event: threading.Event | None = None) -> None:
        self.old_profile = old_profile
        self.new_profile = new_profile
        self.queue = queue
        self.prefetch = prefetch
        self.republish = republish
        self.max_attempts = max_attempts
        self.on_event = on_event or (lambda kind, data: None)
        self.backoff_max = backoff_max
        self.stats = RunStats()
        self.stop_event = stop_event or threading.Event()  # set: stop cleanly (signals, another thread)
        self._old_db: CassandraStore | None = None
        self._new_db: CassandraStore | None = None
        self._in: BlockingConnection | None = None  # consumes from OLD's broker
        self._in_ch: BlockingChannel | None = None
        self._out: BlockingConnection | None = None  # republishes on NEW's broker
        self._out_ch: BlockingChannel | None = None
        self.workers = workers
        self.group = group
        self._ready: list[_Job] = []  # jobs waiting for a free worker (main thread only)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="run-sync")
        self._db_lock = threading.Lock()
        self._waiting: dict[str, _Job] = {}  # uuid -> job not yet picked up by a worker
        self._running: set[str] = set()  # uuids with an apply submitted and not yet collected
        self._deferred: dict[str, _Job] = {}  # uuid -> job that waits for that apply to finish
        # (when, old store, new store) replaced after a failure
        self._retired: list[tuple[float, CassandraStore, CassandraStore]] = []
        self._waiting_lock = threading.Lock()

    # ------------------------------------------------------------------ connections
    def _db(self) -> Stores:
        from ..stores.cassandra import CassandraStore

        with self._db_lock:
            if self._old_db is None:
                self._old_db = CassandraStore(self.old_profile)
            if self._new_db is None:
                self._new_db = CassandraStore(self.new_profile)
            return self._old_db, self._new_db

    def _retire_db(self, used: Stores) -> None:
        """After a transient failure: the next apply connects afresh (the driver may wait minutes
        before it tries a restarted node again). The stores that failed are not shut down yet:
        other workers may have reads in flight on them, and a shut-down driver never completes
        or times out those reads. They are closed once older than any request can live."""
        with self._db_lock:
            if used[0] is self._old_db and used[1] is self._new_db and self._old_db is not None:
                self._retired.append((time.monotonic(), self._old_db, self._new_db))
                self._old_db = self._new_db = None
            expired = [r for r in self._retired if time.monotonic() - r[0] > RETIRED_DB_GRACE]
            self._retired = [r for r in self._retired if r not in expired]
        for _, *stores in expired:
            self._close_stores(stores)

    @staticmethod
    def _close_stores(stores: Iterable[Closable | None]) -> None:
        for store in stores:
            if store is not None:
                try:
                    store.close()
                except Exception:
                    pass

    def _reset_db(self) -> None:
        """Close every store (run-sync is ending: no apply is running any more)."""
        self._close_stores([self._old_db, self._new_db])
        for _, *stores in self._retired:
            self._close_stores(stores)
        self._retired = []
        self._old_db = self._new_db = None

    def _consumer(self) -> BlockingChannel:
        if self._in is None or self._in.is_closed:
            self._in = connect(self.old_profile.rabbitmq, f"rabbitmq of profile '{self.old_profile.name}'")
            self._in_ch = self._in.channel()
            self._in_ch = declare_capture_queue(self._in_ch, self.queue)
            self._in_ch.queue_declare(f"{self.queue}.dead", durable=True)
            self._in_ch.basic_qos(prefetch_count=self.prefetch)
        return self._in_ch

    def _publisher(self) -> BlockingChannel:
        if self._out is None or self._out.is_closed:
            self._out = connect(self.new_profile.rabbitmq, f"rabbitmq of profile '{self.new_profile.name}'")
            self._out_ch = self._out.channel()
            declare_exchange(self._out_ch)
            self._out_ch.tx_select()  # one commit per batch of republished messages
        return self._out_ch

    def _drop_broker(self, which: str) -> None:
        conn = self._in if which == "in" else self._out
        try:
            if conn is not None and not conn.is_closed:
                conn.close()
        except Exception:
            pass
        if which == "in":
            self._in = self._in_ch = None
        else:
            self._out = self._out_ch = None

    # ------------------------------------------------------------------ main loop
    def install_signal_handlers(self) -> None:
        def stop(signum, frame):
            self.stop_event.set()
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

    def run(self, until_idle: float | None = None, max_messages: int | None = None,
            hook: str | None = None) -> RunStats:
        """Consume until stopped (signal/stop_event), idle for ``until_idle`` seconds, or ``max_messages``.

        Messages are applied by ``workers`` threads at once, never two for the same object: writes
        keep the old cluster's write times, so applies of different objects commute, but an apply
        holding a stale read of an object could otherwise re-create what a concurrent apply of its
        delete found nothing to remove. Acks are sent per message, from this thread, once applied.
        """
        if hook:
            subprocess.run(shlex.split(hook), check=False)
        backoff = 0.5
        idle_since = time.monotonic()
        while not self.stop_event.is_set():
            pending: Applies = {}
            try:
                channel = self._consumer()
                for method, props, body in channel.consume(self.queue, inactivity_timeout=0.02):
                    if method is not None:
                        self._submit(channel, pending, (method, props, body))
                        idle_since = time.monotonic()
                    self._collect(channel, pending, block=False)
                    self._dispatch(pending)
                    if method is None and not pending and not self._ready:
                        self.stats.queue_depth = channel.queue_declare(self.queue, durable=True, passive=True
                                                                       ).method.message_count
                        self.on_event("idle", self.stats.as_dict())
                        if until_idle is not None and time.monotonic() - idle_since >= until_idle:
                            self.stop_event.set()
                    if max_messages is not None and self.stats.applied + self.stats.dead_lettered >= max_messages:
                        self.stop_event.set()
                    if self.stop_event.is_set():
                        self._ready.clear()  # never started: unacked, so redelivered next time
                        self._collect(channel, pending, block=True, draining=True)
                        break
                    backoff = 0.5
                try:
                    channel.cancel()  # prefetched, unhandled messages go back to the queue
                except Exception:
                    pass
                if self.stop_event.is_set():  # what this run leaves behind (the runbook checks it is 0)
                    self.stats.queue_depth = channel.queue_declare(self.queue, durable=True, passive=True
                                                                   ).method.message_count
            except broker_errors() as exc:
                self.stats.reconnects += 1
                self.on_event("reconnect", {"what": "old broker", "error": f"{type(exc).__name__}: {exc}"[:200]})
                for future in pending:  # unacked: the broker redelivers them on the new connection
                    future.cancel()
                # Applies already running must end before their objects may be applied again:
                # the redelivered messages would otherwise start a second apply of the same object.
                self._wait_for(list(pending))
                self._ready.clear()
                with self._waiting_lock:
                    self._waiting.clear()
                    self._deferred.clear()
                    self._running.clear()
                self._drop_broker("in")
                self.stop_event.wait(backoff)
                backoff = min(self.backoff_max, backoff * 2)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.close()
        return self.stats

    def _wait_for(self, futures: list[Future[dict[int, BaseException]]]) -> None:
        from concurrent.futures import wait

        running = [f for f in futures if not f.cancelled()]
        while running and not self.stop_event.is_set():  # a stop makes the workers give up
            running = list(wait(running, timeout=0.5).not_done)

    def _submit(self, channel: BlockingChannel, pending: Applies, message: Delivery) -> None:
        method, _, body = message
        self.stats.received += 1
        if method.redelivered:
            self.stats.redelivered += 1
        try:
            note = Notification.parse(body)
        except ValueError as exc:
            self._dead_letter(channel, method, body, f"unparseable notification: {exc}")
            return
        with self._waiting_lock:
            job = self._waiting.get(note.uuid)
            if job is not None and not job.started:
                job.messages.append(message)
                job.peers |= note.peer_uuids()
                self.stats.coalesced += 1
                return
            job = self._waiting[note.uuid] = _Job(note, [message], note.peer_uuids())
            if note.uuid in self._running:
                # One apply per object at a time: an apply that read old before a delete must not
                # write after the apply that handled the delete found nothing to remove.
                self._deferred[note.uuid] = job
                return
            self._running.add(note.uuid)
        self._ready.append(job)

    def _dispatch(self, pending: Applies) -> None:
        """Hand waiting jobs to free workers: alone while workers are free, in groups once not."""
        while self._ready and len(pending) < self.workers:
            jobs, self._ready = self._ready[:self.group], self._ready[self.group:]
            pending[self._pool.submit(self._apply_group, jobs)] = jobs

    def _apply_group(self, jobs: list[_Job]) -> dict[int, BaseException]:
        """Worker thread: apply these objects; returns the failures by position (none: all applied).

        A group that fails for a reason other than a Cassandra being away is split, so one bad
        object is dead-lettered alone and the others are applied."""
        with self._waiting_lock:  # from here on, new messages for these objects need a new apply
            for job in jobs:
                job.started = True
                if self._waiting.get(job.note.uuid) is job:
                    del self._waiting[job.note.uuid]
        try:
            self._with_retries(jobs, self.max_attempts if len(jobs) == 1 else 1)
            return {}
        except Exception as exc:
            if self.stop_event.is_set():
                raise
            if len(jobs) == 1:
                return {0: exc}
        errors: dict[int, BaseException] = {}
        for i, job in enumerate(jobs):
            try:
                self._with_retries([job], self.max_attempts)
            except Exception as exc:
                if self.stop_event.is_set():
                    raise
                errors[i] = exc
        return errors

    def _with_retries(self, jobs: list[_Job], attempts_allowed: int) -> None:
        """Transient failures (a Cassandra away) are retried with backoff until it is back or we
        are stopping; other failures are raised after ``attempts_allowed`` attempts."""
        backoff = 0.2
        attempts = 0
        while True:
            stores = None
            try:
                stores = self._db()
                self._apply(jobs, stores)
                return
            except Exception as exc:
                if self.stop_event.is_set():
                    raise
                if _is_transient(exc):
                    self.stats.retries += 1
                    self.on_event("retry", {"uuids": [j.note.uuid for j in jobs][:5], "error": type(exc).__name__})
                    if stores is not None:
                        self._retire_db(stores)
                else:
                    attempts += 1
                    if attempts >= attempts_allowed:
                        raise
                    self.stats.retries += 1
                self.stop_event.wait(backoff)
                backoff = min(self.backoff_max, backoff * 2)

    def _collect(self, channel: BlockingChannel, pending: Applies, block: bool, draining: bool = False) -> None:
        """Ack, republish or dead-letter finished messages (this thread owns the channels)."""
        from concurrent.futures import FIRST_COMPLETED, wait

        while pending:
            done = [f for f in pending if f.done()]
            if not done:
                if not block:
                    return
                wait(list(pending), timeout=0.2, return_when=FIRST_COMPLETED)
                try:
                    if self._in is not None:
                        self._in.process_data_events(0)  # keep heartbeats flowing while we wait
                except Exception:
                    pass
                continue
            finished: list[tuple[_Job, BaseException | None]] = []
            for future in done:
                jobs = pending.pop(future)
                failed = future.exception() if not future.cancelled() else None
                errors = future.result() if not future.cancelled() and failed is None else {}
                for i, job in enumerate(jobs):
                    with self._waiting_lock:
                        follower = None if self.stop_event.is_set() else self._deferred.pop(job.note.uuid, None)
                        if follower is None:
                            self._running.discard(job.note.uuid)
                    if follower is not None:
                        self._ready.append(follower)
                    if future.cancelled() or (failed is not None and self.stop_event.is_set()):
                        continue  # stopping: leave it unacked, it is redelivered next time
                    finished.append((job, errors.get(i, failed)))
            self._finish(channel, finished)
            if not block and not draining:
                return

    def _finish(self, channel: BlockingChannel, finished: list[tuple[_Job, BaseException | None]]) -> None:
        """Republish what was applied (one broker transaction for all of it), then ack it; dead-letter
        what failed. Acks come last: a crash in between means redelivery and a duplicate
        notification on NEW, never a lost one."""
        if self.republish:
            self._republish([(body, props) for job, error in finished if error is None
                             for _, props, body in job.messages])
        for job, error in finished:
            for method, props, body in job.messages:
                if error is not None:
                    self._dead_letter(channel, method, body, f"{type(error).__name__}: {error}"[:300])
                    continue
                channel.basic_ack(method.delivery_tag)
                self.stats.applied += 1
                sent = (props.headers or {}).get("x-tfdata-sent-us") if props is not None else None
                if isinstance(sent, int):
                    self.stats.lag_ms.append((time.time() * 1_000_000 - sent) / 1000.0)
            if error is None:
                note = job.note
                self.on_event("applied", {"oper": note.oper, "type": note.type, "uuid": note.uuid})

    def _apply(self, jobs: list[_Job], stores: Stores) -> None:
        old, new = stores
        sync_objects(old, new, [ObjectChange(j.note.uuid, j.note.type or None, j.note.fq_name, set(j.peers))
                                for j in jobs], self.stats.rows)

    def _republish(self, messages: list[tuple[bytes, BasicProperties | None]]) -> None:
        if not messages:
            return
        backoff = 0.2
        while True:
            try:
                out = self._publisher()
                for body, props in messages:
                    publish_notification(out, body, props.headers if props else None)
                out.tx_commit()  # the broker holds them all, or none: the whole batch is sent again
                self.stats.republished += len(messages)
                return
            except broker_errors() as exc:
                if self.stop_event.is_set():
                    raise
                self.stats.reconnects += 1
                self.on_event("reconnect", {"what": "new broker", "error": f"{type(exc).__name__}"})
                self._drop_broker("out")
                self.stop_event.wait(backoff)
                backoff = min(self.backoff_max, backoff * 2)

    def _dead_letter(self, channel: BlockingChannel, method: Basic.Deliver, body: bytes, reason: str) -> None:
        send_to_queue(channel, f"{self.queue}.dead", body, {"x-tfdata-error": reason})
        channel.basic_ack(method.delivery_tag)
        self.stats.dead_lettered += 1
        self.stats.dead_letters.append({"reason": reason, "body": body[:200].decode("utf-8", "replace")})
        self.on_event("dead-letter", {"reason": reason})

    def close(self) -> None:
        self._drop_broker("in")
        self._drop_broker("out")
        self._reset_db()
