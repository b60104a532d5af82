"""Where a transfer goes: `tel:+E164`, `sip:user@host`, or a phone number made `tel:`."""

from __future__ import annotations


def transfer_target(raw: str, region: str) -> str:
    """The API's `transfer_to` URI for what an operator typed; ValueError says what is wrong."""
    from console.telephony.phone import PhoneError, parse_phone

    raw = raw.strip()
    if raw.startswith("sip:"):
        user, at, host = raw[4:].partition("@")
        if not (user and at and host) or any(c.isspace() for c in raw):
            raise ValueError("a SIP target looks like sip:user@host")
        return raw
    number = raw[4:] if raw.startswith("tel:") else raw
    try:
        return "tel:" + parse_phone(number, region).e164
    except PhoneError as exc:
        raise ValueError(f"{exc} (use tel:+E164 or sip:user@host)") from None
