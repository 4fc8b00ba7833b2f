"""db_json_exim dumps: streaming reader, exact writer, clear errors on broken files."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from tfdata.errors import InputError
from tfdata.model.cells import Cell, TableRef
from tfdata.model.zk import ZNode
from tfdata.stores import jsonstream
from tfdata.stores.dump import DumpSource, write_dump

from ..helpers import IRREGULAR, UPSTREAM_SAMPLE, strict_dump

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
    again, _ = strict_dump(out)
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


def test_irregular_fixture_round_trips_with_every_irregularity(tmp_path):
    src = DumpSource(IRREGULAR)
    out = tmp_path / "rt.json"
    write_dump(out, src.cells(), src.znodes(), src.tables())
    assert out.read_bytes() == IRREGULAR.read_bytes()
    document, zookeeper = strict_dump(out)
    rows = document["cassandra"]["config_db_uuid"]["obj_uuid_table"]
    gsc = rows["1f0c2d3e-0001-4a5b-8c6d-00000000a001"]
    assert gsc["prop:autonomous_system"] == [64512, 1600000000000000] and "UUID" in gsc
    assert document["cassandra"]["config_db_uuid"]["obj_fq_name_table"]["route_aggregate"] == {}
    assert document["cassandra"]["dm_keyspace"] == {"dm_pr_ae_id_table": {}}
    with pytest.raises(ValueError):
        json.loads(rows["1f0c2d3e-0002-4a5b-8c6d-00000000a002"]["prop:id_perms"][0])
    assert [path for path, _ in zookeeper] == ["/fq-name-to-uuid/virtual_network:default-domain:admin:net1/",
                                               "/id/virtual-networks/0000000005/"]


def test_reader_streams_across_tiny_buffers(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonstream, "_CHUNK", 7)  # every token straddles a buffer edge
    cells = [(TableRef("config_db_uuid", "obj_uuid_table"), Cell("k", "prop:x", '{"a": 123456789012345678901}',
                                                                  1592899701292475))]
    nodes = [ZNode("/id/virtual-networks/0000000001", "dom:proj:vn-é".encode(), tuple(range(11)))]
    path = tmp_path / "d.json.gz"
    write_dump(path, cells, nodes)
    assert gzip.open(path).read(1)  # really gzip
    strict_dump(path)
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
    strict_dump(path)
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


# ---------------------------------------------------------------------------------- literals

LITERALS = ["1E2", "1.10", "-0", "1e400", '{"a" : 1}', "[1,2]", "true", "null", "false", "-12.5e-3",
            '{"deep": [[[{"x": "\\u00e9\\n"}]]], "n": 123456789012345678901}', "[\n 1 ,\t2 ]"]
TS = 1592899701292475


def _literal_dump(tmp_path, literals=LITERALS):
    cells = ",\n".join(f'"c{i}": [{lit}, {TS}]' for i, lit in enumerate(literals))
    text = ('{"cassandra": {"config_db_uuid": {"obj_uuid_table": {"row": {' + cells + '}}}}, '
            '"zookeeper": "[[\\"/a/\\", [\\"x\\", null]]]"}')
    return _write(tmp_path, text, "literals.json")


def _cli(*args):
    from click.testing import CliRunner

    from tfdata.cli import cli

    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("via_snapshot", [False, True], ids=["dump-export", "dump-snapshot-export"])
def test_literals_keep_their_exact_text(tmp_path, via_snapshot):
    """A bare literal is written back as it was written, not as Python re-serialises it
    (1E2 is not 100.0, 1.10 is not 1.1, -0 is not 0, 1e400 is not Infinity)."""
    src = _literal_dump(tmp_path)
    got = [(c.column, c.value, c.literal) for _, c in DumpSource(src).cells()]
    assert got == [(f"c{i}", lit, True) for i, lit in enumerate(LITERALS)]
    if via_snapshot:
        _cli("snapshot", src, "-o", tmp_path / "s.tfsnap")
        src = tmp_path / "s.tfsnap"
    out = tmp_path / "out.json"
    _cli("export", src, "-o", out)
    text = out.read_text()
    for i, lit in enumerate(LITERALS):
        assert f'"c{i}": [{lit}, {TS}]' in text
    document, zookeeper = strict_dump(out)
    assert document["cassandra"]["config_db_uuid"]["obj_uuid_table"]["row"]["c3"] == [float("1e400"), TS]
    assert zookeeper == [["/a/", ["x", None]]]


@pytest.mark.parametrize("literal, message", [
    ("NaN", "NaN is not JSON"), ("Infinity", "Infinity is not JSON"), ("-Infinity", "-Infinity is not JSON"),
    ("[1, NaN]", "NaN is not JSON"), ('{"a": Infinity}', "Infinity is not JSON"), ("01", "invalid JSON value '01'"),
    ("1.", "invalid JSON value '1.'"), ('["\\ud800"]', "lone surrogate"), ("[1,]", "expected a value"),
])
def test_literals_that_are_not_strict_json_are_refused(tmp_path, literal, message):
    with pytest.raises(InputError, match=re.escape(message)) as err:
        DumpSource(_literal_dump(tmp_path, [literal])).validate()
    assert "row 'row' column 'c0'" in str(err.value)


@pytest.mark.parametrize("writetime, message", [
    ("true", "must be an integer, found true"), ("1.5", "must be an integer, found 1.5"),
    ("1e3", "must be an integer, found 1e3"), ('"1"', 'must be an integer, found "1"'),
    ("[1]", "must be an integer, found [1]"), ("NaN", "NaN is not JSON"),
    (str(2 ** 63), "outside the 64-bit integer range"), (str(-2 ** 63 - 1), "outside the 64-bit integer range"),
    (str(2 ** 64), "outside the 64-bit integer range"), ("1" * 5000, "outside the 64-bit integer range"),
])
def test_writetimes_must_be_64_bit_integers(tmp_path, writetime, message):
    text = ('{"cassandra": {"useragent": {"useragent_keyval_table": {"k": {"c": ["v", ' + writetime + ']}}}}, '
            '"zookeeper": "[]"}')
    with pytest.raises(InputError, match=re.escape(message)) as err:
        DumpSource(_write(tmp_path, text)).validate()
    assert "useragent.useragent_keyval_table row 'k' column 'c'" in str(err.value)


def test_writetime_bounds_are_kept(tmp_path):
    text = ('{"cassandra": {"useragent": {"useragent_keyval_table": {"k": {"a": ["v", ' + str(2 ** 63 - 1)
            + '], "b": ["v", ' + str(-2 ** 63) + '], "c": ["v", null]}}}}, "zookeeper": "[]"}')
    got = [c.writetime for _, c in DumpSource(_write(tmp_path, text)).cells()]
    assert got == [2 ** 63 - 1, -2 ** 63, None]


def test_writer_refuses_literal_text_that_is_not_strict_json(tmp_path):
    """A literal can come from an older snapshot (written when the reader re-serialised inf as
    Infinity): the writer checks instead of writing invalid JSON."""
    ref = TableRef("useragent", "useragent_keyval_table")
    with pytest.raises(InputError, match="not strict JSON .*Infinity"):
        write_dump(tmp_path / "o.json", [(ref, Cell("k", "c", "Infinity", 1, literal=True))], [])
    with pytest.raises(InputError, match="writetime True is not an integer"):
        write_dump(tmp_path / "o.json", [(ref, Cell("k", "c", "v", True))], [])
    assert list(tmp_path.iterdir()) == []


def test_long_escape_heavy_values_are_read_in_linear_time(tmp_path, monkeypatch):
    """A value many buffers long is consumed piece by piece: the reader's work per buffer stays
    constant (it once re-scanned the value from its start each time it read more)."""
    monkeypatch.setattr(jsonstream, "_CHUNK", 1 << 12)
    value = 'a \\"quoted\\" r\u00e9seau \\\\ \U0001f600 ' * 20000
    ref = TableRef("useragent", "useragent_keyval_table")
    write_dump(tmp_path / "big.json", [(ref, Cell("k", "c", value, 1))], [])
    calls = []
    real = jsonstream.scanstring
    monkeypatch.setattr(jsonstream, "scanstring", lambda s, end, strict: calls.append(len(s) - end) or real(s, end, strict))
    assert [c.value for _, c in DumpSource(tmp_path / "big.json").cells()] == [value]
    assert sum(calls) < 4 * len(json.dumps(value))  # each character scanned a bounded number of times


def test_keys_escaping_raw_bytes_round_trip_through_export_and_snapshot(tmp_path):
    """\\udc80-\\udcff in a key, column or znode data stand for bytes that are not UTF-8 (what
    DumpWriter writes for them): they come back the same through export and snapshot."""
    text = ('{"cassandra": {"useragent": {"useragent_keyval_table": {"k\\udcff\\udc80": {"c\\udce9": ["v", 1]}}}}, '
            '"zookeeper": "[[\\"/a/\\", [\\"d\\\\udcff\\", null]]]"}')
    src = _write(tmp_path, text)
    _cli("snapshot", src, "-o", tmp_path / "s.tfsnap")
    for made_from in (src, tmp_path / "s.tfsnap"):
        out = tmp_path / f"out-{made_from.suffix[1:]}.json"
        _cli("export", made_from, "-o", out)
        document, zookeeper = strict_dump(out)
        assert document["cassandra"]["useragent"]["useragent_keyval_table"] == {"k\udcff\udc80": {"c\udce9": ["v", 1]}}
        assert zookeeper == [["/a/", ["d\udcff", None]]]
    [(_, cell)] = DumpSource(src).cells()
    assert cell.key.encode("utf-8", "surrogateescape") == b"k\xff\x80"


def _zk_dump(tmp_path, items):
    return _write(tmp_path, json.dumps({"cassandra": {}, "zookeeper": json.dumps(items)}))


STAT = list(range(11))


@pytest.mark.parametrize("items, index, message", [
    ([["/a/", ["x", STAT]], ["/b/", ["y", None]], ["/a/", ["z", None]]], 2, "duplicate path '/a/' (also item 0)"),
    ([["east/a/", ["x", None]], ["east/a/", ["x", None]]], 1, "duplicate path 'east/a/' (also item 0)"),
    ([["/a/", ["x", None]], ["a/b/", ["y", None]]], 1, "path 'a/b/' has no leading '/'"),
    ([["east/a/", ["x", None]], ["/east/b/", ["y", None]]], 1, "path '/east/b/' has a leading '/'"),
    ([["/a/b", ["x", None]]], 0, "path '/a/b' does not end with '/'"),
    ([["//", ["x", None]]], 0, "path '//' has an empty name"),
    ([["/a//b/", ["x", None]]], 0, "path '/a//b/' has an empty name"),
    ([["/", ["x", None]]], 0, "path '/' has an empty name"),
    ([["", ["x", None]]], 0, "path '' is empty"),
    ([["/a/../b/", ["x", None]]], 0, "relative name"),
    ([["/a\ud800/", ["x", None]]], 0, "path '/a\\ud800/' holds a lone surrogate escape"),
    ([["/a/", ["x\ud800", None]]], 0, "the data holds a lone surrogate escape"),
    ([["/a/", ["x", STAT[:10]]]], 0, "the stat has 10 fields, not 11"),
    ([["/a/", ["x", STAT + [11]]]], 0, "the stat has 12 fields, not 11"),
    ([["/a/", ["x", STAT[:10] + [2 ** 64]]]], 0, "stat pzxid is outside the 64-bit integer range"),
    ([["/a/", ["x", STAT[:10] + [True]]]], 0, "stat pzxid must be a 64-bit integer, found true"),
    ([["/a/", ["x", STAT[:10] + [1.5]]]], 0, "stat pzxid must be a 64-bit integer, found 1.5"),
    ([["/a/", ["x", STAT[:10] + [float("nan")]]]], 0, "NaN is not JSON"),
    ([["/a/", [1, None]]], 0, "the data is a string or null"),
])
def test_malformed_and_duplicate_znodes_are_refused(tmp_path, items, index, message):
    with pytest.raises(InputError, match=re.escape(message)) as err:
        list(DumpSource(_zk_dump(tmp_path, items)).znodes())
    assert "(zookeeper string)" in str(err.value) and str(err.value).endswith(f" in zookeeper item {index}")


def test_znode_paths_of_both_forms_are_read_without_normalising(tmp_path):
    plain = [["/fq-name-to-uuid/a:b/", ["u1", STAT]], ["/id/x/", [None, None]]]
    prefixed = [["east/fq-name-to-uuid/a:b/", ["u1", STAT]], ["id/pnf/x/", ["", None]]]
    assert [(n.path, n.data, n.stat) for n in DumpSource(_zk_dump(tmp_path, plain)).znodes()] == [
        ("/fq-name-to-uuid/a:b", b"u1", tuple(STAT)), ("/id/x", b"", None)]
    assert [n.path for n in DumpSource(_zk_dump(tmp_path, prefixed)).znodes()] == [
        "/east/fq-name-to-uuid/a:b", "/id/pnf/x"]


def test_long_values_are_written_in_pieces_exactly_as_json_dumps_writes_them(tmp_path, monkeypatch):
    from tfdata.stores import dump

    monkeypatch.setattr(dump, "_VALUE_PIECE", 5)
    ref = TableRef("useragent", "useragent_keyval_table")
    value = 'é"\\\n\U0001f600\x00\udcff東京' * 7  # escapes, non-BMP, a byte escape, cut at every place
    write_dump(tmp_path / "d.json", [(ref, Cell("k", "c", value, 1))], [])
    assert f'"c": [{json.dumps(value)}, 1]' in (tmp_path / "d.json").read_text()
