"""Bad input that needs no server: one clear line naming the thing at fault, exit 2, nothing written."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from click.testing import CliRunner

from tfdata.cli import cli
from tfdata.ops.snapshot import take_snapshot
from tfdata.stores.dump import DumpSource

ISSU_CONF = """[DEFAULTS]
old_cassandra_address_list = 10.0.0.1:9161 10.0.0.2:9161
old_zookeeper_address_list = 10.0.0.1:2181
old_rabbit_address_list = 10.0.0.1
old_rabbit_port = 5673
new_cassandra_address_list = 10.0.1.1:9161
new_zookeeper_address_list = 10.0.1.1:2181
new_rabbit_address_list = 10.0.1.1
new_rabbit_port = 5673
odb_prefix = east
"""


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env)


def one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    message = result.output.strip().splitlines()
    assert len(message) == 1 and message[0].startswith("tfdata: error: "), result.output
    for needle in needles:
        assert needle in message[0], message[0]


@pytest.fixture
def small_dump(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"cassandra": {"config_db_uuid": {"obj_uuid_table": {
        "u1": {"type": ['"project"', 1], "fq_name": ['["d", "p"]', 1]}}}}, "zookeeper": "[]"}))
    return path


def test_issu_conf_is_read_as_operators_have_it(tmp_path):
    from tfdata.config import load_issu_conf

    conf = tmp_path / "contrail-issu.conf"
    conf.write_text(ISSU_CONF)
    profiles = load_issu_conf(conf)
    assert profiles["old"].cassandra.hosts == ["10.0.0.1", "10.0.0.2"]
    assert profiles["old"].cassandra.port == 9042  # Thrift 9161 -> CQL
    assert profiles["old"].prefix == "east" and profiles["new"].prefix is None
    assert profiles["new"].rabbitmq.port == 5673 and profiles["old"].zookeeper.hosts == "10.0.0.1:2181"


def test_issu_conf_with_missing_keys(tmp_path, small_dump):
    conf = tmp_path / "contrail-issu.conf"
    conf.write_text(ISSU_CONF.replace("new_zookeeper_address_list = 10.0.1.1:2181\n", ""))
    one_line_error(invoke("--issu-conf", str(conf), "export", "old", "-o", str(tmp_path / "x.json")),
                   "contrail-issu.conf", "new_zookeeper_address_list")
    assert not (tmp_path / "x.json").exists()


def test_password_file_readable_by_others_is_refused(tmp_path):
    conf = tmp_path / "contrail-issu.conf"
    conf.write_text(ISSU_CONF + "old_cassandra_password = s3cret\n")
    os.chmod(conf, 0o644)
    result = invoke("--issu-conf", str(conf), "export", "old", "-o", str(tmp_path / "x.json"))
    one_line_error(result, "readable by group/others", "chmod 600")
    assert "s3cret" not in result.output


def test_toml_errors(tmp_path):
    bad = tmp_path / "tfdata.toml"
    bad.write_text("[profiles.x\n")
    one_line_error(invoke("--config", str(bad), "export", "x", "-o", str(tmp_path / "o.json")), "not valid TOML")
    bad.write_text("[other]\n")
    one_line_error(invoke("--config", str(bad), "export", "x", "-o", str(tmp_path / "o.json")), "no [profiles")
    bad.write_text('[profiles.x.cassandra]\npassword_env = "TFDATA_TEST_UNSET_VAR"\n')
    one_line_error(invoke("--config", str(bad), "export", "x", "-o", str(tmp_path / "o.json")),
                   "TFDATA_TEST_UNSET_VAR", "not set")
    bad.write_text('[profiles.x.cassandra]\nport = "nine"\n')
    one_line_error(invoke("--config", str(bad), "export", "x", "-o", str(tmp_path / "o.json")), "bad value")


def test_unknown_profile_and_release(tmp_path):
    one_line_error(invoke("export", "nosuchprofile", "-o", str(tmp_path / "o.json")), "unknown profile 'nosuchprofile'")
    one_line_error(invoke("schema", "show", "R9.9"), "R9.9")


def test_snapshot_that_is_not_sqlite(tmp_path):
    fake = tmp_path / "fake.tfsnap"
    fake.write_text("hello")
    one_line_error(invoke("export", str(fake), "-o", str(tmp_path / "o.json")), "fake.tfsnap", "not an SQLite file")
    assert not (tmp_path / "o.json").exists()
    one_line_error(invoke("diff", str(fake), str(fake)), "fake.tfsnap")


def test_snapshot_with_edited_manifest(tmp_path, small_dump):
    snap = tmp_path / "s.tfsnap"
    take_snapshot(DumpSource(small_dump), snap)
    conn = sqlite3.connect(snap)
    conn.execute("UPDATE manifest SET value = '\"somewhere-else\"' WHERE key = 'prefix'")
    conn.commit()
    conn.close()
    one_line_error(invoke("export", str(snap), "-o", str(tmp_path / "o.json")), "s.tfsnap", "manifest hash")
    verify = invoke("snapshots", "verify", str(snap))
    assert verify.exit_code == 1 and "manifest hash" in verify.output


def test_sqlite_file_that_is_not_a_snapshot(tmp_path):
    other = tmp_path / "other.tfsnap"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    one_line_error(invoke("diff", str(other), str(other)), "not a tfdata snapshot")


def test_existing_outputs_are_not_clobbered(tmp_path, small_dump):
    out = tmp_path / "exists.json"
    out.write_text("keep me")
    one_line_error(invoke("export", str(small_dump), "-o", str(out)), "exists", "--force")
    assert out.read_text() == "keep me"
    snap = tmp_path / "exists.tfsnap"
    snap.write_text("keep me too")
    one_line_error(invoke("snapshot", str(small_dump), "-o", str(snap)), "exists", "--force")
    assert snap.read_text() == "keep me too"


def test_truncated_dump_leaves_no_snapshot_or_export(tmp_path, small_dump):
    cut = tmp_path / "cut.json"
    cut.write_text(small_dump.read_text()[:70])
    one_line_error(invoke("snapshot", str(cut), "-o", str(tmp_path / "s.tfsnap")), "cut.json", "truncated")
    one_line_error(invoke("export", str(cut), "-o", str(tmp_path / "e.json")), "cut.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.json", "d.json"]  # no partial or temp file left


def test_missing_input_file(tmp_path):
    one_line_error(invoke("diff", str(tmp_path / "nope.json"), str(tmp_path / "nope2.json")), "nope.json")
