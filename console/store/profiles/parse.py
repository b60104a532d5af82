"""The text of a profiles file or bundle -> TOML -> validated `Profiles`, or a located error.

Every problem is a `ProfilesError` naming the file, the line and the key where they are known:
bad UTF-8, TOML that does not parse (or is past the console's limits: `console.config.toml_input`),
and every issue the schema's checks find. No I/O here: the store reads and writes the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from console.store.profiles.errors import ProfilesError, located
from console.store.profiles.model import Profiles
from console.store.profiles.validation import Previous, validate_data


def parse_profiles(raw: bytes | None, *, file: Path) -> Profiles:
    """Bytes of a profiles file (None: there is no file) -> Profiles, or ProfilesError naming
    file, line and key."""
    return read_profiles(raw, file=file)[1]


def read_profiles(raw: bytes | None, *, file: Path, previous: Previous | None = None
                  ) -> tuple[dict[str, Any], Profiles]:
    """Like `parse_profiles`, with the parsed data too; entries unchanged since `previous`
    keep their validated models (see `validate_data`)."""
    if raw is None:
        return {}, Profiles()
    from console.store.input_files import InputFileError, decode_utf8

    try:
        text = decode_utf8(raw, file=file)
    except InputFileError as exc:
        raise ProfilesError(exc.message, file=file, line=exc.line) from None
    data = parse_toml(text, file=file)
    return data, validated(text, data, file=file, previous=previous)


def parse_toml(text: str, *, file: Path | None) -> dict[str, Any]:
    """Parsed TOML, or ProfilesError with the line (deep nesting and huge numbers too)."""
    import tomllib

    from console.config import toml_input

    try:
        return toml_input.loads(text)
    except toml_input.TomlInputError as exc:  # valid TOML, past the console's limits
        raise ProfilesError(exc.reason, file=file, line=exc.line) from None
    except tomllib.TOMLDecodeError as exc:
        message, line = _toml_error(text, exc)
        raise ProfilesError(message, file=file, line=line) from None


def validated(text: str, data: Mapping[str, Any], *, file: Path | None,
              previous: Previous | None = None) -> Profiles:
    """`data` (parsed from `text`) as Profiles, or ProfilesError locating every issue."""
    profiles, issues = validate_data(data, previous)
    if issues:
        raise located(issues, text, file)
    assert profiles is not None
    return profiles


def check_edit(text: str, *, file: Path, previous: Previous | None = None
               ) -> tuple[dict[str, Any], Profiles]:
    """Validate the text an edit produced; problems name the key (the file is untouched).
    With `previous` (what the edit started from) only the entries it changed are checked
    again, with the names and references of the whole file."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - an editor bug
        raise ProfilesError(f"internal error: the edit produced invalid TOML ({exc}); "
                            "nothing was written", file=file) from None
    profiles, issues = validate_data(data, previous)
    if issues:
        raise located(issues, None, None)
    assert profiles is not None
    return data, profiles


def _toml_error(text: str, exc: Exception) -> tuple[str, int | None]:
    message = str(exc)
    match = re.search(r"at line (\d+)", message)
    if match:
        line: int | None = int(match.group(1))
    elif "end of document" in message:
        line = max(1, len(text.splitlines()))
    else:
        line = None
    message = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", message)
    return f"not valid TOML: {message}", line
