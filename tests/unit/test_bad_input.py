"""Profiles, releases and configuration files: read as operators have them, refused when bad.

A bad one is refused before any service is reached, in one line, exit 2, with nothing written
(tests/unit/corpus.py runs the CLI with the network cut off). Bad inputs found only after
connecting are in tests/integration/test_bad_input_corpus.py, which checks the clusters were not
touched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

from .corpus import Case, run_case

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


def test_issu_conf_is_read_as_operators_have_it(tmp_path):
    from tfdata.config import load_issu_conf

    conf = tmp_path / "contrail-issu.conf"
    conf.write_text(ISSU_CONF)
    profiles = load_issu_conf(conf)
    assert profiles["old"].cassandra.hosts == ["10.0.0.1", "10.0.0.2"]
    assert profiles["old"].cassandra.port == 9042  # Thrift 9161 -> CQL
    assert profiles["old"].prefix == "east" and profiles["new"].prefix is None
    assert profiles["new"].rabbitmq.port == 5673 and profiles["old"].zookeeper.hosts == "10.0.0.1:2181"


def issu_conf(text: str, mode: int = 0o600) -> Callable[[Path], None]:
    def make(tmp: Path) -> None:
        path = tmp / "contrail-issu.conf"
        path.write_text(text)
        os.chmod(path, mode)
    return make


def toml(text: str) -> Callable[[Path], None]:
    def make(tmp: Path) -> None:
        (tmp / "bad.toml").write_text(text)
    return make


def issu_dir(tmp: Path) -> None:
    (tmp / "issu.d").mkdir()


CASES = [
    Case("profile-unknown", ["snapshot", "nosuchprofile", "-o", "out.tfsnap"],
         ("unknown profile 'nosuchprofile'", "known: new, old")),
    Case("release-garbage:schema-check", ["schema", "check", "{c}/base.json", "--from-release", "R5.0", "--to-release", "'; DROP"],
         ("unknown release ''; DROP'", "known: R5.0")),
    Case("release-unknown:schema-show", ["schema", "show", "R9.9"], ("R9.9",)),
    Case("issu-conf-missing-keys", ["--issu-conf", "contrail-issu.conf", "sync", "pre", "--checkpoint", "pre.ckpt"],
         ("contrail-issu.conf", "missing key(s) new_zookeeper_address_list", "[DEFAULTS]"),
         make=issu_conf(ISSU_CONF.replace("new_zookeeper_address_list = 10.0.1.1:2181\n", ""))),
    Case("issu-conf-no-defaults-section", ["--issu-conf", "contrail-issu.conf", "load", "{c}/base.json", "--to", "new"],
         ("contrail-issu.conf", "no [DEFAULTS] section"), make=issu_conf("[GLOBAL]\nold = 1\n")),
    Case("issu-conf-not-ini", ["--issu-conf", "contrail-issu.conf", "sync", "verify"],
         ("contrail-issu.conf", "not a valid INI file"), make=issu_conf("old_cassandra_address_list 10.0.0.1\n")),
    Case("issu-conf-is-a-directory", ["--issu-conf", "issu.d", "sync", "verify"],
         ("--issu-conf", "issu.d", "is a directory"), make=issu_dir),
    Case("issu-conf-password-readable-by-others", ["--issu-conf", "contrail-issu.conf", "load", "{c}/base.json",
                                                   "--to", "new"],
         ("contrail-issu.conf", "readable by group/others", "chmod 600"),
         make=issu_conf(ISSU_CONF + "old_cassandra_password = s3cret\n", 0o644)),
    Case("toml-invalid", ["--config", "bad.toml", "load", "{c}/base.json", "--to", "new"],
         ("bad.toml", "not valid TOML", "line 1"), make=toml("[profiles.new\n")),
    Case("toml-no-profiles", ["--config", "bad.toml", "snapshot", "new", "-o", "out.tfsnap"],
         ("bad.toml", "no [profiles.<name>] section"), make=toml("[other]\n")),
    Case("toml-password-env-unset", ["--config", "bad.toml", "load", "{c}/base.json", "--to", "new"],
         ("bad.toml", "profiles.new.cassandra.password_env", "TFDATA_TEST_UNSET_VAR", "not set"),
         make=toml('[profiles.new.cassandra]\npassword_env = "TFDATA_TEST_UNSET_VAR"\n')),
    Case("toml-port-not-a-number", ["--config", "bad.toml", "load", "{c}/base.json", "--to", "new"],
         ("bad.toml", "bad value in [profiles.new]", "nine"), make=toml('[profiles.new.cassandra]\nport = "nine"\n')),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_profile_release_or_config_is_refused_before_connecting(case, tmp_path):
    run_case(case, tmp_path)
