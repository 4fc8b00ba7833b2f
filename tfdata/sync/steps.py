"""The ISSU data path as library calls: pre_sync, run_sync, post_sync, zk_sync, verify_clusters.

Each step takes the old and new clusters' profiles and one options object, and opens, tunes and
closes its own stores, so a script drives an upgrade as the CLI does and the CLI
(commands/sync.py) only parses options and renders results. Order and rationale:
docs/issu-runbook.md, docs/design/run-sync.md.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from ..outfile import check_state_file
from ..config import Profile
from ..errors import InputError
from ..model.keyspaces import PRIVATE_KEYSPACES, TF_KEYSPACES
from ..stores.base import opened_pair
from .catchup import DEFAULT_CLOCK_SKEW
from .copy import DEFAULT_RANGES, CopyOptions, CopyResult, copy_tables
from .run import DEFAULT_QUEUE, RunStats, RunSync, declare_queue, delete_queue

if TYPE_CHECKING:  # verify and zk-sync are imported when used: they pull in the diff engine
    from .verify import VerifyResult
    from .zk import ZkSyncResult

CHECKPOINT_DIR = Path(".tfdata")
MAX_BATCH_KIB = 48  # multi-row batches stay under Cassandra's 50 KiB batch_size_fail_threshold


def checkpoint_path(keyspaces: Iterable[str], old_name: str, new_name: str, directory: Path = CHECKPOINT_DIR) -> Path:
    """Where a bulk copy records its finished ranges by default: one file per keyspaces and pair
    of profiles, so pre-sync and post-sync (or copies between other clusters) never share one."""
    return directory / f"sync-{'-'.join(keyspaces)[:40]}-{old_name}-{new_name}.ckpt"


def _at_least_one(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise InputError(f"{name} {value}: give at least 1")


# ------------------------------------------------------------------------------ bulk copies

@dataclass
class BulkCopyOptions:
    """How pre-sync and post-sync copy; which keyspaces is theirs to decide."""

    ranges: int = DEFAULT_RANGES  # token ranges per table: the unit of work and of resume
    workers: int = 8
    batch_kib: int = 24  # write batch size; 5 keeps NEW's log free of Cassandra's batch-size warning
    rate: float | None = None  # at most this many cells written per second
    dry_run: bool = False  # compare only: the counts are the plan
    restart: bool = False  # forget the checkpoint of an interrupted run
    checkpoint: Path | None = None  # None: checkpoint_path() under .tfdata/
    clock_skew: float | None = DEFAULT_CLOCK_SKEW  # None: no catch-up (only when OLD is quiet)

    def check(self) -> None:
        """Before anything is opened: values that cannot work are input errors, not a traceback
        (no workers) or a copy that silently copies nothing (no ranges)."""
        _at_least_one(ranges=self.ranges, workers=self.workers)
        if self.rate is not None and self.rate <= 0:
            raise InputError(f"rate {self.rate:g}: give a positive number of cells per second, or none")
        if not 1 <= self.batch_kib <= MAX_BATCH_KIB:
            raise InputError(f"batch size {self.batch_kib} KiB: give 1 to {MAX_BATCH_KIB} "
                             "(larger batches fail on Cassandra's 50 KiB threshold)")


@dataclass
class PreSyncOptions(BulkCopyOptions):
    queue: str | None = DEFAULT_QUEUE  # declared on OLD's broker before copying; None: declare none


@dataclass
class PostSyncOptions(BulkCopyOptions):
    config_db: bool = True  # False: only the four private keyspaces, as upstream's post-sync


def pre_sync(old: Profile, new: Profile, options: PreSyncOptions | None = None,
             on_unit: Callable[[int, int], None] | None = None,
             on_queue_declared: Callable[[str, int], None] | None = None) -> CopyResult:
    """Declare the run-sync queue, then copy every TF keyspace old -> new, then catch up.

    The queue is declared only once both clusters answered (no orphan queue filling up on OLD)
    and never on a dry run; ``on_queue_declared(queue, depth)`` tells when changes start being kept.
    """
    options = options or PreSyncOptions()
    return _bulk_copy(old, new, list(TF_KEYSPACES), options, on_unit,
                      None if options.dry_run else options.queue, on_queue_declared)


def post_sync(old: Profile, new: Profile, options: PostSyncOptions | None = None,
              on_unit: Callable[[int, int], None] | None = None) -> CopyResult:
    """Copy the private keyspaces after run-sync stopped, plus a final pass over config_db_uuid
    that repairs whatever run-sync could not see (writing only where the sides differ)."""
    options = options or PostSyncOptions()
    keyspaces = list(TF_KEYSPACES) if options.config_db else list(PRIVATE_KEYSPACES)
    return _bulk_copy(old, new, keyspaces, options, on_unit, None, None)


def copy_options(options: BulkCopyOptions, keyspaces: list[str], old_name: str, new_name: str) -> CopyOptions:
    """What copy_tables needs: the step's keyspaces and a checkpoint file named for them."""
    return CopyOptions(keyspaces=keyspaces, ranges=options.ranges, workers=options.workers, rate=options.rate,
                       dry_run=options.dry_run, clock_skew=options.clock_skew,
                       checkpoint=options.checkpoint or checkpoint_path(keyspaces, old_name, new_name))


