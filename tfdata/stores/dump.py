"""db_json_exim dumps: read as a stream, written exactly in the layout upstream samples use.

Layout (tf-config-store.md §8.2): {"cassandra": {ks: {table: {row: {column: [value, ts]}}}},
"zookeeper": "<JSON text of [[path + '/', [data, stat]], ...]>"}; keyspaces are unprefixed,
only ZooKeeper leaves are recorded. ``.gz`` files (or gzip magic) are read transparently.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # public at runtime (C scanner), not in typeshed
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Literal, TextIO

from ..errors import InputError
from ..model.cells import Cell, TableRef, blob_to_text, empty_row, text_to_blob
from ..model.keyspaces import KNOWN_TABLES
from ..model.zk import STAT_FIELDS, ZNode, data_text, parse_dump_path, text_data
from ..outfile import OutputFile, check_input, raise_write_failure
from .base import SourceInfo, stream_into
from .snapshot.hashing import RangeHash, streamed_range_hashes
from .jsonstream import SURROGATE, JsonStream, PiecesReader, describe, json_text_problem

if TYPE_CHECKING:
    from .snapshot.store import SnapshotWriter

# What a walk of a dump yields: a table starting, one of its cells, or a znode.
_Table = tuple[Literal["table"], TableRef, None]
_Cell = tuple[Literal["cell"], TableRef, Cell]
_Znode = tuple[Literal["znode"], ZNode, None]
_Walked = _Table | _Cell | _Znode

_WS = r"[ \t\n\r]*"
_INT = r"-?(?:0|[1-9][0-9]*)"
_INTEGER = re.compile(_INT)
_STRING_BODY = r'([^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*)'
# The usual shapes, so that each takes one regex step: a cell is '[' + a string (read by read_string)
# + ', <integer or null>]'; a zookeeper item is ["<path>", ["<data>" or null, [11 integers] or null]].
# Anything else is read token by token.
_CELL_START = re.compile(rf'{_WS}\[{_WS}(?=")')
_CELL_END = re.compile(rf'{_WS},{_WS}({_INT}|null){_WS}\]')
_ZNODE = re.compile(rf'{_WS}\[{_WS}"{_STRING_BODY}"{_WS},{_WS}\[{_WS}(?:"{_STRING_BODY}"|null){_WS},{_WS}'
                    rf'(?:\[{_WS}({_INT}(?:{_WS},{_WS}{_INT}){{{len(STAT_FIELDS) - 1}}}){_WS}\]|(null)){_WS}\]{_WS}\]',
                    re.DOTALL)
_INT64_DIGITS = 19  # more digits than this never fit; checked before int() (which caps digits)


def _int64(text: str) -> int | None:
    """The integer a JSON integer token stands for, or None when it is outside int64."""
    if len(text) < _INT64_DIGITS:
        return int(text)
    if len(text.lstrip("-")) > _INT64_DIGITS:
        return None
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 63) else None


def _open_binary(path: Path) -> gzip.GzipFile | io.BufferedReader:
    try:
        with open(path, "rb") as probe:
            magic = probe.read(2)
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from exc
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _open_text(path: Path) -> TextIO:
    return io.TextIOWrapper(_open_binary(path), encoding="utf-8", errors="strict")


def _not_utf8(path: Path) -> InputError:
    """The decoder's own position is relative to its buffer; find the file offset of the bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    with _open_binary(path) as fp:
        while chunk := fp.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:  # exc.object = bytes pending from the last chunk + this one
                offset = done + len(chunk) - len(exc.object) + exc.start
                where = "uncompressed byte" if path.name.endswith(".gz") or _is_gzip(path) else "byte"
                return InputError(f"{path}: not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at {where} {offset}")
            done += len(chunk)
    return InputError(f"{path}: not UTF-8 text")


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fp:
        return fp.read(2) == b"\x1f\x8b"


