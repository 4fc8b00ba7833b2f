"""tfdata restore FILE.tfsnap --to PROFILE"""

from __future__ import annotations

import click

from ..ops.restore import restore
from ..output import FORMAT_OPTION, Progress, emit_json, example
from .common import opened_cluster


@click.command("restore", epilog=example("tfdata restore snapshots/new-empty.tfsnap --to new --force"))
@click.argument("snapshot", type=click.Path(dir_okay=False))
@click.option("--to", "target", required=True, help="Profile of the cluster to roll back.")
@click.option("--yes", is_flag=True, help="Act, on an empty target (a target holding data needs --force).")
@click.option("--force", is_flag=True,
              help="Act, and replace a target that holds data (a snapshot of the target is taken first).")
@click.option("--dry-run", is_flag=True, help="Print the plan only: the default, spelled out (not with --yes/--force).")
@click.option("--pre-snapshot-dir", default="snapshots", show_default=True,
              help="Where the automatic snapshot of the target is written before any change.")
@FORMAT_OPTION
@click.pass_context
def command(ctx, snapshot, target, yes, force, dry_run, pre_snapshot_dir, output_format):
    """Roll a cluster back to SNAPSHOT: exact cells and write times, resumable, verified at the end.

    One way to confirm: without options only the plan is printed (= --dry-run); --yes acts on an
    empty target; --force is needed to replace a target that holds data (its snapshot is taken first)
    and implies --yes. A restore resumed from its checkpoint needs --yes or --force again.
    """
    if dry_run and (yes or force):
        raise click.UsageError("--dry-run only plans; it cannot be combined with --yes or --force")
    with opened_cluster(ctx, target) as dst:
        with Progress(output_format == "text") as progress:
            task = progress.task(f"restore into {target}")
            result = restore(snapshot, dst, yes=yes or force, force=force,
                             pre_snapshot_dir=pre_snapshot_dir, on_cell=task.advance)
    plan = result.plan
    if output_format == "json":
        emit_json(result.as_dict())
    else:
        click.echo(("restored " if result.acted else "plan for restoring ") + f"{snapshot} into '{target}'"
                   + (" (resumed from checkpoint)" if result.resumed else ""))
        for name, t in plan.tables.items():
            mark = ("same" if name not in plan.replace_tables else "replace" if t.get("in_target") else "create")
            click.echo(f"  {name}: {mark} (snapshot {t['snapshot_cells']} cells, target {t['target_cells']} cells, "
                       f"{t['ranges_differing']} ranges differ)")
        z = plan.zookeeper
        click.echo(f"  zookeeper: {z.get('write', 0)} nodes to write, {z.get('delete', 0)} to delete, "
                   f"{z.get('same', 0)} unchanged")
        if result.pre_snapshot:
            click.echo(f"  target saved first to {result.pre_snapshot}")
        if not result.acted and result.verified:
            click.echo("target already equals the snapshot; nothing written")
        elif not result.acted:
            click.echo("nothing written; run again with " + ("--yes to act" if plan.target_empty else
                       "--force to replace the target's data (a snapshot of it is taken first)"))
        else:
            click.echo("verification: " + ("target equals the snapshot" if result.verified else
                                           "target still DIFFERS from the snapshot"))
    if result.acted and not result.verified:
        ctx.exit(1)
