"""Turn one release's XSD declarations and IDL statements into a whitelist (plain JSON data).

The whitelist is what every other part of tfdata consults: which object types exist, which
properties/references/parents each one may have, and what the value types look like.  It is
keyed by the underscore names the database stores, with the dash names kept as data because
the reverse mapping is not unique (``node_type`` is spelled with an underscore upstream).

The rules follow the upstream generator (see docs in shared/reference/tf-schema.md §3):
first Property statement wins, statements without an element are ignored, garbled
presence/operations are normalised to optional/CRUD and reported as diagnostics.
"""

from __future__ import annotations

from typing import Any

from .idl import IdlStatement
from .xsd import ComplexType, SimpleType, XsdSet

FORMAT_VERSION = 1
IDENTITY_TYPE = "IdentityType"
ALL_TYPES = "all"
PRESENCE_VALUES = ("optional", "required", "system-only", "admin-only")
DEFAULT_PRESENCE = "optional"
DEFAULT_OPERATIONS = "CRUD"
STRING = "xsd:string"
BUILTIN_TYPES = (
    "xsd:string",
    "xsd:integer",
    "xsd:unsignedInt",
    "xsd:unsignedLong",
    "xsd:unsignedShort",
    "xsd:boolean",
    "xsd:dateTime",
    "xsd:time",
)
PROPERTY_VERBS = {"Property": "scalar", "ListProperty": "list", "MapProperty": "map"}


def underscore(name: str) -> str:
    """The only name mapping upstream applies: dashes become underscores, case is kept."""
    return name.replace("-", "_")


def valid_operations(ops: Any) -> bool:
    return (
        isinstance(ops, str)
        and 0 < len(ops) <= 4
        and set(ops) <= set("CRUD")
        and len(set(ops)) == len(ops)
    )


