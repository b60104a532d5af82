"""What a server that runs consoles for remote operators gives each child console.

Shared by `serve-ssh` (console/ssh) and `serve-web` (console/web), which never import each
other: the server's own terminal and session variables are dropped from the child's
environment, the terminal size is clamped, and a child's end by signal is named the same way
in both servers' audit records. Standard library only.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

#: Server environment variables that describe the server's own terminal or session, not the
#: remote operator's.
DROPPED_SERVER_ENV = frozenset({
    "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION", "TERM_SESSION_ID", "TMUX", "TMUX_PANE", "STY", "WINDOW",
    "VTE_VERSION", "WT_SESSION", "KONSOLE_VERSION", "ITERM_SESSION_ID", "KITTY_WINDOW_ID",
    "WEZTERM_PANE", "SSH_AUTH_SOCK", "SSH_AGENT_PID", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY",
    "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "TEXTUAL", "CALL_CONSOLE_OPERATOR",
    "CALL_CONSOLE_SSH_SESSION", "CALL_CONSOLE_WEB_SESSION",
})

#: The largest terminal a child console gets, whatever the client asks for: wider than any
#: real screen at a readable font, and small enough that the console's screen buffers stay a
#: few MB (the console lays out and paints every cell: a 10000x10000 request grew a child to
#: 1.7 GB).
MAX_COLUMNS = 500
MAX_ROWS = 200


def clamp_size(columns: int, rows: int) -> tuple[int, int]:
    """`columns` x `rows` within 1..MAX_COLUMNS x 1..MAX_ROWS."""
    return max(1, min(int(columns), MAX_COLUMNS)), max(1, min(int(rows), MAX_ROWS))


def signal_name(returncode: int) -> str:
    """`TERM` for a child ended by SIGTERM (a negative return code)."""
    try:
        return signal.Signals(-returncode).name.removeprefix("SIG")
    except ValueError:
        return str(-returncode)


R = TypeVar("R")


def serve_until_signalled(start: Callable[[], Awaitable[R]], on_ready: Callable[[R], None],
                          shutdown: Callable[[R], Awaitable[None]]) -> None:
    """Start a server, tell `on_ready`, run until SIGINT, SIGTERM or SIGHUP, then
    `shutdown` it (each server ends its consoles there) before returning."""

    async def main() -> None:
        running = await start()
        on_ready(running)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await shutdown(running)

    asyncio.run(main())
