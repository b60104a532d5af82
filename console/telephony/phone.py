"""Phone number parsing for the call form: strict E.164 out, one clear message on failure.

`phonenumbers` does the real work. Before it runs we reject characters it would quietly
accept (letters become keypad digits, `x` starts an extension), so the operator always
dials exactly the digits they typed.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, ValidationResult
from phonenumbers import timezone as pn_timezone

__all__ = [
    "PhoneError",
    "ParsedNumber",
    "parse_phone",
    "to_e164",
    "region_name",
    "is_known_region",
]

_NON_GEO = "001"  # phonenumbers' region code for +800, +882, ... numbers
_UNKNOWN_ZONE = "Etc/Unknown"
_E164_MAX_DIGITS = 15
# phonenumbers has no English name for these three.
_EXTRA_NAMES = {"AC": "Ascension Island", "TA": "Tristan da Cunha", "XK": "Kosovo"}

# Separators people paste between digits; all of them are dropped before parsing.
_SEPARATORS = frozenset(" \t-./()[]\u00a0\u2009\u202f\u3000\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d")
_ALLOWED = "digits, spaces and + - . ( ) /"

_TYPE_WORDS = {
    PhoneNumberType.FIXED_LINE: "fixed line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed line or mobile",
    PhoneNumberType.TOLL_FREE: "toll free",
    PhoneNumberType.PREMIUM_RATE: "premium rate",
    PhoneNumberType.SHARED_COST: "shared cost",
    PhoneNumberType.VOIP: "VoIP",
    PhoneNumberType.PERSONAL_NUMBER: "personal number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "universal access number",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown type",
}

_PARSE_ERRORS = {
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD:
        "too short after the international prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short to be a phone number",
    phonenumbers.NumberParseException.TOO_LONG: "too long to be a phone number",
}


class PhoneError(ValueError):
    """str(err) is a clear one-line message for the operator, e.g. 'not a valid number for United States (US)'."""


@dataclass(frozen=True)
class ParsedNumber:
    e164: str                   # strict E.164: '+' and digits, what the API gets
    international: str          # '+1 415-555-0000', for display
    region: str | None          # 'US'; None for non-geographic numbers (+800, +882, ...)
    region_name: str            # 'United States'
    time_zones: tuple[str, ...]  # IANA zones; empty when unknown
    number_type: str            # 'mobile', 'fixed line', 'toll free', 'VoIP', ...

    def _zone_times(self, now: datetime | None) -> list[tuple[str, datetime]]:
        now = _utc(now)
        out = []
        for name in self.time_zones:
            try:
                out.append((name, now.astimezone(ZoneInfo(name))))
            except (ZoneInfoNotFoundError, ValueError):
                continue  # zone missing from this machine's tz database
        return out

    def local_time(self, now: datetime | None = None) -> datetime | None:
        """The callee's wall clock in the number's first time zone; None when unknown."""
        times = self._zone_times(now)
        return times[0][1] if times else None

    def local_time_text(self, now: datetime | None = None) -> str:
        """'14:05 Tue (America/Los_Angeles)'; for several zones the earliest–latest clock."""
        times = self._zone_times(now)
        if not times:
            return ""
        if len(times) == 1:
            name, local = times[0]
            return f"{local:%H:%M %a} ({name})"
        by_offset = sorted((t for _, t in times), key=lambda t: t.utcoffset())
        first, last = by_offset[0], by_offset[-1]
        count = f"({len(times)} time zones)"
        if first.strftime("%H:%M %a") == last.strftime("%H:%M %a"):
            return f"{first:%H:%M %a} {count}"
        if first.date() == last.date():
            return f"{first:%H:%M}–{last:%H:%M} {count}"
        return f"{first:%H:%M %a}–{last:%H:%M %a} {count}"


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(dt_timezone.utc)
    if now.tzinfo is None:  # be forgiving: a naive `now` is taken as UTC
        return now.replace(tzinfo=dt_timezone.utc)
    return now


_NAME_PAIR = re.compile(
    r"""'(\w+)':(?:u\(("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\)|('(?:[^'\\]|\\.)*'))""")


@functools.cache
def _english_region_names() -> dict[str, str]:
    """Region code → English name, read from phonenumbers' locale table.

    Importing `phonenumbers.geocoder` would load every number-prefix description in every
    language (~100 MB and ~200 ms) just for these 250 names, so the table's source file is
    scanned instead (~20 ms, ~1 MB).
    """
    spec = importlib.util.find_spec("phonenumbers")
    if spec is None or spec.origin is None:  # pragma: no cover - phonenumbers is a dependency
        return {}
    path = os.path.join(os.path.dirname(spec.origin), "geodata", "locale.py")
    names: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as table:
            for line in table:
                if not line.startswith("  '") or "{" not in line:
                    continue
                code = line[3:line.index("'", 3)]
                values = {lang: quoted or plain
                          for lang, quoted, plain in _NAME_PAIR.findall(line[line.index("{"):])}
                name = ast.literal_eval(values.get("en", "''"))
                if name.startswith("*"):  # "*xx": the same name as language xx
                    name = ast.literal_eval(values.get(name[1:], "''"))
                names[code] = name
    except (OSError, ValueError, SyntaxError):  # pragma: no cover - table changed shape
        return {}
    return names


def region_name(code: str) -> str:
    """'US' -> 'United States'; unknown codes come back unchanged."""
    code = (code or "").strip().upper()
    if code == _NON_GEO:
        return "non-geographic"
    name = _english_region_names().get(code, "")
    return name or _EXTRA_NAMES.get(code, code)


def is_known_region(code: str) -> bool:
    """True for an ISO region phonenumbers knows ('US', 'gb'), for validating the default region."""
    return isinstance(code, str) and code.strip().upper() in phonenumbers.SUPPORTED_REGIONS


def _char_name(ch: str) -> str:
    if ch.isprintable():
        return f"'{ch}'"
    return f"U+{ord(ch):04X}"


def _clean(text: str) -> str:
    """'+' (when present) and ASCII digits, or PhoneError naming the first bad character."""
    out: list[str] = []
    for pos, ch in enumerate(text, start=1):
        if ch in _SEPARATORS or unicodedata.category(ch) == "Zs":
            continue
        if ch == "+":
            if out:
                raise PhoneError(f"character {pos} '+' is not allowed here: '+' may only start the number")
            out.append("+")
            continue
        digit = unicodedata.decimal(ch, None)
        if digit is not None:
            out.append(str(digit))
            continue
        if ch.isalpha():
            raise PhoneError(f"character {pos} {_char_name(ch)} is a letter: a phone number takes "
                             f"only {_ALLOWED}")
        raise PhoneError(f"character {pos} {_char_name(ch)} is not allowed in a phone number: "
                         f"use only {_ALLOWED}")
    return "".join(out)


def _place(number: phonenumbers.PhoneNumber, default_region: str) -> str | None:
    """'United States (US)' for messages, or None for non-geographic / unknown codes."""
    region = phonenumbers.region_code_for_country_code(number.country_code)
    if phonenumbers.country_code_for_region(default_region) == number.country_code:
        region = default_region  # '+1 ...' typed by a Canadian operator reads as Canada
    if region in (_NON_GEO, "ZZ"):
        return None
    return f"{region_name(region)} ({region})"


def _checked(text: str, default_region: str) -> tuple[phonenumbers.PhoneNumber, str]:
    """The parsed number and its E.164 form, or PhoneError saying why it is not valid."""
    if not isinstance(text, str) or not text.strip():
        raise PhoneError("phone number is empty")
    region = (default_region or "").strip().upper() or "ZZ"
    cleaned = _clean(text)
    digits = cleaned.lstrip("+")
    if not digits:
        raise PhoneError("not a phone number: it has no digits")
    if len(digits) < 3:
        raise PhoneError("too short to be a phone number")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(_parse_error_message(exc, cleaned, region)) from None

    valid = phonenumbers.is_valid_number(number)
    reason = phonenumbers.is_possible_number_with_reason(number)
    # Short codes such as Canada's 310-xxxx are "local only" yet valid: let those through.
    if reason != ValidationResult.IS_POSSIBLE and not (
            valid and reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise PhoneError(_possible_message(reason, number, _place(number, region)))
    if not valid:
        place = _place(number, region)
        raise PhoneError(f"not a valid number for {place}" if place else "not a valid number")

    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if len(e164) > _E164_MAX_DIGITS + 1:
        # phonenumbers accepts a few longer German numbers; E.164 itself stops at 15 digits.
        raise PhoneError(f"too long: an international number has at most {_E164_MAX_DIGITS} digits")
    return number, e164


def parse_phone(text: str, default_region: str = "US") -> ParsedNumber:
    """Parse what the operator typed; national numbers use `default_region`.

    A leading '00' is taken as the international prefix ('00 44 20 ...' -> '+44 20 ...') in
    every region, because that is how most of the world writes it.
    """
    number, e164 = _checked(text, default_region)

    code = phonenumbers.region_code_for_number(number)
    geo = None if code in (None, _NON_GEO, "ZZ") else code
    name = region_name(geo) if geo else region_name(_NON_GEO)
    zones = tuple(z for z in pn_timezone.time_zones_for_number(number) if z != _UNKNOWN_ZONE)
    return ParsedNumber(
        e164=e164,
        international=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        region=geo,
        region_name=name,
        time_zones=zones,
        number_type=_TYPE_WORDS.get(phonenumbers.number_type(number), "unknown type"),
    )


def _parse_error_message(exc: phonenumbers.NumberParseException, cleaned: str, region: str) -> str:
    if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        if cleaned.startswith("+"):
            return "unknown country code after '+'"
        return (f"no country code: start with + and the country code "
                f"(the default region {region!r} is not known)")
    return _PARSE_ERRORS.get(exc.error_type, "not a phone number")


def _possible_message(reason: int, number: phonenumbers.PhoneNumber, place: str | None) -> str:
    where = f" for {place}" if place else f" for +{number.country_code}"
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        return f"unknown country code +{number.country_code}"
    if reason == ValidationResult.TOO_SHORT:
        return "too short" + where
    if reason == ValidationResult.TOO_LONG:
        return "too long" + where
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return f"too short{where}: include the area code"
    return "wrong number of digits" + where


def to_e164(text: str, default_region: str = "US") -> str:
    """Strict E.164 ('+' and digits) for the API, or PhoneError: the checks of `parse_phone`
    without working out zones, type and display forms (a third of its cost; a profiles file
    checks 1,500 numbers)."""
    return _checked(text, default_region)[1]
