"""Crash-safe file replacement and the lock that serialises writers of one file.

`atomic_write` never leaves a mix of old and new bytes: the data goes to a temporary file in the
same directory, is flushed and fsynced, then `os.replace`d over the target, and the directory is
fsynced so the rename itself survives a power cut. A `kill -9` at any point leaves either the old
file or the new one (plus, at worst, a stray temporary file that `remove_stale_temp_files` sweeps
up under the lock).

Only regular files are ever replaced. `atomic_write` follows a symlink at the target to the file
it names (a profiles.toml kept in a dotfiles repository stays a link), but refuses when that is a
FIFO, a device, a socket or a directory: `os.replace` would silently swap such a node for a
plain file. `write_named_file` is for a path an operator typed (an export): it follows no link at
all and refuses one, so a bundle can never be written through a link into a file elsewhere.

New files get mode 0600 (they hold operator data), and missing directories 0700.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from console.paths import PRIVATE_FILE_MODE, ensure_private_dir

__all__ = ["atomic_write", "write_named_file", "check_named_target", "file_lock", "lock_path",
           "remove_stale_temp_files", "LockTimeout", "NotARegularFile"]

_TEMP_SUFFIX = ".tmp"


class LockTimeout(TimeoutError):
    """Another process held the lock for longer than the timeout."""

    def __init__(self, path: Path, timeout: float):
        self.path, self.timeout = path, timeout
        super().__init__(f"{path}: another process has held the lock {lock_path(path)} for "
                         f"more than {timeout:g} s; try again")


class NotARegularFile(OSError):
    """The target exists and is not a regular file (or, for `write_named_file`, is a symlink);
    nothing was written. The message names the path and what is there."""

    def __init__(self, path: os.PathLike[str] | str, what: str, advice: str):
        self.path, self.what = Path(path), what
        message = f"is {what}: {advice}"
        super().__init__(errno.EINVAL, message, os.fspath(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def node_kind(mode: int) -> str:
    """What a file of this `st_mode` is, in words ("a FIFO", "a character device", ...)."""
    for test, words in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"),
                        (stat.S_ISFIFO, "a FIFO (named pipe)"),
                        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                        (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "not a regular file" if not stat.S_ISREG(mode) else "a regular file"


def _existing_mode(target: Path, *, follow: bool) -> int | None:
    """The permission bits of the regular file at `target`, None when there is none; raises
    `NotARegularFile` for anything else that is there."""
    try:
        info = os.stat(target) if follow else os.lstat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise NotARegularFile(target, "a symbolic link",
                              "the console does not write through links; give the path of "
                              "the file itself, or remove the link")
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFile(target, node_kind(info.st_mode),
                              "the console only writes regular files; give another name")
    return stat.S_IMODE(info.st_mode)


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
                 default_mode: int = PRIVATE_FILE_MODE) -> None:
    """Replace `path` with `data` atomically.

    A symlink at `path` is followed (the file it names is replaced, the link stays). What is
    replaced must be a regular file: a FIFO, device, socket or directory raises
    `NotARegularFile` and nothing is written.

    mode: the permission bits of the new file. None keeps the mode of the existing file, or uses
    `default_mode` when there is none yet (0600: every file the console writes holds operator
    data). The parent directory is created (0700) when missing.
    """
    target = _real(path)
    existing = _existing_mode(target, follow=True)
    _replace(target, data, existing if mode is None else mode, default_mode)


def check_named_target(path: os.PathLike[str] | str) -> bool:
    """True when a regular file is at `path`, False when nothing is; raises `NotARegularFile`
    for a symlink (not followed) or a special file, as `write_named_file` would."""
    return _existing_mode(Path(os.path.abspath(os.fspath(path))), follow=False) is not None


def write_named_file(path: os.PathLike[str] | str, data: bytes, *,
                     default_mode: int = PRIVATE_FILE_MODE) -> None:
    """Write `data` atomically to a file an operator named (an export), never elsewhere.

    Unlike `atomic_write`, a symlink at `path` is refused, not followed: writing through it
    would put operator data wherever the link points (`authorized_keys`, a file of another
    user). A FIFO, device, socket or directory is refused too (`NotARegularFile`). An existing
    regular file keeps its mode. The directories on the way may be links (as /tmp is on some
    systems); only the last component is checked. Should a link or node appear there after
    the check, `os.replace` swaps the entry itself: it never writes through it.
    """
    target = Path(os.path.abspath(os.fspath(path)))
    existing = _existing_mode(target, follow=False)
    _replace(target, data, existing, default_mode)


def _replace(target: Path, data: bytes, mode: int | None, default_mode: int) -> None:
    directory = target.parent
    if not directory.exists():
        ensure_private_dir(directory)
    if mode is None:
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
        ensure_private_dir(target.parent)
    # filelock retries a lock file it cannot create until the timeout, then blames "another
    # process": open it first, so a read-only directory fails now with its real OSError.
    os.close(os.open(lock_path(target), os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                     PRIVATE_FILE_MODE))
    lock = FileLock(str(lock_path(target)), timeout=timeout, mode=PRIVATE_FILE_MODE)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeout(target, timeout) from None
    try:
        yield
    finally:
        lock.release()
