"""Read one release's "XSD-flavoured" schema files into plain declarations.

The upstream files are well-formed XML but not valid W3C XML Schema, so they are read with
the standard library only and interpreted the way the upstream generator does: includes are
followed depth-first from the root, later declarations replace earlier ones, namespace
prefixes are dropped from type names (``xsd:`` built-ins keep theirs).  Only this module
knows about XML; everything downstream works on the dataclasses defined here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .idl import IdlError, IdlStatement, iter_idl

ROOT_FILE = "all_cfg.xsd"
XSD_PREFIX = "xsd:"
COMPOSITORS = ("all", "sequence", "choice")


@dataclass
class InlineRestriction:
    """A nameless (or locally named) simpleType written inside a member element."""

    base: str
    enum: list[str] = field(default_factory=list)


@dataclass
class Member:
    """One element inside a complexType: a field of the JSON object."""

    name: str
    type: str  # "" when the element has no type attribute
    is_array: bool
    required: str | None = None
    default: str | None = None
    operations: str | None = None
    description: str | None = None
    inline: InlineRestriction | None = None


@dataclass
class ComplexType:
    name: str
    members: list[Member]
    file: str


@dataclass
class SimpleType:
    name: str
    base: str | None  # None for a union
    enum: list[str]
    min: int | None
    max: int | None
    pattern: str | None
    union_members: list[str] | None
    default: str | None
    file: str


@dataclass
class ElementDecl:
    """A top-level element: an object type, a property or a link, depending on the IDL."""

    name: str
    type: str  # "" when absent
    default: str | None
    file: str


@dataclass
class XsdSet:
    """Everything declared in one release's include closure, in generator order."""

    files: list[str] = field(default_factory=list)
    elements: dict[str, ElementDecl] = field(default_factory=dict)
    complex_types: dict[str, ComplexType] = field(default_factory=dict)
    simple_types: dict[str, SimpleType] = field(default_factory=dict)
    statements: list[IdlStatement] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)


def local_name(tag: str) -> str:
    """'{http://www.w3.org/2001/XMLSchema}element' -> 'element'."""
    return tag.rsplit("}", 1)[-1]


def strip_prefix(type_name: str | None) -> str:
    """Drop a namespace prefix from a type name; 'xsd:' built-ins keep theirs.

    An unprefixed 'unsignedShort' (written that way once upstream) becomes a built-in too.
    """
    if not type_name:
        return ""
    type_name = type_name.strip()
    if type_name.startswith(XSD_PREFIX):
        return type_name
    if ":" in type_name:
        prefix, rest = type_name.split(":", 1)
        if prefix in ("xs",):
            return XSD_PREFIX + rest
        return rest
    if type_name in ("unsignedShort", "unsignedInt", "unsignedLong", "integer", "string", "boolean"):
        return XSD_PREFIX + type_name
    return type_name


def read_xsd_set(directory: Path | str, root: str = ROOT_FILE) -> XsdSet:
    """Parse ``root`` and its include closure in ``directory``."""
    directory = Path(directory)
    result = XsdSet()
    _visit(directory, root, result, visiting=set())
    return result


def _visit(directory: Path, file_name: str, result: XsdSet, visiting: set[str]) -> None:
    if file_name in visiting or file_name in result.files:
        result.diagnostics.append(f"{file_name}: included again, skipped")
        return
    path = directory / file_name
    if not path.is_file():
        result.diagnostics.append(f"{file_name}: included but missing")
        return
    visiting.add(file_name)
    result.files.append(file_name)
    text = path.read_text(encoding="utf-8")
    tree = ET.fromstring(text)
    includes: list[str] = []
    for child in tree:
        if not isinstance(child.tag, str):
            continue
        kind = local_name(child.tag)
        if kind == "include":
            includes.append(child.get("schemaLocation", ""))
        elif kind == "element":
            _add_element(child, file_name, result)
        elif kind == "complexType":
            _add_complex_type(child, file_name, result)
        elif kind == "simpleType":
            _add_simple_type(child, file_name, result)
    for stmt in iter_idl(text, file_name):
        if isinstance(stmt, IdlError):
            result.diagnostics.append(
                f"{file_name}:{stmt.line}: IDL statement skipped ({stmt.reason}): {stmt.text[:80]}")
        else:
            result.statements.append(stmt)
    for included in includes:
        _visit(directory, included, result, visiting)
    visiting.discard(file_name)


