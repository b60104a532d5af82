"""The exchange folder: the one place an SSH operator's file dialogs may read and write.

Over SSH (`serve-ssh`, or sshd with the forced-command recipe of docs/ssh.md) the console runs
on the server, as the server's user, for someone who has no shell there. A path typed into a file
dialog is then a path on the server: without a rule, an export could replace the server's
`authorized_keys` and an import could read any file that user can read. So in an SSH session every
path an operator names goes through `ExchangeFolder.resolve`, which only answers paths inside
`<exchange dir>/<operator>/` (default `<data dir>/exchange/<operator>/`, created 0700) and
refuses everything else with a message that says why (`PathRefused`).

How the console knows it is an SSH session: `serve-ssh` sets CALL_CONSOLE_SSH_SESSION for each
child; sshd sets SSH_CONNECTION (and SSH_CLIENT, SSH_TTY) for every session, forced command or
not, and a client cannot unset them. Any of them confines. `confine_files = true` in config.toml
confines always (a jump host where even local logins should not pick server files). A shell user
who connected over SSH is confined too; they keep stdin and stdout (`profiles export > FILE`).

The rule, when confined: `~` is expanded, a relative path is taken from the exchange folder,
then every directory on the way is resolved (symlinks and `..`) and the result must lie inside
the (resolved) folder. The last component is kept as named, so a writer can refuse a symlink
there; when it is a symlink, what it points to must lie inside as well. Not confined, a path is
taken from the current directory as before (`resolve` is still the one place that decides).

Headless: the TUI dialogs, the CLI and (later) the web face use it. No Textual, no pydantic.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console import paths

#: Set in an SSH session, first match wins (the name is given in the dialogs' notice).
SSH_SESSION_VARIABLES = ("CALL_CONSOLE_SSH_SESSION", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")
#: Set by `serve-web` for each browser tab's console: confined like an SSH session.
WEB_SESSION_VARIABLE = "CALL_CONSOLE_WEB_SESSION"
#: The folder under the data dir that holds one exchange folder per operator.
EXCHANGE_DIR_NAME = "exchange"

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


class PathRefused(ValueError):
    """A path an operator named cannot be used; the message says which and why."""

    def __init__(self, typed: str, reason: str):
        self.typed, self.reason = typed, reason
        super().__init__(f"{typed}: {reason}" if typed else reason)


def ssh_session_variable(environ: Mapping[str, str] | None = None) -> str | None:
    """The environment variable that shows this is an SSH session, or None."""
    environ = os.environ if environ is None else environ
    return next((name for name in SSH_SESSION_VARIABLES if environ.get(name)), None)


def folder_name(operator: str) -> str:
    """`operator` as one safe directory name: letters, digits and `._@+-`, no leading dot
    (so never `.` or `..`). A name that had to be changed gets a short hash of the original,
    so two operators never share a folder by accident."""
    cleaned = _UNSAFE.sub("_", operator)[:64].lstrip(".")
    if cleaned == operator and cleaned:
        return cleaned
    digest = hashlib.sha256(operator.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned or 'operator'}-{digest}"


def trusted_operator(operator: str | None = None,
                     environ: Mapping[str, str] | None = None) -> str:
    """Whose folder: `--operator`, else CALL_CONSOLE_OPERATOR (both set by the SSH server or the
    admin's key options), else the login name. Never config.toml's `operator`: an operator can
    edit that from the Settings screen, and would then open someone else's folder."""
    environ = os.environ if environ is None else environ
    if operator:
        return operator
    if environ.get("CALL_CONSOLE_OPERATOR"):
        return environ["CALL_CONSOLE_OPERATOR"]
    try:
        return getpass.getuser() or "operator"
    except (KeyError, OSError):  # pragma: no cover - no login name at all
        return "operator"


def _inside(path: Path, folder: Path) -> bool:
    return path != folder and folder in path.parents


@dataclass(frozen=True)
class ExchangeFolder:
    """Where an operator's files go, and whether paths are confined to it."""

    folder: Path                 # absolute: <exchange dir>/<operator folder name>
    confined: bool
    operator: str
    why: str | None = None       # what confines, in words: "SSH session", "confine_files = true"
    signal: str | None = None    # and where that was seen: "SSH_CONNECTION", "config"

    @classmethod
    def current(cls, *, operator: str | None = None, exchange_dir: str | os.PathLike[str] | None
                = None, confine: bool = False,
                environ: Mapping[str, str] | None = None) -> ExchangeFolder:
        """The folder of this process: its operator, the configured exchange dir (default
        `<data dir>/exchange`), confined when in an SSH session or when `confine` is set."""
        environ = os.environ if environ is None else environ
        name = trusted_operator(operator, environ)
        root = (Path(os.path.expanduser(os.fspath(exchange_dir))) if exchange_dir
                else paths.data_dir() / EXCHANGE_DIR_NAME)
        folder = Path(os.path.abspath(root / folder_name(name)))
        if environ.get(WEB_SESSION_VARIABLE):  # (serve-web sets the SSH one too, for the audit)
            return cls(folder, True, name, "browser session", WEB_SESSION_VARIABLE)
        variable = ssh_session_variable(environ)
        if variable is not None:
            return cls(folder, True, name, "SSH session", variable)
        if confine:
            return cls(folder, True, name, "confine_files = true", "config")
        return cls(folder, False, name)

    @classmethod
    def for_settings(cls, settings: Any, *, operator: str | None = None,
                     environ: Mapping[str, str] | None = None) -> ExchangeFolder:
        """`current` with `exchange_dir` and `confine_files` of a `console.config.settings.Settings`."""
        return cls.current(operator=operator, exchange_dir=getattr(settings, "exchange_dir", None),
                           confine=bool(getattr(settings, "confine_files", False)),
                           environ=environ)

    # -- what the dialogs show (no file system access: safe on the UI thread) ---------------

    @property
    def shown(self) -> str:
        """The folder as a user finds it again (`~/…/exchange/alice/`)."""
        return paths.shown_path(self.folder) + os.sep

    @property
    def notice(self) -> str | None:
        """One line for a file dialog when confined, None otherwise."""
        if not self.confined:
            return None
        return (f"{self.why}: files are read and written only in your exchange folder "
                f"{self.shown}; paths outside it are refused.")

    def preview(self, typed: str) -> str:
        """Where `typed` would go, as shown, without touching the file system (`resolve`
        decides; links are not followed here)."""
        text = os.path.expanduser(typed)
        base = self.folder if self.confined else Path.cwd()
        return paths.shown_path(os.path.normpath(os.path.join(base, text)))

    # -- the rule ------------------------------------------------------------------------------

    def ensure(self) -> Path:
        """Create the folder (0700, and the exchange dir above it) when missing; return it.

        Raises `PathRefused` when the folder is a symlink or not a directory: only an admin
        can have put that there, and following it would undo the confinement."""
        try:
            paths.ensure_private_dir(self.folder)
            info = os.lstat(self.folder)
        except OSError as exc:
            raise PathRefused("", f"cannot use the exchange folder {self.shown}: "
                                  f"{exc.strerror or exc}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise PathRefused("", f"the exchange folder {self.shown} is not a directory "
                                  "(a symbolic link?); ask the administrator to fix it")
        return self.folder

    def resolve(self, typed: str) -> Path:
        """The absolute path the operator means by `typed`, or `PathRefused`.

        Not confined: `~` expanded, relative to the current directory. Confined: see the module
        docstring; the folder is created when missing.
        """
        if not typed:
            raise PathRefused("", "give a file name")
        if "\x00" in typed:
            raise PathRefused(typed.replace("\x00", "\\0"), "a path cannot hold a NUL character")
        expanded = os.path.expanduser(typed)
        if not self.confined:
            return Path(os.path.abspath(expanded))
        folder = Path(os.path.realpath(self.ensure()))
        candidate = Path(expanded)
        if not candidate.is_absolute():
            candidate = self.folder / candidate
        if candidate.name in ("", ".", ".."):
            resolved = Path(os.path.realpath(candidate))
        else:
            resolved = Path(os.path.realpath(candidate.parent)) / candidate.name
        if resolved == folder:
            raise PathRefused(typed, f"that is your exchange folder {self.shown} itself; "
                                     "give a file name in it")
        if not _inside(resolved, folder):
            raise PathRefused(typed, self._outside())
        if resolved.is_symlink():
            target = Path(os.path.realpath(resolved))
            if not _inside(target, folder):
                raise PathRefused(typed, "a symbolic link to a file outside your exchange "
                                         f"folder {self.shown}; it is not followed")
        return resolved

    def _outside(self) -> str:
        return (f"outside your exchange folder {self.shown} ({self.why}: files are read and "
                "written only there)")
