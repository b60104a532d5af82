"""The History screen through Pilot: keyset pages at the range's boundaries, the filter line,
ranges, sort, the export key, the audit tab, and fetching a range from the simulator."""

from __future__ import annotations

import json

from history_helpers import ENV, SALES, call_id, history_ready, seed, seed_audit
from waiting import wait_for

from console.account import audit
from console.history.export import read_csv
from console.store.history import CallStore, HistoryFilter


def summary(app) -> str:
    return str(app.screen.calls.query_one("#history-summary").render())


async def page(pilot, where_keys: tuple[str, ...]) -> None:
    calls = pilot.app.screen.calls
    before = calls.counted
    await pilot.press(*where_keys)
    await wait_for(pilot, lambda: calls.counted > before and not calls.counting,
                   f"the page after {where_keys}")
    await pilot.pause()


def cursor_call(app) -> str:
    return app.screen.calls.table.cursor_call_id


async def test_pages_at_the_boundaries_of_the_range(tui, utc) -> None:
    seed(250)
    seed(3, environment="https://elsewhere.example.com")  # another API's calls: never shown
    app = tui.app(screen="history")
    async with app.run_test(size=(120, 40)) as pilot:
        await history_ready(pilot)
        calls = app.screen.calls
        assert calls.table.row_count == 100 and "1–100 of 250 calls" in summary(app)
        assert cursor_call(app) == call_id(0)  # newest first
        await page(pilot, ("end",))                                   # the last page
        assert calls.table.row_count == 100 and "151–250 of 250" in summary(app)
        assert cursor_call(app) == call_id(249)
        await page(pilot, ("home",))
        assert "1–100 of 250" in summary(app)
        calls.table.move_cursor(row=99)
        await page(pilot, ("down",))                                  # past the page's end
        assert "101–200 of 250" in summary(app) and cursor_call(app) == call_id(100)
        await page(pilot, ("up",))                                    # before its start
        assert "1–100 of 250" in summary(app) and cursor_call(app) == call_id(99)
        calls.table.move_cursor(row=99)
        await page(pilot, ("pagedown",))
        calls.table.move_cursor(row=99)
        await page(pilot, ("pagedown",))
        assert "201–250 of 250" in summary(app) and calls.table.row_count == 50
        loads = calls.loads
        calls.table.move_cursor(row=49)
        await pilot.press("down")                                     # nothing after the end
        await pilot.pause()
        assert calls.loads == loads and cursor_call(app) == call_id(249)


async def test_filter_line_ranges_and_sort(tui, utc) -> None:
    seed(60)
    app = tui.app(screen="history")
    async with app.run_test(size=(120, 40)) as pilot:
        await history_ready(pilot)
        calls = app.screen.calls
        await pilot.press("slash")
        for key in "status:failed operator:ann":
            await pilot.press("space" if key == " " else key)
        await pilot.press("enter")
        with CallStore() as store:
            expected = store.count(HistoryFilter(environment=ENV, statuses="failed",
                                                 operators="ann"))
        await wait_for(pilot, lambda: calls.shown.total == expected == 4, "the filtered calls")
        assert calls.table.has_focus
        await page(pilot, ("r",))                                     # yesterday: none
        assert calls.shown.total == 0 and "no calls match" in summary(app)
        await page(pilot, ("r",))                                     # 7 days
        assert calls.shown.total == 4
        await page(pilot, ("s",))                                     # by end time
        assert calls.sort.column == "ended"
        await page(pilot, ("o",))
        assert not calls.sort.descending
        assert cursor_call(app) == call_id(45)  # the oldest failed call of ann's, first now
        calls.focus_filter()
        calls.query_one("#history-filter").value = "agent:nobody"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "no agent named 'nobody'" in summary(app), "the problem")


