"""Phone number fields: parsed as you type (international form, region, the callee's local time).

`console.telephony.phone` (phonenumbers and its geodata) is imported on the first number typed,
never for the first frame. The rule itself (valid or not, and the message) comes from
`check_draft`, like every other field's; this widget only shows what the number is.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from console.tui.fields.text_field import TextField


def describe_number(text: str, region: str, now: datetime | None) -> Text | None:
    """'+1 415-555-0000 · United States · fixed line or mobile · 14:05 Tue (America/…)'."""
    from console.telephony.phone import PhoneError, parse_phone

    try:
        parsed = parse_phone(text, region)
    except PhoneError:
        return None
    out = Text.assemble((parsed.international, "bold"))
    out.append(f" · {parsed.region_name} · {parsed.number_type}")
    local = parsed.local_time_text(now)
    if local:
        out.append(f" · local time {local}")
    return out


class PhoneField(TextField):
    """A number in E.164 or national form (the operator's default region)."""

    empty_note = ""
    format_hint = "E.164 (+ and digits) or a national number of region {region}"

    def _region(self) -> str:
        return getattr(self.app, "default_region", "US")

    def _now(self) -> datetime | None:
        clock = getattr(self.app, "clock", None)
        return clock() if clock else None

    def note(self) -> Text:
        text = self.value.strip()
        if not text:
            return Text(self.empty_note.format(region=self._region()))
        if not getattr(self.app, "session_ready", True):
            # Start-up: phonenumbers (~150 ms with its tables) is being loaded by the app's
            # settings thread; the UI thread does not load it on the first digit typed. The
            # Call screen refreshes the notes once the session is there.
            return Text(self.format_hint.format(region=self._region()))
        info = describe_number(text, self._region(), self._now())
        if info is None:  # the error line says what is wrong; keep the hint
            return Text(self.format_hint.format(region=self._region()))
        return info

    def on_mount(self) -> None:
        # The callee's local time moves on: refresh it while the form is open.
        self.set_interval(30, self.refresh_note)


class ToNumberField(PhoneField):
    field_name = "to_number"
    label = "To"
    required = True
    placeholder = "+14155550000, or a national number"
    empty_note = PhoneField.format_hint
    help = ("The number to call. Type it in E.164 (+14155550000) or national form for your "
            "default region; it is checked with phonenumbers and sent as strict E.164. The "
            "international form, the region and the callee's local time are shown under it.")
