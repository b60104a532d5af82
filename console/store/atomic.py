"""Crash-safe file replacement and the lock that serialises writers of one file.

`atomic_write` never leaves a mix of old and new bytes: the data goes to a temporary file in the
same directory, is flushed and fsynced, then `os.replace`d over the target, and the directory is
fsynced so the rename itself survives a power cut. A `kill -9` at any point leaves either the old
file or the new one (plus, at worst, a stray temporary file that `remove_stale_temp_files` sweeps
up under the lock).

Generic on purpose: the profiles store uses it, and so will the token file (mode 0600).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_write", "file_lock", "lock_path", "remove_stale_temp_files", "LockTimeout"]

_TEMP_SUFFIX = ".tmp"


class LockTimeout(TimeoutError):
    """Another process held the lock for longer than the timeout."""

    def __init__(self, path: Path, timeout: float):
        self.path, self.timeout = path, timeout
        super().__init__(f"{path}: another process has held the lock {lock_path(path)} for "
                         f"more than {timeout:g} s; try again")


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _real(path: os.PathLike[str] | str) -> Path:
    """Follow a symlink to the file it names, so the link survives the replace."""
    return Path(os.path.realpath(os.fspath(path)))


def fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def atomic_write(path: os.PathLike[str] | str, data: bytes, *, mode: int | None = None,
                 default_mode: int = 0o600) -> None:
    """Replace `path` with `data` atomically.

    mode: the permission bits of the new file. None keeps the mode of the existing file, or uses
    `default_mode` when there is none yet (0600: callers storing nothing secret pass 0o644).
    The parent directory is created (0700) when missing.
    """
    target = _real(path)
    directory = target.parent
    if not directory.exists():
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = default_mode
    fd, temp_name = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=_TEMP_SUFFIX,
                                     dir=directory)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    fsync_directory(directory)


def remove_stale_temp_files(path: os.PathLike[str] | str) -> list[Path]:
    """Delete temporary files a killed writer of `path` left behind. Call it under the lock."""
    target = _real(path)
    prefix = _temp_prefix(target)
    removed = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        if name.startswith(prefix) and name.endswith(_TEMP_SUFFIX):
            stale = target.parent / name
            with contextlib.suppress(OSError):
                stale.unlink()
                removed.append(stale)
    return removed


def lock_path(path: os.PathLike[str] | str) -> Path:
    target = _real(path)
    return target.with_name(target.name + ".lock")


@contextlib.contextmanager
def file_lock(path: os.PathLike[str] | str, *, timeout: float = 10.0) -> Iterator[None]:
    """Hold the inter-process lock `<path>.lock` (an OS lock: released if the holder dies)."""
    from filelock import FileLock, Timeout

    target = _real(path)
    if not target.parent.exists():
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # filelock retries a lock file it cannot create until the timeout, then blames "another
    # process": open it first, so a read-only directory fails now with its real OSError.
    os.close(os.open(lock_path(target), os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                     0o644))
    lock = FileLock(str(lock_path(target)), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeout(target, timeout) from None
    try:
        yield
    finally:
        lock.release()