class _Builder:
    def __init__(self, xsd: XsdSet) -> None:
        self.xsd = xsd
        self.diagnostics: list[str] = list(xsd.diagnostics)
        self.object_types: dict[str, dict] = {}
        self.common_properties: dict[str, dict] = {}
        self.universal_references: dict[str, dict] = {}
        self.first_property_statement: dict[str, tuple[str, dict]] = {}
        self.excluded: set[str] = set()

    # --- helpers -------------------------------------------------------------------------
    def note(self, stmt: IdlStatement | None, message: str) -> None:
        where = f"{stmt.file}:{stmt.line}: " if stmt else ""
        self.diagnostics.append(where + message)

    def resolve_type(self, type_name: str, context: str) -> str:
        """Built-in, known named type, or (unknown/empty) plain string."""
        if not type_name:
            return STRING
        if type_name in BUILTIN_TYPES:
            return type_name
        if type_name.startswith("xsd:"):
            self.diagnostics.append(f"{context}: unknown built-in '{type_name}' treated as string")
            return STRING
        if type_name in self.xsd.complex_types or type_name in self.xsd.simple_types:
            return type_name
        self.diagnostics.append(f"{context}: unknown type '{type_name}' treated as string")
        return STRING

    def ensure_object_type(self, dash_name: str) -> dict:
        name = underscore(dash_name)
        if name not in self.object_types:
            self.object_types[name] = {
                "dash_name": dash_name,
                "properties": {},
                "parents": {},
                "children": {},
                "references": {},
                "back_references": {},
            }
        return self.object_types[name]

    def presence_and_ops(self, stmt: IdlStatement, presence: Any, ops: Any) -> tuple[str, str]:
        if presence not in PRESENCE_VALUES:
            self.note(stmt, f"{stmt.verb}('{stmt.args[0]}'): presence {str(presence)[:40]!r} "
                            f"normalised to '{DEFAULT_PRESENCE}'")
            presence = DEFAULT_PRESENCE
        if not valid_operations(ops):
            self.note(stmt, f"{stmt.verb}('{stmt.args[0]}'): operations {str(ops)[:40]!r} "
                            f"normalised to '{DEFAULT_OPERATIONS}'")
            ops = DEFAULT_OPERATIONS
        return presence, ops

    # --- statements ----------------------------------------------------------------------
    def run(self) -> None:
        for element in self.xsd.elements.values():
            if element.type.rsplit(":", 1)[-1] == IDENTITY_TYPE:
                self.ensure_object_type(element.name)
        bound: set[str] = set()
        # Links first so that every link endpoint is an object type before properties attach.
        for stmt in self.xsd.statements:
            if stmt.verb == "Link" and self._bound(stmt):
                bound.add(stmt.args[0])
                self.add_link(stmt)
        for stmt in self.xsd.statements:
            if stmt.verb in PROPERTY_VERBS and self._bound(stmt):
                bound.add(stmt.args[0])
                self.add_property(stmt)
            elif stmt.verb == "Exclude" and stmt.args:
                self.excluded.add(stmt.args[0])
            elif stmt.verb not in PROPERTY_VERBS and stmt.verb not in ("Link", "Exclude"):
                self.note(stmt, f"unknown IDL verb '{stmt.verb}' ignored")
        for element in self.xsd.elements.values():
            is_identity = element.type.rsplit(":", 1)[-1] == IDENTITY_TYPE
            if not is_identity and element.name not in bound:
                self.diagnostics.append(f"{element.file}: element '{element.name}' has no IDL statement; skipped")
        self.fill_back_references()

    def _bound(self, stmt: IdlStatement) -> bool:
        if not stmt.args or not isinstance(stmt.args[0], str):
            self.note(stmt, f"{stmt.verb} statement without element name ignored")
            return False
        if stmt.args[0] not in self.xsd.elements:
            self.note(stmt, f"{stmt.verb}('{stmt.args[0]}'): no top-level element of that name; ignored")
            return False
        return True

    def add_link(self, stmt: IdlStatement) -> None:
        args = list(stmt.args) + [None] * 7
        element_name, from_type, to_type, link_kinds = args[0], args[1], args[2], args[3]
        if not isinstance(from_type, str) or not isinstance(to_type, str):
            self.note(stmt, f"Link('{element_name}'): endpoints missing; ignored")
            return
        from_type = from_type.rsplit(":", 1)[-1]
        to_type = to_type.rsplit(":", 1)[-1]
        link_kinds = link_kinds if isinstance(link_kinds, (list, tuple)) else []
        presence, ops = self.presence_and_ops(
            stmt,
            args[4] if len(stmt.args) > 4 else DEFAULT_PRESENCE,
            args[5] if len(stmt.args) > 5 else DEFAULT_OPERATIONS,
        )
        description = args[6] if isinstance(args[6], str) else ""
        derived = "derived" in link_kinds
        if "has" in link_kinds:
            parent = self.ensure_object_type(from_type)
            child = self.ensure_object_type(to_type)
            child["parents"][underscore(from_type)] = {
                "dash_name": from_type,
                "link": element_name,
                "presence": presence,
                "ops": ops,
                "derived": derived,
            }
            parent["children"][underscore(to_type)] = {"dash_name": to_type, "link": element_name}
        elif "ref" in link_kinds:
            attr_type = self.link_attr_type(element_name)
            entry = {
                "dash_name": to_type,
                "link": element_name,
                "attr_type": attr_type,
                "presence": presence,
                "ops": ops,
                "derived": derived,
            }
            if description:
                entry["description"] = " ".join(description.split())
            self.ensure_object_type(to_type)
            if from_type == ALL_TYPES:
                self.universal_references[underscore(to_type)] = entry
                return
            source = self.ensure_object_type(from_type)
            if underscore(to_type) in source["references"]:
                self.note(stmt, f"second reference kind {from_type}->{to_type}; later wins")
            source["references"][underscore(to_type)] = entry
        else:
            self.note(stmt, f"Link('{element_name}') with link kinds {link_kinds!r}: neither has nor ref; ignored")

    def link_attr_type(self, element_name: str) -> str | None:
        """The complexType carried by every reference of this kind, or None if plain."""
        type_name = self.xsd.elements[element_name].type
        complex_type = self.xsd.complex_types.get(type_name)
        if complex_type is None or not complex_type.members:
            return None
        return type_name

    def add_property(self, stmt: IdlStatement) -> None:
        element_name = stmt.args[0]
        kind = PROPERTY_VERBS[stmt.verb]
        owner = stmt.args[1] if len(stmt.args) > 1 else None
        if not isinstance(owner, str):
            self.note(stmt, f"{stmt.verb}('{element_name}') without object type; ignored")
            return
        first = self.first_property_statement.get(element_name)
        if first is None:
            rest = list(stmt.args[2:])
            map_key = None
            if kind == "map":
                map_key = rest.pop(0) if rest else None
            presence, ops = self.presence_and_ops(
                stmt,
                rest[0] if len(rest) > 0 else DEFAULT_PRESENCE,
                rest[1] if len(rest) > 1 else DEFAULT_OPERATIONS,
            )
            description = rest[2] if len(rest) > 2 and isinstance(rest[2], str) else ""
            entry = self.property_entry(element_name, kind, map_key, presence, ops, description)
            self.first_property_statement[element_name] = (stmt.verb, entry)
        else:
            verb, entry = first
            if verb != stmt.verb:
                self.note(stmt, f"{stmt.verb}('{element_name}', '{owner}') kept as {verb}: first statement wins")
        if owner == ALL_TYPES:
            self.common_properties[underscore(element_name)] = dict(entry)
            return
        owner = owner.rsplit(":", 1)[-1]
        if underscore(owner) not in self.object_types:
            self.note(stmt, f"{stmt.verb}('{element_name}') names unknown object type '{owner}'; ignored")
            return
        self.object_types[underscore(owner)]["properties"][underscore(element_name)] = dict(entry)

    def property_entry(self, element_name: str, kind: str, map_key: Any, presence: str, ops: str,
                       description: str) -> dict:
        element = self.xsd.elements[element_name]
        xsd_type = self.resolve_type(element.type, f"property '{element_name}'")
        entry: dict[str, Any] = {
            "dash_name": element_name,
            "xsd_type": xsd_type,
            "kind": kind,
            "presence": presence,
            "ops": ops,
        }
        if description:
            entry["description"] = " ".join(description.split())
        simple = self.xsd.simple_types.get(xsd_type)
        if simple is not None:
            entry.update(simple_type_facets(simple))
        if element.default is not None:
            entry["default"] = element.default
        if kind in ("list", "map"):
            wrapper = self.xsd.complex_types.get(xsd_type)
            if wrapper is None or len(wrapper.members) != 1:
                self.diagnostics.append(
                    f"{kind} property '{element_name}': type '{element.type}' is not a one-member wrapper"
                )
            else:
                member = wrapper.members[0]
                entry["wrapper_field"] = underscore(member.name)
                entry["item_type"] = self.resolve_type(member.type, f"wrapper '{xsd_type}'")
            if kind == "map":
                entry["map_key"] = underscore(map_key) if isinstance(map_key, str) else None
        return entry

    def fill_back_references(self) -> None:
        for source_name, source in self.object_types.items():
            for target_name, ref in source["references"].items():
                self.object_types[target_name]["back_references"][source_name] = {
                    "dash_name": source["dash_name"],
                    "link": ref["link"],
                    "attr_type": ref["attr_type"],
                }

    # --- types ---------------------------------------------------------------------------
    def types_section(self) -> dict[str, dict]:
        types: dict[str, dict] = {}
        for name, complex_type in self.xsd.complex_types.items():
            types[name] = self.complex_entry(complex_type)
        for name, simple in self.xsd.simple_types.items():
            if name in types:
                self.diagnostics.append(f"'{name}' is both a complexType and a simpleType; simpleType kept")
            types[name] = {"kind": "simple", **simple_type_facets(simple)}
        return types

    def complex_entry(self, complex_type: ComplexType) -> dict:
        fields: dict[str, dict] = {}
        for member in complex_type.members:
            field: dict[str, Any] = {}
            if member.inline is not None and member.type not in self.xsd.simple_types:
                field["type"] = self.resolve_type(member.inline.base, f"{complex_type.name}.{member.name}")
                if member.inline.enum:
                    field["enum"] = member.inline.enum
            else:
                field["type"] = self.resolve_type(member.type, f"{complex_type.name}.{member.name}")
            if member.is_array:
                field["array"] = True
            if member.required is not None:
                field["required"] = member.required
            if member.default is not None:
                field["default"] = member.default
            if member.operations is not None:
                field["ops"] = member.operations
            if underscore(member.name) != member.name:
                field["dash_name"] = member.name
            fields[underscore(member.name)] = field
        return {"kind": "complex", "fields": fields}


