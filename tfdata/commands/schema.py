"""`tfdata schema`: look at the per-release whitelists and compare releases."""

from __future__ import annotations

import click

from ..errors import EXIT_DIFFERENT, InputError
from ..output import FORMAT_OPTION, emit_json, example
from ..schema import describe_change, diff_releases, list_releases, load_release
from .common import renamed_option

CATEGORY_ORDER = ("object_type", "parent_set", "parent", "property", "reference", "field", "enum")
CATEGORY_TITLES = {
    "object_type": "Object types",
    "parent_set": "Parent set changes on existing types",
    "parent": "Parent (has) links",
    "property": "Properties",
    "reference": "References",
    "field": "Fields inside property / link-attribute types",
    "enum": "Enumeration values",
}


def _release(name: str):
    known = list_releases()
    if name not in known:
        raise InputError(f"unknown release '{name}' (known: {', '.join(known) or 'none'})")
    return load_release(name)


def _source_line(source: dict) -> str:
    if not source:
        return "(source unknown)"
    repo = source.get("repo", "").removeprefix("https://github.com/")
    return f"{repo} {source.get('branch', '')} @ {source.get('commit', '')[:10]} ({source.get('date', '')})"


@click.group("schema", epilog=example("tfdata schema diff R2011 R21.4"))
def command() -> None:
    """Per-release schema whitelists (object types, properties, references, parents)."""


@command.command("list", epilog=example("tfdata schema list --format json"))
@FORMAT_OPTION
def list_command(output_format: str) -> None:
    """List the releases tfdata knows, oldest first, with their sizes."""
    rows = [load_release(name).summary_dict() for name in list_releases()]
    if output_format == "json":
        emit_json(rows)
        return
    click.echo(f"{'release':<8} {'types':>5} {'props':>5} {'refs':>4} {'parents':>7}  source")
    for row in rows:
        c = row["counts"]
        click.echo(f"{row['release']:<8} {c['object_types']:>5} {c['properties']:>5} {c['references']:>4} "
                   f"{c['parent_links']:>7}  {_source_line(row['source'])}")


@command.command("show", epilog=example("tfdata schema show R21.4 virtual-network"))
@click.argument("release")
@click.argument("obj_type", metavar="[TYPE]", required=False)
@click.option("--json-schema", "json_schema", is_flag=True,
              help="Print the stand-alone JSON Schema of TYPE instead of its whitelist entry.")
@FORMAT_OPTION
def show_command(release: str, obj_type: str | None, json_schema: bool, output_format: str) -> None:
    """Show a release (summary and object types) or one object type in it."""
    schema = _release(release)
    if obj_type is None:
        if json_schema:
            raise InputError("--json-schema needs a TYPE")
        _show_release(schema, output_format)
        return
    type_name = schema.type_name(obj_type)
    if type_name is None:
        raise InputError(f"unknown object type '{obj_type}' in release {schema.name} "
                         f"(see: tfdata schema show {schema.name})")
    if json_schema:
        emit_json(schema.object_schema(type_name))
        return
    _show_type(schema, type_name, output_format)


def _show_release(schema, output_format: str) -> None:
    outline = schema.as_dict()
    if output_format == "json":
        emit_json(outline)
        return
    types = outline["object_types"]
    click.echo(f"{schema.name}: {_source_line(schema.data.get('source', {}))}")
    counts = schema.counts()
    click.echo("  " + ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in counts.items()))
    click.echo(f"\n{'object type':<40} {'props':>5} {'refs':>4}  parents")
    for name, info in types.items():
        click.echo(f"{name:<40} {info['properties']:>5} {info['references']:>4}  "
                   f"{', '.join(info['parents']) or '(top level)'}")


def _property_notes(prop: dict) -> str:
    notes = []
    if prop["kind"] in ("list", "map"):
        notes.append(f"{prop['kind']} of {prop.get('item_type')} in '{prop.get('wrapper_field')}'"
                     + (f", key '{prop['map_key']}'" if prop.get("map_key") else ""))
    if prop.get("enum"):
        notes.append("one of " + "|".join(prop["enum"]))
    if "min" in prop or "max" in prop:
        notes.append(f"range {prop.get('min', '')}..{prop.get('max', '')}")
    if prop.get("default") is not None:
        notes.append(f"default {prop['default']}")
    return "; ".join(notes)


