"""Name filters that can match nothing are usage errors, through the real CLI.

Before, `diff A B --keyspace to_bgp` (a typo of to_bgp_keyspace) and `--type no_such_type`
answered "equal", exit 0, about two sides that differ. Now every command with such a filter
(diff --keyspace/--type/--ignore, sync verify --ignore, audit --check; no command has a table
filter) goes through one validator: one stderr line naming the filter and listing the known
names, exit 2, nothing written. The valid spellings still reach the data (exit 1, different).
"""

from __future__ import annotations

import json

import pytest

from tfdata.filters import KNOWN_KEYSPACES

from .corpus import CORPUS, Case, run_case, tfdata

PROJECT = "e3a41d92-c960-552b-ad91-68fbbeab820b"
GADGET = "0000aaaa-0000-0000-0000-000000000001"


def differing_pair(tmp):
    """a.json = the corpus base dump; b.json differs in an object, in useragent and in
    ZooKeeper, and adds an object of a type no release knows (vendor_gadget)."""
    base = json.loads((CORPUS / "base.json").read_text())
    (tmp / "a.json").write_text(json.dumps(base))
    uuid_table = base["cassandra"]["config_db_uuid"]["obj_uuid_table"]
    uuid_table[PROJECT]["prop:display_name"] = ['"renamed"', 1800000000000000]
    uuid_table[GADGET] = {"type": ['"vendor_gadget"', 1800000000000000], "fq_name": ['["g"]', 1800000000000000]}
    base["cassandra"]["useragent"]["useragent_keyval_table"]["some-key"]["value"] = ["changed", 1800000000000000]
    base["zookeeper"] = json.dumps(json.loads(base["zookeeper"])[1:])
    (tmp / "b.json").write_text(json.dumps(base))


SOME_TYPES = ("virtual_network", "network_ipam", "project", "vendor_gadget")

CASES = [
    Case("diff-keyspace-typo", ["diff", "a.json", "b.json", "--keyspace", "to_bgp"],
         ("unknown keyspace 'to_bgp'", "did you mean 'to_bgp_keyspace'", *KNOWN_KEYSPACES), make=differing_pair),
    Case("diff-keyspace-one-of-two-unknown", ["diff", "a.json", "b.json", "--keyspace", "useragent",
                                              "--keyspace", "configdb", "--format", "json"],
         ("unknown keyspace 'configdb'", *KNOWN_KEYSPACES), make=differing_pair),
    Case("diff-keyspace-with-cluster-prefix", ["diff", "a.json", "b.json", "--keyspace", "east_useragent"],
         ("unknown keyspace 'east_useragent'", *KNOWN_KEYSPACES), make=differing_pair),
    Case("diff-unknown-type", ["diff", "a.json", "b.json", "--type", "no_such_type"],
         ("unknown object type 'no_such_type'", *SOME_TYPES), make=differing_pair),
    Case("diff-type-typo-dash-form", ["diff", "a.json", "b.json", "--type", "virtual-netwrk"],
         ("unknown object type 'virtual-netwrk'", "did you mean 'virtual_network'", *SOME_TYPES),
         make=differing_pair),
    Case("diff-empty-ignore", ["diff", "a.json", "b.json", "--ignore", ""], ("empty --ignore pattern",),
         make=differing_pair),
    Case("diff-ignore-empty-segment", ["diff", "a.json", "b.json", "--ignore", "props..display_name"],
         ("'props..display_name'", "empty segment"), make=differing_pair),
    Case("diff-ignore-bare-meta", ["diff", "a.json", "b.json", "--ignore", "META:"], ("'META:'",),
         make=differing_pair),
    Case("sync-verify-empty-ignore", ["sync", "verify", "--ignore", " "], ("empty --ignore pattern",)),
    Case("audit-unknown-check-family", ["audit", "a.json", "--check", "lnk"],
         ("unknown check 'lnk'", "did you mean 'link'", "families", "link", "zk", "--list-checks"),
         make=differing_pair),
    Case("audit-unknown-check-id", ["audit", "a.json", "--check", "link.no_such_check"],
         ("unknown check 'link.no_such_check'", "families", "link", "--list-checks"), make=differing_pair),
    Case("audit-unknown-family-wildcard", ["audit", "a.json", "--check", "nofamily.*"],
         ("unknown check 'nofamily.*'", "families", "--list-checks"), make=differing_pair),
    Case("check-unknown:audit", ["audit", "{c}/base.json", "--check", "bogus"], ("--check", "unknown check 'bogus'")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_filter_that_matches_nothing_is_a_usage_error(case, tmp_path):
    run_case(case, tmp_path)


@pytest.mark.parametrize("args", [
    ["--keyspace", "to_bgp_keyspace", "--keyspace", "useragent"],
    ["--keyspace", "zookeeper"],
    ["--type", "project"],
    ["--type", "vendor-gadget"],  # no release knows it, but B has one
    ["--ignore", "id_perms.last_modified", "--ignore", "META:latest_col_ts"],
], ids=["keyspaces", "zookeeper", "type", "type-only-in-the-data", "ignore"])
def test_valid_filters_still_see_the_difference(args, tmp_path):
    differing_pair(tmp_path)
    result = tfdata(["diff", "a.json", "b.json", *args, "--format", "json"], tmp_path)
    assert result.returncode == 1, result.stderr
    body = json.loads(result.stdout)
    assert body["equal"] is False and body["changes"]


def test_library_audit_rejects_an_unknown_check_too(tmp_path):
    from tfdata.audit import audit
    from tfdata.errors import InputError
    from tfdata.stores.dump import DumpSource

    with pytest.raises(InputError, match="unknown check 'lnk'"):
        audit(DumpSource(CORPUS / "base.json"), checks=["lnk"])
