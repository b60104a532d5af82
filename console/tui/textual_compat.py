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
    "textual.widgets._data_table:DataTable()._data",
    "textual.widgets._data_table:DataTable()._row_locations",
    "textual.widgets._data_table:DataTable()._update_count",
    "textual.widgets._data_table:DataTable()._cell_render_cache",
    "textual.widgets._data_table:DataTable()._row_render_cache",
    "textual.widgets._data_table:DataTable()._row_renderable_cache",
    "textual.widgets._data_table:DataTable()._line_cache",
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


# -- DataTable: rewrite cells without dropping every render cache -------------------------------
#
# `DataTable.update_cell` bumps `_update_count`, which is part of the key of every render cache
# of the table (cells, row lines, row renderables, lines): one changed cell makes the next
# frame render every visible cell again through Rich. With 2,000 live calls (a status changing
# every few ms, durations ticking every second) that was most of the Calls screen's CPU and
# the keystroke delays. `update_cells_in_place` writes the cells and forgets the cached
# renders of THOSE cells and of their rows' lines only, then repaints those rows: every other
# row is drawn from the caches.
#
# The cache keys it relies on (Textual 8.2, widgets/_data_table.py):
#   _cell_render_cache    (row_key, column_key, base_style, cursor, hover, ..., update_count, ...)
#   _row_render_cache     (row_key, line_no, base_style, cursor_location, ..., update_count, ...)
#   _row_renderable_cache (update_count, row_index)
#   _line_cache           (y, x1, x2, width, cursor, hover, ..., update_count, ...), y = the
#                         line in the table's content: header lines + the row's index for rows
#                         of height 1
# `check_data_table_caches` fails loudly (DataTableInternalsChanged) when a table's caches no
# longer have that shape; the table then falls back to `update_cell` (correct, only slower),
# and tests/tui/test_textual_compat.py fails on such a Textual version.


class DataTableInternalsChanged(RuntimeError):
    """Textual's DataTable caches no longer look as `update_cells_in_place` expects."""


_CACHES = ("_cell_render_cache", "_row_render_cache", "_row_renderable_cache", "_line_cache")


def check_data_table_caches(table: Any) -> None:
    """Raise `DataTableInternalsChanged` unless `table`'s private state and cache keys have
    the shape `update_cells_in_place` relies on (checked on the entries present now: call it
    after the table rendered)."""
    from textual.cache import LRUCache
    from textual.widgets._data_table import ColumnKey, RowKey

    problems = []
    for name in ("_data", "_row_locations", "_update_count", *_CACHES):
        if not hasattr(table, name):
            problems.append(f"DataTable.{name} is gone")
    if not problems:
        for name in _CACHES:
            if not isinstance(getattr(table, name), LRUCache):
                problems.append(f"DataTable.{name} is not an LRUCache")
    if not problems:
        for key in list(table._cell_render_cache.keys()):
            if not (isinstance(key, tuple) and isinstance(key[0], RowKey)
                    and isinstance(key[1], ColumnKey)):
                problems.append(f"a _cell_render_cache key is {key!r:.80}")
                break
        for key in list(table._row_render_cache.keys()):
            if not (isinstance(key, tuple) and isinstance(key[0], RowKey)
                    and isinstance(key[1], int)):
                problems.append(f"a _row_render_cache key is {key!r:.80}")
                break
        for key in list(table._row_renderable_cache.keys()):
            if not (isinstance(key, tuple) and len(key) == 2
                    and all(isinstance(part, int) for part in key)):
                problems.append(f"a _row_renderable_cache key is {key!r:.80}")
                break
        for key in list(table._line_cache.keys()):
            if not (isinstance(key, tuple) and isinstance(key[0], int)):
                problems.append(f"a _line_cache key is {key!r:.80}")
                break
    if problems:
        raise DataTableInternalsChanged(
            "Textual's DataTable changed: " + "; ".join(problems)
            + " (see update_cells_in_place in console/tui/textual_compat.py)")


def update_cells_in_place(table: Any, cells: dict[Any, dict[Any, Any]]) -> int:
    """Write `cells` ({row key: {column key: value}}) into the DataTable `table` like
    `update_cell` (no column width update), but forget only the cached renders of those cells
    and their rows' lines, and repaint only those rows. Rows must be one line high. Returns
    the number of cells written; raises CellDoesNotExist like `update_cell`."""
    from textual.widgets._data_table import CellDoesNotExist, ColumnKey, RowKey

    if not cells:
        return 0
    data, locations = table._data, table._row_locations
    header = table.header_height if table.show_header else 0
    changed: set[tuple[Any, Any]] = set()
    rows: dict[Any, int] = {}
    for row_key, columns in cells.items():
        row_key = RowKey(row_key) if isinstance(row_key, str) else row_key
        index = locations.get(row_key)
        if index is None:
            raise CellDoesNotExist(f"No cell exists for row_key={row_key!r}.")
        row = data[row_key]
        for column_key, value in columns.items():
            column_key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
            if column_key not in row:
                raise CellDoesNotExist(f"No cell exists for column_key={column_key!r}.")
            row[column_key] = value
            changed.add((row_key, column_key))
        rows[row_key] = index
    lines = {header + index for index in rows.values()}
    cell_cache, row_cache = table._cell_render_cache, table._row_render_cache
    line_cache, renderables = table._line_cache, table._row_renderable_cache
    for key in list(cell_cache.keys()):
        if (key[0], key[1]) in changed:
            cell_cache.discard(key)
    for key in list(row_cache.keys()):
        if key[0] in rows:
            row_cache.discard(key)
    for key in list(line_cache.keys()):
        if key[0] in lines:
            line_cache.discard(key)
    update_count = table._update_count
    for index in rows.values():
        renderables.discard((update_count, index))
    top = int(table.scroll_y) + header
    bottom = int(table.scroll_y) + table.size.height
    for line in sorted(lines):
        if top <= line < bottom:  # on screen: repaint that line only
            table.refresh_lines(line)
    return len(changed)