class DumpSource:
    """Streams a dump; each call to cells()/znodes() is one sequential pass over the file."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = check_input(path)
        self.info = SourceInfo("dump", str(self.path))
        self._tables: list[TableRef] | None = None
        self._zk_at: tuple[int, tuple] | None = None  # (character offset, file identity) after a full walk

    # ------------------------------------------------------------------ the walk
    def _walk(self, want_cells: bool, want_zk: bool, tables: set[TableRef] | None = None
              ) -> Iterator[_Walked]:
        """Yields ("table", TableRef, None) when a table starts, ("cell", TableRef, Cell), ("znode", ZNode, None)."""
        try:
            yield from self._walk_file(want_cells, want_zk, tables)
        except InputError as exc:
            if isinstance(exc.__cause__, UnicodeDecodeError):
                raise _not_utf8(self.path) from None
            raise

    def _identity(self) -> tuple:
        st = self.path.stat()
        return st.st_size, st.st_mtime_ns, st.st_ino

    def _walk_file(self, want_cells: bool, want_zk: bool, tables: set[TableRef] | None) -> Iterator[_Walked]:
        identity = self._identity()
        with _open_text(self.path) as fp:
            js = JsonStream(fp, str(self.path))
            if js.peek() == "\ufeff" and js.offset == 0:
                raise InputError(f"{self.path}: starts with a UTF-8 byte order mark (BOM), which JSON text must not "
                                 "have; remove its first 3 bytes")
            saw_cassandra = saw_zk = False
            zk_at = 0
            for top in js.iter_object("the top-level object"):
                if top == "cassandra":
                    saw_cassandra = True
                    yield from self._walk_cassandra(js, want_cells, tables)
                elif top == "zookeeper":
                    saw_zk = True
                    zk_at = js.offset
                    if js.peek() != '"':
                        raise InputError(f"{self.path}: 'zookeeper' must be a JSON string holding a list, "
                                         f"found {_json_kind(js.peek())}")
                    pieces = js.iter_string("zookeeper")
                    if want_zk:
                        yield from self._walk_zookeeper(pieces)
                    for _ in pieces:  # the rest of the string (all of it when znodes are not wanted)
                        pass
                else:
                    raise InputError(f"{self.path}: unexpected top-level key {top!r} "
                                     "(a db_json_exim dump has 'cassandra' and 'zookeeper')")
            js.expect_end()
            if not saw_cassandra:
                raise InputError(f"{self.path}: the 'cassandra' part is missing")
            if not saw_zk:
                raise InputError(f"{self.path}: the 'zookeeper' part is missing")
            self._zk_at = (zk_at, identity)

    def _walk_znodes_only(self, offset: int) -> Iterator[ZNode]:
        """After one full walk has proved the file well-formed: jump to the 'zookeeper' string
        (decompressing and decoding only) instead of parsing every cell again to get there."""
        with _open_text(self.path) as fp:
            left = offset
            while left > 0:
                got = len(fp.read(min(left, 1 << 22)))
                if not got:
                    raise InputError(f"{self.path}: file changed while being read")
                left -= got
            js = JsonStream(fp, str(self.path), offset=offset)
            for _kind, node, _ in self._walk_zookeeper(js.iter_string("zookeeper")):
                yield node

    def _walk_cassandra(self, js: JsonStream, want_cells: bool, tables: set[TableRef] | None
                        ) -> Iterator[_Table | _Cell]:
        for keyspace in js.iter_object("cassandra"):
            if keyspace not in KNOWN_TABLES:
                # a cluster would take it, but no TF reader (nor tfdata) would ever see it again
                raise js.error(f"keyspace {keyspace!r} is not a TF keyspace (dumps hold {', '.join(KNOWN_TABLES)}, "
                               "without cluster prefix)", "cassandra")
            for table in js.iter_object(f"keyspace {keyspace}"):
                ref = TableRef(keyspace, table)
                ctx = f"table {ref}"
                if SURROGATE.search(table):
                    raise js.error("the table name holds a lone surrogate escape (not text)", ctx)
                if js.peek() != "{":
                    raise js.error("expected a table object", ctx)
                yield ("table", ref, None)
                # Tables not wanted are read all the same: every pass checks the whole file and
                # names the row and column of what it refuses.
                wanted = want_cells and (tables is None or ref in tables)
                # a row twice would be merged (or overwritten) by any reader: refused, at the cost
                # of a set of the table's row keys (500k uuids: about 50 MB) for the table's walk
                for key in js.iter_object(ctx):
                    row_ctx = f"{ctx} row {key!r}"
                    _check_blob_text(js, key, "the row key", row_ctx)
                    if js.peek() != "{":
                        raise js.error("expected a row object", row_ctx)
                    empty = True
                    for column in js.iter_object(row_ctx):
                        empty = False
                        cell = _read_cell(js, key, column, row_ctx, keep=wanted)
                        if wanted:
                            yield ("cell", ref, cell)
                    if empty and wanted:
                        yield ("cell", ref, empty_row(key))

    def _walk_zookeeper(self, pieces: Iterator[str]) -> Iterator[_Znode]:
        """Paths are checked by parse_dump_path; the first path's form (leading '/' or not) holds for
        all. Duplicates are refused, not merged: the paths seen are kept in a dict, which is fine
        because a TF cluster has tens of thousands of znodes, not millions."""
        js = JsonStream(PiecesReader(pieces), f"{self.path} (zookeeper string)")
        if js.peek() != "[":
            raise InputError(f"{self.path}: the 'zookeeper' string must hold a JSON list")
        seen: dict[str, int] = {}
        absolute: bool | None = None
        for index in js.iter_array("zookeeper list"):
            ctx = f"zookeeper item {index}"
            recorded, data, stat = _read_znode(js, ctx)
            if absolute is None:
                absolute = recorded.startswith("/")
            try:
                path = parse_dump_path(recorded, absolute)
            except ValueError as exc:
                raise js.error(f"path {recorded!r} {exc}", ctx) from None
            first = seen.setdefault(path, index)
            if first != index:
                raise js.error(f"duplicate path {recorded!r} (also item {first})", ctx)
            yield ("znode", ZNode(path, text_data(data), stat), None)
        js.expect_end()

    # ------------------------------------------------------------------ Source protocol
    def tables(self) -> list[TableRef]:
        if self._tables is None:
            found = []
            for item in self._walk(False, False):
                if item[0] == "table":
                    found.append(item[1])
                elif item[0] == "znode":
                    break
            self._tables = found
        return list(self._tables)

    def cells(self, tables: Iterable[TableRef] | None = None) -> Iterator[tuple[TableRef, Cell]]:
        wanted = set(tables) if tables is not None else None
        for item in self._walk(True, False, wanted):
            if item[0] == "cell":
                yield item[1], item[2]

    def znodes(self) -> Iterator[ZNode]:
        if self._zk_at is not None and self._zk_at[1] == self._identity():
            yield from self._walk_znodes_only(self._zk_at[0])
            return
        for item in self._walk(False, True):
            if item[0] == "znode":
                yield item[1]

    def range_hashes(self, tables: Iterable[TableRef] | None = None) -> dict[TableRef, dict[int, RangeHash]]:
        """Per-range hashes from one pass over the file (a snapshot stores them)."""
        return streamed_range_hashes(self.cells, list(tables) if tables is not None else self.tables())

    def snapshot_into(self, writer: SnapshotWriter, tables: list[TableRef], readers: int = 1,
                      on_cell: Callable[[], None] | None = None, meanwhile: Callable[[], None] | None = None) -> None:
        """Cells into a snapshot writer in one stream (``readers``: for live clusters only)."""
        stream_into(self, writer, tables, on_cell, meanwhile)

    def validate(self) -> dict[str, int]:
        """One full pass: proves the file is complete and well-formed before anything is written."""
        counts = {"tables": 0, "cells": 0, "znodes": 0}
        for kind, _, _ in self._walk(True, True):
            counts[kind + "s"] = counts.get(kind + "s", 0) + 1
        return counts

    def close(self) -> None:
        pass


def _json_kind(char: str) -> str:
    return {"[": "list", "{": "object", "t": "boolean", "f": "boolean", "n": "null"}.get(char, "number")


def _read_cell(js: JsonStream, key: str, column: str, row_context: str, keep: bool = True) -> Cell:
    """``[value, writetime]``: a string value is the stored text; any other JSON value is a literal,
    kept as its exact source text so that it is written back unchanged. Without ``keep`` a string
    value is checked piece by piece and dropped (passes that skip a table hold no value whole)."""
    context = f"{row_context} column {column!r}"
    shape = "[value, writetime]"
    if js.match(_CELL_START) is None:
        js.expect("[", context, shape)
        if js.peek() == "]":
            raise js.error(f"expected {shape} but found {describe(']')}", context)
    if js.peek() != '"':
        value, literal = js.read_raw(context), True
    elif keep:
        value, literal = js.read_string(context), False
    else:
        value, literal = "", False
        for piece in js.iter_string(context):
            if SURROGATE.search(piece):
                raise js.error("the value holds a lone surrogate escape (not text; Cassandra text is UTF-8)", context)
    end = js.match(_CELL_END)
    if end is not None:
        writetime = end.group(1)
    else:
        js.expect(",", context, shape)
        writetime = js.read_raw(context)
        js.expect("]", context, shape)
    if not literal and SURROGATE.search(value):
        raise js.error("the value holds a lone surrogate escape (not text; Cassandra text is UTF-8)", context)
    if SURROGATE.search(column):
        _check_blob_text(js, column, "the column name", context)
    if end is not None and len(writetime) < _INT64_DIGITS and writetime != "null":
        return Cell(key, column, value, int(writetime), literal)  # the usual case: _CELL_END checked it
    return Cell(key, column, value, _writetime(js, writetime, context), literal)


def _unescape(js: JsonStream, body: str, context: str) -> str:
    try:
        return scanstring(body + '"', 0, True)[0]
    except json.JSONDecodeError as exc:
        raise js.error(f"invalid JSON ({exc.msg})", context) from None


def _writetime(js: JsonStream, text: str, context: str) -> int | None:
    """Cassandra write times are 64-bit integers (µs); null stands for 'not known'."""
    if text == "null":
        return None
    if _INTEGER.fullmatch(text):
        value = _int64(text)
        if value is not None:
            return value
        raise js.error(f"writetime {text[:40]} is outside the 64-bit integer range", context)
    raise js.error(f"writetime must be an integer, found {text[:40]}", context)


def _check_blob_text(js: JsonStream, text: str, what: str, context: str) -> None:
    """Keys, column names and znode data are bytes carried as surrogateescape text: \\udc80-\\udcff
    stand for bytes that are not UTF-8 (what DumpWriter writes for them) and round-trip; any other
    surrogate stands for no byte at all, and escaped bytes that form UTF-8 would read back changed."""
    if not SURROGATE.search(text):
        return
    try:
        same = blob_to_text(text_to_blob(text)) == text
    except UnicodeEncodeError:
        raise js.error(f"{what} holds a lone surrogate escape that stands for no byte", context) from None
    if not same:
        raise js.error(f"{what} escapes bytes (\\udcXX) that form UTF-8 text, so it would not read back "
                       "the same", context)


def _read_znode(js: JsonStream, context: str) -> tuple[str, str, tuple[int, ...] | None]:
    """One zookeeper item, [path, [data, stat]]: data a string or null, stat null or 11 integers."""
    m = js.match(_ZNODE)
    if m is not None:
        path, data, stat_text = m.group(1), m.group(2) or "", m.group(3)
        path = _unescape(js, path, context) if "\\" in path else path
        data = _unescape(js, data, context) if "\\" in data else data
        fields: list[int] | None = None
        if stat_text is not None:
            fields = []
            for i, field_text in enumerate(stat_text.split(",")):
                value = _int64(field_text.strip(" \t\n\r"))
                if value is None:
                    raise js.error(f"stat {STAT_FIELDS[i]} is outside the 64-bit integer range", context)
                fields.append(value)
        _check_blob_text(js, data, "the data", context)
        return path, data, None if fields is None else tuple(fields)
    shape = "[path, [data, stat]]"
    js.expect("[", context, shape)
    if js.peek() != '"':
        js.expect('"', context, shape)
    path = js.read_string(context)
    js.expect(",", context, shape)
    js.expect("[", context, shape)
    if js.peek() == '"':
        data = js.read_string(context)
    elif js.read_raw(context) == "null":
        data = ""
    else:
        raise js.error(f"expected {shape}: the data is a string or null", context)
    js.expect(",", context, shape)
    stat: tuple[int, ...] | None = None
    if js.peek() == "[":
        fields = []
        for i in js.iter_array(context):
            text = js.read_raw(context)
            name = STAT_FIELDS[i] if i < len(STAT_FIELDS) else f"field {i + 1}"
            value = _int64(text) if _INTEGER.fullmatch(text) else None
            if value is None:
                raise js.error(f"stat {name} must be a 64-bit integer, found {text[:40]}", context)
            fields.append(value)
        if len(fields) != len(STAT_FIELDS):
            raise js.error(f"the stat has {len(fields)} fields, not {len(STAT_FIELDS)} "
                           f"({', '.join(STAT_FIELDS)})", context)
        stat = tuple(fields)
    elif js.read_raw(context) != "null":
        raise js.error(f"expected {shape}: the stat is a list or null", context)
    js.expect("]", context, shape)
    js.expect("]", context, shape)
    _check_blob_text(js, data, "the data", context)
    return path, data, stat


# ---------------------------------------------------------------------------------- writing

# A long value is escaped and written in pieces of this many characters: escaping is per code
# point, so the pieces join into json.dumps(value), without two more copies of it in memory.
_VALUE_PIECE = 1 << 20


class DumpWriter:
    """Writes a dump in the upstream sample's layout: 4-space indent, one cell per line.

    Written to a temporary file and published at close() (tfdata.outfile), so a failure never
    leaves half a dump and nothing at ``path`` (there before, or appeared meanwhile) is replaced
    without ``force``.
    """

    def __init__(self, path: str | os.PathLike, prefix: str | None = None, compress: bool | None = None,
                 force: bool = False) -> None:
        self.path = Path(path)
        self._out = OutputFile(self.path, force)
        self._tmp = self._out.tmp
        compress = self.path.name.endswith(".gz") if compress is None else compress
        raw = self._out.open()
        # filename="" and mtime=0: the same content gives the same bytes
        self._fp = io.TextIOWrapper(gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) if compress else raw,
                                    encoding="utf-8", newline="\n")
        self._raw = raw
        self._prefix = prefix
        self._keyspace: str | None = None
        self._table: str | None = None
        self._row: str | None = None
        self._first = {"ks": True, "table": True, "row": True, "cell": True}
        self._zk_started = False
        self._zk_first = True
        self._fp.write('{\n    "cassandra": {')

    def _open_keyspace(self, keyspace: str) -> None:
        self._close_table()
        if self._keyspace is not None:
            self._fp.write("\n        }")
        self._fp.write(("\n" if self._first["ks"] else ",\n") + f"        {json.dumps(keyspace)}: {{")
        self._first["ks"] = False
        self._first["table"] = True
        self._keyspace = keyspace

    def _close_row(self) -> None:
        if self._row is not None:
            self._fp.write("\n                }" if not self._first["cell"] else "}")
            self._row = None

    def _close_table(self) -> None:
        self._close_row()
        if self._table is not None:
            self._fp.write("\n            }" if not self._first["row"] else "}")
            self._table = None

    def begin_table(self, table: TableRef) -> None:
        if table.keyspace != self._keyspace:
            self._open_keyspace(table.keyspace)
        self._close_table()
        self._fp.write(("\n" if self._first["table"] else ",\n") + f"            {json.dumps(table.table)}: {{")
        self._first["table"] = False
        self._first["row"] = True
        self._table = table.table

    def write_cell(self, table: TableRef, cell: Cell) -> None:
        if table.keyspace != self._keyspace or table.table != self._table:
            self.begin_table(table)
        if cell.key != self._row:
            self._close_row()
            self._fp.write(("\n" if self._first["row"] else ",\n") + f"                {json.dumps(cell.key)}: {{")
            self._first["row"] = False
            self._first["cell"] = True
            self._row = cell.key
        if cell.column is None:
            return
        if cell.literal:
            problem = json_text_problem(cell.value)
            if problem:
                raise InputError(f"{table} row {cell.key!r} column {cell.column!r}: a literal value that is not "
                                 f"strict JSON ({problem}); {self.path} not written")
        if cell.writetime is not None and type(cell.writetime) is not int:
            raise InputError(f"{table} row {cell.key!r} column {cell.column!r}: writetime {cell.writetime!r} is "
                             f"not an integer; {self.path} not written")
        ts = "null" if cell.writetime is None else str(cell.writetime)
        head = ("\n" if self._first["cell"] else ",\n") + f"                    {json.dumps(cell.column)}: ["
        if cell.literal:
            self._fp.write(f"{head}{cell.value}, {ts}]")
        elif len(cell.value) <= _VALUE_PIECE:
            self._fp.write(f"{head}{json.dumps(cell.value)}, {ts}]")
        else:
            self._fp.write(head + '"')
            for start in range(0, len(cell.value), _VALUE_PIECE):
                self._fp.write(json.dumps(cell.value[start:start + _VALUE_PIECE])[1:-1])
            self._fp.write(f'", {ts}]')
        self._first["cell"] = False

    def _start_zookeeper(self) -> None:
        if self._zk_started:
            return
        self._close_table()
        if self._keyspace is not None:
            self._fp.write("\n        }")
        self._fp.write("\n    }," if not self._first["ks"] else "},")
        self._fp.write('\n    "zookeeper": "[')
        self._zk_started = True

    def write_znode(self, node: ZNode) -> None:
        """Streamed into the zookeeper string: JSON escaping is per character, so escaping each
        piece equals escaping the whole list text, without holding it in memory."""
        self._start_zookeeper()
        path = node.path + "/"
        if self._prefix:
            path = path.lstrip("/")
        stat = list(node.stat) if node.stat else None
        item = json.dumps([path, [data_text(node.data), stat]])
        self._fp.write(json.dumps(item if self._zk_first else ", " + item)[1:-1])
        self._zk_first = False

    def close(self) -> None:
        self._start_zookeeper()
        self._fp.write(']"\n}\n')
        self._fp.close()
        if not self._raw.closed:
            self._raw.close()
        self._out.publish()

    def abort(self) -> None:
        try:
            self._fp.close()
        except Exception:
            pass
        try:
            self._raw.close()
        except Exception:
            pass
        self._out.abort()


def write_dump(path: str | os.PathLike, cells: Iterable[tuple[TableRef, Cell]], znodes: Iterable[ZNode],
               tables: Iterable[TableRef] = (), prefix: str | None = None, force: bool = False) -> dict[str, int]:
    """Stream cells and znodes into a dump file; empty tables listed in ``tables`` are kept."""
    writer = DumpWriter(path, prefix, force=force)
    counts = {"cells": 0, "znodes": 0}
    try:
        pending = list(tables)
        done: set[TableRef] = set()
        for ref, cell in cells:
            if ref not in done:
                # emit empty tables that come before this one in the given order
                while pending and pending[0] != ref:
                    t = pending.pop(0)
                    if t not in done:
                        writer.begin_table(t)
                        done.add(t)
                if pending and pending[0] == ref:
                    pending.pop(0)
                writer.begin_table(ref)
                done.add(ref)
            writer.write_cell(ref, cell)
            counts["cells"] += cell.column is not None
        for t in pending:
            if t not in done:
                writer.begin_table(t)
        for node in znodes:
            writer.write_znode(node)
            counts["znodes"] += 1
        writer.close()
    except BaseException as exc:
        writer.abort()
        raise_write_failure(exc, writer.path)
        raise
    return counts