def simple_type_facets(simple: SimpleType) -> dict[str, Any]:
    """Enumeration, range, default and pattern of a named simpleType, as JSON-ready data."""
    facets: dict[str, Any] = {}
    if simple.union_members is not None:
        facets["base"] = "union"
        facets["union"] = simple.union_members
    else:
        facets["base"] = simple.base if simple.base in BUILTIN_TYPES else STRING
    if simple.enum:
        facets["enum"] = simple.enum
    if simple.min is not None:
        facets["min"] = simple.min
    if simple.max is not None:
        facets["max"] = simple.max
    if simple.pattern is not None:
        facets["pattern"] = simple.pattern
    if simple.default is not None:
        facets["default"] = simple.default
    return facets


def build_whitelist(xsd: XsdSet, release: str, source: dict | None = None) -> dict:
    """The whitelist document for one release (without its JSON Schema)."""
    builder = _Builder(xsd)
    builder.run()
    types = builder.types_section()
    return {
        "format": FORMAT_VERSION,
        "release": release,
        "source": source or {},
        "files": list(xsd.files),
        "common_properties": builder.common_properties,
        "universal_references": builder.universal_references,
        "object_types": builder.object_types,
        "types": types,
        "excluded_elements": sorted(builder.excluded),
        "diagnostics": builder.diagnostics,
    }
