"""JSON Schemas of `config.toml` and `profiles.toml`, generated from the models that read them.

Editors check the files with them (taplo / Even Better TOML: a `#:schema PATH` first line, or
an association in the editor's settings). The package ships the generated files in
`console/config/schemas/`; a test checks they equal what `config_schema()` and
`profiles_schema()` make now, and `call-console config schema` prints or rewrites them.

The flat keys of config.toml come from `Settings`; its tables from their readers' rules
(`[environments.NAME]`: console.account.environments, `[keymap]`: id → key or keys). Other
tables are allowed (other readers of the same file). TOML has no null: a key that may be unset
is simply left out, so the schemas drop the `null` branch pydantic writes for optional fields.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILES = {"config": "config.schema.json", "profiles": "profiles.schema.json"}
SCHEMA_ID_BASE = "https://github.com/call-console/call-console/schemas/"


def _drop_null(schema: Any) -> Any:
    """Remove the `{"type": "null"}` branch (and `default: null`) everywhere."""
    if isinstance(schema, list):
        return [_drop_null(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _drop_null(v) for k, v in schema.items() if k != "title"}
    branches = out.get("anyOf")
    if isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1:
            out.pop("anyOf")
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    if out.get("default", 0) is None:
        out.pop("default")
    return out


def _environment_table() -> dict[str, Any]:
    from console.account.environments import ENV_KEYS, ENV_VAR_RE, URL_RE

    properties = {
        "base_url": {"type": "string", "pattern": URL_RE.pattern,
                     "description": "the API's base URL (http:// or https://)"},
        "auth": {"enum": ["login", "token"], "default": "login",
                 "description": "login: username/password, tokens refreshed; token: a "
                                "pre-issued bearer token"},
        "username": {"type": "string", "minLength": 1,
                     "description": "default username for `call-console login`"},
        "token_env": {"type": "string", "pattern": ENV_VAR_RE.pattern,
                      "description": "environment variable holding the token (auth = "
                                     "\"token\" only)"},
    }
    assert tuple(properties) == ENV_KEYS, "keep the schema in step with ENV_KEYS"
    return {"type": "object", "required": ["base_url"], "additionalProperties": False,
            "properties": properties}


def config_schema() -> dict[str, Any]:
    """The JSON Schema of config.toml."""
    from console.account.environments import NAME_RE
    from console.config.settings import Settings

    flat = _drop_null(Settings.model_json_schema())
    properties = dict(flat["properties"])
    properties["environments"] = {
        "type": "object",
        "description": "named API environments: [environments.NAME] (see docs/config.md)",
        "propertyNames": {"pattern": NAME_RE.pattern},
        "additionalProperties": _environment_table(),
    }
    key = {"type": "string", "minLength": 1}
    properties["keymap"] = {
        "type": "object",
        "description": "binding id → key or keys, e.g. \"call.send\" = \"ctrl+y\" (F1 in the "
                       "console lists the ids)",
        "additionalProperties": {"anyOf": [key, {"type": "array", "items": key}]},
    }
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID_BASE + SCHEMA_FILES["config"],
        "title": "call-console config.toml",
        "description": "Settings of call-console; every key may also be set as "
                       "CALL_CONSOLE_<KEY> in the environment (which wins).",
        "type": "object",
        "properties": properties,
        # Unknown flat keys are errors (Settings forbids them); unknown tables belong to
        # other readers of the file.
        "additionalProperties": {"type": "object"},
    }


def _template_fields() -> dict[str, Any]:
    from console.api.models import OutboundCallRequest
    from console.store.profiles.model import FIELD_TYPES

    request = _drop_null(OutboundCallRequest.model_json_schema())["properties"]
    return {"type": "object", "additionalProperties": False,
            "description": "request field defaults (agent, caller ID, headers and context "
                           "have their own keys)",
            "properties": {name: request[name] for name in FIELD_TYPES}}


def profiles_schema() -> dict[str, Any]:
    """The JSON Schema of profiles.toml."""
    from console.store.profiles.model import _NAME_RE, SCHEMA_VERSION, Profiles

    schema = _drop_null(Profiles.model_json_schema())
    defs = schema.pop("$defs")
    defs["Agent"]["properties"]["id"]["format"] = "uuid"
    defs["CallerId"]["properties"]["number"]["pattern"] = r"^\s*(\+|00)"
    defs["Template"]["properties"]["fields"] = _template_fields()
    names = {"pattern": f"^{_NAME_RE.pattern}$"}
    properties = schema["properties"]
    for section in ("agents", "caller_ids", "header_sets", "templates"):
        properties[section]["propertyNames"] = names
    properties["schema_version"] = {"const": SCHEMA_VERSION,
                                    "description": "the file format's version"}
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID_BASE + SCHEMA_FILES["profiles"],
        "title": "call-console profiles.toml",
        "description": "Saved agents, caller IDs, SIP header sets and call templates.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": defs,
    }


GENERATORS = {"config": config_schema, "profiles": profiles_schema}


def render(schema: dict[str, Any]) -> str:
    """The text of a shipped schema file (stable: sorted keys, 2-space indent, final newline)."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def shipped_path(which: str) -> Path:
    """The schema file shipped in the package."""
    return Path(str(resources.files("console.config") / "schemas" / SCHEMA_FILES[which]))
