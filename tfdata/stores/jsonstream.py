"""A small pull parser for big JSON documents: walk objects key by key, read leaves token by token.

db_json_exim dumps are one JSON document whose size grows with the cluster, and one cell value can
be hundreds of megabytes. Every token is consumed as it is read (a value that crosses the buffer
edge is taken in pieces, never re-scanned), so time is linear in the input and memory is bounded
by the largest value. Parsing is strict: no NaN/Infinity, no lone surrogate escapes in kept
literals, and nesting of any depth is walked without recursion.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from json.decoder import scanstring  # type: ignore[attr-defined]  # public at runtime (C scanner), not in typeshed
from typing import Iterator, Protocol

from ..errors import InputError

_CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdefABCDEF")
_WS_CHARS = " \t\n\r"
_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"[-+.0-9A-Za-z]*")  # wide on purpose: 'NaN', '01' or '1.' are refused whole
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_NOT_JSON = frozenset({"NaN", "Infinity", "-Infinity"})
SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_KEY = re.compile(r'[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:')  # no escapes: the key is its text


def describe(char: str) -> str:
    """A character for an error message: quoted when printable, else its code point (a BOM says so)."""
    if not char:
        return "the end of the file"
    if char == "\"":
        return "a string"
    if char == "\ufeff":
        return "a byte order mark (BOM, U+FEFF)"
    return repr(char) if char.isprintable() else f"U+{ord(char):04X}"


class TextReader(Protocol):
    """What a JsonStream reads: a text file, or a PiecesReader."""

    def read(self, size: int, /) -> str: ...


class JsonStream:
    def __init__(self, fp: TextReader, source: str, offset: int = 0) -> None:
        self._fp = fp
        self.source = source
        self._buf = ""
        self._pos = 0
        self._consumed = offset  # characters dropped from the front of the buffer (or skipped before)
        self._eof = False
        self._capture: list[str] | None = None  # source text of the value read_raw is reading
        self._mark = 0  # where the not yet captured part of that text starts in the buffer

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
            if self._capture is not None:
                self._capture.append(self._buf[self._mark:self._pos])
                self._mark = 0
            self._consumed += self._pos
            self._buf = self._buf[self._pos:]
            self._pos = 0
        self._buf += chunk
        return True

    def error(self, what: str, context: str = "", at: int | None = None) -> InputError:
        where = f" in {context}" if context else ""
        return InputError(f"{self.source}: {what} at character {self.offset if at is None else at}{where}")

    def truncated(self, context: str = "", expected: str = "") -> InputError:
        return self.error("unexpected end of file (truncated dump?)" + (f", expected {expected}" if expected else ""),
                          context)

    def peek(self) -> str:
        if self._pos < len(self._buf) and self._buf[self._pos] not in _WS_CHARS:
            return self._buf[self._pos]
        while True:
            ws = _WS.match(self._buf, self._pos)
            assert ws is not None  # a '*' pattern matches everywhere, if only the empty string
            self._pos = ws.end()
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str, context: str = "", expected: str = "") -> None:
        """Consume ``char``; ``expected`` names what the caller wanted, for the message."""
        got = self.peek()
        if got != char:
            expected = expected or repr(char)
            if not got:
                raise self.truncated(context, expected)
            raise self.error(f"expected {expected} but found {describe(got)}", context)
        self._pos += 1

    def _take(self, pattern: re.Pattern[str]) -> str:
        """The longest run of ``pattern`` (a '*' pattern: it matches everywhere) from here, across buffer edges."""
        pieces = []
        while True:
            run = pattern.match(self._buf, self._pos)
            assert run is not None, "_take needs a pattern that matches the empty string"
            end = run.end()
            pieces.append(self._buf[self._pos:end])
            self._pos = end
            if end < len(self._buf) or not self._fill():
                return "".join(pieces)

    # ------------------------------------------------------------------ leaves
    def read_string(self, context: str = "") -> str:
        got = self.peek()
        if got != '"':
            raise self.truncated(context, "a string") if not got else self.error(
                f"expected a string but found {describe(got)}", context)
        try:
            value, self._pos = scanstring(self._buf, self._pos + 1, True)
            return value
        except json.JSONDecodeError:  # crosses the buffer edge, or is invalid: the piecewise path says which
            return "".join(self.iter_string(context))

    def iter_string(self, context: str = "") -> Iterator[str]:
        """The string value here, decoded piece by piece (a dump's 'zookeeper' string holds every
        znode, a cell value may be huge): consumed as it is read, never held twice or re-scanned."""
        got = self.peek()
        if got != '"':
            raise self.truncated(context, "a string") if not got else self.error(
                f"expected a string but found {describe(got)}", context)
        self._pos += 1
        while True:
            try:
                value, end = scanstring(self._buf, self._pos, True)
            except json.JSONDecodeError as exc:
                # No closing quote in the buffer (or an error, which decoding the piece reports
                # where it is): decode the whole escapes up to the buffer's end, then read on.
                cut = _safe_cut(self._buf, self._pos, len(self._buf))
                if cut > self._pos:
                    piece = self._decode_piece(self._buf[self._pos:cut], context)
                    self._pos = cut
                    yield piece
                if not self._fill():
                    if exc.msg.startswith("Unterminated string"):
                        raise self.truncated(context) from None
                    raise self.error(f"invalid JSON ({exc.msg})", context) from None
                continue
            self._pos = end
            if value:
                yield value
            return

    def _decode_piece(self, piece: str, context: str) -> str:
        try:
            return scanstring(f'"{piece}"', 1, True)[0]
        except json.JSONDecodeError as exc:
            raise self.error(f"invalid JSON ({exc.msg})", context, self.offset + exc.pos - 1) from None

    def read_scalar(self, context: str = "") -> str:
        """The text of a number, true, false or null (strict JSON: no NaN, Infinity, 01, 1.)."""
        self.peek()
        at = self.offset
        token = self._take(_SCALAR)
        if token in ("true", "false", "null") or _NUMBER.fullmatch(token):
            return token
        if token in _NOT_JSON:
            raise self.error(f"{token} is not JSON (a strict parser refuses it)", context, at)
        if not token:
            got = self.peek()
            raise self.truncated(context, "a value") if not got else self.error(
                f"expected a value but found {describe(got)}", context, at)
        raise self.error(f"invalid JSON value {token[:40]!r}", context, at)

    # ------------------------------------------------------------------ whole values
    def read_raw(self, context: str = "") -> str:
        """The exact source text of the value here (any type, any depth), checked as strict JSON.

        Kept literals are written back verbatim, so a lone surrogate escape in one is refused: it
        would make the written dump unreadable to strict parsers.
        """
        if not self.peek():
            raise self.truncated(context, "a value")
        self._capture, self._mark = [], self._pos
        try:
            self._scan_value(context)
            self._capture.append(self._buf[self._mark:self._pos])
            return "".join(self._capture)
        finally:
            self._capture = None

    def _scan_value(self, context: str) -> None:
        closers: list[str] = []  # what closes each open container, innermost last
        while True:
            got = self.peek()  # a value starts here
            if got in ("{", "["):
                self._pos += 1
                closer = "}" if got == "{" else "]"
                if self.peek() != closer:
                    closers.append(closer)
                    if closer == "}":
                        self._scan_key(context)
                    continue
                self._pos += 1
            elif got == '"':
                self._scan_string(context)
            else:
                self.read_scalar(context)
            while closers:  # after a value: the next element, or close containers
                got = self.peek()
                if got == ",":
                    self._pos += 1
                    if closers[-1] == "}":
                        self._scan_key(context)
                    break
                if got == closers[-1]:
                    self._pos += 1
                    closers.pop()
                    continue
                raise self.truncated(context, repr(closers[-1])) if not got else self.error(
                    f"expected ',' or {closers[-1]!r} but found {describe(got)}", context)
            else:
                return

    def _scan_key(self, context: str) -> None:
        if self.peek() != '"':
            raise self.truncated(context, "a key") if not self.peek() else self.error(
                f"expected a string key but found {describe(self.peek())}", context)
        self._scan_string(context)
        self.expect(":", context)

    def _scan_string(self, context: str) -> None:
        at = self.offset
        for piece in self.iter_string(context):
            if SURROGATE.search(piece):
                raise self.error("lone surrogate escape in a string (not text; strict parsers refuse it)",
                                 context, at)

    def match(self, pattern: re.Pattern) -> re.Match | None:
        """Consume ``pattern`` if it matches here within the buffer: a fast path for the common
        shape of an item, which callers check fully and otherwise read token by token. The pattern
        must allow leading whitespace."""
        m = pattern.match(self._buf, self._pos)
        if m is None or m.end() >= len(self._buf):
            return None
        self._pos = m.end()
        return m

    # ------------------------------------------------------------------ containers
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
            m = _PLAIN_KEY.match(self._buf, self._pos)
            if m is not None and m.end() < len(self._buf):
                key, self._pos, key_end = m.group(1), m.end(), self._consumed + m.end(1) + 1
            else:
                key = self.read_string(context)
                key_end = self.offset
                self.expect(":", context)
            if seen is not None:
                if key in seen:
                    raise self.error(f"duplicate key {key!r}", context, key_end)
                seen.add(key)
            yield key
            nxt = self.peek()
            if nxt == ",":
                self._pos += 1
                continue
            if nxt == "}":
                self._pos += 1
                return
            if not nxt:
                raise self.truncated(context)
            raise self.error(f"expected ',' or '}}' but found {describe(nxt)}", context)

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
                raise self.truncated(context)
            raise self.error(f"expected ',' or ']' but found {describe(nxt)}", context)

    def expect_end(self) -> None:
        if self.peek():
            raise self.error("trailing data after the JSON document")


def json_text_problem(text: str) -> str | None:
    """Why ``text`` is not exactly one strict JSON value (None when it is): a writer's last check
    on literal text that came from elsewhere (an older snapshot, a cluster's literal record)."""
    js = JsonStream(io.StringIO(text), "value")
    try:
        if not js.peek():
            return "empty"
        js._scan_value("")
        js.expect_end()
    except InputError as exc:
        return str(exc).removeprefix("value: ")
    return None


def _safe_cut(buf: str, start: int, end: int) -> int:
    """Where buf[start:end] (maybe an unfinished escape at the end) can be cut so
    that each piece decodes on its own: not inside an escape, not after a high surrogate whose
    low half may follow."""
    cut = end
    k = buf.rfind("\\", start, end)
    if k >= 0 and (k == end - 1 or k + 6 > end and buf[k + 1] == "u") and _escape_at(buf, start, k):
        cut = k  # a backslash or \\uXX... cut by the buffer edge
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
