"""The one way the console edits `config.toml` in place, keeping what the operator wrote.

`edit_toml(file, change, validate=...)`:

1. holds the file's lock (`console.store.atomic.file_lock`), so a second writer waits and then
   reads what the first one wrote: two writers never lose each other's edit;
2. reads the file once (missing: empty) and checks it with the loader's own strict reader
   (`console.config.settings.parse_toml_bytes`): a file that does not parse is never
   overwritten, and the `ConfigError` names the file and the line;
3. parses it with tomlkit, which keeps comments, key order and layout of what is not touched,
   and lets `change(document)` edit it (raising `ConfigError` there writes nothing);
4. reads the result back with the strict reader and hands it to `validate`, whose return value
   is returned (raising `ConfigError` there writes nothing either);
5. replaces the file atomically (`atomic_write`: temporary file, fsync, `os.replace`), so a
   crash leaves the old file or the new one, never a mix. A new file is private (0600); an
   existing one keeps its mode. Temporary files a killed writer left behind are swept first.

Headless (no Textual). tomlkit is imported only when a file is edited: it is not on the TUI's
first-frame path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from console.config.settings import ConfigError, parse_toml_bytes, read_config_bytes

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

__all__ = ["edit_toml", "set_top_level"]

T = TypeVar("T")


def edit_toml(file: Path, change: Callable[[TOMLDocument], None], *,
              validate: Callable[[dict[str, Any]], T] | None = None) -> T | None:
    """Apply `change` to `file` under its lock and write it atomically (see the module
    docstring). Returns what `validate` returns for the new contents (None without one).

    Raises `ConfigError` (the file does not parse, or `change`/`validate` refused the edit:
    the file is untouched), `LockTimeout` or another `OSError` (the file could not be read or
    written: it is untouched as well).
    """
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    from console.config import toml_input
    from console.store.atomic import atomic_write, file_lock, remove_stale_temp_files

    with file_lock(file):
        remove_stale_temp_files(file)
        raw = read_config_bytes(file) or b""
        parse_toml_bytes(raw, file)  # refuses (file and line) before anything is written
        try:
            document = tomlkit.parse(toml_input.decode(raw))
        except ParseError as exc:  # the strict reader took it, tomlkit did not
            raise ConfigError(f"not valid TOML: {exc}", file=file, line=exc.line) from None
        except TOMLKitError as exc:
            raise ConfigError(f"not valid TOML: {exc}", file=file) from None
        change(document)
        new_text = tomlkit.dumps(document)
        result = validate(parse_toml_bytes(new_text.encode("utf-8"), file)) if validate else None
        atomic_write(file, new_text.encode("utf-8"))
    return result


def set_top_level(document: TOMLDocument, values: Mapping[str, Any]) -> None:
    """Set top-level `key = value` lines; None removes the key. An existing key is changed in
    place; tomlkit puts a new one before the first table, where TOML needs it."""
    for key, value in values.items():
        if value is None:
            if key in document:
                del document[key]
        else:
            document[key] = value
