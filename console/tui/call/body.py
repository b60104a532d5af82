"""The Call screen's body: every field of the request, the result area, the action bar and
the preview.

It is mounted in two steps so that the operator can type from the first frame on:
1. `compose` (part of the first frame): the core fields, Agent to DTMF, with the caret in To
   (`CallScreen.AUTO_FOCUS`), and an empty column where the preview goes;
2. `mount_rest` (right after the first frame, see `CallScreen._mount_form`): the agent and
   caller-ID lists (one-node stand-ins until then), context, the option pairs, SIP headers, the result area, the action bar and the preview. Keys typed
   meanwhile go to the focused input as usual: nothing here moves the focus.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Static

from console.tui.css import stylesheet
from console.tui.fields.agent_picker import AgentField
from console.tui.fields.caller_id_picker import CallerIdField
from console.tui.fields.dtmf_input import DtmfField
from console.tui.fields.phone_input import ToNumberField
from console.tui.fields.text_field import DisplayNameField
from console.tui.keys import CALL_SEND


#: the longest `mount_rest` waits for a frame between two steps (seconds)
FRAME_WAIT = 0.5
#: the longest `mount_rest` lets typed keys go first before a step, and how often it looks
KEYS_WAIT = 0.5
KEYS_POLL = 0.005


class CallBody(Horizontal):
    """The form column (fields, result area, action bar) and the preview."""

    DEFAULT_CSS = stylesheet(__file__)
    SCOPED_CSS = False

    def compose(self) -> ComposeResult:
        with Vertical(id="form-column"):
            with VerticalScroll(id="form"):
                yield AgentField(lazy_select=True)
                yield ToNumberField()
                yield CallerIdField(lazy_select=True)
                yield DisplayNameField()
                yield DtmfField()
        yield Static(id="preview-slot")  # the preview's column, until the preview is mounted

    @property
    def complete(self) -> bool:
        """`mount_rest` has run: every field is in."""
        return bool(self.query("#preview"))

    async def _keys_first(self) -> None:
        """Typed keys before the next step: wait (at most KEYS_WAIT) while keys typed so far
        are still being delivered (`SequentialKeysApp.keys_pending`). A step holds the app's
        loop for tens of milliseconds; a burst of keys (a fast typist, a paste of keys over
        SSH) waited behind it, key by key."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + KEYS_WAIT
        while getattr(self.app, "keys_pending", False) and loop.time() < deadline:
            await asyncio.sleep(KEYS_POLL)

    async def mount_rest(self) -> None:
        """The fields after DTMF, the result area, the action bar and the preview, a few
        widgets at a time with a frame in between: keys typed meanwhile are handled and drawn
        between the steps, not after the whole form. Each step imports what it mounts (an
        import holds the loop too). Awaited from a worker (see `CallScreen._mount_form`),
        never from a handler of this body."""
        if self.complete:
            return
        form = self.query_one("#form")
        column = self.query_one("#form-column")
        for picker in (self.query_one(AgentField), self.query_one(CallerIdField)):
            await self._keys_first()
            await picker.mount_select()
        steps = self._steps(form, column)
        while True:
            await self._keys_first()
            if not self.is_attached:
                return
            step = next(steps, None)
            if step is None:
                break
            parent, widgets = step
            await parent.mount_all(widgets)
            try:  # a frame in between; bounded: a screen not on display is not refreshed
                await asyncio.wait_for(self.wait_for_refresh(), FRAME_WAIT)
            except asyncio.TimeoutError:
                pass
        from console.tui.call.preview import PreviewPane

        await self.query_one("#preview-slot").remove()
        await self.mount(PreviewPane(id="preview"))

    @staticmethod
    def _steps(form: Widget, column: Widget) -> Iterator[tuple[Widget, list[Widget]]]:
        """The steps of `mount_rest` (parent, widgets), each imported when it is next."""
        from console.tui.fields.context_editor import ContextField

        yield form, [ContextField()]
        from console.tui.fields.option_fields import option_pairs

        for pair in option_pairs():
            yield form, [pair]
        from console.tui.fields.header_list import HeadersField

        yield form, [HeadersField()]
        from console.tui.call.outcome_panel import OutcomePanel

        yield column, [OutcomePanel(id="outcome"), Horizontal(
            Button(f"Send {CALL_SEND.key}", id="send", variant="primary", compact=True,
                   disabled=True, action="screen.send"),
            Static("", id="readiness", markup=False), id="action-bar")]
