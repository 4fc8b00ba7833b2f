"""Guess which release wrote a database from the object types and fields it holds.

A release is consistent with the data when its whitelist has every observed type and field.
Features only ever get added (tf-schema.md §8), so the oldest consistent release is the best
lower bound; features that later releases dropped narrow the range from above.
"""

from __future__ import annotations

from typing import Mapping

from .store import IDENTITY_FIELDS, ReleaseSchema, list_releases, load_release

# Database column prefixes that name a field kind (tf-schema.md §4).
_COLUMN_KINDS = {"prop": "property", "propl": "property", "propm": "property", "ref": "reference",
                 "backref": "back_reference", "children": "child", "parent": "parent"}
_IGNORED_COLUMNS = {"type", "fq_name", "parent_type", "META"}


def _feature(schema_field: str) -> tuple[str, str] | None:
    """('property', name) / ('reference', target) / ... for one observed field name; None to ignore.

    Accepts REST names (``network_ipam_refs``, ``virtual_machine_interface_back_refs``,
    ``virtual_networks``, property names) and database columns (``prop:x``, ``ref:t:uuid``).
    """
    if ":" in schema_field:
        prefix, rest = schema_field.split(":", 1)
        if prefix in _IGNORED_COLUMNS:
            return None
        kind = _COLUMN_KINDS.get(prefix)
        return (kind, rest.split(":", 1)[0]) if kind else ("property", schema_field)
    if schema_field in IDENTITY_FIELDS or schema_field in _IGNORED_COLUMNS:
        return None
    if schema_field.endswith("_back_refs"):
        return ("back_reference", schema_field[: -len("_back_refs")])
    if schema_field.endswith("_refs"):
        return ("reference", schema_field[: -len("_refs")])
    return ("property", schema_field)


def _has(schema: ReleaseSchema, obj_type: str, feature: tuple[str, str]) -> bool:
    kind, name = feature
    type_name = schema.type_name(obj_type)
    entry = schema.object_types[type_name]
    if kind == "property":
        if schema.property_name(type_name, name) is not None:
            return True
        # a plural name may be a children list rather than a property
        return name.endswith("s") and schema.type_name(name[:-1]) in entry["children"]
    if kind == "reference":
        return schema.reference_target(type_name, name) is not None
    if kind == "back_reference":
        return schema.type_name(name) in entry["back_references"]
    if kind == "child":
        return schema.type_name(name) in entry["children"]
    if kind == "parent":
        return schema.allows_parent(type_name, name)
    return False


def _observations(type_and_field_counts: Mapping[str, Mapping[str, int] | int]):
    """(type, feature-or-None, weight) triples; feature None stands for the type itself."""
    for obj_type, fields in type_and_field_counts.items():
        if isinstance(fields, Mapping):
            weight = max([int(c) for c in fields.values()] + [1])
            yield obj_type, None, weight
            for field, count in fields.items():
                feature = _feature(field)
                if feature is not None and count:
                    yield obj_type, feature, int(count)
        elif fields:
            yield obj_type, None, int(fields)


def _describe(obj_type: str, feature: tuple[str, str] | None) -> str:
    return obj_type if feature is None else f"{obj_type}.{feature[1]}"


def score_releases(type_and_field_counts: Mapping[str, Mapping[str, int] | int],
                   releases: list[str] | None = None) -> list[dict]:
    """Per release (oldest first): observed weight covered and what is missing."""
    observations = list(_observations(type_and_field_counts))
    total = sum(w for _, _, w in observations) or 1
    results = []
    for release in releases or list_releases():
        schema = load_release(release)
        missing: list[str] = []
        missing_weight = 0
        for obj_type, feature, weight in observations:
            known = schema.has_type(obj_type) and (feature is None or _has(schema, obj_type, feature))
            if not known:
                missing.append(_describe(obj_type, feature))
                missing_weight += weight
        results.append({"release": release, "coverage": 1 - missing_weight / total, "missing": missing})
    return results


def guess_release(type_and_field_counts: Mapping[str, Mapping[str, int] | int],
                  releases: list[str] | None = None) -> tuple[str, float, str]:
    """(release, confidence 0..1, one-line reason) for the observed types and field counts.

    ``type_and_field_counts`` maps object type -> {field name or db column: count} (or just a
    count).  The oldest release that knows everything observed wins; confidence is 1 when no
    other release fits, lower when several fit, and at most 0.5 when none fits completely.
    """
    scores = score_releases(type_and_field_counts, releases)
    if not scores:
        raise ValueError("no releases to choose from")
    fitting = [s for s in scores if not s["missing"]]
    if not fitting:
        best = max(scores, key=lambda s: s["coverage"])  # max keeps the first (oldest) on ties
        shown = ", ".join(best["missing"][:5]) + (" ..." if len(best["missing"]) > 5 else "")
        return (best["release"], round(0.5 * best["coverage"], 3),
                f"no release knows everything observed; {best['release']} covers "
                f"{best['coverage']:.0%}, missing {len(best['missing'])}: {shown}")
    guess = fitting[0]
    index = scores.index(guess)
    others = [s["release"] for s in fitting[1:]]
    if index > 0:
        previous = scores[index - 1]
        shown = ", ".join(previous["missing"][:3]) + (" ..." if len(previous["missing"]) > 3 else "")
        lower = f"{previous['release']} lacks {shown}"
        confidence = 1.0 if not others else 0.5 + 0.5 / len(fitting)
    else:
        lower = "it is the oldest known release"
        confidence = 1.0 / len(fitting)
    also = f"; also consistent: {', '.join(others)}" if others else "; no later release fits"
    return (guess["release"], round(confidence, 3),
            f"{guess['release']} is the oldest release that knows all observed types and fields "
            f"({lower}){also}")
