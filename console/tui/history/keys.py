"""The History screen's keys (ids `history.*`; remappable like every binding)."""

from __future__ import annotations

from console.tui.keys import KeySpec

HISTORY_RANGE = KeySpec("history.range", "r", "next_range", "Range",
                        "Next date range (today, yesterday, 7 days, all)",
                        help="Show the next date range: today, yesterday, the last 7 days, all. "
                             "A custom range goes in the filter: since:2026-03-01 until:…")
HISTORY_FILTER = KeySpec("history.filter", "slash", "focus_filter", "Filter",
                         "Filter the calls (status:, agent:, operator:, campaign:, a number…)",
                         help="Type filters: status:failed agent:NAME operator:NAME "
                              "campaign:NAME disposition:busy placed:here|elsewhere since:7d "
                              "until:2026-03-02, or a number or call id.")
HISTORY_SORT = KeySpec("history.sort", "s", "next_sort", "Sort", "Sort by the next column",
                       help="Sort by the next column (started, to, status, agent, ...).")
HISTORY_SORT_REVERSE = KeySpec("history.sort_reverse", "o", "reverse_sort", "Reverse",
                               "Reverse the sort order", show=False,
                               help="Reverse the sort order.")
HISTORY_DETAIL = KeySpec("history.detail", "d", "toggle_detail", "Detail",
                         "Show or hide the detail pane",
                         help="Show or hide the selected call's detail pane.")
HISTORY_EXPORT = KeySpec("history.export", "x", "export", "Export",
                         "Export what the filters show (CSV, JSON, JSON lines)",
                         help="Write exactly the calls the filters select to a file: CSV, JSON "
                              "or JSON lines (by the file's suffix).")
HISTORY_FETCH = KeySpec("history.fetch", "ctrl+f", "fetch", "Fetch",
                        "Fetch the range's calls from the API",
                        help="Read the date range's calls of the saved agents (none saved: "
                             "the agents the API lists; or the agent: filter's) from the API "
                             "into the history. Again to cancel.")
HISTORY_AUDIT = KeySpec("history.audit", "a", "toggle_tab", "Audit",
                        "Show the audit log (or the calls again)",
                        help="Switch between the calls and the audit log.")

HISTORY_KEYS: tuple[KeySpec, ...] = (
    HISTORY_FILTER, HISTORY_RANGE, HISTORY_SORT, HISTORY_SORT_REVERSE, HISTORY_DETAIL,
    HISTORY_EXPORT, HISTORY_FETCH, HISTORY_AUDIT,
)


def history_commands(app, screen):
    """`history:` palette commands: the History screen's keys, while it is shown."""
    from functools import partial

    if getattr(screen, "SCREEN_NAME", "") != "history":
        return
    for key in HISTORY_KEYS:
        if key.command and screen.check_action(key.action, ()):
            yield (f"history: {key.command} ({key.key})", key.help,
                   partial(screen.run_action, key.action))
