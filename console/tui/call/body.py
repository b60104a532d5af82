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

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
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

    async def mount_rest(self) -> None:
        """The fields after DTMF, the result area, the action bar and the preview, a few
        widgets at a time with a frame in between: keys typed meanwhile are handled and drawn
        between the steps, not after the whole form. Awaited from a worker (see
        `CallScreen._mount_form`), never from a handler of this body."""
        from console.tui.call.outcome_panel import OutcomePanel
        from console.tui.call.preview import PreviewPane
        from console.tui.fields.context_editor import ContextField
        from console.tui.fields.header_list import HeadersField
        from console.tui.fields.option_fields import option_pairs

        if self.complete:
            return
        form = self.query_one("#form")
        column = self.query_one("#form-column")
        for picker in (self.query_one(AgentField), self.query_one(CallerIdField)):
            await picker.mount_select()
        steps = [
            (form, [ContextField()]),
            *((form, [pair]) for pair in option_pairs()),
            (form, [HeadersField()]),
            (column, [OutcomePanel(id="outcome"), Horizontal(
                Button(f"Send {CALL_SEND.key}", id="send", variant="primary", compact=True,
                       disabled=True, action="screen.send"),
                Static("", id="readiness", markup=False), id="action-bar")]),
        ]
        for parent, widgets in steps:
            if not self.is_attached:
                return
            await parent.mount_all(widgets)
            try:  # a frame in between; bounded: a screen not on display is not refreshed
                await asyncio.wait_for(self.wait_for_refresh(), FRAME_WAIT)
            except asyncio.TimeoutError:
                pass
        if self.is_attached:
            await self.query_one("#preview-slot").remove()
            await self.mount(PreviewPane(id="preview"))
