"""The selected call in full: every field of api.md §2 (unknown extra fields too), the flags,
the plain-language outcome, the observed timeline, the request that placed it and the raw JSON.

Three scrollable columns side by side; below `NARROW_WIDTH` they stack in one scroll. All text
is built from plain strings (`Text`), never markup, so server strings show as sent, with their
control characters as escapes (`visible`). Server values are clipped for display (a field at
`FIELD_LIMIT` characters, the extra fields at `MAX_EXTRA_FIELDS`, each JSON view at
`JSON_VIEW_LIMIT`): an answer with a megabyte-long field must not freeze the screen.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll

from console.api.safe_text import clip_strings, visible
from console.calls.dispositions import explain
from console.tui.calls.call_table import format_duration, format_number
from console.tui.calls.detail_part import DetailPart
from console.tui.calls.status_style import flag_sentence, sorted_flags, status_text
from console.tui.css import stylesheet

if TYPE_CHECKING:
    from console.tracker import TrackedCall

#: The fields of `GET /calls/{id}` in the order api.md §2 lists them.
STATUS_FIELDS: tuple[str, ...] = (
    "call_id", "agent_id", "tenant_id", "direction", "from_number", "to_number", "status",
    "started_at", "disposition", "duration_seconds", "recording_url", "sentiment_score",
    "language_detected", "ended_at")
KEY_WIDTH = 17
NARROW_WIDTH = 100
#: Longest value shown on one line of the fields column (then "… (N more characters)").
FIELD_LIMIT = 500
#: Most unknown extra fields listed (a server may send thousands).
MAX_EXTRA_FIELDS = 50
#: Longest string value inside the request / raw JSON views.
JSON_STRING_LIMIT = 500
#: Longest request / raw JSON view, in characters.
JSON_VIEW_LIMIT = 20_000


def _when(value: datetime) -> str:
    return value.astimezone().strftime("%H:%M:%S")


def _line(text: Text, key: str, value: Any, style: str = "") -> None:
    """One `key  value` line; a plain value (server text) is made visible and clipped."""
    label = visible(key, KEY_WIDTH * 4)
    # at least one space after the label: `language_detected` is as long as the column
    text.append(f"{label:<{max(KEY_WIDTH, len(label) + 1)}}", style="bold")
    if isinstance(value, Text):
        text.append_text(value)
    else:
        text.append("null" if value is None else visible(str(value), FIELD_LIMIT),
                    style=style or ("dim" if value is None else ""))
    text.append("\n")


def _heading(text: Text, title: str) -> None:
    if text.plain:
        text.append("\n")
    text.append(title + "\n", style="bold underline")


def fields_text(call: TrackedCall, *, agent_name: str | None = None, region: str = "US") -> Text:
    """Every field of the last status read (api.md §2, then extra fields), and tracking facts."""
    text = Text()
    _heading(text, "Call")
    last = call.last
    data: dict[str, Any] = last.model_dump(mode="json") if last is not None else {
        "call_id": call.call_id, "agent_id": call.agent_id, "to_number": call.to_number,
        "from_number": call.from_number, "status": call.status}
    for name in STATUS_FIELDS:
        value = data.get(name)
        if name == "status":
            _line(text, name, status_text(value))
        elif name == "agent_id" and agent_name and agent_name != str(value)[:8]:
            _line(text, name, value)
            _line(text, "  (agent name)", agent_name, "dim")
        elif name in ("to_number", "from_number") and value:
            formatted = format_number(value, region)
            same = formatted in (value, visible(value, FIELD_LIMIT))
            _line(text, name, value if same else f"{value}  ({formatted})")
        elif name in ("started_at", "ended_at") and value and last is not None and (
                last.started if name == "started_at" else last.ended):
            _line(text, name, value)
            _line(text, "  (local time)", _when(last.started if name == "started_at"
                                                 else last.ended), "dim")
        elif name == "duration_seconds" and value is not None:
            _line(text, name, f"{value}  ({format_duration(value)})")
        elif name == "disposition" and value is not None:
            _line(text, name, value, "red" if call.status == "failed" else "")
        else:
            _line(text, name, value)
    extras = [k for k in data if k not in STATUS_FIELDS]
    if extras:
        _heading(text, "Other fields from the API")
        for name in extras[:MAX_EXTRA_FIELDS]:
            value = data[name]
            _line(text, name, value if not isinstance(value, dict | list)
                  else json.dumps(clip_strings(value, JSON_STRING_LIMIT), ensure_ascii=False))
        if len(extras) > MAX_EXTRA_FIELDS:
            more = len(extras) - MAX_EXTRA_FIELDS
            text.append(f"… ({more} more field{'s' if more != 1 else ''}: see the raw JSON)\n",
                        style="dim")
    if last is None:
        text.append("\nNo status read yet: fields come with the first poll.\n", style="dim")
    _heading(text, "Tracking")
    _line(text, "source", {"console": "placed from this console",
                           "watched": "found through a watched agent",
                           "restored": "re-attached from the local history"}.get(
                               call.source, call.source))
    if call.placed_by:
        _line(text, "placed by", call.placed_by)
    if call.campaign:
        _line(text, "campaign", call.campaign)
    _line(text, "polling", "finished" if call.done else "live")
    if call.last_ok_wall is not None:
        _line(text, "last read", _when(call.last_ok_wall))
    if call.last_error:
        _line(text, "last error", call.last_error, "red")
    for flag in sorted_flags(call.flags):
        _line(text, f"flag {flag}", flag_sentence(flag), "yellow")
    return text


def outcome_text(call: TrackedCall) -> Text | None:
    found = explain(call.status, call.disposition)
    if found is None:
        return None
    text = Text()
    text.append(found.title + "\n", style="bold red" if found.problem else "bold green")
    text.append(found.meaning + "\n")
    text.append("What to try: ", style="bold")
    text.append(found.what_to_try + "\n")
    return text


def timeline_text(call: TrackedCall, *, with_outcome: bool = True) -> Text:
    text = Text()
    outcome = outcome_text(call) if with_outcome else None
    if outcome is not None:
        _heading(text, "Outcome")
        text.append_text(outcome)
    _heading(text, "Timeline (observed)")
    changes = call.status_changes
    first = changes[0][0] if changes else None
    for when, status in changes:
        text.append(f"{_when(when)}  ")
        offset = (when - first).total_seconds() if first is not None else 0.0
        text.append(f"+{offset:.1f}s  ", style="dim")
        text.append_text(status_text(status))
        text.append("\n")
    last = call.last
    if last is not None and last.ended is not None:
        text.append(f"ended_at {visible(last.ended_at or '', FIELD_LIMIT)} (server)\n",
                    style="dim")
    if not changes:
        text.append("nothing observed yet\n", style="dim")
    recording = last.recording_url if last is not None else None
    _heading(text, "Recording")
    if recording:
        text.append(visible(recording, FIELD_LIMIT) + "\n")
        text.append("(copy it with the copy-recording key)\n", style="dim")
    else:
        text.append("none yet" + (" (it may arrive after the call ends)" if call.live else "")
                    + "\n", style="dim")
    return text


def json_text(value: Any) -> Text:
    """Indented JSON of a server value: long strings and the whole view clipped, control and
    format characters (which `json.dumps` leaves raw past ASCII) made visible."""
    from rich.highlighter import JSONHighlighter

    dumped = json.dumps(clip_strings(value, JSON_STRING_LIMIT), indent=2, ensure_ascii=False)
    text = Text(visible(dumped, JSON_VIEW_LIMIT, multiline=True))
    JSONHighlighter().highlight(text)
    return text


def request_text(call: TrackedCall) -> Text:
    text = Text(no_wrap=True)
    _heading(text, "Request (token-free)")
    if call.request:
        text.append_text(json_text(call.request))
        text.append("\n")
    else:
        text.append("not known: placed elsewhere\n", style="dim")
    _heading(text, "Raw JSON (last read)")
    if call.last is not None:
        text.append_text(json_text(call.last.model_dump(mode="json")))
        text.append("\n")
    else:
        text.append("no status read yet\n", style="dim")
    return text


class CallDetail(Horizontal):
    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.call_id: str | None = None
        self._version: int | None = None
        self._shown: dict[str, Text] = {}             # what each part shows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-fields"):
            yield DetailPart(Text("Select a call to see its details.", style="dim"),
                             id="detail-fields-text")
        with VerticalScroll(id="detail-timeline"):
            yield DetailPart("", id="detail-timeline-text")
        with VerticalScroll(id="detail-request"):
            yield DetailPart("", id="detail-request-text")

    def _set(self, selector: str, text: Text) -> None:
        """Put `text` in a part of the pane (nothing when it is what is shown). The part
        repaints only the lines that changed and asks for a layout pass only when its size
        changes (`DetailPart.update`): a layout pass repaints much of the screen, and the
        pane changes with every cursor move and every change of the selected call."""
        shown = self._shown.get(selector)
        if shown is not None and shown == text:
            return
        self._shown[selector] = text
        self.query_one(selector, DetailPart).update(text)

    def show(self, call: TrackedCall | None, *, agent_name: str | None = None,
             region: str = "US", force: bool = False) -> None:
        """Show `call` (None: nothing selected). Re-renders only when the call or its
        version changed."""
        if call is None:
            if self.call_id is None and not force:
                return
            self.call_id, self._version = None, None
            self._set("#detail-fields-text", Text("Select a call to see its details.",
                                                  style="dim"))
            self._set("#detail-timeline-text", Text())
            self._set("#detail-request-text", Text())
            return
        if not force and call.call_id == self.call_id and call.version == self._version:
            return
        moved = call.call_id != self.call_id
        self.call_id, self._version = call.call_id, call.version
        fields = fields_text(call, agent_name=agent_name, region=region)
        narrow = self.has_class("-narrow")
        outcome = outcome_text(call) if narrow else None
        if outcome is not None:  # stacked: the explanation first, where it is seen
            top = Text()
            _heading(top, "Outcome")
            top.append_text(outcome)
            top.append("\n")
            fields = top + fields
        self._set("#detail-fields-text", fields)
        self._set("#detail-timeline-text", timeline_text(call, with_outcome=not narrow))
        self._set("#detail-request-text", request_text(call))
        if moved:
            for scroll in self.query(VerticalScroll):
                scroll.scroll_home(animate=False)
