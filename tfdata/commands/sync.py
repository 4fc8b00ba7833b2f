"""tfdata sync pre | run | post | zk | verify — the ISSU data path."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..output import FORMAT_OPTION, Progress, emit_json, example
from .common import READERS_OPTION

FROM = click.option("--from", "source", default="old", show_default=True, help="Profile of the old cluster.")
TO = click.option("--to", "target", default="new", show_default=True, help="Profile of the new cluster.")


def _profiles(ctx, source, target):
    from ..config import get_profile

    obj = ctx.find_root().obj or {}
    return (get_profile(source, obj.get("config_path"), obj.get("issu_conf")),
            get_profile(target, obj.get("config_path"), obj.get("issu_conf")))


def _copy_options(options_class, ranges, workers, batch_kib, rate, dry_run, restart, checkpoint, clock_skew,
                  no_catch_up, **extra):
    """The bulk-copy flags shared by pre and post, as the step's options."""
    return options_class(ranges=ranges, workers=workers, batch_kib=batch_kib, rate=rate, dry_run=dry_run,
                         restart=restart, checkpoint=Path(checkpoint) if checkpoint else None,
                         clock_skew=None if no_catch_up else clock_skew, **extra)


def _run_copy(step, output_format: str, **kwargs):
    """Run a bulk-copy step with a progress bar of its token ranges."""
    with Progress(output_format == "text") as progress:
        task = progress.task("copy ranges")

        def on_unit(done, total):
            task.set_total(total)
            task.advance(1)
        return step(on_unit=on_unit, **kwargs)


def _render_copy(result, source: str, target: str, output_format: str) -> None:
    if output_format == "json":
        emit_json(result.as_dict())
        return
    verb = "plan" if result.dry_run else "copied"
    click.echo(f"{verb}: {source} -> {target} in {result.seconds:.1f}s"
               + (f" ({result.skipped_units} ranges already done in an earlier run)" if result.skipped_units else ""))
    for name, c in result.tables.items():
        click.echo(f"  {name}: +{c['rows_added']} rows, ~{c['rows_updated']} updated, -{c['rows_deleted']} deleted, "
                   f"{c['rows_same']} same; {c['cells_written']} cells written, {c['cells_deleted']} deleted"
                   + (f", {c['bumped']} with bumped write time" if c["bumped"] else ""))
    for name in result.missing_on_old:
        click.echo(f"  {name}: not on the old cluster, left untouched")
    if result.catch_up:
        c = result.catch_up
        click.echo(f"  catch-up: {c['rows_checked']} rows whose links changed during the copy read again, "
                   f"{c['rows_rewritten']} rewritten ({c['passes']} pass{'es' if c['passes'] != 1 else ''})")


COPY_OPTIONS = [
    click.option("--ranges", default=64, show_default=True, help="Token ranges per table (unit of work and resume)."),
    click.option("--workers", default=8, show_default=True, help="Parallel range workers."),
    click.option("--batch-kib", type=click.IntRange(1, 48), default=24, show_default=True,
                 help="Size of a write batch (up to 10 neighbouring rows). Cassandra logs a warning for each "
                      "batch over its batch_size_warn_threshold (5 KiB by default): 5 keeps NEW's log quiet "
                      "but copies more slowly (see BENCHMARKS.md)."),
    click.option("--rate", type=float, default=None, help="At most this many cells written per second."),
    click.option("--dry-run", is_flag=True, help="Compare only; print rows to add/update/delete per table."),
    click.option("--restart", is_flag=True, help="Ignore a checkpoint from an interrupted run."),
    click.option("--checkpoint", type=click.Path(dir_okay=False), default=None,
                 help="Checkpoint file (default .tfdata/sync-*.ckpt)."),
    click.option("--clock-skew", type=float, default=60.0, show_default=True,
                 help="Seconds the API servers' clocks may lag this host's (catch-up looks back that much more)."),
    click.option("--no-catch-up", is_flag=True,
                 help="Skip re-copying rows whose links changed during the copy (only when OLD is quiet)."),
]


def copy_options(fn):
    for option in reversed(COPY_OPTIONS):
        fn = option(fn)
    return fn


