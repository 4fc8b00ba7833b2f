"""Check one decoded object against a release whitelist: is everything it holds allowed there?

Mirrors what the API server of that release would accept (tf-schema.md §2.7): unknown
properties/references and wrong parents are errors; values are validated against the JSON
Schema, but like the server we do not check empty values (``None``, ``""``, ``0``, ``False``,
empty containers) unless ``strict`` is set; "required" is reported only as a warning, because
upstream does not enforce it.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .store import IDENTITY_FIELDS, ReleaseSchema, load_release

ERROR = "error"
WARNING = "warning"

UNKNOWN_TYPE = "unknown_type"
UNKNOWN_PROPERTY = "unknown_property"
UNKNOWN_REF = "unknown_ref"
INVALID_VALUE = "invalid_value"
PARENT_NOT_ALLOWED = "parent_not_allowed"
NOT_A_LIST_PROPERTY = "not_a_list_property"
MISSING_REQUIRED = "missing_required"

# Why a value is invalid (``reason`` of an invalid_value problem).
REASON_ENUM = "enum"
REASON_RANGE = "range"
REASON_TYPE = "type"
REASON_UNKNOWN_FIELD = "unknown_field"
REASON_MAP_KEY = "map_key"
REASON_OTHER = "other"


def problem(kind: str, field: str, detail: str, severity: str = ERROR, **extra: Any) -> dict:
    return {"kind": kind, "field": field, "detail": detail, "severity": severity, **extra}


def check_object(
    release: "str | ReleaseSchema",
    obj_type: str,
    props: Mapping[str, Any],
    refs: Mapping[str, Iterable[Any]] | None = None,
    parent_type: str | None = None,
    *,
    strict: bool = False,
) -> list[dict]:
    """Problems of one object under ``release`` (empty list: the release accepts it).

    ``props`` maps property name -> value as the API presents it (list/map properties in their
    wrapped form, e.g. ``{"subnets": [...]}``; a bare list of items is accepted for them too).
    ``refs`` maps reference target type -> list of link attributes (``None`` for plain refs).
    ``parent_type`` is the stored parent type (dash or underscore form), None for top level.
    Each problem is a dict with kind, field, detail (one line) and severity.
    """
    schema = load_release(release)
    type_name = schema.type_name(obj_type)
    if type_name is None:
        return [problem(UNKNOWN_TYPE, obj_type, f"release {schema.name} has no object type '{obj_type}'")]
    problems: list[dict] = []
    if not schema.allows_parent(type_name, parent_type):
        allowed = schema.parent_types(type_name) or ["(none: top level)"]
        problems.append(problem(
            PARENT_NOT_ALLOWED, "parent_type",
            f"{type_name} under {parent_type or '(no parent)'} not allowed in {schema.name}; "
            f"allowed: {', '.join(allowed)}",
        ))
    for prop, value in props.items():
        if prop in IDENTITY_FIELDS:
            continue
        problems.extend(_check_property(schema, type_name, prop, value, strict))
    problems.extend(_missing_required_properties(schema, type_name, props))
    if refs is not None:
        problems.extend(_check_refs(schema, type_name, refs, strict))
    return problems


def _check_property(schema: ReleaseSchema, type_name: str, prop: str, value: Any,
                    strict: bool) -> list[dict]:
    prop_name = schema.property_name(type_name, prop)
    if prop_name is None:
        return [problem(UNKNOWN_PROPERTY, prop, f"{type_name} has no property '{prop}' in {schema.name}")]
    spec = schema.property(type_name, prop_name)
    if value is None:
        return []
    if isinstance(value, list):
        if spec["kind"] not in ("list", "map"):
            return [problem(NOT_A_LIST_PROPERTY, prop_name,
                            f"got a list of items, but {prop_name} is a plain ({spec['kind']}) property")]
        value = {spec.get("wrapper_field") or "items": value}
    problems = validate_value(schema.property_validator(type_name, prop_name), value, prop_name, strict)
    if spec["kind"] == "map" and isinstance(value, dict):
        problems.extend(_check_map_keys(spec, value, prop_name))
    return problems


def _check_map_keys(spec: dict, value: dict, prop_name: str) -> list[dict]:
    key_field, wrapper = spec.get("map_key"), spec.get("wrapper_field")
    items = value.get(wrapper) if wrapper else None
    if not key_field or not isinstance(items, list):
        return []
    problems, seen = [], set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        key = item.get(key_field)
        field = f"{prop_name}.{wrapper}[{index}].{key_field}"
        if key in (None, ""):
            problems.append(problem(INVALID_VALUE, field, f"map item without its key field '{key_field}'",
                                    reason=REASON_MAP_KEY))
        elif key in seen:
            problems.append(problem(INVALID_VALUE, field, f"duplicate map key {key!r}", reason=REASON_MAP_KEY))
        seen.add(key)
    return problems


def _missing_required_properties(schema: ReleaseSchema, type_name: str, props: Mapping[str, Any]) -> list[dict]:
    present = {schema.property_name(type_name, p) for p, v in props.items() if v is not None}
    return [
        problem(MISSING_REQUIRED, name, f"'required' property {name} is not set (not enforced upstream)",
                severity=WARNING)
        for name, spec in sorted(schema.object_types[type_name]["properties"].items())
        if spec["presence"] == "required" and name not in present
    ]


def _check_refs(schema: ReleaseSchema, type_name: str, refs: Mapping[str, Iterable[Any]],
                strict: bool) -> list[dict]:
    problems: list[dict] = []
    present = set()
    for ref, attrs in refs.items():
        target = schema.reference_target(type_name, ref)
        if target is None:
            problems.append(problem(UNKNOWN_REF, ref, f"{type_name} has no reference to '{ref}' in {schema.name}"))
            continue
        attrs = list(attrs or [])
        if attrs:
            present.add(target)
        attr_type = schema.references(type_name)[target]["attr_type"]
        for index, attr in enumerate(attrs):
            field = f"{target}_refs[{index}].attr"
            if attr_type is None:
                if attr not in (None, {}, ""):
                    problems.append(problem(INVALID_VALUE, field,
                                            f"reference {type_name}->{target} carries no attributes",
                                            reason=REASON_UNKNOWN_FIELD))
            elif attr is not None:
                problems.extend(validate_value(schema.type_validator(attr_type), attr, field, strict))
    for target, spec in sorted(schema.object_types[type_name]["references"].items()):
        if spec["presence"] == "required" and target not in present:
            problems.append(problem(MISSING_REQUIRED, f"{target}_refs",
                                    f"'required' reference to {target} is missing (not enforced upstream)",
                                    severity=WARNING))
    return problems


# --- value validation ------------------------------------------------------------------------

def without_empty_values(value: Any) -> Any:
    """Replace empty/false leaves by None (accepted everywhere) but keep the keys, so unknown
    member names are still caught: the API server skips only the value checks for them."""
    if isinstance(value, dict):
        return {k: without_empty_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_empty_values(v) for v in value] if value else None
    if not value and value is not None:
        return None
    return value


def validate_value(validator, value: Any, field: str, strict: bool = False) -> list[dict]:
    """invalid_value problems for ``value`` (one per jsonschema error, deepest first)."""
    checked = value if strict else without_empty_values(value)
    errors = sorted(validator.iter_errors(checked), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    return [_problem_from_error(error, field) for error in _leaf_errors(errors)]


def _leaf_errors(errors):
    for error in errors:
        if error.context:  # anyOf/oneOf: report the most specific alternative
            best = max(error.context, key=lambda e: len(e.absolute_path))
            yield best
        else:
            yield error


def _path(field: str, error) -> str:
    path = field
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _problem_from_error(error, field: str) -> dict:
    path = _path(field, error)
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    if error.validator == "enum":
        allowed = [v for v in error.validator_value if v is not None]
        return problem(INVALID_VALUE, path, f"{value!r} is not one of {', '.join(map(str, allowed))}",
                       reason=REASON_ENUM)
    if error.validator in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        bounds = f"{'' if low is None else low}..{'' if high is None else high}"
        return problem(INVALID_VALUE, path, f"{value!r} is outside {bounds}", reason=REASON_RANGE)
    if error.validator == "type":
        expected = [t for t in _as_list(error.validator_value) if t != "null"]
        return problem(INVALID_VALUE, path,
                       f"expected {' or '.join(expected)}, got {_json_type(value)} {_short(value)}",
                       reason=REASON_TYPE)
    if error.validator == "additionalProperties":
        known = set(schema.get("properties", {}))
        extra = sorted(k for k in value if k not in known) if isinstance(value, dict) else []
        return problem(INVALID_VALUE, path, f"unknown field(s): {', '.join(extra)}",
                       reason=REASON_UNKNOWN_FIELD, unknown_fields=extra)
    return problem(INVALID_VALUE, path, error.message.splitlines()[0][:200], reason=REASON_OTHER)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
