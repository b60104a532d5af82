"""Every use of a private Textual name, in one place, each with why (tests/tui/test_textual_compat.py
fails loudly when an upgrade removes or renames one).

Textual 8.2 is the version these were written against (pyproject pins `textual>=8.2,<9`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from textual.message import Message

#: Every private name used here: "module:object.attribute" (checked by the test).
PRIVATE_NAMES: tuple[str, ...] = (
    "textual.app:App._handle_exception",
    "textual.message_pump:MessagePump._dispatch_message",
    "textual._context:active_app",
)


# -- the error boundary -----------------------------------------------------------------------
#
# Textual ends the app on any exception in a handler (`App._handle_exception` exits), and the
# message loop of the widget whose handler raised stops for good (`_process_messages_loop`
# breaks out after `_handle_exception`), so merely not exiting would leave a frozen screen.
# An operator's console must go on: when the app asks for it (`survive_handler_errors`), an
# exception raised while a widget handles a message is caught here, before the loop sees it,
# and handed to `App.handler_failed`; other errors Textual routes to `_handle_exception`
# (render, timers, compose) go there too. Apps that do not ask (tests) keep Textual's strict
# behaviour: the first error ends the app and `run_test` raises it.

_original_dispatch = MessagePump._dispatch_message


async def _dispatch_with_boundary(self: MessagePump, message: Message) -> None:
    try:
        await _original_dispatch(self, message)
    except asyncio.CancelledError:
        raise
    except Exception as error:
        app = _active_app()
        if app is None or not getattr(app, "survive_handler_errors", False):
            raise
        app.handler_failed(error, self)


def _active_app() -> App[Any] | None:
    from textual._context import active_app  # private: the app of the running loop

    return active_app.get(None)


def install_error_boundary() -> None:
    """Route handler errors through `handler_failed` for apps that ask (idempotent)."""
    if MessagePump._dispatch_message is not _dispatch_with_boundary:
        MessagePump._dispatch_message = _dispatch_with_boundary  # type: ignore[method-assign]


class ErrorBoundaryApp(App[Any]):
    """An app that may choose to survive handler errors (`survive_handler_errors = True`)."""

    survive_handler_errors = False

    def handler_failed(self, error: BaseException, where: object) -> None:  # pragma: no cover
        raise NotImplementedError

    def _handle_exception(self, error: Exception) -> None:
        if self.survive_handler_errors:
            self.handler_failed(error, None)
        else:
            super()._handle_exception(error)