@click.group("sync", epilog=example("tfdata sync pre --issu-conf /etc/contrail/contrail-issu.conf --dry-run"))
def command():
    """The ISSU data path, old -> new: pre, run, post, zk, then verify.

    pre is the first bulk copy; run follows old's changes while the upgrade goes on; post is the
    final copy once run is stopped; zk copies the ZooKeeper trees; verify, after each step, proves
    that new equals old. The old cluster is only read (and holds run-sync's durable queue); every
    write lands on new.
    """


@command.command("pre", epilog=example("tfdata sync pre --dry-run", "tfdata sync pre"))
@FROM
@TO
@copy_options
@click.option("--queue", default="tfdata.issu.run-sync", show_default=True,
              help="Durable run-sync queue to declare on the old broker BEFORE copying (no gap).")
@click.option("--no-queue", is_flag=True, help="Do not declare the run-sync queue.")
@FORMAT_OPTION
@click.pass_context
def pre(ctx, source, target, queue, no_queue, output_format, **copy):
    """First bulk copy of every TF keyspace, old -> new: new's tables become equal to old's.

    Write times are kept. Before copying, it declares the durable run-sync queue on the old broker,
    so every change made from then on is kept for `tfdata sync run`. After the copy, a catch-up
    re-copies the rows whose children/backref cells changed during the copy: their change
    notification names only the other object, so run-sync alone would miss them. Run again after
    an interruption, it resumes from its checkpoint (per token range).
    """
    from ..sync.steps import PreSyncOptions, pre_sync

    options = _copy_options(PreSyncOptions, **copy, queue=None if no_queue else queue)
    options.check()  # before the profiles are read
    old, new = _profiles(ctx, source, target)

    def on_queue_declared(name, depth):
        if output_format == "text":
            click.echo(f"run-sync queue '{name}' declared on the old broker ({depth} messages waiting); "
                       "changes made from now on are kept for `tfdata sync run`")
    result = _run_copy(pre_sync, output_format, old=old, new=new, options=options,
                       on_queue_declared=on_queue_declared)
    _render_copy(result, source, target, output_format)
    if output_format == "text" and not options.dry_run:
        click.echo("next: start `tfdata sync run`, then make the NEW control nodes re-read their config "
                   "(restart them, or send SIGUSR1 to contrail-control) — tfdata does not ssh anywhere")


@command.command("post", epilog=example("tfdata sync post --dry-run", "tfdata sync post"))
@FROM
@TO
@copy_options
@click.option("--no-config-db", is_flag=True, help="Copy only the four private keyspaces, as upstream does.")
@FORMAT_OPTION
@click.pass_context
def post(ctx, source, target, no_config_db, output_format, **copy):
    """Final copy, old -> new, once `tfdata sync run` is stopped: to_bgp_keyspace, useragent,
    svc_monitor_keyspace and dm_keyspace, plus a final pass over config_db_uuid.

    The final pass repairs whatever run-sync could not see, and only writes where the sides differ.
    Like pre, it resumes from its checkpoint when run again. The ZooKeeper trees follow with
    `tfdata sync zk`.
    """
    from ..sync.steps import PostSyncOptions, post_sync

    options = _copy_options(PostSyncOptions, **copy, config_db=not no_config_db)
    options.check()  # before the profiles are read
    old, new = _profiles(ctx, source, target)
    result = _run_copy(post_sync, output_format, old=old, new=new, options=options)
    _render_copy(result, source, target, output_format)


@command.command("run", epilog=example("tfdata sync run", "tfdata sync run --until-idle 5 --delete-queue"))
@FROM
@TO
@click.option("--queue", default="tfdata.issu.run-sync", show_default=True,
              help="Durable queue on the old broker bound to vnc_config.object-update: the one `sync pre` "
                   "declared (declared here if missing). Dead letters go to QUEUE.dead.")
@click.option("--prefetch", default=1000, show_default=True,
              help="Unacked messages held at once; what waits for a worker is applied in groups.")
