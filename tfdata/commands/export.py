"""tfdata export SOURCE -o FILE.json"""

from __future__ import annotations

import click

from ..ops.export import export, plan_export
from ..output import FORMAT_OPTION, Progress, emit_json, example
from .common import opened


@click.command("export", epilog=example("tfdata export old -o old.json.gz"))
@click.argument("source")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Dump to write (db_json_exim format; .gz compresses).")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("--dry-run", is_flag=True, help="Check the source and the output path; write nothing.")
@FORMAT_OPTION
@click.pass_context
def command(ctx: click.Context, source: str, output: str, force: bool, dry_run: bool, output_format: str) -> None:
    """Write SOURCE (profile, dump or snapshot) as a db_json_exim dump."""
    from ..outfile import check_target

    check_target(output, force)  # the real run's checks, also for --dry-run, before reading the source
    with opened(ctx, source) as src:
        if dry_run:
            plan = plan_export(src, source, output)
            emit_json(plan.as_dict()) if output_format == "json" else click.echo(
                f"would export {len(plan.tables)} tables from {source} to {output}")
            return
        with Progress(output_format == "text") as progress:
            task = progress.task(f"export {source}")
            result = export(src, output, force=force, on_cell=task.advance)
    if output_format == "json":
        emit_json(result.as_dict())
    else:
        click.echo(f"exported {result.cells} cells in {result.tables} tables and {result.znodes} znodes "
                   f"to {result.path}")
