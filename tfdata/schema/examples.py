"""Realistic, schema-valid example values for any object type of any release.

Used by the tests (every type's example must validate against its release's JSON Schema) and
by the test-data generator.  Values are driven by the whitelist (enumerations, ranges, nested
fields, list/map wrappers) and by field names (``*_mac*`` gets a MAC address, ``*ip*`` an
IPv4 address, ``*asn*`` a private AS number ...), so generated objects look like real ones.
All randomness comes from the ``rng`` argument: same seed, same output.
"""

from __future__ import annotations

import random
import uuid as uuid_module
from typing import Any

from .store import ReleaseSchema, load_release

MAX_DEPTH = 8
EPOCH_SECONDS = 1_700_000_000


def _uuid(rng: random.Random) -> str:
    return str(uuid_module.UUID(int=rng.getrandbits(128), version=4))


def _ipv4(rng: random.Random) -> str:
    return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _timestamp(rng: random.Random) -> str:
    seconds = EPOCH_SECONDS + rng.randint(0, 50_000_000)
    from datetime import datetime, timezone

    moment = datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)
    return moment.isoformat() + f".{rng.randint(0, 999999):06d}"


def _string_for(field: str, xsd_type: str, rng: random.Random) -> str:
    """A plausible string for a field, judged by its name."""
    name = field.lower()
    n = rng.randint(1, 999)
    if xsd_type in ("xsd:dateTime",) or name in ("created", "last_modified") or name.endswith("_time"):
        return _timestamp(rng)
    if xsd_type == "xsd:time":
        return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
    if "mac" in name:
        return "02:" + ":".join(f"{rng.randint(0, 255):02x}" for _ in range(5))
    if "uuid" in name or name == "owner":
        return _uuid(rng)
    if "route_target" in name or name in ("target", "import_target", "export_target"):
        return f"target:64512:{n}"
    if "community" in name:
        return f"64512:{n}"
    if "cidr" in name or name in ("subnet", "prefix", "ip_prefix"):
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0" + ("/24" if "cidr" in name else "")
    if "ip" in name.split("_") or "address" in name or "gateway" in name or name in ("start", "end"):
        return _ipv4(rng)
    if "url" in name or "uri" in name:
        return f"http://example.net/{field}/{n}"
    if "description" in name:
        return f"example {field.replace('_', ' ')} {n}"
    if "name" in name:
        return f"example-{n}"
    return f"{field or 'value'}-{n}"


def _integer_for(field: str, low: int | None, high: int | None, rng: random.Random) -> int:
    """A plausible integer inside [low, high], judged by the field name."""
    name = field.lower()
    if "mslong" in name or "lslong" in name:
        wanted = rng.getrandbits(63)
    elif "prefix_len" in name or name.endswith("_len"):
        wanted = rng.choice([16, 24, 28, 32])
    elif "asn" in name or "autonomous_system" in name:
        wanted = rng.randint(64512, 65534)
    elif "vlan" in name:
        wanted = rng.randint(1, 4094)
    elif "port" in name:
        wanted = rng.randint(1024, 65535)
    elif "mtu" in name:
        wanted = rng.choice([1500, 9000])
    elif "access" in name:
        wanted = rng.randint(0, 7)
    else:
        wanted = rng.randint(0, 100)
    low_bound = low if low is not None else (0 if wanted >= 0 else wanted)
    high_bound = high if high is not None else max(wanted, low_bound)
    if low_bound <= wanted <= high_bound:
        return wanted
    return rng.randint(low_bound, min(high_bound, low_bound + 100))


def _builtin(xsd_type: str, field: str, rng: random.Random, low=None, high=None) -> Any:
    if xsd_type == "xsd:boolean":
        return rng.choice([True, False])
    if xsd_type in ("xsd:integer", "xsd:unsignedInt", "xsd:unsignedLong", "xsd:unsignedShort"):
        if xsd_type != "xsd:integer":
            low = 0 if low is None else max(low, 0)
        return _integer_for(field, low, high, rng)
    return _string_for(field, xsd_type, rng)