@click.option("--until-idle", type=float, default=None, help="Stop after the queue stayed empty this many seconds.")
@click.option("--max-messages", type=int, default=None, help="Stop after this many messages.")
@click.option("--no-republish", is_flag=True, help="Do not republish notifications on the new broker.")
@click.option("--hook", default=None, help="Command to run once at start (e.g. to make new control nodes re-read).")
@click.option("--delete-queue", is_flag=True, help="Delete the queue when stopping cleanly (end of the upgrade).")
@FORMAT_OPTION
@click.pass_context
def run(ctx, source, target, queue, prefetch, until_idle, max_messages, no_republish, hook, delete_queue,
        output_format):
    """Follow old's changes and apply them to new until stopped (SIGINT or SIGTERM).

    Old's API servers publish each config change on the RabbitMQ exchange vnc_config.object-update;
    the durable queue declared by `tfdata sync pre` keeps these notifications on the old broker.
    For each one, the object's rows are read again from old and made equal on new, the notification
    is republished on new's broker, and only then acked. Leave it running while the vRouters move.
    Exit 1 when a notification could not be applied and went to the dead-letter queue QUEUE.dead.
    """
    import time

    from ..sync.steps import RunSyncOptions, run_sync

    options = RunSyncOptions(queue=queue, prefetch=prefetch, republish=not no_republish, until_idle=until_idle,
                             max_messages=max_messages, hook=hook, delete_queue=delete_queue, stop_on_signals=True)
    options.check()  # before the profiles are read
    old, new = _profiles(ctx, source, target)
    last = {"t": 0.0}

    def on_event(kind, data):
        if output_format == "json":
            if kind in ("dead-letter", "reconnect"):
                sys.stderr.write(json.dumps({"event": kind, **data}) + "\n")
        elif kind in ("dead-letter", "reconnect", "retry"):
            click.echo(f"{kind}: {data}", err=True)

    def on_progress(s):
        now = time.monotonic()
        if output_format == "text" and now - last["t"] >= 2 and sys.stderr.isatty():
            last["t"] = now
            click.echo(f"applied {s.applied}, queue {s.queue_depth}, republished {s.republished}, "
                       f"dead-lettered {s.dead_lettered}", err=True)

    if output_format == "text":
        click.echo(f"run-sync: {source} -> {target}, queue '{queue}' (Ctrl-C to stop)", err=True)
    stats = run_sync(old, new, options, on_event=on_event, on_progress=on_progress)
    if output_format == "json":
        emit_json(stats.as_dict())
    else:
        d = stats.as_dict()
        click.echo(f"stopped: {d['applied']} applied, {d['republished']} republished, {d['dead_lettered']} "
                   f"dead-lettered (queue {queue}.dead), {d['redelivered']} redelivered, {d['reconnects']} reconnects; "
                   f"queue depth {d['queue_depth']}")
    if stats.dead_lettered:
        ctx.exit(1)


@command.command("zk", epilog=example("tfdata sync zk --dry-run", "tfdata sync zk"))
@FROM
@TO
@click.option("--dry-run", is_flag=True,
              help="Count the znodes each tree would create, update and delete; write and verify nothing.")
@click.option("--no-validation", is_flag=True, help="Do not copy /validation (VLAN uniqueness markers).")
@FORMAT_OPTION
@click.pass_context
def zk(ctx, source, target, dry_run, no_validation, output_format):
    """Copy old's ZooKeeper trees to new (fq-name-to-uuid, api-server, id, validation), then verify
    them recursively.

    The last copy step, after `tfdata sync post`: both trees are walked side by side and only the
    differences are written, so running it again writes only what is still missing. Exit 1 when a
    tree still differs after the copy.
    """
    from ..sync.steps import ZkSyncOptions, zk_sync

    old, new = _profiles(ctx, source, target)
    result = zk_sync(old, new, ZkSyncOptions(dry_run=dry_run, include_validation=not no_validation))
    if output_format == "json":
        emit_json(result.as_dict())
    else:
        for t in result.trees:
            state = "" if dry_run else (" verified" if t.verified else f" MISMATCH {t.mismatches[:3]}")
            click.echo(f"{t.old_root} -> {t.new_root}: +{t.created} ~{t.updated} -{t.deleted} ={t.same}{state}")
    if not dry_run and not result.verified:
        ctx.exit(1)


@command.command("check", epilog=example("tfdata sync check pre", "tfdata sync check cutover --format json"))
@click.argument("stage", type=click.Choice(["pre", "final", "cutover"]))
@FROM
@TO
@click.option("--queue", default="tfdata.issu.run-sync", show_default=True,
              help="The run-sync queue on the old broker (its depth and dead letters are checked at final).")
