"""ProfilesStore: the profiles file, read, queried, and changed one entry at a time, safely.

Every write takes the file lock, re-reads the file, applies its one change to what is there now
(so two operators never lose each other's edits), validates the result with the Call form's own
rules and replaces the file atomically. A file that does not parse or validate is never written:
the store keeps the last good profiles for reading and every write raises `ProfilesReadOnly`
with the same located message until someone fixes the file.

The store owns the file and that write discipline; what a template resolves to
(`templates.py`) and what a bundle holds (`bundles.py`) are worked out beside it, and its
methods of those names hand over to them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from console import paths
from console.limits import PROFILES_MAX_BYTES
from console.store.atomic import LockTimeout, atomic_write, file_lock, remove_stale_temp_files
from console.store.profiles import bundles, references, templates, validation
from console.store.profiles.edit import EditError, ProfilesEditor, render_entry
from console.store.profiles.errors import (
    ProfileExists,
    ProfileInUse,
    ProfileNotFound,
    ProfilesError,
    ProfilesReadOnly,
    located,
)
from console.store.profiles.model import (
    ENTRY_MODELS,
    KINDS,
    SCHEMA_VERSION,
    Agent,
    CallerId,
    HeaderSet,
    Kind,
    Profiles,
    Template,
    check_name,
    entry_plain,
    format_key,
    parse_kind,
)
from console.store.profiles.outline import Outline, digest, insert_entry, outline_of
from console.store.profiles.parse import check_edit, parse_toml, read_profiles, validated
from console.store.profiles.references import Reference, match_name
from console.store.profiles.validation import (
    check_header_rows,
    reference_issues,
    validate_entry,
)

T = TypeVar("T")

NEW_FILE_HEADER = (
    "# call-console saved profiles: agents, caller IDs, SIP header sets and call templates.\n"
    "# Edit it by hand or with `call-console profiles ...`: comments and order are kept.\n"
    "# Check it with `call-console profiles validate`.\n"
    f"schema_version = {SCHEMA_VERSION}\n"
)
FILE_MODE = 0o600  # operator data, private as every file of the console; an existing file
#                   keeps its own mode


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
        self._data: dict[str, Any] = {}  # the parsed TOML `_profiles` were validated from
        self._text: str | None = None
        self._error: ProfilesError | None = None
        self._signature: tuple[int, int, int] | None = None
        self._loaded = False
        self._outline: Outline | None = None  # of the last text checked or written here

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
            data, profiles = read_profiles(raw, file=self.path, previous=self._previous())
        except ProfilesError as exc:
            self._loaded, self._error = True, exc
            self._signature = self._stat()
            raise
        self._accept(raw.decode("utf-8") if raw is not None else None, profiles, data)
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

    def _previous(self) -> tuple[dict[str, Any], Profiles] | None:
        """What was last read without error, for `validate_data` to keep what is unchanged."""
        return (self._data, self._profiles) if self._loaded else None

    def _current(self, raw: bytes | None) -> tuple[dict[str, Any], Profiles]:
        """The file's bytes `raw`, parsed and validated: what was read last when they are the
        same bytes (a write right after a load: no second parse), else checked now."""
        if (raw is not None and self._loaded and self._error is None and self._text is not None
                and raw == self._text.encode("utf-8")):
            return self._data, self._profiles
        return read_profiles(raw, file=self.path, previous=self._previous())

    def _accept(self, text: str | None, profiles: Profiles, data: dict[str, Any]) -> None:
        profiles.index()  # here, in the thread that read the file, not in a UI's first query
        self._text, self._profiles, self._data, self._error = text, profiles, data, None
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
                    data, current = self._current(raw)
                except ProfilesError as exc:
                    self._loaded, self._error, self._signature = True, exc, self._stat()
                    raise ProfilesReadOnly(exc) from None
                old_text = raw.decode("utf-8") if raw is not None else None
                editor = ProfilesEditor(old_text if old_text is not None else NEW_FILE_HEADER)
                try:
                    result = edit(editor, current)
                    if "schema_version" not in data:  # edits never remove it
                        editor.ensure_schema_version(SCHEMA_VERSION)
                    new_text = editor.text
                except EditError as exc:
                    raise ProfilesError(str(exc), file=self.path) from None
                if new_text == (old_text if old_text is not None else NEW_FILE_HEADER):
                    self._accept(old_text, current, data)  # nothing changed: nothing written
                    return result
                new_data, new = check_edit(new_text, file=self.path, previous=(data, current))
                if dry_run:
                    raise _DryRun(result)
                remove_stale_temp_files(self.path)
                atomic_write(self.path, new_text.encode("utf-8"), default_mode=FILE_MODE)
                self._accept(new_text, new, new_data)
                return result
        except LockTimeout as exc:
            raise ProfilesError(str(exc)) from None
        except OSError as exc:  # the config dir is read-only, full, or a file is in its way
            raise ProfilesError(_write_failure(exc, self.path), file=self.path) from None

    def write_text(self, text: str) -> Profiles:
        """Replace the whole file with `text` once it validates (errors locate lines in `text`)."""
        data = parse_toml(text, file=self.path)
        validated(text, data, file=self.path)

        def edit(editor: ProfilesEditor, current: Profiles) -> None:
            editor._text = text
            editor.ensure_schema_version(SCHEMA_VERSION)

        self._mutate(edit)
        return self._profiles

    # -- one entry -----------------------------------------------------------------------
    def _checked_plain(self, kind: Kind, name: str, plain: Mapping[str, Any]) -> dict[str, Any]:
        if message := check_name(name):
            raise ProfilesError(message, key=format_key((kind.section, name)))
        entry, issues = validate_entry(kind, name, {k: v for k, v in plain.items()
                                                    if v is not None})
        if issues:
            raise located(issues, None, None)
        return entry_plain(kind, entry)

    def put(self, kind: str | Kind, name: str, plain: Mapping[str, Any], *,
            replace: bool = False) -> Any:
        """Add an entry from its plain keys; with replace=True an existing one is updated in
        place (keys that differ are rewritten, comments on the others stay)."""
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        desired = self._checked_plain(kind, name, plain)
        appended = self._append(kind, name, desired, replace=replace)
        if appended is not None:
            return appended

        def edit(editor: ProfilesEditor, current: Profiles) -> str:
            section = current.section(kind)
            stored = match_name(section, name)
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

    def _append(self, kind: Kind, name: str, desired: Mapping[str, Any], *,
                 replace: bool) -> Any | None:
        """Add a new entry as text after its section's last entry, checked against the file's
        outline (`outline.py`) instead of parsing and validating the whole file again. Returns
        the new entry, or None when the full path must do it (no file yet, an existing entry
        to replace, a section not written as plain tables, no schema_version)."""
        section = kind.section
        try:
            with file_lock(self.path, timeout=self.lock_timeout):
                raw = self._read_raw()
                if raw is None:
                    return None
                sha256 = digest(raw)
                outline = self._outline_for(raw, sha256)
                if not outline.can_append(section):
                    return None
                stored = outline.match(section, name)
                if stored is not None:
                    if replace:
                        return None
                    raise ProfileExists(f"{_a(kind.label)} named {stored!r} already exists "
                                        "(names are case-insensitive)",
                                        key=format_key((section, stored)))
                import tomllib

                entry_text = render_entry(section, name, desired)
                # The entry as it will read back (the full path re-parses the whole file).
                written = tomllib.loads(entry_text).get(section, {}).get(name)
                if not isinstance(written, dict):  # (not as rendered: let the full path say)
                    return None
                entry, issues = validation.validate_entry(kind, name, written)
                issues += reference_issues(outline.reference_data(section, name, written))
                if issues:
                    raise located(issues, None, None)
                old_text = raw.decode("utf-8")
                new_text, position, inserted, next_at = insert_entry(
                    old_text, outline.append_at[section], entry_text)
                new_raw = new_text.encode("utf-8")
                remove_stale_temp_files(self.path)
                atomic_write(self.path, new_raw, default_mode=FILE_MODE)
                self._outline = outline.appended(digest(new_raw), section, name, written,
                                                 position, inserted, next_at)
                self._appended(old_text, new_text, kind, name, written, entry)
        except LockTimeout as exc:
            raise ProfilesError(str(exc)) from None
        except OSError as exc:
            raise ProfilesError(_write_failure(exc, self.path), file=self.path) from None
        from console.store.profiles import outline_cache

        outline_cache.save(self.path, self._outline)
        return entry

    def _outline_for(self, raw: bytes, sha256: str) -> Outline:
        """The outline of the file whose bytes are `raw`: the one kept here or in the cache
        when it is of these very bytes, else made now from the file read and checked whole
        (ProfilesReadOnly when it does not parse or validate: nothing is written)."""
        if self._outline is not None and self._outline.sha256 == sha256:
            return self._outline
        from console.store.profiles import outline_cache

        found = outline_cache.load(self.path, sha256)
        if found is None:
            try:
                data, current = self._current(raw)
            except ProfilesError as exc:
                self._loaded, self._error, self._signature = True, exc, self._stat()
                raise ProfilesReadOnly(exc) from None
            text = raw.decode("utf-8")
            self._accept(text, current, data)
            found = outline_of(text, data, sha256)
        self._outline = found
        return found

    def _appended(self, old_text: str, new_text: str, kind: Kind, name: str,
                  written: dict[str, Any], entry: Any) -> None:
        """After an append: what this store holds, brought up to date without a re-read when it
        held the file the entry was added to; else read again on the next query."""
        if not (self._loaded and self._error is None and self._text == old_text):
            self._loaded = False
            return
        data = dict(self._data)
        section = data.get(kind.section)
        data[kind.section] = {**(section if isinstance(section, Mapping) else {}),
                              name: written}
        sections = {k.section: self._profiles.section(k) for k in KINDS.values()}
        sections[kind.section] = {**sections[kind.section], name: entry}
        profiles = Profiles.model_construct(schema_version=self._profiles.schema_version,
                                            **sections)
        self._accept(new_text, profiles, data)

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
        from console.telephony.sip import check_headers, headers_to_dict

        rows = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        if check_headers(rows):  # blank rows are skipped, as the form does
            raise located(check_header_rows(("header_sets", name, "headers"), rows), None, None)
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
            refs = references.referrers(current, kind, stored)
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
            clash = match_name(current.section(kind), new)
            if clash is not None and clash != stored:
                raise ProfileExists(f"{_a(kind.label)} named {clash!r} already exists",
                                    key=format_key((kind.section, clash)))
            if new == stored:
                return []
            refs = references.referrers(current, kind, stored)
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
        stored = match_name(current.section(kind), name)
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
            stored = match_name(section, name)
            if stored is not None:
                out.append((kind, stored, section[stored]))
        return out

    def referrers(self, kind: str | Kind, name: str) -> list[Reference]:
        """Who refers to this entry (so a UI can warn before deleting it)."""
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        stored = match_name(self.profiles.section(kind), name)
        return references.referrers(self.profiles, kind, stored) if stored else []

    def resolve_template(self, name: str, *, fresh: bool = False) -> templates.TemplateResolution:
        """What the template `name` puts in the Call form (see `templates.resolve_template`)."""
        profiles = self._snapshot(fresh)
        stored = self._require(profiles, KINDS["template"], name)
        return templates.resolve_template(profiles, stored)

    def caller_ids_for_agent(self, agent: str | None) -> dict[str, CallerId]:
        """Caller IDs an agent (name or UUID) may use: unrestricted ones and those listing it."""
        return self.profiles.index().caller_ids_for(agent)

    def numbers_for_agent(self, agent: str) -> tuple[str, ...]:
        """E.164 numbers of `caller_ids_for_agent(agent)`, from the index (no walk of the file)."""
        return self.profiles.index().numbers_for(agent)

    def watched_agents(self) -> dict[str, Agent]:
        return {n: a for n, a in self.profiles.agents.items() if a.watch}

    def agent_name_for_id(self, agent_id: str) -> str | None:
        return references.agent_name_for_id(self.profiles, agent_id)

    def template_from_values(self, values: Mapping[str, Any], *,
                             based_on: str | None = None,
                             include_to_number: bool = False) -> templates.TemplateDraft:
        """What "save as template" would store for the Call form's `values` (see
        `templates.template_from_values`)."""
        return templates.template_from_values(self.profiles, values, region=self.region,
                                              based_on=based_on,
                                              include_to_number=include_to_number)

    # -- bundles -------------------------------------------------------------------------
    def export_bundle(self, kinds: Iterable[str | Kind] | None = None) -> str:
        """TOML of the whole store (the file as written, comments included) or of some kinds."""
        profiles = self.load()
        return bundles.export_text(profiles, self.text(), kinds)

    def import_bundle(self, text: str, *, mode: str = "merge", overwrite: bool = False,
                      dry_run: bool = False, source: os.PathLike[str] | str | None = None
                      ) -> bundles.ImportReport:
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
        incoming = bundles.parse_bundle(text, file)
        edit = bundles.import_edit(incoming, mode=mode, overwrite=overwrite)
        try:
            report = self._mutate(edit, dry_run=dry_run)
            report.written = not dry_run and bool(report.added or report.changed
                                                  or report.removed)
        except _DryRun as done:
            report = done.result
        return report


def _a(label: str) -> str:
    return ("an " if label[0] in "aeiou" else "a ") + label
