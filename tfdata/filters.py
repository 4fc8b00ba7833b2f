"""One rule for every name filter a command takes (--keyspace, --type, --check, --ignore).

A filter that names nothing that can exist is a typo, and a filter that silently matches nothing
makes `diff` say "equal" and `audit` say "clean" about data it never looked at. So an unknown
name is an input error (exit 2) that lists the names that are known. The library functions call
these too: a user importing `diff_sources` or `audit` gets the same error as the CLI.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from functools import lru_cache

from .errors import InputError
from .model.keyspaces import TF_KEYSPACES

ZOOKEEPER = "zookeeper"  # what --keyspace calls the ZooKeeper trees
KNOWN_KEYSPACES: tuple[str, ...] = (*TF_KEYSPACES, ZOOKEEPER)


def require_known(what: str, given: Iterable[str], known: Iterable[str],
                  normalize: Callable[[str], str] = lambda name: name, listing: str | None = None,
                  option: str | None = None) -> None:
    """Raise InputError for the first name in ``given`` that is not in ``known`` (both compared
    after ``normalize``); the message names the ``option``, suggests close names and lists the
    known ones (or ``listing``, said instead when the full list is better shown elsewhere)."""
    canonical = sorted({normalize(k) for k in known})
    accepted = set(canonical)
    for name in given:
        typed = normalize(name)
        if typed in accepted:
            continue
        close = [k for k in canonical if typed and k.startswith(typed)]  # a name cut short: to_bgp
        close += [k for k in difflib.get_close_matches(typed, canonical, n=3) if k not in close]
        hint = f"did you mean {' or '.join(repr(c) for c in close[:3])}? " if close else ""
        known_text = listing or "known: " + (", ".join(canonical) or "none")
        where = f"{option}: " if option else ""
        raise InputError(f"{where}unknown {what} {name!r} ({hint}{known_text})")


def check_keyspaces(keyspaces: Iterable[str]) -> None:
    """Keyspaces as tfdata names them: the TF keyspaces without cluster prefix, plus 'zookeeper'."""
    require_known("keyspace", keyspaces, KNOWN_KEYSPACES, option="--keyspace")


def _underscore(name: str) -> str:
    return name.replace("-", "_")


@lru_cache(maxsize=1)
def schema_object_types() -> frozenset[str]:
    """Every object type (underscore form) that any release whitelist in schemas/ knows."""
    from .schema import list_releases, load_release

    types: set[str] = set()
    for release in list_releases():
        types.update(load_release(release).object_types)
    return frozenset(types)


def unknown_to_schemas(types: Iterable[str]) -> list[str]:
    """The given types (dash or underscore) that no release knows: they can only be valid if the
    data itself has them."""
    known = schema_object_types()
    return [t for t in types if _underscore(t) not in known]


def check_object_types(types: Iterable[str], present: Iterable[str] = ()) -> None:
    """Object types, dash or underscore: any release's type, or one ``present`` in the data."""
    require_known("object type", types, set(schema_object_types()) | set(present), normalize=_underscore,
                  option="--type")


def check_ignore_patterns(patterns: Iterable[str]) -> None:
    """--ignore takes field paths, column names and globs, and a field path cannot be checked
    against every object that may ever hold it; what is rejected is what can never match a
    field: a blank pattern, an empty dotted segment ('props..x', 'x.'), a bare 'META:'. Patterns
    with ':' are column names (any text) and only need to be non-blank."""
    for pattern in patterns:
        if not pattern.strip():
            raise InputError("empty --ignore pattern (give a field path such as id_perms.last_modified, "
                             "a column name, META:<name> or 'writetimes')")
        if pattern.startswith("META:"):
            if pattern == "META:":
                raise InputError("--ignore pattern 'META:' names no column (e.g. META:latest_col_ts)")
            continue
        if "" in pattern.split(".") and ":" not in pattern:
            raise InputError(f"--ignore pattern {pattern!r} has an empty segment between dots")


def check_audit_checks(selectors: Iterable[str], catalogue: Iterable[str]) -> None:
    """--check: a check id, a family ('link') or a family wildcard ('link.*')."""
    ids = set(catalogue)
    families = {check_id.split(".", 1)[0] for check_id in ids}
    require_known("check", selectors, ids | families, normalize=lambda s: s.removesuffix(".*"), option="--check",
                  listing=f"known families: {', '.join(sorted(families))}; every check id: tfdata audit --list-checks")
