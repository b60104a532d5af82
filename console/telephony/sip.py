"""LiveKit SIP rules the client checks before sending: DTMF sequences, custom X- headers and
the caller-ID display name.

LiveKit silently drops DTMF characters it does not know, and a CR/LF in a header value or in
the display name (which goes into the From header) could smuggle in a header of its own, so
all are rejected here with the position of the culprit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DTMF_ALLOWED",
    "DTMF_TONE_SECONDS",
    "DTMF_PAUSE_SECONDS",
    "DtmfIssue",
    "check_dtmf",
    "dtmf_play_seconds",
    "format_play_time",
    "HeaderIssue",
    "MAX_HEADER_NAME",
    "MAX_HEADER_VALUE",
    "check_header_name",
    "check_header_value",
    "check_headers",
    "headers_to_dict",
    "parse_header_line",
    "check_display_name",
]

DTMF_ALLOWED = "0123456789*#abcdw"
DTMF_TONE_SECONDS = 0.5   # each digit: 250 ms tone + 250 ms gap
DTMF_PAUSE_SECONDS = 0.5  # 'w'
_DTMF_LIST = "0-9 * # a-d w"

MAX_HEADER_NAME = 255
MAX_HEADER_VALUE = 1024
_TOKEN_PUNCT = "-.!%*_+`'~"
_TOKEN_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + _TOKEN_PUNCT)
_TOKEN_LIST = "letters, digits and " + " ".join(_TOKEN_PUNCT)

_NAMES = {
    " ": "a space", "\t": "a tab", ",": "a comma", ";": "a semicolon", ":": "a colon",
    "-": "a dash", ".": "a full stop", "+": "a plus sign", "@": "an at sign",
    "p": "a dialer pause", "P": "a dialer pause",
    "\r": "a carriage return", "\n": "a line feed", "\x00": "a NUL byte",
}
_PAUSE_LIKE = frozenset(",;pPW")


def _describe(ch: str) -> str:
    """Name a character unambiguously: "',' (a comma)", "(a space)", "'é' (U+00E9)", "U+0007"."""
    visible = ch.isprintable() and ch != " "
    if ch in _NAMES:
        return f"'{ch}' ({_NAMES[ch]})" if visible else f"({_NAMES[ch]})"
    if not visible:
        return f"U+{ord(ch):04X}"
    return f"'{ch}'" if ch.isascii() else f"'{ch}' (U+{ord(ch):04X})"


# --- DTMF -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DtmfIssue:
    position: int   # 1-based position of the first bad character
    char: str
    message: str


def check_dtmf(sequence: str) -> DtmfIssue | None:
    """The first character LiveKit would drop, or None when the whole sequence is sendable."""
    for pos, ch in enumerate(sequence, start=1):
        if ch in DTMF_ALLOWED:
            continue
        if ch in "ABCD":
            hint = "use lowercase a-d"
        elif ch == "W":
            hint = "use lowercase w for a pause"
        else:
            hint = "LiveKit would silently drop it"
            if ch in _PAUSE_LIKE:
                hint += "; use w for a 0.5 s pause"
            hint += f". Allowed: {_DTMF_LIST}"
        return DtmfIssue(pos, ch, f"character {pos} {_describe(ch)} is not allowed: {hint}")
    return None


def dtmf_play_seconds(sequence: str) -> float:
    """How long the sequence takes to play; characters LiveKit would drop count for nothing."""
    pauses = sequence.count("w")
    tones = sum(1 for ch in sequence if ch in DTMF_ALLOWED and ch != "w")
    return tones * DTMF_TONE_SECONDS + pauses * DTMF_PAUSE_SECONDS


def format_play_time(seconds: float) -> str:
    """'0.0 s', '3.5 s', '1 min 2.5 s' (tenths of a second)."""
    tenths = max(0, round(seconds * 10))
    minutes, tenths = divmod(tenths, 600)
    secs = f"{tenths // 10}.{tenths % 10} s"
    return f"{minutes} min {secs}" if minutes else secs


# --- SIP headers ------------------------------------------------------------------------

@dataclass(frozen=True)
class HeaderIssue:
    row: int | None      # 0-based index into the rows checked; None for whole-set problems
    field: str           # 'name' or 'value'
    message: str


def check_header_name(name: str) -> str | None:
    """A message when `name` is not an acceptable custom header name, else None."""
    if not name:
        return "header name is empty"
    if len(name) > MAX_HEADER_NAME:
        return f"header name is {len(name)} characters long; the limit is {MAX_HEADER_NAME}"
    for pos, ch in enumerate(name, start=1):
        if ch not in _TOKEN_CHARS:
            return (f"character {pos} {_describe(ch)} is not allowed in a header name: "
                    f"use {_TOKEN_LIST}")
    if not name[:2].lower() == "x-":
        return ("header name must start with 'X-': the API only takes custom X-* headers, "
                "which keeps out the headers the SIP stack owns "
                "(Call-ID, From, To, Via, Contact, CSeq, …)")
    if len(name) == 2:
        return "header name needs something after 'X-'"
    return None


def check_header_value(value: str) -> str | None:
    """A message when `value` is not printable ASCII (tab allowed) or too long, else None."""
    if "\r" in value or "\n" in value:
        pos = min(i for i in (value.find("\r"), value.find("\n")) if i >= 0) + 1
        return f"contains a line break (CR/LF), which could inject a SIP header (character {pos})"
    if len(value) > MAX_HEADER_VALUE:
        return f"value is {len(value)} characters long; the limit is {MAX_HEADER_VALUE}"
    for pos, ch in enumerate(value, start=1):
        if ch != "\t" and not " " <= ch <= "~":
            kind = "a control character" if ch.isascii() else "not ASCII"
            return (f"character {pos} {_describe(ch)} is not allowed in a header value ({kind}): "
                    "use printable ASCII; tab is allowed")
    return None


def _is_blank(name: str, value: str) -> bool:
    return not name.strip() and not value.strip()


def check_headers(rows: Sequence[tuple[str, str]]) -> list[HeaderIssue]:
    """Every problem in a header table, in row order.

    Blank rows (empty name and value) are skipped: they are unused lines of the form.
    A duplicate name (case-insensitive) is reported on the later row.
    """
    issues: list[HeaderIssue] = []
    seen: dict[str, int] = {}
    for row, (name, value) in enumerate(rows):
        if _is_blank(name, value):
            continue
        name_msg = check_header_name(name)
        if name_msg:
            issues.append(HeaderIssue(row, "name", name_msg))
        else:
            key = name.lower()
            if key in seen:
                first = seen[key]
                issues.append(HeaderIssue(row, "name",
                    f"duplicate of row {first + 1} '{rows[first][0]}' (names are case-insensitive)"))
            else:
                seen[key] = row
        value_msg = check_header_value(value)
        if value_msg:
            issues.append(HeaderIssue(row, "value", value_msg))
    return issues


def headers_to_dict(rows: Sequence[tuple[str, str]]) -> dict[str, str]:
    """`custom_headers` for the request: valid, non-blank rows in order, names as typed."""
    rows = list(rows)
    bad = {issue.row for issue in check_headers(rows)}
    return {name: value for row, (name, value) in enumerate(rows)
            if row not in bad and not _is_blank(name, value)}


def parse_header_line(line: str) -> tuple[str, str]:
    """'X-Name: value' -> ('X-Name', 'value'); the value keeps everything after one optional space."""
    name, sep, value = line.partition(":")
    if not sep:
        raise ValueError(f"no colon in {line!r}: write a header as 'X-Name: value'")
    if value.startswith(" "):
        value = value[1:]
    return name.strip(), value


# --- display name -----------------------------------------------------------------------

#: Characters that reorder the text around them: a display name could show another name.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_display_name(name: str) -> str | None:
    """A message when the caller-ID display name holds a character that must not reach the
    SIP From header, else None. Any printable text is fine (accents, other scripts, emoji);
    refused are line breaks (they could inject a header, like in a header value), every
    other control character, line and paragraph separators, bidirectional overrides (they
    make a name read as another), and lone surrogates (not text at all)."""
    for pos, ch in enumerate(name, start=1):
        if ch in "\r\n":
            return (f"contains a line break (CR/LF), which could inject a SIP header "
                    f"(character {pos})")
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F or ch in "\u2028\u2029":
            return (f"character {pos} {_describe(ch)} is not allowed in a display name "
                    "(a control character)")
        if ch in _BIDI_CONTROLS:
            return (f"character {pos} {_describe(ch)} is not allowed in a display name "
                    "(it reorders the text around it)")
        if 0xD800 <= code <= 0xDFFF:
            return (f"character {pos} {_describe(ch)} is not allowed in a display name "
                    "(half of a UTF-16 pair, not a character)")
    return None
