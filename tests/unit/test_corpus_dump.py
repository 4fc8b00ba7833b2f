"""Bad dumps and configuration files, fed to every command that reads them (no cluster needed).

Each input is refused with one stderr line naming the file and the place (table/row/column or
zookeeper item), exit 2, no traceback and no file written (tests/unit/corpus.py checks all of it).
`load` needs a cluster: tests/integration/test_bad_input_corpus.py covers it.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from .corpus import CORPUS, Case, run_case, tfdata

CELL = "useragent.useragent_keyval_table row 'some-key' column 'value'"
DEPTH = 100_000

# command -> its arguments, {f} = the input; every one of them reads the whole dump before writing
COMMANDS = {
    "export": ["export", "{f}", "-o", "out.json"],
    "snapshot": ["snapshot", "{f}", "-o", "out.tfsnap"],
    "diff": ["diff", "{f}", "{c}/base.json"],
    "audit": ["audit", "{f}"],
    "schema-check": ["schema", "check", "{f}"],
}


def _base_with(old: str, new: str):
    def make(tmp: Path) -> None:
        text = (CORPUS / "base.json").read_text()
        assert old in text
        (tmp / "made.json").write_text(text.replace(old, new))
    return make


def _written(name: str, data: bytes):
    def make(tmp: Path) -> None:
        (tmp / name).write_bytes(data)
    return make


VALUE = '"value": ["plain text", 1700000000000026]'
ZOOKEEPER = '"zookeeper": "['

# (id, input: a corpus file name or a maker of made.json, needles of the one stderr line)
DUMPS = [
    # 1. literals and write times: strict JSON, integers in int64
    ("dump-literal-nan.json", ("NaN is not JSON", CELL)),
    ("dump-literal-infinity-inside.json", ("-Infinity is not JSON", CELL)),
    ("dump-literal-lone-surrogate.json", ("lone surrogate escape", CELL)),
    ("dump-writetime-true.json", ("writetime must be an integer, found true", CELL)),
    ("dump-writetime-float.json", ("writetime must be an integer, found 1.7e15", CELL)),
    ("dump-writetime-not-an-integer.json", ('writetime must be an integer, found "yesterday"', CELL)),
    ("dump-writetime-2-64.json", ("writetime 18446744073709551616 is outside the 64-bit integer range", CELL)),
    # a row twice in a table would be merged by any reader (the last cells win)
    ("dump-duplicate-row.json", ("duplicate key 'some-key'", "table useragent.useragent_keyval_table")),
    ("dump-duplicate-column.json", ("duplicate key 'prop:display_name'",)),
    # 2. znode paths: duplicates and malformed paths are refused, not merged or normalised
    ("dump-zookeeper-duplicate-path.json", ("duplicate path '/fq-name-to-uuid/domain:default-domain/'",
                                            "(also item 0)", "zookeeper item 3")),
    ("dump-zookeeper-path-no-leading-slash.json", ("path 'fq-name-to-uuid/global_system_config:", "no leading '/'",
                                                   "zookeeper item 1")),
    ("dump-zookeeper-path-empty-name.json", ("path '/fq-name-to-uuid//global_system_config:", "an empty name",
                                             "zookeeper item 1")),
    ("dump-zookeeper-path-empty.json", ("path '' is empty", "zookeeper item 1")),
    ("dump-zookeeper-path-no-trailing-slash.json", ("does not end with '/'", "zookeeper item 1")),
    # 3. no traceback: lone surrogates, deep nesting, stats of the wrong length, a BOM
    ("dump-value-lone-surrogate.json", ("the value holds a lone surrogate escape", CELL)),
    ("dump-column-lone-surrogate.json", ("the column name holds a lone surrogate escape", "column 'val\\udbff'")),
    ("dump-row-key-lone-surrogate.json", ("the row key holds a lone surrogate escape", "row 'some-\\ud800key'")),
    ("dump-row-key-not-canonical.json", ("escapes bytes (\\udcXX) that form UTF-8 text", "row 'some-\\udcc3\\udca9-key'")),
    ("dump-zookeeper-path-lone-surrogate.json", ("holds a lone surrogate escape", "zookeeper item 1")),
    ("dump-zookeeper-stat-short.json", ("the stat has 10 fields, not 11", "zookeeper item 1")),
    ("dump-zookeeper-stat-long.json", ("the stat has 12 fields, not 11", "zookeeper item 1")),
    ("dump-bom.json", ("starts with a UTF-8 byte order mark (BOM)",)),
    ("deep-literal-nan", ("NaN is not JSON", CELL),
     _base_with(VALUE, '"value": [' + "[" * DEPTH + "NaN" + "]" * DEPTH + ", 1700000000000026]")),
    ("deep-cell-unclosed", ("expected a value but found '}'", CELL),
     _base_with(VALUE, '"value": ' + "[" * DEPTH)),
    ("deep-zookeeper-item", ("expected [path, [data, stat]] but found '['", "zookeeper item 0"),
     _base_with(ZOOKEEPER, ZOOKEEPER + "[" * DEPTH)),
    ("deep-table", ("expected a row object", "row 'x'"),
     _base_with('"obj_shared_table": {}', '"obj_shared_table": {"x": ' + "[" * DEPTH + "]" * DEPTH + "}")),
    ("bom-in-gzip", ("starts with a UTF-8 byte order mark (BOM)",),
     _written("made.json", gzip.compress(b"\xef\xbb\xbf" + (CORPUS / "base.json").read_bytes()))),
    # 4. the dump's frame: cut short, a part missing, a part twice or one it cannot have
    ("dump-cut-in-the-middle.json", ("truncated dump?", "at character 2330", "config_db_uuid.obj_uuid_table")),
    ("dump-zookeeper-missing.json", ("'zookeeper' part is missing",)),
    ("dump-duplicate-keyspace.json", ("duplicate key 'config_db_uuid'", "in cassandra")),
    ("dump-unknown-top-level-key.json", ("unexpected top-level key 'kafka'",)),
]

CONFIGS = [
    ("config-binary", ["--config", "bin.toml"], ("bin.toml", "not UTF-8 text (byte 0xff at byte 4)", "binary"),
     _written("bin.toml", b"\x7fELF\xff\x00\x01\x02")),
    ("config-bom", ["--config", "bom.toml"], ("bom.toml", "BOM"), _written("bom.toml", b"\xef\xbb\xbf[profiles.old]\n")),
    ("issu-conf-binary", ["--issu-conf", "bin.conf"], ("bin.conf", "not UTF-8 text (byte 0xff at byte 4)"),
     _written("bin.conf", b"\x7fELF\xff\x00\x01\x02")),
    ("issu-conf-bom", ["--issu-conf", "bom.conf"], ("bom.conf", "BOM"),
     _written("bom.conf", b"\xef\xbb\xbf[DEFAULTS]\nold_cassandra_address_list = 127.0.0.1\n")),
]


def _dump_cases() -> list[Case]:
    cases = []
    for entry in DUMPS:
        name, needles, make = (*entry, None) if len(entry) == 2 else entry
        path = f"{{c}}/{name}" if make is None else "made.json"  # gzip or not, by its magic
        shown = name if make is None else path
        for command, args in COMMANDS.items():
            args = [a.replace("{f}", path) for a in args]
            cases.append(Case(f"{name}:{command}", args, (shown, *needles), make=make))
    return cases


def _config_cases() -> list[Case]:
    """The profile 'old' is looked up in the file before anything connects."""
    cases = []
    for name, option, needles, make in CONFIGS:
        for command, args in COMMANDS.items():
            args = option + [a.replace("{f}", "old") for a in args]
            cases.append(Case(f"{name}:{command}", args, needles, make=make))
    return cases


@pytest.mark.parametrize("case", _dump_cases() + _config_cases(), ids=lambda c: c.id)
def test_bad_input_is_refused_in_one_line(case, tmp_path):
    line = run_case(case, tmp_path)
    assert "\\ufeff" not in line and "'\ufeff'" not in line


@pytest.mark.parametrize("command", ["export", "snapshot", "audit"])
def test_deeply_nested_values_that_are_valid_are_kept_not_crashed_on(command, tmp_path):
    """A literal nested 100k deep is valid JSON: it is kept as text and written back; a string value
    holding JSON that deep is a bad_json finding, not a RecursionError."""
    text = (CORPUS / "base.json").read_text()
    deep = "[" * DEPTH + "]" * DEPTH
    text = text.replace(VALUE, f'"value": [{deep}, 1700000000000026]')
    text = text.replace('"prop:display_name": ["\\"default-domain\\"", 1700000000000011]',
                        f'"prop:display_name": ["{deep}", 1700000000000011]')
    (tmp_path / "deep.json").write_text(text)
    args = [a.replace("{f}", "deep.json") for a in COMMANDS[command]]
    result = tfdata(args, tmp_path)
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr and result.returncode in (0, 1), stderr
    if command == "audit":
        assert "object.bad_json" in result.stdout.decode()
    if command == "export":
        assert f'"value": [{deep}, 1700000000000026]' in (tmp_path / "out.json").read_text()
