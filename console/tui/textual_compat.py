"""Every use of a private Textual name, in one place, each with why (tests/tui/test_textual_compat.py
fails loudly when an upgrade removes or renames one).

Textual 8.2 is the version these were written against (pyproject pins `textual>=8.2,<9`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.message import Message
from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from textual.timer import Timer

#: Every private name used here: "module:object.attribute" (checked by the test). Instance
#: attributes are written "module:Class().attribute" (checked on a new instance) or
#: "module:Class.__init__:attribute" (set by the constructor; checked in its source).
PRIVATE_NAMES: tuple[str, ...] = (
    "textual.app:App._handle_exception",
    "textual.message_pump:MessagePump._dispatch_message",
    "textual._context:active_app",
    "textual.message:Message._stop_propagation",
    "textual.app:App()._loop",
    "textual.app:App()._driver",
    "textual.driver:Driver.__init__:_auto_restart",
    "textual.app:App()._css_update_count",
    "textual.app:App()._keymap",
    "textual.app:App._normalize_keymap",
    "textual.dom:DOMNode._merge_bindings",
    "textual.command:CommandPalette.__init__:_selected_command",
    "textual._tree_sitter:TREE_SITTER",
    "textual.command:CommandPalette._gather_commands",
    "textual.command:CommandPalette._gather_commands.__wrapped__",
    "textual.command:CommandPalette._GATHER_COMMANDS_GROUP",
    "textual.command:CommandPalette._watch__list_visible",
    "textual.command:CommandPalette._watch__show_busy",
)


# -- small accessors (each one private name, with why) ----------------------------------------

def app_loop(app: App[Any]) -> asyncio.AbstractEventLoop | None:
    """The loop the app runs on (None before it runs): a signal handler schedules the exit
    there with `call_soon_threadsafe`. Textual keeps it private (`App._loop`)."""
    return getattr(app, "_loop", None)


def no_restart_on_resume(app: App[Any]) -> None:
    """Textual restarts application mode on SIGCONT (its Ctrl+Z resume); a hangup comes with
    a SIGCONT, and restarting half-way through the shutdown deadlocks the output thread.
    (`Driver._auto_restart`, set by the driver's constructor.)"""
    driver = getattr(app, "_driver", None)
    if driver is not None and hasattr(driver, "_auto_restart"):
        driver._auto_restart = False


def skip_stylesheet_reparse(screen: Any) -> None:
    """A new screen is styled from the current stylesheet when it mounts; Textual's modes
    still re-parse the whole stylesheet for a screen whose count is behind the app's (a new
    one always is): ~5 ms before the first frame, for nothing, when the screen's CSS is
    already in the app's stylesheet. (`DOMNode._css_update_count`, `App._css_update_count`.)"""
    screen._css_update_count = screen.app._css_update_count


def current_keymap(app: App[Any]) -> dict[str, str]:
    """The keymap the app applies (binding id → keys). Textual has a setter (`set_keymap`)
    but no getter (`App._keymap`)."""
    return getattr(app, "_keymap", {}) or {}


def normalize_keymap(keymap: dict[str, str]) -> dict[str, str]:
    """Key names as Textual normalises them when a keymap is set (`App._normalize_keymap`)."""
    return App._normalize_keymap(keymap)


def merged_bindings(cls: type) -> Any:
    """A node class's bindings, its own and inherited, merged the way Textual does when it
    builds the key map (`DOMNode._merge_bindings`): the key reference lists them."""
    return cls._merge_bindings()


def palette_chose_command(palette: Any) -> bool:
    """Whether the command palette is closing because a command was chosen (not escaped):
    the theme preview is undone only on escape (`CommandPalette._selected_command`)."""
    return getattr(palette, "_selected_command", None) is not None


def tree_sitter_available() -> bool:
    """Whether Textual's tree-sitter highlighting is installed (`textual._tree_sitter`)."""
    try:
        from textual._tree_sitter import TREE_SITTER
    except ImportError:  # pragma: no cover - the private module moved
        return False
    return bool(TREE_SITTER)


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


# -- the command palette's search, when the palette is already gone --------------------------


class PaletteSearchGuard(CommandPalette):
    """Textual starts the palette's search in a worker (`_gather_commands`) that first looks up
    its CommandList; a palette closed before that worker ran (a fast typist: open, Escape, and
    another screen on top) has no children any more, and the lookup's NoMatches ended the app
    (found by the key storm, about 1 run in 4). The search now starts only while the list is
    there; otherwise there is nothing to show it in."""

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        if not self.query(CommandList):
            return
        # Synchronous up to Textual's own lookup of the list: nothing can remove it between.
        await CommandPalette._gather_commands.__wrapped__(self, search_value)

    # The search's flags change while it runs (after awaits) and their watchers look the list
    # up again: a palette closed meanwhile (F11 to another view mid-search, in the key storm)
    # has no list, and the lookup's NoMatches ended the app. Nothing to show it in: skip.

    def _watch__list_visible(self) -> None:
        if self.query(CommandList):
            CommandPalette._watch__list_visible(self)

    async def _watch__show_busy(self) -> None:
        if self.query(CommandList):
            await CommandPalette._watch__show_busy(self)
