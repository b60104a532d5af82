"""Every use of a private Textual name, in one place, each with why (tests/tui/test_textual_compat.py
fails loudly when an upgrade removes or renames one).

Textual 8.2 is the version these were written against (pyproject pins `textual>=8.2,<9`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from textual.timer import Timer

#: Every private name used here: "module:object.attribute" (checked by the test).
PRIVATE_NAMES: tuple[str, ...] = (
    "textual.app:App._handle_exception",
    "textual.message_pump:MessagePump._dispatch_message",
    "textual._context:active_app",
    "textual.message:Message._stop_propagation",
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


# -- keys in the order they were typed ---------------------------------------------------------
#
# Textual hands each key to the focused widget as it arrives, but runs the key's *binding*
# only after the key has travelled up from that widget to the app. Keys typed in one burst (a
# fast typist; any SSH session, where keys arrive in chunks) overtake each other: in an Input,
# "abc" Backspace "d" gives "abd" minus the "d" (the Backspace binding runs after "d" went
# in), Ctrl+U then "456" clears the "456", and a Tab's focus change comes after the next
# letters have gone to the old field. Here the app delivers a key (or a paste) only once the
# previous one has been handled all the way: stopped by a widget, or through the app's own
# bindings. A key whose handling does not finish within `KEY_ORDER_TIMEOUT` (a handler waiting
# on something slow) releases the next one anyway: order is worth a pause, never a freeze.

#: the longest a key waits for the one before it (seconds)
KEY_ORDER_TIMEOUT = 0.5


class SequentialKeysApp(ErrorBoundaryApp):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys_held: deque[events.Event] = deque()
        self._key_in_flight: events.Event | None = None
        self._key_timeout: Timer | None = None

    @property
    def keys_pending(self) -> bool:
        """Keys (or pastes) are waiting to be delivered, or one is being handled."""
        return self._key_in_flight is not None or bool(self._keys_held)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self._keys_held.append(event)
            await self._deliver_held_keys()
            return
        await super().on_event(event)

    async def _deliver_held_keys(self) -> None:
        while self._key_in_flight is None and self._keys_held:
            event = self._keys_held.popleft()
            target = self.focused or self.screen  # where Textual forwards it
            await super().on_event(event)
            if event.is_forwarded and not event._stop_propagation:
                self._key_in_flight = event
                self._key_timeout = self.set_timer(KEY_ORDER_TIMEOUT,
                                                   partial(self._key_handled, event))
                target.call_later(self._follow_key, event, target)

    def _follow_key(self, event: events.Event, node: Any) -> None:
        """Runs on `node` after it handled `event`: done, or follow it to the parent."""
        parent = node.parent
        if event._stop_propagation or node is self or parent is None:
            self._key_handled(event)
        else:
            parent.call_later(self._follow_key, event, parent)

    def _key_handled(self, event: events.Event) -> None:
        if self._key_in_flight is not event:
            return
        self._key_in_flight = None
        if self._key_timeout is not None:
            self._key_timeout.stop()
            self._key_timeout = None
        if self._keys_held:
            self.call_later(self._deliver_held_keys)
