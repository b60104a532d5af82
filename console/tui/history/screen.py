"""The History screen (F11): the calls tab (every stored call of this environment, paged from
SQLite, filtered, sorted, exported, fetched from the API) and the audit log tab.

Keys act on the calls tab (the audit tab has its filter line, `/`, and table only). Export and
fetch run in workers; fetching can be cancelled with its key. Server text is `Text`, never markup.
The audit tab's view is mounted when the tab is first opened (the first switch to the screen
mounts only the calls tab).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.worker import Worker

from console.tui.css import stylesheet
from console.tui.history.calls_pane import HistoryCalls
from console.tui.history.keys import HISTORY_KEYS
from console.tui.history.tabs import ViewTabs
from console.tui.keys import bindings
from console.tui.screens.base import ConsoleScreen

if TYPE_CHECKING:
    from console.tui.history.audit_pane import AuditView

FETCH_GROUP = "history-fetch"
#: actions of the calls tab only
CALLS_ONLY = ("next_range", "next_sort", "reverse_sort", "toggle_detail", "export", "fetch")


class HistoryScreen(ConsoleScreen):
    SCREEN_NAME = "history"
    DEFAULT_CSS = stylesheet(__file__)
    BINDINGS = bindings(*HISTORY_KEYS)
    #: the table, not the filter line, has the focus when the screen is shown (the keys act
    #: on it); Textual applies this whenever the screen becomes active
    AUTO_FOCUS = "HistoryTable"

    def __init__(self) -> None:
        super().__init__(id="history-screen")
        self._fetch: Worker | None = None
        self._audit: AuditView | None = None

    def compose_body(self) -> ComposeResult:
        yield ViewTabs(id="history-tabs")
        yield HistoryCalls(id="history-calls")

    def on_screen_resume(self) -> None:
        """Shown again: the first page is read again (calls placed meanwhile appear); a
        later page stays as it was."""
        self.calls.refresh_first_page()

    @property
    def calls(self) -> HistoryCalls:
        return self.query_one(HistoryCalls)

    @property
    def audit_view(self) -> AuditView | None:
        """The audit tab's view, once the tab has been opened."""
        return self._audit

    async def show_tab(self, tab: str) -> None:
        """Show the calls or the audit tab; its table takes the focus (the keys act on it).
        The audit view is mounted and read the first time its tab is shown."""
        if tab == "audit" and self._audit is None:
            from console.tui.history.audit_pane import AuditView

            self._audit = AuditView(id="history-audit")
            self._audit.display = False
            await self.mount(self._audit, after=self.calls)
            self._audit.reload()
        self.query_one(ViewTabs).show(tab)
        self.calls.display = tab == "calls"
        if self._audit is not None:
            self._audit.display = tab == "audit"
        if tab == "calls":
            self.calls.table.focus()
        elif self._audit is not None:
            self._audit.query_one("#audit-table").focus()
        self.refresh_bindings()

    @on(ViewTabs.Chosen)
    async def _tab_chosen(self, event: ViewTabs.Chosen) -> None:
        await self.show_tab(event.tab)

    def _on_calls(self) -> bool:
        return self.query_one(ViewTabs).active == "calls"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The calls tab's keys are hidden on the audit tab (its footer keeps its own)."""
        return action not in CALLS_ONLY or self._on_calls()

    # -- keys -------------------------------------------------------------------------------

    def action_next_range(self) -> None:
        self.calls.next_range()

    def action_next_sort(self) -> None:
        self.calls.next_sort()

    def action_reverse_sort(self) -> None:
        self.calls.reverse_sort()

    def action_toggle_detail(self) -> None:
        self.calls.toggle_detail()

    def action_focus_filter(self) -> None:
        if self._on_calls():
            self.calls.focus_filter()
        elif self._audit is not None:
            self._audit.query_one("#audit-filter").focus()

    async def action_toggle_tab(self) -> None:
        await self.show_tab("audit" if self._on_calls() else "calls")

    # -- export -----------------------------------------------------------------------------

    def _exchange(self):
        from console.store.exchange import ExchangeFolder

        return ExchangeFolder.for_settings(self.app.session.settings,
                                           operator=getattr(self.app, "operator", None))

    def action_export(self) -> None:
        from console.tui.history.export_dialog import ExportScreen, default_export_name

        shown = self.calls.shown
        if shown is None:
            return
        exchange = self._exchange()
        name = default_export_name(self.calls.now())
        initial = str(exchange.folder / name) if exchange.confined else name
        flt, sort = self.calls.current_filter(), self.calls.sort
        dialog = ExportScreen(shown.total, initial, exchange.notice)

        def chosen(typed: str | None) -> None:
            if typed is not None:
                self.run_worker(partial(self._export, typed, flt, sort, exchange),
                                group="history-export",
                                exit_on_error=False)

        self.app.push_screen(dialog, chosen)

    async def _export(self, typed: str, flt, sort, exchange) -> None:
        import asyncio

        from console.history.export import render
        from console.store.atomic import write_named_file
        from console.store.exchange import PathRefused

        store, names = self.calls.store, dict(self.calls.agent_names)
        suffix = typed.rsplit(".", 1)[-1].lower() if "." in typed else ""
        fmt = suffix if suffix in ("csv", "json", "jsonl") else "csv"

        def write() -> tuple[str, int]:
            target = exchange.resolve(typed)
            rows = list(store.iter_matching(flt, sort))
            write_named_file(target, "".join(render(rows, fmt, names)).encode("utf-8"))
            return str(target), len(rows)

        try:
            path, count = await asyncio.to_thread(write)
        except (PathRefused, OSError) as exc:
            self.app.notify(f"Not exported: {exc}", severity="error", markup=False, timeout=8)
            return
        self.app.account.audit("history_exported", face="tui", format=fmt, rows=count, to=path,
                               env=flt.environment)
        self.app.notify(f"Exported {count:,} calls to {path}", title="History", markup=False)

    # -- fetch from the API -------------------------------------------------------------------

    def action_fetch(self) -> None:
        if self._fetch is not None and self._fetch.is_running:
            self._fetch.cancel()
            self.app.notify("Fetch cancelled: the pages already read are kept.",
                            title="History", markup=False)
            return
        session = getattr(self.app, "session", None)
        if session is None or not getattr(session, "connected", False):
            self.app.notify("Not connected to an API: nothing to fetch from.",
                            severity="warning", markup=False)
            return
        self._fetch = self.run_worker(self._fetch_range, group=FETCH_GROUP,
                                      exit_on_error=False)

    async def _fetch_range(self) -> None:

        from console.history.agents import AgentRef
        from console.history.fetch import fetch_history

        calls = self.calls
        flt = calls.current_filter()
        if flt.agent_ids:
            agents = [AgentRef(a, calls.agent_name(a)) for a in flt.agent_ids]
        else:  # the saved agents; with none saved, the agents the API listed
            known = self.app.known_agents
            chosen = [a for a in known if a.source == "profile"] or known
            agents = [AgentRef(a.agent_id, a.name or None) for a in chosen]
        if not agents:
            self.app.notify("No agent to fetch: save agents on the Profiles screen, or filter "
                            "agent:UUID.", severity="warning", markup=False)
            return

        def progress(p) -> None:
            total = f"/{p.total:,}" if p.total is not None else ""
            calls.problems = [f"fetching {p.agent.label} ({p.agent_index}/{p.agents}): "
                              f"{p.read:,}{total} · {p.new:,} new"]
            calls._summary()

        session = self.app.session
        result = await fetch_history(session.client, calls.store, agents, since=flt.since,
                                     until=flt.until, environment=session.environment,
                                     on_progress=progress)
        calls.problems = []
        self.app.account.audit("history_fetched", face="tui", env=session.environment,
                               agents=[a.agent_id for a in agents], read=result.read,
                               new=result.new, changed=result.changed)
        message = (f"Fetched {result.read:,} calls: {result.new:,} new, "
                   f"{result.changed:,} changed")
        for agent, error in result.failures:
            message += f"\n{agent.label}: {error}"
        self.app.notify(message, title="History", markup=False,
                        severity="warning" if result.failures else "information")
        calls.reload()
