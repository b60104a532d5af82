"""The Call screen's body: every field of the request, the result area, the action bar and
the preview. Imported and mounted right after the first frame (see CallScreen._mount_form)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from console.tui.call.outcome_panel import OutcomePanel
from console.tui.call.preview import PreviewPane
from console.tui.css import stylesheet
from console.tui.fields.agent_picker import AgentField
from console.tui.fields.caller_id_picker import CallerIdField
from console.tui.fields.context_editor import ContextField
from console.tui.fields.dtmf_input import DtmfField
from console.tui.fields.header_list import HeadersField
from console.tui.fields.option_fields import compose_option_pairs
from console.tui.fields.phone_input import ToNumberField
from console.tui.fields.text_field import DisplayNameField
from console.tui.keys import CALL_SEND


class CallBody(Horizontal):
    """The form column (fields, result area, action bar) and the preview."""

    # The body's stylesheet is parsed when the body is first mounted, not for the first frame.
    DEFAULT_CSS = stylesheet(__file__)
    SCOPED_CSS = False

    def compose(self) -> ComposeResult:
        with Vertical(id="form-column"):
            with VerticalScroll(id="form"):
                yield AgentField()
                yield ToNumberField()
                yield CallerIdField()
                yield DisplayNameField()
                yield DtmfField()
                yield ContextField()
                yield from compose_option_pairs()
                yield HeadersField()
            yield OutcomePanel(id="outcome")
            with Horizontal(id="action-bar"):
                yield Button(f"Send {CALL_SEND.key}", id="send", variant="primary",
                             compact=True, disabled=True, action="screen.send")
                yield Static("", id="readiness", markup=False)
        yield PreviewPane(id="preview")
