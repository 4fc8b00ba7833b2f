"""db_json_exim dumps: streaming reader, exact writer, clear errors on broken files."""

from __future__ import annotations

import gzip
import json

import pytest

from tfdata.errors import InputError
from tfdata.model.cells import Cell, TableRef
from tfdata.model.zk import ZNode
from tfdata.stores import jsonstream
from tfdata.stores.dump import DumpSource, write_dump

from ..helpers import UPSTREAM_SAMPLE

needs_sample = pytest.mark.skipif(not UPSTREAM_SAMPLE.exists(), reason="shared/upstream-samples not present")


def _write(tmp_path, text, name="d.json"):
    path = tmp_path / name
    path.write_text(text)
    return path


@needs_sample
def test_upstream_sample_round_trips_with_every_irregularity(tmp_path):
    src = DumpSource(UPSTREAM_SAMPLE)
    out = tmp_path / "rt.json"
    write_dump(out, src.cells(), src.znodes(), src.tables())
    original = json.loads(UPSTREAM_SAMPLE.read_text())
    again = json.loads(out.read_text())
    assert again == original  # same tables, rows (incl. the empty one), cells, value texts, timestamps
    rows = again["cassandra"]["config_db_uuid"]["obj_uuid_table"]
    gsc = rows["bb32edd2-ab05-11ea-a066-02486f9480e0"]
    assert gsc["prop:autonomous_system"] == [64512, 1592899701292475]  # bare number kept a number
    assert "UUID" in gsc  # unexpected column kept
    assert again["cassandra"]["config_db_uuid"]["obj_fq_name_table"]["route_aggregate"] == {}  # empty row kept
    bad = rows["f9886b57-7278-11ea-bf6e-02486f9480e0"]["prop:id_perms"][0]
    assert bad == original["cassandra"]["config_db_uuid"]["obj_uuid_table"][
        "f9886b57-7278-11ea-bf6e-02486f9480e0"]["prop:id_perms"][0]  # invalid JSON text kept verbatim
    # and what we write, we read and write again byte for byte
    out2 = tmp_path / "rt2.json"
    src2 = DumpSource(out)
    write_dump(out2, src2.cells(), src2.znodes(), src2.tables())
    assert out2.read_bytes() == out.read_bytes()


def test_reader_streams_across_tiny_buffers(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonstream, "_CHUNK", 7)  # every token straddles a buffer edge
    cells = [(TableRef("config_db_uuid", "obj_uuid_table"), Cell("k", "prop:x", '{"a": 123456789012345678901}',
                                                                  1592899701292475))]
    nodes = [ZNode("/id/virtual-networks/0000000001", "dom:proj:vn-é".encode(), tuple(range(11)))]
    path = tmp_path / "d.json.gz"
    write_dump(path, cells, nodes)
    assert gzip.open(path).read(1)  # really gzip
    src = DumpSource(path)
    got = list(src.cells())
    assert got == cells
    assert list(src.znodes()) == nodes



def test_zookeeper_string_is_decoded_in_pieces(tmp_path, monkeypatch):
    """Escapes, non-ASCII and surrogate pairs cut by every possible buffer edge decode as json does."""
    data = 'a\\"\u00e9\U0001f600\t"x\\\\y\u2028'
    zk = json.dumps([[f"/n{i}/", [data * i, None]] for i in range(6)], ensure_ascii=False)
    text = json.dumps({"zookeeper": zk, "cassandra": {}})  # a surrogate pair escaped at the outer level; zookeeper first
    assert "\\ud83d\\ude00" in text
    want = [ZNode(f"/n{i}", data.encode() * i, None) for i in range(6)]
    for chunk in range(1, 15):
        monkeypatch.setattr(jsonstream, "_CHUNK", chunk)
        assert list(DumpSource(_write(tmp_path, text)).znodes()) == want


def test_znodes_after_a_full_walk_jump_to_the_zookeeper_part(tmp_path, monkeypatch):
    nodes = [ZNode(f"/fq-name-to-uuid/virtual_network:d:p:vn{i}", f"uuid-{i}".encode(), None) for i in range(50)]
    cells = [(TableRef("useragent", "useragent_keyval_table"), Cell(f"k{i}", "c", "v" * i, i)) for i in range(200)]
    path = tmp_path / "d.json.gz"
    write_dump(path, cells, nodes)
    src = DumpSource(path)
    assert list(src.cells()) == cells
    monkeypatch.setattr(DumpSource, "_walk_cassandra", None)  # the second pass must not parse the cells again
    assert [(n.path, n.data) for n in src.znodes()] == [(n.path, n.data) for n in nodes]


@pytest.mark.parametrize("text, message", [
    ('{"cassandra": {"config_db_uuid": {"obj_uuid_table": {"k": {"type": ["\\"x\\"", 1', "truncated"),
    ('{"cassandra": {}}', "'zookeeper' part is missing"),
    ('{"cassandra": {}, "zookeeper": []}', "must be a JSON string"),
    ('{"zookeeper": "[]"}', "'cassandra' part is missing"),
    ('{"cassandra": {"useragent": {"useragent_keyval_table": {"k": {"c": ["v", 1], "c": ["w", 2]}}}}, "zookeeper": "[]"}', "duplicate key 'c'"),
    ('{"cassandra": {"useragent": {"useragent_keyval_table": {"k": {"c": "v"}}}}, "zookeeper": "[]"}', "expected [value, writetime]"),
    ('{"cassandra": {"useragent": {"useragent_keyval_table": {"k": {"c": ["v", "x"]}}}}, "zookeeper": "[]"}', "writetime must be an integer"),
    ('{"cassandra": {}, "zookeeper": "[[\\"/a/\\"]]"}', "zookeeper item 0"),
    ('{"cassandra": {}, "zookeeper": "{}"}', "must hold a JSON list"),
    ('{"cassandra": {}, "zookeeper": "[]", "extra": 1}', "unexpected top-level key"),
    ('not json', "expected '{'"),
    ('', "unexpected end of file"),
])
def test_broken_dumps_give_one_line_errors_naming_file_and_place(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        DumpSource(path).validate()
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_non_utf8_dump_is_refused_clearly(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"cassandra": {"useragent": {"useragent_keyval_table": {"k\xff": {}}}}, "zookeeper": "[]"}')
    offset = path.read_bytes().index(b"\xff")
    with pytest.raises(InputError, match=f"bad.json: not UTF-8 text: byte 0xff at byte {offset}$"):
        DumpSource(path).validate()


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        DumpSource(tmp_path / "nope.json")
