"""tfdata snapshots list | show FILE | verify FILE"""

from __future__ import annotations

import click

from ..ops.snapshot import DEFAULT_DIR, list_snapshots, show_snapshot, verify_snapshot
from ..output import FORMAT_OPTION, emit_json, example


@click.group("snapshots", epilog=example("tfdata snapshots verify snapshots/old-before-issu.tfsnap"))
def command():
    """Inspect snapshot files."""


@command.command("list", epilog=example("tfdata snapshots list --dir snapshots"))
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help=f"Directory to list (default: {DEFAULT_DIR}/, which need not exist yet).")
@FORMAT_OPTION
def list_cmd(directory, output_format):
    """Snapshots in a directory with their sizes and counts."""
    entries = list_snapshots(directory)
    if output_format == "json":
        emit_json(entries)
        return
    if not entries:
        click.echo(f"no snapshots in {directory or DEFAULT_DIR}")
    for e in entries:
        if e.get("stale_temp"):
            click.echo(f"{e['path']}  {e['size_bytes']:>12,} B  STALE TEMP FILE of {e['target']} "
                       f"(process {e['pid']} is gone; safe to delete)")
            continue
        if "error" in e:
            click.echo(f"{e['path']}  {e['size_bytes']:>12,} B  UNREADABLE: {e['error']}")
            continue
        c = e.get("counts") or {}
        click.echo(f"{e['path']}  {e['size_bytes']:>12,} B  {e.get('created_at')}  {e.get('mode')}  "
                   f"{c.get('objects', 0)} objects, {c.get('cells', 0)} cells, {c.get('znodes', 0)} znodes")


@command.command("show", epilog=example("tfdata snapshots show snapshots/old-before-issu.tfsnap"))
@click.argument("file", type=click.Path(dir_okay=False))
@FORMAT_OPTION
def show_cmd(file, output_format):
    """The manifest and per-type object counts."""
    info = show_snapshot(file)
    if output_format == "json":
        emit_json(info)
        return
    m = info["manifest"]
    click.echo(f"{file} ({info['size_bytes']:,} bytes)")
    for key in ("created_at", "tfdata_version", "mode", "source", "prefix", "cassandra_version", "cassandra_layout",
                "detected_release"):
        if key in m:
            click.echo(f"  {key}: {m[key]}")
    c = m["counts"]
    click.echo(f"  counts: {c['objects']} objects, {c['rows']} rows, {c['cells']} cells, {c['znodes']} znodes")
    for name, t in m["tables"].items():
        click.echo(f"  {name}: {t['rows']} rows, {t['cells']} cells, hash {t['content_hash'][:16]}")
    click.echo("  object types:")
    for t, n in info["object_types"].items():
        click.echo(f"    {t}: {n}")


@command.command("verify", epilog=example("tfdata snapshots verify snapshots/old-before-issu.tfsnap"))
@click.argument("file", type=click.Path(dir_okay=False))
@FORMAT_OPTION
@click.pass_context
def verify_cmd(ctx, file, output_format):
    """Recompute every hash; exit 1 if the file does not match its manifest."""
    result = verify_snapshot(file)
    if output_format == "json":
        emit_json(result.as_dict())
    else:
        click.echo(f"{file}: {'OK' if result.ok else 'CORRUPT'}")
        for p in result.problems:
            click.echo(f"  {p}")
    ctx.exit(0 if result.ok else 1)
