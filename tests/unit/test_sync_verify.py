"""verify's result is a diff's result with how the verdict was reached: one JSON contract."""

from __future__ import annotations

from tfdata.ops.diff import DiffResult
from tfdata.sync.verify import VerifyResult


def test_verify_json_is_diff_json_plus_its_own_fields():
    change = {"kind": "row", "change": "added", "keyspace": "useragent", "table": "t", "key": "k"}
    result = VerifyResult(changes=[change], first_pass=3, settled=2, repaired=[change])
    assert isinstance(result, DiffResult)
    shared = DiffResult(changes=[change]).as_dict()
    report = result.as_dict()
    assert {k: report[k] for k in shared} == shared
    assert list(report) == ["equal", "summary", "changes", "first_pass_differences", "settled_in_flight",
                            "repaired", "dry_run"]
    assert (report["first_pass_differences"], report["settled_in_flight"], report["dry_run"]) == (3, 2, False)
