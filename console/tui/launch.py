"""`call-console` without a subcommand: build the app and run it. Returns the exit code.

Only Textual and the console's own small modules are imported before the first frame; the
settings, the API client and the simulator are loaded by the app right after it.

Before the UI, a cheap stdlib check of config.toml (it parses; the environment asked for by
`--env`, CALL_CONSOLE_ENV or active_env exists) exits 2 with the file, line and key. So does
the full validation (URLs, keys, types, ranges), which runs before the UI whenever the
configuration changed since it last passed (`validate_config_once`), and again in the app
right after the first frame.

SIGHUP (the terminal or the SSH client went away) and SIGTERM end the console cleanly: the
app is asked to exit from its event loop, so its unmount runs (the session and the stores are
closed, the demo simulator stops) and the exit code is 128 + the signal number.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any


def run_tui(*, demo: bool = False, screen: str | None = None, mouse: bool = True,
            operator: str | None = None, env: str | None = None,
            theme: str | None = None) -> int:
    from console.tui.screens import SCREENS

    name = (screen or "call").strip().lower()
    if name not in SCREENS:
        print(f"call-console: unknown screen {screen!r}; choose one of: {', '.join(SCREENS)}",
              file=sys.stderr)
        return 2
    problem = precheck_config(env, demo=demo) or validate_config_once(
        env, demo=demo, operator=operator)
    if problem:
        print(f"call-console: configuration error: {problem}", file=sys.stderr)
        return 2

    from console.logs import start_file_log
    from console.tui.app import make_app

    start_file_log()
    app = make_app(demo=demo, screen=name, operator=operator, env=env, account_checks=True,
                   onboarding=True, theme=theme, survive_errors=True)
    restore = install_exit_signals(app)
    try:
        app.run(mouse=mouse)
    finally:
        restore()
        app.stop_demo()
    if app.fatal_message:
        try:
            print(app.fatal_message, file=sys.stderr)
        except OSError:  # the terminal is gone (hangup)
            pass
    return app.return_code or 0


def precheck_config(env: str | None, *, demo: bool = False) -> str | None:
    """A problem with config.toml found with the standard library only, or None.

    Checks that the file parses, and (not for --demo) that the environment named by `--env`,
    else CALL_CONSOLE_ENV, else `active_env` is defined in it.
    """
    import re
    import tomllib

    from console import paths
    from console.config import toml_input

    file = paths.config_file()
    try:
        text = toml_input.decode(file.read_bytes())
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        return f"{file}: cannot read: {exc.strerror}"
    except toml_input.TomlInputError as exc:  # not UTF-8
        return f"{file}:{exc.line}: {exc.reason}"
    try:
        data = toml_input.loads(text)
    except toml_input.TomlInputError as exc:  # valid TOML past the limits (nesting, numbers)
        return f"{file}:{exc.line}: {exc.reason}" if exc.line else f"{file}: {exc.reason}"
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        where = f"{file}:{match.group(1)}" if match else str(file)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        return f"{where}: not valid TOML: {message}"
    if demo:
        return None
    environments = data.get("environments", {})
    names = sorted(environments) if isinstance(environments, dict) else []
    known = f" (known: {', '.join(names)})" if names else " (none defined)"
    chosen, source = env, "--env"
    if not chosen:
        chosen, source = os.environ.get("CALL_CONSOLE_ENV") or None, "CALL_CONSOLE_ENV"
    if chosen:
        if chosen not in names:
            return (f"{file}: {source}: no environment named {chosen!r}{known}; add one with "
                    "`call-console env add`")
        return None
    if os.environ.get("CALL_CONSOLE_BASE_URL"):
        return None
    active = data.get("active_env")
    if isinstance(active, str) and active and active not in names:
        line = next((n for n, row in enumerate(text.splitlines(), start=1)
                     if re.match(r"\s*active_env\s*=", row)), None)
        where = f"{file}:{line}" if line else str(file)
        return f"{where}: active_env: no [environments.{active}] in this file{known}"
    return None


#: in the data dir: the fingerprint of the configuration the last full check passed
CHECKED_STAMP = ".config-checked"


def validate_config_once(env: str | None, *, demo: bool = False,
                         operator: str | None = None) -> str | None:
    """The full check of the configuration (every value, every environment), or None.

    The check needs pydantic, about 170 ms of imports the first frame cannot afford on every
    start. So it runs before the UI only when config.toml, the `CALL_CONSOLE_*` variables or
    `--env`/`--demo` differ from those of the last start that passed it (a fingerprint in the
    data dir); a bad value then ends the start with exit code 2 before anything is drawn. The app
    checks again after its first frame, in case the file changed in between.
    """
    from console import paths

    if _only_defaults():
        return None  # a first start: nothing to check but the defaults (no pydantic import)
    stamp = paths.data_dir() / CHECKED_STAMP
    fingerprint = _config_fingerprint(env, demo=demo)
    try:
        if stamp.read_text(encoding="utf-8") == fingerprint:
            return None
    except OSError:
        pass
    from console.config.settings import ConfigError, load_settings

    try:
        settings = load_settings(operator=operator)
        if not demo:
            from console.account.environments import resolve_target

            resolve_target(settings, env)
    except ConfigError as exc:
        return str(exc)
    try:
        paths.ensure_private_dir(stamp.parent)
        partial = stamp.with_name(f"{CHECKED_STAMP}.{os.getpid()}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(fingerprint)
        os.replace(partial, stamp)
    except OSError:
        pass  # only a saving: the next start checks again
    return None


#: variables the check reads but accepts any value of, and that change from one start to the
#: next (per SSH session, per operator): left out, so they do not force a new check
_UNCHECKED_VARIABLES = frozenset({"CALL_CONSOLE_TOKEN", "CALL_CONSOLE_OPERATOR",
                                  "CALL_CONSOLE_SSH_SESSION", "CALL_CONSOLE_WEB_SESSION",
                                  "CALL_CONSOLE_AUDIT_LOG"})


#: `CALL_CONSOLE_*` variables that are not settings (where the files are; debug logging)
_NOT_SETTINGS = frozenset({"CALL_CONSOLE_CONFIG_DIR", "CALL_CONSOLE_DATA_DIR",
                           "CALL_CONSOLE_LOG_DIR", "CALL_CONSOLE_PROFILES",
                           "CALL_CONSOLE_DEBUG"})


def _only_defaults() -> bool:
    """No config.toml and no `CALL_CONSOLE_*` variable the check would have to judge (those
    it accepts any value of, `_UNCHECKED_VARIABLES`, aside): the settings are the defaults,
    which always pass. The first start of a new operator, before anything is configured."""
    from console import paths

    if paths.config_file().exists():
        return False
    return not any(name.upper().startswith("CALL_CONSOLE_")
                   and name.upper() not in _NOT_SETTINGS | _UNCHECKED_VARIABLES
                   for name in os.environ)


def _config_fingerprint(env: str | None, *, demo: bool) -> str:
    """A hash of what the check reads. The token is left out with the other free-form values
    (`_UNCHECKED_VARIABLES`, `--operator`): nothing derived from it is written to disk."""
    import hashlib

    from console import __version__, paths

    digest = hashlib.sha256()
    file = paths.config_file()
    try:
        content = file.read_bytes()
    except OSError:
        content = b"(no file)"
    variables = sorted((k, v) for k, v in os.environ.items()
                       if k.startswith("CALL_CONSOLE_") and k not in _UNCHECKED_VARIABLES)
    for part in (__version__, str(file), repr(variables), repr((env, demo))):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(content)
    return digest.hexdigest()


def install_exit_signals(app: Any) -> Callable[[], None]:
    """Make SIGHUP and SIGTERM ask `app` to exit cleanly; returns a function restoring the
    previous handlers. Safe from the signal handler: the exit is scheduled on the app's loop
    with `call_soon_threadsafe` (which wakes the loop)."""
    import functools
    import signal

    def handler(signum: int, _frame: object) -> None:
        code = 128 + signum
        from console.tui.textual_compat import app_loop, no_restart_on_resume

        loop = app_loop(app)
        if loop is None or loop.is_closed():
            raise SystemExit(code)  # before the app runs, or after it stopped
        app.exit_signal = signum
        no_restart_on_resume(app)  # nothing is resumed after a hangup
        if signum == getattr(signal, "SIGHUP", None) and _terminal_hung_up():
            _discard_output()
        loop.call_soon_threadsafe(functools.partial(app.exit_when_settled, code))

    previous: dict[int, Any] = {}
    for name in ("SIGHUP", "SIGTERM"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            previous[signum] = signal.signal(signum, handler)
        except (ValueError, OSError):  # not the main thread
            pass

    def restore() -> None:
        for signum, old in previous.items():
            try:
                signal.signal(signum, old)
            except (ValueError, OSError, TypeError):
                pass

    return restore


def _terminal_hung_up(fd: int = 2) -> bool:
    """The terminal the console draws on was hung up (its fd now answers EIO)."""
    import errno
    import termios

    try:
        termios.tcgetattr(fd)
    except termios.error as exc:
        return bool(exc.args) and exc.args[0] == errno.EIO
    except OSError:
        return False
    return False


def _discard_output() -> None:
    """Point stdout and stderr at /dev/null: the shutdown's last writes (restoring a terminal
    that is gone) then succeed instead of failing or blocking the UI's output thread."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        for fd in (1, 2):
            try:
                os.dup2(null, fd)
            except OSError:
                pass
    finally:
        os.close(null)
