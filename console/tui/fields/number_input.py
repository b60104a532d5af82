"""Whole-number fields with a range: ringing timeout and max call duration (also shown as h/min)."""

from __future__ import annotations

from rich.text import Text

from console.tui.fields.text_field import TextField


def duration_text(seconds: int) -> str:
    """3600 -> '1 h', 5400 -> '1 h 30 min', 90 -> '1 min 30 s'."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs or not parts:
        parts.append(f"{secs} s")
    return " ".join(parts)


class NumberField(TextField):
    """The text is checked by `console.calls.draft.check_int` (through `check_draft`); '' = default."""

    lo: int = 0
    hi: int = 0
    show_duration: bool = False

    def __init__(self, value: str | None = None, **kwargs) -> None:
        super().__init__(str(self.default) if value is None else value, **kwargs)
        self.placeholder = f"{self.default}"

    def is_default(self) -> bool:
        text = self.value.strip()
        return text in ("", str(self.default))

    def parsed(self) -> int | None:
        text = self.value.strip()
        if text.isdigit():
            return int(text)
        return None

    def note(self) -> Text:
        text = Text(f"{self.lo}–{self.hi} s · default {self.default}")
        number = self.parsed()
        if self.show_duration and number is not None:
            text = Text(f"= {duration_text(number)} · ") + text
        elif self.show_duration:
            text.append(f" (= {duration_text(int(self.default))})")
        return text


class RingingTimeoutField(NumberField):
    field_name = "ringing_timeout_seconds"
    label = "Ringing timeout"
    default = 80
    lo, hi = 1, 80
    help = "How long the callee's phone may ring before the call fails as no-answer: 1 to 80 s."


class MaxDurationField(NumberField):
    field_name = "max_call_duration_seconds"
    label = "Max call duration"
    default = 3600
    lo, hi = 60, 86400
    show_duration = True
    help = "The call is ended after this many seconds: 60 s (1 min) to 86400 s (24 h)."
