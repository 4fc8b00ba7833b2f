"""contrail-issu.conf is read as operators have it.

The bad-input cases (one line, exit 2, nothing written) live in the corpus: tests/corpus and
tests/integration/test_bad_input_corpus.py, which also checks the clusters were not touched.
"""

from __future__ import annotations


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
