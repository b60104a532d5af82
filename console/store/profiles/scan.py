"""Where things are in the text of a profiles file: a small statement scanner.

`scan(text)` lists the statements of a valid TOML text (table headers, keys, and the lines
their values span), with the key parts as written and their character positions; `find_line`
turns a key path such as ('caller_ids', 'sales', 'number') into the line an error names. The
editor (`edit.py`) uses the same statements to add, remove and rename entries on the text.

The scanner only has to understand valid TOML: the store parses the text before it looks here.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class Statement:
    kind: str                          # "table", "array_table" or "key"
    path: tuple[str, ...]              # full key path (table prefix + key)
    parts: list[tuple[str, int, int]]  # the key as written on this line: (part, start, end) chars
    start: int                         # 0-based first line
    end: int = 0                       # 0-based last line (multi-line values)
    table: tuple[str, ...] = field(default=())  # enclosing table of a key statement


_BLANK = re.compile(r"[ \t]*")
_BLANK_NL = re.compile(r"[ \t\r\n]*")
_STRINGS = (
    re.compile(r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""(?:""?)?'),
    re.compile(r"'''[\s\S]*?'''(?:''?)?"),
    re.compile(r'"(?:[^"\\\n]|\\.)*"'),
    re.compile(r"'[^'\n]*'"),
)
_INTERESTING = re.compile(r"""[\[\]{}"'#]""")


class _Scanner:
    """Walks a valid TOML text statement by statement (regex jumps, no char-by-char loop)."""

    def __init__(self, text: str):
        self.s = text
        self.n = len(text)
        self.i = 0
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.out: list[Statement] = []

    def _line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos)

    def _skip(self, pattern: re.Pattern[str]) -> None:
        self.i = pattern.match(self.s, self.i).end()

    def _skip_line(self) -> None:
        j = self.s.find("\n", self.i)
        self.i = self.n if j < 0 else j

    def _string(self) -> str:
        """Consume the string at i; return its raw token."""
        start = self.i
        for pattern in _STRINGS:
            match = pattern.match(self.s, start)
            if match:
                self.i = match.end()
                return match.group()
        self._skip_line()  # not valid TOML: give up on the rest of the line
        return self.s[start:self.i]

    @staticmethod
    def _decode(token: str) -> str:
        if token.startswith("'"):
            return token[1:-1]
        try:
            return json.loads(token)
        except ValueError:
            import tomllib

            try:
                return tomllib.loads("k = " + token)["k"]
            except tomllib.TOMLDecodeError:
                return token[1:-1]

    def _key(self) -> list[tuple[str, int, int]] | None:
        parts: list[tuple[str, int, int]] = []
        while True:
            self._skip(_BLANK)
            start = self.i
            if self.i < self.n and self.s[self.i] in "\"'":
                value = self._decode(self._string())
            else:
                match = _BARE_KEY.match(self.s, self.i)
                if not match:
                    return None
                value = match.group()
                self.i = match.end()
            parts.append((value, start, self.i))
            self._skip(_BLANK)
            if self.i >= self.n or self.s[self.i] != ".":
                return parts
            self.i += 1

    def _value(self) -> None:
        ch = self.s[self.i] if self.i < self.n else ""
        if ch in ("'", '"'):
            self._string()
            return
        if ch and ch in "[{":
            depth = 0
            while True:
                match = _INTERESTING.search(self.s, self.i)
                if match is None:
                    self.i = self.n
                    return
                self.i = match.start()
                c = match.group()
                if c in "\"'":
                    self._string()
                elif c == "#":
                    self._skip_line()
                elif c in "[{":
                    depth += 1
                    self.i += 1
                else:
                    depth -= 1
                    self.i += 1
                    if depth == 0:
                        return
        self._skip_line()

    def scan(self) -> list[Statement]:
        table: tuple[str, ...] = ()
        s = self.s
        while True:
            self._skip(_BLANK_NL)
            if self.i >= self.n:
                break
            ch = s[self.i]
            if ch == "#":
                self._skip_line()
                continue
            start = self._line(self.i)
            if ch == "[":
                double = s.startswith("[[", self.i)
                self.i += 2 if double else 1
                parts = self._key()
                self._skip_line()
                if parts is not None:
                    table = tuple(p for p, _, _ in parts)
                    self.out.append(Statement("array_table" if double else "table", table,
                                              parts, start, start))
                continue
            parts = self._key()
            if parts is None:
                self._skip_line()
                continue
            self._skip(_BLANK)
            if self.i < self.n and s[self.i] == "=":
                self.i += 1
                self._skip(_BLANK)
                self._value()
            self._skip_line()
            path = table + tuple(p for p, _, _ in parts)
            self.out.append(Statement("key", path, parts, start, self._line(self.i), table))
        return self.out


def scan(text: str) -> list[Statement]:
    return _Scanner(text).scan()


def find_line(text: str, path: Sequence[Any]) -> int | None:
    """The 1-based line that best locates `path`: the key itself, else the nearest enclosing
    table or key (a key inside an inline table is on its table's line)."""
    target = tuple(str(p) for p in path)
    if not target:
        return None
    best_line, best_score = None, 0
    for statement in scan(text):
        found = statement.path
        k = min(len(found), len(target))
        if found[:k] != target[:k] or k <= best_score:
            continue
        best_line, best_score = statement.start + 1, k
        if k == len(target):
            break
    return best_line
