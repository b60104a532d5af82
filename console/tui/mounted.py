"""Mount state in one place: a part of a screen is usable only once composed, until removed.

Handlers run at moments a screen's author does not picture: the key bar asks every screen's
`check_action` while it paints (also while a lazily mounted part is still composing), a timer
or a worker finishes after its widget was removed, a signal arrives during start-up. Code that
reaches into a part goes through `usable` / `query_usable`, which treat a part that is not
composed yet, or is being removed, as absent. Callers then do what they do when it is absent
(nothing, or "not available"), instead of each catching `NoMatches` its own way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from textual.widget import Widget

W = TypeVar("W", bound="Widget")


def usable(widget: Widget | None) -> bool:
    """`widget` has been composed and mounted (its children can be queried) and is still
    attached to a running app."""
    return (widget is not None and widget.is_mounted and widget.is_running
            and widget.is_attached)


def query_usable(node: Widget, selector: str, expect_type: type[W]) -> W | None:
    """The first widget under `node` (a screen or a widget) matching `selector` that is
    `usable`, else None."""
    if not usable(node):
        return None
    for widget in node.query(selector).results(expect_type):
        if usable(widget):
            return widget
    return None