def _bulk_copy(old: Profile, new: Profile, keyspaces: list[str], options: BulkCopyOptions,
               on_unit: Callable[[int, int], None] | None, queue: str | None,
               on_queue_declared: Callable[[str, int], None] | None) -> CopyResult:
    from ..stores.cassandra import CassandraStore, refuse_unservable_pair

    options.check()
    plan = copy_options(options, keyspaces, old.name, new.name)
    checkpoint = plan.checkpoint
    assert checkpoint is not None  # copy_options names one when the options do not
    if options.restart and not options.dry_run:  # a dry run removes nothing
        check_state_file(checkpoint)  # never unlink a directory or whatever else sits there
        checkpoint.unlink(missing_ok=True)
    check_state_file(checkpoint)  # before connecting; a dry run checks what the real run would
    with opened_pair(CassandraStore, old, new) as (old_db, new_db):
        refuse_unservable_pair(old_db, new_db)
        new_db.batch_bytes = options.batch_kib * 1024
        if queue:
            depth = declare_queue(old, queue)
            if on_queue_declared:
                on_queue_declared(queue, depth)
        return copy_tables(old_db, new_db, plan, on_unit=on_unit)


# ------------------------------------------------------------------------------ run-sync

@dataclass
class RunSyncOptions:
    queue: str = DEFAULT_QUEUE
    prefetch: int = 1000  # unacked messages held at once; what waits for a worker is applied in groups
    workers: int = 8
    republish: bool = True  # notify NEW's services of every applied change
    until_idle: float | None = None  # stop once the queue stayed empty this many seconds
    max_messages: int | None = None
    hook: str | None = None  # command run once at start (e.g. make NEW control nodes re-read)
    delete_queue: bool = False  # when stopping cleanly: the end of the upgrade
    stop_on_signals: bool = False  # SIGINT/SIGTERM stop it cleanly (a CLI process wants this)
    stop: threading.Event | None = None  # set it to stop run-sync from another thread

    def check(self) -> None:
        _at_least_one(prefetch=self.prefetch, workers=self.workers)


def run_sync(old: Profile, new: Profile, options: RunSyncOptions | None = None,
             on_event: Callable[[str, dict], None] | None = None,
             on_progress: Callable[[RunStats], None] | None = None) -> RunStats:
    """Replay old's changes onto new until stopped; acks only after applying. ``on_event(kind,
    data)`` reports reconnects, retries, dead letters, applies; ``on_progress(stats)`` follows each."""
    options = options or RunSyncOptions()
    options.check()

    def relay(kind: str, data: dict) -> None:
        if on_event:
            on_event(kind, data)
        if on_progress:
            on_progress(syncer.stats)

    syncer = RunSync(old, new, queue=options.queue, prefetch=options.prefetch, republish=options.republish,
                     workers=options.workers, on_event=relay, stop_event=options.stop)
    if options.stop_on_signals:
        syncer.install_signal_handlers()
    stats = syncer.run(until_idle=options.until_idle, max_messages=options.max_messages, hook=options.hook)
    if options.delete_queue:
        delete_queue(old, options.queue)
    return stats


# ------------------------------------------------------------------------------ zk-sync, verify

@dataclass
class ZkSyncOptions:
    dry_run: bool = False  # count the differences, write nothing
    include_validation: bool = True  # also /validation (VLAN uniqueness markers)


def zk_sync(old: Profile, new: Profile, options: ZkSyncOptions | None = None,
            on_op: Callable[[int], None] | None = None) -> ZkSyncResult:
    """Make new's config trees equal to old's (only the differences), then verify them recursively."""
    from ..stores.zookeeper import ZookeeperStore
    from .zk import sync_zookeeper

    options = options or ZkSyncOptions()
    with opened_pair(ZookeeperStore, old, new) as (old_zk, new_zk):
        return sync_zookeeper(old_zk, new_zk, dry_run=options.dry_run,
                              include_validation=options.include_validation, on_op=on_op)


@dataclass
class VerifyOptions:
    settle: float = 2.0  # seconds before differences are read again (writes in flight)
    ignore: list[str] = field(default_factory=list)  # fields that may differ, as in tfdata diff
    zookeeper: bool = True  # False: Cassandra only (before zk-sync the trees differ by design)
    repair: bool = False  # make what stays different equal to OLD on NEW, then check again
    dry_run: bool = False  # with repair: list what would be repaired, write nothing
    readers: int = 1

    def check(self) -> None:
        """Before either cluster is read: options that cannot mean anything are input errors."""
        from ..filters import check_ignore_patterns

        if self.dry_run and not self.repair:
            raise InputError("--dry-run only means something with --repair")
        if self.settle < 0:
            raise InputError(f"settle {self.settle:g}: give 0 or more seconds")
        _at_least_one(readers=self.readers)
        check_ignore_patterns(self.ignore)


def verify_clusters(old: Profile, new: Profile, options: VerifyOptions | None = None,
                    on_cell: Callable[..., None] | None = None) -> VerifyResult:
    """The final gate: equal only when old and new hold the same config store (after a repair: once
    they do). Differences still there after the settle delay are the result's changes."""
    from ..ops.diff import DiffOptions
    from ..stores.cluster import ClusterStore
    from .verify import verify

    options = options or VerifyOptions()
    options.check()
    with opened_pair(ClusterStore, old, new) as (old_store, new_store):
        return verify(old_store, new_store, settle=options.settle, options=DiffOptions(ignore=list(options.ignore)),
                      on_cell=on_cell, zookeeper=options.zookeeper, repair=options.repair,
                      dry_run=options.dry_run, readers=options.readers)
