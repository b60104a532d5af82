"""What `serve-ssh` and `serve-web` share as commands: the options that shape each remote
operator's console, the forwarded console options, and the start-up lines.

The servers themselves (console/ssh, console/web) never import each other; their shared child
rules live in console/account/remote_console.py.
"""

from __future__ import annotations

import logging
import shlex
import sys
from collections.abc import Callable, Iterable
from typing import Any

import click

from console.commands.common import EXIT_INPUT, fail


def console_options(unit: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--max-sessions, --idle-timeout, --command and --term-grace, each remote console being
    one `unit` ("session", "tab") in the help texts."""
    options = [
        click.option("--max-sessions", type=click.IntRange(1, 1000), default=10,
                     show_default=True,
                     help=f"Concurrent consoles (one per {unit}); one more is told so and "
                          "closed."),
        click.option("--idle-timeout", type=click.FloatRange(0), default=1800.0,
                     show_default=True,
                     help=f"Close a {unit}'s console after this many seconds without input "
                          "(0 = never)."),
        click.option("--command", "command", metavar="CMD", hidden=True,
                     help=f"Run CMD (shell words) as each {unit}'s child instead of the "
                          "console."),
        click.option("--term-grace", type=click.FloatRange(0), default=3.0, hidden=True,
                     help="Seconds between SIGTERM and SIGKILL."),
    ]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def child_command(command: str | None) -> list[str] | None:
    """--command's shell words, or None for the console itself; bad words exit 2."""
    if command is None:
        return None
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        fail(f"--command: {exc}", EXIT_INPUT)
    if not argv:
        fail("--command: empty", EXIT_INPUT)
    return argv


def forwarded_options(ctx: click.Context) -> list[str]:
    """The console options given before the command (`call-console --demo serve-ssh`), for
    each child console."""
    parent = ctx.parent.params if ctx.parent is not None else {}
    args: list[str] = []
    if parent.get("demo"):
        args.append("--demo")
    if parent.get("no_mouse"):
        args.append("--no-mouse")
    if parent.get("screen"):
        args += ["--screen", str(parent["screen"])]
    return args


def log_to_stderr(logger_name: str) -> None:
    """The server's own log lines (connections, sessions) on stderr with the time."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    ours = logging.getLogger(logger_name)
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False


def bound_text(addresses: Iterable[tuple[str, int]], host: str, port: int) -> str:
    """`127.0.0.1:2222, [::1]:2222`: what the server listens on."""
    return ", ".join(f"[{a}]:{p}" if ":" in a else f"{a}:{p}" for a, p in addresses) \
        or f"{host}:{port}"
