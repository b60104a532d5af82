"""A call's `context`: JSON text or a parsed object, checked before anything is sent.

Python's json accepts what the wire must not carry: NaN and Infinity (pydantic then sends
null), numbers past float range (sent as null too), integers of any length (5,001 digits end
in a ValueError), lone UTF-16 surrogates (`"\\ud800"` ends in a UnicodeEncodeError when the
body is written) and nesting deep enough to exhaust the stack. `parse_context` refuses each
with a message that gives the line and column (the form shows it under the Context field, the
CLI after `--context`); `check_context_value` applies the same rules to an object from a
profiles template, naming the key instead.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from typing import Any

from console.limits import CONTEXT_MAX_BYTES, CONTEXT_MAX_DEPTH, CONTEXT_MAX_TEXT, NUMBER_MAX_DIGITS

__all__ = ["parse_context", "check_context_value", "context_problem", "read_context_file"]

# Only what the checks need: strings (skipped whole, checked for surrogates), brackets,
# numbers and the names Python's json would take as numbers.
_TOKENS = re.compile(r'''
    (?P<string> "(?:[^"\\]|\\.)*" )
  | (?P<open> [\[{] )
  | (?P<close> [\]}] )
  | (?P<number> -?\d+(?:\.\d+)?(?:[eE][+-]?\d+)? )
  | (?P<constant> -?Infinity | NaN )
''', re.VERBOSE)
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class _Refused(ValueError):
    pass


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {column}"


def _surrogate_message(char: str) -> str:
    return (f"\\u{ord(char):04x} is half of a UTF-16 pair (a lone surrogate), "
            "not a character: it cannot be sent")


def _scan(text: str) -> str | None:
    """The first thing in the text that json would take but the request must not carry,
    with its line and column; None when there is none."""
    raw = _SURROGATE.search(text)
    if raw is not None:
        code = ord(raw.group())
        if 0xDC80 <= code <= 0xDCFF:  # how Python keeps a byte of a non-UTF-8 argument
            return f"{_where(text, raw.start())}: byte 0x{code - 0xDC00:02X} is not UTF-8 text"
        return f"{_where(text, raw.start())}: {_surrogate_message(raw.group())}"
    depth = 0
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            if depth > CONTEXT_MAX_DEPTH:
                return (f"{_where(text, match.start())}: nested more than "
                        f"{CONTEXT_MAX_DEPTH} levels deep")
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "constant":
            return (f"{_where(text, match.start())}: {match.group()} is not a JSON number "
                    "(use null or a string)")
        elif kind == "number":
            number = match.group()
            digits = sum(ch.isdigit() for ch in number.partition("e")[0].partition("E")[0])
            if digits > NUMBER_MAX_DIGITS:
                return (f"{_where(text, match.start())}: a number of {digits} digits; the "
                        f"limit is {NUMBER_MAX_DIGITS} (put longer ones in quotes)")
            if not math.isfinite(float(number)):
                return (f"{_where(text, match.start())}: {number} is too large for a JSON "
                        "number (it would be sent as null)")
        elif kind == "string" and _ESCAPED_SURROGATE.search(match.group()):
            try:
                decoded = json.loads(match.group())
            except ValueError:
                continue  # not a valid string: json.loads says where
            lone = _SURROGATE.search(decoded)  # a pair decodes to one character
            if lone is not None:
                escape = match.group().lower().find(f"\\u{ord(lone.group()):04x}")
                return (f"{_where(text, match.start() + max(escape, 0))}: "
                        f"{_surrogate_message(lone.group())}")
    return None


def read_context_file(path: str | os.PathLike[str]) -> str:
    """The text of `--context @FILE`: UTF-8, at most CONTEXT_MAX_TEXT characters' worth of bytes
    (so `@/dev/zero` ends, not the memory); a pipe such as `@/dev/stdin` works. Raises
    `console.store.input_files.InputFileError` naming the file (and the line of a bad byte)."""
    from console.store.input_files import decode_utf8, read_limited

    raw = read_limited(path, 4 * CONTEXT_MAX_TEXT, what="context file", regular_only=False)
    return decode_utf8(raw, file=path)


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number (use null or a string)")


def parse_context(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """Parse the context editor's text: an object, or an error with line and column.

    The form calls this on every change, so the slow, exact scan (`_scan`) runs only once
    json or the checks of the parsed value have found something wrong, to say where.
    """
    if not text.strip():
        return {}, None
    if len(text) > CONTEXT_MAX_TEXT:
        return None, (f"the text is {len(text):,} characters long; the limit is "
                      f"{CONTEXT_MAX_TEXT:,} (for {CONTEXT_MAX_BYTES // 1024} KiB of JSON)")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return None, f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except (_Refused, ValueError, RecursionError) as exc:
        # NaN or Infinity; a number int() refuses; nesting deeper than the stack
        found = _scan(text)
        return None, found or (str(exc) if isinstance(exc, _Refused)
                               else f"cannot be read as JSON ({type(exc).__name__})")
    if not isinstance(value, dict):
        kind = {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(value), "a number")
        return None, f"must be a JSON object {{...}}, not {kind}"
    message = check_context_value(value)
    if message:
        return None, _scan(text) or message
    return value, None


def _path(parts: tuple[str, ...]) -> str:
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p) for p in parts)


def check_context_value(value: Any) -> str | None:
    """A message when `value` cannot be sent as the context object, else None (see
    `context_problem`); the message names the key, e.g. `at visit.day: ...`."""
    found = context_problem(value)
    if found is None:
        return None
    path, message = found
    return f"at {_path(path)}: {message}" if path else message


def context_problem(value: Any) -> tuple[tuple[str, ...], str] | None:
    """(keys leading to the problem, message) when `value` cannot be sent as the context
    object, else None. List items share their list's key path.

    The rules: JSON types only (objects with text keys, lists, text, whole and finite numbers,
    booleans, null), at most CONTEXT_MAX_DEPTH levels, numbers of at most NUMBER_MAX_DIGITS
    digits, no lone surrogates, and at most CONTEXT_MAX_BYTES sent. A quick check in C (the
    json encoder) clears ordinary values; only a value it does not clear is walked key by key.
    """
    if not isinstance(value, dict):
        return (), "must be a JSON object {...}"
    if _quickly_cleared(value):
        return None
    return _walk(value)


_LONG_DIGITS = re.compile(r"\d{%d}" % (NUMBER_MAX_DIGITS + 1))


def _quickly_cleared(value: dict[str, Any]) -> bool:
    """True when `value` certainly obeys the rules (False: walk it to find out)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:  # containers only: scalars are left to the encoder below
        item, depth = stack.pop()
        if depth > CONTEXT_MAX_DEPTH:
            return False
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):  # json.dumps would write 1 as "1"
                return False
            children = item.values()
        else:
            children = item
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    try:
        sent = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        size = len(sent.encode("utf-8"))  # a lone surrogate cannot be encoded
    except (TypeError, ValueError):  # not JSON, NaN or infinite, an int() too long
        return False
    return size <= CONTEXT_MAX_BYTES and not _LONG_DIGITS.search(sent)  # a long number?


