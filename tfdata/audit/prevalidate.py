"""A fast "certainly valid" pre-check for the JSON Schema subset the release whitelists use.

jsonschema resolves every $ref through its registry, which costs about a millisecond for an
id_perms value; an audit validates several values per object. Almost every value is valid, so
a compiled check that answers "certainly valid" for them, and "not sure" for everything else,
lets the full validator (and its precise messages) run only where a problem is likely. Any
keyword outside the subset makes the check answer "not sure": never a missed finding.
"""

from __future__ import annotations

from typing import Any, Callable, Literal

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset({"readOnly", "writeOnly", "default", "title", "description", "$comment", "$schema",
                         "examples", "deprecated"})
_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _never(_: Any) -> bool:
    return False


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true and 1 differ (as in jsonschema)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


class Compiler:
    def __init__(self, defs: dict) -> None:
        self.defs = defs
        self._refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda v: True
        if not isinstance(schema, dict):
            return _never
        checks: list[Check] = []
        for key, value in schema.items():
            made = self._keyword(key, value, schema)
            if made is None:
                return _never  # outside the subset: not sure
            if made is not True:
                checks.append(made)
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(c(v) for c in checks)

    def _keyword(self, key: str, value: Any, schema: dict) -> Check | Literal[True] | None:
        """A check for one keyword; True when it constrains nothing; None when unsupported."""
        if key in ANNOTATIONS or key.startswith("x-"):
            return True
        if key == "type":
            names = value if isinstance(value, list) else [value]
            if any(name not in _TYPE_TESTS for name in names):
                return None
            tests = [_TYPE_TESTS[name] for name in names]
            return lambda v: any(t(v) for t in tests)
        if key == "enum":
            options = list(value)
            return lambda v: any(_same(v, o) for o in options)
        if key == "$ref":
            return self._ref(value)
        if key == "properties":
            props = {name: self.compile(sub) for name, sub in value.items()}
            return lambda v: not isinstance(v, dict) or all(props[k](x) for k, x in v.items() if k in props)
        if key == "additionalProperties":
            known = set(schema.get("properties", {}))
            if value is False:
                return lambda v: not isinstance(v, dict) or all(k in known for k in v)
            extra = self.compile(value)
            return lambda v: not isinstance(v, dict) or all(extra(x) for k, x in v.items() if k not in known)
        if key == "items":
            item = self.compile(value)
            return lambda v: not isinstance(v, list) or all(item(x) for x in v)
        if key in ("minimum", "maximum"):
            bound = value
            inside = (lambda v: v >= bound) if key == "minimum" else (lambda v: v <= bound)
            return lambda v: not _TYPE_TESTS["number"](v) or inside(v)
        if key == "minItems":
            return lambda v: not isinstance(v, list) or len(v) >= value
        if key == "maxProperties":
            return lambda v: not isinstance(v, dict) or len(v) <= value
        if key == "anyOf":
            options = [self.compile(sub) for sub in value]
            return lambda v: any(o(v) for o in options)
        return None

    def _ref(self, ref: Any) -> Check | None:
        if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
            return None
        name = ref[len("#/$defs/"):]
        if name not in self.defs:
            return None
        if name not in self._refs:
            self._refs[name] = _never  # recursive types: placeholder until compiled
            compiled = self.compile(self.defs[name])
            self._refs[name] = compiled
        return lambda v: self._refs[name](v)


def certainly_valid(schema: dict, defs: dict) -> Check:
    """A function that returns True only for values ``schema`` certainly accepts."""
    return Compiler(defs).compile(schema)
