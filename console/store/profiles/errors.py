"""What goes wrong with profiles, located: `profiles.toml:14: caller_ids.sales.number: ...`.

`ProfilesError` is a `ConfigError`, so every face reports it the way it reports a bad config
file; the subclasses tell a refused write (`ProfilesReadOnly`), a missing or taken name and an
entry still in use apart. `located` turns the schema's `Issue`s into one error that holds them
all, each on its line of the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from console.config.settings import ConfigError
from console.store.profiles.scan import find_line

if TYPE_CHECKING:
    from console.store.profiles.model import Issue
    from console.store.profiles.references import Reference


@dataclass(frozen=True)
class LocatedIssue:
    """One problem, located: `profiles.toml:14: caller_ids.sales.number: not a valid number`."""

    file: Path | None
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        if self.key:
            where += f"{self.key}: "
        return where + self.message


class ProfilesError(ConfigError):
    """A profiles problem. str() is `FILE:LINE: KEY: message` (the parts that are known);
    `issues` holds every problem found when a whole file was checked."""

    def __init__(self, message: str, *, file: Path | None = None, line: int | None = None,
                 key: str | None = None, issues: Sequence[LocatedIssue] = ()):
        super().__init__(message, file=file, line=line, key=key)
        self.message = message
        self.issues: list[LocatedIssue] = list(issues) or [
            LocatedIssue(file, line, key, message)]


class ProfilesReadOnly(ProfilesError):
    """A write refused because the file on disk does not parse or validate (it is left as is)."""

    def __init__(self, cause: ProfilesError):
        super().__init__(cause.message, file=cause.file, line=cause.line, key=cause.key,
                         issues=cause.issues)
        self.cause = cause


class ProfileNotFound(ProfilesError):
    """No entry of that kind and name."""


class ProfileExists(ProfilesError):
    """An entry of that kind already has that name (names are case-insensitive)."""


class ProfileInUse(ProfilesError):
    """The entry is referenced (by templates or caller IDs); `references` lists by whom."""

    def __init__(self, message: str, *, key: str | None = None,
                 references: Sequence[Reference] = ()):
        super().__init__(message, key=key)
        self.references = list(references)


def located(issues: Sequence[Issue], text: str | None, file: Path | None) -> ProfilesError:
    """One ProfilesError for `issues`: each located on its line of `text` (when given), sorted
    by line; the error's own message, line and key are the first one's."""
    found = [LocatedIssue(file, find_line(text, issue.path) if text is not None else None,
                          issue.key if issue.path else None, issue.message)
             for issue in issues]
    found.sort(key=lambda i: (i.line is None, i.line or 0))
    first = found[0]
    return ProfilesError(first.message, file=file, line=first.line, key=first.key,
                         issues=found)