async def test_export_key_writes_exactly_the_selection_and_audits_it(tui, utc,
                                                                      isolated_dirs) -> None:
    seed(30)
    target = isolated_dirs / "failed.csv"
    app = tui.app(screen="history")
    async with app.run_test(size=(120, 40)) as pilot:
        await history_ready(pilot)
        calls = app.screen.calls
        calls.query_one("#history-filter").value = "status:failed"
        await wait_for(pilot, lambda: calls.shown.total == 10, "the failed calls")
        selection = calls.current_filter()
        await pilot.press("x")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ExportScreen", "dialog")
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists, "the export file")
        await wait_for(pilot, lambda: any(r["kind"] == "history_exported"
                                          for r in audit.read_audit()), "the audit record")
    rows = read_csv(target.read_text())
    with CallStore() as store:
        expected = [c.call_id for c in store.iter_matching(selection)]
    assert selection.statuses == ("failed",) and selection.environment == ENV
    assert [r["call_id"] for r in rows] == expected and len(rows) == 10
    record = [r for r in audit.read_audit() if r["kind"] == "history_exported"][-1]
    assert (record["face"], record["rows"], record["to"], record["operator"]) == (
        "tui", 10, str(target), "tester")
    assert tui.sim.token not in target.read_text()


async def test_audit_tab_filters_by_operator_and_action(tui, utc) -> None:
    seed(3)
    seed_audit()
    app = tui.app(screen="history")
    async with app.run_test(size=(120, 40)) as pilot:
        await history_ready(pilot)
        assert app.screen.audit_view is None  # mounted when its tab is first opened
        await pilot.press("a")
        await wait_for(pilot, lambda: app.screen.audit_view is not None
                       and app.screen.audit_view.loads >= 1, "the audit records")
        view = app.screen.audit_view
        kinds = [r["kind"] for r in view.records]
        assert kinds[:5] == ["call_placed", "profile_changed", "sign_in", "call_ended",
                             "call_placed"]  # newest first
        view.query_one("#audit-filter").focus()
        view.query_one("#audit-filter").value = "operator:bob action:call_*"
        await pilot.press("enter")
        await wait_for(pilot, lambda: view.loads >= 2, "the filtered records")
        assert [(r["kind"], r["operator"]) for r in view.records] == [("call_placed", "bob")]
        assert app.screen.check_action("export", ()) is False  # calls-only keys: hidden


async def test_fetch_key_reads_the_range_from_the_api(tui, utc, isolated_dirs) -> None:
    import httpx

    from console.store.profiles import ProfilesStore
    from tui_facts import AGENT

    ProfilesStore().add_agent("Reception", AGENT.agent_id)
    with httpx.Client(base_url=tui.sim.base_url,
                      headers={"Authorization": f"Bearer {tui.sim.token}"}) as http:
        placed = http.post("/calls/outbound", json={"agent_id": AGENT.agent_id,
                                                    "to_number": tui.unique_number()}).json()
    app = tui.app(screen="history")
    async with app.run_test(size=(120, 40)) as pilot:
        await history_ready(pilot)
        calls = app.screen.calls
        for _ in range(3):  # all: the simulator's clock is not FIXED_NOW
            await page(pilot, ("r",))
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: any(r["kind"] == "history_fetched"
                                          for r in audit.read_audit()), "the fetch", timeout=30)
        await wait_for(pilot, lambda: placed["call_id"] in [
            c.call_id for c in calls.shown.page.rows], "the fetched call on screen")
    with CallStore() as store:
        row = store.get(placed["call_id"])
        assert row is not None and not row.placed_here and row.environment == ENV
    record = [r for r in audit.read_audit() if r["kind"] == "history_fetched"][-1]
    assert record["agents"] == [AGENT.agent_id] and record["new"] >= 1
    assert json.dumps(record).find(tui.sim.token) == -1


async def test_the_detail_pane_shows_the_selected_stored_call(tui, utc) -> None:
    seed(5)
    app = tui.app(screen="history")
    async with app.run_test(size=(120, 40)) as pilot:
        await history_ready(pilot)
        calls = app.screen.calls
        await wait_for(pilot, lambda: calls.detail is not None
                       and calls.detail.call_id == call_id(0), "the detail")
        calls.table.move_cursor(row=3)
        await wait_for(pilot, lambda: calls.detail.call_id == call_id(3), "the moved detail")
        fields = str(calls.detail.query_one("#detail-fields-text").render())
        timeline = str(calls.detail.query_one("#detail-timeline-text").render())
        assert call_id(3) in fields and "+14155550003" in fields and "busy" in fields
        assert "failed" in timeline
        await pilot.press("d")
        assert not calls.detail.display


