"""Where call-console keeps its files.

`CALL_CONSOLE_CONFIG_DIR` and `CALL_CONSOLE_DATA_DIR` override the platform defaults, so every
test and every operator's sandbox can be isolated.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "call-console"


def config_dir() -> Path:
    override = os.environ.get("CALL_CONSOLE_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    override = os.environ.get("CALL_CONSOLE_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return data_dir() / "logs"


def config_file() -> Path:
    return config_dir() / "config.toml"


def profiles_file() -> Path:
    override = os.environ.get("CALL_CONSOLE_PROFILES")
    if override:
        return Path(override).expanduser()
    return config_dir() / "profiles.toml"


def history_db() -> Path:
    return data_dir() / "calls.sqlite3"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) with mode 0700 for the leaf; return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def shown_path(path: os.PathLike[str] | str) -> str:
    """`path` as a user finds it again: absolute (against the current directory), with the
    home directory as ~."""
    full = os.path.abspath(os.path.expanduser(os.fspath(path)))
    home = os.path.expanduser("~")
    if home not in ("~", "/") and (full == home or full.startswith(home + os.sep)):
        return "~" + full[len(home):]
    return full
