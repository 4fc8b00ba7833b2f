"""Parse the ``#IFMAP-SEMANTICS-IDL`` statements hidden in XML comments of the schema files.

The statements look like Python calls (``Property('x', 'widget', 'optional', 'CRUD', '...')``).
Upstream evaluates them; here each statement is parsed with ``ast`` and only literals are
accepted, so a schema file can never run code.  Garbled statements (missing commas glue
arguments together upstream too) are returned as parsed; the model builder normalises them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

MARKER = "#IFMAP-SEMANTICS-IDL"
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)


@dataclass(frozen=True)
class IdlStatement:
    """One call such as Property(...) or Link(...), with literal arguments."""

    verb: str
    args: tuple
    file: str
    line: int


@dataclass(frozen=True)
class IdlError:
    text: str
    file: str
    line: int
    reason: str


def _split_outside_quotes(text: str, separator: str = ";") -> list[str]:
    """Split on ``separator`` unless it sits inside a quoted string."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == separator:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_statement(text: str, file: str = "", line: int = 0) -> IdlStatement | IdlError:
    """Turn one statement into an IdlStatement, or an IdlError saying why not."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        return IdlError(text, file, line, f"syntax error: {exc.msg}")
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        return IdlError(text, file, line, "not a call")
    try:
        args = tuple(ast.literal_eval(arg) for arg in call.args)
    except ValueError:
        return IdlError(text, file, line, "non-literal argument")
    return IdlStatement(verb=call.func.id, args=args, file=file, line=line)


def parse_idl_comments(text: str, file: str = "") -> list[IdlStatement]:
    """All IDL statements in the raw text of one file, in file order (errors are dropped)."""
    return [s for s in iter_idl(text, file) if isinstance(s, IdlStatement)]


def iter_idl(text: str, file: str = ""):
    """Yield IdlStatement or IdlError for every statement in every IDL comment."""
    for match in _COMMENT.finditer(text):
        body = match.group(1).strip()
        if not body.startswith(MARKER):
            continue
        line = text.count("\n", 0, match.start()) + 1
        joined = " ".join(part.strip() for part in body[len(MARKER):].splitlines())
        for stmt in _split_outside_quotes(joined):
            yield parse_statement(stmt, file, line)
