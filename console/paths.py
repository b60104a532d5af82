"""Where call-console keeps its files.

`CALL_CONSOLE_CONFIG_DIR`, `CALL_CONSOLE_DATA_DIR` (and `CALL_CONSOLE_LOG_DIR`) override the
platform defaults, so every test and every operator's sandbox can be isolated.
"""

from __future__ import annotations

import errno
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
    """The log folder: `CALL_CONSOLE_LOG_DIR`; else `logs/` of an overridden data dir (a
    sandbox keeps everything together); else the platform's state/log dir (XDG:
    `~/.local/state/call-console/log`)."""
    override = os.environ.get("CALL_CONSOLE_LOG_DIR")
    if override:
        return Path(override).expanduser()
    if os.environ.get("CALL_CONSOLE_DATA_DIR"):
        return data_dir() / "logs"
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_NAME, appauthor=False))


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


#: the mode of every directory the console creates, and of every file holding operator data
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> Path:
    """Create `path` and every missing parent with mode 0700; return it.

    Only directories created here get that mode: an existing one keeps its own (an operator
    or admin may have opened a shared folder on purpose). `Path.mkdir(parents=True)` would
    create the parents with the umask's mode (0755), which is how the data dir used to end up
    readable by every user when its first file was the history database or a token.
    """
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:  # another process made it meanwhile
            pass
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    return path


def tighten_private_file(path: Path) -> bool:
    """An operator-data file found readable or writable by others (made by an older version,
    a copy, an umask of 022) is made 0600 again; True if it was. A file another user owns is
    left alone (chmod would fail and it is not ours to change)."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    if info.st_mode & 0o077 == 0 or info.st_uid != os.getuid():
        return False
    try:
        os.chmod(path, PRIVATE_FILE_MODE)
    except OSError:
        return False
    import logging

    logging.getLogger("console").warning("%s was mode %o; made it 0600", path,
                                         info.st_mode & 0o777)
    return True


def shown_path(path: os.PathLike[str] | str) -> str:
    """`path` as a user finds it again: absolute (against the current directory), with the
    home directory as ~."""
    full = os.path.abspath(os.path.expanduser(os.fspath(path)))
    home = os.path.expanduser("~")
    if home not in ("~", "/") and (full == home or full.startswith(home + os.sep)):
        return "~" + full[len(home):]
    return full