def _show_type(schema, type_name: str, output_format: str) -> None:
    entry = schema.object_types[type_name]
    properties = schema.properties(type_name)
    references = schema.references(type_name)
    if output_format == "json":
        emit_json(schema.type_dict(type_name))
        return
    click.echo(f"{entry['dash_name']} ({type_name}) in {schema.name}")
    click.echo(f"parents: {', '.join(sorted(entry['parents'])) or '(top level: config-root)'}")
    click.echo(f"\nproperties ({len(properties)}):")
    for name, prop in sorted(properties.items()):
        click.echo(f"  {name:<45} {prop['xsd_type']:<32} {prop['presence']:<11} {prop['ops']:<4} "
                   f"{_property_notes(prop)}".rstrip())
    click.echo(f"\nreferences ({len(references)}):")
    for target, ref in sorted(references.items()):
        attr = f"attr {ref['attr_type']}" if ref["attr_type"] else "no attr"
        click.echo(f"  {target + '_refs':<45} {attr:<32} {ref['presence']:<11} {ref['ops']}")
    if entry["back_references"]:
        click.echo(f"\nback references ({len(entry['back_references'])}): "
                   + ", ".join(sorted(f"{s}_back_refs" for s in entry["back_references"])))
    if entry["children"]:
        click.echo(f"\nchildren ({len(entry['children'])}): " + ", ".join(sorted(entry["children"])))


@command.command("diff", epilog=example("tfdata schema diff R2011 R21.4"))
@click.argument("release_a", metavar="R1")
@click.argument("release_b", metavar="R2")
@FORMAT_OPTION
@click.pass_context
def diff_command(ctx: click.Context, release_a: str, release_b: str, output_format: str) -> None:
    """What changes from release R1 to R2. Exit 0 when identical, 1 when different."""
    _release(release_a)
    _release(release_b)
    result = diff_releases(release_a, release_b)
    if output_format == "json":
        emit_json(result)
    else:
        _print_diff(result)
    if not result["identical"]:
        ctx.exit(EXIT_DIFFERENT)


def _print_diff(result: dict) -> None:
    if result["identical"]:
        click.echo(f"{result['from']} -> {result['to']}: identical whitelists")
        return
    click.echo(f"{result['from']} -> {result['to']}: {len(result['changes'])} changes")
    click.echo("  " + ", ".join(f"{key} {count}" for key, count in result["summary"].items()))
    for category in CATEGORY_ORDER:
        changes = [c for c in result["changes"] if c["category"] == category]
        if not changes:
            continue
        click.echo(f"\n{CATEGORY_TITLES[category]} ({len(changes)}):")
        for change in changes:
            click.echo("  " + describe_change(change))


@command.command("check",
                 epilog=example("tfdata schema check old --release R2011",
                                "tfdata schema check old --from-release R2011 --to-release R21.4"))
@click.argument("source")
@click.option("--release", default=None, metavar="R",
              help="Check SOURCE against release R (default: the release guessed from the data).")
@click.option("--from-release", "from_release", default=None, metavar="R1",
              help="With --to-release: the release SOURCE was written by (default: guessed).")
@click.option("--to-release", "to_release", default=None, metavar="R2",
              help="What an upgrade of THIS data to R2 means, object by object.")
@renamed_option("--from", "--from-release", "--from names a profile in load, restore and sync")
@renamed_option("--to", "--to-release", "--to names a profile in load, restore and sync")
@FORMAT_OPTION
@click.pass_context
def check_command(ctx: click.Context, source: str, release: str | None, from_release: str | None,
                  to_release: str | None, output_format: str) -> None:
    """Check SOURCE (profile, dump or snapshot) against a release, or an upgrade between two.

    Exit 0 when clean, 1 when there are findings, 2 on errors.
    """
    from ..audit import AuditResult, UpgradeResult, check_release, upgrade_check
    from ..output import Progress
    from .audit import release_line, render_findings, summary_line
    from .common import opened

    if release and (from_release or to_release):
        raise click.UsageError("give either --release, or --from-release/--to-release")
    if from_release and not to_release:
        raise click.UsageError("--from-release needs --to-release")
    for name in (release, from_release, to_release):
        if name:
            _release(name)
    with opened(ctx, source) as src:
        with Progress(output_format == "text") as progress:
            task = progress.task(f"checking {source}")
            result: AuditResult | UpgradeResult
            if to_release:
                result = upgrade_check(src, to_release, from_release, on_progress=task.advance)
            else:
                result = check_release(src, release, on_progress=task.advance)
    if isinstance(result, AuditResult):
        if result.release is None:
            raise InputError("no release whitelists are installed (schemas/); nothing to check against")
        result = result.only(("schema",))  # the audit's other families are `tfdata audit`'s business
    findings = [f for f in result.findings if f.check.split(".", 1)[0] in ("schema", "upgrade")]
    if output_format == "json":
        emit_json(result.as_dict())
    else:
        if isinstance(result, UpgradeResult):
            click.echo(f"source {release_line(result.source)}")
            click.echo(f"upgrade {result.source.name} -> {result.target}: {result.objects_affected} of "
                       f"{result.objects} objects affected")
        else:
            click.echo(release_line(result.release))
        click.echo("")
        render_findings(findings, False)
        summary = result.summary()
        click.echo(summary_line(summary, len(findings), len(findings)))
    if findings:
        ctx.exit(EXIT_DIFFERENT)
