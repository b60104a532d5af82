"""Names and references of profile entries, as the Profiles screen's checks word them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from console.store.profiles import ProfilesStore, Reference
    from console.store.profiles.model import Kind


def _a(label: str) -> str:
    return ("an " if label[0] in "aeiou" else "a ") + label


def name_problem(store: ProfilesStore, kind: Kind | str, name: str, *,
                 current: str | None = None) -> str | None:
    """Why `name` cannot be used for a (new or renamed) entry, or None."""
    from console.store.profiles.model import check_name, parse_kind

    kind = kind if not isinstance(kind, str) else parse_kind(kind)
    if message := check_name(name):
        return message
    if current is not None and name == current:
        return "that is its name now"
    taken = next((n for n in store.names(kind) if n.lower() == name.lower()), None)
    if taken is not None and (current is None or taken.lower() != current.lower()):
        return f"{_a(kind.label)} named {taken!r} already exists (names are case-insensitive)"
    return None


def references_text(refs: list[Reference]) -> str:
    return ", ".join(str(ref) for ref in refs)


def references_count(count: int) -> str:
    return f"{count} reference{'s' if count != 1 else ''}"


def references_body(refs: list[Reference], heading: str, empty: str, *,
                    heading_style: str = "") -> Text:
    """A dialog's body: `heading` over a bullet per reference, or `empty` when there are none."""
    body = Text()
    if not refs:
        body.append(empty)
        return body
    body.append(f"{heading}\n", style=heading_style)
    for ref in refs:
        body.append(f"  • {ref}\n")
    return body


class Problem:
    """A message for a field (and a header row / part for the header list)."""

    def __init__(self, message: str, row: int | None = None, part: str | None = None) -> None:
        self.message, self.row, self.part = message, row, part

    def __str__(self) -> str:
        return self.message