class _Generator:
    def __init__(self, schema: ReleaseSchema, rng: random.Random, fill: float, max_items: int) -> None:
        self.schema = schema
        self.rng = rng
        self.fill = fill
        self.max_items = max_items

    def value(self, type_name: str, field: str = "", stack: tuple[str, ...] = ()) -> Any:
        entry = self.schema.types.get(type_name)
        if entry is None:
            return _builtin(type_name, field, self.rng)
        if entry["kind"] == "simple":
            return self.simple(entry, field)
        return self.complex(type_name, entry, stack)

    def simple(self, facets: dict, field: str) -> Any:
        if facets.get("enum"):
            return self.rng.choice(facets["enum"])
        base = facets.get("base", "xsd:string")
        if base == "union":
            base = next((t for t in facets.get("union", []) if t != "xsd:string"), "xsd:string")
        return _builtin(base, field, self.rng, facets.get("min"), facets.get("max"))

    def complex(self, type_name: str, entry: dict, stack: tuple[str, ...]) -> dict | None:
        if type_name in stack or len(stack) >= MAX_DEPTH:
            return None
        result = {}
        for field_name, spec in entry["fields"].items():
            required = spec.get("required") in ("true", "required")
            if not required and self.rng.random() >= self.fill:
                continue
            value = self.field(field_name, spec, stack + (type_name,))
            if value is not None:
                result[field_name] = value
        return result

    def field(self, field_name: str, spec: dict, stack: tuple[str, ...]) -> Any:
        def one() -> Any:
            if spec.get("enum"):
                return self.rng.choice(spec["enum"])
            return self.value(spec["type"], field_name, stack)

        if spec.get("array"):
            items = [one() for _ in range(self.rng.randint(1, self.max_items))]
            items = [item for item in items if item is not None]
            return items or None
        return one()

    def property_value(self, prop_name: str, prop: dict) -> Any:
        if prop["kind"] in ("list", "map") and prop.get("wrapper_field"):
            wrapper, item_type = prop["wrapper_field"], prop["item_type"]
            items = [self.value(item_type, wrapper) for _ in range(self.rng.randint(1, self.max_items))]
            items = [item for item in items if item is not None]
            if prop["kind"] == "map" and prop.get("map_key") and all(isinstance(i, dict) for i in items):
                items = self.unique_keys(items, prop["map_key"])
            return {wrapper: items}
        return self.value(prop["xsd_type"], prop_name)

    @staticmethod
    def unique_keys(items: list, key_field: str) -> list:
        """Map items need distinct key values: the database stores one column per key."""
        seen: set = set()
        for index, item in enumerate(items):
            key = item.get(key_field)
            if isinstance(key, int) and not isinstance(key, bool):
                while key in seen:
                    key += 1
            elif key in seen or key in (None, ""):
                key = f"{key_field}-{index}"
            item[key_field] = key
            seen.add(key)
        return items


def example_value(release: "str | ReleaseSchema", type_name: str, rng: random.Random, *,
                  field: str = "", fill: float = 1.0, max_items: int = 2) -> Any:
    """A valid value of a named XSD type (or built-in such as 'xsd:string')."""
    return _Generator(load_release(release), rng, fill, max_items).value(type_name, field)


def example_ref_attr(release: "str | ReleaseSchema", obj_type: str, ref_type: str, rng: random.Random,
                     *, fill: float = 1.0) -> Any:
    """A valid link attribute for reference ``obj_type -> ref_type`` (None for plain refs)."""
    schema = load_release(release)
    target = schema.reference_target(obj_type, ref_type)
    if target is None:
        raise KeyError(f"{obj_type} has no reference to {ref_type} in {schema.name}")
    attr_type = schema.references(obj_type)[target]["attr_type"]
    if attr_type is None:
        return None
    return _Generator(schema, rng, fill, 2).value(attr_type, target)


def example_props(release: "str | ReleaseSchema", obj_type: str, rng: random.Random, *,
                  fill: float = 1.0, max_items: int = 2, include_common: bool = True,
                  name: str | None = None, uuid: str | None = None) -> dict[str, Any]:
    """Property name -> valid value for one object of ``obj_type`` (list/map props wrapped).

    ``fill`` is the chance that an optional property or nested field is set (1.0: all of them,
    which exercises the whole schema).  With ``include_common`` the system properties look the
    way the API server writes them (id_perms carries ``uuid``, perms2 an owner, ...).
    """
    schema = load_release(release)
    type_name = schema.require_type(obj_type)
    generator = _Generator(schema, rng, fill, max_items)
    props: dict[str, Any] = {}
    for prop_name, prop in schema.object_types[type_name]["properties"].items():
        if prop["presence"] != "required" and rng.random() >= fill:
            continue
        value = generator.property_value(prop_name, prop)
        if value not in (None, {}):
            props[prop_name] = value
    if include_common:
        props.update(_common_props(schema, generator, name or f"{type_name.replace('_', '-')}-"
                                   f"{rng.randint(1, 9999)}", uuid or _uuid(rng)))
    return props


def _common_props(schema: ReleaseSchema, generator: _Generator, name: str, object_uuid: str) -> dict:
    """id_perms/perms2/display_name/annotations shaped like the API server writes them."""
    props: dict[str, Any] = {}
    common = schema.common_properties
    for prop_name, prop in common.items():
        if prop_name == "display_name":
            props[prop_name] = name
            continue
        value = generator.property_value(prop_name, prop)
        if value is not None:
            props[prop_name] = value
    id_perms = props.get("id_perms")
    if isinstance(id_perms, dict):
        number = uuid_module.UUID(object_uuid).int
        id_perms.update(enable=True, user_visible=True)
        id_perms["uuid"] = {"uuid_mslong": number >> 64, "uuid_lslong": number & ((1 << 64) - 1)}
        if "last_modified" in id_perms and "created" in id_perms:
            id_perms["last_modified"] = id_perms["created"]
    return props
