"""The do-not-call list: one number a line, in any format the call form accepts; `#` comments.

Numbers are compared in E.164, so `+1 (415) 555-0100`, `415 555 0100` (default region US) and
`+14155550100` are the same entry. A line that is not a number is an error naming file and line:
a DNC list that silently skips an entry would dial someone who asked not to be called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from console.store.input_files import InputFileError, decode_utf8, read_limited
from console.telephony.phone import PhoneError, parse_phone

#: Largest DNC file read.
MAX_DNC_BYTES = 64 * 1024 * 1024


class DncError(InputFileError):
    """The DNC file cannot be used; str() names the file and line."""


@dataclass
class DoNotCall:
    numbers: frozenset[str] = frozenset()
    files: list[str] = field(default_factory=list)

    def __contains__(self, e164: object) -> bool:
        return e164 in self.numbers

    def __len__(self) -> int:
        return len(self.numbers)


def parse_dnc(text: str, *, region: str = "US", path: str = "<dnc>",
              shown: str | None = None) -> frozenset[str]:
    numbers: set[str] = set()
    for line_no, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            numbers.add(parse_phone(entry, region).e164)
        except PhoneError as exc:
            raise DncError(f"{entry!r}: {exc}", file=path, shown=shown, line=line_no) from None
    return frozenset(numbers)


def read_dnc(paths: list[os.PathLike[str] | str], *, region: str = "US") -> DoNotCall:
    """Every number of every file (the `dnc_file` setting and `--dnc` add up)."""
    numbers: set[str] = set()
    names = []
    for path in paths:
        try:
            raw = read_limited(path, MAX_DNC_BYTES, what="do-not-call list")
            text = decode_utf8(raw, file=path)
        except InputFileError as exc:
            raise DncError(exc.message, file=exc.file, line=exc.line, unreadable=exc.unreadable,
                           missing=exc.missing) from None
        numbers |= parse_dnc(text, region=region, path=os.fspath(path))
        names.append(os.fspath(path))
    return DoNotCall(frozenset(numbers), names)
