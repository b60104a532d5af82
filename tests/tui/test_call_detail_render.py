"""The detail pane's parts (`DetailPart`, issue 16) draw exactly what a Static draws, and a change
of the selected call renders and repaints only the lines it touched. A bare app, no simulator:
the snapshot calls' texts (MIXED), counted renders, no timings."""

from __future__ import annotations

from datetime import UTC, datetime

from calls_helpers import MIXED, REQUEST
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from console.tracker.model import call_from_status
from console.tracker.schedule import PollPolicy
from console.tui.calls.call_detail import fields_text, request_text, timeline_text
from console.tui.calls.detail_part import DetailPart

WALL = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def tracked(index: int):
    return call_from_status(MIXED[index], source="console",
                            request=REQUEST.model_dump(mode="json"), placed_by="op",
                            flags={"stale"}, now=0.0, wall=WALL, policy=PollPolicy(),
                            environment=None, campaign="spring")


class PartsApp(App):
    CSS = "VerticalScroll { height: 1fr; } .auto { width: auto; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield DetailPart(id="fields")
            yield Static(id="fields-static")
        with VerticalScroll():
            yield DetailPart(id="timeline")
            yield Static(id="timeline-static")
        with VerticalScroll():  # the request part's width follows its text
            yield DetailPart(id="request", classes="auto")
            yield Static(id="request-static", classes="auto")


async def test_a_part_draws_what_a_static_draws():
    app = PartsApp()
    async with app.run_test(size=(57, 150)) as pilot:
        parts = ("fields", "timeline", "request")
        for index in (2, 3, 5):  # answered; ended with every field; failed
            call = tracked(index)
            texts = (fields_text(call, agent_name="Reception"), timeline_text(call),
                     request_text(call))
            for name, text in zip(parts, texts):
                app.query_one(f"#{name}", DetailPart).update(text)
                app.query_one(f"#{name}-static", Static).update(text)
            await pilot.pause()
            for name in parts:
                part, static = app.query_one(f"#{name}"), app.query_one(f"#{name}-static")
                assert part.size == static.size
                for y in range(part.size.height):
                    assert list(part.render_line(y)) == list(Static.render_line(static, y))
                assert str(part.render()) == str(static.render())


async def test_a_change_renders_and_repaints_only_the_lines_it_touched(monkeypatch):
    refreshes: list[tuple[tuple, bool]] = []
    original = DetailPart.refresh

    def counted(self, *regions, **kwargs):
        refreshes.append((regions, kwargs.get("layout", False)))
        return original(self, *regions, **kwargs)

    monkeypatch.setattr(DetailPart, "refresh", counted)
    app = PartsApp()
    async with app.run_test(size=(57, 60)) as pilot:
        part = app.query_one("#fields", DetailPart)
        call = tracked(2)  # answered
        part.update(fields_text(call))
        await pilot.pause()
        drawn = part.blocks_rendered
        assert drawn >= 20
        height = part.size.height

        call.last = call.last.model_copy(update={"sentiment_score": 0.5})
        call.version += 1
        refreshes.clear()
        part.update(fields_text(call))
        # one line changed, the size did not: no layout pass, that line repainted
        assert len(refreshes) == 1
        regions, layout = refreshes[0]
        assert not layout and len(regions) == 1 and regions[0].height == 1
        await pilot.pause()
        assert part.size.height == height
        assert part.blocks_rendered == drawn + 1
        assert "0.5" in str(part.render())


def test_a_label_as_long_as_the_label_column_keeps_a_space_before_its_value():
    from rich.text import Text

    from console.tui.calls.call_detail import KEY_WIDTH, _line

    text = Text()
    _line(text, "language_detected", "en")
    _line(text, "status", "ended")
    assert len("language_detected") == KEY_WIDTH
    assert text.plain.splitlines() == ["language_detected en", "status".ljust(KEY_WIDTH) + "ended"]
