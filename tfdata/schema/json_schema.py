"""Render a release whitelist as one JSON Schema (draft 2020-12) document.

Every named XSD type used by some object becomes a ``$defs`` entry (types are shared and can
be recursive), and every object type becomes a ``$defs`` entry named by its underscore name
describing the decoded object as the REST API shows it.  ``null`` is accepted everywhere,
because the API and the database write "no value" as ``null`` (nested members included).
Member-level ``required`` is not enforced upstream, so it is not JSON-Schema ``required``; it
is kept as the ``x-tf-required`` annotation.  XSD patterns are never enforced upstream and are
left out.
"""

from __future__ import annotations

from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"
LINK_DEF = "_link"
LINKS_DEF = "_links"
FQ_NAME_DEF = "_fq_name"
READ_ONLY_OPS = ("R",)
READ_ONLY_PRESENCE = ("system-only",)

_BUILTIN = {
    "xsd:string": {"type": ["string", "null"]},
    "xsd:dateTime": {"type": ["string", "null"]},
    "xsd:time": {"type": ["string", "null"]},
    "xsd:boolean": {"type": ["boolean", "null"]},
    "xsd:integer": {"type": ["integer", "null"]},
    "xsd:unsignedInt": {"type": ["integer", "null"], "minimum": 0},
    "xsd:unsignedLong": {"type": ["integer", "null"], "minimum": 0},
    "xsd:unsignedShort": {"type": ["integer", "null"], "minimum": 0},
}


def ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def builtin_schema(xsd_type: str) -> dict:
    return dict(_BUILTIN.get(xsd_type, _BUILTIN["xsd:string"]))


def typed_literal(base: str, literal: str) -> Any:
    """An XSD default attribute as the JSON value it stands for (unparseable stays a string)."""
    schema_type = builtin_schema(base)["type"][0]
    if schema_type == "boolean":
        lowered = literal.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    elif schema_type == "integer":
        try:
            return int(literal.strip())
        except ValueError:
            return literal
    return literal


def simple_schema(facets: dict) -> dict:
    """Schema of a value restricted by simpleType facets (enum, min, max)."""
    if facets.get("base") == "union":
        return {"anyOf": [builtin_schema(t) for t in facets.get("union", [])] or [{}]}
    schema = builtin_schema(facets.get("base", "xsd:string"))
    if facets.get("enum"):
        schema["enum"] = list(facets["enum"]) + [None]
    if facets.get("min") is not None:
        schema["minimum"] = facets["min"]
    if facets.get("max") is not None:
        schema["maximum"] = facets["max"]
    return schema


