"""tfdata load DUMP --to PROFILE"""

from __future__ import annotations

import click

from ..ops.load import LoadReport, load, plan_load
from ..output import FORMAT_OPTION, Progress, emit_json, example
from .common import opened, opened_cluster


@click.command("load", epilog=example("tfdata load old.json.gz --to new --dry-run"))
@click.argument("source")
@click.option("--to", "target", required=True, help="Profile of the cluster to load into.")
@click.option("--force", is_flag=True, help="REPLACE the target's TF keyspaces and ZooKeeper trees.")
@click.option("--dry-run", is_flag=True, help="Validate the source and print what would be written.")
@FORMAT_OPTION
@click.pass_context
def command(ctx: click.Context, source: str, target: str, force: bool, dry_run: bool, output_format: str) -> None:
    """Load a dump or snapshot into an empty cluster (or replace its TF data with --force)."""
    with opened(ctx, source) as src, opened_cluster(ctx, target) as dst:
        plan = plan_load(src, dst)
        if not dry_run:
            with Progress(output_format == "text") as progress:
                task = progress.task(f"load into {target}", total=plan.cells)
                load(src, dst, force=force, plan=plan, on_cell=task.advance)
        else:
            load(src, dst, force=force, dry_run=True, plan=plan)
    if output_format == "json":
        emit_json(LoadReport(target, plan, dry_run).as_dict())
        return
    verb = "would write" if dry_run else "wrote"
    click.echo(f"{verb} {plan.cells} cells in {len(plan.tables)} tables and {plan.znodes} znodes to '{target}'")
    for name, count in plan.tables.items():
        click.echo(f"  {name}: {plan.rows.get(name, 0)} rows, {count} cells")
    if plan.replaced:
        click.echo(("would replace: " if dry_run else "replaced: ") + ", ".join(plan.replaced))
    for note in plan.notes:
        click.echo(f"note: {note}")
