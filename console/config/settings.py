"""Settings: `config.toml` in the config dir, overridden by `CALL_CONSOLE_*` environment variables.

Errors name the file, the line and the key, so an operator can fix a typo without guessing.
The token is a `SecretStr`: it never shows in a repr, a log line or a traceback.

Sources, first wins: the keyword arguments, then `CALL_CONSOLE_<KEY>` (any case), then the
flat keys of config.toml. A plain pydantic model gathers them (`Settings.sources`): the
settings are flat scalars, and pydantic-settings cost every CLI command ~60 ms of imports
(benchmarks/cli_startup.py).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from console import paths


class ConfigError(Exception):
    """A configuration problem, located as precisely as possible."""

    def __init__(self, message: str, *, file: Path | None = None, line: int | None = None,
                 key: str | None = None):
        self.file, self.line, self.key = file, line, key
        where = ""
        if file is not None:
            where = str(file)
            if line is not None:
                where += f":{line}"
            where += ": "
        if key:
            where += f"{key}: "
        super().__init__(where + message)


ENV_PREFIX = "CALL_CONSOLE_"


#: the columns the Calls table can show (the `calls_columns` setting names them)
CALLS_COLUMN_KEYS = ("status", "to", "from", "agent", "started", "duration", "disposition",
                     "flags", "campaign")


def parse_calls_columns(entries: list[str]) -> list[tuple[int, tuple[str, ...]]]:
    """`["0: status to", "120: status to from"]` -> [(0, ("status", "to")), (120, (...))],
    widest last; ValueError naming the entry when one is not "WIDTH: column column ..."."""
    layouts: dict[int, tuple[str, ...]] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"entry {number} ({entry!r})"
        width_text, colon, names_text = str(entry).partition(":")
        if not colon or not width_text.strip().isdigit():
            raise ValueError(f'{where}: write "FROM_WIDTH: column column ...", '
                             'e.g. "120: status to from agent"')
        width = int(width_text)
        names = tuple(names_text.replace(",", " ").split())
        if not names:
            raise ValueError(f"{where}: name at least one column")
        unknown = [n for n in names if n not in CALLS_COLUMN_KEYS]
        if unknown:
            raise ValueError(f"{where}: unknown column {unknown[0]!r} (columns: "
                             + ", ".join(CALLS_COLUMN_KEYS) + ")")
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: a column is listed twice")
        if width in layouts:
            raise ValueError(f"{where}: width {width} is given twice")
        layouts[width] = names
    return sorted(layouts.items())


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    def __init__(self, **values: Any) -> None:
        super().__init__(**type(self).sources(values))

    @classmethod
    def sources(cls, init: dict[str, Any]) -> dict[str, Any]:
        """The values to validate: `init`, over the environment, over config.toml."""
        return {**file_values(), **env_values(cls.model_fields), **init}

    base_url: str | None = Field(
        default=None, description="API base URL, e.g. https://api.example.com",
        json_schema_extra={"pattern": r"^https?://[^\s/]+"})
    token: SecretStr | None = Field(
        default=None, description="pre-issued bearer token (better: CALL_CONSOLE_TOKEN or "
                                  "`call-console login`; never printed or logged)")
    default_region: str = Field(
        default="US", description="region for numbers typed without +",
        json_schema_extra={"pattern": "^[A-Za-z]{2}$"})
    operator: str | None = Field(default=None, description="operator name recorded with each call")
    connect_timeout: float = Field(
        default=5.0, gt=0, le=120, description="seconds to wait for a connection to the API")
    read_timeout: float = Field(
        default=15.0, gt=0, le=600,
        description="seconds to wait between bytes of an answer (a request's overall deadline "
                    "is connect + 2 × read)")
    poll_requests_per_second: float = Field(
        default=20.0, gt=0, le=1000,
        description="most status requests per second the live-calls tracker sends, all calls "
                    "together")
    poll_concurrency: int = Field(
        default=8, ge=1, le=256, description="most status requests the tracker has in flight at once")
    theme: str | None = Field(
        default=None, description="theme name (shipped: call-console-dark, call-console-light, "
                                  "high-contrast, ansi-256; or a file of the user theme dir) "
                                  "[unset: the console's default theme]")
    active_env: str | None = Field(
        default=None, description="the [environments.NAME] used when --env is not given")
    # Where SSH operators' files go (console/store/exchange.py): <exchange_dir>/<operator>/.
    exchange_dir: str | None = Field(
        default=None, description="folder of the operators' exchange folders [data dir/exchange]")
    confine_files: bool = Field(
        default=False, description="confine file dialogs to the exchange folder outside SSH too")
    # Campaigns (console/campaign/): a do-not-call list every campaign applies, so an operator
    # cannot forget `--dnc`.
    dnc_file: str | None = Field(
        default=None, description="do-not-call list applied to every campaign (one number a line)")
    history_retention_days: int | None = Field(
        default=None, ge=1, le=36500,
        description="`history prune` without --before keeps this many days of calls [keep all]")
    # The Calls table's columns, per terminal width (console/tui/calls/columns.py).
    calls_columns: list[str] | None = Field(
        default=None,
        description='Calls table columns per width, each "FROM_WIDTH: column column ...", e.g. '
                    '["0: status to agent duration disposition", "120: status to from agent '
                    'started duration disposition flags"] [those two]; columns: '
                    + ", ".join(CALLS_COLUMN_KEYS))

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must start with http:// or https:// and name a host")
        if (problem := control_character(value)) is not None:
            raise ValueError(problem)
        return value.rstrip("/")

    @field_validator("calls_columns")
    @classmethod
    def _calls_columns(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        parse_calls_columns(value)
        return value

    @field_validator("exchange_dir")
    @classmethod
    def _exchange_dir(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not os.path.isabs(os.path.expanduser(value)):
            raise ValueError("must be an absolute path (or start with ~)")
        return value

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError("must be a two-letter region code such as US or GB")
        return value

    def operator_name(self) -> str:
        return self.operator or os.environ.get("USER") or "operator"


def control_character(text: str) -> str | None:
    """Why `text` (a URL) is refused for holding a control or format character (an escape
    sequence would reach the terminal wherever the URL is shown), or None."""
    import unicodedata

    for index, char in enumerate(text):
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return f"contains a control character (U+{ord(char):04X} at character {index + 1})"
    return None


def env_values(fields: Any) -> dict[str, str]:
    """`CALL_CONSOLE_<FIELD>` variables (the name in any case) for the given field names."""
    wanted = {ENV_PREFIX + name.upper(): name for name in fields}
    return {wanted[key.upper()]: value for key, value in os.environ.items()
            if key.upper() in wanted}


def file_values() -> dict[str, Any]:
    """The flat keys of config.toml; its tables (environments, keymap, ...) belong to other
    readers of the same file. A parse error names file and line (`ConfigError`)."""
    return {k: v for k, v in read_toml(paths.config_file()).items() if not isinstance(v, dict)}


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict ({} when there is none), or ConfigError naming file and line:
    not UTF-8, not TOML, or past the limits of `console.config.toml_input` (nesting, huge numbers)."""
    raw = read_config_bytes(path)
    return parse_toml_bytes(raw, path) if raw is not None else {}


