"""The DTMF field: digits sent after connect, with the sequence's play time shown as you type."""

from __future__ import annotations

from rich.text import Text

from console.telephony.sip import dtmf_play_seconds, format_play_time
from console.tui.fields.text_field import TextField


class DtmfField(TextField):
    field_name = "dtmf"
    label = "DTMF"
    placeholder = "none, e.g. *123#ww456"
    help = ("Digits sent after the call connects. Allowed: 0-9 * # a-d and w (a 0.5 s pause); "
            "each digit plays 0.5 s. LiveKit silently drops anything else (uppercase A-D, W, "
            "commas, p, spaces), so those are rejected here with their position.")

    def note(self) -> Text:
        sequence = self.value
        if not sequence:
            return Text("0-9 * # a-d, w = 0.5 s pause · default: none")
        return Text(f"plays {format_play_time(dtmf_play_seconds(sequence))} · "
                    f"{len(sequence)} characters")
