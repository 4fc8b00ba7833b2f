"""Find, load and query the committed per-release whitelists (``schemas/<release>.json``).

Where the files are: ``$TFDATA_SCHEMAS_DIR`` if set, else the ``schemas/`` folder next to the
package in the repository (works for a checkout and an editable install).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import InputError
from .build import underscore
from .releases import release_sort_key

SCHEMAS_ENV = "TFDATA_SCHEMAS_DIR"
CONFIG_ROOT = "config_root"
# Keys of a decoded object that identify it rather than being properties.
IDENTITY_FIELDS = frozenset(
    {"uuid", "name", "fq_name", "parent_type", "parent_uuid", "parent_href", "href"}
)


class UnknownRelease(InputError):
    """The named release has no whitelist file."""


class UnknownObjectType(InputError):
    """The named object type does not exist in the release."""


def schemas_dir() -> Path:
    """Folder holding ``<release>.json`` files."""
    configured = os.environ.get(SCHEMAS_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent.parent / "schemas"


def list_releases() -> list[str]:
    """Release names with a whitelist file, oldest first (master last)."""
    directory = schemas_dir()
    if not directory.is_dir():
        return []
    names = [p.stem for p in directory.glob("*.json")]
    return sorted(names, key=release_sort_key)


def load_release(name: "str | ReleaseSchema") -> "ReleaseSchema":
    """The whitelist of one release (cached per schemas folder); raises UnknownRelease."""
    if isinstance(name, ReleaseSchema):
        return name
    return _load(str(schemas_dir().resolve()), name)


@lru_cache(maxsize=None)
def _load(directory: str, name: str) -> "ReleaseSchema":
    path = Path(directory) / f"{name}.json"
    if "/" in name or "\\" in name or not path.is_file():
        known = ", ".join(list_releases()) or f"none: no schemas in {directory}"
        raise UnknownRelease(f"unknown release '{name}' (known: {known})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from exc
    return ReleaseSchema(data)


class ReleaseSchema:
    """Read-only view of one release whitelist, accepting dash or underscore names."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.name: str = data["release"]
        self.object_types: dict[str, dict] = data["object_types"]
        self.types: dict[str, dict] = data["types"]
        self.common_properties: dict[str, dict] = data["common_properties"]
        self.universal_references: dict[str, dict] = data["universal_references"]
        self._validators: dict[tuple, Any] = {}

    def __repr__(self) -> str:
        return f"ReleaseSchema({self.name!r})"

    # --- names ---------------------------------------------------------------------------
    def type_name(self, name: str | None) -> str | None:
        """Canonical (underscore) object type name, or None when the release lacks it."""
        if not name:
            return None
        if name in self.object_types:
            return name
        candidate = underscore(name)
        return candidate if candidate in self.object_types else None

    def require_type(self, name: str) -> str:
        canonical = self.type_name(name)
        if canonical is None:
            raise UnknownObjectType(f"unknown object type '{name}' in release {self.name}")
        return canonical

    def has_type(self, name: str) -> bool:
        return self.type_name(name) is not None

    # --- members of a type ---------------------------------------------------------------
    def properties(self, obj_type: str) -> dict[str, dict]:
        """Own properties plus the four every type has (id_perms, perms2, ...)."""
        entry = self.object_types[self.require_type(obj_type)]
        return {**self.common_properties, **entry["properties"]}

    def property(self, obj_type: str, prop: str) -> dict | None:
        props = self.properties(obj_type)
        return props.get(prop) or props.get(underscore(prop))

    def property_name(self, obj_type: str, prop: str) -> str | None:
        props = self.properties(obj_type)
        if prop in props:
            return prop
        return underscore(prop) if underscore(prop) in props else None

    def references(self, obj_type: str) -> dict[str, dict]:
        """Reference kinds by target type, including the universal tag reference."""
        entry = self.object_types[self.require_type(obj_type)]
        return {**self.universal_references, **entry["references"]}

    def reference_target(self, obj_type: str, ref: str) -> str | None:
        """Resolve 'network_ipam', 'network-ipam' or 'network_ipam_refs' to a reference kind."""
        refs = self.references(obj_type)
        for candidate in (ref, underscore(ref)):
            if candidate in refs:
                return candidate
            if candidate.endswith("_refs") and candidate[: -len("_refs")] in refs:
                return candidate[: -len("_refs")]
        return None

    def parent_types(self, obj_type: str) -> list[str]:
        """Allowed parents (underscore names); empty means top level (under config-root)."""
        return sorted(self.object_types[self.require_type(obj_type)]["parents"])

    def allows_parent(self, obj_type: str, parent_type: str | None) -> bool:
        """Whether an object of ``obj_type`` may live under ``parent_type`` (None: no parent)."""
        parents = self.parent_types(obj_type)
        parent = underscore(parent_type) if parent_type else None
        if not parents or CONFIG_ROOT in parents:
            if parent in (None, CONFIG_ROOT):
                return True
        return parent in parents

    # --- value validation ----------------------------------------------------------------
    def _validator(self, key: tuple, schema: dict):
        validator = self._validators.get(key)
        if validator is None:
            from jsonschema import Draft202012Validator

            document = {
                "$schema": self.data["json_schema"]["$schema"],
                "$defs": self.data["json_schema"]["$defs"],
                **schema,
            }
            validator = Draft202012Validator(document)
            self._validators[key] = validator
        return validator

    def object_validator(self, obj_type: str):
        """jsonschema validator for a whole decoded object of this type."""
        name = self.require_type(obj_type)
        return self._validator(("object", name), {"$ref": f"#/$defs/{name}"})

    def property_validator(self, obj_type: str, prop: str):
        name = self.require_type(obj_type)
        prop_name = self.property_name(name, prop)
        if prop_name is None:
            raise KeyError(prop)
        schema = self.data["json_schema"]["$defs"][name]["properties"][prop_name]
        return self._validator(("property", name, prop_name), schema)

    def type_validator(self, type_name: str):
        """Validator for a value of a named XSD type (e.g. a reference attribute)."""
        return self._validator(("type", type_name), {"$ref": f"#/$defs/{type_name}"})

    def object_schema(self, obj_type: str) -> dict:
        """Stand-alone JSON Schema document for one object type (only the $defs it needs)."""
        name = self.require_type(obj_type)
        defs = self.data["json_schema"]["$defs"]
        needed: dict[str, Any] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in needed:
                continue
            needed[current] = defs[current]
            pending.extend(_refs_in(defs[current]))
        return {
            "$schema": self.data["json_schema"]["$schema"],
            "title": f"{self.object_types[name]['dash_name']} ({self.name})",
            "$ref": f"#/$defs/{name}",
            "$defs": needed,
        }

    # --- summary -------------------------------------------------------------------------
    def summary_dict(self) -> dict[str, Any]:
        """The JSON contract of one row of `tfdata schema list --format json`."""
        return {"release": self.name, "source": self.data.get("source", {}), "counts": self.counts()}

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `tfdata schema show R --format json`: the summary and each type's outline."""
        types = {
            name: {"dash_name": entry["dash_name"], "parents": sorted(entry["parents"]),
                   "properties": len(entry["properties"]), "references": len(entry["references"])}
            for name, entry in sorted(self.object_types.items())
        }
        return {**self.summary_dict(), "object_types": types}

    def type_dict(self, obj_type: str) -> dict[str, Any]:
        """The JSON contract of `tfdata schema show R TYPE --format json`: the whitelist entry with
        the common properties and universal references merged in."""
        return {"release": self.name, "type": obj_type, **self.object_types[obj_type],
                "properties": self.properties(obj_type), "references": self.references(obj_type)}

    def counts(self) -> dict[str, int]:
        """The measurements of tf-schema.md §6, computed from the whitelist."""
        types = self.object_types.values()
        props = [p for t in types for p in t["properties"].values()]
        refs = [r for t in types for r in t["references"].values()]
        simple = [t for t in self.types.values() if t["kind"] == "simple"]
        return {
            "files": len(self.data.get("files", [])),
            "object_types": len(self.object_types),
            "properties": len(props),
            "distinct_property_elements": len({p["dash_name"] for p in props}),
            "properties_incl_common": len(props) + len(self.common_properties) * len(self.object_types),
            "list_properties": sum(1 for p in props if p["kind"] == "list"),
            "map_properties": sum(1 for p in props if p["kind"] == "map"),
            "required_properties": sum(1 for p in props if p["presence"] == "required"),
            "references": len(refs),
            "references_with_attributes": sum(1 for r in refs if r["attr_type"]),
            "parent_links": sum(len(t["parents"]) for t in types),
            "multi_parent_types": sum(1 for t in types if len(t["parents"]) > 1),
            "top_level_types": sum(1 for t in types if not t["parents"]),
            "complex_types": sum(1 for t in self.types.values() if t["kind"] == "complex"),
            "simple_types": len(simple),
            "enum_simple_types": sum(1 for t in simple if t.get("enum")),
        }


def _refs_in(schema: Any):
    """Names of $defs entries referenced anywhere inside ``schema``."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                yield value[len("#/$defs/"):]
            else:
                yield from _refs_in(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs_in(item)
