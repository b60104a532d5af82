"""What a toast shows of a long message: the first lines, and where the whole text is.

A toast is a few lines in a corner for a few seconds. A server may answer with kilobytes of
detail (a 7 KB error page, a 422 listing every field): shown whole, that toast would cover
the screen. `clip_toast` keeps the first TOAST_MAX_LINES lines / TOAST_MAX_CHARS characters
and says where the rest is; the app writes the whole text to the log (see
`CallConsoleApp.notify`), and the Call form shows it in its result area too.
"""

from __future__ import annotations

TOAST_MAX_LINES = 6
TOAST_MAX_CHARS = 200


def clip_toast(message: str, where: str) -> str:
    """`message` as a toast shows it: unchanged when short, else its start and
    "… N more characters: <where>"."""
    lines = message.split("\n")
    kept = "\n".join(lines[:TOAST_MAX_LINES])
    if len(kept) > TOAST_MAX_CHARS:
        kept = kept[:TOAST_MAX_CHARS]
    if len(kept) == len(message):
        return message
    return f"{kept.rstrip()}…\n({len(message) - len(kept)} more characters: {where})"
