"""Saved profiles: agents, caller IDs, SIP header sets and call templates, in one TOML file.

    store = ProfilesStore()                      # paths.profiles_file(), region for numbers
    store.load()                                 # ProfilesError (file, line, key) when bad
    store.add_agent("sales", "3c90c3cc-...", watch=True)
    store.add_caller_id("main", "+1 415 555 0100", agents=["sales"])
    store.add_header_set("crm", {"X-Campaign": "fall"})
    store.add_template("fall", agent="sales", caller_id="main", header_sets=["crm"],
                       fields={"priority": "high"}, context={"campaign": "fall"})
    resolution = store.resolve_template("fall")  # values for check_draft + sources + conflicts

Every write takes the file lock, re-reads the file, applies its one change to what is there now
(so two operators never lose each other's edits), validates the result with the Call form's own
rules and replaces the file atomically. A file that does not parse or validate is never written:
the store keeps the last good profiles for reading and every write raises `ProfilesReadOnly`
with the same located message until someone fixes the file.

No Textual here: the CLI, the TUI and tests share this module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from console import paths
from console.config import ConfigError
from console.limits import PROFILES_MAX_BYTES
from console.store.atomic import LockTimeout, atomic_write, file_lock, remove_stale_temp_files
from console.store.profiles.edit import EditError, ProfilesEditor
from console.store.profiles.model import (
    ENTRY_MODELS,
    FIELD_TYPES,
    KINDS,
    SCHEMA_VERSION,
    SECTIONS,
    Agent,
    CallerId,
    HeaderSet,
    Issue,
    Kind,
    Profiles,
    Template,
    check_name,
    format_key,
    parse_kind,
)
from console.store.profiles.scan import find_line
from console.store.profiles.validation import validate_entry

__all__ = [
    "ProfilesStore", "ProfilesError", "ProfilesReadOnly", "ProfileNotFound", "ProfileExists",
    "ProfileInUse", "LocatedIssue", "Reference", "HeaderConflict", "TemplateResolution",
    "ImportReport", "TemplateDraft", "Agent", "CallerId", "HeaderSet", "Template", "Profiles",
    "Kind", "KINDS", "FIELD_TYPES", "parse_kind", "check_name", "entry_plain", "merge_header_sets",
    "read_bundle_file", "read_bundle_stream",
]

T = TypeVar("T")

NEW_FILE_HEADER = (
    "# call-console saved profiles: agents, caller IDs, SIP header sets and call templates.\n"
    "# Edit it by hand or with `call-console profiles ...`: comments and order are kept.\n"
    "# Check it with `call-console profiles validate`.\n"
    f"schema_version = {SCHEMA_VERSION}\n"
)
FILE_MODE = 0o600  # operator data, private as every file of the console; an existing file
#                   keeps its own mode


# --- errors ---------------------------------------------------------------------------------

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


# --- results --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """`kind` entry `name` refers to something through its key `key`."""

    kind: str   # kind id of the referrer: "template" or "caller_id"
    name: str
    key: str    # "agent", "caller_id", "header_sets" (templates) or "agents" (caller IDs)

    def __str__(self) -> str:
        return f"{KINDS[self.kind].label} {self.name!r} ({self.key})"


@dataclass(frozen=True)
class HeaderConflict:
    """Two header sets of a template set one header (case-insensitive) to different values."""

    header: str
    first_set: str
    first_value: str
    later_set: str
    later_value: str

    @property
    def message(self) -> str:
        return (f"{self.header}: header set {self.later_set!r} sets {self.later_value!r}, "
                f"overriding {self.first_value!r} from {self.first_set!r}")

    def __str__(self) -> str:
        return self.message


@dataclass
class TemplateResolution:
    """What a template puts in the Call form.

    values: request fields ready for `draft.check_draft` — `agent_id` (UUID), `from_number`
        (E.164), `display_name`, `custom_headers` (merged rows), `context` and field defaults;
        only what the template sets (the API defaults fill the rest).
    sources: field -> where its value came from: "template:NAME", "agent:NAME",
        "caller_id:NAME", or "header_set:A" / "header_set:A+B" for custom_headers.
    header_sources: header name -> "header_set:NAME" that gave its final value.
    conflicts: headers set to different values by two of the template's sets (later wins).
    """

    name: str
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    header_sources: dict[str, str] = field(default_factory=dict)
    conflicts: list[HeaderConflict] = field(default_factory=list)
    agent: str | None = None
    caller_id: str | None = None
    header_sets: list[str] = field(default_factory=list)

    def merged(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The template's values with `overrides` on top (what the operator typed wins).

        Overrides that are None or "" leave the template's value. `custom_headers` merge by
        name (case-insensitive; an override replaces the template's header of that name),
        `context` merges key by key (a context that is not an object is passed on as is, so
        check_draft reports it).
        """
        from console.draft import parse_context

        out = dict(self.values)
        for key, value in overrides.items():
            if key == "custom_headers":
                rows = list(out.get("custom_headers", []))
                extra = list(value.items()) if isinstance(value, Mapping) else list(value or [])
                for name, header_value in extra:
                    for index, (existing, _) in enumerate(rows):
                        if existing.lower() == str(name).lower():
                            rows[index] = (name, header_value)
                            break
                    else:
                        rows.append((name, header_value))
                out["custom_headers"] = rows
            elif key == "context":
                parsed, problem = (parse_context(value) if isinstance(value, str)
                                   else (value, None))
                if problem or not isinstance(parsed, dict):
                    out["context"] = value
                elif parsed:
                    out["context"] = {**out.get("context", {}), **parsed}
            elif value is not None and value != "":
                out[key] = value
        return out

    def check(self, overrides: Mapping[str, Any] | None = None, *, region: str = "US"):
        """`check_draft` of the merged values: a DraftResult."""
        from console.draft import check_draft

        return check_draft(self.merged(overrides or {}), region=region)

    def to_dict(self) -> dict[str, Any]:
        values = dict(self.values)
        if "custom_headers" in values:
            values["custom_headers"] = dict(values["custom_headers"])
        return {
            "template": self.name, "agent": self.agent, "caller_id": self.caller_id,
            "header_sets": list(self.header_sets), "values": values,
            "sources": dict(self.sources), "header_sources": dict(self.header_sources),
            "conflicts": [c.__dict__ | {"message": c.message} for c in self.conflicts],
        }


