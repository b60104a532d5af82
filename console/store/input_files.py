"""Reading a file an operator names (a bundle to import, `--context @FILE`): bounded, never
blocking on a FIFO, never reading a device to the end.

`read_limited` opens without blocking, looks at what it opened, and reads at most `limit` bytes
(+1, to tell "exactly the limit" from "more"): `/dev/zero` or a 5 GB file end in a clear
`InputFileError` instead of filling memory, and a FIFO nobody writes to is refused instead of
hanging the console (where pipes are welcome, `--context @/dev/stdin`, it is read like `cat`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = ["InputFileError", "read_limited", "read_stream_limited", "decode_utf8", "describe_size"]

_CHUNK = 1024 * 1024
#: Opening a FIFO for reading blocks until a writer comes, unless non-blocking.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


class InputFileError(ValueError):
    """A file that cannot be used. `message` says why (without the file); str() names the
    file as `shown` (default: the path), e.g. `FILE:LINE: message` or `cannot read FILE:
    reason`. `missing`: the file does not exist; `unreadable`: it could not be opened."""

    def __init__(self, message: str, *, file: os.PathLike[str] | str, shown: str | None = None,
                 line: int | None = None, unreadable: bool = False, missing: bool = False):
        self.message, self.file, self.line = message, Path(file), line
        self.unreadable, self.missing = unreadable or missing, missing
        shown = shown if shown is not None else os.fspath(file)
        if self.unreadable:
            text = f"cannot read {shown}: {message}"
        else:
            text = f"{shown}:{line}: {message}" if line is not None else f"{shown}: {message}"
        super().__init__(text)


def describe_size(size: int) -> str:
    """'512 bytes', '64 KiB', '16 MiB' (whole units, for limits in messages)."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size:,} bytes"


_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


def read_limited(path: os.PathLike[str] | str, limit: int, *, what: str = "file",
                 regular_only: bool = True, shown: str | None = None) -> bytes:
    """The bytes of `path`, at most `limit` of them, or InputFileError naming the path.

    regular_only: refuse anything but a regular file (FIFOs, devices, sockets, directories),
    without waiting for a FIFO's writer; otherwise a pipe or device is read until its end or
    the limit, whichever comes first. `what` names the file in messages ("bundle"),
    `shown` is the path as messages show it (default: `path` as given).
    """
    # Where pipes are welcome, a FIFO waits for its writer as `cat` would (Ctrl+C ends it).
    flags = _OPEN_FLAGS if regular_only else _OPEN_FLAGS & ~getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputFileError(exc.strerror or str(exc), file=path, shown=shown, unreadable=True,
                             missing=isinstance(exc, FileNotFoundError)) from None
    try:
        info = os.fstat(fd)
        kind = stat.S_IFMT(info.st_mode)
        if kind == stat.S_IFDIR or (regular_only and kind != stat.S_IFREG):
            raise InputFileError(f"is {_KINDS.get(kind, 'not a regular file')}, not a {what}: "
                                 "give the path of a regular file", file=path, shown=shown)
        if kind == stat.S_IFREG and info.st_size > limit:
            raise InputFileError(f"is {info.st_size:,} bytes; a {what} may have at most "
                                 f"{describe_size(limit)}", file=path, shown=shown)
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return read_stream_limited(stream, limit, file=path, what=what, shown=shown)
    except OSError as exc:
        raise InputFileError(exc.strerror or str(exc), file=path, shown=shown,
                             unreadable=True) from None
    finally:
        os.close(fd)


def read_stream_limited(stream: BinaryIO, limit: int, *, file: os.PathLike[str] | str,
                        what: str = "file", shown: str | None = None) -> bytes:
    """At most `limit` bytes of an open binary stream (standard input, a pipe), or
    InputFileError when it holds more."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise InputFileError(f"holds more than {describe_size(limit)}; that is the most a {what} "
                         "may have", file=file, shown=shown)


def decode_utf8(raw: bytes, *, file: os.PathLike[str] | str, shown: str | None = None) -> str:
    """The text of UTF-8 bytes, or InputFileError naming the line of the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputFileError(f"not UTF-8 text (byte 0x{raw[exc.start]:02X})", file=file,
                             shown=shown, line=line) from None
