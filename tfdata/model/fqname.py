"""obj_fq_name_table and obj_shared_table column names, and the shares perms2 implies.

Names may contain ':' so the uuid is always the text after the *last* ':' and the fq_name itself
must come from the object row, never from splitting the column.
"""

from __future__ import annotations


def fq_name_column(fq_name: list[str], uuid: str) -> str:
    return ":".join(fq_name) + ":" + uuid


def split_fq_name_column(column: str) -> tuple[str, str] | None:
    """(joined fq_name, uuid), or None when there is no ':' at all."""
    joined, sep, uuid = column.rpartition(":")
    if not sep or not uuid:
        return None
    return joined, uuid


def looks_url_quoted(joined: str) -> bool:
    """Legacy quote_plus'd names (Python 2 processes without UTF-8 default encoding)."""
    return "%" in joined or "+" in joined


def shared_column(share_type: str, share_id: str, uuid: str) -> str:
    return f"{share_type}:{share_id}:{uuid}"


def split_shared_column(column: str) -> tuple[str, str, str] | None:
    """(share_type, share_id, uuid) of ``<share_type>:<share_id>:<uuid>``."""
    share_type, sep, rest = column.partition(":")
    share_id, sep2, uuid = rest.rpartition(":")
    if not sep or not sep2 or not uuid:
        return None
    return share_type, share_id, uuid


def expected_shares(perms2: object) -> list[tuple[str, str, int]]:
    """(share type, share id, access) entries build_shared_index derives from perms2."""
    if not isinstance(perms2, dict):
        return []
    shares = []
    if perms2.get("global_access"):
        shares.append(("global", "", perms2["global_access"]))
    for share in perms2.get("share") or ():
        if not isinstance(share, dict) or not isinstance(share.get("tenant"), str):
            continue
        share_type, _, share_id = share["tenant"].rpartition(":")
        shares.append((share_type or "tenant", share_id, share.get("tenant_access")))
    return shares
