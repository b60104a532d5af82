"""Saved profiles: agents, caller IDs, SIP header sets and call templates, in one TOML file.

    store = ProfilesStore()                      # paths.profiles_file(), region for numbers
    store.load()                                 # ProfilesError (file, line, key) when bad
    store.add_agent("sales", "3c90c3cc-...", watch=True)
    store.add_caller_id("main", "+1 415 555 0100", agents=["sales"])
    store.add_header_set("crm", {"X-Campaign": "fall"})
    store.add_template("fall", agent="sales", caller_id="main", header_sets=["crm"],
                       fields={"priority": "high"}, context={"campaign": "fall"})
    resolution = store.resolve_template("fall")  # values for check_draft + sources + conflicts

Where things are (each module has one job; callers import from this package):
    store.py       ProfilesStore: read, query, change one entry; lock, re-read, merge, atomic write
    errors.py      ProfilesError and its kinds, LocatedIssue: `FILE:LINE: KEY: message`
    model.py       the schema: kinds, names, key paths, the typed entries, Profiles
    validation.py  checks of a whole file or one entry with the Call form's rules
    parse.py       text -> TOML -> validated Profiles, or a located error
    references.py  names that match, agents by name or UUID, who refers to an entry
    templates.py   what a template resolves to; the template a filled-in form would make
    bundles.py     export and import of bundles (the store runs the import as one write)
    scan.py        where a key is in the text (statement scanner, find_line)
    edit.py        comment-preserving edits of the text (ProfilesEditor)

No Textual here: the CLI, the TUI and tests share this package.
"""

from console.store.profiles.bundles import ImportReport, read_bundle_file, read_bundle_stream
from console.store.profiles.edit import EditError, ProfilesEditor, render_entry
from console.store.profiles.errors import (
    LocatedIssue,
    ProfileExists,
    ProfileInUse,
    ProfileNotFound,
    ProfilesError,
    ProfilesReadOnly,
)
from console.store.profiles.model import (
    COMPOSED_FIELDS,
    ENTRY_MODELS,
    FIELD_TYPES,
    KIND_IDS,
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
    check_international,
    check_name,
    entry_plain,
    format_key,
    parse_kind,
)
from console.store.profiles.references import Reference
from console.store.profiles.scan import find_line
from console.store.profiles.store import ProfilesStore
from console.store.profiles.templates import (
    HeaderConflict,
    TemplateDraft,
    TemplateResolution,
    merge_header_sets,
)
from console.store.profiles.validation import (
    check_header_rows,
    check_template_fields,
    validate_data,
    validate_entry,
)

__all__ = [
    "ProfilesStore", "ProfilesError", "ProfilesReadOnly", "ProfileNotFound", "ProfileExists",
    "ProfileInUse", "LocatedIssue", "Reference", "HeaderConflict", "TemplateResolution",
    "ImportReport", "TemplateDraft", "Agent", "CallerId", "HeaderSet", "Template", "Profiles",
    "Kind", "KINDS", "FIELD_TYPES", "parse_kind", "check_name", "entry_plain", "merge_header_sets",
    "read_bundle_file", "read_bundle_stream",
    # the schema and its checks (model.py, validation.py)
    "SCHEMA_VERSION", "SECTIONS", "KIND_IDS", "COMPOSED_FIELDS", "ENTRY_MODELS", "Issue",
    "format_key", "check_international", "check_header_rows", "check_template_fields",
    "validate_entry", "validate_data",
    # the text of the file: where a key is (scan.py), comment-preserving edits (edit.py)
    "ProfilesEditor", "EditError", "find_line", "render_entry",
]
