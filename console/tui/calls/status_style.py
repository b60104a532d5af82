"""How a call status, a flag and a disposition look in the Calls screen.

Every status is a symbol AND a word (the colour is extra, so the table reads the same with
NO_COLOR or on a monochrome terminal). Status strings the API did not document (other than
"transferring", the transfer route's answer) are shown verbatim with `?` and treated as live,
as api.md §2 asks. *Lost* (`LOST_STYLE`) is not a server status but the console's own final
state for a call the API answers 404 for: it has a style of its own and is never looked up by
a server string. Everything returns `rich.text.Text` built from plain strings: server text is
never parsed as markup, and its control characters are shown as escapes (`visible`), so a
status cannot drive the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from console.api.safe_text import visible


@dataclass(frozen=True)
class StatusStyle:
    symbol: str
    style: str
    label: str


STATUS_STYLES: dict[str, StatusStyle] = {
    "initiated": StatusStyle("◌", "cyan", "initiated"),
    "ringing": StatusStyle("☎", "bold yellow", "ringing"),
    "answered": StatusStyle("●", "bold green", "answered"),
    # Not one of api.md's five, but the transfer route's own answer ([decided] in api.md §4):
    # a call this console (or another) is transferring. Live, like any other such status.
    "transferring": StatusStyle("⇄", "bold blue", "transferring"),
    "ended": StatusStyle("✔", "dim", "ended"),
    "failed": StatusStyle("✖", "bold red", "failed"),
}
UNKNOWN_STATUS = StatusStyle("?", "bold magenta", "")
#: The local final state of a call the API no longer knows (404s): not a server status.
LOST_STYLE = StatusStyle("⊘", "red", "lost")
#: Longest unknown status string shown (table cells cut it further to their width).
STATUS_LABEL_LIMIT = 64
#: api.md §2 (kept here too, so the first frame does not import pydantic for them)
KNOWN_STATUSES: tuple[str, ...] = ("initiated", "ringing", "answered", "ended", "failed")
TERMINAL_STATUSES: frozenset[str] = frozenset({"ended", "failed"})

#: Sort order of statuses (live first, in lifecycle order; unknown statuses with the live ones).
STATUS_ORDER: dict[str, int] = {"initiated": 0, "ringing": 1, "answered": 2, "transferring": 3,
                                "ended": 4, "failed": 5}
UNKNOWN_ORDER = 3
LOST_ORDER = 6


def status_style(status: str | None) -> StatusStyle:
    style = STATUS_STYLES.get(status or "")
    if style is not None:
        return style
    label = visible(status, STATUS_LABEL_LIMIT) if status else "(none)"
    return StatusStyle(UNKNOWN_STATUS.symbol, UNKNOWN_STATUS.style, label)


def status_text(status: str | None) -> Text:
    """`● answered` — symbol and word in the status colour; unknown strings verbatim."""
    style = status_style(status)
    return Text(f"{style.symbol} {style.label}", style=style.style, no_wrap=True,
                overflow="ellipsis")


def status_sort_key(status: str | None) -> tuple[int, str]:
    return STATUS_ORDER.get(status or "", UNKNOWN_ORDER), status or ""


def lost_text() -> Text:
    """`⊘ lost` — the status cell of a lost call (its last server status is in the detail)."""
    return Text(f"{LOST_STYLE.symbol} {LOST_STYLE.label}", style=LOST_STYLE.style, no_wrap=True,
                overflow="ellipsis")


def lost_sort_key() -> tuple[int, str]:
    return LOST_ORDER, LOST_STYLE.label


# -- flags ------------------------------------------------------------------------------------

#: flag -> (short word for the table, style, sentence for the detail pane)
FLAG_STYLES: dict[str, tuple[str, str, str]] = {
    "stale": ("stale", "yellow",
              "no successful poll for a while: the status shown may be out of date"),
    "ringing-overdue": ("ring-late", "yellow",
                        "still not answered after its ringing timeout (+ margin)"),
    "over-max-duration": ("over-max", "red",
                          "answered for longer than its max call duration"),
    "not-found": ("not-found", "red",
                  "the API answers 404 for this call id; after several in a row the call is "
                  "lost: no longer polled, kept in the history (Dismiss takes it off the "
                  "table)"),
    "outcome-unknown": ("unconfirmed", "magenta",
                        "placed by a request whose answer never came; found by reconciling"),
}
FLAG_ORDER = tuple(FLAG_STYLES)


def sorted_flags(flags) -> list[str]:
    known = [f for f in FLAG_ORDER if f in flags]
    return known + sorted(f for f in flags if f not in FLAG_STYLES)


def flags_text(flags) -> Text:
    """Short words, comma separated (`stale, ring-late`)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, flag in enumerate(sorted_flags(flags)):
        if i:
            text.append(" ")
        word, style, _ = FLAG_STYLES.get(flag, (flag, "yellow", flag))
        text.append(word, style=style)
    return text


def flag_sentence(flag: str) -> str:
    return FLAG_STYLES.get(flag, (flag, "", flag))[2]