def _walk(value: dict[str, Any]) -> tuple[tuple[str, ...], str] | None:
    """Every value, key by key, without recursion: the first problem and where it is."""
    stack: list[tuple[Any, tuple[str, ...], int]] = [(value, (), 1)]
    limit = 10 ** NUMBER_MAX_DIGITS
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, (dict, list)) and depth > CONTEXT_MAX_DEPTH:
            return path, f"nested more than {CONTEXT_MAX_DEPTH} levels deep"
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return path, f"key {key!r} is not text"
                if lone := _SURROGATE.search(key):
                    return path, "a key holds " + _surrogate_message(lone.group())
                stack.append((child, path + (key,), depth + 1))
        elif isinstance(item, list):
            stack.extend((child, path, depth + 1) for child in item)
        elif isinstance(item, str):
            if lone := _SURROGATE.search(item):
                return path, _surrogate_message(lone.group())
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not -limit < item < limit:
                return path, (f"a number of more than {NUMBER_MAX_DIGITS} digits "
                              "(put longer ones in quotes)")
        elif isinstance(item, float):
            if not math.isfinite(item):
                return path, f"{item} is not a JSON number (use null or a string)"
        elif isinstance(item, (_dt.date, _dt.time)):
            return path, "dates and times are not JSON: write it as a string"
        else:
            return path, f"a {type(item).__name__} is not a JSON value"
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > CONTEXT_MAX_BYTES:
        return (), (f"the object is {size:,} bytes as JSON; the limit is {CONTEXT_MAX_BYTES:,} "
                    f"({CONTEXT_MAX_BYTES // 1024} KiB)")
    return None
