"""The Campaign screen (F10): plan a CSV, see the verdicts, run it on the simulator; snapshots.

The app's clock is the suite's FIXED_NOW (Wed 25 Nov 2026 17:00 UTC: 09:00 in San Francisco,
12:00 in New York, 02:00 Thu in Tokyo), so the verdicts on screen never move.
"""

from __future__ import annotations

from collections import Counter

import httpx

from console.sim.state import DEMO_AGENTS

WIDE = (120, 40)
SMALL = (80, 24)
AGENT = DEMO_AGENTS[0].agent_id
CSV = ("to_number,context.name,dtmf\n"
       "+1 415 555 0100,Ann,\n"
       "+1 212 555 0101,Bob,\n"
       "+81 3 1234 5678,Chie,\n"
       "+1 415 555 0100,Ann again,\n"
       "+1 415 555 0102,Dee,12A\n"
       "+1 415 555 0103,Eve,\n")


async def plan(pilot, tui, csv: str = "leads.csv", template: str = AGENT, *,
               hours: str | None = None, rate: str | None = None) -> None:
    app = pilot.app
    await tui.wait_for(pilot, lambda: app.session_ready, "session")
    screen = app.screen
    screen.query_one("#campaign-csv").value = csv
    screen.query_one("#campaign-template").value = template
    if hours is not None:
        screen.query_one("#campaign-hours").value = hours
        screen.query_one("#campaign-days").value = "all"
    if rate is not None:
        screen.query_one("#campaign-rate").value = rate
    await pilot.press("ctrl+r")
    await tui.wait_for(pilot, lambda: screen.prepared is not None, "the verdicts")
    await pilot.pause()


def write_csv(tmp_path, monkeypatch, text: str = CSV) -> None:
    (tmp_path / "leads.csv").write_text(text, encoding="utf-8")
    (tmp_path / "dnc.txt").write_text("+1 415 555 0103\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALL_CONSOLE_DNC_FILE", str(tmp_path / "dnc.txt"))


async def test_plan_shows_every_verdict_then_the_run_dials_each_number_once(
        tui, tmp_path, monkeypatch):
    numbers = [tui.unique_number() for _ in range(3)]
    write_csv(tmp_path, monkeypatch, "to_number\n" + "\n".join(numbers + [numbers[0]]) + "\n")
    app = tui.app(screen="campaign")
    async with app.run_test(size=WIDE) as pilot:
        # an agent the API lists, by the name the Call form shows (no saved profile needed)
        await tui.wait_for(pilot, lambda: app.known_agents, "the API's agents")
        await plan(pilot, tui, template=DEMO_AGENTS[0].name.lower(), hours="00:00-24:00",
                   rate="1200/min")
        screen = app.screen
        assert "3 to dial now" in screen.message and "1 duplicate" in screen.message
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: screen.runner is not None, "the run")
        await tui.wait_for(pilot, lambda: screen.runner is None, "the end", timeout=60)
        assert "done" in screen.message and "dialled 3" in screen.message
        table = screen.query_one("#campaign-rows")
        states = [str(table.get_cell(str(line), "state")) for line in (2, 3, 4, 5)]
        assert states[3] == "duplicate" and all(s in ("ended", "failed") for s in states[:3])
        await tui.wait_for(pilot, lambda: screen.query_one("#campaign-past").row_count == 1,
                           "the past campaigns")
        # the campaign's calls were followed by the Calls table's tracker, tagged with its name
        name = str(screen.query_one("#campaign-past").get_cell_at((0, 0)))
        tagged = [c for c in app.tracker.calls() if c.to_number in numbers]
        assert len(tagged) == 3 and {c.campaign for c in tagged} == {name}
        assert {app.call_store.get(c.call_id).campaign for c in tagged} == {name}
        # a row's call opens in the Calls screen with the cursor on it
        first = screen._call_ids[2]
        table.focus()
        table.move_cursor(row=table.get_row_index("2"))
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: app.current_mode == "calls"
                           and app.screen.table.selected_id == first, "the call in Calls")
    calls = httpx.get(f"{tui.sim.base_url}/_sim/calls", timeout=5).json()
    assert Counter(c["to_number"] for c in calls if c["to_number"] in numbers) == {
        n: 1 for n in numbers}


