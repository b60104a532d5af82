"""The outline of the profiles file (`outline.py`) kept for the next process, privately.

One JSON file per profiles file in the operator's data dir (`cache/`, 0700; the file 0600).
It is only a shortcut: it is used when it names the SHA-256 of the profiles file's bytes as
they are now and was written by this code (the console's version and the modules that decide
what a valid file is), and only when the operator owns it and nobody else may write it. Any
doubt (missing, unreadable, foreign, corrupt, stale) means no outline: the store then reads
and checks the whole file, as it always did. It holds names only, never a number or a header.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from console.store.profiles.outline import FORMAT, Outline

#: a cache file larger than this is not read (5,000 names are ~100 kB)
MAX_BYTES = 8 * 1024 * 1024


def cache_file(profiles_path: Path) -> Path:
    from console import paths

    where = os.path.abspath(os.fspath(profiles_path))
    key = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return paths.data_dir() / "cache" / f"profiles-outline-{key}.json"


def code_stamp() -> str:
    """The console's version and the modules whose rules an outline stands for: a change to
    any of them makes every cached outline stale."""
    from console import __version__
    from console.store.profiles import edit, model, outline, parse, scan, validation

    parts = [__version__, str(FORMAT)]
    for module in (model, validation, parse, scan, edit, outline):
        try:
            info = os.stat(module.__file__ or "")
            parts.append(f"{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append("?")
    return " ".join(parts)


def load(profiles_path: Path, sha256: str) -> Outline | None:
    """The cached outline of the profiles file whose bytes hash to `sha256`, or None."""
    try:
        path = cache_file(profiles_path)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES
                or info.st_mode & 0o022
                or (hasattr(os, "getuid") and info.st_uid != os.getuid())):
            return None
        with os.fdopen(fd, "rb", closefd=False) as stream:
            plain = json.loads(stream.read(MAX_BYTES + 1))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    if not isinstance(plain, dict) or plain.get("code") != code_stamp():
        return None
    found = Outline.from_plain(plain)
    return found if found is not None and found.sha256 == sha256 else None


def save(profiles_path: Path, outline: Outline) -> None:
    """Keep `outline` for the next process; a cache that cannot be written is no error."""
    from console.paths import ensure_private_dir
    from console.store.atomic import atomic_write

    try:
        path = cache_file(profiles_path)
        ensure_private_dir(path.parent)
        data = json.dumps({**outline.to_plain(), "code": code_stamp()},
                          ensure_ascii=False).encode("utf-8")
        atomic_write(path, data, mode=0o600)
    except (OSError, ValueError):
        pass
