"""tfdata diff A B"""

from __future__ import annotations

import json
import sys
from itertools import groupby

import click

from ..ops.diff import DiffOptions, check_options, diff_sources
from ..output import FORMAT_OPTION, Progress, emit_json, example
from .common import READERS_OPTION, opened


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 70 else text[:67] + "..."


def _echo_details(change: dict) -> None:
    for d in change.get("details", []):
        click.echo(f"      {d['field']}: {_short(d.get('old'))} -> {_short(d.get('new'))}")


def render_text(result, details: bool = True) -> None:
    color = sys.stdout.isatty()
    marks = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}
    objects = [c for c in result.changes if c["kind"] == "object"]
    for obj_type, same_type in groupby(objects, key=lambda c: c.get("type") or "?"):
        group = list(same_type)
        click.echo(click.style(f"{obj_type} ({len(group)})", bold=True) if color else f"{obj_type} ({len(group)})")
        for c in group:
            mark, fg = marks[c["change"]]
            name = ":".join(c.get("fq_name") or []) or "?"
            line = f"  {mark} {c['uuid']}  {name}"
            click.echo(click.style(line, fg=fg) if color else line)
            if details:
                _echo_details(c)
    stale = [c for c in result.changes if c["kind"] == "stale_index_entry"]
    if stale:
        click.echo(f"stale index entries, no such object on either side ({len(stale)})")
        for c in stale:
            mark, fg = marks[c["change"]]
            line = f"  {mark} {c['uuid']}  {c.get('type') or '?'}"
            click.echo(click.style(line, fg=fg) if color else line)
            if details:
                _echo_details(c)
    rows = [c for c in result.changes if c["kind"] == "row"]
    for table, same_table in groupby(rows, key=lambda c: f"{c['keyspace']}.{c['table']}"):
        group = list(same_table)
        click.echo(f"{table} ({len(group)} rows)")
        for c in group:
            mark, fg = marks[c["change"]]
            line = f"  {mark} {c['key']}" + (f"  [{', '.join(c['fields'])}]" if c.get("fields") else "")
            click.echo(click.style(line, fg=fg) if color else line)
    nodes = [c for c in result.changes if c["kind"] == "znode"]
    if nodes:
        click.echo(f"zookeeper ({len(nodes)} nodes)")
        for c in nodes:
            mark, fg = marks[c["change"]]
            line = f"  {mark} {c['path']}"
            if c.get("details"):
                line += f"  {_short(c['details'][0]['old'])} -> {_short(c['details'][0]['new'])}"
            click.echo(click.style(line, fg=fg) if color else line)
    click.echo("equal" if result.equal else summary_line(result.summary()))


_NOUNS = {"objects": ("object", "objects"), "stale_index_entries": ("stale index entry", "stale index entries"),
          "rows": ("row", "rows"), "znodes": ("znode", "znodes")}


def summary_line(summary: dict) -> str:
    """'2 objects added, 1 changed; 3 rows changed; 1 znode removed' (distinct things, zeros left out)."""
    parts = []
    for group, (one, many) in _NOUNS.items():
        counts = [(summary[group][change], change) for change in ("added", "removed", "changed")
                  if summary[group][change]]
        if counts:
            (n, change), rest = counts[0], counts[1:]
            parts.append(", ".join([f"{n} {one if n == 1 else many} {change}", *(f"{m} {c}" for m, c in rest)]))
    return "; ".join(parts) or "equal"


@click.command("diff",
               epilog=example("tfdata diff snapshots/old-before-issu.tfsnap new --ignore id_perms.last_modified"))
@click.argument("a")
@click.argument("b")
@click.option("--ignore", multiple=True, metavar="FIELD",
              help="Field that may differ: dotted path (props.id_perms.last_modified or id_perms.last_modified, "
                   "wildcards ok), META:latest_col_ts, a column name, or 'writetimes'. Repeatable.")
@click.option("--type", "types", multiple=True,
              help="Only these object types, dash or underscore (a type no release knows and neither side "
                   "holds is an error). Repeatable.")
@click.option("--keyspace", "keyspaces", multiple=True,
              help="Only these keyspaces: config_db_uuid, useragent, to_bgp_keyspace, svc_monitor_keyspace, "
                   "dm_keyspace, or 'zookeeper' for the znodes (any other name is an error). Repeatable.")
@click.option("--writetimes", is_flag=True, help="Also compare cell write times.")
@click.option("--no-details", is_flag=True, help="Text output: list changed objects without their fields.")
@READERS_OPTION
@FORMAT_OPTION
@click.pass_context
def command(ctx, a, b, ignore, types, keyspaces, writetimes, no_details, readers, output_format):
    """Object-level differences between A and B (each a snapshot, dump or profile). Exit 0 equal, 1 different."""
    options = DiffOptions(ignore=list(ignore), types=list(types), keyspaces=list(keyspaces), writetimes=writetimes)
    check_options(options)  # a typo fails here, before a live source is read
    with opened(ctx, a, defer_integrity=True) as sa, opened(ctx, b, defer_integrity=True) as sb:
        with Progress(output_format == "text") as progress:
            task = progress.task("reading both sides")
            result = diff_sources(sa, sb, options, on_cell=task.advance, readers=readers)
    if output_format == "json":
        emit_json(result.as_dict())
    else:
        render_text(result, details=not no_details)
    ctx.exit(0 if result.equal else 1)
