"""The preferences kept in `config.toml` (default region, operator name, polling limits, theme):
checking them and writing them back without losing the file's comments.

Writes go through `console.config.toml_edit`, the one editor of config.toml: re-read under the
file lock, edited with tomlkit (comments and layout survive), the whole result validated, then
the file replaced atomically. A file that does not parse is reported, never overwritten.
Headless (no Textual); tomlkit is imported only to write.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from console import paths
from console.config.settings import ConfigError, Settings

#: The keys the Settings screen edits, in screen order.
PREFERENCE_KEYS = ("default_region", "operator", "poll_requests_per_second", "poll_concurrency",
                   "theme")
OPERATOR_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


class _FileValues(Settings):
    """The settings model fed only what it is given (no CALL_CONSOLE_* variables, no file):
    the same fields, limits and validators, for checking values before they are written."""

    @classmethod
    def sources(cls, init: dict[str, Any]) -> dict[str, Any]:
        return dict(init)


def check_preferences(values: dict[str, Any], *,
                      themes: set[str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse the raw (string) values; return (clean values, problems by key).

    An empty string means "not set" (the key is removed from the file, the default applies).
    """
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for key, raw in values.items():
        if key not in PREFERENCE_KEYS:
            problems[key] = "not a preference"
            continue
        text = raw.strip() if isinstance(raw, str) else raw
        if text in ("", None):
            clean[key] = None
            continue
        if key == "default_region":
            from console.telephony.phone import is_known_region

            if not is_known_region(text):
                problems[key] = (f"{text!r} is not a region code the phone number rules know "
                                 "(two letters, e.g. US, GB, DE)")
            else:
                clean[key] = text.upper()
        elif key == "operator":
            if not OPERATOR_RE.fullmatch(text):
                problems[key] = "1-64 characters, no control characters"
            else:
                clean[key] = text
        elif key == "poll_requests_per_second":
            try:
                clean[key] = float(text)
            except ValueError:
                problems[key] = "a number of requests per second, e.g. 20"
        elif key == "poll_concurrency":
            try:
                clean[key] = int(text)
            except ValueError:
                problems[key] = "a whole number of requests at once, e.g. 8"
        elif key == "theme":
            if themes is not None and text not in themes:
                problems[key] = f"unknown theme {text!r}"
            else:
                clean[key] = text
    # The settings model's own limits (gt/le...), so the screen and config.toml agree.
    present = {k: v for k, v in clean.items() if v is not None and k not in problems}
    if present:
        from pydantic import ValidationError

        try:
            _FileValues(**present)
        except ValidationError as exc:
            for error in exc.errors():
                key = str(error["loc"][0]) if error["loc"] else ""
                if key in present:
                    problems.setdefault(key, error["msg"])
    for key in problems:
        clean.pop(key, None)
    return clean, problems


def save_preferences(values: dict[str, Any], path: Path | None = None) -> None:
    """Write `values` (None removes the key) into config.toml, keeping everything else.

    Raises `ConfigError` (the file does not parse, or the result would not be valid).
    """
    from console.config.toml_edit import edit_toml, set_top_level

    file = path or paths.config_file()

    def change(document) -> None:
        for key in values:
            if key not in PREFERENCE_KEYS:
                raise ConfigError("not a preference", file=file, key=key)
        set_top_level(document, values)

    def validate(data: dict[str, Any]) -> None:
        from pydantic import ValidationError

        from console.account.environments import parse_environments

        flat = {k: v for k, v in data.items() if not isinstance(v, dict)}
        try:
            _FileValues(**flat)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(first["msg"], file=file,
                              key=".".join(str(p) for p in first["loc"])) from None
        parse_environments(data, file)

    edit_toml(file, change, validate=validate)
