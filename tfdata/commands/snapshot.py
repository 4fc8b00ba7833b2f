"""tfdata snapshot SOURCE [-o FILE.tfsnap]"""

from __future__ import annotations

import click

from ..ops.snapshot import default_path, plan_snapshot, take_snapshot
from ..output import FORMAT_OPTION, Progress, emit_json, example
from .common import READERS_OPTION, opened


@click.command("snapshot", epilog=example("tfdata snapshot old -o snapshots/old-before-issu.tfsnap --consistent"))
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Snapshot file (default: snapshots/<source>-<UTC time>.tfsnap).")
@click.option("--consistent", is_flag=True,
              help="Live clusters: capture changes made during the scan via RabbitMQ and re-read them.")
@click.option("--force", is_flag=True, help="Overwrite an existing snapshot file.")
@READERS_OPTION
@click.option("--dry-run", is_flag=True, help="Connect and list what would be captured; write nothing.")
@FORMAT_OPTION
@click.pass_context
def command(ctx, source, output, consistent, force, readers, dry_run, output_format):
    """Capture SOURCE (profile, dump or snapshot) into one SQLite snapshot file (mode 0600)."""
    from ..outfile import check_target, make_parent

    path = output or str(default_path(source.rsplit("/", 1)[-1]))
    # -o names a file in an existing directory; only the default directory is created
    check_target(path, force, create_parent=output is None)  # also for --dry-run, before reading the source
    with opened(ctx, source) as src:
        if dry_run:
            plan = plan_snapshot(src, source, path, consistent)
            emit_json(plan.as_dict()) if output_format == "json" else click.echo(
                f"would snapshot {len(plan.tables)} tables and the ZooKeeper trees of {source} into {path}")
            return
        if output is None:
            make_parent(path)
        with Progress(output_format == "text") as progress:
            task = progress.task(f"snapshot {source}")
            result = take_snapshot(src, path, force=force, consistent=consistent, on_cell=task.advance,
                                   readers=readers)
    counts = result.manifest["counts"]
    if output_format == "json":
        emit_json(result.as_dict())
    else:
        click.echo(f"snapshot {result.path}: {counts['objects']} objects, {counts['rows']} rows, "
                   f"{counts['cells']} cells, {counts['znodes']} znodes ({result.manifest['mode']})")
        if consistent:
            click.echo(f"  {result.notifications} change notifications during the scan, {result.rereads} rows re-read")
