"""Saved profiles: agents, caller IDs, SIP header sets and call templates, in one TOML file.

This package's names are the public face of the store (`from console.store.profiles import
ProfilesStore`); see `store.py` for how it reads and writes.
"""

from console.store.profiles.edit import EditError, ProfilesEditor, render_entry
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
    format_key,
    parse_kind,
)
from console.store.profiles.scan import find_line
from console.store.profiles.store import (
    HeaderConflict,
    ImportReport,
    LocatedIssue,
    ProfileExists,
    ProfileInUse,
    ProfileNotFound,
    ProfilesError,
    ProfilesReadOnly,
    ProfilesStore,
    Reference,
    TemplateDraft,
    TemplateResolution,
    entry_plain,
    merge_header_sets,
    read_bundle_file,
    read_bundle_stream,
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
