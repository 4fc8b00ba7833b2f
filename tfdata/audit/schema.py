"""The objects against a release's schema whitelist (upstream's check_schema_db_mismatch is an
empty stub): unknown types, properties and references, storage kinds, parents, values.

Single pass even when the release is not known in advance: while the rows stream by, names are
reduced to a per-object signature (type, parent, the set of fields), and values are validated
once per group of releases whose JSON Schema for that field is identical; only failures are
kept. Once the scan is over and the release is chosen (given or guessed), the signatures are
judged and the failures of that release reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..model.objects import TfObject, parse_ref_value
from ..schema import check as schema_check
from ..schema import list_releases, load_release
from .base import AuditContext, Family
from .facts import canonical_json
from .findings import ERROR, WARNING, check
from .prevalidate import Compiler

COLUMN_KIND_OF_SPEC = {"scalar": "prop", "list": "propl", "map": "propm"}
# IDs contrail-api assigns itself, outside its own validation: a user-configured SG id (below
# 8 000 000) lands in security_group_id although the schema range starts at 8 000 000. The ID
# checks of the zookeeper family judge these values.
SERVER_ASSIGNED = frozenset({("security_group", "security_group_id"), ("virtual_network", "virtual_network_network_id"),
                             ("sub_cluster", "sub_cluster_id")})
VALUE_CACHE_CHARS = 4_000_000  # text of the validated values remembered with their verdicts

UNKNOWN_TYPE = check(
    "schema.unknown_type", ERROR, "object type unknown to the release",
    "delete the objects of this type before moving to this release, or pick the right release")
UNKNOWN_PROPERTY = check(
    "schema.unknown_property", WARNING, "prop: cell of a property the release does not have (silently skipped)",
    "delete the leftover cell, or keep it only for a downgrade")
UNKNOWN_LIST_PROPERTY = check(
    "schema.unknown_list_property", ERROR, "propl:/propm: cells of a property the release does not have (I11)",
    "delete the cells: the release's reader fails on list/map cells it does not know")
STORAGE_MISMATCH = check(
    "schema.storage_mismatch", ERROR, "property stored as the wrong kind (prop: vs propl:/propm: cells)",
    "rewrite the property in the release's storage form")
UNKNOWN_REF = check(
    "schema.unknown_ref", WARNING, "reference kind the release does not have (silently skipped)",
    "delete the ref: cell and its backref: mirror")
PARENT_NOT_ALLOWED = check(
    "schema.parent_not_allowed", ERROR, "parent type not allowed for this object type in the release",
    "move the object under an allowed parent (delete and recreate)")
INVALID_VALUE = check(
    "schema.invalid_value", WARNING, "value fails the release's JSON Schema (enum, range, type, unknown field)",
    "fix the value through the API; updates that carry it are rejected")


# ---------------------------------------------------------------------- release groups

def _closure(defs: dict, root: Any) -> str:
    """Canonical text of a JSON Schema fragment plus every $defs entry it reaches."""
    seen: dict[str, Any] = {}
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                    name = value[len("#/$defs/"):]
                    if name not in seen and name in defs:
                        seen[name] = defs[name]
                        pending.append(defs[name])
                else:
                    pending.append(value)
        elif isinstance(node, list):
            pending.extend(node)
    return canonical_json({"root": root, "defs": seen})


@dataclass
class ValueGroup:
    """Releases whose schema for one (type, field) is identical, validated as one."""

    releases: str  # ",R1,R2," so that SQL can test membership with LIKE
    validate: Callable[[Any], list[dict]]


@dataclass
class CacheStats:
    """Values of some fields never repeat (id_perms holds the uuid and times): stop caching those,
    so that they do not evict the values that do repeat."""

    lookups: int = 0
    hits: int = 0

    def worth_caching(self) -> bool:
        return self.lookups < 500 or self.hits * 20 >= self.lookups


class SchemaChecks(Family):
    prefixes = ("schema",)

    def __init__(self, release: str | None = None) -> None:
        self.release = release
        self._fields: dict[tuple[str, str, str], tuple[list[ValueGroup], CacheStats]] = {}
        self._signatures: dict[tuple, int] = {}
        self._values: dict[tuple, list[dict]] = {}
        self._cached_chars = 0
        self._compilers: dict[str, Compiler] = {}

    def _releases(self) -> list[str]:
        return [self.release] if self.release else list_releases()

    def setup(self, ctx: AuditContext) -> None:
        ctx.facts.define("schema_objects", "uuid TEXT, sig INTEGER", indexes=["sig"])
        ctx.facts.define("schema_values", "uuid TEXT, field TEXT, releases TEXT, detail TEXT")

    # ------------------------------------------------------------------ scan
    def on_object(self, obj: TfObject, ctx: AuditContext) -> None:
        if not obj.is_live:
            return
        fields = [("prop", p) for p in obj.props] + [("propl", p) for p in obj.list_props] \
            + [("propm", p) for p in obj.map_props] + sorted({("ref", t) for t, _ in obj.refs})
        signature = (obj.type, obj.parent[0] if obj.parent else None, tuple(sorted(fields)))
        sig = self._signatures.setdefault(signature, len(self._signatures))
        ctx.facts.add("schema_objects", (obj.uuid, sig))
        for prop, value in obj.props.items():
            self._check_value(obj, "prop", prop, value, ctx)
        for prop in obj.list_props:
            self._check_value(obj, "propl", prop, obj.list_values(prop), ctx)
        for prop, items in obj.map_props.items():
            self._check_value(obj, "propm", prop, list(items.values()), ctx)
        for (ref_type, _), value in obj.refs.items():
            self._check_value(obj, "ref", ref_type, parse_ref_value(value).attr, ctx)

    def _check_value(self, obj: TfObject, kind: str, name: str, value: Any, ctx: AuditContext) -> None:
        assert obj.type is not None  # on_object checks live objects only
        if value is None:
            return
        field_key = (obj.type, kind, name)
        known = self._fields.get(field_key)
        if known is None:
            known = self._fields[field_key] = (self._make_groups(obj.type, kind, name), CacheStats())
        groups, stats = known
        text = repr(value) if stats.worth_caching() else None  # repr: fast, and tells true from 1
        for group in groups:
            if text is None:
                problems = group.validate(value)
            else:
                key = (field_key, group.releases, text)
                cached = self._values.get(key)
                stats.lookups += 1
                if cached is None:
                    problems = group.validate(value)
                    self._cached_chars += len(text)
                    if self._cached_chars > VALUE_CACHE_CHARS:
                        self._values.clear()
                        self._cached_chars = len(text)
                    self._values[key] = problems
                else:
                    problems = cached
                    stats.hits += 1
            for problem in problems:
                ctx.facts.add("schema_values", (obj.uuid, problem["field"], group.releases, problem["detail"]))

    def _make_groups(self, obj_type: str, kind: str, name: str) -> list[ValueGroup]:
        by_fingerprint: dict[str, list[str]] = {}
        makers: dict[str, Callable[[Any], list[dict]]] = {}
        for release in self._releases():
            schema = load_release(release)
            type_name = schema.type_name(obj_type)
            if type_name is None:
                continue
            made = self._validator(schema, type_name, kind, name)
            if made is None:
                continue
            fingerprint, validate = made
            by_fingerprint.setdefault(fingerprint, []).append(release)
            makers.setdefault(fingerprint, validate)
        return [ValueGroup("," + ",".join(releases) + ",", makers[fp]) for fp, releases in by_fingerprint.items()]

    def _validator(self, schema, type_name: str, kind: str, name: str):
        """(fingerprint, validate) for one field in one release, or None when the release does not
        have the field in this storage form (a name-level finding then)."""
        defs = schema.data["json_schema"]["$defs"]
        compiler = self._compilers.get(schema.name)
        if compiler is None:
            compiler = self._compilers[schema.name] = Compiler(defs)
        if kind == "ref":
            target = schema.reference_target(type_name, name)
            if target is None:
                return None
            attr_type = schema.references(type_name)[target]["attr_type"]
            field_name = f"{target}_refs.attr"
            if attr_type is None:
                def no_attr(attr: Any) -> list[dict]:
                    if attr in (None, {}, ""):
                        return []
                    return [{"field": field_name, "detail": f"{field_name}: reference {type_name}->{target} "
                                                           f"carries no attributes"}]
                return "no-attr", no_attr
            root = {"$ref": f"#/$defs/{attr_type}"}
            return _closure(defs, root), _validate_with(schema.type_validator(attr_type), compiler.compile(root),
                                                        field_name)
        prop_name = schema.property_name(type_name, name)
        if prop_name is None:
            return None
        spec = schema.property(type_name, prop_name)
        if COLUMN_KIND_OF_SPEC.get(spec["kind"]) != kind:
            return None
        if (type_name, prop_name) in SERVER_ASSIGNED:
            return "server-assigned", lambda value: []
        wrapper = spec.get("wrapper_field")
        root = defs[type_name]["properties"][prop_name]
        fingerprint = canonical_json([spec["kind"], wrapper, _closure(defs, root)])
        validate = _validate_with(schema.property_validator(type_name, prop_name), compiler.compile(root), prop_name)
        if kind == "prop" or not wrapper:
            return fingerprint, validate
        return fingerprint, lambda items: validate({wrapper: items})

    # ------------------------------------------------------------------ judgement
    def finish(self, ctx: AuditContext) -> None:
        if ctx.release is None:
            ctx.skipped("schema checks", "no release whitelists are installed (schemas/)")
            return
        schema = load_release(ctx.release.name)
        for (obj_type, parent, fields), sig in self._signatures.items():
            problems = list(name_problems(schema, obj_type, parent, fields))
            if not problems:
                continue
            for (uuid,) in ctx.facts.query("SELECT uuid FROM schema_objects WHERE sig = ?", (sig,)):
                for declared, detail in problems:
                    ctx.emit(declared, detail, uuid=uuid)
        for uuid, _field, detail in ctx.facts.query(
                "SELECT uuid, field, detail FROM schema_values WHERE releases LIKE ?", (f"%,{schema.name},%",)):
            ctx.emit(INVALID_VALUE, f"{detail} (in {schema.name})", uuid=uuid)


def _validate_with(validator, certainly_valid: Callable[[Any], bool], field_name: str) -> Callable[[Any], list[dict]]:
    """Full validation (precise messages) only for values the fast pre-check is not sure about."""
    def validate(value: Any) -> list[dict]:
        if certainly_valid(schema_check.without_empty_values(value)):
            return []
        return [{"field": p["field"], "detail": f"{p['field']}: {p['detail']}"}
                for p in schema_check.validate_value(validator, value, field_name)]
    return validate


def name_problems(schema, obj_type: str, parent: str | None, fields) -> Iterator[tuple]:
    """(check, detail) for the names an object uses: its type, parent and field names."""
    type_name = schema.type_name(obj_type)
    if type_name is None:
        yield UNKNOWN_TYPE, f"release {schema.name} has no object type {obj_type}"
        return
    if not schema.allows_parent(type_name, parent):
        allowed = ", ".join(schema.parent_types(type_name)) or "none (top level)"
        yield PARENT_NOT_ALLOWED, f"{type_name} under {parent or 'config-root'} (allowed in {schema.name}: {allowed})"
    for kind, name in fields:
        if kind == "ref":
            if schema.reference_target(type_name, name) is None:
                yield UNKNOWN_REF, f"ref:{name}: {type_name} has no reference to {name} in {schema.name}"
            continue
        prop_name = schema.property_name(type_name, name)
        if prop_name is None:
            declared = UNKNOWN_PROPERTY if kind == "prop" else UNKNOWN_LIST_PROPERTY
            yield declared, f"{kind}:{name}: {type_name} has no property {name} in {schema.name}"
            continue
        expected = COLUMN_KIND_OF_SPEC.get(schema.property(type_name, prop_name)["kind"])
        if expected != kind:
            yield STORAGE_MISMATCH, f"{name} is stored as {kind}: cells, {schema.name} stores it as {expected}: cells"
