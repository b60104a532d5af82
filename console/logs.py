"""The console's log file: rotating, private (0600 in a 0700 folder), never holding a secret.

`start_file_log()` is called by every face (the TUI, and the CLI for each subcommand); it
writes `call-console.log` in `paths.log_dir()` (the XDG state dir by default), rotated by size.
`CALL_CONSOLE_DEBUG=1` (the CLI's `--debug` sets it, so child consoles inherit it) lowers the
level to DEBUG: then the API client logs every exchange (`console.api.wire`). Every record goes through
`SecretMaskingFormatter`, which replaces each registered secret (the API token, refresh
tokens: `register_secret`) with `***` in the message and in the traceback, so a token caught
in an exception's text never reaches the file. Tracebacks are Python's plain ones: no locals.
"""

from __future__ import annotations

import logging
import os
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILE_NAME = "call-console.log"
#: rotate at this size, keep this many old files: at most 4 MiB of logs per data dir
MAX_BYTES = 1024 * 1024
BACKUP_COUNT = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"
#: shorter secrets would mask ordinary words
MIN_SECRET_LENGTH = 8

DEBUG_ENV = "CALL_CONSOLE_DEBUG"

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(secret: str | None) -> None:
    """Mask `secret` in every log record from now on."""
    if secret and len(secret) >= MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(secret)


def mask_secrets(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class SecretMaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Creates (and rotates into) files with mode 0600."""

    def _open(self):  # noqa: ANN202 - the stdlib's signature
        old = os.umask(0o077)
        try:
            return super()._open()
        finally:
            os.umask(old)


_handler: RotatingFileHandler | None = None


def log_file() -> Path:
    from console import paths

    return paths.log_dir() / LOG_FILE_NAME


def debug_enabled() -> bool:
    """`CALL_CONSOLE_DEBUG` is set to a true value (1, true, yes, on)."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def start_file_log(level: int | None = None) -> Path | None:
    """Send the `console` loggers to the rotating log file (once per process), at `level`
    (default: DEBUG when `debug_enabled()`, else INFO).

    Returns the file, or None when it cannot be written (the console runs without it: a
    read-only data dir must not stop an operator)."""
    global _handler
    if level is None:
        level = logging.DEBUG if debug_enabled() else logging.INFO
    file = log_file()
    if _handler is not None:
        if Path(_handler.baseFilename) == file.absolute():
            logging.getLogger("console").setLevel(level)
            return file
        stop_file_log()  # the data dir moved (another CALL_CONSOLE_DATA_DIR): follow it
    try:
        from console.paths import ensure_private_dir

        ensure_private_dir(file.parent)
        handler = _PrivateRotatingFileHandler(file, maxBytes=MAX_BYTES,
                                              backupCount=BACKUP_COUNT, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(SecretMaskingFormatter(FORMAT))
    logger = logging.getLogger("console")
    logger.addHandler(handler)
    logger.setLevel(level)
    _handler = handler
    return file


def stop_file_log() -> None:
    """Close the log file (tests; a process that changes its data dir)."""
    global _handler
    handler, _handler = _handler, None
    if handler is not None:
        logging.getLogger("console").removeHandler(handler)
        handler.close()
