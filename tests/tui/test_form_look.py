"""The call form's look at every width (issue 17): option fields never squeezed to one cell,
toasts kept off the form's result area and Send, long server messages clipped in the toast with
the whole text in the result area and the log.

Snapshots at the widths not covered by test_snapshots.py (80x24 and 120x40 are there).
"""

from __future__ import annotations

import logging

import httpx

from test_snapshots import prepare

LONG_DETAIL = " ".join(f"upstream-error-{n:04d}" for n in range(350))  # ~7 KB


def toast_texts(app) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def send_for_an_error(tui, pilot) -> None:
    screen = pilot.app.screen
    await tui.paste(pilot, "agent_id", tui.AGENT.agent_id)
    await tui.paste(pilot, "to_number", "+14155550000")
    assert screen.can_send
    await pilot.press("ctrl+s")
    await tui.idle(pilot)


async def test_long_server_message_is_clipped_in_the_toast_with_the_rest_under_the_field_and_in_the_log(
        tui, caplog):
    """A 422 whose message is 7 KB: a real server cannot be made to send one on demand, so this
    answer comes from a mock transport."""

    def post(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": [{
            "type": "value_error", "loc": ["body", "to_number"], "msg": LONG_DETAIL}]})

    app = tui.app(handler=tui.mock_handler(post))
    caplog.set_level(logging.INFO, logger="console.tui")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await tui.ready(pilot)
        await send_for_an_error(tui, pilot)
        screen = app.screen
        shown = next(text for text in toast_texts(app) if "upstream-error-0000" in text)
        assert len(shown) < 400 and "upstream-error-0020" not in shown
        assert "more characters: the whole text is in the log" in shown
        # the rest is reachable: under the field (as much as the client keeps) and in the log
        assert "upstream-error-0020" in screen.field("to_number").error_text
        assert any("upstream-error-0020" in record.getMessage() for record in caplog.records)
        # the toast sits over the preview's column, not over the form
        toast = next(t for t in screen.query("Toast") if "upstream" in str(t.render()))
        assert toast.region.x >= screen.preview.region.x
        assert toast.region.right <= screen.preview.region.right


async def test_toasts_stay_off_the_result_area_and_send_at_80_columns(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        for n in range(2):
            app.notify(f"notice {n}: something happened", title="Note")
        await tui_offline.wait_for(pilot, lambda: len(app.screen.query("Toast")) == 2, "toasts")
        await pilot.pause()
        bottom = [screen.query_one("#action-bar").region, screen.outcome.region]
        for toast in app.screen.query("Toast"):
            assert not any(toast.region.overlaps(region) for region in bottom if region)


def _options_in_view(tui):
    async def then(pilot) -> None:
        pilot.app.screen.field("max_call_duration_seconds").scroll_visible(animate=False)
        await pilot.pause()

    return prepare(tui, then=then)


def test_form_100x30_stacks_the_option_fields(snap_compare, tui):
    """Beside the preview at 100 columns a pair of option fields drew Priority and Media
    encryption one character wide: below 76 form columns they are stacked."""
    assert snap_compare(tui.app(), terminal_size=(100, 30), run_before=_options_in_view(tui))


def test_form_160x40(snap_compare, tui):
    assert snap_compare(tui.app(), terminal_size=(160, 40), run_before=prepare(tui))


def test_form_240x50(snap_compare, tui):
    """Wide: the form column stops at 110 cells and the preview takes the rest."""
    assert snap_compare(tui.app(), terminal_size=(240, 50), run_before=prepare(tui))