async def test_agents_known_only_from_the_api_are_named_everywhere(tui, utc,
                                                                     isolated_dirs) -> None:
    """As in `--demo`: no saved profile, the agents come from `GET /agents` (Reception,
    Sales); History names them like the Calls table: in the table, the detail pane, the
    agent: filter and the export's agent name column."""
    from tui_facts import AGENT

    seed(6)  # odd calls Reception's (AGENT), even ones Sales'
    target = isolated_dirs / "named.csv"
    app = tui.app(screen="history")
    async with app.run_test(size=(120, 40)) as pilot:
        await history_ready(pilot)
        calls = app.screen.calls
        await wait_for(pilot, lambda: any(a.name == "Reception" for a in app.known_agents),
                       "the API's agents")
        assert {a.source for a in app.known_agents} == {"server"}  # nothing saved

        def row(y: int) -> str:  # a line of the table as drawn (y 0 is the header)
            return calls.table.render_line(y).text

        await wait_for(pilot, lambda: "Sales" in row(1) and "Reception" in row(2),
                       "the agents' names in the table")
        await wait_for(pilot, lambda: calls.detail is not None
                       and calls.detail.call_id == call_id(0), "the detail")
        fields = str(calls.detail.query_one("#detail-fields-text").render())
        assert "Sales" in fields
        calls.query_one("#history-filter").value = "agent:reception"
        await wait_for(pilot, lambda: calls.shown.total == 3 and not calls.counting,
                       "the calls of Reception")
        assert not calls.problems
        assert {c.agent_id for c in calls.shown.page.rows} == {AGENT.agent_id}
        calls.query_one("#history-filter").value = ""
        await wait_for(pilot, lambda: calls.shown.total == 6 and not calls.counting, "all")
        await pilot.press("x")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ExportScreen", "dialog")
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists, "the export file")
    names = {(r["agent_id"], r["agent_name"]) for r in read_csv(target.read_text())}
    assert names == {(AGENT.agent_id, "Reception"), (SALES, "Sales")}


async def test_calls_written_while_the_screen_is_shown_appear_without_a_key(tui, utc) -> None:
    """What the tracker, a campaign or another console writes while History is shown reaches
    its first page on its own (the operator pressed nothing); the cursor stays on its call."""
    from datetime import timedelta

    from tui_facts import AGENT, FIXED_NOW

    from console.api.models import CallStatus

    seed(5)
    app = tui.app(screen="history")
    async with app.run_test(size=(120, 40)) as pilot:
        await history_ready(pilot)
        calls = app.screen.calls
        calls.table.move_cursor(row=2)
        newest = CallStatus(
            call_id=call_id(900), agent_id=AGENT.agent_id,
            tenant_id="3f9b7c1e-0000-4000-8000-000000000001", direction="outbound",
            to_number="+14155550900", from_number="+14155551000", status="ringing",
            started_at=(FIXED_NOW - timedelta(seconds=30)).isoformat())
        with CallStore() as elsewhere:  # another connection, as the tracker's is
            elsewhere.record_status(newest, observed_at=FIXED_NOW, environment=ENV)
        await wait_for(pilot, lambda: calls.table.row_count == 6 and not calls.counting,
                       "the call written meanwhile")
        assert calls.table.call_id_at(0) == call_id(900) and "1–6 of 6" in summary(app)
        assert cursor_call(app) == call_id(2)

        with CallStore() as elsewhere:
            elsewhere.record_status(newest.model_copy(update={"status": "answered"}),
                                    observed_at=FIXED_NOW, environment=ENV)
        await wait_for(pilot, lambda: calls.table.calls[0].status == "answered",
                       "the status change")
        assert cursor_call(app) == call_id(2)
