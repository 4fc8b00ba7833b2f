"""tfdata audit SOURCE"""

from __future__ import annotations

import sys
from itertools import groupby

import click

from ..audit import CATALOGUE, SEVERITIES, audit
from ..filters import check_audit_checks
from ..output import FORMAT_OPTION, Progress, emit_json, example
from .common import opened

SEVERITY_COLORS = {"error": "red", "warning": "yellow", "info": "cyan"}


def _validate_checks(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Every --check must name a check id or a family of them (exit 2 otherwise), before the scan."""
    check_audit_checks(value, CATALOGUE)
    return value


def release_line(release) -> str:
    if release is None:
        return "release: unknown (no release whitelists installed; schema checks skipped)"
    if not release.guessed:
        return f"release: {release.name} (given)"
    return f"release: {release.name} (guessed, confidence {release.confidence:.2f}: {release.reason})"


def cassandra_line(facts: dict[str, str]) -> str:
    """The source's Cassandra version and TF table layout: both shape what a copy of it can hold."""
    return (f"cassandra: {facts.get('cassandra_version', 'unknown')}, "
            f"TF tables {facts.get('cassandra_layout', 'of unrecorded layout')}")


def _style(text: str, color: bool, **kwargs) -> str:
    return click.style(text, **kwargs) if color else text


def _where(finding) -> str:
    parts = [finding.cluster] if finding.cluster else []
    if finding.uuid:
        parts.append(finding.uuid)
    if finding.type:
        parts.append(finding.type)
    if finding.fq_name:
        parts.append(":".join(finding.fq_name))
    if finding.path and not finding.uuid:
        parts.append(finding.path)
    return "  ".join(parts) or "(store)"


def render_findings(findings, color: bool, catalogue=CATALOGUE) -> None:
    """Findings grouped by check: a title line per check, then where and what, then the repair."""
    for check_id, same_check in groupby(findings, key=lambda f: f.check):
        group = list(same_check)
        severity = group[0].severity
        declared = catalogue.get(check_id)
        title = f"{severity:<7} {check_id} ({len(group)})" + (f"  {declared.title}" if declared else "")
        click.echo(_style(title, color, fg=SEVERITY_COLORS.get(severity), bold=True))
        same_repair = len({f.repair for f in group}) == 1
        for item in group:
            click.echo(f"  {_where(item)}")
            click.echo(f"      {item.detail}")
            if item.path and item.uuid:
                click.echo(f"      at {item.path}")
            if not same_repair:
                click.echo(f"      repair: {item.repair}")
        if same_repair and group[0].repair:
            click.echo(f"  repair: {group[0].repair}")
        click.echo("")


def summary_line(summary: dict, shown: int, total: int) -> str:
    counts = ", ".join(f"{summary[s]} {s}{'s' if s != 'info' and summary[s] != 1 else ''}" for s in SEVERITIES)
    hidden = f" ({total - shown} below --severity not shown)" if shown != total else ""
    return f"summary: {counts}{hidden}"


def _list_checks(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    for check_id in sorted(CATALOGUE):
        declared = CATALOGUE[check_id]
        click.echo(f"{check_id:<36} {declared.severity:<8} {declared.title}")
    ctx.exit(0)


@click.command("audit", epilog=example("tfdata audit old --release R2011 --severity warning"))
@click.argument("source")
@click.option("--release", default=None, metavar="R",
              help="Release to validate against (default: guessed from the data; see 'tfdata schema list').")
@click.option("--severity", type=click.Choice(list(SEVERITIES)), default="info", show_default=True,
              help="Lowest severity shown (the summary and the exit code count everything).")
@click.option("--check", "checks", multiple=True, metavar="ID", callback=_validate_checks,
              help="Only this check id (link.dangling_ref) or family (link). Repeatable.")
@click.option("--list-checks", is_flag=True, expose_value=False, is_eager=True, callback=_list_checks,
              help="List every check id with its severity and exit.")
@FORMAT_OPTION
@click.pass_context
def command(ctx, source, release, severity, checks, output_format):
    """Consistency audit of SOURCE (profile, dump or snapshot): every db_manage.py check and more.

    Exit 0 when there is no error-severity finding, 1 otherwise, 2 on usage or connection errors.
    """
    with opened(ctx, source) as src:
        with Progress(output_format == "text") as progress:
            task = progress.task(f"auditing {source}")
            result = audit(src, release=release, on_progress=task.advance, checks=checks)
        facts = src.facts() if hasattr(src, "facts") else {}
    if output_format == "json":
        emit_json({**result.as_dict(severity), **({"cassandra": facts} if facts else {})})
    else:
        color = sys.stdout.isatty()
        if facts:  # a live cluster or its snapshot; a dump records no server
            click.echo(cassandra_line(facts))
        click.echo(release_line(result.release))
        click.echo("")
        shown = result.shown(severity)
        render_findings(shown, color)
        stats = result.stats
        click.echo(f"audited {stats['objects']} objects, {stats['cells']} cells, {stats['znodes']} znodes "
                   f"in {stats['seconds']:.1f} s")
        click.echo(summary_line(result.summary(), len(shown), len(result.findings)))
    ctx.exit(1 if result.errors else 0)
