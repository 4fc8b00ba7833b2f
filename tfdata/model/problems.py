"""Malformed input is represented, not dropped: readers attach a Problem and carry on."""

from __future__ import annotations

from dataclasses import dataclass, asdict


@dataclass(slots=True, frozen=True)
class Problem:
    # bad_json | unknown_column | missing_type | missing_fq_name | bad_fq_name | duplicate_parent | bad_ref_value
    # | not_utf8 | ...
    kind: str
    key: str
    column: str | None
    detail: str
    table: str = "config_db_uuid.obj_uuid_table"

    def as_dict(self) -> dict:
        return asdict(self)