async def test_bad_input_says_what_and_keeps_the_form(tui, tmp_path, monkeypatch):
    write_csv(tmp_path, monkeypatch)
    app = tui.app(screen="campaign")
    async with app.run_test(size=WIDE) as pilot:
        await tui.wait_for(pilot, lambda: app.session_ready, "session")
        screen = app.screen
        screen.query_one("#campaign-csv").value = "missing.csv"
        screen.query_one("#campaign-template").value = "nobody"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "no saved template or agent named 'nobody'" in screen.message
        screen.query_one("#campaign-template").value = AGENT
        screen.query_one("#campaign-rate").value = "fast"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "expected calls per minute" in screen.message
        assert screen.query_one("#campaign-csv").value == "missing.csv"


def _snapshot(tui, tmp_path, monkeypatch):
    write_csv(tmp_path, monkeypatch)
    app = tui.app(screen="campaign")

    async def run_before(pilot) -> None:
        await plan(pilot, tui)
        # the header's health settled ("starting…" turns "online" after the probe answers)
        await tui.wait_for(pilot, lambda: app.health in ("ok", "error", "warn"), "the probe")
        await tui.idle(pilot)
        app.clear_notifications()
        tui.no_blink(app)
        app.set_focus(app.screen.query_one("#campaign-rows"))
        await pilot.pause()

    return app, run_before


def test_snapshot_campaign_verdicts(snap_compare, tui, tmp_path, monkeypatch, utc):
    app, run_before = _snapshot(tui, tmp_path, monkeypatch)
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_snapshot_campaign_verdicts_80x24(snap_compare, tui, tmp_path, monkeypatch, utc):
    app, run_before = _snapshot(tui, tmp_path, monkeypatch)
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


async def test_in_an_ssh_session_only_the_exchange_folder_is_read(tui, tmp_path, monkeypatch):
    """The CSV is the operator's file: over SSH, a path outside their exchange folder is
    refused with the reason (and audited), and the same CSV inside the folder is planned."""
    from console.store.exchange import ExchangeFolder

    write_csv(tmp_path, monkeypatch)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.9 50000 10.0.0.1 22")
    app = tui.app(screen="campaign")
    async with app.run_test(size=WIDE) as pilot:
        await tui.wait_for(pilot, lambda: app.session_ready, "session")
        screen = app.screen
        screen.query_one("#campaign-csv").value = str(tmp_path / "leads.csv")
        screen.query_one("#campaign-template").value = AGENT
        await pilot.press("ctrl+r")
        await tui.wait_for(pilot, lambda: "outside your exchange folder" in screen.message,
                           "the refusal")
        assert screen.prepared is None
        folder = ExchangeFolder.for_settings(app.session.settings,
                                             operator=getattr(app, "operator", None)).ensure()
        (folder / "leads.csv").write_text(CSV, encoding="utf-8")
        await plan(pilot, tui, csv="leads.csv")
        assert screen.prepared is not None


async def test_quitting_during_a_run_asks_first_and_names_the_resume(tui, tmp_path, monkeypatch):
    from console.tui.dialogs.confirm import ConfirmScreen

    numbers = [tui.unique_number() for _ in range(3)]
    write_csv(tmp_path, monkeypatch, "to_number\n" + "\n".join(numbers) + "\n")
    app = tui.app(screen="campaign")
    async with app.run_test(size=WIDE) as pilot:
        await plan(pilot, tui, hours="00:00-24:00", rate="2/min")  # one call, then 30 s apart
        screen = app.screen
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: screen.runner is not None, "the run")
        await pilot.press("ctrl+q")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        text = tui.screen_text(app)
        assert f"Campaign {screen.name_running} is running" in text
        assert f"campaign resume {screen.name_running}" in text
        await pilot.press("ctrl+q")  # the quit key again confirms
        await tui.wait_for(pilot, lambda: app.return_code is not None, "the exit")
    assert app.return_code == 0
