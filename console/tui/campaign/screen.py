"""`CampaignScreen`: the form (CSV, template or agent, rate, cap, hours, days), the verdicts or
row states table, the progress line, and the past campaigns.

Reading and planning run in a thread worker (file I/O); the run is an async worker on the app's
loop driving `CampaignRunner`, whose events update the rows table as they come (cells hold
`rich.text.Text`; server strings never as markup). Enter on a row with a call opens the Calls
screen.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, ProgressBar, Static

from console.tui.campaign.keys import CAMPAIGN_KEYS
from console.tui.css import stylesheet
from console.tui.keys import bindings
from console.tui.screens.base import ConsoleScreen

#: The detail column comes last and is as wide as its longest text (None: auto width), so
#: "opens at local time 09:00 Thu (America/Los_Angeles)" shows whole where the screen is wide.
ROW_COLUMNS = (("line", "Line", 6), ("number", "Number", 16), ("state", "State", 13),
               ("call", "Call", 9), ("detail", "Local time / detail", None))
PAST_COLUMNS = (("name", "Campaign", 18), ("state", "State", 9), ("rows", "Rows", 6),
                ("dialled", "Dialled", 8), ("ended", "Ended", 6), ("failed", "Failed", 7),
                ("unknown", "Unknown", 8), ("created", "Created", 17))
STATE_STYLES = {"dial": "green", "pending": "", "dialling": "yellow", "live": "cyan",
                "ended": "green", "failed": "red", "unknown": "bold magenta", "dnc": "dim",
                "invalid": "red", "duplicate": "dim", "outside_hours": "yellow"}


class CampaignScreen(ConsoleScreen):
    DEFAULT_CSS = stylesheet(__file__, "screen.tcss")
    SCREEN_NAME = "campaign"
    BINDINGS = bindings(*CAMPAIGN_KEYS)

    def __init__(self) -> None:
        super().__init__(id="campaign-screen")
        self.prepared: Any = None
        self.runner: Any = None
        self.name_running: str | None = None
        self.message = ""
        self._call_ids: dict[int, str] = {}

    def compose_body(self) -> ComposeResult:
        with Vertical(id="campaign-form"):
            with Horizontal(classes="campaign-line"):
                yield Label("CSV", classes="campaign-label")
                yield Input(placeholder="path of the CSV (to_number, context.KEY, X-...)",
                            id="campaign-csv")
                yield Label("Template", classes="campaign-label")
                yield Input(placeholder="template, or agent name/UUID", id="campaign-template")
            with Horizontal(classes="campaign-line"):
                yield Label("Rate", classes="campaign-label")
                yield Input(value="30/min", id="campaign-rate", classes="campaign-short")
                yield Label("Max live", classes="campaign-label")
                yield Input(value="5", id="campaign-max", classes="campaign-short")
                yield Label("Hours", classes="campaign-label")
                yield Input(value="09:00-20:00", id="campaign-hours", classes="campaign-short")
                yield Label("Days", classes="campaign-label")
                yield Input(value="mon-fri", id="campaign-days", classes="campaign-short")
        yield Static(id="campaign-status")
        yield ProgressBar(total=1, id="campaign-progress", show_eta=False)
        yield DataTable(id="campaign-rows", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="campaign-past", cursor_type="row")

    def on_mount(self) -> None:
        super().on_mount()
        rows = self.query_one("#campaign-rows", DataTable)
        for key, label, width in ROW_COLUMNS:
            rows.add_column(label, key=key, width=width)
        past = self.query_one("#campaign-past", DataTable)
        for key, label, width in PAST_COLUMNS:
            past.add_column(label, key=key, width=width)
        self._say("Plan a CSV (Ctrl+R): every row's verdict shows here before anything is dialled.")
        self.load_past()

    # -- reading the form -------------------------------------------------------------------

    def _value(self, name: str) -> str:
        return self.query_one(f"#campaign-{name}", Input).value.strip()

    def _say(self, text: str) -> None:
        self.message = text
        self.query_one("#campaign-status", Static).update(Text(text))

    def _options(self):
        from console.campaign.hours import HoursError
        from console.campaign.options import (
            CampaignOptions,
            OptionError,
            check_window,
            parse_rate,
        )

        region = self.app.session.settings.default_region if self.app.session_ready else "US"
        try:
            rate = parse_rate(self._value("rate"))
            max_live = int(self._value("max"))
            if not 1 <= max_live <= 1000:
                raise OptionError("max live: from 1 to 1000")
            check_window(self._value("hours"), self._value("days"))
        except (OptionError, HoursError, ValueError) as exc:
            raise ValueError(str(exc)) from None
        return CampaignOptions(rate_per_minute=rate, max_concurrent=max_live,
                               hours=self._value("hours"), days=self._value("days"),
                               region=region)

    def _base_values(self) -> dict[str, Any]:
        from console.calls.draft import check_agent_id

        text = self._value("template")
        if not text:
            raise ValueError("Template: give a saved template, or an agent name or UUID")
        store = self.app.profiles
        if store is not None:
            profiles = store.profiles
            if text in profiles.templates:
                return store.resolve_template(text).merged({})
            if text in profiles.agents:
                return {"agent_id": profiles.agents[text].agent_id}
        if check_agent_id(text) is None:
            return {"agent_id": text}
        # an agent the API listed (GET /agents) or a saved one, by name, as the Call form
        # shows them (the demo's "Reception" has no saved profile)
        named = [a for a in getattr(self.app, "known_agents", [])
                 if a.name.casefold() == text.casefold()]
        if len({a.agent_id for a in named}) == 1:
            return {"agent_id": named[0].agent_id}
        if named:
            raise ValueError(f"Template: {len(named)} agents are named {text!r}; give the UUID")
        raise ValueError(f"Template: no saved template or agent named {text!r}")

    # -- planning ---------------------------------------------------------------------------

    def action_plan(self) -> None:
        if self.runner is not None:
            return
        try:
            options, base = self._options(), self._base_values()
        except ValueError as exc:
            self._say(f"Cannot plan: {exc}")
            return
        csv = self._value("csv")
        if not csv:
            self._say("Cannot plan: CSV: give the path of the CSV file")
            return
        if not self.app.session_ready:
            self._say("Cannot plan: the session is not ready yet")
            return
        from console.store.exchange import ExchangeFolder

        # The CSV is the operator's file: in an SSH session (or with confine_files) only their
        # exchange folder is read, as in the profile bundle dialogs. The DNC list is the
        # administrator's setting and is read where it is configured.
        exchange = ExchangeFolder.for_settings(self.app.session.settings,
                                               operator=getattr(self.app, "operator", None))
        dnc = self.app.session.settings.dnc_file
        self._plan(csv, base, options, [dnc] if dnc else [], exchange)

    @work(thread=True, exclusive=True, group="campaign-plan", exit_on_error=False)
    def _plan(self, csv: str, base: dict[str, Any], options, dnc: list[str], exchange) -> None:
        from pathlib import Path

        from console.campaign import setup
        from console.store.exchange import PathRefused
        from console.store.input_files import InputFileError

        try:
            csv_path = exchange.resolve(csv)
        except PathRefused as exc:
            self.app.call_from_thread(self._say, f"Cannot plan: CSV: {exc}")
            if exchange.confined:
                from console.account.audit import audit_event

                audit_event("file_refused", action="campaign plan", path=exc.typed[:512],
                            reason=exc.reason[:512], folder=str(exchange.folder))
            return
        try:
            prepared = setup.prepare(csv_path, base, options,
                                     dnc_files=[Path(d).expanduser() for d in dnc],
                                     now=self.app.clock())
        except (InputFileError, ValueError) as exc:
            self.app.call_from_thread(self._say, f"Cannot plan: {exc}")
            return
        self.app.call_from_thread(self._show_plan, prepared)

    def _show_plan(self, prepared) -> None:
        self.prepared = prepared
        table = self.query_one("#campaign-rows", DataTable)
        table.clear()
        self._call_ids.clear()
        for row in prepared.plan.rows:
            detail = row.local if row.verdict == "dial" else row.reason
            table.add_row(*self._cells(row.line, row.number, row.verdict, detail, None),
                          key=str(row.line))
        counts = prepared.plan.counts()
        self._say(f"{len(prepared.plan.rows)} rows: {counts['dial']} to dial now, "
                  f"{counts['outside_hours']} outside hours, {counts['dnc']} DNC, "
                  f"{counts['invalid']} invalid, {counts['duplicate']} duplicate. "
                  "Ctrl+S starts.")

    @staticmethod
    def _cells(line: int, number: str, state: str, detail: str | None,
               call_id: str | None) -> tuple[Text, ...]:
        return (Text(str(line)), Text(number), Text(state.replace("_", " "),
                                                    style=STATE_STYLES.get(state, "")),
                Text((call_id or "")[:8]), Text(detail or ""))

    # -- running ----------------------------------------------------------------------------

    def action_start(self) -> None:
        if self.runner is not None or self.prepared is None:
            if self.prepared is None:
                self._say("Plan the CSV first (Ctrl+R).")
            return
        if not (self.app.session_ready and self.app.session.connected):
            self._say("Cannot start: no API connected.")
            return
        self._run(self.prepared)

    @work(exclusive=True, group="campaign-run", exit_on_error=False)
    async def _run(self, prepared) -> None:
        from console.calls.service import CallService
        from console.campaign import setup
        from console.campaign.runner import CampaignRunner
        from console.store.journal import Journal, JournalError, campaign_lock

        session = self.app.session
        journal = Journal()
        name = setup.default_name(prepared.source.path, journal)
        try:
            setup.record(journal, name, prepared, environment=session.environment,
                         operator=session.operator)
        except JournalError as exc:
            self._say(f"Cannot start: {exc}")
            return
        lock = campaign_lock(name)
        lock.acquire(timeout=0)
        service = CallService(lambda: session.client, face="campaign",
                              environment=session.environment, operator=session.operator)
        tracker = getattr(self.app, "tracker", None)
        runner = CampaignRunner(journal, name, service=service, client=lambda: session.client,
                                now=self.app.clock, on_event=self._event,
                                placed_by=session.operator,
                                # the Calls table's tracker, when it polls: campaign calls show
                                # there tagged with the campaign, polled once
                                tracker=tracker if tracker is not None and tracker.running
                                else None)
        self.runner, self.name_running, self._journal = runner, name, journal
        timer = self.set_interval(0.5, self._refresh_progress)
        try:
            summary = await runner.run()
            self._say(summary.text)
        finally:
            timer.stop()
            lock.release()
            self.runner = None
            self.prepared = None
            self._refresh_progress(final=True)
            journal.close()
            self.load_past()

    def action_pause(self) -> None:
        if self.runner is None:
            return
        if self.runner.paused:
            self.runner.resume()
        else:
            self.runner.pause()
        self._refresh_progress()

    def action_stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self._say("Stopping: no more calls start; the live ones are followed to their end.")

    def _event(self, event: dict[str, Any]) -> None:
        if event.get("event") in ("notice", "error"):
            self.notify(str(event["message"]), title=f"Campaign {event.get('campaign', '')}",
                        severity="warning", markup=False, timeout=10)
            return
        if event.get("event") != "row":
            return
        line = event["line"]
        detail = event.get("disposition") or event.get("detail") or event.get("reason")
        if event.get("waiting") == "hours":
            state = "outside_hours"
        else:
            state = event["state"]
        if event.get("call_id"):
            self._call_ids[line] = event["call_id"]
        table = self.query_one("#campaign-rows", DataTable)
        cells = self._cells(line, event["to_number"], state, detail, event.get("call_id"))
        try:
            for (key, _, _), cell in zip(ROW_COLUMNS, cells):
                table.update_cell(str(line), key, cell)
        except Exception:  # noqa: BLE001 - a row the table does not hold (never planned here)
            pass

    def _refresh_progress(self, final: bool = False) -> None:
        from console.campaign.progress import Progress
        from console.campaign.summary import Summary

        runner = self.runner
        name = self.name_running
        if name is None:
            return
        journal = getattr(self, "_journal", None)
        if journal is None:
            return
        try:
            summary = Summary.of(journal, name)
        except Exception:  # noqa: BLE001 - the journal closed under us at the very end
            return
        bar = self.query_one("#campaign-progress", ProgressBar)
        bar.update(total=max(1, summary.rows), progress=summary.rows - summary.pending
                   - summary.outside_hours - summary.live)
        if runner is not None and not final:
            first, last = runner.started_at_monotonic, runner.last_start_monotonic
            elapsed = (last - first) if first is not None and last is not None else None
            figures = Progress.of(summary, started=runner.started, elapsed=elapsed,
                                  set_rate=runner.options.rate_per_minute)
            state = "paused" if runner.paused else "stopping" if runner.stopping else "running"
            self._say(f"{name}: {state} · {figures.text} · dialled {summary.dialled} · "
                      f"ended {summary.ended} · failed {summary.failed} · "
                      f"unknown {summary.unknown}")

    # -- past campaigns and links -----------------------------------------------------------

    @work(thread=True, exclusive=True, group="campaign-past", exit_on_error=False)
    def load_past(self) -> None:
        from console.campaign.summary import Summary
        from console.store.journal import Journal, JournalError, journal_path

        if not journal_path().exists():
            return
        try:
            with Journal() as journal:
                rows = [(r, Summary.of(journal, r.name)) for r in journal.campaigns()[:50]]
        except JournalError:
            return
        self.app.call_from_thread(self._show_past, rows)

    def _show_past(self, rows) -> None:
        table = self.query_one("#campaign-past", DataTable)
        table.clear()
        for record, summary in rows:
            table.add_row(Text(record.name), Text(summary.state), Text(str(summary.rows)),
                          Text(str(summary.dialled)), Text(str(summary.ended)),
                          Text(str(summary.failed)), Text(str(summary.unknown)),
                          Text(record.created_at[:16].replace("T", " ")), key=record.name)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "campaign-rows" or event.row_key.value is None:
            return
        call_id = self._call_ids.get(int(event.row_key.value))
        if call_id:
            self.app.open_found("call", call_id)
