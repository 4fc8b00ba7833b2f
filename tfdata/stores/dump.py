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
from pathlib import Path
from typing import Iterable, Iterator, TextIO

from ..errors import InputError
from ..model.cells import Cell, TableRef, empty_row
from ..model.keyspaces import KNOWN_TABLES
from ..model.zk import ZNode, data_text, normalize_path, text_data
from ..outfile import OutputFile, check_input, raise_write_failure
from .base import SourceInfo
from .jsonstream import JsonStream, PiecesReader


def _open_binary(path: Path):
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
              ) -> Iterator[tuple[str, object, object]]:
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

    def _walk_file(self, want_cells: bool, want_zk: bool, tables: set[TableRef] | None):
        identity = self._identity()
        with _open_text(self.path) as fp:
            js = JsonStream(fp, str(self.path))
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
                        raw = js.read_value("zookeeper")
                        raise InputError(f"{self.path}: 'zookeeper' must be a JSON string holding a list, "
                                         f"found {type(raw).__name__}")
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
            for kind, node, _ in self._walk_zookeeper(js.iter_string("zookeeper")):
                yield node  # type: ignore[misc]

    def _walk_cassandra(self, js: JsonStream, want_cells: bool, tables: set[TableRef] | None):
        for keyspace in js.iter_object("cassandra"):
            if keyspace not in KNOWN_TABLES:
                # a cluster would take it, but no TF reader (nor tfdata) would ever see it again
                raise js.error(f"keyspace {keyspace!r} is not a TF keyspace (dumps hold {', '.join(KNOWN_TABLES)}, "
                               "without cluster prefix)", "cassandra")
            for table in js.iter_object(f"keyspace {keyspace}"):
                ref = TableRef(keyspace, table)
                ctx = f"table {ref}"
                if not want_cells or (tables is not None and ref not in tables):
                    if js.peek() != "{":
                        raise js.error("expected a table object", ctx)
                    js.skip_value(ctx)
                    yield ("table", ref, None)
                    continue
                yield ("table", ref, None)
                if js.peek() != "{":
                    raise js.error("expected a table object", ctx)
                for key in js.iter_object(ctx, unique=False):
                    row_ctx = f"{ctx} row {key!r}"
                    if js.peek() != "{":
                        raise js.error("expected a row object", row_ctx)
                    empty = True
                    for column in js.iter_object(row_ctx):
                        empty = False
                        item = js.read_value(f"{row_ctx} column {column!r}")
                        yield ("cell", ref, _cell(self.path, ref, key, column, item))
                    if empty:
                        yield ("cell", ref, empty_row(key))

    def _walk_zookeeper(self, pieces: Iterator[str]) -> Iterator[tuple[str, object, object]]:
        js = JsonStream(PiecesReader(pieces), f"{self.path} (zookeeper string)")
        if js.peek() != "[":
            raise InputError(f"{self.path}: the 'zookeeper' string must hold a JSON list")
        for index in js.iter_array("zookeeper list"):
            item = js.read_value(f"zookeeper item {index}")
            yield ("znode", _znode(self.path, index, item), None)
        js.expect_end()

    # ------------------------------------------------------------------ Source protocol
    def tables(self) -> list[TableRef]:
        if self._tables is None:
            found = []
            for kind, ref, _ in self._walk(False, False):
                if kind == "table":
                    found.append(ref)
                elif kind == "znode":
                    break
            self._tables = found
        return list(self._tables)

    def cells(self, tables: Iterable[TableRef] | None = None) -> Iterator[tuple[TableRef, Cell]]:
        wanted = set(tables) if tables is not None else None
        for kind, ref, cell in self._walk(True, False, wanted):
            if kind == "cell":
                yield ref, cell  # type: ignore[misc]

    def znodes(self) -> Iterator[ZNode]:
        if self._zk_at is not None and self._zk_at[1] == self._identity():
            yield from self._walk_znodes_only(self._zk_at[0])
            return
        for kind, node, _ in self._walk(False, True):
            if kind == "znode":
                yield node  # type: ignore[misc]

    def validate(self) -> dict[str, int]:
        """One full pass: proves the file is complete and well-formed before anything is written."""
        counts = {"tables": 0, "cells": 0, "znodes": 0}
        for kind, _, _ in self._walk(True, True):
            counts[kind + "s"] = counts.get(kind + "s", 0) + 1
        return counts

    def close(self) -> None:
        pass


def _cell(path: Path, ref: TableRef, key: str, column: str, item: object) -> Cell:
    if not (isinstance(item, list) and len(item) == 2):
        raise InputError(f"{path}: {ref} row {key!r} column {column!r}: expected [value, writetime], "
                         f"found {json.dumps(item)[:60]}")
    value, ts = item
    if ts is not None and not isinstance(ts, int):
        raise InputError(f"{path}: {ref} row {key!r} column {column!r}: writetime must be an integer, found {ts!r}")
    if isinstance(value, str):
        return Cell(key, column, value, ts)
    return Cell(key, column, json.dumps(value), ts, literal=True)


def _znode(path: Path, index: int, item: object) -> ZNode:
    try:
        zk_path, (data, stat) = item  # type: ignore[misc]
        if not isinstance(zk_path, str) or not isinstance(data, (str, type(None))):
            raise TypeError
        if stat is not None and not (isinstance(stat, list) and all(isinstance(x, int) for x in stat)):
            raise TypeError
    except (TypeError, ValueError):
        raise InputError(f"{path}: zookeeper item {index}: expected [path, [data, stat]], "
                         f"found {json.dumps(item)[:80]}") from None
    return ZNode(normalize_path(zk_path), text_data(data or ""), tuple(stat) if stat else None)


# ---------------------------------------------------------------------------------- writing

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
        value = cell.value if cell.literal else json.dumps(cell.value)
        ts = "null" if cell.writetime is None else str(cell.writetime)
        self._fp.write(("\n" if self._first["cell"] else ",\n")
                       + f"                    {json.dumps(cell.column)}: [{value}, {ts}]")
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
