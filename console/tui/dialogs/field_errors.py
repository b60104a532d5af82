"""Error lines under a modal's fields, and its one status line, shared by the account modals."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class FieldErrors:
    """For screens with a `Static#<field>-error` under each field (shown with `-shown`) and,
    when `STATUS_ID` is set, a status `Static` with that id."""

    STATUS_ID: str = ""

    def field_error(self, name: str) -> str:
        """The problem shown under a field ("" when none)."""
        widget = self.query_one(f"#{name}-error", Static)
        return str(widget.render()) if widget.has_class("-shown") else ""

    def _set_error(self, name: str, message: str | None) -> None:
        widget = self.query_one(f"#{name}-error", Static)
        widget.update(Text(message or ""))
        widget.set_class(bool(message), "-shown")

    @property
    def status_text(self) -> str:
        return str(self.query_one(f"#{self.STATUS_ID}", Static).render())

    def _set_status(self, message: str, *, error: bool = False) -> None:
        status = self.query_one(f"#{self.STATUS_ID}", Static)
        status.update(Text(message))
        status.set_class(error, "-error")