class _Renderer:
    def __init__(self, whitelist: dict) -> None:
        self.whitelist = whitelist
        self.types: dict[str, dict] = whitelist["types"]
        self.used: set[str] = set()

    def type_schema(self, type_name: str) -> dict:
        if type_name in self.types:
            self.used.add(type_name)
            return ref(type_name)
        return builtin_schema(type_name)

    def field_schema(self, field: dict) -> dict:
        if field.get("enum"):
            item = simple_schema({"base": field["type"], "enum": field["enum"]})
        else:
            item = self.type_schema(field["type"])
        if field.get("array"):
            schema: dict[str, Any] = {"type": ["array", "null"], "items": item}
        else:
            schema = item
        if field.get("default") is not None and not field.get("array"):
            schema = {**schema, "default": self.typed_default(field["type"], field["default"])}
        if field.get("required") in ("true", "required"):
            schema = {**schema, "x-tf-required": True}
        return schema

    def typed_default(self, type_name: str, literal: str) -> Any:
        entry = self.types.get(type_name)
        base = entry.get("base", "xsd:string") if entry and entry["kind"] == "simple" else type_name
        return typed_literal(base, literal)

    def type_def(self, name: str) -> dict:
        entry = self.types[name]
        if entry["kind"] == "simple":
            schema = simple_schema(entry)
            if entry.get("default") is not None:
                schema["default"] = typed_literal(entry.get("base", "xsd:string"), entry["default"])
            return schema
        return {
            "type": ["object", "null"],
            "properties": {field: self.field_schema(spec) for field, spec in entry["fields"].items()},
            "additionalProperties": False,
        }

    def property_schema(self, prop: dict) -> dict:
        schema = self.type_schema(prop["xsd_type"])
        extra: dict[str, Any] = {}
        if prop.get("default") is not None:
            extra["default"] = self.typed_default(prop["xsd_type"], prop["default"])
        if prop.get("ops") in READ_ONLY_OPS or prop.get("presence") in READ_ONLY_PRESENCE:
            extra["readOnly"] = True
        if prop.get("presence") == "required":
            extra["x-tf-required"] = True
        if prop.get("kind") in ("list", "map"):
            extra["x-tf-collection"] = prop["kind"]
        return {**schema, **extra}

    def link_list(self, attr_type: str | None) -> dict:
        if attr_type is None:
            return ref(LINKS_DEF)
        item = {"$ref": f"#/$defs/{LINK_DEF}", "properties": {"attr": self.type_schema(attr_type)}}
        return {"type": ["array", "null"], "items": item}

    def object_schema(self, name: str, entry: dict) -> dict:
        properties: dict[str, Any] = {
            "uuid": {"type": "string"},
            "name": {"type": "string"},
            "fq_name": ref(FQ_NAME_DEF),
            "parent_type": {"enum": sorted(p["dash_name"] for p in entry["parents"].values())
                            or ["config-root"]},
            "parent_uuid": {"type": ["string", "null"]},
            "parent_href": {"type": ["string", "null"]},
            "href": {"type": ["string", "null"]},
        }
        all_props = {**self.whitelist["common_properties"], **entry["properties"]}
        for prop_name, prop in all_props.items():
            properties[prop_name] = self.property_schema(prop)
        references = {**self.whitelist["universal_references"], **entry["references"]}
        for target, reference in references.items():
            properties[f"{target}_refs"] = self.link_list(reference["attr_type"])
        for source, back in entry["back_references"].items():
            properties[f"{source}_back_refs"] = self.link_list(back["attr_type"])
        for child in entry["children"]:
            properties[f"{child}s"] = self.link_list(None)
        return {
            "title": entry["dash_name"],
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }

    def render(self) -> dict:
        defs: dict[str, Any] = {
            FQ_NAME_DEF: {"type": "array", "items": {"type": "string"}, "minItems": 1},
            LINK_DEF: {
                "type": "object",
                "properties": {
                    "to": ref(FQ_NAME_DEF),
                    "uuid": {"type": "string"},
                    "href": {"type": ["string", "null"]},
                    "is_weakref": {"type": ["boolean", "null"]},
                },
            },
        }
        defs[LINKS_DEF] = {  # plain references and children: no attributes
            "type": ["array", "null"],
            "items": {**ref(LINK_DEF), "properties": {"attr": {"type": ["object", "null"], "maxProperties": 0}}},
        }
        for name, entry in self.whitelist["object_types"].items():
            defs[name] = self.object_schema(name, entry)
        pending = set(self.used)
        rendered: set[str] = set()
        while pending:
            name = pending.pop()
            rendered.add(name)
            if name in defs:
                raise ValueError(f"type name '{name}' collides with an object type or internal name")
            before = set(self.used)
            defs[name] = self.type_def(name)
            pending |= (self.used - before) - rendered
        return {
            "$schema": DRAFT,
            "title": f"Tungsten Fabric {self.whitelist['release']} configuration objects",
            "$comment": "Validate an object of type T against {'$ref': '#/$defs/T'} (underscore name).",
            "$defs": defs,
        }


def build_json_schema(whitelist: dict) -> dict:
    """The JSON Schema document for all object types of one release whitelist."""
    return _Renderer(whitelist).render()
