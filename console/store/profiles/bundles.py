"""Profile bundles: a TOML file of some or all profiles, to move them between stores.

Export writes the whole file as it is (comments included) or a new bundle of some kinds.
Import parses and checks a bundle (`parse_bundle`), then the store applies `import_edit` as one
of its writes (lock, re-read, validate the whole result, atomic write) and reports what was
added, changed, removed, unchanged or left conflicting.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.limits import PROFILES_MAX_BYTES
from console.store.profiles.edit import ProfilesEditor
from console.store.profiles.errors import located
from console.store.profiles.model import (
    KINDS,
    SCHEMA_VERSION,
    SECTIONS,
    Issue,
    Kind,
    Profiles,
    check_name,
    entry_plain,
    parse_kind,
)
from console.store.profiles.parse import parse_toml
from console.store.profiles.references import match_name
from console.store.profiles.validation import validate_entry


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do), as (kind id, name) pairs."""

    mode: str
    added: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    conflicting: list[tuple[str, str]] = field(default_factory=list)
    written: bool = False

    BUCKETS = ("added", "changed", "removed", "unchanged", "conflicting")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode, "written": self.written}
        for bucket in self.BUCKETS:
            out[bucket] = [{"kind": k, "name": n} for k, n in getattr(self, bucket)]
        return out

    def lines(self) -> list[str]:
        out = []
        for bucket in self.BUCKETS:
            for kind, name in getattr(self, bucket):
                note = " (kept the store's version; --overwrite takes the bundle's)" \
                    if bucket == "conflicting" else ""
                out.append(f"{bucket:<11} {KINDS[kind].cli} {name}{note}")
        return out


def export_text(profiles: Profiles, file_text: str,
                kinds: Iterable[str | Kind] | None = None) -> str:
    """TOML of the whole store (`file_text`: the file as written, comments included) when no
    kind or every kind is chosen, else a new bundle of the chosen kinds' entries."""
    chosen = [k if isinstance(k, Kind) else parse_kind(k) for k in (kinds or [])]
    if not chosen or {k.id for k in chosen} == set(KINDS):
        return file_text
    editor = ProfilesEditor(
        "# call-console profiles bundle: "
        + ", ".join(k.section for k in chosen) + "\n"
        + f"schema_version = {SCHEMA_VERSION}\n")
    for kind in KINDS.values():
        if kind not in chosen:
            continue
        for name, entry in profiles.section(kind).items():
            editor.add_entry(kind.section, name, entry_plain(kind, entry))
    return editor.text


def parse_bundle(text: str, file: Path | None) -> dict[str, dict[str, Any]]:
    """A bundle's entries by section, each checked on its own (the store checks the result of
    an import as a whole); ProfilesError locating every problem in `text`."""
    data = parse_toml(text, file=file)
    issues: list[Issue] = []
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION or isinstance(version, bool):
        issues.append(Issue(("schema_version",),
                            f"this bundle is schema version {version!r}; this call-console "
                            f"reads version {SCHEMA_VERSION}"))
    out: dict[str, dict[str, Any]] = {}
    for section, raw in data.items():
        if section == "schema_version":
            continue
        kind = SECTIONS.get(section)
        if kind is None:
            issues.append(Issue((section,), "unknown section (expected "
                                            + ", ".join(SECTIONS) + ")"))
            continue
        if not isinstance(raw, Mapping):
            issues.append(Issue((section,), "must be a table"))
            continue
        out[section] = {}
        for name, entry_raw in raw.items():
            if message := check_name(name):
                issues.append(Issue((section, name), message))
                continue
            entry, entry_issues = validate_entry(kind, name, entry_raw)
            issues += entry_issues
            if entry is not None:
                out[section][name] = entry
    if issues:
        raise located(issues, text, file)
    return out


def import_edit(incoming: Mapping[str, Mapping[str, Any]], *, mode: str,
                overwrite: bool) -> Callable[[ProfilesEditor, Profiles], ImportReport]:
    """The edit that brings `incoming` (from `parse_bundle`) into the current profiles, for the
    store to apply as one write; it returns what it did. merge: new entries are added, one that
    exists with other content is reported as conflicting (overwrite=True takes the bundle's).
    replace: every kind present in the bundle ends up exactly as in the bundle."""

    def edit(editor: ProfilesEditor, current: Profiles) -> ImportReport:
        report = ImportReport(mode)
        for kind in KINDS.values():
            if kind.section not in incoming:
                continue
            theirs = incoming[kind.section]
            ours = current.section(kind)
            for name, entry in theirs.items():
                stored = match_name(ours, name)
                pair = (kind.id, stored or name)
                if stored is None:
                    editor.add_entry(kind.section, name, entry_plain(kind, entry))
                    report.added.append(pair)
                elif ours[stored].model_dump() == entry.model_dump():
                    report.unchanged.append(pair)
                elif mode == "replace" or overwrite:
                    editor.sync_entry(kind.section, stored, entry_plain(kind, entry))
                    report.changed.append(pair)
                else:
                    report.conflicting.append(pair)
            if mode == "replace":
                for stored in ours:
                    if match_name(theirs, stored) is None:
                        editor.remove_entry(kind.section, stored)
                        report.removed.append((kind.id, stored))
        return report

    return edit


def read_bundle_file(path: os.PathLike[str] | str, *, shown: str | None = None) -> str:
    """The text of a bundle to import: a regular file (a FIFO would block the reader, a device
    never ends) of at most PROFILES_MAX_BYTES, in UTF-8. Raises `InputFileError` naming the file
    as `shown` (and the line of a bad byte). The CLI and the TUI's import dialog both read here."""
    from console.store.input_files import decode_utf8, read_limited

    raw = read_limited(path, PROFILES_MAX_BYTES, what="bundle", shown=shown)
    return decode_utf8(raw, file=path, shown=shown)


def read_bundle_stream(stream: Any, *, shown: str = "<stdin>") -> str:
    """A bundle from an open binary stream (standard input), with the same cap and checks."""
    from console.store.input_files import decode_utf8, read_stream_limited

    raw = read_stream_limited(stream, PROFILES_MAX_BYTES, file=shown, what="bundle")
    return decode_utf8(raw, file=shown)
