"""Server text made safe to show: control characters made visible, long values clipped.

A terminal obeys the control characters it is sent: a status of ``"teleporting\\x1b[2J"``
written as is clears the screen, an OSC sequence can retitle the window or write the clipboard,
and a bidi override (U+202E) reorders what follows it. Rich's `Text` does not interpret them
as markup, but Textual and click still write them to the terminal raw. So every string that
came from a server goes through `visible()` where it becomes display text (a table cell, a
detail line, a toast, a CLI line). What is stored keeps the string as received.

`visible()` replaces, with a visible escape in Python's notation (``\\x1b``, ``\\x9b``,
``\\u202e``, ``\\n``):

- C0 controls (ESC, BEL, CR, LF, backspace...), DEL and the C1 controls U+0080-U+009F;
- format characters (Unicode category Cf) such as the bidi embeddings, overrides and isolates
  (U+202A-U+202E, U+2066-U+2069), the bidi marks, zero-width space, soft hyphen and the tag
  characters, which reorder or hide text. ZWJ and ZWNJ (U+200D, U+200C) are kept: emoji and
  several scripts need them, and they neither reorder nor hide anything;
- line and paragraph separators (U+2028, U+2029) and lone surrogates (which a UTF-8 terminal
  cannot even be sent).

A tab becomes one space. The escapes are plain ASCII, so an escaped string never contains a
control character, and `visible()` of its own output changes nothing. A literal backslash
sequence typed by the server (``\\x1b`` as four characters) looks the same as an escaped ESC:
both are harmless, and the stored original tells them apart.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from typing import Any

#: Unicode categories whose characters are shown escaped.
ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: Format characters kept as they are (joiners needed by emoji and several scripts).
KEPT_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": " "}


def needs_escape(char: str) -> bool:
    """True for a character `visible()` does not show as is (a tab included)."""
    if char == "\t":
        return True
    return (unicodedata.category(char) in ESCAPED_CATEGORIES
            and char not in KEPT_FORMAT_CHARACTERS)


def _code(char: str) -> str:
    point = ord(char)
    if point <= 0xFF:
        return f"\\x{point:02x}"
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


@lru_cache(maxsize=4096)
def _shown(char: str, multiline: bool) -> str:
    if multiline and char == "\n":
        return char
    if not needs_escape(char):
        return char
    return _NAMED.get(char) or _code(char)


def _more(count: int) -> str:
    return f"… ({count} more character{'s' if count != 1 else ''})"


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, saying how many more there were (no escaping)."""
    if len(text) <= limit:
        return text
    return text[:limit] + _more(len(text) - limit)


def clip_strings(value: Any, limit: int) -> Any:
    """A JSON value with every string in it (keys too) cut by `clip` (no escaping)."""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, dict):
        return {clip(str(k), limit): clip_strings(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [clip_strings(v, limit) for v in value]
    return value


def visible(text: str, limit: int | None = None, *, multiline: bool = False) -> str:
    """`text` with every control and format character shown as an escape; clipped to about
    `limit` characters (then "… (N more characters)", N counted in `text`).

    `multiline` keeps line feeds (for text whose line breaks are the console's own, such as
    indented JSON); every other control character is still escaped.
    """
    if not isinstance(text, str):
        text = str(text)
    rest = 0
    if limit is not None and len(text) > limit:
        rest = len(text) - limit
        text = text[:limit]
    if text.isprintable() or (  # the common case, at C speed
            multiline and all(line.isprintable() for line in text.split("\n"))):
        return text + (_more(rest) if rest else "")
    pieces: list[str] = []
    used = 0
    for index, char in enumerate(text):
        piece = _shown(char, multiline)
        if limit is not None and used + len(piece) > limit:
            rest += len(text) - index
            break
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces) + (_more(rest) if rest else "")


def _json_escape(char: str) -> str:
    point = ord(char)
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    point -= 0x10000
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


def json_dumps(value: Any, **options: Any) -> str:
    """`json.dumps` for a terminal: non-ASCII text stays readable, but every character that
    `visible()` would escape is written as a JSON ``\\uXXXX`` escape, so the output is valid
    JSON, means the same, and holds no control character except the indentation's newlines.

    (`json.dumps` escapes C0 controls itself; with ``ensure_ascii=False`` it writes DEL, C1
    controls, bidi overrides and lone surrogates raw.)
    """
    options.setdefault("ensure_ascii", False)
    text = json.dumps(value, **options)
    if all(line.isprintable() for line in text.split("\n")):
        return text
    return "".join(_json_escape(c) if c != "\n" and needs_escape(c) else c for c in text)