def read_config_bytes(path: Path) -> bytes | None:
    """The bytes of a config file (None when there is none), or ConfigError: a FIFO, a device
    or a file past `CONFIG_MAX_BYTES` is refused at once (a FIFO would block the console's
    start and /dev/zero fill its memory)."""
    from console.limits import CONFIG_MAX_BYTES
    from console.store.input_files import InputFileError, read_limited

    try:
        return read_limited(path, CONFIG_MAX_BYTES, what="config file")
    except InputFileError as exc:
        if exc.missing:
            return None
        raise ConfigError(exc.message if not exc.unreadable else f"cannot read: {exc.message}",
                          file=path) from None


def parse_toml_bytes(raw: bytes, path: Path) -> dict[str, Any]:
    """`read_toml` for bytes already read (the TOML editor reads the file once, under its
    lock); errors name `path` and the line."""
    from console.config import toml_input

    try:
        return toml_input.loads(toml_input.decode(raw))
    except toml_input.TomlInputError as exc:
        raise ConfigError(exc.reason, file=path, line=exc.line) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(f"not valid TOML: {message}", file=path, line=line) from None


def key_line(path: Path, key: str) -> int | None:
    """The 1-based line where a top-level `key = ...` is written, if any."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(lines, start=1):
        if pattern.match(line):
            return number
    return None


def _split_dotted(text: str) -> list[str] | None:
    """`a."b.c".d` → ["a", "b.c", "d"]; None when it is not a plain dotted key."""
    parts: list[str] = []
    text = text.strip()
    while text:
        if text[0] in "\"'":
            quote = text[0]
            end = text.find(quote, 1)
            if end < 0:
                return None
            parts.append(text[1:end])
            text = text[end + 1:].strip()
        else:
            match = re.match(r"[A-Za-z0-9_-]+", text)
            if not match:
                return None
            parts.append(match.group(0))
            text = text[match.end():].strip()
        if text.startswith("."):
            text = text[1:].strip()
        elif text:
            return None
    return parts


def locate_key(path: Path, dotted: str | list[str]) -> int | None:
    """The 1-based line of a possibly nested key such as `environments.prod.base_url`.

    Follows `[table]` headers and dotted keys. When the key itself is not written (a missing
    required key), the line of its table's header; None when neither is found.
    """
    target = _split_dotted(dotted) if isinstance(dotted, str) else list(dotted)
    if not target:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    table: list[str] = []
    header_line: int | None = None
    inline_line: int | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = re.match(r"^\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$", stripped)
        if header:
            table = _split_dotted(header.group(1)) or []
            if table == target[:-1] and header_line is None:
                header_line = number
            if table == target:
                return number
            continue
        key = re.match(r"^((?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=", stripped)
        if key:
            full = table + (_split_dotted(key.group(1)) or [])
            if full == target:
                return number
            # An inline table (`prod = { base_url = ... }`) holding the key.
            if len(full) > len(table) and full == target[: len(full)] and inline_line is None:
                inline_line = number
    return inline_line or header_line


def load_settings(**overrides: Any) -> Settings:
    """Load settings; raise `ConfigError` naming where the bad value came from."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")  # (pydantic's, for our checks)
        key = ".".join(str(p) for p in first["loc"]) or "(config)"
        path = paths.config_file()
        top = str(first["loc"][0]) if first["loc"] else ""
        env_name = f"CALL_CONSOLE_{top.upper()}"
        if top in overrides and overrides[top] is not None:
            raise ConfigError(message, key=key) from None
        if env_name in os.environ:
            raise ConfigError(message, key=env_name) from None
        raise ConfigError(message, file=path, line=key_line(path, top), key=key) from None
