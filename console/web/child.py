"""One browser tab = one child console process, driven by textual-serve's AppService.

textual-serve starts the app with `create_subprocess_shell(command)` and the server's whole
environment. Here the child is started without a shell, from an argument list, in its own Unix
session (`setsid`: one operator's crash or hang never touches another's, and the whole process
group can be signalled), with the environment `serve-ssh` gives its children (the server's own
terminal variables dropped, CALL_CONSOLE_OPERATOR and the session id set, so file dialogs are
confined to the operator's exchange folder and the audit records name the operator).

Ending: textual-serve asks the app to quit (a `quit` packet, the console saves and exits);
if it has not exited after `quit_grace` seconds it gets SIGTERM, then SIGKILL `term_grace`
seconds later.

AppService._open_app_process is textual-serve's one private name used here (1.1.3); a test
(tests/web/test_child.py) checks it is still there.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from importlib.metadata import version

from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

log = logging.getLogger("console.web")


def child_environment(base: Mapping[str, str], dropped: frozenset[str], *, operator: str,
                      session_id: str, width: int, height: int) -> dict[str, str]:
    """The environment of one tab's console (what textual-serve sets for its web driver, on
    top of the server's environment without its terminal and session variables)."""
    env = {k: v for k, v in base.items() if k not in dropped}
    env.update({
        "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
        "TEXTUAL_FPS": "60",
        "TEXTUAL_COLOR_SYSTEM": "truecolor",
        "TERM_PROGRAM": "textual",
        "TERM_PROGRAM_VERSION": version("textual-serve"),
        "COLUMNS": str(width),
        "ROWS": str(height),
        "CALL_CONSOLE_OPERATOR": operator,
        "CALL_CONSOLE_SSH_SESSION": session_id,  # confines file dialogs; the audit's session
        "CALL_CONSOLE_WEB_SESSION": session_id,
    })
    return env


class ConsoleChild(AppService):
    """AppService with an argv (no shell), a chosen environment and a process group."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], *,
                 write_bytes: Callable[[bytes], Awaitable[None]],
                 write_str: Callable[[str], Awaitable[None]],
                 close: Callable[[], Awaitable[None]],
                 download_manager: DownloadManager, cwd: str | None = None):
        super().__init__(" ".join(argv), write_bytes=write_bytes, write_str=write_str,
                         close=close, download_manager=download_manager)
        self.argv, self.env, self.cwd = list(argv), env, cwd
        self.exited_itself = False  # the console said it was exiting (Ctrl+Q, a fatal error)

    async def on_meta(self, data: bytes) -> None:
        """The console's meta packets; an `exit` one means it is quitting on its own."""
        try:
            if json.loads(data).get("type") == "exit":
                self.exited_itself = True
        except (ValueError, AttributeError):
            pass
        await super().on_meta(data)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process is not None else None

    async def _open_app_process(self, width: int = 80, height: int = 24):
        self.env["COLUMNS"], self.env["ROWS"] = str(width), str(height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self.env, cwd=self.cwd,
            start_new_session=True)
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def wait(self) -> int:
        assert self._process is not None
        return await self._process.wait()

    def signal_group(self, sig: int) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        try:
            os.killpg(process.pid, sig)  # pid == pgid after setsid
        except ProcessLookupError:
            pass
        except PermissionError:  # pragma: no cover
            try:
                process.send_signal(sig)
            except ProcessLookupError:
                pass

    async def end(self, quit_grace: float, term_grace: float) -> int | None:
        """Ask the console to quit; SIGTERM after `quit_grace`, SIGKILL `term_grace` later."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            try:
                await asyncio.wait_for(self.send_meta({"type": "quit"}), 1.0)
            except (TimeoutError, OSError):
                pass
        for sig, grace in ((None, quit_grace), (signal.SIGTERM, term_grace),
                           (signal.SIGKILL, None)):
            if process.returncode is not None:
                break
            if sig is not None:
                self.signal_group(sig)
            try:
                await asyncio.wait_for(asyncio.shield(process.wait()), grace)
            except TimeoutError:
                log.info("console pid %s still running after %s", process.pid,
                         "quit" if sig is None else signal.Signals(sig).name)
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 3.0)
            except TimeoutError:
                self._task.cancel()
            self._task = None
        return process.returncode