@FORMAT_OPTION
@click.pass_context
def check_cmd(ctx, stage, source, target, queue, output_format):
    """Check that the clusters are ready for an ISSU stage: pre (before sync pre), final (before
    sync post and sync zk) or cutover (after the switch to the new controllers).

    Batch-job leaders (schema-transformer, svc-monitor, device-manager, kube-manager) must be on
    the old cluster only until the cut-over and on the new one only after it; new control nodes
    must be registered in the old cluster before pre-sync; after the cut-over the node objects
    must name the new hosts; run-sync must have drained its queue before post-sync. Each
    service's health is checked on both sides. Exit 0 when no check fails at error severity, 1
    otherwise, 2 on usage errors.
    """
    from ..sync.stage_checks import CHECKS, check_stage
    from .audit import render_findings, summary_line

    old, new = _profiles(ctx, source, target)
    result = check_stage(stage, old, new, queue)
    if output_format == "json":
        emit_json(result.as_dict())
    else:
        render_findings(result.findings, sys.stdout.isatty(), CHECKS)
        click.echo(summary_line(result.summary(), len(result.findings), len(result.findings)))
        click.echo(f"stage {stage}: " + ("ready" if result.errors == 0 else "NOT ready"))
    ctx.exit(1 if result.errors else 0)


@command.command("verify", epilog=example("tfdata sync verify --no-zookeeper --repair --dry-run",
                                           "tfdata sync verify"))
@FROM
@TO
@click.option("--settle", type=float, default=2.0, show_default=True,
              help="Seconds to wait before re-checking differences (writes in flight).")
@click.option("--ignore", multiple=True, help="Fields that may differ (as in tfdata diff).")
@click.option("--no-zookeeper", is_flag=True,
              help="Cassandra only (the checks before `sync zk`, which copies the ZooKeeper trees last).")
@click.option("--repair", is_flag=True,
              help="Make what stays different equal to old on new (objects with their links and index cells, "
                   "rows, znodes), then check again.")
@click.option("--dry-run", is_flag=True, help="With --repair: list what would be repaired, write nothing.")
@READERS_OPTION
@FORMAT_OPTION
@click.pass_context
def verify_cmd(ctx, source, target, settle, ignore, no_zookeeper, repair, dry_run, readers, output_format):
    """Prove that new holds the same config store as old (Cassandra and ZooKeeper).

    Differences are read again after --settle seconds, so writes still in flight do not count.
    Before `tfdata sync zk`, check with --no-zookeeper. --repair makes what stays different on new
    equal to old and checks again. Exit 0 when equal (after --repair: once they are), 1 when they
    differ, 2 on usage or connection errors.
    """
    from ..commands.diff import render_text
    from ..sync.steps import VerifyOptions, verify_clusters

    options = VerifyOptions(settle=settle, ignore=list(ignore), zookeeper=not no_zookeeper, repair=repair,
                            dry_run=dry_run, readers=readers)
    options.check()  # before the profiles are read
    old, new = _profiles(ctx, source, target)
    with Progress(output_format == "text") as progress:
        task = progress.task("reading both clusters")
        result = verify_clusters(old, new, options, on_cell=task.advance)
    if output_format == "json":
        emit_json(result.as_dict())
    else:
        if result.repaired and not result.dry_run:
            click.echo(f"repaired {len(result.repaired) - len(result.changes)} of {len(result.repaired)} "
                       "differences (new made equal to old):")
            for change in result.repaired:
                click.echo(f"  {_label(change)}")
        render_text(result)
        if result.settled:
            click.echo(f"({result.settled} differences were writes in flight and settled)")
        if result.dry_run:
            click.echo(f"dry run: --repair would make these {len(result.changes)} differences equal to old")
    ctx.exit(0 if result.equal else 1)


def _label(change: dict) -> str:
    if change["kind"] == "object":
        return f"object {change.get('type')} {change['uuid']} ({change['change']})"
    if change["kind"] == "stale_index_entry":
        return f"stale index entry {change.get('type')} {change['uuid']} ({change['change']})"
    if change["kind"] == "row":
        return f"row {change['keyspace']}.{change['table']} {change['key']} ({change['change']})"
    return f"znode {change['path']} ({change['change']})"


