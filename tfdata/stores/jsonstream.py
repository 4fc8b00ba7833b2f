"""A small pull parser for big JSON documents: walk objects key by key, decode leaves whole.

db_json_exim dumps are one JSON document whose size grows with the cluster; json.load would hold
all of it (several times over) in memory. Here only the current leaf value is decoded at once.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any, Iterator, TextIO

from ..errors import InputError

_WS = " \t\n\r"
_DECODER = json.JSONDecoder()
_CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdefABCDEF")
_STRING_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)  # stops at the closing quote or buffer end


class JsonStream:
    def __init__(self, fp: TextIO, source: str, offset: int = 0) -> None:
        self._fp = fp
        self.source = source
        self._buf = ""
        self._pos = 0
        self._consumed = offset  # characters dropped from the front of the buffer (or skipped before)
        self._eof = False

    # ------------------------------------------------------------------ buffer handling
    @property
    def offset(self) -> int:
        return self._consumed + self._pos

    def _fill(self) -> bool:
        if self._eof:
            return False
        try:
            chunk = self._fp.read(_CHUNK)
        except zlib.error as exc:
            raise InputError(f"{self.source}: corrupt gzip data ({exc}) after character {self.offset}") from exc
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.source}: cannot read ({exc.__class__.__name__}: {exc})") from exc
        if not chunk:
            self._eof = True
            return False
        if self._pos:
            self._consumed += self._pos
            self._buf = self._buf[self._pos:]
            self._pos = 0
        self._buf += chunk
        return True

    def error(self, what: str, context: str = "") -> InputError:
        where = f" in {context}" if context else ""
        return InputError(f"{self.source}: {what} at character {self.offset}{where}")

    def peek(self) -> str:
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _WS:
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str, context: str = "") -> None:
        got = self.peek()
        if got != char:
            if not got:
                raise self.error(f"unexpected end of file (truncated dump?), expected {char!r}", context)
            raise self.error(f"expected {char!r} but found {got!r}", context)
        self._pos += 1

    # ------------------------------------------------------------------ values
    def read_value(self, context: str = "") -> Any:
        if not self.peek():
            raise self.error("unexpected end of file (truncated dump?)", context)
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._fill():
                    continue
                if exc.pos >= len(self._buf.rstrip()):
                    raise self.error("unexpected end of file (truncated dump?)", context) from None
                raise self.error(f"invalid JSON ({exc.msg})", context) from None
            # A number cut by the buffer edge decodes "successfully": make sure it really ended.
            if end == len(self._buf) and self._fill():
                continue
            self._pos = end
            return value

    def read_string(self, context: str = "") -> str:
        if self.peek() != '"':
            got = self.peek()
            raise self.error("unexpected end of file (truncated dump?)" if not got else f"expected a string but found {got!r}", context)
        value = self.read_value(context)
        return value

    def iter_string(self, context: str = "") -> Iterator[str]:
        """The string value here, decoded piece by piece: a dump's 'zookeeper' string holds every
        znode and grows with the cluster, so it is never held whole."""
        if self.peek() != '"':
            got = self.peek()
            raise self.error("unexpected end of file (truncated dump?)" if not got else f"expected a string but found {got!r}", context)
        self._pos += 1
        while True:
            end = _STRING_BODY.match(self._buf, self._pos).end()
            if end < len(self._buf) and self._buf[end] == '"':
                piece, self._pos = self._buf[self._pos:end], end + 1
                if piece:
                    yield self._decode_piece(piece, context)
                return
            cut = _safe_cut(self._buf, self._pos, end)
            if cut > self._pos:
                piece, self._pos = self._buf[self._pos:cut], cut
                yield self._decode_piece(piece, context)
            if not self._fill():
                raise self.error("unexpected end of file (truncated dump?)", context)

    def _decode_piece(self, piece: str, context: str) -> str:
        try:
            return json.loads(f'"{piece}"')
        except json.JSONDecodeError as exc:
            raise self.error(f"invalid JSON ({exc.msg})", context) from None

    def skip_value(self, context: str = "") -> None:
        """Skip without materialising nested objects."""
        if self.peek() == "{":
            for _ in self.iter_object(context):
                self.skip_value(context)
        else:
            self.read_value(context)

    def iter_object(self, context: str = "", unique: bool = True) -> Iterator[str]:
        """Yield keys in document order; the caller must consume each key's value before resuming.

        ``unique=False`` skips the duplicate-key check where remembering every key would cost
        memory in proportion to the input (rows of a table).
        """
        self.expect("{", context)
        if self.peek() == "}":
            self._pos += 1
            return
        seen: set[str] | None = set() if unique else None
        while True:
            key = self.read_string(context)
            if seen is not None:
                if key in seen:
                    raise self.error(f"duplicate key {key!r}", context)
                seen.add(key)
            self.expect(":", context)
            yield key
            nxt = self.peek()
            if nxt == ",":
                self._pos += 1
                continue
            if nxt == "}":
                self._pos += 1
                return
            if not nxt:
                raise self.error("unexpected end of file (truncated dump?)", context)
            raise self.error(f"expected ',' or '}}' but found {nxt!r}", context)

    def iter_array(self, context: str = "") -> Iterator[int]:
        """Yield indexes; the caller consumes each element before resuming."""
        self.expect("[", context)
        if self.peek() == "]":
            self._pos += 1
            return
        index = 0
        while True:
            yield index
            index += 1
            nxt = self.peek()
            if nxt == ",":
                self._pos += 1
                continue
            if nxt == "]":
                self._pos += 1
                return
            if not nxt:
                raise self.error("unexpected end of file (truncated dump?)", context)
            raise self.error(f"expected ',' or ']' but found {nxt!r}", context)

    def expect_end(self) -> None:
        if self.peek():
            raise self.error("trailing data after the JSON document")


def _safe_cut(buf: str, start: int, end: int) -> int:
    """Where buf[start:end] (whole escapes, maybe an unfinished \\uXXXX at the end) can be cut so
    that each piece decodes on its own: not inside an escape, not after a high surrogate whose
    low half may follow."""
    cut = end
    k = buf.rfind("\\", start, end)
    if k >= 0 and k + 6 > end and buf[k + 1:k + 2] == "u" and _escape_at(buf, start, k):
        cut = k  # \\uXX... cut by the buffer edge
    h = cut - 6
    if h >= start and buf[h:h + 2] == "\\u" and _escape_at(buf, start, h):
        digits = buf[h + 2:cut]
        if all(c in _HEX for c in digits) and 0xD800 <= int(digits, 16) <= 0xDBFF:
            cut = h
    return cut


def _escape_at(buf: str, start: int, k: int) -> bool:
    """buf[k] is a backslash that starts an escape (an even number of backslashes before it)."""
    run = 0
    while k - run - 1 >= start and buf[k - run - 1] == "\\":
        run += 1
    return run % 2 == 0


class PiecesReader:
    """A read()-able view of decoded string pieces, so a JSON document held in a JSON string
    can itself be streamed."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces

    def read(self, size: int = -1) -> str:
        return next(self._pieces, "")
