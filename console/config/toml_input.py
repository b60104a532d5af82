"""TOML from files an operator (or an attacker) wrote: parsed without a traceback.

`tomllib.loads` recurses into nested arrays and inline tables (a few thousand `[` end in a
RecursionError), and reads integers with `int()` (5,001 digits end in Python's int-str
ValueError). `loads` turns both, and nesting past `TOML_MAX_DEPTH` (dotted keys included, which
tomllib builds without recursing but every later reader walks), into a `TOMLDecodeError` whose
message ends with `(at line N, column M)` like tomllib's own, so every caller that already
reports tomllib's errors with their line reports these too.

Standard library only: the TUI's first frame reads config.toml through this.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from console.limits import NUMBER_MAX_DIGITS, TOML_MAX_DEPTH

__all__ = ["TomlInputError", "loads", "decode", "nesting_depth"]


class TomlInputError(tomllib.TOMLDecodeError):
    """A TOML text refused before or after tomllib: too deep, a number too long, not UTF-8."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None):
        message = reason if line is None else f"{reason} (at line {line}, column {column or 1})"
        super().__init__(message)
        self.reason, self.line, self.column = reason, line, column


# Strings and comments are skipped whole, so brackets, dots and digits inside them count for
# nothing; a bare word is one token, so digits inside a key are not a number.
_TOKENS = re.compile(r'''
    (?P<skip> """(?:[^\\]|\\.)*?"""  |  \'\'\'.*?\'\'\'
            | "(?:[^"\\\n]|\\.)*"    |  '[^'\n]*'
            | \#[^\n]*               |  [A-Za-z_][A-Za-z0-9_-]* )
  | (?P<open> [\[{] )
  | (?P<close> [\]}] )
  | (?P<number> \d[\d_]*(?:\.\d[\d_]*)? )
  | (?P<dot> \. )
  | (?P<newline> \n )
''', re.VERBOSE | re.DOTALL)


def _locate(text: str, *, numbers: bool) -> tuple[str, int, int] | None:
    """The first place where `text` nests deeper than TOML_MAX_DEPTH (counting the table
    header's parts, brackets and a key's dotted parts) or, with `numbers`, holds a number of
    more than NUMBER_MAX_DIGITS digits: (message, line, column), or None."""
    depth = 0                 # open brackets (inline tables, arrays, a header's own [ ])
    line, line_start = 1, 0
    table = 0                 # parts of the last [table] header
    dots = 0                  # dots on this line, outside strings and numbers
    header = False            # this line is a [table] header
    first = True              # no token seen yet on this line
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        column = match.start() - line_start + 1
        if kind == "newline":
            if header:
                table = dots + 1
            line, line_start, dots, header, first = line + 1, match.end(), 0, False, True
            continue
        if kind == "skip":
            newlines = match.group().count("\n")
            if newlines:  # a multi-line string
                line += newlines
                line_start = match.start() + match.group().rindex("\n") + 1
        elif kind == "open":
            if first and depth == 0:
                header = True
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "dot":
            dots += 1
        elif kind == "number" and numbers:
            digits = sum(ch.isdigit() for ch in match.group())
            if digits > NUMBER_MAX_DIGITS:
                return (f"a number of {digits} digits; the limit is {NUMBER_MAX_DIGITS} "
                        "(put longer ones in quotes)", line, column)
        first = False
        nesting = depth + dots + (0 if header else table)
        if kind in ("open", "dot") and nesting > TOML_MAX_DEPTH:
            return f"nested more than {TOML_MAX_DEPTH} levels deep", line, column
    return None


def nesting_depth(value: Any, limit: int) -> int:
    """How deep tables and lists nest in `value` (a scalar is 0, `{}` is 1), counted without
    recursion; stops counting once past `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def loads(text: str) -> dict[str, Any]:
    """`tomllib.loads` that raises only `TOMLDecodeError` (located when it can be)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise
    except (RecursionError, ValueError, MemoryError) as exc:
        found = _locate(text, numbers=isinstance(exc, ValueError))
        if found is not None:
            raise TomlInputError(*found) from None
        raise TomlInputError(f"cannot be read ({type(exc).__name__})") from None
    if nesting_depth(data, TOML_MAX_DEPTH) > TOML_MAX_DEPTH:
        found = _locate(text, numbers=False)
        raise TomlInputError(*(found or (f"nested more than {TOML_MAX_DEPTH} levels deep",)))
    return data


def decode(raw: bytes) -> str:
    """UTF-8 bytes of a TOML file as text; TomlInputError naming the line of the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TomlInputError("not UTF-8 text", line, column) from None