@dataclass
class TemplateDraft:
    """What "save as template" would store for a filled-in Call form (see
    `ProfilesStore.template_from_values`). `unsaved` holds the values that match no saved
    profile (`agent_id`, `from_number`, `custom_headers`, or a `context` text that is not an
    object), so the UI can offer to save those first."""

    agent: str | None = None
    caller_id: str | None = None
    header_sets: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    unsaved: dict[str, Any] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `ProfilesStore.add_template(name, **kwargs)`."""
        return {"agent": self.agent, "caller_id": self.caller_id,
                "header_sets": list(self.header_sets), "fields": dict(self.fields),
                "context": dict(self.context)}


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


# --- helpers --------------------------------------------------------------------------------

def entry_plain(kind: str | Kind, entry: Any) -> dict[str, Any]:
    """An entry as the plain dict written to the file, key order fixed, defaults as None."""
    kind = kind if isinstance(kind, Kind) else parse_kind(kind)
    notes = entry.notes or None
    if kind.id == "agent":
        return {"id": entry.id, "watch": True if entry.watch else None, "notes": notes}
    if kind.id == "caller_id":
        return {"number": entry.number, "display_name": entry.display_name,
                "agents": list(entry.agents) or None, "notes": notes}
    if kind.id == "header_set":
        return {"notes": notes, "headers": dict(entry.headers) or None}
    return {"agent": entry.agent, "caller_id": entry.caller_id,
            "header_sets": list(entry.header_sets) or None, "notes": notes,
            "fields": dict(entry.fields) or None, "context": dict(entry.context) or None}


def merge_header_sets(sets: Sequence[tuple[str, Mapping[str, str]]]) -> tuple[
        list[tuple[str, str]], dict[str, str], list[HeaderConflict]]:
    """Merge header sets in order: (rows, header -> source, conflicts). A later set wins; a
    header set twice to different values (names compared case-insensitively) is a conflict."""
    rows: list[tuple[str, str]] = []
    where: dict[str, int] = {}
    origin: dict[str, str] = {}
    conflicts: list[HeaderConflict] = []
    for set_name, headers in sets:
        for name, value in headers.items():
            folded = name.lower()
            if folded in where:
                index = where[folded]
                old_name, old_value = rows[index]
                if old_value != value:
                    conflicts.append(HeaderConflict(name, origin[folded], old_value, set_name,
                                                    value))
                rows[index] = (name, value)
            else:
                where[folded] = len(rows)
                rows.append((name, value))
            origin[folded] = set_name
    sources = {rows[index][0]: f"header_set:{origin[folded]}" for folded, index in where.items()}
    return rows, sources, conflicts


def _match(names: Iterable[str], name: str) -> str | None:
    """The stored name for `name`: exact, else the one equal ignoring case."""
    names = list(names)
    if name in names:
        return name
    folded = name.lower()
    return next((n for n in names if n.lower() == folded), None)


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


def _referrers(profiles: Profiles, kind: Kind, name: str) -> list[Reference]:
    refs = []
    if kind.id == "agent":
        for cname, caller in profiles.caller_ids.items():
            if name in caller.agents:
                refs.append(Reference("caller_id", cname, "agents"))
    for tname, template in profiles.templates.items():
        if kind.id == "agent" and template.agent == name:
            refs.append(Reference("template", tname, "agent"))
        elif kind.id == "caller_id" and template.caller_id == name:
            refs.append(Reference("template", tname, "caller_id"))
        elif kind.id == "header_set" and name in template.header_sets:
            refs.append(Reference("template", tname, "header_sets"))
    return refs


def _write_failure(exc: OSError, path: Path) -> str:
    """'cannot write: Not a directory (/cfg)': the reason, and the path it is about when that
    is not the profiles file itself (its directory, the lock file)."""
    reason = exc.strerror or str(exc)
    other = exc.filename if exc.filename not in (None, str(path), path) else None
    return f"cannot write: {reason}" + (f" ({other})" if other else "")


class _DryRun(Exception):
    def __init__(self, result: Any):
        self.result = result


# --- the store ------------------------------------------------------------------------------

class ProfilesStore:
    """The profiles file: read, query, and change one entry at a time, safely."""

    def __init__(self, path: os.PathLike[str] | str | None = None, *, region: str = "US",
                 lock_timeout: float = 10.0):
        self.path = Path(path) if path is not None else paths.profiles_file()
        self.region = region
        self.lock_timeout = lock_timeout
        self._profiles = Profiles()
        self._text: str | None = None
        self._error: ProfilesError | None = None
        self._signature: tuple[int, int, int] | None = None
        self._loaded = False

    def __repr__(self) -> str:
        state = "read-only" if self._error else "ok"
        return f"ProfilesStore({str(self.path)!r}, {state})"

    # -- reading -------------------------------------------------------------------------
    @property
    def profiles(self) -> Profiles:
        """The last profiles read without error (empty before the first good read)."""
        if not self._loaded:
            self.reload()
        return self._profiles

    @property
    def error(self) -> ProfilesError | None:
        """Why the file on disk is unusable (None when it is fine)."""
        if not self._loaded:
            self.reload()
        return self._error

    @property
    def read_only(self) -> bool:
        return self.error is not None

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> Profiles:
        """Read and validate the file now; raise ProfilesError (located) when it is bad."""
        raw = self._read_raw()
        try:
            profiles = self._parse(raw)
        except ProfilesError as exc:
            self._loaded, self._error = True, exc
            self._signature = self._stat()
            raise
        self._accept(raw.decode("utf-8") if raw is not None else None, profiles)
        return profiles

    def reload(self) -> ProfilesError | None:
        """Like load() but returns the error instead of raising it."""
        try:
            self.load()
        except ProfilesError as exc:
            return exc
        return None

    def changed_on_disk(self) -> bool:
        return not self._loaded or self._stat() != self._signature

    def refresh(self) -> bool:
        """Reload when the file changed since it was last read; True when it reloaded."""
        if not self.changed_on_disk():
            return False
        self.reload()
        return True

    def text(self) -> str:
        """The file's text as last read (a fresh file's header when there is none yet)."""
        self.profiles  # noqa: B018 - loads on first use
        return self._text if self._text is not None else NEW_FILE_HEADER

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _read_raw(self) -> bytes | None:
        """The file's bytes (None when there is none): a regular file, size-capped."""
        from console.store.input_files import InputFileError, read_limited

        try:
            return read_limited(self.path, PROFILES_MAX_BYTES, what="profiles file")
        except InputFileError as exc:
            if exc.missing:
                return None
            message = f"cannot read: {exc.message}" if exc.unreadable else exc.message
            raise ProfilesError(message, file=self.path) from None

    def _parse(self, raw: bytes | None, *, file: Path | None = None) -> Profiles:
        """Bytes of a profiles file -> Profiles, or ProfilesError naming file, line and key."""
        file = file if file is not None else self.path
        if raw is None:
            return Profiles()
        from console.store.input_files import InputFileError, decode_utf8

        try:
            text = decode_utf8(raw, file=file)
        except InputFileError as exc:
            raise ProfilesError(exc.message, file=file, line=exc.line) from None
        data = self._toml(text, file=file)
        return self._validate(text, data, file=file)

    @staticmethod
    def _toml(text: str, *, file: Path | None) -> dict[str, Any]:
        """Parsed TOML, or ProfilesError with the line (deep nesting and huge numbers too)."""
        import tomllib

        from console import toml_input

        try:
            return toml_input.loads(text)
        except toml_input.TomlInputError as exc:  # valid TOML, past the console's limits
            raise ProfilesError(exc.reason, file=file, line=exc.line) from None
        except tomllib.TOMLDecodeError as exc:
            message, line = _toml_error(text, exc)
            raise ProfilesError(message, file=file, line=line) from None

    @staticmethod
    def _validate(text: str, data: Mapping[str, Any], *, file: Path | None) -> Profiles:
        from console.store.profiles.validation import validate_data

        profiles, issues = validate_data(data)
        if issues:
            raise _located(issues, text, file)
        assert profiles is not None
        return profiles

    def _accept(self, text: str | None, profiles: Profiles) -> None:
        self._text, self._profiles, self._error = text, profiles, None
        self._loaded = True
        self._signature = self._stat()

    # -- writing -------------------------------------------------------------------------
    def _mutate(self, edit: Callable[[ProfilesEditor, Profiles], T], *,
                dry_run: bool = False) -> T:
        """Under the lock: re-read, apply `edit`, validate, write atomically."""
        try:
            with file_lock(self.path, timeout=self.lock_timeout):
                raw = self._read_raw()
                try:
                    current = self._parse(raw)
                except ProfilesError as exc:
                    self._loaded, self._error, self._signature = True, exc, self._stat()
                    raise ProfilesReadOnly(exc) from None
                old_text = raw.decode("utf-8") if raw is not None else None
                editor = ProfilesEditor(old_text if old_text is not None else NEW_FILE_HEADER)
                try:
                    result = edit(editor, current)
                    editor.ensure_schema_version(SCHEMA_VERSION)
                    new_text = editor.text
                except EditError as exc:
                    raise ProfilesError(str(exc), file=self.path) from None
                if new_text == (old_text if old_text is not None else NEW_FILE_HEADER):
                    self._accept(old_text, current)  # nothing changed: nothing written
                    return result
                new = self._check_edit(new_text)
                if dry_run:
                    raise _DryRun(result)
                remove_stale_temp_files(self.path)
                atomic_write(self.path, new_text.encode("utf-8"), default_mode=FILE_MODE)
                self._accept(new_text, new)
                return result
        except LockTimeout as exc:
            raise ProfilesError(str(exc)) from None
        except OSError as exc:  # the config dir is read-only, full, or a file is in its way
            raise ProfilesError(_write_failure(exc, self.path), file=self.path) from None

    def _check_edit(self, text: str) -> Profiles:
        """Validate the text an edit produced; problems name the key (the file is untouched)."""
        import tomllib

        from console.store.profiles.validation import validate_data

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:  # pragma: no cover - an editor bug
            raise ProfilesError(f"internal error: the edit produced invalid TOML ({exc}); "
                                "nothing was written", file=self.path) from None
        profiles, issues = validate_data(data)
        if issues:
            raise _located(issues, None, None)
        assert profiles is not None
        return profiles

    def write_text(self, text: str) -> Profiles:
        """Replace the whole file with `text` once it validates (errors locate lines in `text`)."""
        data = self._toml(text, file=self.path)
        self._validate(text, data, file=self.path)

        def edit(editor: ProfilesEditor, current: Profiles) -> None:
            editor._text = text

        self._mutate(edit)
        return self._profiles

    # -- one entry -----------------------------------------------------------------------
    def _checked_plain(self, kind: Kind, name: str, plain: Mapping[str, Any]) -> dict[str, Any]:
        if message := check_name(name):
            raise ProfilesError(message, key=format_key((kind.section, name)))
        entry, issues = validate_entry(kind, name, {k: v for k, v in plain.items()
                                                    if v is not None})
        if issues:
            raise _located(issues, None, None)
        return entry_plain(kind, entry)

    def put(self, kind: str | Kind, name: str, plain: Mapping[str, Any], *,
            replace: bool = False) -> Any:
        """Add an entry from its plain keys; with replace=True an existing one is updated in
        place (keys that differ are rewritten, comments on the others stay)."""
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        desired = self._checked_plain(kind, name, plain)

        def edit(editor: ProfilesEditor, current: Profiles) -> str:
            section = current.section(kind)
            stored = _match(section, name)
            if stored is None:
                editor.add_entry(kind.section, name, desired)
                return name
            if not replace:
                raise ProfileExists(f"{_a(kind.label)} named {stored!r} already exists "
                                    "(names are case-insensitive)",
                                    key=format_key((kind.section, stored)))
            editor.sync_entry(kind.section, stored, desired)
            return stored

        stored = self._mutate(edit)
        return self._profiles.section(kind)[stored]

    def add_agent(self, name: str, agent_id: str, *, notes: str = "", watch: bool = False,
                  replace: bool = False) -> Agent:
        return self.put("agent", name, {"id": str(agent_id).strip(), "watch": watch or None,
                                        "notes": notes or None}, replace=replace)

    def add_caller_id(self, name: str, number: str, *, display_name: str | None = None,
                      agents: Sequence[str] = (), notes: str = "",
                      replace: bool = False) -> CallerId:
        return self.put("caller_id", name, {
            "number": self._e164(number, ("caller_ids", name, "number")),
            "display_name": display_name or None, "agents": list(agents) or None,
            "notes": notes or None}, replace=replace)

    def add_header_set(self, name: str,
                       headers: Mapping[str, str] | Sequence[tuple[str, str]], *,
                       notes: str = "", replace: bool = False) -> HeaderSet:
        from console.store.profiles.validation import check_header_rows
        from console.telephony.sip import check_headers, headers_to_dict

        rows = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        if check_headers(rows):  # blank rows are skipped, as the form does
            raise _located(check_header_rows(("header_sets", name, "headers"), rows), None, None)
        return self.put("header_set", name, {"headers": headers_to_dict(rows) or None,
                                             "notes": notes or None}, replace=replace)

    def add_template(self, name: str, *, agent: str | None = None,
                     caller_id: str | None = None, header_sets: Sequence[str] = (),
                     fields: Mapping[str, Any] | None = None,
                     context: Mapping[str, Any] | None = None, notes: str = "",
                     replace: bool = False) -> Template:
        fields = dict(fields or {})
        if isinstance(fields.get("to_number"), str) and fields["to_number"].strip():
            fields["to_number"] = self._e164(fields["to_number"],
                                             ("templates", name, "fields", "to_number"))
        return self.put("template", name, {
            "agent": agent or None, "caller_id": caller_id or None,
            "header_sets": list(header_sets) or None, "notes": notes or None,
            "fields": fields or None, "context": dict(context or {}) or None}, replace=replace)

    def _e164(self, number: str, path: tuple[str, ...]) -> str:
        from console.telephony.phone import PhoneError, parse_phone

        try:
            return parse_phone(number, self.region).e164
        except PhoneError as exc:
            raise ProfilesError(str(exc), key=format_key(path)) from None

    def update(self, kind: str | Kind, name: str, **changes: Any) -> Any:
        """Change some keys of an entry (None removes a key); the rest stays as written."""
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        model = ENTRY_MODELS[kind.id]
        for key in changes:
            if key not in model.model_fields:
                raise ProfilesError(f"unknown key (allowed: {', '.join(model.model_fields)})",
                                    key=format_key((kind.section, name, key)))

        def edit(editor: ProfilesEditor, current: Profiles) -> str:
            stored = self._require(current, kind, name)
            plain = entry_plain(kind, current.section(kind)[stored])
            plain.update(changes)
            desired = self._checked_plain(kind, stored, plain)
            editor.sync_entry(kind.section, stored, desired)
            return stored

        stored = self._mutate(edit)
        return self._profiles.section(kind)[stored]

    def remove(self, kind: str | Kind, name: str, *, force: bool = False) -> list[Reference]:
        """Delete an entry. When templates or caller IDs refer to it, raise ProfileInUse
        (its `references` say who) unless force=True, which also clears those references
        (a caller ID whose agent list loses its last agent is then usable by any agent).
        Returns the references that were cleared."""
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)

        def edit(editor: ProfilesEditor, current: Profiles) -> list[Reference]:
            stored = self._require(current, kind, name)
            refs = _referrers(current, kind, stored)
            if refs and not force:
                raise ProfileInUse(
                    f"{kind.label} {stored!r} is used by " + ", ".join(map(str, refs)),
                    key=format_key((kind.section, stored)), references=refs)
            for ref in refs:
                section = KINDS[ref.kind].section
                path = (section, ref.name, ref.key)
                if ref.key in ("agent", "caller_id"):
                    editor.delete_value(path)
                else:
                    editor.remove_from_list(path, stored)
                    remaining = getattr(current.section(ref.kind)[ref.name], ref.key)
                    if ref.kind == "template" and remaining == [stored]:
                        editor.delete_value(path)
            editor.remove_entry(kind.section, stored)
            return refs

        return self._mutate(edit)

    def rename(self, kind: str | Kind, old: str, new: str) -> list[Reference]:
        """Rename an entry where it is written and in every reference to it (templates,
        caller IDs' agent lists). Returns the references that were updated."""
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        if message := check_name(new):
            raise ProfilesError(message, key=format_key((kind.section, new)))

        def edit(editor: ProfilesEditor, current: Profiles) -> list[Reference]:
            stored = self._require(current, kind, old)
            clash = _match(current.section(kind), new)
            if clash is not None and clash != stored:
                raise ProfileExists(f"{_a(kind.label)} named {clash!r} already exists",
                                    key=format_key((kind.section, clash)))
            if new == stored:
                return []
            refs = _referrers(current, kind, stored)
            try:
                editor.rename_entry(kind.section, stored, new)
            except EditError:
                plain = entry_plain(kind, current.section(kind)[stored])
                editor.remove_entry(kind.section, stored)
                editor.add_entry(kind.section, new, plain)
            for ref in refs:
                path = (KINDS[ref.kind].section, ref.name, ref.key)
                if ref.key in ("agent", "caller_id"):
                    editor.set_value(path, new)
                else:
                    editor.replace_in_list(path, stored, new)
            return refs

        return self._mutate(edit)

    def duplicate(self, kind: str | Kind, name: str, new: str) -> Any:
        """A copy of an entry under a new name (written after the section's last entry)."""
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        source = self.get(kind, name, fresh=True)
        return self.put(kind, new, entry_plain(kind, source))

    @staticmethod
    def _require(current: Profiles, kind: Kind, name: str) -> str:
        stored = _match(current.section(kind), name)
        if stored is None:
            raise ProfileNotFound(f"no {kind.label} named {name!r}",
                                  key=format_key((kind.section, name)))
        return stored

    # -- queries -------------------------------------------------------------------------
    def _snapshot(self, fresh: bool) -> Profiles:
        if fresh:
            return self.load()
        return self.profiles

    def names(self, kind: str | Kind) -> list[str]:
        return list(self.profiles.section(kind))

    def get(self, kind: str | Kind, name: str, *, fresh: bool = False) -> Any:
        """An entry by kind and name (case-insensitive); ProfileNotFound when absent."""
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        profiles = self._snapshot(fresh)
        return profiles.section(kind)[self._require(profiles, kind, name)]

    def find(self, name: str) -> list[tuple[Kind, str, Any]]:
        """Every entry of any kind with this name: (kind, stored name, entry)."""
        out = []
        for kind in KINDS.values():
            section = self.profiles.section(kind)
            stored = _match(section, name)
            if stored is not None:
                out.append((kind, stored, section[stored]))
        return out

    def referrers(self, kind: str | Kind, name: str) -> list[Reference]:
        """Who refers to this entry (so a UI can warn before deleting it)."""
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        stored = _match(self.profiles.section(kind), name)
        return _referrers(self.profiles, kind, stored) if stored else []

    def resolve_template(self, name: str, *, fresh: bool = False) -> TemplateResolution:
        profiles = self._snapshot(fresh)
        kind = KINDS["template"]
        stored = self._require(profiles, kind, name)
        template = profiles.templates[stored]
        origin = f"template:{stored}"
        out = TemplateResolution(stored, agent=template.agent, caller_id=template.caller_id,
                                 header_sets=list(template.header_sets))
        if template.agent:
            out.values["agent_id"] = profiles.agents[template.agent].agent_id
            out.sources["agent_id"] = f"agent:{template.agent}"
        if template.caller_id:
            caller = profiles.caller_ids[template.caller_id]
            out.values["from_number"] = caller.e164
            out.sources["from_number"] = f"caller_id:{template.caller_id}"
            if caller.display_name:
                out.values["display_name"] = caller.display_name
                out.sources["display_name"] = f"caller_id:{template.caller_id}"
        if template.header_sets:
            rows, header_sources, conflicts = merge_header_sets(
                [(s, profiles.header_sets[s].headers) for s in template.header_sets])
            out.values["custom_headers"] = rows
            out.sources["custom_headers"] = "header_set:" + "+".join(template.header_sets)
            out.header_sources, out.conflicts = header_sources, conflicts
        for key, value in template.fields.items():
            out.values[key] = value
            out.sources[key] = origin
        if template.context:
            out.values["context"] = dict(template.context)
            out.sources["context"] = origin
        return out

    def _agent_names(self, agent: str) -> set[str]:
        profiles = self.profiles
        stored = _match(profiles.agents, agent)
        if stored is not None:
            return {stored}
        try:
            wanted = str(UUID(agent.strip()))
        except (ValueError, AttributeError):
            return set()
        return {n for n, a in profiles.agents.items() if a.agent_id == wanted}

    def caller_ids_for_agent(self, agent: str | None) -> dict[str, CallerId]:
        """Caller IDs an agent (name or UUID) may use: unrestricted ones and those listing it."""
        names = self._agent_names(agent) if agent else set()
        return {n: c for n, c in self.profiles.caller_ids.items()
                if not c.agents or names.intersection(c.agents)}

    def watched_agents(self) -> dict[str, Agent]:
        return {n: a for n, a in self.profiles.agents.items() if a.watch}

    def agent_name_for_id(self, agent_id: str) -> str | None:
        names = sorted(self._agent_names(agent_id))
        return names[0] if names else None

    def template_from_values(self, values: Mapping[str, Any], *,
                             based_on: str | None = None,
                             include_to_number: bool = False) -> TemplateDraft:
        """A template for the Call form's current values (request field names, as for
        check_draft): saved agent / caller ID / header set names where the values match one,
        the fields that differ from the API defaults, and the context. `based_on`: the
        template that filled the form, whose header sets are reused when the headers still
        are what they merge to."""
        from console.api.models import OutboundCallRequest
        from console.draft import parse_context
        from console.telephony.phone import PhoneError, parse_phone

        profiles = self.profiles
        draft = TemplateDraft()
        agent_id = str(values.get("agent_id") or "").strip()
        if agent_id:
            name = self.agent_name_for_id(agent_id)
            if name:
                draft.agent = name
            else:
                draft.unsaved["agent_id"] = agent_id
        from_number = str(values.get("from_number") or "").strip()
        if from_number:
            try:
                e164 = parse_phone(from_number, self.region).e164
            except PhoneError:
                e164 = from_number
            names = [n for n, c in profiles.caller_ids.items()
                     if c.e164 == e164 and (draft.agent is None or c.allows(draft.agent))]
            if names:
                draft.caller_id = names[0]
            else:
                draft.unsaved["from_number"] = e164
        headers = values.get("custom_headers") or []
        rows = [(str(n), str(v)) for n, v in
                (headers.items() if isinstance(headers, Mapping) else headers)
                if str(n).strip() or str(v).strip()]
        if rows:
            wanted = {n.lower(): v for n, v in rows}
            base = profiles.templates.get(_match(profiles.templates, based_on) or "") \
                if based_on else None
            merged = merge_header_sets([(n, profiles.header_sets[n].headers)
                                        for n in base.header_sets])[0] if base else []
            match = next((n for n, h in profiles.header_sets.items()
                          if {k.lower(): v for k, v in h.headers.items()} == wanted), None)
            if base and base.header_sets and {n.lower(): v for n, v in merged} == wanted:
                draft.header_sets = list(base.header_sets)
            elif match:
                draft.header_sets = [match]
            else:
                draft.unsaved["custom_headers"] = rows
        defaults = OutboundCallRequest.defaults()
        for key, kind in FIELD_TYPES.items():
            value = values.get(key)
            if value is None or value == "" or (key == "to_number" and not include_to_number):
                continue
            if kind is int:
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    continue
            elif kind is bool:
                value = bool(value)
            if key != "to_number" and value == defaults.get(key):
                continue
            draft.fields[key] = value
        caller = profiles.caller_ids.get(draft.caller_id or "")
        if caller is not None and draft.fields.get("display_name") == caller.display_name:
            del draft.fields["display_name"]  # it comes with the caller ID
        context = values.get("context")
        if isinstance(context, str):
            parsed, problem = parse_context(context)
            if problem or not isinstance(parsed, dict):
                draft.unsaved["context"] = context
                parsed = {}
            context = parsed
        if isinstance(context, Mapping) and context:
            draft.context = dict(context)
        return draft

    # -- bundles -------------------------------------------------------------------------
    def export_bundle(self, kinds: Iterable[str | Kind] | None = None) -> str:
        """TOML of the whole store (the file as written, comments included) or of some kinds."""
        profiles = self.load()
        chosen = [k if isinstance(k, Kind) else parse_kind(k) for k in (kinds or [])]
        if not chosen or {k.id for k in chosen} == set(KINDS):
            return self.text()
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

    def import_bundle(self, text: str, *, mode: str = "merge", overwrite: bool = False,
                      dry_run: bool = False, source: os.PathLike[str] | str | None = None
                      ) -> ImportReport:
        """Bring a bundle's entries in.

        merge: new entries are added; an entry that exists with other content is left as it
            is and reported as conflicting (overwrite=True takes the bundle's version).
        replace: every kind present in the bundle ends up exactly as in the bundle (entries
            missing from it are removed); kinds the bundle lacks are not touched.
        The result is validated as a whole (references included) before anything is written.
        """
        if mode not in ("merge", "replace"):
            raise ValueError(f"mode must be 'merge' or 'replace', not {mode!r}")
        file = Path(source) if source is not None else None
        incoming = self._parse_bundle(text, file)

        def edit(editor: ProfilesEditor, current: Profiles) -> ImportReport:
            report = ImportReport(mode)
            for kind in KINDS.values():
                if kind.section not in incoming:
                    continue
                theirs = incoming[kind.section]
                ours = current.section(kind)
                for name, entry in theirs.items():
                    stored = _match(ours, name)
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
                        if _match(theirs, stored) is None:
                            editor.remove_entry(kind.section, stored)
                            report.removed.append((kind.id, stored))
            return report

        try:
            report = self._mutate(edit, dry_run=dry_run)
            report.written = not dry_run and bool(report.added or report.changed
                                                  or report.removed)
        except _DryRun as done:
            report = done.result
        return report

    def _parse_bundle(self, text: str, file: Path | None) -> dict[str, dict[str, Any]]:
        data = self._toml(text, file=file)
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
            raise _located(issues, text, file)
        return out


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


def _a(label: str) -> str:
    return ("an " if label[0] in "aeiou" else "a ") + label


def _located(issues: Sequence[Issue], text: str | None, file: Path | None) -> ProfilesError:
    located = [LocatedIssue(file, find_line(text, issue.path) if text is not None else None,
                            issue.key if issue.path else None, issue.message)
               for issue in issues]
    located.sort(key=lambda i: (i.line is None, i.line or 0))
    first = located[0]
    return ProfilesError(first.message, file=file, line=first.line, key=first.key,
                         issues=located)