def _add_element(node: ET.Element, file_name: str, result: XsdSet) -> None:
    name = node.get("name", "")
    if name in result.elements:
        result.diagnostics.append(
            f"element '{name}' declared again in {file_name} (was {result.elements[name].file}); later wins"
        )
    result.elements[name] = ElementDecl(
        name=name, type=strip_prefix(node.get("type")), default=node.get("default"), file=file_name
    )


def _members(node: ET.Element) -> list[ET.Element]:
    """Member elements of a complexType, looking through compositors at any depth."""
    found: list[ET.Element] = []
    for child in node:
        if not isinstance(child.tag, str):
            continue
        kind = local_name(child.tag)
        if kind == "element":
            found.append(child)
        elif kind in COMPOSITORS:
            found.extend(_members(child))
    return found


def _add_complex_type(node: ET.Element, file_name: str, result: XsdSet) -> None:
    name = node.get("name", "")
    members = []
    for member in _members(node):
        max_occurs = (member.get("maxOccurs") or "1").strip()
        inline = None
        for sub in member:
            if isinstance(sub.tag, str) and local_name(sub.tag) == "simpleType":
                restriction = _restriction_of(sub)
                if restriction is not None:
                    inline = InlineRestriction(
                        base=strip_prefix(restriction.get("base")),
                        enum=[e.get("value", "") for e in restriction if _is(e, "enumeration")],
                    )
        members.append(
            Member(
                name=member.get("name", ""),
                type=strip_prefix(member.get("type")),
                is_array=max_occurs != "1",
                required=member.get("required"),
                default=member.get("default"),
                operations=member.get("operations") or member.get("operation"),
                description=_clean_text(member.get("description")),
                inline=inline,
            )
        )
    if name in result.complex_types:
        result.diagnostics.append(f"complexType '{name}' declared again in {file_name}; later wins")
    result.complex_types[name] = ComplexType(name=name, members=members, file=file_name)


def _is(node: ET.Element, kind: str) -> bool:
    return isinstance(node.tag, str) and local_name(node.tag) == kind


def _restriction_of(node: ET.Element) -> ET.Element | None:
    for child in node:
        if _is(child, "restriction"):
            return child
    return None


def _as_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _add_simple_type(node: ET.Element, file_name: str, result: XsdSet) -> None:
    name = node.get("name", "")
    restriction = _restriction_of(node)
    union = next((c for c in node if _is(c, "union")), None)
    base = None
    enum: list[str] = []
    minimum = maximum = None
    pattern = None
    union_members = None
    if restriction is not None:
        base = strip_prefix(restriction.get("base"))
        for facet in restriction:
            if _is(facet, "enumeration"):
                enum.append(facet.get("value", ""))
            elif _is(facet, "minInclusive"):
                minimum = _as_int(facet.get("value"))
            elif _is(facet, "maxInclusive"):
                maximum = _as_int(facet.get("value"))
            elif _is(facet, "pattern"):
                pattern = " ".join((facet.get("value") or "").split())
    elif union is not None:
        union_members = [strip_prefix(t) for t in (union.get("memberTypes") or "").split()]
        for nested in union:
            if _is(nested, "simpleType"):
                nested_restriction = _restriction_of(nested)
                if nested_restriction is not None:
                    union_members.append(strip_prefix(nested_restriction.get("base")))
    if name in result.simple_types:
        result.diagnostics.append(f"simpleType '{name}' declared again in {file_name}; later wins")
    result.simple_types[name] = SimpleType(
        name=name,
        base=base,
        enum=enum,
        min=minimum,
        max=maximum,
        pattern=pattern,
        union_members=union_members,
        default=node.get("default"),
        file=file_name,
    )


_SPACES = re.compile(r"\s+")


def _clean_text(text: str | None) -> str | None:
    if text is None:
        return None
    return _SPACES.sub(" ", text).strip()
